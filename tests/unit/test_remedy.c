/*
 * Unit tests of src/remedy: the template loader (shipped templates load;
 * bad ones fail with the right line), the planner (merging, key trimming,
 * service defaults, LSA entry, scope notes, the once-per-volume autorun
 * policy), the journal (round trip with escapes, torn last line, damage
 * reported by line), the registry edits on a copy of a real hive
 * (../shared/data/hives/hivex-minimal), the confined path walk (".." and
 * symlinks refused), the store blob format, and apply refusing a path
 * through a symlinked folder while leaving the outside untouched.
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

#include "remedy/hedit.h"
#include "remedy/remedy.h"
#include "remedy/remedy_int.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mamori-test-remedy.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- templates ---------------------------------------------------------- */

static void test_shipped_templates(void **state)
{
	struct mamori_remedy_rules *r = NULL;
	struct mamori_diag d;
	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(mamori_remedy_rules_load_dir(SRCDIR "/rules/remedy", &r, &d), 0);
	assert_true(mamori_remedy_rules_count(r) >= 20);
	mamori_remedy_rules_free(r);
}

static void expect_bad(const char *text, unsigned line, const char *msg)
{
	struct mamori_remedy_rules *r = NULL;
	struct mamori_diag d;
	memset(&d, 0, sizeof(d));
	int rc = mamori_remedy_rules_parse(&r, "t.yaml", (const uint8_t *)text, strlen(text), &d);
	assert_int_equal(rc, MAMORI_EFORMAT);
	assert_int_equal(d.line, line);
	assert_non_null(strstr(d.msg, msg));
	assert_string_equal(d.file, "t.yaml");
	mamori_remedy_rules_free(r);
}

static void test_bad_templates(void **state)
{
	(void)state;
	expect_bad("family: x\nrules:\n  - match: a\n    action: explode\n", 4,
		   "unknown action 'explode'");
	expect_bad("family: x\nrules:\n  - match: a\n    action: none\n    colour: red\n", 5,
		   "unknown rule key 'colour'");
	expect_bad("family: x\nrules:\n  - match: a\n    action: set_dword\n", 3,
		   "set_dword needs data");
	expect_bad("family: x\nrules:\n  - match: a\n    action: set_dword\n    data: -1\n", 5,
		   "must be a number");
	expect_bad("family: x\nrules:\n  - match: a\n    action: restore_start\n"
		   "    defaults: {BITS: 7}\n", 5, "Start value must be 0..4");
	expect_bad("family: x\nrules:\n  - action: none\n", 3, "rule without match");
	expect_bad("rules: []\n", 1, "template without family");
	expect_bad("family: x\nrules: [\n", 3, "YAML error");
	expect_bad("family: x\nrules:\n  - match: a\n    kind: both\n    action: none\n", 4,
		   "kind must be file or registry");
	expect_bad("", 1, "empty template");
}

/* ---- plan ------------------------------------------------------------------ */

static struct mamori_remedy_rules *load_shipped(void)
{
	struct mamori_remedy_rules *r = NULL;
	assert_int_equal(mamori_remedy_rules_load_dir(SRCDIR "/rules/remedy", &r, NULL), 0);
	return r;
}

static const struct mamori_remedy_action *find(const struct mamori_remedy_plan *p,
					       enum mamori_remedy_op op, const char *rel,
					       const char *value)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].op == op && !strcmp(p->v[i].rel, rel) &&
		    (!value || (p->v[i].value && !strcmp(p->v[i].value, value))))
			return &p->v[i];
	return NULL;
}

