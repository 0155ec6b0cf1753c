/*
 * YARA analyzer of the host scanner, through libyara.
 *
 * Rules from rules/yara/ and every --yara folder (*.yar, *.yara, sorted by
 * name, one namespace per file so rule names may repeat across files) are
 * compiled once into one YR_RULES, with the pe module available to them.
 * Each worker scans its mapped file with yr_rules_scan_mem on that shared
 * YR_RULES: libyara allows this from up to YR_MAX_THREADS (32) threads at
 * once, which is why the scanner caps --threads at 32.
 *
 * Rule metadata read (all optional): family (default "generic"),
 * indicator (default "<family>.yara.<rule>"), severity (1..4 or
 * high/medium/low/info; default medium) or score (0..100), source.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yara.h>

#include "host/host_int.h"
#include "util/err.h"

#define YARA_TIMEOUT_SEC 60

struct host_yara {
	YR_RULES *rules;
	bool initialized;
};

struct compile_ctx {
	struct mamori_diag *diag;
	char file[1024];
	bool failed;
};

static void compiler_cb(int level, const char *file, int line, const YR_RULE *rule,
			const char *msg, void *user)
{
	(void)rule;
	struct compile_ctx *cc = user;
	if (level != YARA_ERROR_LEVEL_ERROR || cc->failed)
		return;
	cc->failed = true;
	if (file)
		snprintf(cc->file, sizeof(cc->file), "%s", file);
	if (cc->diag) {
		static _Thread_local char where[1024];
		snprintf(where, sizeof(where), "%s", cc->file);
		cc->diag->file = where;
		mamori_diag_set(cc->diag, (unsigned)(line > 0 ? line : 0), 0, "%s", msg);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rule_file(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 4 && !strcmp(n + l - 4, ".yar")) ||
			       (l > 5 && !strcmp(n + l - 5, ".yara")));
}

static int add_dir(YR_COMPILER *comp, struct compile_ctx *cc, const char *dir,
		   uint64_t *n_files)
{
	int rc = 0;
	char **names = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (cc->diag) {
			snprintf(cc->file, sizeof(cc->file), "%s", dir);
			static _Thread_local char where[1024];
			snprintf(where, sizeof(where), "%s", dir);
			cc->diag->file = where;
		}
		mamori_diag_set(cc->diag, 0, 0, "cannot open YARA folder: %s", strerror(errno));
		return MAMORI_EIO;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!is_rule_file(de->d_name))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			FAIL(MAMORI_ENOMEM);
		names = nn;
		size_t pl = strlen(dir) + strlen(de->d_name) + 2;
		if (!(names[n] = malloc(pl)))
			FAIL(MAMORI_ENOMEM);
		snprintf(names[n], pl, "%s/%s", dir, de->d_name);
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		FILE *fp = fopen(names[i], "r");
		if (!fp) {
			if (cc->diag) {
				static _Thread_local char where[1024];
				snprintf(where, sizeof(where), "%s", names[i]);
				cc->diag->file = where;
			}
			mamori_diag_set(cc->diag, 0, 0, "cannot open: %s", strerror(errno));
			FAIL(MAMORI_EIO);
		}
		int errs = yr_compiler_add_file(comp, fp, host_basename(names[i]), names[i]);
		fclose(fp);
		if (errs > 0 || cc->failed)
			FAIL(MAMORI_EFORMAT);
		(*n_files)++;
	}
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int host_yara_load(struct mamori_host_scanner *sc, const char *const *dirs,
		   size_t n, struct mamori_diag *diag)
{
	int rc = 0;
	YR_COMPILER *comp = NULL;
	struct compile_ctx cc = {.diag = diag};
	uint64_t files = 0;
	struct host_yara *y = calloc(1, sizeof(*y));
	if (!y)
		return MAMORI_ENOMEM;
	if (yr_initialize() != ERROR_SUCCESS)
		FAIL(MAMORI_EDEP);
	y->initialized = true;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS)
		FAIL(MAMORI_ENOMEM);
	yr_compiler_set_callback(comp, compiler_cb, &cc);
	for (size_t i = 0; i < n; i++)
		CHECK(add_dir(comp, &cc, dirs[i], &files));
	if (files == 0)
		goto out;	/* nothing to compile: no YARA stage */
	if (yr_compiler_get_rules(comp, &y->rules) != ERROR_SUCCESS)
		FAIL(MAMORI_ENOMEM);
	YR_RULE *rule;
	yr_rules_foreach(y->rules, rule)
		sc->n_yara_rules++;
	sc->yara = y;
	y = NULL;
