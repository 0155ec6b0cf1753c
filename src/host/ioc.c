/*
 * IOC lists for the host scanner: rules/ioc/<list>.txt and --ioc folders.
 *
 * Line format (also in the header of every shipped list):
 *
 *   # comment
 *   type ; pattern ; family ; score ; fp-regex ; source
 *
 *   type      name      glob on the file name
 *             path      glob on the match path ("/windows/asam.exe": below
 *                       the scan root, lowercase, '\' folded to '/')
 *             name-re   PCRE2 regex on the file name (caseless)
 *             path-re   PCRE2 regex on the match path (caseless)
 *             md5 | sha1 | sha256   hex digest of the contents
 *   pattern   globs are matched case-insensitively; '\' may be used for '/'
 *   family    conficker, flame, storm, generic ...
 *   score     0..100 (>= 75 high, >= 50 medium, >= 25 low, else info)
 *   fp-regex  optional PCRE2 regex on the match path; a hit suppresses
 *             the entry (known false positives); empty for none
 *   source    where the indicator is published (URL / report); the rest
 *             of the line, required
 *
 * Findings: <family>.ioc.name, <family>.ioc.path, <family>.ioc.hash; the
 * evidence names the pattern and the finding's source its list and line.
 * Lists are read once at start; matching only reads them (thread-safe).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_int.h"
#include "util/err.h"

#define IOC_MAX_ENTRIES 200000
#define IOC_MAX_LINE 4096

enum ioc_type { IOC_NAME, IOC_PATH, IOC_NAME_RE, IOC_PATH_RE, IOC_HASH };

static const struct {
	const char *name;
	enum ioc_type type;
	const char *indicator;	/* suffix after "<family>." */
} ioc_types[] = {
	{"name", IOC_NAME, "ioc.name"},
	{"path", IOC_PATH, "ioc.path"},
	{"name-re", IOC_NAME_RE, "ioc.name"},
	{"path-re", IOC_PATH_RE, "ioc.path"},
	{"md5", IOC_HASH, "ioc.hash"},
	{"sha1", IOC_HASH, "ioc.hash"},
	{"sha256", IOC_HASH, "ioc.hash"},
};

struct ioc_entry {
	enum ioc_type type;
	char *pattern;		/* lowercased glob, or the regex text */
	pcre2_code *re;		/* for *-re */
	pcre2_code *fp;		/* optional false-positive filter */
	char *indicator;	/* "<family>.ioc.<kind>" */
	char *family;
	char *source;		/* "<list>:<line> <source>" */
	unsigned score;
};

struct host_ioc_set {
	struct ioc_entry *v;
	size_t n, alloc;
};

static void entry_release(struct ioc_entry *e)
{
	free(e->pattern);
	pcre2_code_free(e->re);
	pcre2_code_free(e->fp);
	free(e->indicator);
	free(e->family);
	free(e->source);
}

void host_ioc_free(struct host_ioc_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_release(&s->v[i]);
	free(s->v);
	free(s);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' ||
		     s[l - 1] == '\n'))
		s[--l] = 0;
	return s;
}

static pcre2_code *compile_re(const char *re, struct mamori_diag *diag,
			      unsigned line)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
					 PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
					 &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		mamori_diag_set(diag, line, (unsigned)eo + 1, "bad regex '%s': %s", re,
				(const char *)msg);
		return NULL;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

static bool re_match(const pcre2_code *re, const char *s)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return false;
	int r = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return r >= 0;
}

