/*
 * Loader of correlation files (rules/correlation.yaml; format in
 * docs/correlation.md) into struct corr_ruleset.
 *
 * Why libyaml's document API: it keeps the start mark of every node, so
 * every rejection names the file, line and column of the offending node
 * (`file:line: reason`), and the files are small (capped at CORR_MAX_FILE).
 *
 * Validation is strict: unknown keys, wrong node types, out-of-range
 * numbers, unknown event types, classtypes or address groups are errors,
 * because a typo in a correlation rule otherwise silently disables it.
 *
 * Address groups referenced by `exclude:` or `peer_in:` resolve, in order,
 * from opts->groups (the config's vars), the file's `groups:`, then
 * opts->vars (Suricata defaults when NULL: HOME_NET...).
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "correlate/corr_int.h"
#include "util/buf.h"
#include "util/err.h"

#define CORR_MAX_DURATION (30ull * 86400ull)	/* seconds */
#define CORR_MAX_LIST 256u

struct ld {
	yaml_document_t doc;
	struct corr_ruleset *rs;
	const struct corr_load_opts *opts;
	struct rule_vars *own_vars;	/* when opts->vars is NULL */
	const struct rule_vars *vars;
	struct rule_classes cls;
	bool cls_loaded;
	yaml_node_t *file_groups;	/* mapping or NULL */
	struct mamori_diag *diag;
};

static int ld_err(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ld_err(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	if (l->diag) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(l->diag->msg, sizeof(l->diag->msg), fmt, ap);
		va_end(ap);
		l->diag->line = n ? (unsigned)n->start_mark.line + 1 : 0;
		l->diag->column = n ? (unsigned)n->start_mark.column + 1 : 0;
	}
	return MAMORI_FORMAT_ERR();
}

