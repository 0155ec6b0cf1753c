/*
 * Unit tests for the PE reader (src/host/pe.c) and mamori_pe_file_version:
 * synthetic images (test_host_pe_build.h) parsed whole, then truncated at
 * every length and with lying headers (e_lfanew, section count, optional
 * header size, directory RVAs, resource offsets and counts, version block
 * lengths); plus the two real PEs of ../shared/data/pe.  Inputs are copied
 * into exact-size heap buffers so ASan reports any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/pe.h"
#include "mamori/mamori.h"
#include "test_host_pe_build.h"

#define TS_1994 769392000u	/* 1994-05-20 */
#define TS_2011 1314835200u	/* 2011-09-01 */

static const struct tpe_opts base_opts = {
	.header_ts = TS_1994,
	.export_ts = TS_2011,
	.dll = 1,
	.company = "Microsoft Corporation",
	.description = "Windows Sample",
	.original_name = "mssecmgr.ocx",
};

/* Parses a heap copy of exactly n bytes. */
static int parse_exact(const uint8_t *p, size_t n, struct mamori_pe *pe)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	memcpy(c, p, n);
	int rc = mamori_pe_parse(c, n, pe);
	free(c);
	return rc;
}

static void test_valid(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	size_t n = tpe_build(img, &base_opts);
	assert_int_equal(parse_exact(img, n, &pe), 0);
	assert_true(mamori_pe_is_pe(img, n));
	assert_true(pe.is_dll);
	assert_int_equal(pe.machine, 0x14c);
	assert_int_equal(pe.timestamp, TS_1994);
	assert_true(pe.has_exports);
	assert_int_equal(pe.export_timestamp, TS_2011);
	assert_false(pe.has_signature);
	assert_true(pe.has_version);
	assert_int_equal(pe.n_sections, 1);
	assert_string_equal(pe.sec[0].name, ".rdata");
	assert_int_equal(pe.file_version[0], 6);
	assert_int_equal(pe.file_version[1], 1);
	assert_int_equal(pe.file_version[2], 7601);
	assert_int_equal(pe.file_version[3], 17514);
	assert_string_equal(pe.company, "Microsoft Corporation");
	assert_string_equal(pe.description, "Windows Sample");
	assert_string_equal(pe.original_name, "mssecmgr.ocx");
	assert_string_equal(pe.product, "");

	uint16_t ver[4];
	assert_int_equal(mamori_pe_file_version(img, n, ver), 0);
	assert_int_equal(ver[2], 7601);
}

static void test_signature_and_flags(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	struct tpe_opts o = base_opts;
	o.signature = 1;
	o.dll = 0;
	size_t n = tpe_build(img, &o);
	assert_int_equal(parse_exact(img, n, &pe), 0);
	assert_true(pe.has_signature);
	assert_false(pe.is_dll);
	/* a security directory pointing past the end is no signature */
	assert_int_equal(parse_exact(img, n - 1, &pe), 0);
	assert_false(pe.has_signature);
}

static void test_no_version(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	struct tpe_opts o = base_opts;
	o.no_version = 1;
	size_t n = tpe_build(img, &o);
	assert_int_equal(parse_exact(img, n, &pe), 0);
	assert_false(pe.has_version);
	uint16_t ver[4];
	assert_int_equal(mamori_pe_file_version(img, n, ver), MAMORI_ENOENT);
	const uint8_t text[] = "MZ but not a PE at all, just text that is long enough to pass 64";
	assert_int_equal(mamori_pe_file_version(text, sizeof(text), ver), MAMORI_EFORMAT);
	assert_int_equal(mamori_pe_file_version(NULL, 0, ver), MAMORI_EFORMAT);
}

/* Every prefix parses or fails cleanly; short ones fail. */
static void test_truncated(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	size_t n = tpe_build(img, &base_opts);
	size_t ok = 0;
	for (size_t len = 0; len <= n; len++) {
		int rc = parse_exact(img, len, &pe);
		if (len < TPE_SECT + 40)
			assert_int_equal(rc, MAMORI_EFORMAT);
		if (rc == 0)
			ok++;
		/* what is reported is never more than what is there */
		if (rc == 0 && len < TPE_RAW + (TPE_VER_RVA - TPE_RVA) + 100)
			assert_false(pe.has_version);
	}
	assert_true(ok > 0);
}

