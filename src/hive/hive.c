/*
 * Hive discovery, read-only opening and lookups (see hive.h).
 *
 * hivex does the cell parsing; it does not expose the base block's two
 * sequence numbers, so the first 4 KiB are read here and parsed through a
 * cursor (regf layout: magic at 0, primary sequence at 4, secondary at 8,
 * XOR checksum of the first 508 bytes at 508).  A file whose numbers
 * differ was being written when the volume was taken: Windows replays the
 * .LOG1/.LOG2 files on next load.  mamori reports it as dirty and reads
 * the file as it stands (it never writes a hive here).
 *
 * Invariants: every hive is opened without HIVEX_OPEN_WRITE; paths found on
 * disk are matched one component at a time with strcasecmp, because a
 * mounted NTFS volume or a copied tree keeps whatever case Windows used
 * ("system32" vs "System32", "ntuser.dat").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "hive/hive_int.h"
#include "hive/wstr.h"
#include "mamori/mamori.h"
#include "util/cursor.h"
#include "util/err.h"

static const char *const kind_names[] = {
	[MAMORI_HIVE_SYSTEM] = "SYSTEM",
	[MAMORI_HIVE_SOFTWARE] = "SOFTWARE",
	[MAMORI_HIVE_SAM] = "SAM",
	[MAMORI_HIVE_SECURITY] = "SECURITY",
	[MAMORI_HIVE_NTUSER] = "NTUSER.DAT",
};

const char *mamori_hive_kind_name(enum mamori_hive_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[kind];
}

void mamori_hive_report_init(struct mamori_hive_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void mamori_hive_report_release(struct mamori_hive_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->files[i].path);
		free(rep->files[i].user);
	}
	free(rep->files);
	memset(rep, 0, sizeof(*rep));
}

/* ---- base block ---------------------------------------------------- */

#define REGF_HEADER_LEN 512

int mamori_hive_header(const uint8_t *p, size_t n, uint32_t *seq1, uint32_t *seq2,
		       const char **why)
{
	struct cursor c, hdr;
	const uint8_t *magic;
	uint32_t s1, s2, stored, sum = 0, w;
	const char *dummy;
	if (!why)
		why = &dummy;
	cur_init(&c, p, n);
	if (!cur_at(&c, 0, REGF_HEADER_LEN, &hdr)) {
		*why = "shorter than the 512-byte base block";
		return MAMORI_FORMAT_ERR();
	}
	if (!cur_bytes(&hdr, 4, &magic) || memcmp(magic, "regf", 4) != 0) {
		*why = "no 'regf' signature";
		return MAMORI_FORMAT_ERR();
	}
	if (!cur_u32le(&hdr, &s1) || !cur_u32le(&hdr, &s2))
		return MAMORI_FORMAT_ERR();
	/* Checksum: XOR of the 127 dwords before it, with 0 and ~0 remapped. */
	cur_at(&c, 0, REGF_HEADER_LEN, &hdr);
	for (int i = 0; i < 127; i++) {
		if (!cur_u32le(&hdr, &w))
			return MAMORI_FORMAT_ERR();
		sum ^= w;
	}
	if (sum == 0xFFFFFFFFu)
		sum = 0xFFFFFFFEu;
	else if (sum == 0)
		sum = 1;
	if (!cur_u32le(&hdr, &stored))
		return MAMORI_FORMAT_ERR();
	if (stored != sum) {
		*why = "base block checksum mismatch";
		return MAMORI_FORMAT_ERR();
	}
	*seq1 = s1;
	*seq2 = s2;
	*why = NULL;
	return 0;
}

/* ---- opening ------------------------------------------------------- */