static yaml_node_t *ld_node(struct ld *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

static const char *ld_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int ld_str(struct ld *l, yaml_node_t *n, const char *what, char **out)
{
	const char *s = ld_scalar(n);
	if (!s || !*s)
		return ld_err(l, n, "%s must be a non-empty string", what);
	if (strlen(s) > 255)
		return ld_err(l, n, "%s is longer than 255 characters", what);
	free(*out);
	*out = strdup(s);
	return *out ? 0 : MAMORI_ENOMEM;
}

static int ld_uint(struct ld *l, yaml_node_t *n, const char *what, uint64_t lo,
		   uint64_t hi, uint64_t *out)
{
	const char *s = ld_scalar(n);
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return ld_err(l, n, "%s must be a whole number", what);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return ld_err(l, n, "%s must be a whole number", what);
	if (v < lo || v > hi)
		return ld_err(l, n, "%s must be between %llu and %llu", what,
			      (unsigned long long)lo, (unsigned long long)hi);
	*out = v;
	return 0;
}

static int ld_double(struct ld *l, yaml_node_t *n, const char *what, double lo,
		     double hi, double *out)
{
	const char *s = ld_scalar(n);
	char *end;
	if (!s || !*s)
		return ld_err(l, n, "%s must be a number", what);
	double v = strtod(s, &end);
	if (*end || !isfinite(v) || v < lo || v > hi)
		return ld_err(l, n, "%s must be a number between %g and %g", what, lo, hi);
	*out = v;
	return 0;
}

/* "90", "90s", "10m", "2h", "1d" -> usec. */
static int ld_duration(struct ld *l, yaml_node_t *n, const char *what, uint64_t *out)
{
	static const struct {
		char suffix;
		uint64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	const char *s = ld_scalar(n);
	char *end;
	if (!s || *s < '0' || *s > '9')
		return ld_err(l, n, "%s must be a duration (e.g. 90, 90s, 10m, 2h, 1d)", what);
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = *end ? 0 : 1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && *end; i++)
		if (end[0] == units[i].suffix && !end[1])
			mult = units[i].mult;
	if (!mult || errno)
		return ld_err(l, n, "%s must be a duration (e.g. 90, 90s, 10m, 2h, 1d)", what);
	if (v == 0 || v > CORR_MAX_DURATION / mult)
		return ld_err(l, n, "%s must be between 1s and 30d", what);
	*out = (uint64_t)v * mult * 1000000u;
	return 0;
}

/* A scalar or a sequence of scalars, as a list of node pointers. */
static int ld_list(struct ld *l, yaml_node_t *n, const char *what,
		   yaml_node_t **items, size_t *count)
{
	*count = 0;
	if (n->type == YAML_SCALAR_NODE) {
		items[(*count)++] = n;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return ld_err(l, n, "%s must be a value or a list of values", what);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = ld_node(l, *it);
		if (!c || c->type != YAML_SCALAR_NODE)
			return ld_err(l, c ? c : n, "%s: list items must be plain values", what);
		if (*count == CORR_MAX_LIST)
			return ld_err(l, c, "%s: more than %u values", what, CORR_MAX_LIST);
		items[(*count)++] = c;
	}
	return 0;
}

static int ld_path(struct ld *l, yaml_node_t *n, const char *what, struct corr_path *p)
{
	const char *s = ld_scalar(n);
	if (!s)
		return ld_err(l, n, "%s must be a dotted field path", what);
	int rc = corr_path_set(p, s);
	if (rc == MAMORI_EINVAL)
		return ld_err(l, n, "%s: '%.64s' is not a dotted field path (at most %d parts)",
			      what, s, CORR_PATH_MAX_PARTS);
	return rc;
}

/* ---- address groups -------------------------------------------------- */

static const struct corr_group *ld_group(struct ld *l, yaml_node_t *ref)
{
	const char *name = ld_scalar(ref);
	struct corr_ruleset *rs = l->rs;
	const char *text = NULL;
	yaml_node_t *fnode = NULL;
	struct mamori_diag d = {0};
	char *joined = NULL;
	int rc;

	if (!name || !*name) {
		ld_err(l, ref, "address group name must be a string");
		return NULL;
	}
	if (*name == '$')
		name++;
	for (size_t i = 0; i < rs->ngroups; i++)
		if (!strcmp(rs->groups[i].name, name))
			return &rs->groups[i];
	if (rs->ngroups == CORR_MAX_LIST) {
		ld_err(l, ref, "too many address groups");
		return NULL;
	}
	if (l->opts)
		for (size_t i = 0; i < l->opts->ngroups && !text; i++)
			if (!strcmp(l->opts->groups[i].name, name))
				text = l->opts->groups[i].value;
	if (!text && l->file_groups) {
		for (yaml_node_pair_t *p = l->file_groups->data.mapping.pairs.start;
		     p < l->file_groups->data.mapping.pairs.top; p++) {
			const char *k = ld_scalar(ld_node(l, p->key));
			if (k && !strcmp(k, name))
				fnode = ld_node(l, p->value);
		}
	}
	if (!text && fnode) {
		if (fnode->type == YAML_SCALAR_NODE) {
			text = ld_scalar(fnode);
		} else if (fnode->type == YAML_SEQUENCE_NODE) {
			struct buf b;
			buf_init(&b, 64 * 1024);
			int brc = buf_putc(&b, '[');
			size_t k = 0;
			for (yaml_node_item_t *it = fnode->data.sequence.items.start;
			     it < fnode->data.sequence.items.top && brc == 0; it++, k++) {
				const char *s = ld_scalar(ld_node(l, *it));
				if (!s) {
					buf_release(&b);
					ld_err(l, ld_node(l, *it), "group %s: items must be addresses", name);
					return NULL;
				}
				brc = buf_printf(&b, "%s%s", k ? "," : "", s);
			}
			if (brc == 0)
				brc = buf_putc(&b, ']');
			size_t jl;
			joined = brc == 0 && k ? (char *)buf_detach(&b, &jl) : NULL;
			buf_release(&b);
			if (brc) {
				ld_err(l, fnode, "group %s is too long", name);
				return NULL;
			}
			text = joined ? joined : "";
		} else {
			ld_err(l, fnode, "group %s must be an address list", name);
			return NULL;
		}
	}
	if (!text)
		text = rule_vars_get(l->vars, name);
	if (!text) {
		ld_err(l, ref, "unknown address group '%.64s' (define it under groups: or in the config)", name);
		return NULL;
	}
	struct corr_group *g = &rs->groups[rs->ngroups];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	if (!g->name) {
		free(joined);
		return NULL;
	}
	rs->ngroups++;
	if (!*text || !strcmp(text, "[]")) {
		g->empty = true;
	} else {
		rc = rule_addrset_parse(&g->set, text, l->vars, &d);
		if (rc < 0) {
			g->empty = true;
			ld_err(l, fnode ? fnode : ref, "group %s: %s", name, d.msg);
			free(joined);
			return NULL;
		}
	}
	free(joined);
	return g;
}

/* ---- requirements ----------------------------------------------------- */

static int ld_events(struct ld *l, yaml_node_t *n, uint32_t *mask)
{
	yaml_node_t *items[CORR_MAX_LIST];
	size_t k;
	int rc = ld_list(l, n, "event", items, &k);
	if (rc)
		return rc;
	for (size_t i = 0; i < k; i++) {
		const char *s = ld_scalar(items[i]);
		enum corr_etype t = corr_etype_from_name(s);
		if (t == CORR_EV_OTHER || t == CORR_EV_INCIDENT)
			return ld_err(l, items[i], "unknown event type '%.64s'", s);
		*mask |= 1u << t;
	}
	return 0;
}

static int ld_where(struct ld *l, yaml_node_t *n, struct corr_req *r)
{
	if (n->type != YAML_MAPPING_NODE)
		return ld_err(l, n, "where must map field paths to values");
	size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (np == 0 || np > 16)
		return ld_err(l, n, "where needs 1 to 16 fields");
	r->filters = calloc(np, sizeof(*r->filters));
	if (!r->filters)
		return MAMORI_ENOMEM;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		struct corr_filter *f = &r->filters[r->nfilters++];
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		yaml_node_t *items[CORR_MAX_LIST];
		size_t k;
		int rc = ld_path(l, kn, "where key", &f->path);
		if (rc)
			return rc;
		if (!vn)
			return ld_err(l, kn, "where %s: missing value", f->path.text);
		if ((rc = ld_list(l, vn, "where value", items, &k)))
			return rc;
		f->vals = calloc(k ? k : 1, sizeof(char *));
		if (!f->vals)
			return MAMORI_ENOMEM;
		for (size_t i = 0; i < k; i++) {
			const char *s = ld_scalar(items[i]);
			if (i == 0 && s[0] == '!') {
				f->neg = true;
				s++;
			} else if (s[0] == '!') {
				return ld_err(l, items[i], "'!' negates the whole list: put it on the first value only");
			}
			if (!(f->vals[f->nvals++] = strdup(s)))
				return MAMORI_ENOMEM;
		}
	}
	return 0;
}

