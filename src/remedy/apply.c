/*
 * Carrying out and reversing a remediation plan under the journal
 * (journal.c holds the format and the state table; the functions named
 * there live here).
 *
 * A file step: read the file through the confined root descriptor, store
 * its compressed copy (durable), add its manifest row, journal P, unlink
 * the original and fsync its directory, journal A, mark the row
 * quarantined.  A hive step (all the plan's edits of one hive at once):
 * refuse a dirty hive, write a backup (durable), copy it, edit the copy
 * with libhivex and commit, re-open the copy and verify every edit,
 * journal the old values (E) and P, replace the hive by temp file +
 * rename, journal A.  Undo runs the journal backwards: files come back
 * from the store (hash checked), hives from their backups.
 *
 * Recovery: an apply or undo first settles every journal left without its
 * 'C' by a crash: a prepared step whose change reached the disk is marked
 * applied, one whose change did not is dropped with its stored copy.
 *
 * Invariants: nothing outside the root (descriptor walk, fsafe.c) and the
 * quarantine directory is opened for writing; a failure in one step
 * leaves that step either not started or dropped, and the other steps go
 * on; crash points (MAMORI_CRASH_AT) follow every durable write.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hivex.h>
#include <sqlite3.h>

#include "hive/hive.h"
#include "remedy/hedit.h"
#include "remedy/remedy_int.h"
#include "util/err.h"

#define MAX_JOURNALS 4096

struct jctx {
	char qdir[PATH_MAX];
	char root[PATH_MAX];
	char name[128];		/* journal file name */
	char path[PATH_MAX];	/* journal file */
	char dir[PATH_MAX];	/* its backups folder */
	int fd;			/* O_APPEND */
	int rootfd;
	sqlite3 *db;
	int step;		/* last step prepared */
};

/* ---- qdir ------------------------------------------------------------- */

static bool inside(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, n) && (a[n] == '/' || a[n] == 0);
}

int mamori_remedy_check_qdir(const char *root, const char *qdir, struct mamori_diag *diag)
{
	char rr[PATH_MAX], rq[PATH_MAX], sub[PATH_MAX + 16];
	struct stat st;
	if (!realpath(root, rr) || stat(rr, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mamori_diag_set(diag, 0, 0, "root %s is not a folder", root);
		return MAMORI_ENOENT;
	}
	/* judge where qdir would be before creating anything */
	char parent[PATH_MAX], *slash;
	snprintf(parent, sizeof(parent), "%s", qdir);
	while ((slash = strrchr(parent, '/')) && slash[1] == 0 && slash != parent)
		*slash = 0;
	slash = strrchr(parent, '/');
	const char *leaf = slash ? slash + 1 : parent;
	char pdir[PATH_MAX];
	snprintf(pdir, sizeof(pdir), "%.*s", slash ? (int)(slash - parent) : 1,
		 slash ? (slash == parent ? "/" : parent) : ".");
	if (realpath(pdir, rq) && rm_fmt(sub, sizeof(sub), "%s/%s", rq, leaf) &&
	    (inside(sub, rr) || inside(rr, sub))) {
		mamori_diag_set(diag, 0, 0,
				"quarantine folder %s lies inside the scanned tree %s (or holds "
				"it): quarantined files would be rescanned and could be "
				"reached from the volume; choose one outside with --quarantine",
				sub, rr);
		return MAMORI_EINVAL;
	}
	if (mkdir(qdir, 0700) < 0 && errno != EEXIST) {
		mamori_diag_set(diag, 0, 0, "cannot create quarantine folder %s: %s", qdir,
				strerror(errno));
		return rm_errno(errno);
	}
	if (!realpath(qdir, rq) || stat(rq, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mamori_diag_set(diag, 0, 0, "quarantine %s is not a folder", qdir);
		return MAMORI_EINVAL;
	}
	if (inside(rq, rr) || inside(rr, rq)) {
		mamori_diag_set(diag, 0, 0,
				"quarantine folder %s lies inside the scanned tree %s (or holds "
				"it): quarantined files would be rescanned and could be "
				"reached from the volume; choose one outside with --quarantine",
				rq, rr);
		return MAMORI_EINVAL;
	}
	snprintf(sub, sizeof(sub), "%s/journals", rq);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return rm_errno(errno);
	snprintf(sub, sizeof(sub), "%s/store", rq);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return rm_errno(errno);
	return 0;
}

/* ---- journal files ----------------------------------------------------- */

static int cmp_desc(const void *a, const void *b)
{
	return strcmp(*(const char *const *)b, *(const char *const *)a);
}

int mamori_remedy_journals(const char *qdir, char ***out, size_t *n)
{
	char dir[PATH_MAX];
	char **v = NULL;
	size_t k = 0;
	snprintf(dir, sizeof(dir), "%s/journals", qdir);
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : rm_errno(errno);
	v = calloc(MAX_JOURNALS, sizeof(*v));
	if (!v) {
		closedir(d);
		return MAMORI_ENOMEM;
	}
	for (struct dirent *e; (e = readdir(d)) && k < MAX_JOURNALS;) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".mj"))
			continue;
		if (asprintf(&v[k], "%s/%s", dir, e->d_name) < 0) {
			closedir(d);
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return MAMORI_ENOMEM;
		}
		k++;
	}
	closedir(d);
	qsort(v, k, sizeof(*v), cmp_desc);
	*out = v;
	*n = k;
	return 0;
}

