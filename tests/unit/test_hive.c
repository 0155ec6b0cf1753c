/*
 * Unit tests of src/hive: Windows string decoding, the regf base block,
 * discovery, the random-name heuristic on real service names, and the
 * registry checks on hives built at test time by
 * tests/fixtures/hive/build.sh (regipy/plaso/hivex hives + .reg merges).
 * Tests that need the built hives skip when hivexregedit or xz is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hive/hive.h"
#include "hive/hive_int.h"
#include "hive/wstr.h"
#include "mamori/mamori.h"
#include "util/buf.h"

static char fx[256];		/* build.sh output folder */
static int fx_status = -1;	/* 0 built, 77 skipped, else failed */

/* ---- helpers ------------------------------------------------------- */

static void fx_need(void)
{
	if (fx_status == 77) {
		print_message("SKIP: fixture builder skipped (hivexregedit or xz missing)\n");
		skip();
	}
	assert_int_equal(fx_status, 0);
}

static char *fx_path(const char *rel)
{
	static char p[1024];
	snprintf(p, sizeof(p), "%s/%s", fx, rel);
	return p;
}

struct found {
	char **lines;
	size_t n;
	int calls;
	int stop_with;
};

static int collect(const struct mamori_finding *f, void *ctx)
{
	struct found *fd = ctx;
	char line[2048];
	assert_string_equal(f->kind, "registry");
	assert_non_null(f->indicator);
	assert_non_null(f->evidence);
	assert_non_null(f->path);
	assert_non_null(f->family);
	snprintf(line, sizeof(line), "%s|%s|%s|%s", f->hive, f->indicator, f->key,
		 f->value ? f->value : "-");
	fd->lines = realloc(fd->lines, (fd->n + 1) * sizeof(*fd->lines));
	assert_non_null(fd->lines);
	fd->lines[fd->n++] = strdup(line);
	fd->calls++;
	return fd->stop_with;
}

static void found_free(struct found *fd)
{
	for (size_t i = 0; i < fd->n; i++)
		free(fd->lines[i]);
	free(fd->lines);
	memset(fd, 0, sizeof(*fd));
}

static bool found_has(const struct found *fd, const char *line)
{
	for (size_t i = 0; i < fd->n; i++)
		if (!strcmp(fd->lines[i], line))
			return true;
	return false;
}

/* Lines of expected.txt / justified.txt for root, without the root field. */
static size_t load_expect(const char *file, const char *root, char ***out)
{
	char path[1024], line[2048];
	size_t n = 0, rl = strlen(root);
	snprintf(path, sizeof(path), "%s/tests/fixtures/hive/%s", SRCDIR, file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	*out = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		if (strncmp(line, root, rl) || line[rl] != '|')
			continue;
		*out = realloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = strdup(line + rl + 1);
	}
	fclose(f);
	return n;
}