static bool hex_ok(const char *s, size_t want)
{
	size_t l = strlen(s);
	if (l != want)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

/* Parses one non-comment line into the set. */
static int ioc_line(struct mamori_host_scanner *sc, char *line, const char *file,
		    unsigned lineno, struct mamori_diag *diag)
{
	int rc = 0;
	char *f[6];
	char *s = line;
	for (int i = 0; i < 5; i++) {
		char *semi = strchr(s, ';');
		if (!semi) {
			mamori_diag_set(diag, lineno, 0,
					"expected 6 ';'-separated fields (type;pattern;family;score;fp;source)");
			return MAMORI_EFORMAT;
		}
		*semi = 0;
		f[i] = trim(s);
		s = semi + 1;
	}
	f[5] = trim(s);
	size_t t;
	for (t = 0; t < sizeof(ioc_types) / sizeof(ioc_types[0]); t++)
		if (!strcmp(f[0], ioc_types[t].name))
			break;
	if (t == sizeof(ioc_types) / sizeof(ioc_types[0])) {
		mamori_diag_set(diag, lineno, 0, "unknown IOC type '%s'", f[0]);
		return MAMORI_EFORMAT;
	}
	if (!f[1][0] || !f[2][0] || !f[5][0]) {
		mamori_diag_set(diag, lineno, 0, "pattern, family and source are required");
		return MAMORI_EFORMAT;
	}
	char *end;
	errno = 0;
	unsigned long score = strtoul(f[3], &end, 10);
	if (!f[3][0] || *end || errno || score > 100) {
		mamori_diag_set(diag, lineno, 0, "score must be 0..100, not '%s'", f[3]);
		return MAMORI_EFORMAT;
	}
	char src[IOC_MAX_LINE + 64];
	snprintf(src, sizeof(src), "%s:%u %s", host_basename(file), lineno, f[5]);
	for (char *q = f[2]; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);

	if (ioc_types[t].type == IOC_HASH) {
		static const size_t hexlen[] = {32, 40, 64};
		size_t k = t - 4;
		if (!hex_ok(f[1], hexlen[k])) {
			mamori_diag_set(diag, lineno, 0, "%s digest must be %zu hex digits", f[0],
					hexlen[k]);
			return MAMORI_EFORMAT;
		}
		return host_hash_add(sc, f[0], f[1], f[2], (unsigned)score, src);
	}

	struct host_ioc_set *set = sc->ioc;
	if (set->n >= IOC_MAX_ENTRIES) {
		mamori_diag_set(diag, lineno, 0, "more than %d IOC entries", IOC_MAX_ENTRIES);
		return MAMORI_ELIMIT;
	}
	if (set->n == set->alloc) {
		size_t na = set->alloc ? set->alloc * 2 : 64;
		struct ioc_entry *nv = realloc(set->v, na * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		set->v = nv;
		set->alloc = na;
	}
	struct ioc_entry e = {.type = ioc_types[t].type, .score = (unsigned)score};
	char ind[160];
	snprintf(ind, sizeof(ind), "%s.%s", f[2], ioc_types[t].indicator);
	e.pattern = strdup(f[1]);
	e.family = strdup(f[2]);
	e.indicator = strdup(ind);
	e.source = strdup(src);
	if (!e.pattern || !e.family || !e.indicator || !e.source)
		FAIL(MAMORI_ENOMEM);
	if (e.type == IOC_NAME || e.type == IOC_PATH) {
		for (char *q = e.pattern; *q; q++) {
			if (*q == '\\')
				*q = '/';
			else if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
		}
	} else if (!(e.re = compile_re(e.pattern, diag, lineno))) {
		FAIL(MAMORI_EFORMAT);
	}
	if (f[4][0] && !(e.fp = compile_re(f[4], diag, lineno)))
		FAIL(MAMORI_EFORMAT);
	set->v[set->n++] = e;
	sc->n_ioc++;
	return 0;
out:
	entry_release(&e);
	return rc;
}

int host_ioc_load_file(struct mamori_host_scanner *sc, const char *path,
		       struct mamori_diag *diag)
{
	int rc = 0;
	char line[IOC_MAX_LINE];
	unsigned lineno = 0;
	if (diag)
		diag->file = path;
	if (!sc->ioc && !(sc->ioc = calloc(1, sizeof(*sc->ioc))))
		return MAMORI_ENOMEM;
	FILE *fp = fopen(path, "r");
	if (!fp) {
		mamori_diag_set(diag, 0, 0, "cannot open: %s", strerror(errno));
		return MAMORI_EIO;
	}
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		size_t l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			mamori_diag_set(diag, lineno, 0, "line longer than %d bytes", IOC_MAX_LINE - 2);
			FAIL(MAMORI_EFORMAT);
		}
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		CHECK(ioc_line(sc, s, path, lineno, diag));
	}
	if (ferror(fp)) {
		mamori_diag_set(diag, lineno, 0, "read error");
		FAIL(MAMORI_EIO);
	}
out:
	fclose(fp);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int host_ioc_load_dir(struct mamori_host_scanner *sc, const char *dir,
		      bool must_exist, struct mamori_diag *diag)
{
	int rc = 0;
	char **names = NULL;
	size_t n = 0;
	if (!sc->ioc && !(sc->ioc = calloc(1, sizeof(*sc->ioc))))
		return MAMORI_ENOMEM;
	DIR *d = opendir(dir);
	if (!d) {
		if (!must_exist && errno == ENOENT)
			return 0;
		if (diag)
			diag->file = dir;
		mamori_diag_set(diag, 0, 0, "cannot open IOC folder: %s", strerror(errno));
		return MAMORI_EIO;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".txt"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			FAIL(MAMORI_ENOMEM);
		names = nn;
		size_t pl = strlen(dir) + l + 2;
		if (!(names[n] = malloc(pl)))
			FAIL(MAMORI_ENOMEM);
		snprintf(names[n], pl, "%s/%s", dir, de->d_name);
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++)
		CHECK(host_ioc_load_file(sc, names[i], diag));
out:
	closedir(d);
	/* diag->file may point into names: keep it valid by copying */
	if (rc < 0 && diag && diag->file && diag->file != dir) {
		static _Thread_local char failed[1024];
		snprintf(failed, sizeof(failed), "%s", diag->file);
		diag->file = failed;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int host_ioc_run(struct host_file *f)
{
	const struct host_ioc_set *set = f->sc->ioc;
	if (!set)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct ioc_entry *e = &set->v[i];
		bool hit;
		switch (e->type) {
		case IOC_NAME:
			hit = fnmatch(e->pattern, f->mname, FNM_NOESCAPE) == 0;
			break;
		case IOC_PATH:
			hit = fnmatch(e->pattern, f->mpath, FNM_NOESCAPE) == 0;
			break;
		case IOC_NAME_RE:
			hit = re_match(e->re, f->mname);
			break;
		case IOC_PATH_RE:
			hit = re_match(e->re, f->mpath);
			break;
		default:
			hit = false;
		}
		if (!hit || (e->fp && re_match(e->fp, f->mpath)))
			continue;
		int rc = host_emit(f, e->family, e->indicator, host_score_severity(e->score),
				   e->source, "%s matches IOC %s '%s' (score %u)",
				   e->type == IOC_NAME || e->type == IOC_NAME_RE ? "name" : "path",
				   e->type == IOC_NAME || e->type == IOC_PATH ? "glob" : "regex",
				   e->pattern, e->score);
		if (rc)
			return rc;
	}
	return 0;
}