static int jappend(struct jctx *c, const char *const *f, size_t n)
{
	return rm_journal_append(c->fd, f, n);
}

static int jrec(struct jctx *c, const char *type, int step)
{
	char s[16];
	snprintf(s, sizeof(s), "%d", step);
	const char *f[] = {type, s};
	return jappend(c, f, step ? 2 : 1);
}

static void jctx_close(struct jctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->rootfd >= 0)
		close(c->rootfd);
	rm_store_close(c->db);
	c->fd = c->rootfd = -1;
	c->db = NULL;
}

/* Loads and parses a journal file and opens it for appending. */
static int jctx_open(struct jctx *c, const char *path, struct rm_journal *j,
		     struct mamori_diag *diag)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int rc;
	memset(c, 0, sizeof(*c));
	c->fd = c->rootfd = -1;
	if ((rc = rm_read_path(path, &text, &len)) < 0) {
		mamori_diag_set(diag, 0, 0, "cannot read journal %s: %s", path,
				mamori_strerror(rc));
		return rc;
	}
	rc = rm_journal_parse(text, len, j, diag);
	free(text);
	if (rc) {
		if (diag) {
			char m[sizeof(diag->msg)];
			snprintf(m, sizeof(m), "%s", diag->msg);
			rm_fmt(diag->msg, sizeof(diag->msg), "journal %s line %u: %s; nothing "
				 "was changed", path, diag->line, m);
		}
		return rc;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	const char *b = strrchr(path, '/');
	snprintf(c->name, sizeof(c->name), "%s", b ? b + 1 : path);
	snprintf(c->qdir, sizeof(c->qdir), "%s", j->qdir);
	snprintf(c->root, sizeof(c->root), "%s", j->root);
	rm_fmt(c->dir, sizeof(c->dir), "%s/journals/%s.d", c->qdir, c->name);
	/* The journal must sit in the quarantine folder it names. */
	char rp[PATH_MAX], want[PATH_MAX + 16];
	rm_fmt(want, sizeof(want), "%s/journals/%s", c->qdir, c->name);
	if (!realpath(path, rp) || strcmp(rp, want)) {
		mamori_diag_set(diag, 0, 0, "journal %s does not belong to the quarantine folder "
				"%s it names; nothing was changed", path, c->qdir);
		FAIL(MAMORI_EINVAL);
	}
	c->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (c->fd < 0)
		FAIL(rm_errno(errno));
	if (ftruncate(c->fd, (off_t)j->good_len) < 0)	/* drop a torn record */
		FAIL(rm_errno(errno));
	c->rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0) {
		mamori_diag_set(diag, 0, 0, "root %s of journal %s: %s", c->root, path,
				strerror(errno));
		FAIL(rm_errno(errno));
	}
	CHECK(rm_store_open(c->qdir, &c->db, diag));
	c->step = (int)j->n;
	return 0;
out:
	jctx_close(c);
	rm_journal_release(j);
	return rc;
}

/* ---- reading a target ---------------------------------------------------- */

/* SHA-256 of root/rel now: 0, MAMORI_ENOENT (absent), or an error. */
static int sha_of(int rootfd, const char *rel, char hex[65])
{
	char base[256];
	int dfd, rc;
	uint8_t *d = NULL;
	size_t n;
	if ((rc = rm_open_parent(rootfd, rel, false, &dfd, base, sizeof(base))) < 0)
		return rc;
	rc = rm_read_at(dfd, base, &d, &n, NULL);
	if (!rc)
		rc = rm_sha256(d, n, hex);
	free(d);
	close(dfd);
	return rc;
}

/* ---- recovery --------------------------------------------------------------- */

static void drop_file_step(struct jctx *c, const struct rm_step *s)
{
	char p[PATH_MAX + 300];
	snprintf(p, sizeof(p), "%s/store/%s", c->qdir, s->blob);
	unlink(p);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, "DELETE FROM items WHERE id=?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, s->qid);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
}

static void unlink_hive_tmp(struct jctx *c, const char *rel)
{
	char base[256], tmp[300];
	int dfd;
	if (rm_open_parent(c->rootfd, rel, false, &dfd, base, sizeof(base)) < 0)
		return;
	snprintf(tmp, sizeof(tmp), ".%s.mamori-tmp", base);
	unlinkat(dfd, tmp, 0);
	close(dfd);
}