static void info_fail(struct mamori_hive_file *info, int err, const char *name,
		      const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void info_fail(struct mamori_hive_file *info, int err, const char *name,
		      const char *path, const char *fmt, ...)
{
	if (!info)
		return;
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	info->err = err;
	snprintf(info->msg, sizeof(info->msg), "%s hive %s: %s", name, path, why);
}

/*
 * Says where the chain of 'hbin' blocks after the base block breaks, for
 * the error message when libhivex refuses a hive (it only gives an errno).
 * Reads 32 bytes per bin through a cursor.
 */
static void diagnose_bins(int fd, uint64_t size, char *why, size_t n)
{
	uint64_t off = 4096;
	unsigned bins = 0;
	snprintf(why, n, "hive bins damaged");
	while (off < size && bins < 1000000) {
		uint8_t b[32];
		struct cursor c;
		const uint8_t *magic;
		uint32_t rel, len;
		ssize_t r = pread(fd, b, sizeof(b), (off_t)off);
		cur_init(&c, b, r > 0 ? (size_t)r : 0);
		if (!cur_bytes(&c, 4, &magic) || memcmp(magic, "hbin", 4) != 0) {
			snprintf(why, n, "hive bin chain broken at offset %llu (no 'hbin' "
					 "signature after %u good bins)",
				 (unsigned long long)off, bins);
			return;
		}
		if (!cur_u32le(&c, &rel) || !cur_u32le(&c, &len) || len < 4096 ||
		    len % 4096) {
			snprintf(why, n, "hive bin at offset %llu has a bad size",
				 (unsigned long long)off);
			return;
		}
		off += len;
		bins++;
	}
	if (off > size)
		snprintf(why, n, "last hive bin runs past the end of the file");
}

int mamori_hive_open(const char *path, const char *name, struct mamori_hive **out,
		     struct mamori_hive_file *info)
{
	uint8_t head[4096];
	struct stat st;
	struct mamori_hive *h = NULL;
	uint32_t s1 = 0, s2 = 0;
	const char *why = NULL;
	ssize_t got = 0;
	int fd = -1, rc = 0;

	*out = NULL;
	if (!name)
		name = "hive";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		rc = e == ENOENT ? MAMORI_ENOENT : e == EACCES ? MAMORI_EPERM : MAMORI_EIO;
		info_fail(info, rc, name, path, "cannot open: %s", strerror(e));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		info_fail(info, MAMORI_EFORMAT, name, path, "not a regular file");
		FAIL(MAMORI_EFORMAT);
	}
	if ((uint64_t)st.st_size > MAMORI_HIVE_MAX_BYTES) {
		info_fail(info, MAMORI_ELIMIT, name, path,
			  "%lld bytes, over the %u-byte hive cap",
			  (long long)st.st_size, MAMORI_HIVE_MAX_BYTES);
		FAIL(MAMORI_ELIMIT);
	}
	while (got < (ssize_t)sizeof(head)) {
		ssize_t r = read(fd, head + got, sizeof(head) - (size_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			info_fail(info, MAMORI_EIO, name, path, "read: %s", strerror(errno));
			FAIL(MAMORI_EIO);
		}
		if (r == 0)
			break;
		got += r;
	}
	if (mamori_hive_header(head, (size_t)got, &s1, &s2, &why) != 0) {
		info_fail(info, MAMORI_EFORMAT, name, path, "corrupt: %s",
			  why ? why : "bad base block");
		FAIL(MAMORI_EFORMAT);
	}
	if (info) {
		info->seq1 = s1;
		info->seq2 = s2;
		info->dirty = s1 != s2;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		FAIL(MAMORI_ENOMEM);
	snprintf(h->name, sizeof(h->name), "%s", name);
	errno = 0;
	h->h = hivex_open(path, 0);
	if (!h->h) {
		int e = errno;
		char why_bins[128];
		if (e == ENOMEM)
			FAIL(MAMORI_ENOMEM);
		diagnose_bins(fd, (uint64_t)st.st_size, why_bins, sizeof(why_bins));
		info_fail(info, MAMORI_EFORMAT, name, path, "corrupt: %s (libhivex: %s)",
			  why_bins, e ? strerror(e) : "unknown error");
		/* Salvage what the lenient mode can still read. */
		errno = 0;
		h->h = hivex_open(path, HIVEX_OPEN_UNSAFE);
		if (!h->h)
			FAIL(MAMORI_EFORMAT);
		if (info)
			info->salvaged = true;
	}
	*out = h;
	h = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(h);
	return rc;
}

void mamori_hive_close(struct mamori_hive *h)
{
	if (!h)
		return;
	if (h->h)
		hivex_close(h->h);
	free(h);
}

/* ---- lookups ------------------------------------------------------- */

void hive_note_error(struct mamori_hive *h, const char *where)
{
	if (h->read_err)
		return;
	h->read_err = MAMORI_EFORMAT;
	snprintf(h->read_msg, sizeof(h->read_msg), "unreadable at %s (%s)", where,
		 errno ? strerror(errno) : "corrupt cell");
}

#define KEY_COMPONENT_MAX 256

int hive_lookup_from(struct mamori_hive *h, hive_node_h from, const char *path,
		     hive_node_h *out)
{
	hive_node_h node = from;
	const char *p = path;
	char comp[KEY_COMPONENT_MAX];
	while (*p) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(comp))
			return MAMORI_EINVAL;
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		if (*p == '\\')
			p++;
		if (!n)
			continue;
		errno = 0;
		hive_node_h child = hivex_node_get_child(h->h, node, comp);
		if (!child) {
			if (errno) {
				hive_note_error(h, path);
				return MAMORI_FORMAT_ERR();
			}
			return MAMORI_ENOENT;
		}
		node = child;
	}
	*out = node;
	return 0;
}