static void test_plan(void **state)
{
	struct mamori_remedy_rules *r = load_shipped();
	struct mamori_remedy_plan p;
	(void)state;
	assert_int_equal(mamori_remedy_plan_init(&p, "/v/"), 0);
	struct mamori_finding f[] = {
		{.kind = "file", .path = "/v/WINDOWS/asam.exe", .family = "storm",
		 .indicator = "storm.ioc.path", .sha256 = "00"},
		{.kind = "file", .path = "/v/WINDOWS/asam.exe", .family = "storm",
		 .indicator = "storm.yara.user_agent"},
		{.kind = "file", .path = "/v/autorun.inf", .family = "conficker",
		 .indicator = "conficker.autorun.rundll32"},
		{.kind = "file", .path = "/elsewhere/asam.exe", .family = "storm",
		 .indicator = "storm.ioc.path"},
		{.kind = "file", .path = "/v/a/../../etc/x", .family = "storm",
		 .indicator = "storm.ioc.path"},
		{.kind = "registry", .path = "/v/W/SYSTEM", .family = "conficker",
		 .indicator = "conficker.registry.netsvcs_random_dll", .hive = "SYSTEM",
		 .key = "ControlSet001\\Services\\hrwcgu\\Parameters", .value = "ServiceDll"},
		{.kind = "registry", .path = "/v/W/SYSTEM", .family = "conficker",
		 .indicator = "conficker.registry.service_disabled", .hive = "SYSTEM",
		 .key = "ControlSet001\\Services\\BITS", .value = "Start"},
		{.kind = "registry", .path = "/v/W/SYSTEM", .family = "generic",
		 .indicator = "generic.registry.lsa_package", .hive = "SYSTEM",
		 .key = "ControlSet001\\Control\\Lsa", .value = "Notification Packages",
		 .evidence = "LSA Notification Packages lists 'evilpwd', not a Windows default"},
		{.kind = "registry", .path = "/v/W/SYSTEM", .family = "generic",
		 .indicator = "generic.registry.service_location", .hive = "SYSTEM",
		 .key = "ControlSet001\\Services\\PSEXESVC", .value = "ImagePath"},
		{.kind = "registry", .path = "/v/U/NTUSER.DAT", .family = "generic",
		 .indicator = "generic.registry.winlogon_shell", .hive = "NTUSER.DAT",
		 .key = "Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
		 .value = "Shell"},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		assert_int_equal(mamori_remedy_plan_add(&p, r, &f[i]), 0);
	assert_int_equal(mamori_remedy_plan_add_hive(&p, "/v/W/software", true), 0);
	assert_int_equal(mamori_remedy_plan_add_hive(&p, "/v/U/NTUSER.DAT", false), 0);
	assert_int_equal(mamori_remedy_plan_finish(&p), 0);

	assert_true(p.usb_worm);
	assert_int_equal(p.unmatched, 1);	/* service_location: action none */
	const struct mamori_remedy_action *a = find(&p, MAMORI_RM_QUARANTINE, "WINDOWS/asam.exe", NULL);
	assert_non_null(a);
	assert_null(a->note);
	assert_non_null(find(&p, MAMORI_RM_REMOVE_AUTORUN, "autorun.inf", NULL));
	a = find(&p, MAMORI_RM_QUARANTINE, "/elsewhere/asam.exe", NULL);
	assert_non_null(a);
	assert_non_null(a->note);	/* never carried out */
	a = find(&p, MAMORI_RM_QUARANTINE, "/v/a/../../etc/x", NULL);
	assert_non_null(a);
	assert_non_null(a->note);
	a = find(&p, MAMORI_RM_DELETE_KEY, "W/SYSTEM", NULL);
	assert_non_null(a);
	assert_string_equal(a->key, "ControlSet001\\Services\\hrwcgu");
	a = find(&p, MAMORI_RM_RESTORE_START, "W/SYSTEM", "Start");
	assert_non_null(a);
	assert_int_equal(a->dword, 2);
	a = find(&p, MAMORI_RM_REMOVE_LIST_ENTRY, "W/SYSTEM", "Notification Packages");
	assert_non_null(a);
	assert_string_equal(a->entry, "evilpwd");
	a = find(&p, MAMORI_RM_DELETE_VALUE, "U/NTUSER.DAT", "Shell");
	assert_non_null(a);	/* per-user Shell: hive-specific rule */
	a = find(&p, MAMORI_RM_SET_AUTORUN_POLICY, "W/software", "NoDriveTypeAutoRun");
	assert_non_null(a);
	assert_int_equal(a->dword, 0xff);
	assert_string_equal(a->key, "Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer");
	a = find(&p, MAMORI_RM_SET_AUTORUN_POLICY, "U/NTUSER.DAT", "NoDriveAutoRun");
	assert_non_null(a);
	assert_string_equal(a->key,
			    "Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer");
	/* files first, then by hive with key deletions last */
	size_t quar = 0;
	for (size_t i = 0; i < p.n; i++) {
		bool file = p.v[i].op == MAMORI_RM_QUARANTINE || p.v[i].op == MAMORI_RM_REMOVE_AUTORUN;
		if (file)
			assert_int_equal(quar++, i);
	}
	assert_int_equal(quar, 4);
	mamori_remedy_plan_release(&p);
	mamori_remedy_rules_free(r);
}

/* ---- journal ------------------------------------------------------------------ */

static void read_all(const char *path, uint8_t **d, size_t *n)
{
	assert_int_equal(rm_read_path(path, d, n), 0);
}

static void test_journal_roundtrip(void **state)
{
	char path[300];
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	(void)state;
	snprintf(path, sizeof(path), "%s/j.mj", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0);
	const char *h[] = {"MJ1", "/vol", "/q"};
	const char *p1[] = {"P", "1", "f", "Docs and\tSettings/%x\n.exe", "j-1.mq", sha, "7", "644"};
	const char *a1[] = {"A", "1"};
	const char *c[] = {"C"};
	assert_int_equal(rm_journal_append(fd, h, 3), 0);
	assert_int_equal(rm_journal_append(fd, p1, 8), 0);
	assert_int_equal(rm_journal_append(fd, a1, 2), 0);
	assert_int_equal(rm_journal_append(fd, c, 1), 0);
	assert_int_equal(write(fd, "U\t1\t0", 5), 5);	/* torn: no newline */
	close(fd);
	uint8_t *d;
	size_t n;
	struct rm_journal j;
	struct mamori_diag diag;
	read_all(path, &d, &n);
	assert_int_equal(rm_journal_parse(d, n, &j, &diag), 0);
	assert_string_equal(j.root, "/vol");
	assert_int_equal(j.n, 1);
	assert_true(j.complete);
	assert_string_equal(j.v[0].rel, "Docs and\tSettings/%x\n.exe");
	assert_int_equal(j.v[0].qid, 7);
	assert_int_equal(j.v[0].mode, 0644);
	assert_true(j.v[0].applied);
	assert_false(j.v[0].undone);	/* the torn U does not count */
	assert_int_equal(j.good_len, n - 5);
	rm_journal_release(&j);

	/* one changed byte in the P record: refused, with its line */
	char *p = memchr(d, 'j', n);
	assert_non_null(p);
	*p = 'k';
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(rm_journal_parse(d, n, &j, &diag), MAMORI_EFORMAT);
	assert_int_equal(diag.line, 2);
	assert_non_null(strstr(diag.msg, "checksum mismatch"));
	free(d);
}

static void journal_expect(const char *const *const *recs, const size_t *nf, size_t n,
			   unsigned line, const char *msg)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/bad.mj", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rm_journal_append(fd, recs[i], nf[i]), 0);
	close(fd);
	uint8_t *d;
	size_t len;
	struct rm_journal j;
	struct mamori_diag diag;
	memset(&diag, 0, sizeof(diag));
	read_all(path, &d, &len);
	assert_int_equal(rm_journal_parse(d, len, &j, &diag), MAMORI_EFORMAT);
	assert_int_equal(diag.line, line);
	assert_non_null(strstr(diag.msg, msg));
	free(d);
}