static void free_lines(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Scans fx/<root> and checks the findings are exactly expected+justified. */
static void scan_and_compare(const char *root, struct mamori_hive_report *rep)
{
	struct found fd = {0};
	char **exp, **just;
	size_t ne = load_expect("expected.txt", root, &exp);
	size_t nj = load_expect("justified.txt", root, &just);
	mamori_hive_report_init(rep);
	assert_int_equal(mamori_hive_scan_root(fx_path(root), collect, &fd, rep), 0);
	for (size_t i = 0; i < ne; i++) {
		if (!found_has(&fd, exp[i]))
			fail_msg("%s: planted value not found: %s", root, exp[i]);
	}
	for (size_t i = 0; i < nj; i++)
		if (!found_has(&fd, just[i]))
			fail_msg("%s: justified finding missing: %s", root, just[i]);
	for (size_t i = 0; i < fd.n; i++) {
		bool ok = false;
		for (size_t k = 0; k < ne && !ok; k++)
			ok = !strcmp(fd.lines[i], exp[k]);
		for (size_t k = 0; k < nj && !ok; k++)
			ok = !strcmp(fd.lines[i], just[k]);
		if (!ok)
			fail_msg("%s: unexpected finding: %s", root, fd.lines[i]);
	}
	assert_int_equal(fd.n, ne + nj);
	assert_int_equal(rep->findings, ne + nj);
	free_lines(exp, ne);
	free_lines(just, nj);
	found_free(&fd);
}

/* ---- UTF-16 -------------------------------------------------------- */

static void decode(const uint8_t *p, size_t n, const char *want, unsigned want_flags)
{
	struct buf b;
	unsigned fl = 0;
	buf_init(&b, 0);
	assert_int_equal(hive_utf16_decode(p, n, &b, &fl), 0);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(fl, want_flags);
	buf_release(&b);
}

static void test_utf16(void **state)
{
	(void)state;
	static const uint8_t plain[] = {'a', 0, 'b', 0, 0, 0};
	static const uint8_t unterminated[] = {'a', 0, 'b', 0};
	static const uint8_t odd[] = {'a', 0, 'b', 0, 'c'};
	static const uint8_t odd_term[] = {'a', 0, 0, 0, 0};
	static const uint8_t pair[] = {0x3D, 0xD8, 0x00, 0xDE, 0, 0};	/* U+1F600 */
	static const uint8_t lone_hi[] = {'a', 0, 0x00, 0xD8, 'b', 0};
	static const uint8_t lone_lo[] = {0x00, 0xDC};
	static const uint8_t hi_at_end[] = {'x', 0, 0x3D, 0xD8};
	static const uint8_t junk[] = {'a', 0, 0, 0, 'x', 0};
	static const uint8_t bmp[] = {0xE9, 0x00, 0x2C, 0x6F, 0, 0};	/* é 漬 */
	decode(plain, sizeof(plain), "ab", HIVE_WSTR_TERMINATED);
	decode(unterminated, sizeof(unterminated), "ab", 0);
	decode(odd, sizeof(odd), "ab", HIVE_WSTR_ODD);
	decode(odd_term, sizeof(odd_term), "a", HIVE_WSTR_TERMINATED | HIVE_WSTR_ODD);
	decode(pair, sizeof(pair), "\xF0\x9F\x98\x80", HIVE_WSTR_TERMINATED);
	decode(lone_hi, sizeof(lone_hi), "a\xEF\xBF\xBD" "b", HIVE_WSTR_REPLACED);
	decode(lone_lo, sizeof(lone_lo), "\xEF\xBF\xBD", HIVE_WSTR_REPLACED);
	decode(hi_at_end, sizeof(hi_at_end), "x\xEF\xBF\xBD", HIVE_WSTR_REPLACED);
	decode(junk, sizeof(junk), "a", HIVE_WSTR_TERMINATED | HIVE_WSTR_TRAILING);
	decode(bmp, sizeof(bmp), "\xC3\xA9\xE6\xBC\xAC", HIVE_WSTR_TERMINATED);
	decode(NULL, 0, "", 0);
	decode(odd, 1, "", HIVE_WSTR_ODD);
}

static void test_utf16_cap(void **state)
{
	(void)state;
	uint8_t big[200];
	struct buf b;
	for (size_t i = 0; i < sizeof(big); i += 2) {
		big[i] = 'z';
		big[i + 1] = 0;
	}
	buf_init(&b, 10);
	assert_int_equal(hive_utf16_decode(big, sizeof(big), &b, NULL), MAMORI_ELIMIT);
	assert_true(b.len <= 10);
	buf_release(&b);
}

struct multi {
	char got[512];
	int n;
	int stop_at;
};

static int multi_cb(const char *s, void *ctx)
{
	struct multi *m = ctx;
	size_t l = strlen(m->got);
	snprintf(m->got + l, sizeof(m->got) - l, "[%s]", s);
	return ++m->n == m->stop_at ? 9 : 0;
}

static void multi(const uint8_t *p, size_t n, const char *want)
{
	struct multi m = {{0}, 0, 0};
	assert_int_equal(hive_multi_sz_foreach(p, n, multi_cb, &m), 0);
	assert_string_equal(m.got, want);
}

static void test_multi_sz(void **state)
{
	(void)state;
	static const uint8_t two[] = {'a', 0, 0, 0, 'b', 'c', 0, 0, 0, 0};
	static const uint8_t empty_mid[] = {'a', 0, 0, 0, 0, 0, 'x', 0, 0, 0, 0, 0};
	static const uint8_t unterminated[] = {'a', 0, 0, 0, 'z', 0, 'y', 0};
	static const uint8_t odd[] = {'a', 0, 0, 0, 'q', 0, 0};
	static const uint8_t only_empty[] = {0, 0, 0, 0};	/* Windows 10 "" */
	multi(two, sizeof(two), "[a][\xE6\x8D\xA2]");	/* 'b','c' is U+6362 */
	multi(empty_mid, sizeof(empty_mid), "[a][x]");
	multi(unterminated, sizeof(unterminated), "[a][zy]");
	multi(odd, sizeof(odd), "[a][q]");
	multi(only_empty, sizeof(only_empty), "");
	multi(NULL, 0, "");
	struct multi m = {{0}, 0, 1};
	assert_int_equal(hive_multi_sz_foreach(empty_mid, sizeof(empty_mid), multi_cb, &m), 9);
	assert_string_equal(m.got, "[a]");
}

static void render(uint32_t type, const uint8_t *p, size_t n, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(hive_render_value(type, p, n, &b), 0);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

static void test_render(void **state)
{
	(void)state;
	static const uint8_t dw[] = {0x91, 0, 0, 0};
	static const uint8_t dwbe[] = {0, 0, 0, 0xFF};
	static const uint8_t qw[] = {1, 0, 0, 0, 0, 0, 0, 0x80};
	static const uint8_t sz_ctl[] = {'a', 0, '\n', 0, 'b', 0};
	static const uint8_t ms[] = {'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0};
	uint8_t bin[300];
	memset(bin, 0xAB, sizeof(bin));
	render(HIVE_REG_DWORD, dw, 4, "0x00000091 (145)");
	render(HIVE_REG_DWORD_BE, dwbe, 4, "0x000000ff (255)");
	render(HIVE_REG_DWORD, dw, 3, "91 00 00");	/* short DWORD: raw bytes */
	render(HIVE_REG_QWORD, qw, 8, "0x8000000000000001");
	render(HIVE_REG_SZ, sz_ctl, sizeof(sz_ctl), "a?b");
	render(HIVE_REG_EXPAND_SZ, sz_ctl, 2, "a");
	render(HIVE_REG_MULTI_SZ, ms, sizeof(ms), "a; b");
	render(HIVE_REG_BINARY, bin, 2, "ab ab");
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(hive_render_value(HIVE_REG_BINARY, bin, sizeof(bin), &b), 0);
	assert_int_equal(b.len, 256 * 3 - 1 + 4);	/* 256 bytes then " ..." */
	buf_release(&b);
}

static void test_data_dword(void **state)
{
	(void)state;
	static const uint8_t four[] = {0xFF, 0, 0, 0};
	static const uint8_t sz_hex[] = {'0', 0, 'x', 0, '9', 0, '1', 0, 0, 0};
	static const uint8_t sz_dec[] = {'1', 0, '4', 0, '5', 0};
	static const uint8_t sz_bad[] = {'1', 0, 'q', 0};
	static const uint8_t sz_neg[] = {'-', 0, '1', 0};
	uint32_t v = 0;
	assert_int_equal(hive_data_dword(HIVE_REG_BINARY, four, 4, &v), 0);
	assert_int_equal(v, 0xFF);
	assert_int_equal(hive_data_dword(HIVE_REG_DWORD_BE, four, 4, &v), 0);
	assert_int_equal(v, 0xFF000000u);
	assert_int_equal(hive_data_dword(HIVE_REG_SZ, sz_hex, sizeof(sz_hex), &v), 0);
	assert_int_equal(v, 0x91);
	assert_int_equal(hive_data_dword(HIVE_REG_SZ, sz_dec, sizeof(sz_dec), &v), 0);
	assert_int_equal(v, 145);
	assert_int_equal(hive_data_dword(HIVE_REG_SZ, sz_bad, sizeof(sz_bad), &v), MAMORI_EFORMAT);
	assert_int_equal(hive_data_dword(HIVE_REG_SZ, sz_neg, sizeof(sz_neg), &v), MAMORI_EFORMAT);
	assert_int_equal(hive_data_dword(HIVE_REG_BINARY, four, 3, &v), MAMORI_EFORMAT);
	assert_int_equal(hive_data_dword(HIVE_REG_DWORD, four, 2, &v), MAMORI_EFORMAT);
	assert_int_equal(hive_data_dword(HIVE_REG_QWORD, four, 4, &v), MAMORI_EFORMAT);
}

/* ---- base block ----------------------------------------------------- */

static size_t read_head(const char *path, uint8_t *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t r = read(fd, buf, n);
	close(fd);
	assert_true(r > 0);
	return (size_t)r;
}

static void fix_checksum(uint8_t *h)
{
	uint32_t sum = 0;
	for (int i = 0; i < 127; i++)
		sum ^= (uint32_t)h[i * 4] | (uint32_t)h[i * 4 + 1] << 8 |
		       (uint32_t)h[i * 4 + 2] << 16 | (uint32_t)h[i * 4 + 3] << 24;
	h[508] = (uint8_t)sum;
	h[509] = (uint8_t)(sum >> 8);
	h[510] = (uint8_t)(sum >> 16);
	h[511] = (uint8_t)(sum >> 24);
}

static void test_header(void **state)
{
	(void)state;
	uint8_t h[4096];
	uint32_t s1 = 0, s2 = 0;
	const char *why = NULL;
	size_t n = read_head(SHARED "/data/hives/hivex-minimal", h, sizeof(h));
	assert_int_equal(mamori_hive_header(h, n, &s1, &s2, &why), 0);
	assert_int_equal(s1, 256);
	assert_int_equal(s2, 256);
	assert_null(why);

	h[8] = 0x01;	/* secondary sequence 257 */
	assert_int_equal(mamori_hive_header(h, n, &s1, &s2, &why), MAMORI_EFORMAT);
	assert_string_equal(why, "base block checksum mismatch");
	fix_checksum(h);
	assert_int_equal(mamori_hive_header(h, n, &s1, &s2, &why), 0);
	assert_int_equal(s1, 256);
	assert_int_equal(s2, 257);

	assert_int_equal(mamori_hive_header(h, 511, &s1, &s2, &why), MAMORI_EFORMAT);
	assert_string_equal(why, "shorter than the 512-byte base block");
	assert_int_equal(mamori_hive_header(h, 0, &s1, &s2, NULL), MAMORI_EFORMAT);
	h[0] = 'R';
	assert_int_equal(mamori_hive_header(h, n, &s1, &s2, &why), MAMORI_EFORMAT);
	assert_string_equal(why, "no 'regf' signature");
}

/* ---- random names --------------------------------------------------- */

static void test_random_name(void **state)
{
	(void)state;
	/* DLL names reported for Conficker samples. */
	static const char *const worm[] = {"jwgkvsq", "kwzoubvd", "tgdktu", "hwtwyylt",
					   "wgeqpihd", "xoqgbf", "rsrlgk", "bdnfjeac"};
	/* Readable names that must not fire; and out-of-range shapes. */
	static const char *const human[] = {"netprofile", "wuaueng", "browser", "schedule",
					    "updater", "helper", "monitor", "w32time",
					    "abcd", "averyveryverylongname", "svc_host", "lsass"};
	for (size_t i = 0; i < sizeof(worm) / sizeof(worm[0]); i++)
		if (!hive_random_name(worm[i]))
			fail_msg("not flagged: %s", worm[i]);
	for (size_t i = 0; i < sizeof(human) / sizeof(human[0]); i++)
		if (hive_random_name(human[i]))
			fail_msg("flagged: %s", human[i]);
}

/* ---- discovery ------------------------------------------------------ */

static void touch(const char *root, const char *rel)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

static void test_discover(void **state)
{
	(void)state;
	char root[] = "/tmp/mamori-hive-disc-XXXXXX";
	char p[1024], q[1024];
	struct mamori_hive_report rep;
	assert_non_null(mkdtemp(root));
	touch(root, "WINDOWS/system32/CONFIG/system");
	touch(root, "WINDOWS/system32/CONFIG/Software");
	touch(root, "WINDOWS/system32/CONFIG/sam");
	touch(root, "users/zed/ntuser.dat");
	touch(root, "users/amy/NTUSER.DAT");
	touch(root, "Documents and Settings/Old/NtUser.dat");
	snprintf(p, sizeof(p), "%s/users/nobody/NTUSER.DAT", root);	/* a folder */
	touch(root, "users/nobody/NTUSER.DAT/x");
	snprintf(p, sizeof(p), "%s/users/amy", root);
	snprintf(q, sizeof(q), "%s/users/amy-link", root);	/* junction-like */
	assert_int_equal(symlink(p, q), 0);

	mamori_hive_report_init(&rep);
	assert_int_equal(mamori_hive_discover(root, &rep), 0);
	assert_int_equal(rep.n, 6);
	assert_int_equal(rep.files[0].kind, MAMORI_HIVE_SYSTEM);
	assert_non_null(strstr(rep.files[0].path, "/WINDOWS/system32/CONFIG/system"));
	assert_int_equal(rep.files[1].kind, MAMORI_HIVE_SOFTWARE);
	assert_int_equal(rep.files[2].kind, MAMORI_HIVE_SAM);
	assert_null(rep.files[2].user);
	assert_int_equal(rep.files[3].kind, MAMORI_HIVE_NTUSER);
	assert_string_equal(rep.files[3].user, "amy");
	assert_string_equal(rep.files[4].user, "zed");
	assert_string_equal(rep.files[5].user, "Old");
	assert_non_null(strstr(rep.files[5].path, "Documents and Settings/Old/NtUser.dat"));
	mamori_hive_report_release(&rep);
	mamori_hive_report_release(NULL);

	mamori_hive_report_init(&rep);
	assert_int_equal(mamori_hive_discover("/nonexistent/mamori", &rep), MAMORI_ENOENT);
	snprintf(p, sizeof(p), "%s/WINDOWS/system32/CONFIG/sam", root);
	assert_int_equal(mamori_hive_discover(p, &rep), MAMORI_ENOENT);
	mamori_hive_report_release(&rep);

	char *found = NULL;
	assert_int_equal(mamori_hive_find_path(root, "windows/SYSTEM32/config/SAM", &found), 0);
	assert_non_null(strstr(found, "/WINDOWS/system32/CONFIG/sam"));
	free(found);
	assert_int_equal(mamori_hive_find_path(root, "Windows/System32/netapi32.dll", &found),
			 MAMORI_ENOENT);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

/* ---- open errors ---------------------------------------------------- */

static void test_open_errors(void **state)
{
	(void)state;
	struct mamori_hive_file info;
	char tmp[] = "/tmp/mamori-hive-bad-XXXXXX";
	uint8_t head[3000];
	int fd;

	memset(&info, 0, sizeof(info));
	assert_int_equal(mamori_hive_scan_file("/nonexistent/SYSTEM", MAMORI_HIVE_SYSTEM,
					       collect, NULL, &info), MAMORI_ENOENT);
	assert_non_null(strstr(info.msg, "SYSTEM hive /nonexistent/SYSTEM: cannot open"));

	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	char text[600];
	memset(text, 'x', sizeof(text));
	memcpy(text, "Windows Registry Editor Version 5.00\n", 37);
	assert_int_equal(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	close(fd);
	assert_int_equal(mamori_hive_scan_file(tmp, MAMORI_HIVE_SOFTWARE, collect, NULL, &info),
			 MAMORI_EFORMAT);
	assert_non_null(strstr(info.msg, "SOFTWARE hive"));
	assert_non_null(strstr(info.msg, "no 'regf' signature"));

	/* A hive cut inside its first bin: base block fine, bins not. */
	size_t n = read_head(SHARED "/data/hives/hivex-minimal", head, sizeof(head));
	fd = open(tmp, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, head, n), (ssize_t)n);
	close(fd);
	int rc = mamori_hive_scan_file(tmp, MAMORI_HIVE_NTUSER, collect, NULL, &info);
	assert_true(rc == MAMORI_EFORMAT || (rc == 0 && info.salvaged));
	assert_int_equal(info.err, MAMORI_EFORMAT);
	assert_non_null(strstr(info.msg, "NTUSER.DAT hive"));
	assert_non_null(strstr(info.msg, "corrupt"));
	unlink(tmp);
}

/* ---- control set ---------------------------------------------------- */

static hive_node_h add_path(hive_h *h, const char *path)
{
	hive_node_h node = hivex_root(h);
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", path);
	for (char *save = NULL, *c = strtok_r(copy, "\\", &save); c;
	     c = strtok_r(NULL, "\\", &save)) {
		hive_node_h k = hivex_node_get_child(h, node, c);
		if (!k)
			k = hivex_node_add_child(h, node, c);
		assert_true(k != 0);
		node = k;
	}
	return node;
}

/* Copies hivex-minimal to a temp file and opens it for writing. */
static hive_h *scratch_hive(char *path)
{
	char cmd[600];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod u+w '%s'",
		 SHARED "/data/hives/hivex-minimal", path, path);
	assert_int_equal(system(cmd), 0);
	hive_h *h = hivex_open(path, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	return h;
}

static void test_control_set(void **state)
{
	(void)state;
	char path[] = "/tmp/mamori-hive-cs-XXXXXX";
	char cs[32];
	struct mamori_hive *mh;
	hive_h *h = scratch_hive(path);
	char cur[4] = {3, 0, 0, 0};
	hive_set_value v = {(char *)"Current", hive_t_dword, 4, cur};
	assert_int_equal(hivex_node_set_value(h, add_path(h, "Select"), &v, 0), 0);
	add_path(h, "ControlSet001\\Control");
	add_path(h, "ControlSet003\\Control");
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);

	assert_int_equal(mamori_hive_open(path, "SYSTEM", &mh, NULL), 0);
	assert_int_equal(mamori_hive_control_set(mh, cs, sizeof(cs)), 0);
	assert_string_equal(cs, "ControlSet003");
	assert_true(mamori_hive_has_key(mh, "controlset003\\CONTROL"));
	assert_false(mamori_hive_has_key(mh, "ControlSet002"));
	uint32_t d;
	assert_int_equal(mamori_hive_get_dword(mh, "Select", "Current", &d), 0);
	assert_int_equal(d, 3);
	assert_int_equal(mamori_hive_get_dword(mh, "Select", "Nope", &d), MAMORI_ENOENT);
	assert_int_equal(mamori_hive_get_dword(mh, "Nope\\Key", "Current", &d), MAMORI_ENOENT);
	mamori_hive_close(mh);
	mamori_hive_close(NULL);

	/* Select pointing at a missing set falls back to ControlSet001. */
	h = hivex_open(path, HIVEX_OPEN_WRITE);
	cur[0] = 7;
	assert_int_equal(hivex_node_set_value(h, add_path(h, "Select"), &v, 0), 0);
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);
	assert_int_equal(mamori_hive_open(path, "SYSTEM", &mh, NULL), 0);
	assert_int_equal(mamori_hive_control_set(mh, cs, sizeof(cs)), 0);
	assert_string_equal(cs, "ControlSet001");
	mamori_hive_close(mh);
	unlink(path);
}

/* hivex loses a whole value to one unpaired surrogate; mamori does not. */
static void test_hivex_surrogate(void **state)
{
	(void)state;
	char path[] = "/tmp/mamori-hive-sur-XXXXXX";
	hive_h *h = scratch_hive(path);
	static char data[] = {'C', 0, ':', 0, '\\', 0, 'T', 0, 'e', 0, 'm', 0, 'p', 0,
			      '\\', 0, 0x00, (char)0xD8, 'x', 0, '.', 0, 'e', 0, 'x', 0,
			      'e', 0};
	hive_set_value v = {(char *)"evil", hive_t_string, sizeof(data), data};
	hive_node_h run = add_path(h, "Software\\Microsoft\\Windows\\CurrentVersion\\Run");
	assert_int_equal(hivex_node_set_value(h, run, &v, 0), 0);
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	errno = 0;
	char *s = hivex_value_string(h, hivex_node_get_value(h, run, "evil"));
	assert_null(s);	/* iconv: EILSEQ */
	hivex_close(h);

	struct mamori_hive *mh;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(mamori_hive_open(path, "NTUSER.DAT", &mh, NULL), 0);
	assert_int_equal(mamori_hive_get_string(
				 mh, "Software\\Microsoft\\Windows\\CurrentVersion\\Run",
				 "evil", &b), 0);
	assert_string_equal(buf_str(&b), "C:\\Temp\\\xEF\xBF\xBDx.exe");
	mamori_hive_close(mh);
	buf_release(&b);

	/* ...and the finding still comes out of the scan. */
	struct found fd = {0};
	struct mamori_hive_file info;
	assert_int_equal(mamori_hive_scan_file(path, MAMORI_HIVE_NTUSER, collect, &fd, &info), 0);
	assert_int_equal(info.err, 0);
	assert_int_equal(fd.n, 1);
	assert_string_equal(fd.lines[0], "NTUSER.DAT|generic.registry.autostart_location|"
					 "Software\\Microsoft\\Windows\\CurrentVersion\\Run|evil");
	found_free(&fd);
	unlink(path);
}

/* ---- checks on the built trees -------------------------------------- */

static void test_scan_infected(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	fx_need();
	scan_and_compare("infected", &rep);
	assert_int_equal(rep.n, 4);
	assert_int_equal(rep.corrupt, 0);
	assert_int_equal(rep.dirty, 0);
	mamori_hive_report_release(&rep);
}

static void test_scan_clean(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	fx_need();
	scan_and_compare("clean", &rep);
	assert_int_equal(rep.n, 6);
	assert_int_equal(rep.corrupt, 0);
	/* regipy SECURITY: sequence numbers 107 and 106. */
	assert_int_equal(rep.dirty, 1);
	assert_int_equal(rep.files[3].kind, MAMORI_HIVE_SECURITY);
	assert_true(rep.files[3].dirty);
	assert_int_equal(rep.files[3].seq1, 107);
	assert_int_equal(rep.files[3].seq2, 106);
	mamori_hive_report_release(&rep);
}

static void test_scan_win10_dirty(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	fx_need();
	scan_and_compare("win10", &rep);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.dirty, 2);
	assert_true(rep.files[0].dirty);	/* SYSTEM 4317 / 4316 */
	assert_int_equal(rep.files[0].seq1, 4317);
	assert_int_equal(rep.files[0].seq2, 4316);
	assert_false(rep.files[1].dirty);
	assert_int_equal(rep.files[2].kind, MAMORI_HIVE_NTUSER);
	assert_true(rep.files[2].dirty);	/* transactions NTUSER 567 / 566 */
	assert_int_equal(rep.files[2].seq1, 567);
	assert_int_equal(rep.corrupt, 0);
	mamori_hive_report_release(&rep);
}

static void test_scan_corrupt(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	struct found fd = {0}, alone = {0};
	fx_need();
	mamori_hive_report_init(&rep);
	assert_int_equal(mamori_hive_scan_root(fx_path("corrupt"), collect, &fd, &rep), 0);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.corrupt, 1);
	const struct mamori_hive_file *sys = &rep.files[0];
	assert_int_equal(sys->kind, MAMORI_HIVE_SYSTEM);
	assert_int_equal(sys->err, MAMORI_EFORMAT);
	assert_non_null(strstr(sys->msg, "SYSTEM hive "));
	assert_non_null(strstr(sys->msg, "/corrupt/Windows/System32/config/SYSTEM"));
	assert_non_null(strstr(sys->msg, "hive bin chain broken at offset 106496"));
	/* The rest of the scan went on: SOFTWARE and NTUSER read normally and
	 * the user hive gives what it gives on its own. */
	assert_int_equal(rep.files[1].err, 0);
	assert_int_equal(rep.files[2].err, 0);
	assert_int_equal(mamori_hive_scan_file(fx_path("corrupt/Users/erin/NTUSER.DAT"),
					       MAMORI_HIVE_NTUSER, collect, &alone, NULL), 0);
	assert_int_equal(rep.files[2].findings, alone.n);
	found_free(&fd);
	found_free(&alone);
	mamori_hive_report_release(&rep);
}