int hive_lookup(struct mamori_hive *h, const char *path, hive_node_h *out)
{
	errno = 0;
	hive_node_h root = hivex_root(h->h);
	if (!root) {
		hive_note_error(h, "the root key");
		return MAMORI_FORMAT_ERR();
	}
	return hive_lookup_from(h, root, path, out);
}

int hive_node_value_raw(struct mamori_hive *h, hive_node_h node, const char *value,
			uint32_t *type, uint8_t **data, size_t *len)
{
	hive_type t;
	size_t n = 0;
	errno = 0;
	hive_value_h v = hivex_node_get_value(h->h, node, value);
	if (!v) {
		if (errno) {
			hive_note_error(h, value);
			return MAMORI_FORMAT_ERR();
		}
		return MAMORI_ENOENT;
	}
	errno = 0;
	char *d = hivex_value_value(h->h, v, &t, &n);
	if (!d) {
		if (errno == ENOMEM)
			return MAMORI_ENOMEM;
		hive_note_error(h, value);
		return MAMORI_FORMAT_ERR();
	}
	*type = (uint32_t)t;
	*data = (uint8_t *)d;
	*len = n;
	return 0;
}

int mamori_hive_get_raw(struct mamori_hive *h, const char *key, const char *value,
			uint32_t *type, uint8_t **data, size_t *len)
{
	hive_node_h node;
	int rc = hive_lookup(h, key, &node);
	if (rc)
		return rc;
	return hive_node_value_raw(h, node, value, type, data, len);
}

int mamori_hive_get_string(struct mamori_hive *h, const char *key,
			   const char *value, struct buf *out)
{
	uint32_t t;
	uint8_t *d = NULL;
	size_t n;
	int rc = mamori_hive_get_raw(h, key, value, &t, &d, &n);
	if (rc)
		return rc;
	if (t == HIVE_REG_SZ || t == HIVE_REG_EXPAND_SZ || t == HIVE_REG_LINK ||
	    t == HIVE_REG_MULTI_SZ)
		rc = hive_render_value(t, d, n, out);
	else
		rc = MAMORI_FORMAT_ERR();
	free(d);
	return rc;
}

int mamori_hive_get_dword(struct mamori_hive *h, const char *key,
			  const char *value, uint32_t *out)
{
	uint32_t t;
	uint8_t *d = NULL;
	size_t n;
	int rc = mamori_hive_get_raw(h, key, value, &t, &d, &n);
	if (rc)
		return rc;
	rc = hive_data_dword(t, d, n, out);
	free(d);
	return rc;
}

