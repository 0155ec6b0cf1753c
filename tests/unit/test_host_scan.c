/*
 * Unit tests for the host scanner core (src/host/walk.c) and the analyzers
 * that need a tree: IOC lists (globs, regexes, false-positive filters,
 * Windows path semantics, bad lines), hash IOCs, the PE checks' evidence
 * combinations, RECYCLER SIDs, .job and autorun.inf through the walk,
 * symlinks/special files/oversized files, root hooks, early stop, and
 * thread-count independence.  Trees are created under BUILDDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/host.h"
#include "host/host_int.h"
#include "test_host_pe_build.h"

static char tmp[512];

struct got {
	char path[64][256];
	char ind[64][96];
	char fam[64][32];
	int sev[64];
	int n;
	int errors, limits, formats;
	int stop_after;
	char hook_root[512];
	int hook_calls;
};

static int on_finding(const struct mamori_finding *f, void *ctx)
{
	struct got *g = ctx;
	if (g->n < 64) {
		const char *rel = strstr(f->path, tmp) == f->path ? f->path + strlen(tmp) : f->path;
		snprintf(g->path[g->n], sizeof(g->path[0]), "%s", rel);
		snprintf(g->ind[g->n], sizeof(g->ind[0]), "%s", f->indicator);
		snprintf(g->fam[g->n], sizeof(g->fam[0]), "%s", f->family);
		g->sev[g->n] = (int)f->severity;
		g->n++;
	}
	return g->stop_after && g->n >= g->stop_after;
}

static void on_error(const char *path, int err, int sys_errno, const char *what, void *ctx)
{
	(void)path;
	(void)sys_errno;
	(void)what;
	struct got *g = ctx;
	if (err == MAMORI_ELIMIT)
		g->limits++;
	else if (err == MAMORI_EFORMAT)
		g->formats++;
	else
		g->errors++;
}

/* Was indicator reported for the path ending in suffix? */
static int has(const struct got *g, const char *suffix, const char *ind)
{
	size_t sl = strlen(suffix);
	for (int i = 0; i < g->n; i++) {
		size_t pl = strlen(g->path[i]);
		if (pl >= sl && !strcmp(g->path[i] + pl - sl, suffix) && !strcmp(g->ind[i], ind))
			return 1;
	}
	return 0;
}

