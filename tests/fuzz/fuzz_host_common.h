/*
 * Shared by the host-scanner fuzz targets: one scanner without rules whose
 * finding callback only counts, and a host_file over the fuzz input with a
 * chosen name, so the analyzers run exactly as in a scan.
 */
#ifndef FUZZ_HOST_COMMON_H
#define FUZZ_HOST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_int.h"
#include "host/pe.h"

static unsigned long fuzz_findings;

static int fuzz_on_finding(const struct mamori_finding *f, void *ctx)
{
	(void)ctx;
	if (f->indicator && f->evidence)
		fuzz_findings++;
	return 0;
}

static struct mamori_host_scanner *fuzz_scanner(void)
{
	static struct mamori_host_scanner *sc;
	static const struct mamori_host_callbacks cb = {.on_finding = fuzz_on_finding};
	if (!sc) {
		struct mamori_host_opts o = {.no_builtin = true};
		if (mamori_host_scanner_new(&o, &sc, NULL) != 0)
			abort();
		sc->cb = &cb;
	}
	return sc;
}

/* Runs fn over data as the file mpath (lowercase match path). */
static void fuzz_run(int (*fn)(struct host_file *), const char *mpath,
		     const uint8_t *data, size_t size)
{
	struct host_file f = {
		.path = mpath,
		.mpath = mpath,
		.data = size ? data : NULL,
		.size = size,
		.sc = fuzz_scanner(),
	};
	f.mname = host_basename(mpath);
	const char *dot = strrchr(f.mname, '.');
	f.ext = dot ? dot + 1 : "";
	f.is_pe = mamori_pe_is_pe(f.data, f.size);
	(void)fn(&f);
}

#endif
