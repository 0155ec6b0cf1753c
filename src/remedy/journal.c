/*
 * The remediation journal: an append-only text file per `clean --apply`
 * run, in QDIR/journals/, written ahead of every change and fsynced after
 * each record, so that a crash at any point leaves either the old or the
 * new state on disk and a journal that says which steps may have run.
 *
 * Record format, one per line: tab-separated fields, each %XX-escaped
 * (tab, CR, LF, '%' and control bytes), then a tab and the CRC-32 (zlib)
 * of everything before that tab as 8 hex digits.
 *   MJ1  root qdir                              header, first line only
 *   E    step text                              what the step will change
 *   P    step f rel blob sha256 qid mode         file prepared (copy stored)
 *   P    step h rel backup oldsha newsha mode    hive prepared (backup and
 *                                               edited copy durable)
 *   A    step        applied       X step   dropped (never reached disk)
 *   U    step        undone        C        apply finished
 *   R                every applied step undone
 *   W                a USB worm was found: the run sets the autorun policy
 *                    (remembered so that a run resumed after a crash, whose
 *                    scan no longer sees the worm, still sets it)
 * A last line without its newline is a torn write from a crash and is
 * ignored (it was never acknowledged); any other damage is an error that
 * names the line, and nothing is touched.
 *
 * State machine of one step (functions in apply.c):
 *
 *   from       event                            to         function
 *   -          prior state stored + fsynced      prepared   file_step / hive_step
 *              (copy + manifest row, or hive
 *              backup + verified edited copy)
 *   prepared   change renamed/unlinked in place  applied    file_step / hive_step
 *   prepared   change failed, disk unchanged     dropped    file_step / hive_step
 *   prepared   crash; disk shows the old state   dropped    settle (recover_journal)
 *   prepared   crash; disk shows the new state   applied    settle (recover_journal)
 *   applied    'C' after the last step           committed  mamori_remedy_apply
 *   applied    prior state put back + 'U'        undone     rm_undo_file / undo_hive
 *              (a crash before 'U' is resumed:  undone     mamori_remedy_undo
 *              disk already shows the old state)
 *   all steps undone                             reverted   mamori_remedy_undo ('R')
 * A step a crash left prepared is settled before any new apply or undo
 * (mamori_remedy_recover, mamori_remedy_undo): nothing acts on a journal
 * whose steps are not all applied or dropped.
 *
 * Invariants: a step's P record is durable before its change; its A record
 * only after the change is durable; steps are numbered from 1 upward.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "remedy/remedy_int.h"
#include "util/err.h"

#define J_MAX_FIELDS 10

bool rm_escape(const char *s, char *dst, size_t n)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '%') {
			if (o + 3 >= n)
				return false;
			snprintf(dst + o, 4, "%%%02X", c);
			o += 3;
		} else {
			if (o + 1 >= n)
				return false;
			dst[o++] = (char)c;
		}
	}
	if (o >= n)
		return false;
	dst[o] = 0;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescapes in place; false on a bad escape. */
static bool unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int a = hexval(p[1]), b = a < 0 ? -1 : hexval(p[2]);
		if (b < 0 || (a == 0 && b == 0))
			return false;
		*o++ = (char)(a * 16 + b);
		p += 2;
	}
	*o = 0;
	return true;
}

int rm_journal_append(int fd, const char *const *fields, size_t n)
{
	char line[RM_JOURNAL_LINE];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			line[o++] = '\t';
		if (!rm_escape(fields[i], line + o, sizeof(line) - o - 16))
			return MAMORI_ELIMIT;
		o += strlen(line + o);
	}
	uLong crc = crc32(0L, (const Bytef *)line, (uInt)o);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\t%08lx\n", crc);
	const char *p = line;
	size_t left = o;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rm_errno(errno);
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0)
		return rm_errno(errno);
	rm_crash_point();
	return 0;
}