out:
	if (comp)
		yr_compiler_destroy(comp);
	host_yara_free(y);
	return rc;
}

void host_yara_free(struct host_yara *y)
{
	if (!y)
		return;
	if (y->rules)
		yr_rules_destroy(y->rules);
	if (y->initialized)
		yr_finalize();
	free(y);
}

static enum mamori_severity meta_severity(const YR_META *m)
{
	static const char *const names[] = {"", "high", "medium", "low", "info"};
	if (m->type == META_TYPE_INTEGER) {
		if (m->integer >= 1 && m->integer <= 4)
			return (enum mamori_severity)m->integer;
		return MAMORI_SEV_MEDIUM;
	}
	if (m->type == META_TYPE_STRING)
		for (int i = 1; i <= 4; i++)
			if (host_ieq(m->string, names[i]))
				return (enum mamori_severity)i;
	return MAMORI_SEV_MEDIUM;
}

struct scan_ctx {
	struct host_file *f;
	int stop;
};

static int scan_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	(void)ctx;
	struct scan_ctx *s = user;
	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	const YR_RULE *rule = data;
	const YR_META *m;
	const char *family = "generic", *indicator = NULL, *source = NULL;
	enum mamori_severity sev = MAMORI_SEV_MEDIUM;
	yr_rule_metas_foreach(rule, m)
	{
		if (!strcmp(m->identifier, "family") && m->type == META_TYPE_STRING)
			family = m->string;
		else if (!strcmp(m->identifier, "indicator") && m->type == META_TYPE_STRING)
			indicator = m->string;
		else if (!strcmp(m->identifier, "source") && m->type == META_TYPE_STRING)
			source = m->string;
		else if (!strcmp(m->identifier, "severity"))
			sev = meta_severity(m);
		else if (!strcmp(m->identifier, "score") && m->type == META_TYPE_INTEGER)
			sev = host_score_severity((unsigned)(m->integer < 0 ? 0 : m->integer));
	}
	char ind[160];
	if (!indicator) {
		snprintf(ind, sizeof(ind), "%s.yara.%s", family, rule->identifier);
		indicator = ind;
	}
	char ev[320];
	snprintf(ev, sizeof(ev), "YARA rule %s:%s matched", rule->ns ? rule->ns->name : "",
		 rule->identifier);
	s->stop = host_emit(s->f, family, indicator, sev, source, "%s", ev);
	return s->stop ? CALLBACK_ABORT : CALLBACK_CONTINUE;
}

int host_yara_run(struct host_file *f)
{
	const struct host_yara *y = f->sc->yara;
	static const uint8_t empty[1];
	if (!y || !y->rules)
		return 0;
	struct scan_ctx s = {.f = f};
	int r = yr_rules_scan_mem(y->rules, f->size ? f->data : empty, f->size,
				  SCAN_FLAGS_FAST_MODE, scan_cb, &s, YARA_TIMEOUT_SEC);
	if (r != ERROR_SUCCESS && !s.stop) {
		char what[64];
		snprintf(what, sizeof(what), "YARA scan failed (libyara error %d)", r);
		host_error(f->sc, f->path, MAMORI_EDEP, 0, what);
	}
	return s.stop;
}
