/*
 * Unit tests of src/audit: the MS08-067 verdict table (every branch's
 * first fixed build, one build below it, LDR branches, releases before and
 * after the table) and the whole audit on the volumes built by
 * tests/fixtures/hive/build.sh.  The netapi32.dll file reading is tested
 * end to end with mingw-built DLLs in tests/sh/audit_ms08067.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "mamori/mamori.h"

static char fx[256];
static int fx_status = -1;

static void fx_need(void)
{
	if (fx_status == 77) {
		print_message("SKIP: fixture builder skipped (hivexregedit or xz missing)\n");
		skip();
	}
	assert_int_equal(fx_status, 0);
}

/* ---- MS08-067 table ------------------------------------------------- */

static const struct {
	uint16_t v[4];
	unsigned win_major, win_minor;	/* registry; 0 = unknown */
	enum mamori_audit_status want;
	const char *detail_has;
} cases[] = {
	/* Windows 2000 SP4 */
	{{5, 0, 2195, 7202}, 5, 0, MAMORI_AUDIT_FAIL, "Windows 2000 SP4"},
	{{5, 0, 2195, 7203}, 5, 0, MAMORI_AUDIT_PASS, "5.0.2195.7203"},
	{{5, 0, 2195, 7204}, 0, 0, MAMORI_AUDIT_PASS, NULL},
	/* XP SP2 (and SP1/RTM files, older than any SP2 fix) */
	{{5, 1, 2600, 3461}, 5, 1, MAMORI_AUDIT_FAIL, "Windows XP SP2"},
	{{5, 1, 2600, 3462}, 5, 1, MAMORI_AUDIT_PASS, NULL},
	{{5, 1, 2600, 3463}, 5, 1, MAMORI_AUDIT_PASS, NULL},
	{{5, 1, 2600, 2180}, 5, 1, MAMORI_AUDIT_FAIL, NULL},
	{{5, 1, 2600, 1106}, 5, 1, MAMORI_AUDIT_FAIL, NULL},
	/* XP SP3 */
	{{5, 1, 2600, 5512}, 5, 1, MAMORI_AUDIT_FAIL, "Windows XP SP3"},
	{{5, 1, 2600, 5693}, 5, 1, MAMORI_AUDIT_FAIL, "5.1.2600.5694"},
	{{5, 1, 2600, 5694}, 5, 1, MAMORI_AUDIT_PASS, NULL},
	{{5, 1, 2600, 6058}, 5, 1, MAMORI_AUDIT_PASS, NULL},
	/* Server 2003 SP1 / SP2 */
	{{5, 2, 3790, 3228}, 5, 2, MAMORI_AUDIT_FAIL, "Server 2003 SP1"},
	{{5, 2, 3790, 3229}, 5, 2, MAMORI_AUDIT_PASS, NULL},
	{{5, 2, 3790, 1830}, 5, 2, MAMORI_AUDIT_FAIL, NULL},
	{{5, 2, 3790, 4391}, 5, 2, MAMORI_AUDIT_FAIL, "Server 2003 SP2"},
	{{5, 2, 3790, 4392}, 5, 2, MAMORI_AUDIT_PASS, NULL},
	/* Vista RTM: GDR and LDR */
	{{6, 0, 6000, 16763}, 6, 0, MAMORI_AUDIT_FAIL, "Vista RTM (GDR)"},
	{{6, 0, 6000, 16764}, 6, 0, MAMORI_AUDIT_PASS, NULL},
	{{6, 0, 6000, 20000}, 6, 0, MAMORI_AUDIT_FAIL, "Vista RTM (LDR)"},
	{{6, 0, 6000, 20936}, 6, 0, MAMORI_AUDIT_FAIL, "6.0.6000.20937"},
	{{6, 0, 6000, 20937}, 6, 0, MAMORI_AUDIT_PASS, NULL},
	{{6, 0, 6000, 21000}, 6, 0, MAMORI_AUDIT_PASS, NULL},
	/* Vista SP1 / Server 2008: GDR and LDR */
	{{6, 0, 6001, 18156}, 6, 0, MAMORI_AUDIT_FAIL, "Server 2008 (GDR)"},
	{{6, 0, 6001, 18157}, 6, 0, MAMORI_AUDIT_PASS, NULL},
	{{6, 0, 6001, 18000}, 6, 0, MAMORI_AUDIT_FAIL, NULL},
	{{6, 0, 6001, 22287}, 6, 0, MAMORI_AUDIT_FAIL, "Server 2008 (LDR)"},
	{{6, 0, 6001, 22288}, 6, 0, MAMORI_AUDIT_PASS, NULL},
	{{6, 0, 6001, 22100}, 6, 0, MAMORI_AUDIT_FAIL, NULL},
	/* Later releases */
	{{6, 0, 6002, 18005}, 6, 0, MAMORI_AUDIT_PASS, "after every affected"},
	{{6, 1, 7600, 16385}, 0, 0, MAMORI_AUDIT_PASS, "after every affected"},
	{{6, 1, 7601, 17514}, 6, 1, MAMORI_AUDIT_PASS, "not affected"},
	{{10, 0, 16299, 15}, 10, 0, MAMORI_AUDIT_PASS, "not affected"},
	/* Windows 7 per registry: not affected whatever the file says */
	{{5, 1, 2600, 1000}, 6, 1, MAMORI_AUDIT_PASS, "Windows 7 or later"},
	/* Older than the table / not in it */
	{{4, 0, 1381, 7000}, 4, 0, MAMORI_AUDIT_FAIL, "no fix exists"},
	{{5, 1, 2505, 1}, 5, 1, MAMORI_AUDIT_UNKNOWN, "not a release in the"},
	{{5, 2, 3791, 1}, 0, 0, MAMORI_AUDIT_UNKNOWN, NULL},
};

