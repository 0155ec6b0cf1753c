/*
 * Building a remediation plan from findings: each finding goes through the
 * templates (template.c) to zero or one action, duplicates merge (several
 * indicators on one file make one quarantine; one registry value found by
 * two checks is edited once), and when any finding marked usb_worm is seen
 * the autorun policy (NoDriveTypeAutoRun and NoDriveAutoRun = 0xFF) is
 * added once for the volume, to its SOFTWARE hive and every NTUSER.DAT.
 *
 * Invariants: action paths are relative to the root ('/'-separated, no
 * "." or ".." components); a finding whose path is not below the root
 * becomes an action carrying a note, which apply never carries out.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "remedy/remedy_int.h"
#include "remedy/template.h"
#include "util/err.h"

#define PLAN_MAX_ACTIONS 100000

static const char autorun_key_hklm[] = "Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer";
static const char autorun_key_user[] =
	"Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer";

int mamori_remedy_plan_init(struct mamori_remedy_plan *plan, const char *root)
{
	memset(plan, 0, sizeof(*plan));
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	plan->root = strndup(root, n);
	return plan->root ? 0 : MAMORI_ENOMEM;
}

static void action_release(struct mamori_remedy_action *a)
{
	free(a->rel);
	free(a->key);
	free(a->value);
	free(a->entry);
	free(a->string);
	free(a->family);
	free(a->indicator);
	free(a->evidence);
	free(a->sha256);
	free(a->note);
}

void mamori_remedy_plan_release(struct mamori_remedy_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		action_release(&plan->v[i]);
	free(plan->v);
	for (size_t i = 0; i < plan->n_hives; i++)
		free(plan->hives[i]);
	free(plan->hives);
	free(plan->root);
	memset(plan, 0, sizeof(*plan));
}

/* The path below root, or NULL when path is not below it. */
static const char *below_root(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (!strcmp(root, "/"))
		n = 0;
	else if (strncmp(path, root, n) || path[n] != '/')
		return NULL;
	const char *rel = path + n;
	while (*rel == '/')
		rel++;
	return *rel ? rel : NULL;
}

/* rel is safe: no empty, "." or ".." component. */
static bool safe_rel(const char *rel)
{
	for (const char *p = rel; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && *p == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			return false;
	}
	return true;
}

static bool same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcasecmp(a, b);
}

static bool is_file_op(enum mamori_remedy_op op)
{
	return op == MAMORI_RM_QUARANTINE || op == MAMORI_RM_REMOVE_AUTORUN;
}

static struct mamori_remedy_action *find_dup(struct mamori_remedy_plan *p,
					     const struct mamori_remedy_action *a)
{
	for (size_t i = 0; i < p->n; i++) {
		struct mamori_remedy_action *b = &p->v[i];
		if (strcmp(a->rel, b->rel))
			continue;
		if (is_file_op(a->op) && is_file_op(b->op))
			return b;
		if (a->op == b->op && same(a->key, b->key) && same(a->value, b->value) &&
		    same(a->entry, b->entry))
			return b;
	}
	return NULL;
}