static int settle(struct jctx *c, struct rm_journal *j, struct mamori_diag *diag)
{
	int rc = 0;
	for (size_t i = 0; i < j->n; i++) {
		struct rm_step *s = &j->v[i];
		char now[65];
		if (s->applied && !s->undone && s->kind == 'f')
			rm_store_move(c->db, s->qid, "pending", "quarantined");
		if (s->applied || s->dropped)
			continue;
		int r = sha_of(c->rootfd, s->rel, now);
		bool applied, dropped;
		if (s->kind == 'f') {
			applied = r == MAMORI_ENOENT;
			dropped = r == 0 && !strcmp(now, s->sha_old);
		} else {
			applied = r == 0 && !strcmp(now, s->sha_new);
			dropped = r == 0 && !strcmp(now, s->sha_old);
		}
		if (applied) {
			CHECK(jrec(c, "A", s->step));
			s->applied = true;
			if (s->kind == 'f')
				CHECK(rm_store_set_status(c->db, s->qid, "quarantined"));
		} else if (dropped) {
			if (s->kind == 'f')
				drop_file_step(c, s);
			else
				unlink_hive_tmp(c, s->rel);
			CHECK(jrec(c, "X", s->step));
			s->dropped = true;
		} else {
			mamori_diag_set(diag, 0, 0, "journal %s step %d: %s changed since it was "
					"journaled (neither the state before nor after); left as it "
					"is", c->path, s->step, s->rel);
			FAIL(MAMORI_ESTATE);
		}
	}
	/* a copy stored or a backup written for a step that never got its P */
	char p[PATH_MAX + 300];
	snprintf(p, sizeof(p), "%s/store/%s-%zu.mq", c->qdir, c->name, j->n + 1);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%zu.hive", c->dir, j->n + 1);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%zu.work", c->dir, j->n + 1);
	unlink(p);
	CHECK(rm_store_drop_pending(c->db, c->qdir, c->name));
out:
	return rc;
}

static int recover_journal(const char *path, bool *did, struct mamori_diag *diag)
{
	struct rm_journal j;
	struct jctx c;
	int rc;
	*did = false;
	{
		uint8_t *text = NULL;
		size_t len;
		if ((rc = rm_read_path(path, &text, &len)) < 0)
			return rc;
		rc = rm_journal_parse(text, len, &j, NULL);
		free(text);
		bool settled = true;
		for (size_t i = 0; rc == 0 && i < j.n; i++)
			if (!j.v[i].applied && !j.v[i].dropped)
				settled = false;
		if (rc == 0 && j.complete && settled) {
			rm_journal_release(&j);
			return 0;
		}
		if (rc == 0)
			rm_journal_release(&j);
	}
	CHECK(jctx_open(&c, path, &j, diag));
	rc = settle(&c, &j, diag);
	if (!rc && !j.complete)
		rc = jrec(&c, "C", 0);
	*did = rc == 0;
	jctx_close(&c);
	rm_journal_release(&j);
out:
	return rc;
}

int mamori_remedy_recover(const char *qdir, size_t *n, struct mamori_diag *diag)
{
	char **v = NULL;
	size_t k = 0, done = 0;
	int rc = mamori_remedy_journals(qdir, &v, &k);
	for (size_t i = 0; !rc && i < k; i++) {
		bool did;
		rc = recover_journal(v[k - 1 - i], &did, diag);
		done += did;
	}
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	if (n)
		*n = done;
	return rc;
}