static int ld_classes(struct ld *l, yaml_node_t *at)
{
	if (l->cls_loaded)
		return 0;
	struct mamori_diag d = {0};
	const char *path = l->opts && l->opts->classification ? l->opts->classification
							      : rule_classes_default_path();
	int rc = rule_classes_load(&l->cls, path, &d);
	if (rc == MAMORI_ENOMEM)
		return rc;
	if (rc < 0)
		return ld_err(l, at, "classtype needs %s: %s", path, d.msg);
	l->cls_loaded = true;
	return 0;
}

static int ld_alert(struct ld *l, yaml_node_t *n, struct corr_req *r)
{
	yaml_node_t *items[CORR_MAX_LIST];
	size_t k;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return ld_err(l, n, "alert must be a mapping (sid:, classtype: or category:)");
	r->kind = CORR_REQ_ALERT;
	r->etypes = 1u << CORR_EV_ALERT;
	r->sids = calloc(CORR_MAX_LIST, sizeof(*r->sids));
	r->categories = calloc(2 * CORR_MAX_LIST, sizeof(char *));
	if (!r->sids || !r->categories)
		return MAMORI_ENOMEM;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		const char *key = ld_scalar(kn);
		if (!key || !vn)
			return ld_err(l, kn, "alert: bad entry");
		if ((rc = ld_list(l, vn, key, items, &k)))
			return rc;
		for (size_t i = 0; i < k; i++) {
			if (!strcmp(key, "sid")) {
				uint64_t v;
				if (r->nsids == CORR_MAX_LIST)
					return ld_err(l, items[i], "too many sids");
				if ((rc = ld_uint(l, items[i], "sid", 1, UINT32_MAX, &v)))
					return rc;
				r->sids[r->nsids++] = (uint32_t)v;
			} else if (!strcmp(key, "classtype") || !strcmp(key, "category")) {
				const char *s = ld_scalar(items[i]);
				if (r->ncategories == 2 * CORR_MAX_LIST)
					return ld_err(l, items[i], "too many categories");
				if (!strcmp(key, "classtype")) {
					if ((rc = ld_classes(l, items[i])))
						return rc;
					const struct rule_class *c = rule_classes_find(&l->cls, s);
					if (!c)
						return ld_err(l, items[i], "unknown classtype '%.64s'", s);
					s = c->desc;	/* EVE alert.category is the description */
				}
				if (!(r->categories[r->ncategories++] = strdup(s)))
					return MAMORI_ENOMEM;
			} else {
				return ld_err(l, kn, "alert: unknown key '%.64s' (sid, classtype, category)", key);
			}
		}
	}
	if (!r->nsids && !r->ncategories)
		return ld_err(l, n, "alert needs sid:, classtype: or category:");
	return 0;
}