static void test_ms08067_table(void **state)
{
	(void)state;
	char detail[384];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mamori_audit_status st = mamori_audit_ms08067(
			cases[i].v, cases[i].win_major, cases[i].win_minor, detail,
			sizeof(detail));
		if (st != cases[i].want)
			fail_msg("%u.%u.%u.%u (win %u.%u): %s, want %s (%s)", cases[i].v[0],
				 cases[i].v[1], cases[i].v[2], cases[i].v[3], cases[i].win_major,
				 cases[i].win_minor, mamori_audit_status_name(st),
				 mamori_audit_status_name(cases[i].want), detail);
		if (cases[i].detail_has && !strstr(detail, cases[i].detail_has))
			fail_msg("%u.%u.%u.%u: detail '%s' lacks '%s'", cases[i].v[0],
				 cases[i].v[1], cases[i].v[2], cases[i].v[3], detail,
				 cases[i].detail_has);
	}
}

static void test_ms08067_no_file(void **state)
{
	(void)state;
	char d[384];
	assert_int_equal(mamori_audit_ms08067(NULL, 5, 1, d, sizeof(d)), MAMORI_AUDIT_UNKNOWN);
	assert_non_null(strstr(d, "netapi32.dll not found"));
	assert_int_equal(mamori_audit_ms08067(NULL, 0, 0, d, sizeof(d)), MAMORI_AUDIT_UNKNOWN);
	assert_int_equal(mamori_audit_ms08067(NULL, 6, 1, d, sizeof(d)), MAMORI_AUDIT_PASS);
	assert_int_equal(mamori_audit_ms08067(NULL, 10, 0, d, sizeof(d)), MAMORI_AUDIT_PASS);
	assert_int_equal(mamori_audit_ms08067(NULL, 6, 0, d, sizeof(d)), MAMORI_AUDIT_UNKNOWN);
	assert_string_equal(mamori_audit_status_name(MAMORI_AUDIT_FAIL), "FAIL");
}

/* ---- whole audit ---------------------------------------------------- */

static const struct mamori_audit_check *find(const struct mamori_audit_result *r,
					     const char *id, const char *subject)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->checks[i].id, id) && !strcmp(r->checks[i].subject, subject))
			return &r->checks[i];
	fail_msg("no check %s/%s", id, subject);
	return NULL;
}

static void expect(const struct mamori_audit_result *r, const char *id,
		   const char *subject, enum mamori_audit_status st, const char *detail_has)
{
	const struct mamori_audit_check *c = find(r, id, subject);
	if (c->status != st)
		fail_msg("%s/%s: %s (%s), want %s", id, subject,
			 mamori_audit_status_name(c->status), c->detail,
			 mamori_audit_status_name(st));
	if (detail_has && !strstr(c->detail, detail_has))
		fail_msg("%s/%s: detail '%s' lacks '%s'", id, subject, c->detail, detail_has);
	if (st == MAMORI_AUDIT_FAIL && !c->advice[0])
		fail_msg("%s/%s: FAIL without advice", id, subject);
}

static void run(const char *root, struct mamori_audit_result *r)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", fx, root);
	assert_int_equal(mamori_audit_run(p, r), 0);
}

static void test_audit_infected(void **state)
{
	(void)state;
	struct mamori_audit_result r;
	fx_need();
	run("infected", &r);
	assert_true(r.win.known);
	assert_string_equal(r.win.product, "Microsoft Windows XP");
	assert_string_equal(r.win.version, "5.1");
	assert_string_equal(r.win.build, "2600");
	assert_string_equal(r.win.csd, "Service Pack 3");
	assert_int_equal(r.win.major, 5);
	assert_int_equal(r.win.minor, 1);
	expect(&r, "ms08-067", "netapi32.dll", MAMORI_AUDIT_UNKNOWN, "not found");
	expect(&r, "autorun", "HKLM", MAMORI_AUDIT_FAIL, "NoDriveTypeAutoRun=0x91");
	expect(&r, "autorun", "alice", MAMORI_AUDIT_FAIL, "NoDriveTypeAutoRun=0x91");
	expect(&r, "autorun", "bob", MAMORI_AUDIT_FAIL, "NoDriveAutoRun not set");
	expect(&r, "update", "wuauserv", MAMORI_AUDIT_FAIL, "disabled");
	expect(&r, "update", "BITS", MAMORI_AUDIT_FAIL, "disabled");
	expect(&r, "hidden-files", "HKLM", MAMORI_AUDIT_FAIL, "CheckedValue=0");
	expect(&r, "lsa", "SYSTEM", MAMORI_AUDIT_FAIL, "mssecmgr");
	const struct mamori_audit_check *lsa = find(&r, "lsa", "SYSTEM");
	assert_non_null(strstr(lsa->detail, "evilpwd"));
	assert_null(strstr(lsa->detail, "decoy"));	/* ControlSet002 is not current */
	assert_int_equal(r.n, 8);
	assert_int_equal(r.fail, 7);
	assert_int_equal(r.unknown, 1);
	assert_int_equal(r.pass, 0);
	mamori_audit_result_release(&r);
}