static void test_journal_bad(void **state)
{
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *h[] = {"MJ1", "/vol", "/q"};
	const char *p2[] = {"P", "2", "f", "a.exe", "j-2.mq", sha, "1", "644"};
	const char *pdd[] = {"P", "1", "f", "a/../../x", "j-1.mq", sha, "1", "644"};
	const char *pblob[] = {"P", "1", "f", "a.exe", "../m.db", sha, "1", "644"};
	const char *p1[] = {"P", "1", "f", "a.exe", "j-1.mq", sha, "1", "644"};
	const char *u1[] = {"U", "1"};
	const char *a1[] = {"A", "1"};
	const char *r[] = {"R"};
	const char *hdr2[] = {"MJ1", "vol", "/q"};
	(void)state;
	{
		const char *const *v[] = {h, p2};
		size_t nf[] = {3, 8};
		journal_expect(v, nf, 2, 2, "out of order");
	}
	{
		const char *const *v[] = {h, pdd};
		size_t nf[] = {3, 8};
		journal_expect(v, nf, 2, 2, "unsafe path");
	}
	{
		const char *const *v[] = {h, pblob};
		size_t nf[] = {3, 8};
		journal_expect(v, nf, 2, 2, "bad store name");
	}
	{
		const char *const *v[] = {h, p1, u1};
		size_t nf[] = {3, 8, 2};
		journal_expect(v, nf, 3, 3, "undone but not applied");
	}
	{
		const char *const *v[] = {h, p1, a1, r};
		size_t nf[] = {3, 8, 2, 1};
		journal_expect(v, nf, 4, 4, "still applied");
	}
	{
		const char *const *v[] = {hdr2};
		size_t nf[] = {3};
		journal_expect(v, nf, 1, 1, "not a mamori journal");
	}
}