void rm_journal_release(struct rm_journal *j)
{
	if (!j)
		return;
	free(j->root);
	free(j->qdir);
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].rel);
		free(j->v[i].blob);
		free(j->v[i].sha_old);
		free(j->v[i].sha_new);
	}
	free(j->v);
	memset(j, 0, sizeof(*j));
}

struct rm_step *rm_journal_step(struct rm_journal *j, int step)
{
	if (step >= 1 && (size_t)step <= j->n)
		return &j->v[step - 1];
	return NULL;
}

static bool parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	if (!*s || (*s == '-' && lo >= 0))
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_mode(const char *s, long long *out)
{
	char *end;
	if (!*s || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
		return false;
	*out = strtoll(s, &end, 8);
	return !*end;
}

static bool is_sha(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* A relative path with no empty, "." or ".." component. */
static bool is_rel(const char *s)
{
	if (!*s || *s == '/')
		return false;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n + (e ? 1 : 0);
		if (e && !*p)
			return false;
	}
	return true;
}

/* A file name with no '/' (store blobs, backups). */
static bool is_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

#define BAD(...)                                                              \
	do {                                                                  \
		mamori_diag_set(diag, lineno, 0, __VA_ARGS__);                \
		FAIL(MAMORI_FORMAT_ERR());                                    \
	} while (0)

static int add_step(struct rm_journal *j, struct rm_step **out)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		struct rm_step *v = realloc(j->v, cap * sizeof(*v));
		if (!v)
			return MAMORI_ENOMEM;
		j->v = v;
		j->cap = cap;
	}
	*out = &j->v[j->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->step = (int)j->n;
	return 0;
}