bool mamori_hive_has_key(struct mamori_hive *h, const char *key)
{
	hive_node_h n;
	return hive_lookup(h, key, &n) == 0;
}

int mamori_hive_control_set(struct mamori_hive *h, char *out, size_t n)
{
	uint32_t cur;
	if (mamori_hive_get_dword(h, "Select", "Current", &cur) == 0 && cur > 0 &&
	    cur < 1000) {
		snprintf(out, n, "ControlSet%03u", cur);
		if (mamori_hive_has_key(h, out))
			return 0;
	}
	static const char *const fallback[] = {"CurrentControlSet", "ControlSet001"};
	for (size_t i = 0; i < 2; i++)
		if (mamori_hive_has_key(h, fallback[i])) {
			snprintf(out, n, "%s", fallback[i]);
			return 0;
		}
	return MAMORI_ENOENT;
}

/* ---- discovery ----------------------------------------------------- */

/* Joins dir and the entry of dir matching name case-insensitively (the
 * first in byte order when several differ only by case).  *out malloc'd. */
static int ci_child(const char *dir, const char *name, char **out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *best = NULL;
	*out = NULL;
	if (!d)
		return MAMORI_ENOENT;
	while ((de = readdir(d)) != NULL) {
		if (strcasecmp(de->d_name, name) != 0)
			continue;
		if (!best || strcmp(de->d_name, best) < 0) {
			free(best);
			best = strdup(de->d_name);
			if (!best) {
				closedir(d);
				return MAMORI_ENOMEM;
			}
		}
	}
	closedir(d);
	if (!best)
		return MAMORI_ENOENT;
	size_t l = strlen(dir) + strlen(best) + 2;
	*out = malloc(l);
	if (*out)
		snprintf(*out, l, "%s/%s", dir, best);
	free(best);
	return *out ? 0 : MAMORI_ENOMEM;
}

/* Resolves a '/'-separated relative path component by component. */
static int ci_path(const char *root, const char *rel, char **out)
{
	char *cur = strdup(root);
	char comp[256];
	int rc = 0;
	if (!cur)
		return MAMORI_ENOMEM;
	while (*rel) {
		const char *e = strchr(rel, '/');
		size_t n = e ? (size_t)(e - rel) : strlen(rel);
		if (n >= sizeof(comp)) {
			free(cur);
			return MAMORI_EINVAL;
		}
		memcpy(comp, rel, n);
		comp[n] = 0;
		rel += n + (e ? 1 : 0);
		char *next;
		rc = ci_child(cur, comp, &next);
		free(cur);
		if (rc)
			return rc;
		cur = next;
	}
	*out = cur;
	return 0;
}

int mamori_hive_find_path(const char *root, const char *rel, char **out)
{
	*out = NULL;
	return ci_path(root, rel, out);
}

struct seen {
	dev_t dev;
	ino_t ino;
};

static int report_add(struct mamori_hive_report *rep, enum mamori_hive_kind kind,
		      char *path, const char *user, struct seen *seen, size_t *nseen)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return 0;
	}
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino) {
			free(path);	/* a junction to a profile already seen */
			return 0;
		}
	if (rep->n >= MAMORI_HIVE_MAX_FILES) {
		rep->skipped++;
		free(path);
		return 0;
	}
	if (!rep->files) {
		rep->files = calloc(MAMORI_HIVE_MAX_FILES, sizeof(*rep->files));
		if (!rep->files) {
			free(path);
			return MAMORI_ENOMEM;
		}
	}
	struct mamori_hive_file *f = &rep->files[rep->n];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->path = path;
	if (user && !(f->user = strdup(user))) {
		free(path);
		f->path = NULL;
		return MAMORI_ENOMEM;
	}
	seen[*nseen].dev = st.st_dev;
	seen[*nseen].ino = st.st_ino;
	(*nseen)++;
	rep->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define PROFILES_MAX 4096