static void put(const char *rel, const void *data, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *s = path + strlen(tmp) + 1; *s; s++) {
		if (*s == '/') {
			*s = 0;
			mkdir(path, 0755);
			*s = '/';
		}
	}
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void puts_file(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static int rm_rf(const char *p)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	return system(cmd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/test_host_scan_XXXXXX", BUILDDIR);
	if (!mkdtemp(tmp)) {
		snprintf(tmp, sizeof(tmp), "/tmp/test_host_scan_XXXXXX");
		if (!mkdtemp(tmp))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmp) == 0 ? 0 : -1;
}

static int run(struct got *g, const char *ioc_dir, unsigned threads, uint64_t maxsize,
	       struct mamori_host_stats *st)
{
	const char *iocs[1] = {ioc_dir};
	struct mamori_host_opts o = {
		.threads = threads,
		.max_filesize = maxsize,
		.no_builtin = true,
		.ioc_dirs = iocs,
		.n_ioc_dirs = ioc_dir ? 1 : 0,
	};
	struct mamori_host_scanner *sc = NULL;
	struct mamori_diag d = {0};
	int rc = mamori_host_scanner_new(&o, &sc, &d);
	if (rc < 0)
		return rc;
	char root[600];
	snprintf(root, sizeof(root), "%s/tree", tmp);
	const char *roots[] = {root};
	struct mamori_host_callbacks cb = {on_finding, on_error, NULL, g};
	rc = mamori_host_scan(sc, roots, 1, &cb, st);
	mamori_host_scanner_free(sc);
	return rc;
}

static void test_ioc_lists(void **state)
{
	(void)state;
	puts_file("ioc/a.txt",
		  "# comment\n\n"
		  "name ; MSSECMGR.OCX ; Flame ; 90 ; ; test source\n"
		  "path ; *\\Windows\\asam.exe ; storm ; 80 ; ; test source\n"
		  "name-re ; ^~dra5[0-9]\\.tmp$ ; flame ; 60 ; ; test source\n"
		  "path-re ; /tasks/evil[0-9]+\\.job$ ; conficker ; 40 ; ; test source\n"
		  "name ; *.scr ; generic ; 20 ; /program files/ ; screen savers outside Program Files\n");
	puts_file("ioc/ignored.md", "not a list\n");
	puts_file("tree/WINDOWS/System32/MsSecMgr.ocx", "x");
	puts_file("tree/windows/ASAM.EXE", "x");
	puts_file("tree/WINDOWS/Temp/~DRA53.TMP", "x");
	puts_file("tree/WINDOWS/Tasks/Evil12.job", "not a job");
	puts_file("tree/Program Files/x/nice.scr", "x");
	puts_file("tree/Users/u/bad.scr", "x");
	puts_file("tree/asam.exe", "x");	/* not in Windows: no path match */
	char ioc[600];
	snprintf(ioc, sizeof(ioc), "%s/ioc", tmp);
	struct got g = {0};
	struct mamori_host_stats st;
	assert_int_equal(run(&g, ioc, 2, 0, &st), 0);
	assert_true(has(&g, "/MsSecMgr.ocx", "flame.ioc.name"));
	assert_true(has(&g, "/windows/ASAM.EXE", "storm.ioc.path"));
	assert_true(has(&g, "/~DRA53.TMP", "flame.ioc.name"));
	assert_true(has(&g, "/Evil12.job", "conficker.ioc.path"));
	assert_true(has(&g, "/Users/u/bad.scr", "generic.ioc.name"));
	assert_false(has(&g, "/nice.scr", "generic.ioc.name"));
	assert_false(has(&g, "tree/asam.exe", "storm.ioc.path"));
	assert_int_equal(st.ioc_entries, 5);
	assert_int_equal(st.hash_entries, 0);
	assert_int_equal(st.files, 7);
	assert_int_equal(g.formats, 1);	/* Evil12.job is not a .job file */
	for (int i = 0; i < g.n; i++)
		if (!strcmp(g.ind[i], "flame.ioc.name") && strstr(g.path[i], "MsSecMgr"))
			assert_int_equal(g.sev[i], MAMORI_SEV_HIGH);
	rm_rf(ioc);
	char tree[600];
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	rm_rf(tree);
}

static void test_bad_ioc_lines(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"name ; x ; flame ; 90 ;  source missing fields\n",
		"nom ; x ; flame ; 90 ; ; src\n",
		"name ; x ; flame ; 101 ; ; src\n",
		"name ; x ; flame ; -1 ; ; src\n",
		"name ; x ; flame ; 9x ; ; src\n",
		"name-re ; ([ ; flame ; 9 ; ; src\n",
		"name ; x ; flame ; 9 ; (( ; src\n",
		"sha256 ; abcd ; flame ; 9 ; ; src\n",
		"md5 ; zz112233445566778899aabbccddeeff ; flame ; 9 ; ; src\n",
		"name ;  ; flame ; 9 ; ; src\n",
		"name ; x ; flame ; 9 ; ; \n",
	};
	char ioc[600], file[700];
	snprintf(ioc, sizeof(ioc), "%s/badioc", tmp);
	snprintf(file, sizeof(file), "%s/badioc/l.txt", tmp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[300];
		snprintf(text, sizeof(text), "# header\nname ; ok ; generic ; 5 ; ; fine\n%s", bad[i]);
		puts_file("badioc/l.txt", text);
		const char *iocs[] = {ioc};
		struct mamori_host_opts o = {.no_builtin = true, .ioc_dirs = iocs, .n_ioc_dirs = 1};
		struct mamori_host_scanner *sc = NULL;
		struct mamori_diag d = {0};
		int rc = mamori_host_scanner_new(&o, &sc, &d);
		if (rc == 0)
			fail_msg("line accepted: %s", bad[i]);
		assert_null(sc);
		assert_int_equal(d.line, 3);
		assert_non_null(d.file);
		assert_non_null(strstr(d.file, "l.txt"));
		assert_true(d.msg[0] != 0);
	}
	/* a folder named with --ioc must exist */
	const char *missing[] = {"/nonexistent/mamori/ioc"};
	struct mamori_host_opts o = {.no_builtin = true, .ioc_dirs = missing, .n_ioc_dirs = 1};
	struct mamori_host_scanner *sc = NULL;
	assert_int_equal(mamori_host_scanner_new(&o, &sc, NULL), MAMORI_EIO);
	rm_rf(ioc);
}