static void test_scan_stop(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	struct found fd = {0};
	fx_need();
	fd.stop_with = 42;
	mamori_hive_report_init(&rep);
	assert_int_equal(mamori_hive_scan_root(fx_path("infected"), collect, &fd, &rep), 42);
	assert_int_equal(fd.calls, 1);
	found_free(&fd);
	mamori_hive_report_release(&rep);
}

/* The scanner's per-root hook: one report across roots; NULL context. */
static void test_root_hook(void **state)
{
	(void)state;
	struct mamori_hive_report rep;
	struct found a = {0}, b = {0};
	fx_need();
	mamori_hive_report_init(&rep);
	assert_int_equal(mamori_hive_root_hook(fx_path("win10"), collect, &a, &rep), 0);
	assert_int_equal(mamori_hive_root_hook(fx_path("corrupt"), collect, &a, &rep), 0);
	assert_int_equal(rep.n, 6);
	assert_int_equal(rep.dirty, 2);
	assert_int_equal(rep.corrupt, 1);
	assert_int_equal(rep.findings, a.n);
	assert_int_equal(rep.files[3].kind, MAMORI_HIVE_SYSTEM);
	assert_int_equal(rep.files[3].err, MAMORI_EFORMAT);
	mamori_hive_report_release(&rep);
	assert_int_equal(mamori_hive_root_hook(fx_path("corrupt"), collect, &b, NULL),
			 MAMORI_EFORMAT);
	assert_int_equal(mamori_hive_root_hook(fx_path("clean"), collect, &b, NULL), 0);
	found_free(&a);
	found_free(&b);
}