static const struct {
	const char *name;
	enum corr_side side;
} side_names[] = {
	{"src_ip", CORR_SIDE_SRC}, {"dest_ip", CORR_SIDE_DST},
	{"client_ip", CORR_SIDE_CLIENT}, {"server_ip", CORR_SIDE_SERVER},
};

/* The body of count: / rise: (a mapping). */
static int ld_counting(struct ld *l, yaml_node_t *n, struct corr_req *r, bool rise)
{
	bool have_min = false, have_factor = false, have_base = false;
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return ld_err(l, n, "%s must be a mapping", rise ? "rise" : "count");
	r->kind = rise ? CORR_REQ_RISE : CORR_REQ_COUNT;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		const char *key = ld_scalar(kn);
		uint64_t v;
		if (!key || !vn)
			return ld_err(l, kn, "bad entry");
		if (!strcmp(key, "event")) {
			rc = ld_events(l, vn, &r->etypes);
		} else if (!strcmp(key, "where")) {
			rc = r->filters ? ld_err(l, kn, "where given twice") : ld_where(l, vn, r);
		} else if (!strcmp(key, "min")) {
			rc = ld_uint(l, vn, "min", 1, rise ? 1000000 : CORR_MAX_MIN, &v);
			r->min = (uint32_t)v;
			have_min = true;
		} else if (!strcmp(key, "key")) {
			rc = ld_path(l, vn, "key", &r->key);
		} else if (!rise && !strcmp(key, "within")) {
			rc = ld_duration(l, vn, "within", &r->within);
		} else if (!rise && !strcmp(key, "distinct")) {
			rc = ld_path(l, vn, "distinct", &r->distinct);
		} else if (!rise && !strcmp(key, "score")) {
			/* score: {field: dns.rrname, min: 4.0} */
			bool hf = false, hm = false;
			if (vn->type != YAML_MAPPING_NODE)
				return ld_err(l, vn, "score must be {field: PATH, min: NUMBER}");
			for (yaml_node_pair_t *q = vn->data.mapping.pairs.start;
			     q < vn->data.mapping.pairs.top; q++) {
				yaml_node_t *k2 = ld_node(l, q->key), *v2 = ld_node(l, q->value);
				const char *s2 = ld_scalar(k2);
				if (s2 && !strcmp(s2, "field") && v2) {
					if ((rc = ld_path(l, v2, "score field", &r->score_field)))
						return rc;
					hf = true;
				} else if (s2 && !strcmp(s2, "min") && v2) {
					if ((rc = ld_double(l, v2, "score min", 0.0, 100.0, &r->score_min)))
						return rc;
					hm = true;
				} else {
					return ld_err(l, k2, "score: unknown key (field, min)");
				}
			}
			if (!hf || !hm)
				return ld_err(l, vn, "score needs field: and min:");
			rc = 0;
		} else if (rise && !strcmp(key, "factor")) {
			rc = ld_double(l, vn, "factor", 1.0, 1e6, &r->factor);
			have_factor = true;
		} else if (rise && !strcmp(key, "baseline")) {
			rc = ld_duration(l, vn, "baseline", &r->baseline);
			have_base = true;
		} else {
			return ld_err(l, kn, "%s: unknown key '%.64s'", rise ? "rise" : "count", key);
		}
		if (rc)
			return rc;
	}
	if (!r->etypes)
		return ld_err(l, n, "%s needs event:", rise ? "rise" : "count");
	if (!have_min)
		return ld_err(l, n, "%s needs min:", rise ? "rise" : "count");
	if (rise && (!have_factor || !have_base))
		return ld_err(l, n, "rise needs factor: and baseline:");
	if (!r->key.n && r->distinct.n && (rc = corr_path_set(&r->key, r->distinct.text)))
		return rc;
	return 0;
}

