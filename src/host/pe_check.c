/*
 * PE anomaly checks of the host scanner.  Each check combines evidence so
 * that genuine Windows files do not trip it on their own (many are
 * catalog-signed, so "claims Microsoft but carries no signature" is normal):
 *
 *  flame.pe.fake_microsoft     version info claims Microsoft, no embedded
 *                              signature, AND location or size evidence:
 *                              outside the Windows / Program Files trees or
 *                              in a temp / recycler folder; an ActiveX/driver
 *                              extension above 4 MiB (Flame's mssecmgr.ocx is
 *                              ~6 MB; genuine .ocx/.sys files are far smaller);
 *                              or OriginalFilename differing from the name
 *                              on disk.
 *  flame.pe.export_timestamp   FILE_HEADER timestamp more than 3 years older
 *                              than the export directory's (Flame modules:
 *                              1994 headers over 2011 export tables).  Both
 *                              must be plausible dates (not 0, not in the
 *                              future, not the 0xFFFFFFFF reproducible-build
 *                              marker).
 *  conficker.pe.dll_disguised  IMAGE_FILE_DLL content behind an extension no
 *                              Windows DLL uses (.vmx, .tmp, .jpg, none...).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/host_int.h"
#include "host/pe.h"

#define PE_TS_MIN 315532800u		/* 1980-01-01 */
#define PE_TS_GAP (3u * 365u * 86400u)
#define PE_BIG_MODULE (4u << 20)

/* Extensions genuine DLL-flagged images are shipped with. */
static const char *const pe_dll_exts[] = {
	"dll", "ocx", "cpl", "drv", "sys", "ax", "acm", "ime", "tsp", "mui",
	"rll", "flt", "iec", "winmd", "pyd", "node", "xll", "ds", "efi", "exe",
	"scr", "com", "tlb", "olb", "wll", "so", "bpl", "dpl", "api", "lex",
	"fon", "mod", "spl", "vbx", "wpc", "tsk", "msstyles", "nls", "rsc",
};

static const char *const pe_big_exts[] = {"ocx", "sys", "drv", "cpl"};

/* Folders where a Microsoft-claiming binary is expected. */
static const char *const pe_home_dirs[] = {
	"/windows/", "/winnt/", "/program files/", "/program files (x86)/",
	"/programdata/microsoft/", "/i386/", "/amd64/",
};
/* Folders where none is (temp, recycle bins, removable-media roots). */
static const char *const pe_odd_dirs[] = {
	"/temp/", "/tmp/", "/recycler/", "/$recycle.bin/", "/recycled/",
	"/system volume information/", "/local settings/temp/", "/appdata/local/temp/",
	"/windows/tasks/",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static bool path_has(const char *mpath, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(mpath, list[i]))
			return true;
	return false;
}

static bool claims_microsoft(const struct mamori_pe *pe)
{
	return host_icontains(pe->company, "microsoft") ||
	       host_icontains(pe->copyright, "microsoft corporation") ||
	       host_icontains(pe->product, "microsoft");
}

static void fmt_ts(uint32_t ts, char *dst, size_t n)
{
	time_t t = (time_t)ts;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(dst, n, "%Y-%m-%d", &tm))
		snprintf(dst, n, "%u", ts);
}

static bool ts_plausible(uint32_t ts)
{
	return ts >= PE_TS_MIN && ts != 0xffffffffu && (time_t)ts <= time(NULL);
}

static int check_fake_microsoft(struct host_file *f, const struct mamori_pe *pe)
{
	if (!claims_microsoft(pe) || pe->has_signature)
		return 0;
	char why[256] = "";
	size_t o = 0;
	/* "/x.dll" directly below the root, or outside the homes */
	bool odd = path_has(f->mpath, pe_odd_dirs, sizeof(pe_odd_dirs) / sizeof(pe_odd_dirs[0]));
	bool home = path_has(f->mpath, pe_home_dirs, sizeof(pe_home_dirs) / sizeof(pe_home_dirs[0]));
	if (odd || !home)
		o += (size_t)snprintf(why + o, sizeof(why) - o, "%s; ",
				      odd ? "in a temp/recycle folder" : "outside Windows and Program Files");
	if (in_list(f->ext, pe_big_exts, sizeof(pe_big_exts) / sizeof(pe_big_exts[0])) &&
	    f->size > PE_BIG_MODULE && o < sizeof(why))
		o += (size_t)snprintf(why + o, sizeof(why) - o, ".%s module of %zu bytes (> 4 MiB); ",
				      f->ext, f->size);
	if (pe->original_name[0] && !host_ieq(pe->original_name, f->mname) && o < sizeof(why)) {
		/* "x.dll.mui" vs "x.dll" style resource names are fine */
		size_t on = strlen(pe->original_name);
		if (strncasecmp(pe->original_name, f->mname, on) != 0)
			o += (size_t)snprintf(why + o, sizeof(why) - o,
					      "OriginalFilename '%s' differs from the name on disk; ",
					      pe->original_name);
	}
	if (o == 0)
		return 0;
	if (o >= sizeof(why))
		o = sizeof(why) - 1;
	if (o >= 2)
		why[o - 2] = 0;
	return host_emit(f, "flame", "flame.pe.fake_microsoft", MAMORI_SEV_MEDIUM, NULL,
			 "version info claims '%s' without an embedded signature, and %s",
			 pe->company[0] ? pe->company : pe->product, why);
}

static int check_export_timestamp(struct host_file *f, const struct mamori_pe *pe)
{
	if (!pe->has_exports || !ts_plausible(pe->timestamp) ||
	    !ts_plausible(pe->export_timestamp) ||
	    pe->export_timestamp <= pe->timestamp ||
	    pe->export_timestamp - pe->timestamp < PE_TS_GAP)
		return 0;
	char a[32], b[32];
	fmt_ts(pe->timestamp, a, sizeof(a));
	fmt_ts(pe->export_timestamp, b, sizeof(b));
	return host_emit(f, "flame", "flame.pe.export_timestamp", MAMORI_SEV_MEDIUM, NULL,
			 "PE header timestamp %s is %u years older than the export table timestamp %s",
			 a, (pe->export_timestamp - pe->timestamp) / (365u * 86400u), b);
}

static int check_dll_disguised(struct host_file *f, const struct mamori_pe *pe)
{
	if (!pe->is_dll ||
	    in_list(f->ext, pe_dll_exts, sizeof(pe_dll_exts) / sizeof(pe_dll_exts[0])))
		return 0;
	return host_emit(f, "conficker", "conficker.pe.dll_disguised", MAMORI_SEV_HIGH, NULL,
			 "DLL image behind the extension '%s'%s", f->ext[0] ? f->ext : "(none)",
			 f->ext[0] ? "" : " (no extension)");
}

int host_pe_run(struct host_file *f)
{
	struct mamori_pe pe;
	int rc;
	if (!f->is_pe || mamori_pe_parse(f->data, f->size, &pe) != 0)
		return 0;
	if ((rc = check_fake_microsoft(f, &pe)) != 0)
		return rc;
	if ((rc = check_export_timestamp(f, &pe)) != 0)
		return rc;
	return check_dll_disguised(f, &pe);
}