/* ---- registry edits --------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
	uint8_t *d;
	size_t n;
	assert_int_equal(rm_read_path(from, &d, &n), 0);
	assert_int_equal(rm_write_path(to, d, n), 0);
	free(d);
}

static void test_hedit(void **state)
{
	char path[300];
	(void)state;
	snprintf(path, sizeof(path), "%s/hive", tmpdir);
	if (access(SHARED "/data/hives/hivex-minimal", R_OK) != 0)
		skip();
	copy_file(SHARED "/data/hives/hivex-minimal", path);
	hive_h *h = hivex_open(path, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	struct rm_hedit_res res;
	struct mamori_remedy_action pol = {
		.op = MAMORI_RM_SET_AUTORUN_POLICY, .rel = "hive",
		.key = "Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer",
		.value = "NoDriveTypeAutoRun", .dword = 0xff};
	assert_int_equal(rm_hedit_apply(h, &pol, &res), 0);
	assert_true(res.changed);
	assert_int_equal(rm_hedit_apply(h, &pol, &res), 0);
	assert_false(res.changed);	/* idempotent */
	/* a MULTI_SZ to drop one entry from */
	hive_node_h lsa = hivex_node_add_child(h, hivex_root(h), "Lsa");
	assert_true(lsa != 0);
	static const char ms[] = "m\0s\0v\0""1\0_\0""0\0\0\0m\0s\0s\0e\0c\0m\0g\0r\0\0\0\0\0";
	hive_set_value sv = {.key = "Authentication Packages", .t = hive_t_REG_MULTI_SZ,
			     .len = sizeof(ms) - 1, .value = (char *)ms};
	assert_int_equal(hivex_node_set_value(h, lsa, &sv, 0), 0);
	hive_set_value sv2 = {.key = "Other", .t = hive_t_REG_SZ, .len = 4, .value = "x\0\0\0"};
	assert_int_equal(hivex_node_set_value(h, lsa, &sv2, 0), 0);
	struct mamori_remedy_action rm = {.op = MAMORI_RM_REMOVE_LIST_ENTRY, .key = "Lsa",
					  .value = "Authentication Packages", .entry = "MSSECMGR"};
	assert_int_equal(rm_hedit_apply(h, &rm, &res), 0);
	assert_true(res.changed);
	assert_int_equal(res.old_type, 7);
	struct mamori_remedy_action dv = {.op = MAMORI_RM_DELETE_VALUE, .key = "lsa",
					  .value = "other"};
	assert_int_equal(rm_hedit_apply(h, &dv, &res), 0);
	assert_true(res.changed);
	struct mamori_remedy_action ss = {.op = MAMORI_RM_SET_STRING, .key = "Lsa",
					  .value = "Shell", .string = "Explorer.exe"};
	assert_int_equal(rm_hedit_apply(h, &ss, &res), 0);
	assert_true(res.changed);
	struct mamori_remedy_action root = {.op = MAMORI_RM_DELETE_KEY, .key = ""};
	assert_int_equal(rm_hedit_apply(h, &root, &res), MAMORI_EPERM);
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);

	h = hivex_open(path, 0);
	assert_non_null(h);
	assert_true(rm_hedit_verify(h, &pol));
	assert_true(rm_hedit_verify(h, &rm));
	assert_true(rm_hedit_verify(h, &dv));
	assert_true(rm_hedit_verify(h, &ss));
	hive_node_h n = hivex_node_get_child(h, hivex_root(h), "Lsa");
	hive_value_h v = hivex_node_get_value(h, n, "Authentication Packages");
	hive_type t;
	size_t len;
	char *d = hivex_value_value(h, v, &t, &len);
	assert_int_equal(len, 16);	/* "msv1_0" + NUL + final NUL */
	assert_memory_equal(d, "m\0s\0v\0""1\0_\0""0\0\0\0\0\0", 16);
	free(d);
	struct mamori_remedy_action dk = {.op = MAMORI_RM_DELETE_KEY, .key = "Lsa"};
	assert_false(rm_hedit_verify(h, &dk));
	hivex_close(h);
}