static int ld_req(struct ld *l, yaml_node_t *n, struct corr_req *r, size_t idx,
		  enum corr_entity ent)
{
	bool have_kind = false;
	int rc;

	if (!n || n->type != YAML_MAPPING_NODE)
		return ld_err(l, n, "a requirement must be a mapping with alert:, count: or rise:");
	r->side = ent == CORR_ENT_DST ? CORR_SIDE_DST : CORR_SIDE_SRC;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		const char *key = ld_scalar(kn);
		if (!key || !vn)
			return ld_err(l, kn, "bad requirement entry");
		bool kind = !strcmp(key, "alert") || !strcmp(key, "count") || !strcmp(key, "rise");
		if (kind && have_kind)
			return ld_err(l, kn, "one requirement has exactly one of alert:, count:, rise:");
		if (!strcmp(key, "alert")) {
			rc = ld_alert(l, vn, r);
		} else if (!strcmp(key, "count")) {
			rc = ld_counting(l, vn, r, false);
		} else if (!strcmp(key, "rise")) {
			rc = ld_counting(l, vn, r, true);
		} else if (!strcmp(key, "label")) {
			rc = ld_str(l, vn, "label", &r->label);
		} else if (!strcmp(key, "on")) {
			const char *s = ld_scalar(vn);
			size_t i = 0;
			while (i < sizeof(side_names) / sizeof(side_names[0]) &&
			       !(s && !strcmp(s, side_names[i].name)))
				i++;
			if (i == sizeof(side_names) / sizeof(side_names[0]))
				return ld_err(l, vn, "on must be src_ip, dest_ip, client_ip or server_ip");
			if (ent == CORR_ENT_PAIR)
				return ld_err(l, vn, "on: is not allowed in a pair-entity rule");
			r->side = side_names[i].side;
			rc = 0;
		} else if (!strcmp(key, "from_previous_peer")) {
			const char *b = ld_scalar(vn);
			if (!b || (strcmp(b, "true") && strcmp(b, "false")))
				return ld_err(l, vn, "from_previous_peer must be true or false");
			r->peer_prev = !strcmp(b, "true");
			rc = 0;
		} else if (!strcmp(key, "peer_in")) {
			r->peer = ld_group(l, vn);
			rc = r->peer ? 0 : MAMORI_EFORMAT;
		} else {
			return ld_err(l, kn, "unknown requirement key '%.64s' (alert, count, rise, label, on, peer_in, from_previous_peer)", key);
		}
		if (rc)
			return rc;
		have_kind |= kind;
	}
	if (!have_kind)
		return ld_err(l, n, "requirement needs alert:, count: or rise:");
	if (!r->label) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "requirement %zu", idx + 1);
		if (!(r->label = strdup(tmp)))
			return MAMORI_ENOMEM;
	}
	return 0;
}

static int ld_reqs(struct ld *l, yaml_node_t *n, struct corr_rule *ru)
{
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return ld_err(l, n, "expected a list of requirements");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		if (ru->nreqs == CORR_MAX_REQS)
			return ld_err(l, ld_node(l, *it), "more than %u requirements", CORR_MAX_REQS);
		struct corr_req *r = &ru->reqs[ru->nreqs++];
		int rc = ld_req(l, ld_node(l, *it), r, ru->nreqs - 1, ru->entity);
		if (rc)
			return rc;
		ru->labels[ru->nreqs - 1] = r->label;
		ru->keys[ru->nreqs - 1] = r->key.text;
		ru->etypes |= r->etypes;
	}
	if (!ru->nreqs)
		return ld_err(l, n, "needs at least one requirement");
	return 0;
}

