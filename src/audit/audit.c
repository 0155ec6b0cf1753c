/*
 * Hardening audit (see audit.h): Windows version, MS08-067 patch level,
 * autorun policy, update services, hidden-files policy, LSA packages.
 *
 * The MS08-067 table is KB958644's list of the first fixed netapi32.dll
 * per servicing branch.  A branch is told by the file version itself:
 * major.minor.build names the release, and the revision range names the
 * service pack (XP SP2 files are 5.1.2600.2xxx-3xxx, SP3 files 5.1.2600.
 * 5xxx) or, for Vista/2008, GDR (.16xxx/.18xxx) versus LDR (>= .20000).
 * A file older than the fix in its branch fails; a release newer than
 * every row (Vista SP2, Windows 7 and later) was never vulnerable or
 * shipped with the fix and passes.  Registry says Windows 7 or later:
 * passes even without the file.
 *
 * Invariants: hives are opened read-only; netapi32.dll is read whole only
 * up to AUDIT_PE_MAX bytes and parsed by src/host/pe.c (cursor-based).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "host/pe.h"
#include "mamori/mamori.h"
#include "util/buf.h"
#include "util/err.h"

#define AUDIT_PE_MAX (64u * 1024 * 1024)

const char *mamori_audit_status_name(enum mamori_audit_status st)
{
	static const char *const names[] = {"PASS", "FAIL", "UNKNOWN"};
	return (unsigned)st < 3 ? names[st] : "?";
}

/* ---- MS08-067 ------------------------------------------------------ */

static const struct ms08067_row {
	uint16_t major, minor, build;
	uint16_t rev_lo, rev_hi;	/* revision range of the branch */
	uint16_t fixed;			/* first fixed revision */
	const char *branch;
} ms08067_table[] = {
	{5, 0, 2195, 0, 0xFFFF, 7203, "Windows 2000 SP4"},
	{5, 1, 2600, 0, 4999, 3462, "Windows XP SP2"},
	{5, 1, 2600, 5000, 0xFFFF, 5694, "Windows XP SP3"},
	{5, 2, 3790, 0, 3999, 3229, "Windows Server 2003 SP1"},
	{5, 2, 3790, 4000, 0xFFFF, 4392, "Windows Server 2003 SP2"},
	{6, 0, 6000, 0, 19999, 16764, "Windows Vista RTM (GDR)"},
	{6, 0, 6000, 20000, 0xFFFF, 20937, "Windows Vista RTM (LDR)"},
	{6, 0, 6001, 0, 19999, 18157, "Windows Vista SP1 / Server 2008 (GDR)"},
	{6, 0, 6001, 20000, 0xFFFF, 22288, "Windows Vista SP1 / Server 2008 (LDR)"},
};

static int cmp3(unsigned a0, unsigned a1, unsigned a2, unsigned b0, unsigned b1,
		unsigned b2)
{
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return 0;
}

enum mamori_audit_status mamori_audit_ms08067(const uint16_t *ver, unsigned win_major,
					      unsigned win_minor, char *detail,
					      size_t n)
{
	const size_t rows = sizeof(ms08067_table) / sizeof(ms08067_table[0]);
	const struct ms08067_row *last = &ms08067_table[rows - 1];
	bool modern = win_major > 6 || (win_major == 6 && win_minor >= 1);
	if (modern) {
		snprintf(detail, n, "Windows %u.%u (Windows 7 or later) is not affected",
			 win_major, win_minor);
		return MAMORI_AUDIT_PASS;
	}
	if (!ver) {
		snprintf(detail, n, "System32\\netapi32.dll not found or without a "
				    "version resource");
		return MAMORI_AUDIT_UNKNOWN;
	}
	for (size_t i = 0; i < rows; i++) {
		const struct ms08067_row *r = &ms08067_table[i];
		if (ver[0] != r->major || ver[1] != r->minor || ver[2] != r->build ||
		    ver[3] < r->rev_lo || ver[3] > r->rev_hi)
			continue;
		bool ok = ver[3] >= r->fixed;
		snprintf(detail, n, "netapi32.dll %u.%u.%u.%u %s %u.%u.%u.%u, the first "
				    "fixed build for %s",
			 ver[0], ver[1], ver[2], ver[3], ok ? ">=" : "<", r->major,
			 r->minor, r->build, r->fixed, r->branch);
		return ok ? MAMORI_AUDIT_PASS : MAMORI_AUDIT_FAIL;
	}
	if (cmp3(ver[0], ver[1], ver[2], last->major, last->minor, last->build) > 0) {
		snprintf(detail, n, "netapi32.dll %u.%u.%u.%u is a release after every "
				    "affected one (Vista SP2, Windows 7 and later)",
			 ver[0], ver[1], ver[2], ver[3]);
		return MAMORI_AUDIT_PASS;
	}
	if (cmp3(ver[0], ver[1], ver[2], 5, 0, 2195) < 0) {
		snprintf(detail, n, "netapi32.dll %u.%u.%u.%u predates Windows 2000 SP4; "
				    "no fix exists for it",
			 ver[0], ver[1], ver[2], ver[3]);
		return MAMORI_AUDIT_FAIL;
	}
	snprintf(detail, n, "netapi32.dll %u.%u.%u.%u is not a release in the "
			    "KB958644 table",
		 ver[0], ver[1], ver[2], ver[3]);
	return MAMORI_AUDIT_UNKNOWN;
}

