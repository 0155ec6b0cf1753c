/*
 * Remediation templates (rules/remedy/<family>.yaml), loaded with libyaml's
 * document API.  A template maps finding indicators to actions:
 *
 *   family: conficker
 *   rules:
 *     - match: conficker.registry.mountpoints2_*   # fnmatch glob on indicator
 *       kind: registry                             # optional: file|registry
 *       action: delete_key
 *       key_below: MountPoints2                    # delete the child of it
 *     - match: conficker.registry.service_disabled
 *       action: restore_start
 *       defaults: {wuauserv: 2, BITS: 2}           # per service; else data
 *       data: 2
 *     - match: conficker.autorun.*
 *       action: remove_autorun
 *       usb_worm: true                             # harden autorun policy
 *
 * Keys per action: set_dword needs data; remove_list_entry takes entry
 * (else the first '...'-quoted word of the finding's evidence); delete_key
 * takes key_below; set_string needs string (printable ASCII, written as
 * REG_SZ); value overrides the finding's value name; hive limits a rule
 * to findings of one hive kind ("NTUSER.DAT", "SOFTWARE").  Unknown
 * keys, actions or kinds are errors reported as "file:line: why".
 * Invariants: at most RM_MAX_RULES rules in all, strings capped at 256.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "remedy/remedy_int.h"
#include "remedy/template.h"
#include "util/err.h"

#define RM_MAX_RULES 1024
#define RM_MAX_STR 256
#define RM_MAX_FILES 64

static const struct {
	const char *name;
	enum mamori_remedy_op op;
} op_names[] = {
	{"none", MAMORI_RM_NONE},
	{"quarantine", MAMORI_RM_QUARANTINE},
	{"remove_autorun", MAMORI_RM_REMOVE_AUTORUN},
	{"delete_value", MAMORI_RM_DELETE_VALUE},
	{"set_dword", MAMORI_RM_SET_DWORD},
	{"remove_list_entry", MAMORI_RM_REMOVE_LIST_ENTRY},
	{"delete_key", MAMORI_RM_DELETE_KEY},
	{"restore_start", MAMORI_RM_RESTORE_START},
	{"set_autorun_policy", MAMORI_RM_SET_AUTORUN_POLICY},
	{"set_string", MAMORI_RM_SET_STRING},
};

const char *mamori_remedy_op_name(enum mamori_remedy_op op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].op == op)
			return op_names[i].name;
	return "?";
}

static void rule_free(struct rm_rule *r)
{
	free(r->match);
	free(r->family);
	free(r->value);
	free(r->entry);
	free(r->key_below);
	free(r->string);
	free(r->hive);
	for (size_t i = 0; i < r->n_svc; i++)
		free(r->svc[i]);
}

void mamori_remedy_rules_free(struct mamori_remedy_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_free(&r->v[i]);
	free(r->v);
	free(r);
}

size_t mamori_remedy_rules_count(const struct mamori_remedy_rules *r)
{
	return r ? r->n : 0;
}

struct ld {
	yaml_document_t *doc;
	const char *name;
	struct mamori_diag *diag;
};

#define ERR_AT(node, ...)                                                     \
	do {                                                                  \
		mamori_diag_set(l->diag, (unsigned)(node)->start_mark.line + 1, \
				(unsigned)(node)->start_mark.column + 1, __VA_ARGS__); \
		FAIL(MAMORI_FORMAT_ERR());                                    \
	} while (0)

static int scalar(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	int rc = 0;
	if (!n || n->type != YAML_SCALAR_NODE)
		ERR_AT(n, "%s must be a string", what);
	if (n->data.scalar.length == 0 || n->data.scalar.length > RM_MAX_STR ||
	    memchr(n->data.scalar.value, 0, n->data.scalar.length))
		ERR_AT(n, "%s must be 1..%d characters", what, RM_MAX_STR);
	if (!(*out = strndup((const char *)n->data.scalar.value, n->data.scalar.length)))
		FAIL(MAMORI_ENOMEM);
out:
	return rc;
}

static int number(struct ld *l, yaml_node_t *n, const char *what, uint32_t *out)
{
	char *s = NULL, *end;
	int rc = scalar(l, n, what, &s);
	if (rc)
		return rc;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end || s[0] == '-' || v > 0xffffffffull) {
		free(s);
		ERR_AT(n, "%s must be a number 0..0xffffffff", what);
	}
	*out = (uint32_t)v;
	free(s);
out:
	return rc;
}

static int boolean(struct ld *l, yaml_node_t *n, const char *what, bool *out)
{
	char *s = NULL;
	int rc = scalar(l, n, what, &s);
	if (rc)
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*out = false;
	else {
		free(s);
		ERR_AT(n, "%s must be true or false", what);
	}
	free(s);
out:
	return rc;
}

static int parse_defaults(struct ld *l, yaml_node_t *n, struct rm_rule *r)
{
	int rc = 0;
	if (n->type != YAML_MAPPING_NODE)
		ERR_AT(n, "defaults must be a mapping of service name to Start value");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		if (r->n_svc == RM_MAX_SVC)
			ERR_AT(n, "more than %d defaults", RM_MAX_SVC);
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		CHECK(scalar(l, k, "service name", &r->svc[r->n_svc]));
		r->n_svc++;
		CHECK(number(l, v, "Start value", &r->svc_start[r->n_svc - 1]));
		if (r->svc_start[r->n_svc - 1] > 4)
			ERR_AT(v, "Start value must be 0..4");
	}
out:
	return rc;
}

static int parse_rule(struct ld *l, yaml_node_t *n, const char *family, struct rm_rule *r)
{
	int rc = 0;
	bool has_action = false;
	char *s = NULL;
	r->line = (unsigned)n->start_mark.line + 1;
	if (n->type != YAML_MAPPING_NODE)
		ERR_AT(n, "a rule must be a mapping (match:, action:, ...)");
	if (!(r->family = strdup(family)))
		FAIL(MAMORI_ENOMEM);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		if (!k || k->type != YAML_SCALAR_NODE || !v)
			ERR_AT(n, "rule keys must be strings");
		const char *key = (const char *)k->data.scalar.value;
		free(s);
		s = NULL;
		if (!strcmp(key, "match")) {
			CHECK(scalar(l, v, "match", &r->match));
		} else if (!strcmp(key, "kind")) {
			CHECK(scalar(l, v, "kind", &s));
			if (strcmp(s, "file") && strcmp(s, "registry"))
				ERR_AT(v, "kind must be file or registry, not '%s'", s);
			r->kind = s[0];
		} else if (!strcmp(key, "action")) {
			size_t i;
			CHECK(scalar(l, v, "action", &s));
			for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
				if (!strcmp(s, op_names[i].name))
					break;
			if (i == sizeof(op_names) / sizeof(op_names[0]) ||
			    op_names[i].op == MAMORI_RM_SET_AUTORUN_POLICY)
				ERR_AT(v, "unknown action '%s'", s);
			r->op = op_names[i].op;
			has_action = true;
		} else if (!strcmp(key, "value")) {
			CHECK(scalar(l, v, "value", &r->value));
		} else if (!strcmp(key, "entry")) {
			CHECK(scalar(l, v, "entry", &r->entry));
		} else if (!strcmp(key, "string")) {
			CHECK(scalar(l, v, "string", &r->string));
			for (const char *q = r->string; *q; q++)
				if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
					ERR_AT(v, "string must be printable ASCII");
		} else if (!strcmp(key, "hive")) {
			CHECK(scalar(l, v, "hive", &r->hive));
		} else if (!strcmp(key, "key_below")) {
			CHECK(scalar(l, v, "key_below", &r->key_below));
		} else if (!strcmp(key, "data")) {
			CHECK(number(l, v, "data", &r->data));
			r->has_data = true;
		} else if (!strcmp(key, "usb_worm")) {
			CHECK(boolean(l, v, "usb_worm", &r->usb_worm));
		} else if (!strcmp(key, "defaults")) {
			CHECK(parse_defaults(l, v, r));
		} else {
			ERR_AT(k, "unknown rule key '%s'", key);
		}
	}
	if (!r->match)
		ERR_AT(n, "rule without match:");
	if (!has_action)
		ERR_AT(n, "rule without action:");
	if (r->op == MAMORI_RM_SET_DWORD && !r->has_data)
		ERR_AT(n, "set_dword needs data:");
	if (r->op == MAMORI_RM_SET_STRING && !r->string)
		ERR_AT(n, "set_string needs string:");
	if (r->op == MAMORI_RM_RESTORE_START && !r->has_data && !r->n_svc)
		ERR_AT(n, "restore_start needs defaults: or data:");
out:
	free(s);
	return rc;
}

int mamori_remedy_rules_parse(struct mamori_remedy_rules **rules, const char *name,
			      const uint8_t *text, size_t len, struct mamori_diag *diag)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ld ld = {&doc, name, diag}, *l = &ld;
	char *family = NULL;
	bool have_doc = false;
	int rc = 0;
	if (!*rules && !(*rules = calloc(1, sizeof(**rules))))
		return MAMORI_ENOMEM;
	struct mamori_remedy_rules *rs = *rules;
	if (!yaml_parser_initialize(&parser))
		return MAMORI_ENOMEM;
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		mamori_diag_set(diag, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1, "YAML error: %s",
				parser.problem ? parser.problem : "unreadable");
		FAIL(MAMORI_FORMAT_ERR());
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		mamori_diag_set(diag, 1, 1, "empty template");
		FAIL(MAMORI_FORMAT_ERR());
	}
	if (root->type != YAML_MAPPING_NODE)
		ERR_AT(root, "a template is a mapping with family: and rules:");
	yaml_node_t *rlist = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		if (!k || k->type != YAML_SCALAR_NODE || !v)
			ERR_AT(root, "template keys must be strings");
		if (!strcmp((const char *)k->data.scalar.value, "family")) {
			free(family);
			family = NULL;
			CHECK(scalar(l, v, "family", &family));
		} else if (!strcmp((const char *)k->data.scalar.value, "rules")) {
			if (v->type != YAML_SEQUENCE_NODE)
				ERR_AT(v, "rules must be a list");
			rlist = v;
		} else {
			ERR_AT(k, "unknown template key '%s'", (const char *)k->data.scalar.value);
		}
	}
	if (!family)
		ERR_AT(root, "template without family:");
	if (!rlist)
		ERR_AT(root, "template without rules:");
	for (yaml_node_item_t *it = rlist->data.sequence.items.start;
	     it < rlist->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(&doc, *it);
		if (rs->n == RM_MAX_RULES)
			ERR_AT(n, "more than %d rules", RM_MAX_RULES);
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? rs->cap * 2 : 32;
			struct rm_rule *v = realloc(rs->v, cap * sizeof(*v));
			if (!v)
				FAIL(MAMORI_ENOMEM);
			rs->v = v;
			rs->cap = cap;
		}
		struct rm_rule *r = &rs->v[rs->n];
		memset(r, 0, sizeof(*r));
		rc = parse_rule(l, n, family, r);
		if (rc) {
			rule_free(r);
			goto out;
		}
		rs->n++;
	}
out:
	if (rc && diag)
		diag->file = name;
	free(family);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	bool gx = !strcmp(x, "generic.yaml"), gy = !strcmp(y, "generic.yaml");
	if (gx != gy)
		return gx ? 1 : -1;
	return strcmp(x, y);
}

int mamori_remedy_rules_load_dir(const char *dir, struct mamori_remedy_rules **out,
				 struct mamori_diag *diag)
{
	static char errfile[4096];
	char *names[RM_MAX_FILES];
	size_t n = 0;
	char deflt[4096];
	int rc = 0;
	if (!dir) {
		const char *env = getenv("MAMORI_RULES_DIR");
#ifdef MAMORI_RULES_DIR
		const char *base = env && *env ? env : MAMORI_RULES_DIR;
#else
		const char *base = env && *env ? env : "rules";
#endif
		snprintf(deflt, sizeof(deflt), "%s/remedy", base);
		dir = deflt;
	}
	DIR *d = opendir(dir);
	*out = NULL;
	if (!d) {
		mamori_diag_set(diag, 0, 0, "cannot open template folder %s", dir);
		return MAMORI_ENOENT;
	}
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		if (n == RM_MAX_FILES)
			break;
		if (!(names[n] = strdup(e->d_name)))
			FAIL(MAMORI_ENOMEM);
		n++;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	if (!(*out = calloc(1, sizeof(**out))))
		FAIL(MAMORI_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		uint8_t *text = NULL;
		size_t len = 0;
		rm_fmt(errfile, sizeof(errfile), "%s/%s", dir, names[i]);
		rc = rm_read_path(errfile, &text, &len);
		if (rc < 0) {
			mamori_diag_set(diag, 0, 0, "cannot read %s", errfile);
			if (diag)
				diag->file = errfile;
			goto out;
		}
		rc = mamori_remedy_rules_parse(out, errfile, text, len, diag);
		free(text);
		if (rc)
			goto out;
	}
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (rc) {
		mamori_remedy_rules_free(*out);
		*out = NULL;
	}
	return rc;
}

const struct rm_rule *rm_rules_match(const struct mamori_remedy_rules *rs,
				     const struct mamori_finding *f)
{
	char kind = f->kind && !strcmp(f->kind, "registry") ? 'r' : 'f';
	for (size_t i = 0; rs && i < rs->n; i++) {
		const struct rm_rule *r = &rs->v[i];
		if (r->kind && r->kind != kind)
			continue;
		if (r->hive && (!f->hive || strcasecmp(r->hive, f->hive)))
			continue;
		if (f->indicator && fnmatch(r->match, f->indicator, 0) == 0)
			return r;
	}
	return NULL;
}