static int parse_line(struct rm_journal *j, char *line, unsigned lineno,
		      struct mamori_diag *diag)
{
	char *f[J_MAX_FIELDS + 1];
	size_t nf = 0;
	int rc = 0;
	char *tab = strrchr(line, '\t');
	if (!tab)
		BAD("record has no checksum");
	*tab = 0;
	long long crcv;
	char *end;
	if (strlen(tab + 1) != 8)
		BAD("bad checksum field");
	crcv = strtoll(tab + 1, &end, 16);
	if (*end)
		BAD("bad checksum field");
	if ((uLong)crcv != crc32(0L, (const Bytef *)line, (uInt)strlen(line)))
		BAD("checksum mismatch (record damaged)");
	for (char *p = line;;) {
		if (nf == J_MAX_FIELDS)
			BAD("too many fields");
		f[nf++] = p;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	for (size_t i = 0; i < nf; i++)
		if (!unescape(f[i]))
			BAD("bad %%-escape in field %zu", i + 1);
	if (lineno == 1) {
		if (strcmp(f[0], "MJ1") || nf != 3 || f[1][0] != '/' || f[2][0] != '/')
			BAD("not a mamori journal (want 'MJ1 root qdir' header)");
		if (!(j->root = strdup(f[1])) || !(j->qdir = strdup(f[2])))
			FAIL(MAMORI_ENOMEM);
		return 0;
	}
	if (j->reverted)
		BAD("record after the journal was reverted");
	const char *t = f[0];
	if (!strcmp(t, "W")) {
		if (nf != 1)
			BAD("'W' takes no fields");
		j->usb_worm = true;
		return 0;
	}
	if (!strcmp(t, "C") || !strcmp(t, "R")) {
		if (nf != 1)
			BAD("'%s' takes no fields", t);
		if (*t == 'C') {
			if (j->complete)
				BAD("duplicate 'C'");
			j->complete = true;
		} else {
			for (size_t i = 0; i < j->n; i++)
				if (j->v[i].applied && !j->v[i].undone)
					BAD("'R' while step %zu is still applied", i + 1);
			j->reverted = true;
		}
		return 0;
	}
	if (nf < 2)
		BAD("record '%s' without a step", t);
	long long step;
	if (!parse_int(f[1], 1, RM_JOURNAL_STEPS, &step))
		BAD("bad step number '%s'", f[1]);
	if (!strcmp(t, "E"))
		return nf == 3 ? 0 : (mamori_diag_set(diag, lineno, 0, "bad 'E' record"),
				      MAMORI_FORMAT_ERR());
	if (!strcmp(t, "P")) {
		struct rm_step *s;
		long long v = 0, mode = 0;
		if (j->complete)
			BAD("'P' after 'C'");
		if ((size_t)step != j->n + 1)
			BAD("step %lld prepared out of order (want %zu)", step, j->n + 1);
		if (nf != 8 || (strcmp(f[2], "f") && strcmp(f[2], "h")))
			BAD("bad 'P' record");
		if (!is_rel(f[3]))
			BAD("unsafe path '%s'", f[3]);
		if (!is_name(f[4]))
			BAD("bad store name '%s'", f[4]);
		if (!is_sha(f[5]))
			BAD("bad SHA-256 '%s'", f[5]);
		if (f[2][0] == 'h' && !is_sha(f[6]))
			BAD("bad SHA-256 '%s'", f[6]);
		if (f[2][0] == 'f' && !parse_int(f[6], 1, INT64_MAX, &v))
			BAD("bad manifest id '%s'", f[6]);
		if (!parse_mode(f[7], &mode))
			BAD("bad mode '%s'", f[7]);
		CHECK(add_step(j, &s));
		s->kind = f[2][0];
		s->prepared = true;
		s->mode = (uint32_t)mode;
		s->rel = strdup(f[3]);
		s->blob = strdup(f[4]);
		s->sha_old = strdup(f[5]);
		if (s->kind == 'h')
			s->sha_new = strdup(f[6]);
		else
			s->qid = v;
		if (!s->rel || !s->blob || !s->sha_old || (s->kind == 'h' && !s->sha_new))
			FAIL(MAMORI_ENOMEM);
		return 0;
	}
	struct rm_step *s = rm_journal_step(j, (int)step);
	if (nf != 2)
		BAD("bad '%s' record", t);
	if (!s)
		BAD("'%s' for step %lld that was never prepared", t, step);
	if (!strcmp(t, "A")) {
		if (s->applied || s->dropped)
			BAD("step %lld settled twice", step);
		s->applied = true;
	} else if (!strcmp(t, "X")) {
		if (s->applied || s->dropped)
			BAD("step %lld settled twice", step);
		s->dropped = true;
	} else if (!strcmp(t, "U")) {
		if (!s->applied || s->undone)
			BAD("step %lld undone but not applied", step);
		s->undone = true;
	} else {
		BAD("unknown record '%s'", t);
	}
out:
	return rc;
}

int rm_journal_parse(const uint8_t *p, size_t n, struct rm_journal *j,
		     struct mamori_diag *diag)
{
	char *line = NULL;
	unsigned lineno = 0;
	size_t off = 0;
	int rc = 0;
	memset(j, 0, sizeof(*j));
	if (n > RM_JOURNAL_MAX) {
		mamori_diag_set(diag, 0, 0, "journal larger than %u bytes", RM_JOURNAL_MAX);
		return MAMORI_ELIMIT;
	}
	line = malloc(RM_JOURNAL_LINE + 1);
	if (!line)
		return MAMORI_ENOMEM;
	while (off < n) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		lineno++;
		if (!nl)
			break;	/* torn last record: never acknowledged */
		size_t len = (size_t)(nl - (p + off));
		if (len > RM_JOURNAL_LINE)
			BAD("record too long");
		if (memchr(p + off, 0, len))
			BAD("NUL byte in record");
		memcpy(line, p + off, len);
		line[len] = 0;
		CHECK(parse_line(j, line, lineno, diag));
		off += len + 1;
		j->good_len = off;
	}
	if (!j->root) {
		lineno = 1;
		BAD("empty journal (no header)");
	}
out:
	free(line);
	if (rc)
		rm_journal_release(j);
	return rc;
}
