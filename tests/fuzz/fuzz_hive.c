/*
 * Fuzz target: the hive analysis entry point on arbitrary bytes.
 *
 * libhivex opens hives by path, so the input goes into a memfd and is
 * analysed through /proc/self/fd/N as a SYSTEM, a SOFTWARE and an
 * NTUSER.DAT hive (every registry check runs on it), after the base-block
 * parser sees the raw bytes.  Findings are read field by field so ASan
 * sees any dangling pointer.  Corpus (tests/fuzz/corpus/hive): small
 * valid hives (hivex-minimal/special/rlenvalue and minimal with the
 * infected .reg fixtures merged in), and truncated, bit-flipped, dirty
 * and zero-filled-bin variants of them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hive/hive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct mamori_finding *f, void *ctx)
{
	size_t *n = ctx;
	const char *s[] = {f->kind, f->path, f->family, f->indicator, f->evidence,
			   f->hive, f->key, f->value, f->data, f->remedy};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i])
			*n += strlen(s[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mamori_hive_kind kinds[] = {MAMORI_HIVE_SYSTEM,
						      MAMORI_HIVE_SOFTWARE,
						      MAMORI_HIVE_NTUSER};
	uint32_t s1, s2;
	char path[64];
	size_t sum = 0;
	(void)mamori_hive_header(data, size, &s1, &s2, NULL);
	int fd = memfd_create("hive", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct mamori_hive_file info;
		(void)mamori_hive_scan_file(path, kinds[i], touch, &sum, &info);
	}
out:
	close(fd);
	return 0;
}