static void test_hashes(void **state)
{
	(void)state;
	char text[600], sha[65], md5[33];
	assert_int_equal(host_digest_hex("sha256", (const uint8_t *)"evil", 4, sha), 0);
	assert_int_equal(host_digest_hex("md5", (const uint8_t *)"", 0, md5), 0);
	assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
	for (char *c = sha; *c; c++)	/* lists may use upper case */
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 32);
	snprintf(text, sizeof(text),
		 "sha256 ; %s ; conficker ; 95 ; ; test\nmd5 ; %s ; generic ; 10 ; ; empty file\n",
		 sha, md5);
	puts_file("hioc/h.txt", text);
	puts_file("tree/a/evil.bin", "evil");
	puts_file("tree/a/good.bin", "good");
	put("tree/empty", "", 0);
	char ioc[600];
	snprintf(ioc, sizeof(ioc), "%s/hioc", tmp);
	struct got g = {0};
	struct mamori_host_stats st;
	assert_int_equal(run(&g, ioc, 1, 0, &st), 0);
	assert_int_equal(st.hash_entries, 2);
	assert_true(has(&g, "/evil.bin", "conficker.ioc.hash"));
	assert_true(has(&g, "/empty", "generic.ioc.hash"));
	assert_false(has(&g, "/good.bin", "conficker.ioc.hash"));
	assert_int_equal(g.n, 2);
	rm_rf(ioc);
	char tree[600];
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	rm_rf(tree);
}

static void test_pe_checks(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	struct tpe_opts ms = {.header_ts = 1290211200u, .export_ts = 1290211200u, .dll = 1,
			      .company = "Microsoft Corporation", .original_name = "msver.dll"};
	size_t n = tpe_build(img, &ms);
	/* genuine-looking: system32, own name, small, unsigned -> nothing */
	put("tree/WINDOWS/system32/msver.dll", img, n);
	put("tree/Program Files/App/msver.dll", img, n);
	/* same bytes in a temp folder, or renamed -> fake_microsoft */
	put("tree/WINDOWS/Temp/msver.dll", img, n);
	put("tree/WINDOWS/system32/other.dll", img, n);
	put("tree/stray/msver.dll", img, n);
	/* signed: never fake_microsoft */
	ms.signature = 1;
	n = tpe_build(img, &ms);
	put("tree/stray/signed/msver.dll", img, n);
	/* not claiming Microsoft */
	struct tpe_opts ex = ms;
	ex.signature = 0;
	ex.company = "Example Corp";
	n = tpe_build(img, &ex);
	put("tree/stray/example/msver.dll", img, n);
	/* DLL behind .vmx / no extension; EXE behind .vmx is fine */
	put("tree/RECYCLED/x.vmx", img, n);
	put("tree/data/noext", img, n);
	ex.dll = 0;
	n = tpe_build(img, &ex);
	put("tree/data/prog.vmx", img, n);
	/* timestamps: 1994 header under a 2011 export table; 2 years apart is fine */
	struct tpe_opts ts = ex;
	ts.dll = 1;
	ts.header_ts = 769392000u;
	ts.export_ts = 1314835200u;
	n = tpe_build(img, &ts);
	put("tree/data/flame.dll", img, n);
	ts.header_ts = 1314835200u - 2u * 365u * 86400u;
	n = tpe_build(img, &ts);
	put("tree/data/recent.dll", img, n);
	ts.header_ts = 769392000u;
	ts.export_ts = 0xffffffffu;	/* reproducible-build marker */
	n = tpe_build(img, &ts);
	put("tree/data/repro.dll", img, n);

	struct got g = {0};
	struct mamori_host_stats st;
	assert_int_equal(run(&g, NULL, 3, 0, &st), 0);
	assert_false(has(&g, "/WINDOWS/system32/msver.dll", "flame.pe.fake_microsoft"));
	assert_false(has(&g, "/Program Files/App/msver.dll", "flame.pe.fake_microsoft"));
	assert_true(has(&g, "/WINDOWS/Temp/msver.dll", "flame.pe.fake_microsoft"));
	assert_true(has(&g, "/WINDOWS/system32/other.dll", "flame.pe.fake_microsoft"));
	assert_true(has(&g, "tree/stray/msver.dll", "flame.pe.fake_microsoft"));
	assert_false(has(&g, "/signed/msver.dll", "flame.pe.fake_microsoft"));
	assert_false(has(&g, "/example/msver.dll", "flame.pe.fake_microsoft"));
	assert_true(has(&g, "/RECYCLED/x.vmx", "conficker.pe.dll_disguised"));
	assert_true(has(&g, "/data/noext", "conficker.pe.dll_disguised"));
	assert_false(has(&g, "/data/prog.vmx", "conficker.pe.dll_disguised"));
	assert_true(has(&g, "/data/flame.dll", "flame.pe.export_timestamp"));
	assert_false(has(&g, "/data/recent.dll", "flame.pe.export_timestamp"));
	assert_false(has(&g, "/data/repro.dll", "flame.pe.export_timestamp"));
	for (int i = 0; i < g.n; i++)
		assert_true(strstr(g.ind[i], ".pe.") != NULL);
	char tree[600];
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	rm_rf(tree);
}