/* ---- rules ------------------------------------------------------------ */

static const char *const entity_names[] = {
	[CORR_ENT_SRC] = "src_ip", [CORR_ENT_DST] = "dest_ip", [CORR_ENT_PAIR] = "pair"};

static int ld_rule(struct ld *l, yaml_node_t *n, struct corr_rule *ru)
{
	yaml_node_t *req = NULL, *seq = NULL, *excl = NULL, *entn = NULL;
	bool have_window = false, have_sev = false;
	uint64_t v;
	int rc;

	if (!n || n->type != YAML_MAPPING_NODE)
		return ld_err(l, n, "a correlation must be a mapping");
	ru->line = (unsigned)n->start_mark.line + 1;
	ru->entity = CORR_ENT_SRC;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		const char *key = ld_scalar(kn);
		rc = 0;
		if (!key || !vn)
			return ld_err(l, kn, "bad correlation entry");
		if (!strcmp(key, "id")) {
			rc = ld_str(l, vn, "id", &ru->id);
		} else if (!strcmp(key, "name")) {
			rc = ld_str(l, vn, "name", &ru->name);
		} else if (!strcmp(key, "severity")) {
			rc = ld_uint(l, vn, "severity", 1, 4, &v);
			ru->severity = (int)v;
			have_sev = true;
		} else if (!strcmp(key, "entity")) {
			entn = vn;
		} else if (!strcmp(key, "window")) {
			rc = ld_duration(l, vn, "window", &ru->window);
			have_window = true;
		} else if (!strcmp(key, "exclude")) {
			excl = vn;
		} else if (!strcmp(key, "require")) {
			req = vn;
		} else if (!strcmp(key, "sequence")) {
			seq = vn;
		} else {
			return ld_err(l, kn, "unknown key '%.64s' (id, name, severity, entity, window, exclude, require, sequence)", key);
		}
		if (rc)
			return rc;
	}
	if (!ru->id)
		return ld_err(l, n, "correlation needs id:");
	if (!ru->name)
		return ld_err(l, n, "correlation %s needs name:", ru->id);
	if (!have_sev)
		return ld_err(l, n, "correlation %s needs severity: (1-4)", ru->id);
	if (!have_window)
		return ld_err(l, n, "correlation %s needs window:", ru->id);
	if (entn) {
		const char *s = ld_scalar(entn);
		size_t i = 0;
		while (i < 3 && !(s && !strcmp(s, entity_names[i])))
			i++;
		if (i == 3)
			return ld_err(l, entn, "entity must be src_ip, dest_ip or pair");
		ru->entity = (enum corr_entity)i;
	}
	if (!!req == !!seq)
		return ld_err(l, n, "correlation %s needs exactly one of require: and sequence:", ru->id);
	if (req) {
		ru->kind = CORR_RULE_ALL;
		if ((rc = ld_reqs(l, req, ru)))
			return rc;
	} else {
		yaml_node_t *steps = NULL;
		bool have_gap = false;
		ru->kind = CORR_RULE_SEQ;
		if (seq->type != YAML_MAPPING_NODE)
			return ld_err(l, seq, "sequence must be {max_gap: DURATION, steps: [...]}");
		for (yaml_node_pair_t *p = seq->data.mapping.pairs.start; p < seq->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
			const char *key = ld_scalar(kn);
			if (key && vn && !strcmp(key, "max_gap")) {
				if ((rc = ld_duration(l, vn, "max_gap", &ru->max_gap)))
					return rc;
				have_gap = true;
			} else if (key && vn && !strcmp(key, "steps")) {
				steps = vn;
			} else {
				return ld_err(l, kn, "sequence: unknown key (max_gap, steps)");
			}
		}
		if (!have_gap || !steps)
			return ld_err(l, seq, "sequence needs max_gap: and steps:");
		if ((rc = ld_reqs(l, steps, ru)))
			return rc;
		for (size_t i = 0; i < ru->nreqs; i++)
			if (ru->reqs[i].kind == CORR_REQ_RISE)
				return ld_err(l, steps, "rise: is not allowed as a sequence step");
		if (ru->nreqs < 2)
			return ld_err(l, steps, "a sequence needs at least two steps");
		if (ru->reqs[0].peer_prev)
			return ld_err(l, steps, "the first step has no previous peer");
	}
	if (excl) {
		yaml_node_t *items[CORR_MAX_LIST];
		size_t k;
		if ((rc = ld_list(l, excl, "exclude", items, &k)))
			return rc;
		ru->excl = calloc(k ? k : 1, sizeof(*ru->excl));
		if (!ru->excl)
			return MAMORI_ENOMEM;
		for (size_t i = 0; i < k; i++) {
			if (!(ru->excl[ru->nexcl] = ld_group(l, items[i])))
				return MAMORI_EFORMAT;
			ru->nexcl++;
		}
	}
	/* State older than this can no longer contribute (see corr_flush). */
	uint64_t h = ru->window > ru->max_gap ? ru->window : ru->max_gap;
	for (size_t i = 0; i < ru->nreqs; i++)
		if (ru->reqs[i].baseline > h)
			h = ru->reqs[i].baseline;
	ru->horizon = h + ru->window;
	for (size_t i = 0; i < ru->nreqs; i++)
		ru->evcap += ru->reqs[i].kind == CORR_REQ_COUNT ? ru->reqs[i].min
			     : ru->reqs[i].kind == CORR_REQ_RISE ? CORR_RISE_EVID : 1;
	return 0;
}