static void test_lying_headers(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX], bad[TPE_MAX];
	static struct mamori_pe pe;
	size_t n = tpe_build(img, &base_opts);
	size_t rsrc = TPE_RAW + (TPE_RSRC_RVA - TPE_RVA);
	size_t ver = TPE_RAW + (TPE_VER_RVA - TPE_RVA);
	struct {
		size_t off;
		int width;
		uint32_t val;
		int want_rc;	/* 0 or MAMORI_EFORMAT */
		int want_version;
		int want_exports;
	} cases[] = {
		{0x3c, 4, 0xfffffff0u, MAMORI_EFORMAT, 0, 0},		/* e_lfanew past end */
		{0x3c, 4, (uint32_t)n - 2, MAMORI_EFORMAT, 0, 0},	/* e_lfanew at the end */
		{TPE_FH + 2, 2, 0xffff, MAMORI_EFORMAT, 0, 0},		/* 65535 sections */
		{TPE_FH + 16, 2, 0xfff0, MAMORI_EFORMAT, 0, 0},	/* optional header too big */
		{TPE_FH + 16, 2, 0, MAMORI_EFORMAT, 0, 0},		/* no optional header */
		{TPE_OPT, 2, 0x1234, MAMORI_EFORMAT, 0, 0},		/* bad magic */
		{TPE_OPT + 92, 4, 0xffffffffu, 0, 1, 1},		/* dir count capped at 16 */
		{TPE_DD, 4, 0x7ffffff0u, 0, 1, 0},			/* export RVA nowhere */
		{TPE_DD + 16, 4, 0xfffffff0u, 0, 0, 1},		/* resource RVA nowhere */
		{TPE_SECT + 20, 4, 0xfffff000u, 0, 0, 0},		/* raw data past end */
		{TPE_SECT + 16, 4, 0xfffff000u, 0, 1, 1},		/* raw size past end */
		{rsrc + 12, 2, 0xffff, 0, 1, 1},			/* 65535 named entries: capped */
		{rsrc + 20, 4, 0x80000000u, 0, 0, 1},			/* subdir loops to root */
		{rsrc + 20, 4, 0x8ffffff0u, 0, 0, 1},			/* subdir past end */
		{rsrc + 0x30 + 20, 4, 0x80000048u, 0, 0, 1},		/* leaf marked as dir */
		{rsrc + 0x48, 4, 0x7ffffff0u, 0, 0, 1},		/* data RVA nowhere */
		{rsrc + 0x48 + 4, 4, 0xfffffff0u, 0, 1, 1},		/* data size huge: cut */
		{ver, 2, 0xffff, 0, 0, 1},				/* root block too long */
		{ver, 2, 3, 0, 0, 1},					/* root block too short */
		{ver + 40, 4, 0x12345678u, 0, 0, 1},			/* bad FEEF04BD */
		{ver + 2, 2, 0xffff, 0, 1, 1},				/* value length lies: capped */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, img, n);
		if (cases[i].width == 2)
			tpe_w16(bad, cases[i].off, (uint16_t)cases[i].val);
		else
			tpe_w32(bad, cases[i].off, cases[i].val);
		int rc = parse_exact(bad, n, &pe);
		if (rc != cases[i].want_rc || (rc == 0 && (pe.has_version != (cases[i].want_version != 0) ||
							   pe.has_exports != (cases[i].want_exports != 0))))
			fail_msg("case %zu: rc %d version %d exports %d", i, rc, pe.has_version,
				 pe.has_exports);
	}
}

/* String children lying about their length only lose those strings. */
static void test_lying_strings(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	size_t n = tpe_build(img, &base_opts);
	size_t ver = TPE_RAW + (TPE_VER_RVA - TPE_RVA);
	/* find the "CompanyName" String block and make it claim 0xffff bytes */
	size_t k;
	for (k = ver; k + 22 < n; k += 2)
		if (!memcmp(img + k, "C\0o\0m\0p\0a\0n\0y\0N\0", 16))
			break;
	assert_true(k + 22 < n);
	tpe_w16(img, k - 6, 0xffff);
	assert_int_equal(parse_exact(img, n, &pe), 0);
	assert_true(pe.has_version);
	assert_string_equal(pe.company, "");
}

static void test_rva_to_off(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	static struct mamori_pe pe;
	size_t n = tpe_build(img, &base_opts);
	size_t off = 0;
	assert_int_equal(parse_exact(img, n, &pe), 0);
	assert_true(mamori_pe_rva_to_off(&pe, n, TPE_EXPORT_RVA, &off));
	assert_int_equal(off, TPE_RAW);
	assert_true(mamori_pe_rva_to_off(&pe, n, 0x10, &off));	/* headers */
	assert_int_equal(off, 0x10);
	assert_false(mamori_pe_rva_to_off(&pe, n, 0x5000, &off));
	assert_false(mamori_pe_rva_to_off(&pe, n, 0xffffffffu, &off));
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 16];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint8_t *c = malloc(*n);
	if (c)
		memcpy(c, buf, *n);
	return c;
}

static void test_shared_pes(void **state)
{
	(void)state;
	static struct mamori_pe pe;
	const char *names[] = {"plaso-test_pe.exe", "plaso-wrc-test-wevt_template.dll"};
	for (size_t i = 0; i < 2; i++) {
		char path[1024];
		size_t n = 0;
		snprintf(path, sizeof(path), "%s/data/pe/%s", SHARED, names[i]);
		uint8_t *p = slurp(path, &n);
		if (!p) {
			print_message("skipping %s: not readable\n", path);
			continue;
		}
		assert_int_equal(mamori_pe_parse(p, n, &pe), 0);
		assert_true(pe.n_sections > 0);
		assert_int_equal(pe.is_dll, i == 1);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_signature_and_flags),
		cmocka_unit_test(test_no_version),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lying_headers),
		cmocka_unit_test(test_lying_strings),
		cmocka_unit_test(test_rva_to_off),
		cmocka_unit_test(test_shared_pes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