/* ---- confined paths, store, apply ------------------------------------------------------- */

static void test_fsafe(void **state)
{
	char p[1200], base[256];
	int dfd;
	(void)state;
	snprintf(p, sizeof(p), "%s/root/a", tmpdir);
	assert_int_equal(system("true"), 0);
	snprintf(p, sizeof(p), "mkdir -p '%s/root/a' '%s/out' && ln -s '%s/out' '%s/root/l'",
		 tmpdir, tmpdir, tmpdir, tmpdir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/root", tmpdir);
	int root = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(root >= 0);
	assert_int_equal(rm_open_parent(root, "a/x", false, &dfd, base, sizeof(base)), 0);
	assert_string_equal(base, "x");
	close(dfd);
	assert_int_equal(rm_open_parent(root, "a/../../x", false, &dfd, base, sizeof(base)),
			 MAMORI_EINVAL);
	assert_int_equal(rm_open_parent(root, "a//x", false, &dfd, base, sizeof(base)),
			 MAMORI_EINVAL);
	assert_int_equal(rm_open_parent(root, "/etc/x", false, &dfd, base, sizeof(base)),
			 MAMORI_EINVAL);
	assert_int_equal(rm_open_parent(root, "l/x", false, &dfd, base, sizeof(base)),
			 MAMORI_EPERM);
	assert_int_equal(rm_open_parent(root, "l/x", true, &dfd, base, sizeof(base)),
			 MAMORI_EPERM);
	close(root);
}

static void test_store_blob(void **state)
{
	char q[300], path[400];
	uint8_t *d;
	size_t n;
	(void)state;
	snprintf(q, sizeof(q), "%s/qs", tmpdir);
	assert_int_equal(mkdir(q, 0700), 0);
	assert_int_equal(rm_store_put(q, "b.mq", (const uint8_t *)"MZ\x90\0hello", 9), 0);
	snprintf(path, sizeof(path), "%s/store/b.mq", q);
	assert_int_equal(rm_read_path(path, &d, &n), 0);
	assert_memory_equal(d, "MAMORIQ\1", 8);	/* never starts like the file */
	free(d);
	assert_int_equal(rm_store_get(q, "b.mq", &d, &n, NULL), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(d, "MZ\x90\0hello", 9);
	free(d);
	/* a damaged blob is refused */
	assert_int_equal(rm_read_path(path, &d, &n), 0);
	d[n - 2] ^= 0x55;
	assert_int_equal(rm_write_path(path, d, n), 0);
	free(d);
	struct mamori_diag diag;
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(rm_store_get(q, "b.mq", &d, &n, &diag), MAMORI_EFORMAT);
	assert_non_null(strstr(diag.msg, "damaged"));
}

static void test_apply_symlink(void **state)
{
	char root[128], q[256], cmd[1200];
	(void)state;
	snprintf(root, sizeof(root), "%s/vol", tmpdir);
	snprintf(q, sizeof(q), "%s/vq", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/WINDOWS' '%s/outside' && echo evil > '%s/outside/asam.exe' && "
		 "ln -s '%s/outside' '%s/WINDOWS/Temp' && echo bad > '%s/WINDOWS/x.exe'",
		 root, tmpdir, tmpdir, tmpdir, root, root);
	assert_int_equal(system(cmd), 0);
	struct mamori_remedy_rules *r = load_shipped();
	struct mamori_remedy_plan p;
	struct mamori_remedy_report rep;
	struct mamori_diag diag;
	char f1[400], f2[400];
	snprintf(f1, sizeof(f1), "%s/WINDOWS/Temp/asam.exe", root);
	snprintf(f2, sizeof(f2), "%s/WINDOWS/x.exe", root);
	struct mamori_finding f[] = {
		{.kind = "file", .path = f1, .family = "storm", .indicator = "storm.ioc.name"},
		{.kind = "file", .path = f2, .family = "storm", .indicator = "storm.ioc.name"},
	};
	assert_int_equal(mamori_remedy_plan_init(&p, root), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(mamori_remedy_plan_add(&p, r, &f[i]), 0);
	assert_int_equal(mamori_remedy_plan_finish(&p), 0);
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(mamori_remedy_apply(&p, q, &rep, &diag), MAMORI_EIO);
	assert_int_equal(rep.failed, 1);
	assert_int_equal(rep.done, 1);
	snprintf(cmd, sizeof(cmd), "%s/outside/asam.exe", tmpdir);
	assert_int_equal(access(cmd, F_OK), 0);	/* outside untouched */
	assert_int_not_equal(access(f2, F_OK), 0);	/* inside quarantined */
	mamori_remedy_report_release(&rep);
	/* the quarantine inside the root is refused */
	snprintf(q, sizeof(q), "%s/WINDOWS/q", root);
	assert_int_equal(mamori_remedy_check_qdir(root, q, &diag), MAMORI_EINVAL);
	assert_int_not_equal(access(q, F_OK), 0);
	mamori_remedy_plan_release(&p);
	mamori_remedy_rules_free(r);
}

/* ---- findings reader ---------------------------------------------------------- */

struct fctx {
	int n;
	char last[64];
};

static int count_finding(const struct mamori_finding *f, void *vctx)
{
	struct fctx *c = vctx;
	c->n++;
	snprintf(c->last, sizeof(c->last), "%s|%s|%s|%d", f->indicator, f->key ? f->key : "-",
		 f->value ? f->value : "-", (int)f->severity);
	return 0;
}

static void test_findings_read(void **state)
{
	static const char good[] =
		"{\"event_type\":\"finding\",\"finding\":{\"kind\":\"file\",\"path\":\"v/a\","
		"\"indicator\":\"storm.ioc.name\",\"severity\":1}}\n"
		"{\"event_type\":\"stats\"}\n\n"
		"{\"event_type\":\"finding\",\"finding\":{\"kind\":\"registry\",\"path\":\"v/S\","
		"\"indicator\":\"x.registry.y\",\"key\":\"A\\\\B\",\"value\":\"\",\"severity\":2}}";
	struct fctx c = {0};
	struct mamori_diag d;
	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(mamori_remedy_findings_read((const uint8_t *)good, strlen(good),
						     count_finding, &c, &d), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.last, "x.registry.y|A\\B||2");
	static const char bad[] = "{\"event_type\":\"finding\",\"finding\":{\"path\":\"v/a\","
				  "\"indicator\":\"i\"}}\n{\"event_type\":\"finding\",\"finding\":"
				  "{\"path\":7,\"indicator\":\"i\"}}\n";
	memset(&c, 0, sizeof(c));
	assert_int_equal(mamori_remedy_findings_read((const uint8_t *)bad, strlen(bad),
						     count_finding, &c, &d), MAMORI_EFORMAT);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "\"path\" is not a string"));
	static const char broken[] = "\n{\"event_type\":";
	assert_int_equal(mamori_remedy_findings_read((const uint8_t *)broken, strlen(broken),
						     count_finding, &c, &d), MAMORI_EFORMAT);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "bad JSON"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_templates),
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_journal_roundtrip),
		cmocka_unit_test(test_journal_bad),
		cmocka_unit_test(test_hedit),
		cmocka_unit_test(test_fsafe),
		cmocka_unit_test(test_store_blob),
		cmocka_unit_test(test_apply_symlink),
		cmocka_unit_test(test_findings_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