/* Every service of the two real SYSTEM hives, all made netsvcs members:
 * none may be taken for Conficker. */
struct names {
	char **v;
	size_t n;
	size_t flagged;	/* stems hive_random_name flags (informational) */
};

static void real_services(const char *system, struct names *nm)
{
	hive_h *h = hivex_open(system, 0);
	assert_non_null(h);
	hive_node_h svcs = hivex_node_get_child(h, hivex_node_get_child(h, hivex_root(h),
								  "ControlSet001"), "Services");
	assert_true(svcs != 0);
	hive_node_h *kids = hivex_node_children(h, svcs);
	assert_non_null(kids);
	for (size_t i = 0; kids[i]; i++) {
		char *name = hivex_node_name(h, kids[i]);
		nm->v = realloc(nm->v, (nm->n + 1) * sizeof(*nm->v));
		nm->v[nm->n++] = name;
	}
	free(kids);
	hivex_close(h);
}

static void test_real_services_not_conficker(void **state)
{
	(void)state;
	static const char *const systems[] = {"src/SYSTEM", "src/SYSTEM_WIN_10_1709"};
	fx_need();
	for (size_t s = 0; s < 2; s++) {
		struct names nm = {0};
		char root[] = "/tmp/mamori-hive-ns-XXXXXX";
		char sw[600], cmd[1400];
		real_services(fx_path(systems[s]), &nm);
		assert_true(nm.n > 300);
		assert_non_null(mkdtemp(root));
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/Windows/System32/config' && "
			 "ln -s '%s' '%s/Windows/System32/config/SYSTEM'",
			 root, fx_path(systems[s]), root);
		assert_int_equal(system(cmd), 0);
		snprintf(sw, sizeof(sw), "%s/Windows/System32/config/SOFTWARE", root);
		/* SOFTWARE whose netsvcs lists every service name. */
		size_t len = 2;
		for (size_t i = 0; i < nm.n; i++)
			len += (strlen(nm.v[i]) + 1) * 2;
		char *ms = calloc(1, len), *p = ms;
		for (size_t i = 0; i < nm.n; i++) {
			for (const char *c = nm.v[i]; *c; c++, p += 2)
				*p = *c;
			p += 2;
		}
		char tmpl[] = "/tmp/mamori-hive-sw-XXXXXX";
		hive_h *h = scratch_hive(tmpl);
		hive_set_value v = {(char *)"netsvcs", hive_t_multiple_strings, len, ms};
		assert_int_equal(hivex_node_set_value(
					 h, add_path(h, "Microsoft\\Windows NT\\CurrentVersion\\Svchost"),
					 &v, 0), 0);
		assert_int_equal(hivex_commit(h, sw, 0), 0);
		hivex_close(h);
		unlink(tmpl);
		free(ms);

		struct found fd = {0};
		struct mamori_hive_report rep;
		mamori_hive_report_init(&rep);
		assert_int_equal(mamori_hive_scan_root(root, collect, &fd, &rep), 0);
		assert_int_equal(rep.n, 2);
		for (size_t i = 0; i < fd.n; i++)
			if (strstr(fd.lines[i], "netsvcs_random_dll"))
				fail_msg("genuine service taken for Conficker: %s", fd.lines[i]);
		for (size_t i = 0; i < nm.n; i++) {
			nm.flagged += hive_random_name(nm.v[i]);
			free(nm.v[i]);
		}
		print_message("%s: %zu services, %zu names look random on their own, "
			      "0 reported\n", systems[s], nm.n, nm.flagged);
		free(nm.v);
		found_free(&fd);
		mamori_hive_report_release(&rep);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

/* ---- fixtures ------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	char cmd[1200];
	snprintf(fx, sizeof(fx), "/tmp/mamori-hive-fx-XXXXXX");
	if (!mkdtemp(fx))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/fixtures/hive/build.sh' '%s' '%s' > '%s/build.log' 2>&1",
		 SRCDIR, fx, SHARED, fx);
	int st = system(cmd);
	fx_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (fx_status != 0 && fx_status != 77) {
		snprintf(cmd, sizeof(cmd), "cat '%s/build.log' >&2", fx);
		(void)!system(cmd);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_utf16_cap),
		cmocka_unit_test(test_multi_sz),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_data_dword),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_random_name),
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_control_set),
		cmocka_unit_test(test_hivex_surrogate),
		cmocka_unit_test(test_scan_infected),
		cmocka_unit_test(test_scan_clean),
		cmocka_unit_test(test_scan_win10_dirty),
		cmocka_unit_test(test_scan_corrupt),
		cmocka_unit_test(test_scan_stop),
		cmocka_unit_test(test_root_hook),
		cmocka_unit_test(test_real_services_not_conficker),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