static void req_release(struct corr_req *r)
{
	free(r->label);
	for (size_t i = 0; i < r->nfilters; i++) {
		corr_path_release(&r->filters[i].path);
		for (size_t k = 0; k < r->filters[i].nvals; k++)
			free(r->filters[i].vals[k]);
		free(r->filters[i].vals);
	}
	free(r->filters);
	free(r->sids);
	for (size_t i = 0; i < r->ncategories; i++)
		free(r->categories[i]);
	free(r->categories);
	corr_path_release(&r->distinct);
	corr_path_release(&r->key);
	corr_path_release(&r->score_field);
}

void corr_ruleset_free(struct corr_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct corr_rule *ru = &rs->rules[i];
		free(ru->id);
		free(ru->name);
		for (size_t k = 0; k < CORR_MAX_REQS; k++)
			req_release(&ru->reqs[k]);
		free(ru->excl);
	}
	free(rs->rules);
	for (size_t i = 0; i < rs->ngroups; i++) {
		free(rs->groups[i].name);
		if (!rs->groups[i].empty)
			rule_addrset_release(&rs->groups[i].set);
	}
	free(rs->groups);
	free(rs);
}

static int ld_top(struct ld *l)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc), *rules = NULL;
	int rc;

	if (!root)
		return ld_err(l, NULL, "empty file: expected a mapping with correlations:");
	if (root->type != YAML_MAPPING_NODE)
		return ld_err(l, root, "expected a mapping with correlations:");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ld_node(l, p->key), *vn = ld_node(l, p->value);
		const char *key = ld_scalar(kn);
		uint64_t v;
		if (!key || !vn)
			return ld_err(l, kn, "bad top-level entry");
		if (!strcmp(key, "version")) {
			if ((rc = ld_uint(l, vn, "version", 1, 1, &v)))
				return rc;
		} else if (!strcmp(key, "groups")) {
			if (vn->type != YAML_MAPPING_NODE)
				return ld_err(l, vn, "groups must map names to address lists");
			l->file_groups = vn;
		} else if (!strcmp(key, "correlations")) {
			rules = vn;
		} else {
			return ld_err(l, kn, "unknown top-level key '%.64s' (version, groups, correlations)", key);
		}
	}
	if (!rules || rules->type != YAML_SEQUENCE_NODE)
		return ld_err(l, rules ? rules : root, "correlations: must be a list");
	size_t n = (size_t)(rules->data.sequence.items.top - rules->data.sequence.items.start);
	if (n > CORR_MAX_RULES)
		return ld_err(l, rules, "more than %u correlations", CORR_MAX_RULES);
	l->rs->groups = calloc(CORR_MAX_LIST, sizeof(*l->rs->groups));
	l->rs->rules = calloc(n ? n : 1, sizeof(*l->rs->rules));
	if (!l->rs->groups || !l->rs->rules)
		return MAMORI_ENOMEM;
	/* Every file group is checked even if unused. */
	if (l->file_groups)
		for (yaml_node_pair_t *p = l->file_groups->data.mapping.pairs.start;
		     p < l->file_groups->data.mapping.pairs.top; p++)
			if (!ld_group(l, ld_node(l, p->key)))
				return MAMORI_EFORMAT;
	for (yaml_node_item_t *it = rules->data.sequence.items.start; it < rules->data.sequence.items.top; it++) {
		struct corr_rule *ru = &l->rs->rules[l->rs->n++];
		yaml_node_t *rn = ld_node(l, *it);
		if ((rc = ld_rule(l, rn, ru)))
			return rc;
		for (size_t i = 0; i + 1 < l->rs->n; i++)
			if (!strcmp(l->rs->rules[i].id, ru->id))
				return ld_err(l, rn, "duplicate correlation id '%s'", ru->id);
	}
	return 0;
}