static void test_audit_clean(void **state)
{
	(void)state;
	struct mamori_audit_result r;
	fx_need();
	run("clean", &r);
	expect(&r, "autorun", "HKLM", MAMORI_AUDIT_PASS, "NoDriveTypeAutoRun=0xFF");
	expect(&r, "autorun", "carol", MAMORI_AUDIT_FAIL, NULL);
	expect(&r, "autorun", "dave", MAMORI_AUDIT_FAIL, "not set");
	expect(&r, "update", "wuauserv", MAMORI_AUDIT_PASS, "Start=2");
	expect(&r, "update", "BITS", MAMORI_AUDIT_PASS, "Start=3");
	expect(&r, "hidden-files", "HKLM", MAMORI_AUDIT_PASS, "CheckedValue=1");
	expect(&r, "lsa", "SYSTEM", MAMORI_AUDIT_PASS, NULL);
	assert_int_equal(r.hives.n, 6);
	assert_int_equal(r.hives.dirty, 1);
	mamori_audit_result_release(&r);
}

static void test_audit_win10(void **state)
{
	(void)state;
	struct mamori_audit_result r;
	fx_need();
	run("win10", &r);
	assert_string_equal(r.win.product, "Windows 10 Pro");
	assert_string_equal(r.win.version, "6.3");
	assert_int_equal(r.win.major, 10);
	assert_int_equal(r.win.minor, 0);
	assert_string_equal(r.win.csd, "");
	expect(&r, "ms08-067", "netapi32.dll", MAMORI_AUDIT_PASS, "not affected");
	/* SshdPinAuthLsa is an optional Microsoft package: not a failure. */
	expect(&r, "lsa", "SYSTEM", MAMORI_AUDIT_PASS, NULL);
	expect(&r, "update", "wuauserv", MAMORI_AUDIT_PASS, "Start=3");
	expect(&r, "autorun", "tony", MAMORI_AUDIT_FAIL, NULL);
	assert_int_equal(r.hives.dirty, 2);
	mamori_audit_result_release(&r);
}

static void test_audit_corrupt(void **state)
{
	(void)state;
	struct mamori_audit_result r;
	fx_need();
	run("corrupt", &r);
	assert_int_equal(r.hives.corrupt, 1);
	assert_non_null(strstr(r.hives.files[0].msg, "SYSTEM hive"));
	/* What the damaged hive cannot tell is UNKNOWN, never a guess. */
	expect(&r, "update", "wuauserv", MAMORI_AUDIT_UNKNOWN, "hive damaged");
	expect(&r, "autorun", "HKLM", MAMORI_AUDIT_PASS, NULL);
	expect(&r, "autorun", "erin", MAMORI_AUDIT_FAIL, NULL);
	mamori_audit_result_release(&r);
}

static void test_audit_errors(void **state)
{
	(void)state;
	struct mamori_audit_result r;
	char empty[] = "/tmp/mamori-audit-empty-XXXXXX";
	assert_int_equal(mamori_audit_run("/nonexistent/mamori", &r), MAMORI_ENOENT);
	mamori_audit_result_release(&r);
	assert_non_null(mkdtemp(empty));
	assert_int_equal(mamori_audit_run(empty, &r), MAMORI_ENOENT);
	mamori_audit_result_release(&r);
	mamori_audit_result_release(NULL);
	rmdir(empty);
}

static int group_setup(void **state)
{
	(void)state;
	char cmd[1200];
	snprintf(fx, sizeof(fx), "/tmp/mamori-audit-fx-XXXXXX");
	if (!mkdtemp(fx))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/fixtures/hive/build.sh' '%s' '%s' > '%s/build.log' 2>&1",
		 SRCDIR, fx, SHARED, fx);
	int st = system(cmd);
	fx_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
		cmocka_unit_test(test_ms08067_table),
		cmocka_unit_test(test_ms08067_no_file),
		cmocka_unit_test(test_audit_infected),
		cmocka_unit_test(test_audit_clean),
		cmocka_unit_test(test_audit_win10),
		cmocka_unit_test(test_audit_corrupt),
		cmocka_unit_test(test_audit_errors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