bool mamori_remedy_history_usb_worm(const char *qdir, const char *root)
{
	char rr[PATH_MAX], **v = NULL;
	size_t n = 0;
	bool found = false;
	if (!realpath(root, rr) || mamori_remedy_journals(qdir, &v, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t *text = NULL;
		size_t len;
		struct rm_journal j;
		if (!found && rm_read_path(v[i], &text, &len) == 0 &&
		    rm_journal_parse(text, len, &j, NULL) == 0) {
			found = j.usb_worm && !j.reverted && !strcmp(j.root, rr);
			rm_journal_release(&j);
		}
		free(text);
		free(v[i]);
	}
	free(v);
	return found;
}

/* ---- apply ------------------------------------------------------------------ */

static int file_step(struct jctx *c, const struct mamori_remedy_action *a,
		     struct mamori_remedy_result *r)
{
	char base[256], blob[200], sha[65], step[16], qid[32], mode[16];
	struct stat st;
	uint8_t *d = NULL;
	size_t n = 0;
	int dfd = -1, rc;
	int64_t id = 0;
	bool stored = false, prepared = false, removed = false;
	rc = rm_open_parent(c->rootfd, a->rel, false, &dfd, base, sizeof(base));
	if (rc == MAMORI_ENOENT) {
		r->skipped = true;
		snprintf(r->msg, sizeof(r->msg), "already gone");
		return 0;
	}
	if (rc == MAMORI_EPERM) {
		snprintf(r->msg, sizeof(r->msg), "a folder on the way is a symlink or not a "
			 "folder: not followed, nothing done");
		return rc;
	}
	if (rc < 0)
		goto out;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			r->skipped = true;
			snprintf(r->msg, sizeof(r->msg), "already gone");
			FAIL(0);
		}
		FAIL(rm_errno(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(r->msg, sizeof(r->msg), "%s, not a regular file: not followed, nothing done",
			 S_ISLNK(st.st_mode) ? "a symlink" : "a special file");
		FAIL(MAMORI_EPERM);
	}
	CHECK(rm_read_at(dfd, base, &d, &n, &st));
	CHECK(rm_sha256(d, n, sha));
	if (a->sha256 && strcmp(a->sha256, sha)) {
		snprintf(r->msg, sizeof(r->msg), "changed since the scan (SHA-256 differs): "
			 "scan again; nothing done");
		FAIL(MAMORI_ESTATE);
	}
	int sn = c->step + 1;
	snprintf(blob, sizeof(blob), "%s-%d.mq", c->name, sn);
	CHECK(rm_store_put(c->qdir, blob, d, n));
	stored = true;
	rm_crash_point();
	struct mamori_quar_item it;
	memset(&it, 0, sizeof(it));
	snprintf(it.journal, sizeof(it.journal), "%s", c->name);
	it.step = sn;
	rm_fmt(it.root, sizeof(it.root), "%s", c->root);
	snprintf(it.path, sizeof(it.path), "%s", a->rel);
	it.size = n;
	it.mode = st.st_mode & 07777;
	it.uid = st.st_uid;
	it.gid = st.st_gid;
	it.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	it.atime_ns = (int64_t)st.st_atim.tv_sec * 1000000000 + st.st_atim.tv_nsec;
	memcpy(it.sha256, sha, 65);
	snprintf(it.family, sizeof(it.family), "%s", a->family);
	snprintf(it.indicator, sizeof(it.indicator), "%s", a->indicator);
	it.qtime = (int64_t)time(NULL);
	CHECK(rm_store_insert(c->db, &it, blob, &id));
	snprintf(step, sizeof(step), "%d", sn);
	snprintf(qid, sizeof(qid), "%lld", (long long)id);
	snprintf(mode, sizeof(mode), "%o", it.mode);
	const char *f[] = {"P", step, "f", a->rel, blob, sha, qid, mode};
	CHECK(jappend(c, f, 8));
	prepared = true;
	c->step = sn;
	if (unlinkat(dfd, base, 0) < 0) {
		int e = errno;
		snprintf(r->msg, sizeof(r->msg), "cannot remove it: %s; nothing done", strerror(e));
		FAIL(rm_errno(e));
	}
	/* the unlink happened: from here the step is applied, even if the
	 * directory fsync fails (recovery judges by what is on disk) */
	(void)fsync(dfd);
	removed = true;
	rm_crash_point();
	CHECK(jrec(c, "A", sn));
	CHECK(rm_store_set_status(c->db, id, "quarantined"));
	r->done = true;
	snprintf(r->msg, sizeof(r->msg), "quarantined as item %lld", (long long)id);
out:
	if (rc < 0 && removed) {
		/* the original is gone and its copy is stored: keep both; the
		 * journal lacks only its 'A', which the next run settles */
		snprintf(r->msg, sizeof(r->msg), "quarantined as item %lld, but the journal "
			 "could not be finished (%s): the next run settles it",
			 (long long)id, mamori_strerror(rc));
	} else if (rc < 0) {
		/* undo the preparation: the original is still in place */
		if (prepared)
			jrec(c, "X", c->step);
		if (stored) {
			char p[PATH_MAX + 300];
			snprintf(p, sizeof(p), "%s/store/%s", c->qdir, blob);
			unlink(p);
		}
		if (id) {
			struct rm_step s = {.blob = blob, .qid = id};
			drop_file_step(c, &s);
		}
		if (!r->msg[0])
			snprintf(r->msg, sizeof(r->msg), "%s; nothing done", mamori_strerror(rc));
	}
	free(d);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static void set_all(struct mamori_remedy_report *rep, size_t from, size_t to, int rc,
		    bool done, bool skipped, const char *msg)
{
	for (size_t i = from; i < to; i++) {
		rep->v[i].rc = rc;
		rep->v[i].done = done;
		rep->v[i].skipped = skipped;
		if (msg)
			snprintf(rep->v[i].msg, sizeof(rep->v[i].msg), "%s", msg);
	}
}

static int hive_step(struct jctx *c, const struct mamori_remedy_plan *plan, size_t from,
		     size_t to, struct mamori_remedy_report *rep)
{
	char base[256], bpath[PATH_MAX + 40], wpath[PATH_MAX + 40], msg[320];
	char sha_old[65], sha_new[65], step[16], mode[16], bname[32];
	struct stat st;
	uint8_t *d = NULL, *nd = NULL;
	size_t n = 0, nn = 0;
	int dfd = -1, rc = 0, sn = c->step + 1;
	hive_h *h = NULL;
	bool changed = false, prepared = false;
	const char *rel = plan->v[from].rel;
	struct rm_hedit_res *res = calloc(to - from, sizeof(*res));
	msg[0] = 0;
	if (!res)
		FAIL(MAMORI_ENOMEM);
	rc = rm_open_parent(c->rootfd, rel, false, &dfd, base, sizeof(base));
	if (rc == 0)
		rc = rm_read_at(dfd, base, &d, &n, &st);
	if (rc == MAMORI_EPERM)
		snprintf(msg, sizeof(msg), "hive is reached through a symlink: not followed, "
			 "nothing done");
	if (rc < 0)
		goto out;
	uint32_t s1, s2;
	const char *why = NULL;
	if (mamori_hive_header(d, n, &s1, &s2, &why) < 0) {
		snprintf(msg, sizeof(msg), "not a readable hive (%s): nothing done",
			 why ? why : "bad header");
		FAIL(MAMORI_EFORMAT);
	}
	if (s1 != s2) {
		snprintf(msg, sizeof(msg), "hive is dirty: its sequence numbers %u and %u "
			 "differ, so its transaction logs hold changes not yet written into "
			 "it; editing it would lose them.  Boot that Windows once (or replay "
			 "the logs) and clean again; nothing done", s1, s2);
		FAIL(MAMORI_ESTATE);
	}
	CHECK(rm_sha256(d, n, sha_old));
	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST)
		FAIL(rm_errno(errno));
	snprintf(bname, sizeof(bname), "%d.hive", sn);
	snprintf(bpath, sizeof(bpath), "%s/%s", c->dir, bname);
	snprintf(wpath, sizeof(wpath), "%s/%d.work", c->dir, sn);
	CHECK(rm_write_path(bpath, d, n));
	rm_crash_point();
	CHECK(rm_write_path(wpath, d, n));
	h = hivex_open(wpath, HIVEX_OPEN_WRITE);
	if (!h) {
		snprintf(msg, sizeof(msg), "libhivex cannot open it for writing: %s; nothing done",
			 strerror(errno));
		FAIL(MAMORI_EDEP);
	}
	for (size_t i = from; i < to; i++) {
		int r = rm_hedit_apply(h, &plan->v[i], &res[i - from]);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "%s %s\\%s failed (%s): no edit of this hive "
				 "was made", mamori_remedy_op_name(plan->v[i].op), plan->v[i].key,
				 plan->v[i].value ? plan->v[i].value : "", mamori_strerror(r));
			FAIL(r);
		}
		changed |= res[i - from].changed;
	}
	if (!changed) {
		set_all(rep, from, to, 0, false, true, "already done");
		FAIL(0);
	}
	if (hivex_commit(h, NULL, 0) < 0) {
		snprintf(msg, sizeof(msg), "libhivex commit failed: %s; nothing done",
			 strerror(errno));
		FAIL(MAMORI_EDEP);
	}
	hivex_close(h);
	h = hivex_open(wpath, 0);
	if (!h)
		FAIL(MAMORI_EDEP);
	for (size_t i = from; i < to; i++)
		if (!rm_hedit_verify(h, &plan->v[i])) {
			snprintf(msg, sizeof(msg), "edited copy does not verify (%s %s): nothing "
				 "done", mamori_remedy_op_name(plan->v[i].op), plan->v[i].key);
			FAIL(MAMORI_EDEP);
		}
	hivex_close(h);
	h = NULL;
	CHECK(rm_read_path(wpath, &nd, &nn));
	CHECK(rm_sha256(nd, nn, sha_new));
	rm_crash_point();
	snprintf(step, sizeof(step), "%d", sn);
	for (size_t i = from; i < to; i++) {
		char text[1400];
		if (!res[i - from].changed)
			continue;
		snprintf(text, sizeof(text), "%s %s\\%s old type %u data %s",
			 mamori_remedy_op_name(plan->v[i].op), plan->v[i].key,
			 plan->v[i].value ? plan->v[i].value : "", res[i - from].old_type,
			 res[i - from].old_hex);
		const char *f[] = {"E", step, text};
		CHECK(jappend(c, f, 3));
	}
	snprintf(mode, sizeof(mode), "%o", (unsigned)(st.st_mode & 07777));
	const char *f[] = {"P", step, "h", rel, bname, sha_old, sha_new, mode};
	CHECK(jappend(c, f, 8));
	prepared = true;
	c->step = sn;
	rc = rm_replace_at(dfd, base, nd, nn, st.st_mode, &st);
	char now[65];
	if (rc < 0 && sha_of(c->rootfd, rel, now) == 0 && !strcmp(now, sha_new))
		rc = 0;	/* renamed; only the directory fsync failed */
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot replace the hive: %s; left as it was",
			 mamori_strerror(rc));
		goto out;
	}
	rm_crash_point();
	CHECK(jrec(c, "A", sn));
	unlink(wpath);
	for (size_t i = from; i < to; i++) {
		rep->v[i].done = res[i - from].changed;
		rep->v[i].skipped = !res[i - from].changed;
		snprintf(rep->v[i].msg, sizeof(rep->v[i].msg), "%s",
			 res[i - from].changed ? "done (hive backed up first)" : "already done");
	}