int corr_ruleset_load_buffer(const char *name, const void *data, size_t len,
			     const struct corr_load_opts *opts,
			     struct corr_ruleset **out, struct mamori_diag *diag)
{
	yaml_parser_t parser;
	struct ld l = {.opts = opts, .diag = diag};
	bool have_doc = false;
	int rc = 0;

	*out = NULL;
	if (diag) {
		diag->file = name;
		diag->line = diag->column = 0;
		diag->msg[0] = 0;
	}
	if (len > CORR_MAX_FILE) {
		mamori_diag_set(diag, 0, 0, "file larger than %u bytes", CORR_MAX_FILE);
		return MAMORI_ELIMIT;
	}
	if (!yaml_parser_initialize(&parser))
		return MAMORI_ENOMEM;
	yaml_parser_set_input_string(&parser, data, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		mamori_diag_set(diag, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1, "YAML: %s",
				parser.problem ? parser.problem : "syntax error");
		FAIL(MAMORI_FORMAT_ERR());
	}
	have_doc = true;
	l.vars = opts ? opts->vars : NULL;
	if (!l.vars) {
		if (!(l.own_vars = rule_vars_new()))
			FAIL(MAMORI_ENOMEM);
		l.vars = l.own_vars;
	}
	if (!(l.rs = calloc(1, sizeof(*l.rs))))
		FAIL(MAMORI_ENOMEM);
	CHECK(ld_top(&l));
	*out = l.rs;
	l.rs = NULL;
out:
	if (rc == MAMORI_ENOMEM)
		mamori_diag_set(diag, 0, 0, "out of memory");
	corr_ruleset_free(l.rs);
	if (l.cls_loaded)
		rule_classes_release(&l.cls);
	rule_vars_free(l.own_vars);
	if (have_doc)
		yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	return rc;
}

int corr_ruleset_load(const char *path, const struct corr_load_opts *opts,
		      struct corr_ruleset **out, struct mamori_diag *diag)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (diag) {
		diag->file = path;
		diag->line = diag->column = 0;
	}
	if (!f) {
		mamori_diag_set(diag, 0, 0, "cannot open: %s", strerror(errno));
		return MAMORI_EIO;
	}
	if (!(data = malloc(CORR_MAX_FILE + 1)))
		FAIL(MAMORI_ENOMEM);
	n = fread(data, 1, CORR_MAX_FILE + 1, f);
	if (ferror(f)) {
		mamori_diag_set(diag, 0, 0, "read error: %s", strerror(errno));
		FAIL(MAMORI_EIO);
	}
	CHECK(corr_ruleset_load_buffer(path, data, n, opts, out, diag));
out:
	free(data);
	fclose(f);
	return rc;
}

size_t corr_ruleset_count(const struct corr_ruleset *rs)
{
	return rs->n;
}

const char *corr_ruleset_rule_id(const struct corr_ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rules[i].id : NULL;
}

const char *corr_default_path(void)
{
	return MAMORI_RULES_DIR "/correlation.yaml";
}