static void test_recycler_job_autorun(void **state)
{
	(void)state;
	static uint8_t img[TPE_MAX];
	struct tpe_opts o = {.header_ts = 1290211200u, .export_ts = 1290211200u};
	size_t n = tpe_build(img, &o);
	put("tree/RECYCLER/S-5-3-42-2819952290-8240758988-879315005-3665/a.exe", img, n);
	put("tree/RECYCLER/S-1-5-21-1-2-3-1000/Dc1.exe", img, n);
	put("tree/$Recycle.Bin/S-1-5-21-1004336348-1177238915-682003330-1001/$R1.exe", img, n);
	put("tree/$RECYCLE.BIN/S-1-99999999999999999-1/x.exe", img, n);
	put("tree/$RECYCLE.BIN/S-1-5-4294967296/y.exe", img, n);
	put("tree/$RECYCLE.BIN/S-1-5-21-/z.exe", img, n);
	put("tree/$RECYCLE.BIN/notasid/readme.txt", "x", 1);
	put("tree/$RECYCLE.BIN/s-1-5-21/direct.exe", img, n);
	put("tree/RECYCLER/top.exe", img, n);
	puts_file("tree/USB/AUTORUN.INF",
		  "[autorun]\r\nopen=setup.exe\r\nshell\\install\\command=rundll32 \"C:\\x y\\z.dll\",Go\r\n");
	puts_file("tree/USB2/autorun.inf", "[autorun]\nopen=RECYCLER\\S-1\\a.exe\n");
	puts_file("tree/USB3/autorun.inf", "[autorun]\nicon=a.ico\n");

	struct got g = {0};
	struct mamori_host_stats st;
	assert_int_equal(run(&g, NULL, 2, 0, &st), 0);
	assert_true(has(&g, "/S-5-3-42-2819952290-8240758988-879315005-3665/a.exe",
			"conficker.recycler.malformed_sid"));
	assert_true(has(&g, "/S-1-99999999999999999-1/x.exe", "conficker.recycler.malformed_sid"));
	assert_true(has(&g, "/S-1-5-4294967296/y.exe", "conficker.recycler.malformed_sid"));
	assert_true(has(&g, "/S-1-5-21-/z.exe", "conficker.recycler.malformed_sid"));
	assert_false(has(&g, "/Dc1.exe", "conficker.recycler.malformed_sid"));
	assert_false(has(&g, "/$R1.exe", "conficker.recycler.malformed_sid"));
	assert_false(has(&g, "/readme.txt", "conficker.recycler.malformed_sid"));
	assert_false(has(&g, "/direct.exe", "conficker.recycler.malformed_sid"));
	assert_false(has(&g, "/top.exe", "conficker.recycler.malformed_sid"));
	assert_true(has(&g, "/USB/AUTORUN.INF", "conficker.autorun.rundll32"));
	assert_false(has(&g, "/USB/AUTORUN.INF", "conficker.autorun.recycler"));
	assert_true(has(&g, "/USB2/autorun.inf", "conficker.autorun.recycler"));
	assert_false(has(&g, "/USB2/autorun.inf", "conficker.autorun.rundll32"));
	assert_false(has(&g, "/USB3/autorun.inf", "conficker.autorun.rundll32"));
	assert_false(has(&g, "/USB/AUTORUN.INF", "generic.autorun.obfuscated"));
	char tree[600];
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	rm_rf(tree);
}