/* ---- result helpers ------------------------------------------------ */

static struct mamori_audit_check *add_check(struct mamori_audit_result *res,
					    const char *id, const char *subject,
					    enum mamori_audit_status st)
{
	if (res->n >= MAMORI_AUDIT_MAX_CHECKS)
		return NULL;
	struct mamori_audit_check *c = &res->checks[res->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->subject, sizeof(c->subject), "%s", subject);
	c->status = st;
	return c;
}

static void set_text(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_text(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

void mamori_audit_result_release(struct mamori_audit_result *res)
{
	if (!res)
		return;
	free(res->netapi_path);
	free(res->checks);
	mamori_hive_report_release(&res->hives);
	memset(res, 0, sizeof(*res));
}

/* ---- inputs -------------------------------------------------------- */

static int read_file_capped(const char *path, size_t cap, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	uint8_t *p = NULL;
	size_t got = 0;
	if (fd < 0)
		return MAMORI_ENOENT;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		FAIL(MAMORI_EIO);
	if ((uint64_t)st.st_size > cap)
		FAIL(MAMORI_ELIMIT);
	p = malloc((size_t)st.st_size + 1);
	if (!p)
		FAIL(MAMORI_ENOMEM);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*out = p;
	*len = got;
	p = NULL;
out:
	free(p);
	close(fd);
	return rc;
}

static void read_netapi(const char *root, struct mamori_audit_result *res)
{
	uint8_t *p = NULL;
	size_t n = 0;
	if (mamori_hive_find_path(root, "Windows/System32/netapi32.dll",
				  &res->netapi_path) != 0)
		return;
	if (read_file_capped(res->netapi_path, AUDIT_PE_MAX, &p, &n) == 0 &&
	    mamori_pe_file_version(p, n, res->netapi_ver) == 0)
		res->has_netapi = true;
	free(p);
}

static void copy_string(struct mamori_hive *h, const char *key, const char *value,
			char *dst, size_t n)
{
	struct buf b;
	buf_init(&b, 1024);
	if (mamori_hive_get_string(h, key, value, &b) == 0)
		snprintf(dst, n, "%s", buf_str(&b));
	buf_release(&b);
}

static void read_version(struct mamori_hive *sw, struct mamori_audit_windows *w)
{
	static const char key[] = "Microsoft\\Windows NT\\CurrentVersion";
	uint32_t maj, min;
	copy_string(sw, key, "ProductName", w->product, sizeof(w->product));
	copy_string(sw, key, "CurrentVersion", w->version, sizeof(w->version));
	copy_string(sw, key, "CurrentBuildNumber", w->build, sizeof(w->build));
	copy_string(sw, key, "CSDVersion", w->csd, sizeof(w->csd));
	if (sscanf(w->version, "%u.%u", &w->major, &w->minor) == 2)
		w->known = true;
	/* Windows 10 keeps CurrentVersion at "6.3" for old programs. */
	if (mamori_hive_get_dword(sw, key, "CurrentMajorVersionNumber", &maj) == 0 &&
	    maj < 100) {
		w->major = maj;
		w->minor = 0;
		if (mamori_hive_get_dword(sw, key, "CurrentMinorVersionNumber", &min) == 0 &&
		    min < 100)
			w->minor = min;
		w->known = true;
	}
}

/* ---- checks -------------------------------------------------------- */

static void check_ms08067(struct mamori_audit_result *res)
{
	char detail[384];
	enum mamori_audit_status st = mamori_audit_ms08067(
		res->has_netapi ? res->netapi_ver : NULL, res->win.known ? res->win.major : 0,
		res->win.known ? res->win.minor : 0, detail, sizeof(detail));
	struct mamori_audit_check *c = add_check(res, "ms08-067", "netapi32.dll", st);
	if (!c)
		return;
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
	if (st == MAMORI_AUDIT_FAIL)
		set_text(c->advice, sizeof(c->advice),
			 "install security update KB958644 (MS08-067) or a later "
			 "service pack; block TCP 139/445 from untrusted networks until then");
	else if (st == MAMORI_AUDIT_UNKNOWN)
		set_text(c->advice, sizeof(c->advice),
			 "check the netapi32.dll version by hand against KB958644");
}

/* root names the hive for the advice: "HKLM\\SOFTWARE" or "HKCU". */
static void check_autorun(struct mamori_audit_result *res, struct mamori_hive *h,
			  const char *root, const char *key, const char *subject)
{
	static const char *const values[] = {"NoDriveTypeAutoRun", "NoDriveAutoRun"};
	struct mamori_audit_check *c;
	char seen[2][48];
	bool ok = true;
	if (!h) {
		c = add_check(res, "autorun", subject, MAMORI_AUDIT_UNKNOWN);
		if (c)
			set_text(c->detail, sizeof(c->detail), "hive not readable");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		uint32_t v;
		int r = mamori_hive_get_dword(h, key, values[i], &v);
		if (r == 0) {
			snprintf(seen[i], sizeof(seen[i]), "%s=0x%X", values[i], v);
			ok = ok && (v & 0xFF) == 0xFF;
		} else {
			snprintf(seen[i], sizeof(seen[i]), "%s %s", values[i],
				 r == MAMORI_ENOENT ? "not set" : "unreadable");
			ok = false;
		}
	}
	c = add_check(res, "autorun", subject, ok ? MAMORI_AUDIT_PASS : MAMORI_AUDIT_FAIL);
	if (!c)
		return;
	set_text(c->detail, sizeof(c->detail), "%s, %s", seen[0], seen[1]);
	if (!ok)
		set_text(c->advice, sizeof(c->advice),
			 "set %s\\%s NoDriveTypeAutoRun and NoDriveAutoRun to 0xFF "
			 "(REG_DWORD) to stop AutoRun on every drive (KB967715)", root, key);
}

/* damaged: the SYSTEM hive was only salvaged, so a missing service may
 * just be in a lost bin and is UNKNOWN rather than FAIL. */
static void check_update(struct mamori_audit_result *res, struct mamori_hive *sys,
			 bool damaged)
{
	static const char *const svcs[] = {"wuauserv", "BITS"};
	char ccs[32];
	for (size_t i = 0; i < 2; i++) {
		char key[96];
		uint32_t start;
		struct mamori_audit_check *c;
		if (!sys || mamori_hive_control_set(sys, ccs, sizeof(ccs)) != 0) {
			c = add_check(res, "update", svcs[i], MAMORI_AUDIT_UNKNOWN);
			if (c)
				set_text(c->detail, sizeof(c->detail),
					 "SYSTEM hive or its control set not readable");
			continue;
		}
		snprintf(key, sizeof(key), "%s\\Services\\%s", ccs, svcs[i]);
		int r = mamori_hive_get_dword(sys, key, "Start", &start);
		enum mamori_audit_status st =
			r == 0 ? (start != 4 ? MAMORI_AUDIT_PASS : MAMORI_AUDIT_FAIL)
			: r == MAMORI_ENOENT && !damaged ? MAMORI_AUDIT_FAIL
			: MAMORI_AUDIT_UNKNOWN;
		c = add_check(res, "update", svcs[i], st);
		if (!c)
			continue;
		if (r == 0)
			set_text(c->detail, sizeof(c->detail), "%s Start=%u (%s)", key, start,
				 start == 4 ? "disabled" : start == 2 ? "automatic"
					 : start == 3 ? "manual" : "other");
		else
			set_text(c->detail, sizeof(c->detail), "%s: %s", key,
				 st == MAMORI_AUDIT_FAIL ? "service not registered"
				 : "not readable (hive damaged)");
		if (st == MAMORI_AUDIT_FAIL)
			set_text(c->advice, sizeof(c->advice),
				 "re-enable %s (Start=2 automatic or 3 manual); Conficker "
				 "disables it to block updates", svcs[i]);
	}
}

static void check_hidden(struct mamori_audit_result *res, struct mamori_hive *sw)
{
	static const char key[] =
		"Microsoft\\Windows\\CurrentVersion\\Explorer\\Advanced\\Folder\\Hidden\\SHOWALL";
	uint32_t v = 0;
	int r = sw ? mamori_hive_get_dword(sw, key, "CheckedValue", &v) : MAMORI_ENOENT;
	enum mamori_audit_status st = r != 0 ? MAMORI_AUDIT_UNKNOWN
				      : v == 0 ? MAMORI_AUDIT_FAIL : MAMORI_AUDIT_PASS;
	struct mamori_audit_check *c = add_check(res, "hidden-files", "HKLM", st);
	if (!c)
		return;
	if (r == 0)
		set_text(c->detail, sizeof(c->detail), "SHOWALL CheckedValue=%u", v);
	else
		set_text(c->detail, sizeof(c->detail), "SHOWALL CheckedValue %s",
			 sw ? "not set or not a number" : "not readable (no SOFTWARE hive)");
	if (st == MAMORI_AUDIT_FAIL)
		set_text(c->advice, sizeof(c->advice),
			 "set HKLM\\SOFTWARE\\%s CheckedValue to 1 (REG_DWORD) so hidden "
			 "files can be shown; Conficker forces it to 0", key);
}

struct lsa_collect {
	char text[384];
	size_t n;
};

static int lsa_finding(const struct mamori_finding *f, void *vctx)
{
	struct lsa_collect *l = vctx;
	if (f->severity == MAMORI_SEV_INFO)
		return 0;	/* optional Microsoft package, not a hardening issue */
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof(l->text) - used, "%s%s: %s", l->n ? "; " : "",
		 f->value ? f->value : "", f->data ? f->data : "");
	l->n++;
	return 0;
}

static void check_lsa(struct mamori_audit_result *res, struct mamori_hive *sys,
		      const char *path)
{
	struct lsa_collect l = {{0}, 0};
	int r = sys ? mamori_hive_check_lsa(sys, path, lsa_finding, &l) : MAMORI_ENOENT;
	enum mamori_audit_status st = r != 0 ? MAMORI_AUDIT_UNKNOWN
				      : l.n ? MAMORI_AUDIT_FAIL : MAMORI_AUDIT_PASS;
	struct mamori_audit_check *c = add_check(res, "lsa", "SYSTEM", st);
	if (!c)
		return;
	if (st == MAMORI_AUDIT_PASS)
		set_text(c->detail, sizeof(c->detail),
			 "Authentication, Notification and Security Packages are defaults");
	else if (st == MAMORI_AUDIT_FAIL)
		set_text(c->detail, sizeof(c->detail), "non-default: %s", l.text);
	else
		set_text(c->detail, sizeof(c->detail), "SYSTEM hive not readable");
	if (st == MAMORI_AUDIT_FAIL)
		set_text(c->advice, sizeof(c->advice),
			 "remove the non-default entries from Control\\Lsa and quarantine "
			 "the DLLs they name (Flame registers mssecmgr here)");
}

/* ---- driver -------------------------------------------------------- */

int mamori_audit_run(const char *root, struct mamori_audit_result *res)
{
	struct mamori_hive **open = NULL;
	struct mamori_hive *sys = NULL, *sw = NULL;
	const char *sys_path = NULL;
	bool sys_damaged = false;
	int rc;
	memset(res, 0, sizeof(*res));
	mamori_hive_report_init(&res->hives);
	res->checks = calloc(MAMORI_AUDIT_MAX_CHECKS, sizeof(*res->checks));
	if (!res->checks)
		return MAMORI_ENOMEM;
	rc = mamori_hive_discover(root, &res->hives);
	if (rc)
		return rc;
	read_netapi(root, res);
	if (res->hives.n == 0 && !res->netapi_path)
		return MAMORI_ENOENT;
	open = calloc(res->hives.n + 1, sizeof(*open));
	if (!open)
		return MAMORI_ENOMEM;
	for (size_t i = 0; i < res->hives.n; i++) {
		struct mamori_hive_file *f = &res->hives.files[i];
		if (mamori_hive_open(f->path, mamori_hive_kind_name(f->kind), &open[i], f) ==
		    MAMORI_ENOMEM)
			FAIL(MAMORI_ENOMEM);
		if (f->kind == MAMORI_HIVE_SYSTEM && !sys) {
			sys = open[i];
			sys_path = f->path;
			sys_damaged = f->err != 0;
		}
		if (f->kind == MAMORI_HIVE_SOFTWARE && !sw)
			sw = open[i];
		res->hives.dirty += f->dirty;
		res->hives.corrupt += f->err != 0;
	}
	if (sw)
		read_version(sw, &res->win);

	check_ms08067(res);
	check_autorun(res, sw, "HKLM\\SOFTWARE",
		      "Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer", "HKLM");
	for (size_t i = 0; i < res->hives.n; i++) {
		struct mamori_hive_file *f = &res->hives.files[i];
		if (f->kind == MAMORI_HIVE_NTUSER)
			check_autorun(res, open[i], "HKCU",
				      "Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer",
				      f->user ? f->user : "NTUSER.DAT");
	}
	check_update(res, sys, sys_damaged);
	check_hidden(res, sw);
	check_lsa(res, sys, sys_path);

	for (size_t i = 0; i < res->n; i++) {
		res->pass += res->checks[i].status == MAMORI_AUDIT_PASS;
		res->fail += res->checks[i].status == MAMORI_AUDIT_FAIL;
		res->unknown += res->checks[i].status == MAMORI_AUDIT_UNKNOWN;
	}
out:
	for (size_t i = 0; open && i < res->hives.n; i++)
		mamori_hive_close(open[i]);
	free(open);
	return rc;
}