/* Adds <root>/<profiles>/<name>/NTUSER.DAT for every profile folder. */
static int discover_profiles(const char *root, const char *profiles,
			     struct mamori_hive_report *rep, struct seen *seen,
			     size_t *nseen)
{
	char *dir = NULL, **names = NULL;
	size_t n = 0;
	int rc = 0;
	DIR *d = NULL;
	struct dirent *de;
	if (ci_path(root, profiles, &dir) != 0)
		return 0;
	d = opendir(dir);
	if (!d)
		goto out;
	names = calloc(PROFILES_MAX, sizeof(*names));
	if (!names)
		FAIL(MAMORI_ENOMEM);
	while ((de = readdir(d)) != NULL && n < PROFILES_MAX) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!(names[n] = strdup(de->d_name)))
			FAIL(MAMORI_ENOMEM);
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(dir) + strlen(names[i]) + 2;
		char *pdir = malloc(l), *hive = NULL;
		if (!pdir)
			FAIL(MAMORI_ENOMEM);
		snprintf(pdir, l, "%s/%s", dir, names[i]);
		int r = ci_child(pdir, "NTUSER.DAT", &hive);
		free(pdir);
		if (r == MAMORI_ENOMEM)
			FAIL(r);
		if (r)
			continue;
		CHECK(report_add(rep, MAMORI_HIVE_NTUSER, hive, names[i], seen, nseen));
	}
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return rc;
}

int mamori_hive_discover(const char *root, struct mamori_hive_report *rep)
{
	static const struct {
		enum mamori_hive_kind kind;
		const char *rel;
	} sys[] = {
		{MAMORI_HIVE_SYSTEM, "Windows/System32/config/SYSTEM"},
		{MAMORI_HIVE_SOFTWARE, "Windows/System32/config/SOFTWARE"},
		{MAMORI_HIVE_SAM, "Windows/System32/config/SAM"},
		{MAMORI_HIVE_SECURITY, "Windows/System32/config/SECURITY"},
	};
	static const char *const profiles[] = {"Users", "Documents and Settings"};
	struct stat st;
	struct seen *seen = NULL;
	size_t nseen = 0;
	int rc = 0;
	if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return MAMORI_ENOENT;
	seen = calloc(MAMORI_HIVE_MAX_FILES + 1, sizeof(*seen));
	if (!seen)
		return MAMORI_ENOMEM;
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		char *p;
		int r = ci_path(root, sys[i].rel, &p);
		if (r == MAMORI_ENOMEM)
			FAIL(r);
		if (r == 0)
			CHECK(report_add(rep, sys[i].kind, p, NULL, seen, &nseen));
	}
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		CHECK(discover_profiles(root, profiles[i], rep, seen, &nseen));
out:
	free(seen);
	return rc;
}

/* ---- scanning ------------------------------------------------------ */

int hive_emit(struct hive_scan *s, const char *family, const char *indicator,
	      enum mamori_severity sev, const char *key, const char *value,
	      const char *data, const char *remedy, const char *fmt, ...)
{
	char ev[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev, sizeof(ev), fmt, ap);
	va_end(ap);
	struct mamori_finding f = {
		.kind = "registry",
		.path = s->path,
		.family = family,
		.indicator = indicator,
		.severity = sev,
		.evidence = ev,
		.remedy = remedy,
		.hive = s->hive_name,
		.key = key,
		.value = value,
		.data = data,
		.source = "builtin:registry",
		.ts_usec = s->ts_usec,
	};
	s->emitted++;
	if (s->cb && !s->stop)
		s->stop = s->cb(&f, s->ctx);
	return s->stop;
}