static void test_random_names(void **state)
{
	(void)state;
	assert_true(host_name_random("jwgkvsq.dll"));
	assert_true(host_name_random("xbwkvtq"));
	assert_false(host_name_random("ctfmon.exe"));
	assert_false(host_name_random("schtasks.exe"));
	assert_false(host_name_random("netapi32.dll"));
	assert_false(host_name_random("shell32.dll"));
	assert_false(host_name_random("svchost.exe"));
	assert_false(host_name_random("abc"));
	assert_false(host_name_random(""));
}

static void test_special_files(void **state)
{
	(void)state;
	char p[700], q[700];
	puts_file("tree/real/mssecmgr.ocx", "x");
	puts_file("tree/big.bin", "0123456789abcdef0123456789abcdef!");
	snprintf(p, sizeof(p), "%s/tree/fifo", tmp);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/tree/link-to-real", tmp);
	snprintf(q, sizeof(q), "%s/tree/real", tmp);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/tree/loop", tmp);
	assert_int_equal(symlink(p, p), 0);
	snprintf(p, sizeof(p), "%s/tree/file-link", tmp);
	snprintf(q, sizeof(q), "%s/tree/real/mssecmgr.ocx", tmp);
	assert_int_equal(symlink(q, p), 0);
	puts_file("ioc2/f.txt", "name ; mssecmgr.ocx ; flame ; 90 ; ; t\nname ; file-link ; flame ; 90 ; ; t\n");
	char ioc[600];
	snprintf(ioc, sizeof(ioc), "%s/ioc2", tmp);
	struct got g = {0};
	struct mamori_host_stats st;
	assert_int_equal(run(&g, ioc, 4, 32, &st), 0);
	/* found once: the symlinked folder and file are not followed */
	assert_int_equal(g.n, 1);
	assert_true(has(&g, "tree/real/mssecmgr.ocx", "flame.ioc.name"));
	assert_int_equal(st.files, 1);
	assert_int_equal(g.limits, 1);	/* big.bin over 32 bytes */
	assert_int_equal(st.skipped, 5);	/* fifo, 3 symlinks, big.bin */
	assert_int_equal(g.errors, 0);
	rm_rf(ioc);
	char tree[600];
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	rm_rf(tree);
}

static int hook(const char *root, mamori_finding_fn emit, void *emit_ctx, void *hook_ctx)
{
	struct got *g = hook_ctx;
	snprintf(g->hook_root, sizeof(g->hook_root), "%s", root);
	g->hook_calls++;
	struct mamori_finding f = {.kind = "registry", .path = root, .family = "conficker",
				   .indicator = "conficker.hook.test", .severity = MAMORI_SEV_LOW};
	return emit(&f, emit_ctx);
}