static int push(struct mamori_remedy_plan *p, struct mamori_remedy_action *a)
{
	struct mamori_remedy_action *d = find_dup(p, a);
	if (d) {
		if (a->op == MAMORI_RM_REMOVE_AUTORUN)
			d->op = a->op;
		action_release(a);
		return 0;
	}
	if (p->n == PLAN_MAX_ACTIONS) {
		action_release(a);
		return MAMORI_ELIMIT;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct mamori_remedy_action *v = realloc(p->v, cap * sizeof(*v));
		if (!v) {
			action_release(a);
			return MAMORI_ENOMEM;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = *a;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The first '...'-quoted word of s, or NULL. */
static char *quoted(const char *s)
{
	const char *a = s ? strchr(s, '\'') : NULL;
	const char *b = a ? strchr(a + 1, '\'') : NULL;
	return b && b > a + 1 ? strndup(a + 1, (size_t)(b - a - 1)) : NULL;
}

/* key trimmed to the component after `below` (case-insensitive), or a copy. */
static char *trim_key(const char *key, const char *below)
{
	if (!below)
		return strdup(key);
	size_t bl = strlen(below);
	for (const char *p = key; *p;) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == bl && !strncasecmp(p, below, bl) && e) {
			const char *c = e + 1;
			const char *ce = strchr(c, '\\');
			return strndup(key, ce ? (size_t)(ce - key) : strlen(key));
		}
		if (!e)
			break;
		p = e + 1;
	}
	return strdup(key);
}

/* The service name of a ...\Services\<name>[\...] key. */
static void service_of(const char *key, char *out, size_t n)
{
	char *k = trim_key(key, "Services");
	const char *b = k ? strrchr(k, '\\') : NULL;
	snprintf(out, n, "%s", b ? b + 1 : "");
	free(k);
}

int mamori_remedy_plan_add(struct mamori_remedy_plan *plan,
			   const struct mamori_remedy_rules *rules,
			   const struct mamori_finding *f)
{
	const struct rm_rule *r = rm_rules_match(rules, f);
	struct mamori_remedy_action a;
	bool reg = f->kind && !strcmp(f->kind, "registry");
	char note[200];
	note[0] = 0;
	memset(&a, 0, sizeof(a));
	if (!r || r->op == MAMORI_RM_NONE) {
		plan->unmatched++;
		return 0;
	}
	if (r->usb_worm)
		plan->usb_worm = true;
	a.op = r->op;
	const char *rel = f->path ? below_root(plan->root, f->path) : NULL;
	if (!rel || !safe_rel(rel)) {
		snprintf(note, sizeof(note), "path is not below %s: never touched", plan->root);
		rel = f->path ? f->path : "?";
	}
	if (reg && is_file_op(a.op))
		snprintf(note, sizeof(note), "template asks a file action for a registry finding");
	if (!reg && !is_file_op(a.op))
		snprintf(note, sizeof(note), "template asks a registry action for a file finding");
	if (reg && !f->key)
		snprintf(note, sizeof(note), "registry finding without a key");
	a.rel = strdup(rel);
	a.family = strdup(f->family ? f->family : r->family);
	a.indicator = strdup(f->indicator ? f->indicator : "?");
	a.evidence = strdup(f->evidence ? f->evidence : "");
	a.sha256 = dup_or_null(reg ? NULL : f->sha256);
	if (reg && f->key) {
		a.key = a.op == MAMORI_RM_DELETE_KEY ? trim_key(f->key, r->key_below)
						     : strdup(f->key);
		if (a.op != MAMORI_RM_DELETE_KEY)
			a.value = dup_or_null(r->value ? r->value : f->value);
		if (!a.key || (!a.value && a.op != MAMORI_RM_DELETE_KEY && (r->value || f->value)))
			goto nomem;
		if (a.op != MAMORI_RM_DELETE_KEY && !a.value)
			snprintf(note, sizeof(note), "registry finding without a value name");
	}
	a.dword = r->data;
	if (a.op == MAMORI_RM_SET_STRING && !(a.string = strdup(r->string)))
		goto nomem;
	if (a.op == MAMORI_RM_RESTORE_START && f->key) {
		char svc[128];
		service_of(f->key, svc, sizeof(svc));
		bool found = false;
		for (size_t i = 0; i < r->n_svc; i++)
			if (!strcasecmp(svc, r->svc[i])) {
				a.dword = r->svc_start[i];
				found = true;
			}
		if (!found && !r->has_data)
			snprintf(note, sizeof(note), "no default Start value for service '%s'", svc);
		free(a.value);
		if (!(a.value = strdup("Start")))
			goto nomem;
	}
	if (a.op == MAMORI_RM_REMOVE_LIST_ENTRY) {
		a.entry = r->entry ? strdup(r->entry) : quoted(f->evidence);
		if (!a.entry)
			snprintf(note, sizeof(note), "no list entry named in the template or finding");
	}
	if (*note && !(a.note = strdup(note)))
		goto nomem;
	if (!a.rel || !a.family || !a.indicator || !a.evidence)
		goto nomem;
	return push(plan, &a);
nomem:
	action_release(&a);
	return MAMORI_ENOMEM;
}

int mamori_remedy_plan_add_hive(struct mamori_remedy_plan *plan, const char *path,
				bool software)
{
	const char *rel = below_root(plan->root, path);
	if (!rel || !safe_rel(rel))
		return 0;
	for (size_t i = 0; i < plan->n_hives; i++)
		if (!strcmp(plan->hives[i] + 1, rel))
			return 0;
	char **v = realloc(plan->hives, (plan->n_hives + 1) * sizeof(*v));
	if (!v)
		return MAMORI_ENOMEM;
	plan->hives = v;
	size_t n = strlen(rel);
	char *s = malloc(n + 2);
	if (!s)
		return MAMORI_ENOMEM;
	s[0] = software ? 'S' : 'U';
	memcpy(s + 1, rel, n + 1);
	plan->hives[plan->n_hives++] = s;
	return 0;
}

static int add_policy(struct mamori_remedy_plan *plan, const char *rel, bool software,
		      const char *value)
{
	struct mamori_remedy_action a;
	memset(&a, 0, sizeof(a));
	a.op = MAMORI_RM_SET_AUTORUN_POLICY;
	a.rel = strdup(rel);
	a.key = strdup(software ? autorun_key_hklm : autorun_key_user);
	a.value = strdup(value);
	a.dword = 0xff;
	a.family = strdup("generic");
	a.indicator = strdup("generic.policy.autorun");
	a.evidence = strdup("a USB worm was found: autorun is switched off for every drive");
	if (!a.rel || !a.key || !a.value || !a.family || !a.indicator || !a.evidence) {
		action_release(&a);
		return MAMORI_ENOMEM;
	}
	return push(plan, &a);
}

static int rank(const struct mamori_remedy_action *a)
{
	if (is_file_op(a->op))
		return 0;
	return a->op == MAMORI_RM_DELETE_KEY ? 2 : 1;
}

static int cmp_actions(const void *x, const void *y)
{
	const struct mamori_remedy_action *a = x, *b = y;
	bool fa = is_file_op(a->op), fb = is_file_op(b->op);
	if (fa != fb)
		return fa ? -1 : 1;
	int c = strcmp(a->rel, b->rel);
	if (c)
		return c;
	return rank(a) - rank(b);
}

int mamori_remedy_plan_finish(struct mamori_remedy_plan *plan)
{
	int rc = 0;
	if (plan->usb_worm)
		for (size_t i = 0; i < plan->n_hives && !rc; i++) {
			bool sw = plan->hives[i][0] == 'S';
			rc = add_policy(plan, plan->hives[i] + 1, sw, "NoDriveTypeAutoRun");
			if (!rc)
				rc = add_policy(plan, plan->hives[i] + 1, sw, "NoDriveAutoRun");
		}
	if (plan->n > 1) {
		/* stable: qsort is not, so break ties by original position */
		struct mamori_remedy_action *v = plan->v;
		for (size_t i = 1; i < plan->n; i++) {
			struct mamori_remedy_action t = v[i];
			size_t j = i;
			while (j > 0 && cmp_actions(&v[j - 1], &t) > 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = t;
		}
	}
	return rc;
}

int mamori_remedy_plan_prune(struct mamori_remedy_plan *plan)
{
	size_t o = 0;
	for (size_t i = 0; i < plan->n; i++) {
		struct mamori_remedy_action *a = &plan->v[i];
		bool drop = false;
		if (a->op == MAMORI_RM_SET_AUTORUN_POLICY && !a->note) {
			struct mamori_hive *h = NULL;
			char *path = NULL;
			uint32_t v;
			if (asprintf(&path, "%s/%s", plan->root, a->rel) < 0)
				return MAMORI_ENOMEM;
			if (mamori_hive_open(path, "policy", &h, NULL) == 0 &&
			    mamori_hive_get_dword(h, a->key, a->value, &v) == 0 && v == a->dword)
				drop = true;
			mamori_hive_close(h);
			free(path);
		}
		if (drop)
			action_release(a);
		else
			plan->v[o++] = *a;
	}
	plan->n = o;
	return 0;
}