static uint64_t now_usec(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Copies a read error met during the checks into the file's record. */
static void take_read_error(struct mamori_hive *h, struct mamori_hive_file *f,
			    const char *path)
{
	if (h && h->read_err && f && !f->err) {
		f->err = h->read_err;
		snprintf(f->msg, sizeof(f->msg), "%s hive %s: %s", h->name,
			 path ? path : "", h->read_msg);
	}
}

static int run_checks(struct hive_scan *s, enum mamori_hive_kind kind,
		      struct mamori_hive *h, struct mamori_hive *software)
{
	switch (kind) {
	case MAMORI_HIVE_SYSTEM:
		return hive_check_system(s, h, software);
	case MAMORI_HIVE_SOFTWARE:
		return hive_check_software(s, h);
	case MAMORI_HIVE_NTUSER:
		return hive_check_ntuser(s, h);
	default:
		return 0;	/* SAM, SECURITY: opened for integrity only */
	}
}

int mamori_hive_scan_root(const char *root, mamori_finding_fn cb, void *ctx,
			  struct mamori_hive_report *rep)
{
	struct mamori_hive **open = NULL;
	struct mamori_hive *software = NULL;
	size_t first = rep->n;	/* rep may hold the hives of earlier roots */
	int rc = mamori_hive_discover(root, rep);
	if (rc)
		return rc;
	open = calloc(rep->n + 1, sizeof(*open));
	if (!open)
		return MAMORI_ENOMEM;
	for (size_t i = first; i < rep->n; i++) {
		struct mamori_hive_file *f = &rep->files[i];
		int r = mamori_hive_open(f->path, mamori_hive_kind_name(f->kind),
					 &open[i], f);
		if (r == MAMORI_ENOMEM)
			FAIL(r);
		if (f->kind == MAMORI_HIVE_SOFTWARE && open[i])
			software = open[i];
	}
	uint64_t ts = now_usec();
	/* SOFTWARE is opened before SYSTEM is checked: netsvcs lives there. */
	for (size_t i = first; i < rep->n; i++) {
		struct mamori_hive_file *f = &rep->files[i];
		if (!open[i])
			continue;
		struct hive_scan s = {
			.cb = cb, .ctx = ctx, .path = f->path,
			.hive_name = mamori_hive_kind_name(f->kind), .ts_usec = ts,
		};
		rc = run_checks(&s, f->kind, open[i], software);
		f->findings = s.emitted;
		rep->findings += s.emitted;
		if (rc == MAMORI_ENOMEM)
			goto out;
		if (s.stop) {
			rc = s.stop;
			goto out;
		}
		rc = 0;
	}
out:
	for (size_t i = first; i < rep->n; i++) {
		take_read_error(open[i], &rep->files[i], rep->files[i].path);
		rep->dirty += rep->files[i].dirty;
		rep->corrupt += rep->files[i].err != 0;
		mamori_hive_close(open[i]);
	}
	free(open);
	return rc;
}

int mamori_hive_root_hook(const char *root, mamori_finding_fn emit, void *emit_ctx,
			  void *hook_ctx)
{
	struct mamori_hive_report local, *rep = hook_ctx ? hook_ctx : &local;
	if (!hook_ctx)
		mamori_hive_report_init(&local);
	int rc = mamori_hive_scan_root(root, emit, emit_ctx, rep);
	if (!hook_ctx) {
		if (rc == 0 && local.corrupt)
			rc = MAMORI_EFORMAT;
		mamori_hive_report_release(&local);
	}
	return rc;
}

int mamori_hive_scan_file(const char *path, enum mamori_hive_kind kind,
			  mamori_finding_fn cb, void *ctx,
			  struct mamori_hive_file *info)
{
	struct mamori_hive *h = NULL;
	struct mamori_hive_file tmp;
	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	info->kind = kind;
	int rc = mamori_hive_open(path, mamori_hive_kind_name(kind), &h, info);
	if (rc)
		return rc;
	struct hive_scan s = {
		.cb = cb, .ctx = ctx, .path = path,
		.hive_name = mamori_hive_kind_name(kind), .ts_usec = now_usec(),
	};
	rc = run_checks(&s, kind, h, NULL);
	info->findings = s.emitted;
	if (s.stop)
		rc = s.stop;
	take_read_error(h, info, path);
	mamori_hive_close(h);
	return rc;
}