out:
	if (h)
		hivex_close(h);
	if (rc < 0 || !changed) {
		if (prepared)
			jrec(c, "X", c->step);
		if (res) {
			unlink(wpath);
			unlink(bpath);
		}
		if (rc < 0)
			set_all(rep, from, to, rc, false, false,
				msg[0] ? msg : mamori_strerror(rc));
	}
	free(res);
	free(d);
	free(nd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static bool is_file_op(enum mamori_remedy_op op)
{
	return op == MAMORI_RM_QUARANTINE || op == MAMORI_RM_REMOVE_AUTORUN;
}

static int new_journal(struct jctx *c, const char *root, const char *qdir,
		       struct mamori_diag *diag)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	int rc = 0;
	memset(c, 0, sizeof(*c));
	c->fd = c->rootfd = -1;
	if (!realpath(root, c->root) || !realpath(qdir, c->qdir)) {
		mamori_diag_set(diag, 0, 0, "cannot resolve %s or %s", root, qdir);
		return MAMORI_ENOENT;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(c->name, sizeof(c->name), "%s.%09ld-%d.mj", stamp, ts.tv_nsec, (int)getpid());
	rm_fmt(c->path, sizeof(c->path), "%s/journals/%s", c->qdir, c->name);
	rm_fmt(c->dir, sizeof(c->dir), "%s/journals/%s.d", c->qdir, c->name);
	c->rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		FAIL(rm_errno(errno));
	CHECK(rm_store_open(c->qdir, &c->db, diag));
	c->fd = open(c->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (c->fd < 0) {
		mamori_diag_set(diag, 0, 0, "cannot create journal %s: %s", c->path,
				strerror(errno));
		FAIL(rm_errno(errno));
	}
	const char *f[] = {"MJ1", c->root, c->qdir};
	rc = jappend(c, f, 3);
	if (rc == 0)
		rc = rm_fsync_dir(c->path[0] ? c->qdir : ".");
	if (rc < 0) {
		mamori_diag_set(diag, 0, 0, "cannot write journal %s: %s", c->path,
				mamori_strerror(rc));
		unlink(c->path);
	}
out:
	if (rc < 0)
		jctx_close(c);
	return rc;
}

void mamori_remedy_report_release(struct mamori_remedy_report *rep)
{
	if (!rep)
		return;
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

int mamori_remedy_apply(const struct mamori_remedy_plan *plan, const char *qdir,
			struct mamori_remedy_report *rep, struct mamori_diag *diag)
{
	struct jctx c;
	int rc;
	memset(rep, 0, sizeof(*rep));
	CHECK(mamori_remedy_check_qdir(plan->root, qdir, diag));
	CHECK(mamori_remedy_recover(qdir, &rep->recovered, diag));
	rep->v = calloc(plan->n ? plan->n : 1, sizeof(*rep->v));
	if (!rep->v)
		FAIL(MAMORI_ENOMEM);
	rep->n = plan->n;
	size_t todo = 0;
	for (size_t i = 0; i < plan->n; i++) {
		rep->v[i].action = i;
		if (plan->v[i].note) {
			rep->v[i].rc = MAMORI_EINVAL;
			snprintf(rep->v[i].msg, sizeof(rep->v[i].msg), "%s", plan->v[i].note);
		} else {
			todo++;
		}
	}
	if (!todo)
		goto tally;
	rc = new_journal(&c, plan->root, qdir, diag);
	if (rc < 0) {
		/* nothing could be journaled, so nothing was done */
		for (size_t i = 0; i < plan->n; i++)
			if (!plan->v[i].note) {
				rep->v[i].rc = rc;
				snprintf(rep->v[i].msg, sizeof(rep->v[i].msg), "%s; nothing done",
					 diag && diag->msg[0] ? diag->msg : mamori_strerror(rc));
			}
		goto tally;
	}
	rm_fmt(rep->journal, sizeof(rep->journal), "%s", c.path);
	if (plan->usb_worm && (rc = jrec(&c, "W", 0)) < 0) {
		jctx_close(&c);
		goto out;
	}
	for (size_t i = 0; i < plan->n;) {
		const struct mamori_remedy_action *a = &plan->v[i];
		if (a->note) {
			i++;
			continue;
		}
		if (is_file_op(a->op)) {
			rep->v[i].rc = file_step(&c, a, &rep->v[i]);
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < plan->n && !is_file_op(plan->v[j].op) && !plan->v[j].note &&
		       !strcmp(plan->v[j].rel, a->rel))
			j++;
		hive_step(&c, plan, i, j, rep);
		i = j;
	}
	rc = jrec(&c, "C", 0);
	jctx_close(&c);
	if (rc < 0) {
		mamori_diag_set(diag, 0, 0, "cannot finish journal: %s", mamori_strerror(rc));
		goto out;
	}
tally:
	for (size_t i = 0; i < rep->n; i++) {
		if (rep->v[i].rc < 0)
			rep->failed++;
		else if (rep->v[i].done)
			rep->done++;
		else
			rep->skipped++;
	}
	rc = rep->failed ? MAMORI_EIO : 0;
out:
	return rc;
}

/* ---- undo -------------------------------------------------------------------- */

int rm_undo_file(int rootfd, const char *qdir, sqlite3 *db, const struct rm_step *s,
		 struct mamori_diag *diag)
{
	struct mamori_quar_item it;
	char blob[256], base[256], now[65];
	uint8_t *d = NULL;
	size_t n = 0;
	int dfd = -1, rc;
	rc = rm_store_get_item(db, s->qid, &it, blob, sizeof(blob));
	if (rc < 0) {
		mamori_diag_set(diag, 0, 0, "manifest row %lld for %s is %s", (long long)s->qid,
				s->rel, rc == MAMORI_ENOENT ? "missing" : "damaged");
		return rc == MAMORI_ENOENT ? rc : MAMORI_EFORMAT;
	}
	if (strcmp(it.path, s->rel) || strcmp(it.sha256, s->sha_old) || strcmp(blob, s->blob)) {
		mamori_diag_set(diag, 0, 0, "manifest row %lld does not match the journal (%s)",
				(long long)s->qid, s->rel);
		return MAMORI_EFORMAT;
	}
	if (!strcmp(it.status, "purged")) {
		mamori_diag_set(diag, 0, 0, "%s was purged from the quarantine: cannot restore",
				s->rel);
		return MAMORI_ESTATE;
	}
	CHECK(rm_open_parent(rootfd, s->rel, true, &dfd, base, sizeof(base)));
	rc = rm_read_at(dfd, base, &d, &n, NULL);
	if (rc == 0) {
		CHECK(rm_sha256(d, n, now));
		if (strcmp(now, it.sha256)) {
			mamori_diag_set(diag, 0, 0, "%s exists again with other content: not "
					"overwritten", s->rel);
			FAIL(MAMORI_EEXIST);
		}
		FAIL(0);	/* already back */
	}
	if (rc != MAMORI_ENOENT) {
		mamori_diag_set(diag, 0, 0, "%s: %s", s->rel, mamori_strerror(rc));
		goto out;
	}
	CHECK(rm_store_get(qdir, blob, &d, &n, diag));
	CHECK(rm_sha256(d, n, now));
	if (strcmp(now, it.sha256)) {
		mamori_diag_set(diag, 0, 0, "quarantined copy of %s fails its SHA-256 check",
				s->rel);
		FAIL(MAMORI_EFORMAT);
	}
	struct stat attrs;
	memset(&attrs, 0, sizeof(attrs));
	attrs.st_uid = it.uid;
	attrs.st_gid = it.gid;
	attrs.st_atim.tv_sec = it.atime_ns / 1000000000;
	attrs.st_atim.tv_nsec = it.atime_ns % 1000000000;
	attrs.st_mtim.tv_sec = it.mtime_ns / 1000000000;
	attrs.st_mtim.tv_nsec = it.mtime_ns % 1000000000;
	rc = rm_replace_at(dfd, base, d, n, it.mode, &attrs);
	if (rc < 0)
		mamori_diag_set(diag, 0, 0, "cannot restore %s: %s", s->rel, mamori_strerror(rc));
	else
		rm_crash_point();
out:
	free(d);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int finish_file_undo(struct jctx *c, const struct rm_step *s)
{
	char p[PATH_MAX + 300];
	int rc = rm_store_set_status(c->db, s->qid, "restored");
	if (rc < 0)
		return rc;
	snprintf(p, sizeof(p), "%s/store/%s", c->qdir, s->blob);
	unlink(p);
	return 0;
}

static int undo_hive(struct jctx *c, const struct rm_step *s, struct mamori_diag *diag)
{
	char base[256], now[65], bpath[PATH_MAX + 300];
	uint8_t *d = NULL, *b = NULL;
	size_t n = 0, bn = 0;
	struct stat st;
	int dfd = -1, rc;
	CHECK(rm_open_parent(c->rootfd, s->rel, false, &dfd, base, sizeof(base)));
	rc = rm_read_at(dfd, base, &d, &n, &st);
	if (rc < 0) {
		mamori_diag_set(diag, 0, 0, "hive %s: %s", s->rel, mamori_strerror(rc));
		goto out;
	}
	CHECK(rm_sha256(d, n, now));
	if (!strcmp(now, s->sha_old))
		FAIL(0);	/* already back */
	if (strcmp(now, s->sha_new)) {
		mamori_diag_set(diag, 0, 0, "hive %s changed after this clean (undo newer "
				"journals first): not restored", s->rel);
		FAIL(MAMORI_ESTATE);
	}
	snprintf(bpath, sizeof(bpath), "%s/%s", c->dir, s->blob);
	if ((rc = rm_read_path(bpath, &b, &bn)) < 0) {
		mamori_diag_set(diag, 0, 0, "hive backup %s: %s", bpath, mamori_strerror(rc));
		goto out;
	}
	CHECK(rm_sha256(b, bn, now));
	if (strcmp(now, s->sha_old)) {
		mamori_diag_set(diag, 0, 0, "hive backup %s fails its SHA-256 check", bpath);
		FAIL(MAMORI_EFORMAT);
	}
	rc = rm_replace_at(dfd, base, b, bn, st.st_mode, &st);
	if (rc < 0)
		mamori_diag_set(diag, 0, 0, "cannot restore hive %s: %s", s->rel,
				mamori_strerror(rc));
	else
		rm_crash_point();
out:
	free(d);
	free(b);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int mamori_remedy_undo(const char *journal, size_t *restored, struct mamori_diag *diag)
{
	struct rm_journal j;
	struct jctx c;
	size_t done = 0;
	bool did;
	int rc, first = 0;
	if (restored)
		*restored = 0;
	/* check the whole journal before touching anything */
	CHECK(jctx_open(&c, journal, &j, diag));
	jctx_close(&c);
	rm_journal_release(&j);
	CHECK(recover_journal(journal, &did, diag));
	CHECK(jctx_open(&c, journal, &j, diag));
	for (size_t i = j.n; i-- > 0;) {
		struct rm_step *s = &j.v[i];
		if (s->kind == 'f' && s->undone) {
			finish_file_undo(&c, s);
			continue;
		}
		if (!s->applied || s->undone)
			continue;
		struct mamori_diag d1;
		memset(&d1, 0, sizeof(d1));
		int r = s->kind == 'f' ? rm_undo_file(c.rootfd, c.qdir, c.db, s, &d1)
				       : undo_hive(&c, s, &d1);
		if (r == 0)
			r = jrec(&c, "U", s->step);
		if (r == 0 && s->kind == 'f')
			r = finish_file_undo(&c, s);
		if (r < 0) {
			if (!first) {
				first = r;
				if (diag)
					*diag = d1;
			}
			continue;
		}
		s->undone = true;
		done++;
	}
	rc = first;
	if (!rc && !j.reverted)
		rc = jrec(&c, "R", 0);
	jctx_close(&c);
	rm_journal_release(&j);
	if (restored)
		*restored = done;
out:
	return rc;
}

int mamori_quar_restore(const char *qdir, int64_t id, struct mamori_diag *diag)
{
	struct mamori_quar_item it;
	struct rm_journal j;
	struct jctx c;
	char blob[256], path[PATH_MAX + 300];
	sqlite3 *db = NULL;
	int rc;
	CHECK(rm_store_open(qdir, &db, diag));
	rc = rm_store_get_item(db, id, &it, blob, sizeof(blob));
	rm_store_close(db);
	if (rc == MAMORI_ENOENT)
		mamori_diag_set(diag, 0, 0, "no quarantined item %lld", (long long)id);
	else if (rc < 0)
		mamori_diag_set(diag, 0, 0, "manifest row %lld is damaged; nothing changed",
				(long long)id);
	if (rc < 0)
		goto out;
	if (!strcmp(it.status, "restored")) {
		/* done before (perhaps cut short before its copy was removed) */
		if (!strchr(blob, '/')) {
			char rq0[PATH_MAX];
			if (realpath(qdir, rq0)) {
				snprintf(path, sizeof(path), "%s/store/%s", rq0, blob);
				unlink(path);
			}
		}
		FAIL(0);
	}
	if (strcmp(it.status, "quarantined")) {
		mamori_diag_set(diag, 0, 0, "item %lld is %s, not quarantined", (long long)id,
				it.status);
		FAIL(MAMORI_ESTATE);
	}
	if (strchr(it.journal, '/') || !it.journal[0]) {
		mamori_diag_set(diag, 0, 0, "manifest row %lld names a bad journal", (long long)id);
		FAIL(MAMORI_EFORMAT);
	}
	char rq[PATH_MAX];
	if (!realpath(qdir, rq))
		FAIL(rm_errno(errno));
	snprintf(path, sizeof(path), "%s/journals/%s", rq, it.journal);
	CHECK(jctx_open(&c, path, &j, diag));
	struct rm_step *s = rm_journal_step(&j, it.step);
	if (s && s->kind == 'f' && s->qid == id && s->undone) {
		rc = finish_file_undo(&c, s);	/* cut short after its 'U' */
	} else if (!s || s->kind != 'f' || s->qid != id || !s->applied) {
		mamori_diag_set(diag, 0, 0, "journal %s has no applied step for item %lld",
				path, (long long)id);
		rc = MAMORI_ESTATE;
	} else {
		rc = rm_undo_file(c.rootfd, c.qdir, c.db, s, diag);
		if (rc == 0)
			rc = jrec(&c, "U", s->step);
		if (rc == 0)
			rc = finish_file_undo(&c, s);
	}
	jctx_close(&c);
	rm_journal_release(&j);
out:
	return rc;
}