static void test_hooks_stop_threads(void **state)
{
	(void)state;
	for (int i = 0; i < 40; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "tree/d%d/sub/mssecmgr.ocx", i % 7);
		if (i >= 7)
			snprintf(rel, sizeof(rel), "tree/d%d/f%d.txt", i % 7, i);
		puts_file(rel, "x");
	}
	puts_file("ioc3/f.txt", "name ; mssecmgr.ocx ; flame ; 90 ; ; t\n");
	char ioc[600], root[600];
	snprintf(ioc, sizeof(ioc), "%s/ioc3", tmp);
	snprintf(root, sizeof(root), "%s/tree", tmp);
	const char *iocs[] = {ioc};
	const char *roots[] = {root, "/nonexistent/mamori/root"};
	int counts[3];
	unsigned threads[3] = {1, 4, 32};
	for (int t = 0; t < 3; t++) {
		struct mamori_host_opts o = {.threads = threads[t], .no_builtin = true,
					     .ioc_dirs = iocs, .n_ioc_dirs = 1};
		struct mamori_host_scanner *sc = NULL;
		assert_int_equal(mamori_host_scanner_new(&o, &sc, NULL), 0);
		struct got g = {0};
		assert_int_equal(mamori_host_add_root_hook(sc, hook, &g), 0);
		struct mamori_host_callbacks cb = {on_finding, on_error, NULL, &g};
		struct mamori_host_stats st;
		assert_int_equal(mamori_host_scan(sc, roots, 2, &cb, &st), 0);
		assert_int_equal(g.hook_calls, 1);	/* not for the missing root */
		assert_string_equal(g.hook_root, root);
		assert_int_equal(g.errors, 1);	/* the missing root */
		assert_int_equal(st.errors, 1);
		assert_int_equal(st.files, 40);
		assert_int_equal(st.findings, (uint64_t)g.n);
		counts[t] = g.n;
		mamori_host_scanner_free(sc);
	}
	assert_int_equal(counts[0], 7 + 1);
	assert_int_equal(counts[1], counts[0]);
	assert_int_equal(counts[2], counts[0]);

	/* the finding callback can stop the scan */
	struct mamori_host_opts o = {.threads = 3, .no_builtin = true, .ioc_dirs = iocs,
				     .n_ioc_dirs = 1};
	struct mamori_host_scanner *sc = NULL;
	assert_int_equal(mamori_host_scanner_new(&o, &sc, NULL), 0);
	struct got g = {.stop_after = 2};
	struct mamori_host_callbacks cb = {on_finding, on_error, NULL, &g};
	assert_int_equal(mamori_host_scan(sc, roots, 1, &cb, NULL), MAMORI_ESTATE);
	assert_int_equal(g.n, 2);
	assert_int_equal(mamori_host_add_root_hook(sc, NULL, NULL), MAMORI_EINVAL);
	for (int i = 0; i < HOST_MAX_ROOT_HOOKS; i++)
		assert_int_equal(mamori_host_add_root_hook(sc, hook, &g), 0);
	assert_int_equal(mamori_host_add_root_hook(sc, hook, &g), MAMORI_ELIMIT);
	assert_int_equal(mamori_host_scan(sc, roots, 1, NULL, NULL), MAMORI_EINVAL);
	mamori_host_scanner_free(sc);
	mamori_host_scanner_free(NULL);
	rm_rf(ioc);
	rm_rf(root);
}

static void test_match_path(void **state)
{
	(void)state;
	char d[32];
	assert_true(mamori_host_match_path("/WINDOWS\\System32//X.DLL", d, sizeof(d)));
	assert_string_equal(d, "/windows/system32/x.dll");
	assert_true(mamori_host_match_path("a", d, sizeof(d)));
	assert_string_equal(d, "/a");
	assert_false(mamori_host_match_path("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", d, sizeof(d)));
	assert_false(mamori_host_match_path("a", d, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioc_lists),
		cmocka_unit_test(test_bad_ioc_lines),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_pe_checks),
		cmocka_unit_test(test_recycler_job_autorun),
		cmocka_unit_test(test_random_names),
		cmocka_unit_test(test_special_files),
		cmocka_unit_test(test_hooks_stop_threads),
		cmocka_unit_test(test_match_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
