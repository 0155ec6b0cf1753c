/*
 * mamori.yaml loader: libyaml builds the node graph, this file walks it
 * against a fixed schema and fills struct mamori_config (see config.h for
 * the schema and the invariants).
 *
 * Why a schema walk over the document API: libyaml's marks give each node
 * its line and column, so every error (unknown key, wrong type, value out
 * of range, a variable that does not parse as an address or port set) is
 * reported where the operator has to edit.  Scalar settings are one table
 * (cfg_keys) of section, key, type, range and field offset: adding a
 * setting is adding a row, and mamori_config_apply_net() copies fields by
 * the same table.
 *
 * Untrusted-input notes: the file is capped at MAMORI_CONFIG_MAX_SIZE
 * before libyaml sees it; the walk descends only where the schema has a
 * section (depth <= 4), so alias cycles (`&a [*a]`) cannot recurse; every
 * list the file fills is capped (MAMORI_CONFIG_MAX_VARS,
 * MAMORI_CONFIG_MAX_RULE_FILES); scalars holding NUL bytes are rejected.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "detect/rule.h"
#include "util/err.h"

/* ---- the scalar settings table ----------------------------------------- */

enum cfg_type {
	CT_SIZE,	/* size_t, bytes with kb/mb/gb suffix */
	CT_SIZE_U32,	/* uint32_t, bytes with suffix */
	CT_U32,		/* uint32_t plain number */
	CT_INT_BOOL,	/* int 0/1 */
	CT_BOOL,	/* bool */
	CT_POLICY,	/* enum stream_overlap_policy */
	CT_SIZE_U64,	/* uint64_t, bytes with suffix */
	CT_STRING,	/* char * owned by struct mamori_config */
};
enum cfg_base { CB_NET, CB_DETECT, CB_CFG };

struct cfg_key {
	const char *section;	/* dotted path of the enclosing mapping */
	const char *key;
	uint8_t type;		/* enum cfg_type */
	uint8_t base;		/* enum cfg_base */
	int8_t bit;		/* enum mamori_config_{net,detect}_key; -1 none */
	size_t off;		/* offsetof in the base struct */
	uint64_t min, max;
};

#define NETF(f) offsetof(struct net_config, f)
#define DETF(f) offsetof(struct detect_config, f)
#define KIB 1024ull
#define GIB (1024ull * 1024 * 1024)
#define U32MAX 0xffffffffull

static const struct cfg_key cfg_keys[] = {
	{"decode", "checksum-validation", CT_INT_BOOL, CB_NET, MAMORI_CFG_CHECKSUM,
	 NETF(decode.checksum_validate), 0, 1},
	{"decode", "max-packet-size", CT_SIZE_U32, CB_NET, MAMORI_CFG_MAX_PACKET,
	 NETF(decode.max_packet), 0, U32MAX},
	{"defrag", "memcap", CT_SIZE, CB_NET, MAMORI_CFG_DEFRAG_MEMCAP,
	 NETF(decode.defrag_memcap), 64 * KIB, 64 * GIB},
	{"defrag", "timeout", CT_U32, CB_NET, MAMORI_CFG_DEFRAG_TIMEOUT,
	 NETF(decode.defrag_timeout_sec), 1, 3600},
	{"flow", "memcap", CT_SIZE, CB_NET, MAMORI_CFG_FLOW_MEMCAP,
	 NETF(flow.memcap), 64 * KIB, 64 * GIB},
	{"flow", "hash-size", CT_U32, CB_NET, MAMORI_CFG_FLOW_HASH_SIZE,
	 NETF(flow.hash_size), 16, 1u << 26},
	{"flow", "seed", CT_U32, CB_NET, MAMORI_CFG_FLOW_SEED,
	 NETF(flow.seed), 0, U32MAX},
	{"flow.timeouts", "new", CT_U32, CB_NET, MAMORI_CFG_FLOW_TO_NEW,
	 NETF(flow.timeout_new), 1, 86400},
	{"flow.timeouts", "established", CT_U32, CB_NET, MAMORI_CFG_FLOW_TO_EST,
	 NETF(flow.timeout_established), 1, 86400},
	{"flow.timeouts", "closed", CT_U32, CB_NET, MAMORI_CFG_FLOW_TO_CLOSED,
	 NETF(flow.timeout_closed), 0, 86400},
	{"flow.timeouts", "udp", CT_U32, CB_NET, MAMORI_CFG_FLOW_TO_UDP,
	 NETF(flow.timeout_udp), 1, 86400},
	{"stream", "memcap", CT_SIZE, CB_NET, MAMORI_CFG_STREAM_MEMCAP,
	 NETF(stream.memcap), 64 * KIB, 64 * GIB},
	{"stream", "per-flow-cap", CT_SIZE, CB_NET, MAMORI_CFG_STREAM_PER_FLOW,
	 NETF(stream.per_flow_cap), 4 * KIB, 4 * GIB},
	{"stream", "midstream", CT_INT_BOOL, CB_NET, MAMORI_CFG_STREAM_MIDSTREAM,
	 NETF(stream.midstream), 0, 1},
	{"stream", "overlap-policy", CT_POLICY, CB_NET, MAMORI_CFG_STREAM_POLICY,
	 NETF(stream.policy), 0, 1},
	{"stream", "max-gap-wait", CT_U32, CB_NET, MAMORI_CFG_STREAM_GAP_WAIT,
	 NETF(stream.max_gap_wait), 1, 1u << 20},
	{"stream", "retrans-window", CT_SIZE, CB_NET, MAMORI_CFG_STREAM_RETRANS,
	 NETF(stream.retrans_window), 0, 64 * 1024 * KIB},
	{"app-layer", "body-limit", CT_SIZE, CB_NET, MAMORI_CFG_APP_BODY,
	 NETF(app.body_limit), 0, 1 * GIB},
	{"app-layer", "decompress-limit", CT_SIZE, CB_NET, MAMORI_CFG_APP_DECOMPRESS,
	 NETF(app.decompress_limit), 0, 1 * GIB},
	{"app-layer", "max-line", CT_SIZE, CB_NET, MAMORI_CFG_APP_MAX_LINE,
	 NETF(app.max_line), 256, 16 * 1024 * KIB},
	{"app-layer", "max-headers", CT_SIZE, CB_NET, MAMORI_CFG_APP_MAX_HEADERS,
	 NETF(app.max_headers), 1, 65536},
	{"app-layer", "max-tx", CT_SIZE, CB_NET, MAMORI_CFG_APP_MAX_TX,
	 NETF(app.max_tx), 1, 1u << 20},
	{"detect", "stream-window", CT_SIZE, CB_DETECT, MAMORI_CFG_DET_STREAM_WINDOW,
	 DETF(stream_window), 0, 16 * 1024 * KIB},
	{"detect", "dataset-memcap", CT_SIZE_U64, CB_DETECT, MAMORI_CFG_DET_DATASET_MEMCAP,
	 DETF(dataset_memcap), 64 * KIB, 64 * GIB},
	{"detect", "state-memcap", CT_SIZE_U64, CB_DETECT, MAMORI_CFG_DET_STATE_MEMCAP,
	 DETF(state_memcap), 64 * KIB, 64 * GIB},
	{"detect", "dataset-dir", CT_STRING, CB_CFG, -1,
	 offsetof(struct mamori_config, dataset_dir), 0, 0},
};
#define N_CFG_KEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

/* Mappings that hold table keys (and how deep they sit). */
static const char *const cfg_sections[] = {
	"decode", "defrag", "flow", "flow.timeouts", "stream", "app-layer", "detect",
};
#define N_CFG_SECTIONS (sizeof(cfg_sections) / sizeof(cfg_sections[0]))

/* outputs.eve.types names: which net_config switch each turns on. */
enum { EVT_ALERT, EVT_FLOW, EVT_APP, EVT_OTHER };
static const struct {
	const char *name;
	int kind;
} eve_types[] = {
	{"alert", EVT_ALERT}, {"flow", EVT_FLOW}, {"http", EVT_APP},
	{"dns", EVT_APP}, {"smtp", EVT_APP}, {"tls", EVT_APP}, {"ssh", EVT_APP},
	{"smb", EVT_APP}, {"dcerpc", EVT_APP}, {"stats", EVT_OTHER},
	{"anomaly", EVT_OTHER},
};

/* ---- walking context ---------------------------------------------------- */

struct cfg_ctx {
	yaml_document_t *doc;
	struct mamori_config *cfg;
	struct mamori_diag *diag;
	char path[128];		/* dotted key path of the current node */
};

static int cfg_err(struct cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cfg_err(struct cfg_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	if (c->diag) {
		char msg[sizeof(c->diag->msg)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		mamori_diag_set(c->diag, n ? (unsigned)n->start_mark.line + 1 : 0,
				n ? (unsigned)n->start_mark.column + 1 : 0, "%s%s%s",
				c->path, c->path[0] ? ": " : "", msg);
	}
	return MAMORI_FORMAT_ERR();
}

/* Pushes key onto the path; returns the old length to pop back to. */
static size_t path_push(struct cfg_ctx *c, const char *key)
{
	size_t old = strlen(c->path);
	snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", key);
	return old;
}

static void path_pop(struct cfg_ctx *c, size_t old)
{
	c->path[old] = 0;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* The scalar text of n (borrowed), or an error for non-scalars, nulls and
 * embedded NULs. */
static int scalar(struct cfg_ctx *c, const yaml_node_t *n, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return cfg_err(c, n, "expected a value, got %s", type_name(n));
	if (is_null(n))
		return cfg_err(c, n, "missing value");
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
		return cfg_err(c, n, "NUL byte in value");
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int expect(struct cfg_ctx *c, const yaml_node_t *n, yaml_node_type_t t)
{
	if (n->type == t)
		return 0;
	return cfg_err(c, n, "expected %s, got %s",
		       t == YAML_MAPPING_NODE ? "a mapping" :
		       t == YAML_SEQUENCE_NODE ? "a list" : "a value", type_name(n));
}

/* Rejects a repeated key in mapping m (pairs before index i). */
static int check_dup(struct cfg_ctx *c, const yaml_node_t *m, const yaml_node_pair_t *p)
{
	const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
	for (const yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
		const yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
		if (k2 && k2->type == YAML_SCALAR_NODE &&
		    k2->data.scalar.length == k->data.scalar.length &&
		    !memcmp(k2->data.scalar.value, k->data.scalar.value, k->data.scalar.length))
			return cfg_err(c, k, "duplicate key '%s' (first at line %lu)",
				       (const char *)k->data.scalar.value,
				       (unsigned long)k2->start_mark.line + 1);
	}
	return 0;
}

/* Key text of a pair (checked scalar), value node in *val. */
static int pair_kv(struct cfg_ctx *c, const yaml_node_t *m, const yaml_node_pair_t *p,
		   const char **key, yaml_node_t **val)
{
	yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
	*val = yaml_document_get_node(c->doc, p->value);
	if (!k || !*val)
		return cfg_err(c, m, "broken mapping");
	if (k->type != YAML_SCALAR_NODE)
		return cfg_err(c, k, "keys must be plain names, got %s", type_name(k));
	int rc = scalar(c, k, key);
	if (rc < 0)
		return rc;
	return check_dup(c, m, p);
}

/* ---- value parsers ------------------------------------------------------ */

static bool parse_u64(const char *s, uint64_t *out, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return false;
	uint64_t v = 0;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	*end = s;
	return true;
}

/* "4096", "64kb", "32 MB", "1gb" (1024-based). */
static bool parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} units[] = {{"", 1}, {"b", 1}, {"kb", KIB}, {"k", KIB}, {"kib", KIB},
		     {"mb", KIB * KIB}, {"m", KIB * KIB}, {"mib", KIB * KIB},
		     {"gb", GIB}, {"g", GIB}, {"gib", GIB}};
	uint64_t v;
	const char *e;
	if (!parse_u64(s, &v, &e))
		return false;
	while (*e == ' ')
		e++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(e, units[i].sfx))
			continue;
		if (v > UINT64_MAX / units[i].mul)
			return false;
		*out = v * units[i].mul;
		return true;
	}
	return false;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "y"};
	static const char *const no[] = {"no", "false", "off", "0", "n"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -1;
}

static int set_string(struct cfg_ctx *c, const yaml_node_t *n, char **dst)
{
	const char *s;
	int rc = scalar(c, n, &s);
	if (rc < 0)
		return rc;
	char *d = strdup(s);
	if (!d)
		return MAMORI_ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* One table key: parse, range-check, store. */
static int set_key(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n)
{
	const char *s;
	if (k->type == CT_STRING)
		return set_string(c, n, (char **)(void *)((uint8_t *)c->cfg + k->off));
	int rc = scalar(c, n, &s);
	if (rc < 0)
		return rc;
	uint64_t v = 0;
	const char *e;
	switch (k->type) {
	case CT_SIZE:
	case CT_SIZE_U32:
	case CT_SIZE_U64:
		if (!parse_size(s, &v))
			return cfg_err(c, n, "expected a size (bytes, or with kb/mb/gb), got '%s'", s);
		break;
	case CT_U32:
		if (!parse_u64(s, &v, &e) || *e)
			return cfg_err(c, n, "expected a whole number, got '%s'", s);
		break;
	case CT_INT_BOOL:
	case CT_BOOL: {
		int b = parse_bool(s);
		if (b < 0)
			return cfg_err(c, n, "expected yes or no, got '%s'", s);
		v = (uint64_t)b;
		break;
	}
	case CT_POLICY:
		if (!strcasecmp(s, "first") || !strcasecmp(s, "bsd") || !strcasecmp(s, "windows"))
			v = STREAM_POLICY_FIRST;
		else if (!strcasecmp(s, "last") || !strcasecmp(s, "linux") ||
			 !strcasecmp(s, "solaris"))
			v = STREAM_POLICY_LAST;
		else
			return cfg_err(c, n, "expected first or last, got '%s'", s);
		break;
	default:
		return cfg_err(c, n, "internal: bad key type");
	}
	if (v < k->min || v > k->max)
		return cfg_err(c, n, "%s is out of range [%llu, %llu]", s,
			       (unsigned long long)k->min, (unsigned long long)k->max);
	uint8_t *base = k->base == CB_NET ? (uint8_t *)&c->cfg->net : (uint8_t *)&c->cfg->detect;
	uint8_t *f = base + k->off;
	switch (k->type) {
	case CT_SIZE: {
		size_t x = (size_t)v;
		memcpy(f, &x, sizeof(x));
		break;
	}
	case CT_SIZE_U32:
	case CT_U32: {
		uint32_t x = (uint32_t)v;
		memcpy(f, &x, sizeof(x));
		break;
	}
	case CT_INT_BOOL: {
		int x = (int)v;
		memcpy(f, &x, sizeof(x));
		break;
	}
	case CT_BOOL: {
		bool x = v != 0;
		memcpy(f, &x, sizeof(x));
		break;
	}
	case CT_POLICY: {
		enum stream_overlap_policy x = (enum stream_overlap_policy)v;
		memcpy(f, &x, sizeof(x));
		break;
	}
	case CT_SIZE_U64: {
		memcpy(f, &v, sizeof(v));
		break;
	}
	}
	if (k->base == CB_NET)
		c->cfg->net_set |= 1u << k->bit;
	else if (k->base == CB_DETECT)
		c->cfg->detect_set |= 1u << k->bit;
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

static bool is_section(const char *path)
{
	for (size_t i = 0; i < N_CFG_SECTIONS; i++)
		if (!strcmp(cfg_sections[i], path))
			return true;
	return false;
}

/* A mapping of table keys (and nested table sections). */
static int walk_section(struct cfg_ctx *c, const yaml_node_t *m)
{
	int rc = expect(c, m, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key;
		yaml_node_t *val;
		CHECK(pair_kv(c, m, p, &key, &val));
		const struct cfg_key *k = NULL;
		for (size_t i = 0; i < N_CFG_KEYS; i++)
			if (!strcmp(cfg_keys[i].section, c->path) && !strcmp(cfg_keys[i].key, key)) {
				k = &cfg_keys[i];
				break;
			}
		size_t old = path_push(c, key);
		if (k)
			rc = set_key(c, k, val);
		else if (is_section(c->path))
			rc = walk_section(c, val);
		else
			rc = cfg_err(c, yaml_document_get_node(c->doc, p->key), "unknown key");
		path_pop(c, old);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

static struct mamori_config_var *find_var(struct mamori_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nvars; i++)
		if (!strcmp(cfg->vars[i].name, name))
			return &cfg->vars[i];
	return NULL;
}

static bool var_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool ends_with_ports(const char *s)
{
	size_t n = strlen(s);
	return n >= 6 && !strcmp(s + n - 6, "_PORTS");
}

/* vars.address-groups / vars.port-groups */
static int walk_groups(struct cfg_ctx *c, const yaml_node_t *m, bool port)
{
	int rc = expect(c, m, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key, *val_s;
		yaml_node_t *val;
		CHECK(pair_kv(c, m, p, &key, &val));
		const yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		if (!var_name_ok(key))
			FAIL(cfg_err(c, kn, "invalid group name '%s' (letters, digits, '_')", key));
		if (port != ends_with_ports(key))
			FAIL(cfg_err(c, kn, port ? "port group names end in _PORTS: '%s'"
					      : "'%s' ends in _PORTS: put it under port-groups", key));
		size_t old = path_push(c, key);
		rc = scalar(c, val, &val_s);
		path_pop(c, old);
		if (rc < 0)
			goto out;
		struct mamori_config *cfg = c->cfg;
		struct mamori_config_var *v = find_var(cfg, key);
		if (!v) {
			if (cfg->nvars >= MAMORI_CONFIG_MAX_VARS) {
				cfg_err(c, kn, "more than %u variables", MAMORI_CONFIG_MAX_VARS);
				FAIL(MAMORI_ELIMIT);
			}
			struct mamori_config_var *nv = realloc(cfg->vars, (cfg->nvars + 1) * sizeof(*nv));
			if (!nv)
				FAIL(MAMORI_ENOMEM);
			cfg->vars = nv;
			v = &cfg->vars[cfg->nvars];
			memset(v, 0, sizeof(*v));
			v->name = strdup(key);
			if (!v->name)
				FAIL(MAMORI_ENOMEM);
			cfg->nvars++;
		}
		char *dup = strdup(val_s);
		if (!dup)
			FAIL(MAMORI_ENOMEM);
		free(v->value);
		v->value = dup;
		v->port = port;
		v->line = (unsigned)val->start_mark.line + 1;
		v->column = (unsigned)val->start_mark.column + 1;
	}
out:
	return rc;
}

static int walk_vars(struct cfg_ctx *c, const yaml_node_t *m)
{
	int rc = expect(c, m, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key;
		yaml_node_t *val;
		CHECK(pair_kv(c, m, p, &key, &val));
		size_t old = path_push(c, key);
		if (!strcmp(key, "address-groups"))
			rc = walk_groups(c, val, false);
		else if (!strcmp(key, "port-groups"))
			rc = walk_groups(c, val, true);
		else
			rc = cfg_err(c, yaml_document_get_node(c->doc, p->key), "unknown key");
		path_pop(c, old);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

static int walk_rule_files(struct cfg_ctx *c, const yaml_node_t *s)
{
	int rc = expect(c, s, YAML_SEQUENCE_NODE);
	if (rc < 0)
		return rc;
	struct mamori_config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->nrule_files; i++)
		free(cfg->rule_files[i]);
	free(cfg->rule_files);
	cfg->rule_files = NULL;
	cfg->nrule_files = 0;
	cfg->rule_files_set = true;
	size_t n = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
	if (n > MAMORI_CONFIG_MAX_RULE_FILES) {
		cfg_err(c, s, "more than %u rule files", MAMORI_CONFIG_MAX_RULE_FILES);
		return MAMORI_ELIMIT;
	}
	if (n == 0)
		return 0;
	cfg->rule_files = calloc(n, sizeof(char *));
	if (!cfg->rule_files)
		return MAMORI_ENOMEM;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		const yaml_node_t *v = yaml_document_get_node(c->doc, *it);
		const char *str;
		if (!v)
			return cfg_err(c, s, "broken list");
		rc = scalar(c, v, &str);
		if (rc < 0)
			return rc;
		char *d = strdup(str);
		if (!d)
			return MAMORI_ENOMEM;
		cfg->rule_files[cfg->nrule_files++] = d;
	}
	return 0;
}

static int walk_eve_types(struct cfg_ctx *c, const yaml_node_t *s)
{
	int rc = expect(c, s, YAML_SEQUENCE_NODE);
	if (rc < 0)
		return rc;
	bool flow = false, app = false;
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		const yaml_node_t *v = yaml_document_get_node(c->doc, *it);
		const char *str;
		if (!v)
			return cfg_err(c, s, "broken list");
		rc = scalar(c, v, &str);
		if (rc < 0)
			return rc;
		size_t i;
		for (i = 0; i < sizeof(eve_types) / sizeof(eve_types[0]); i++)
			if (!strcmp(eve_types[i].name, str))
				break;
		if (i == sizeof(eve_types) / sizeof(eve_types[0]))
			return cfg_err(c, v, "unknown record type '%s'", str);
		flow |= eve_types[i].kind == EVT_FLOW;
		app |= eve_types[i].kind == EVT_APP;
	}
	c->cfg->net.log_flow = flow;
	c->cfg->net.log_app = app;
	c->cfg->net_set |= 1u << MAMORI_CFG_LOG_FLOW | 1u << MAMORI_CFG_LOG_APP;
	return 0;
}

static int walk_eve(struct cfg_ctx *c, const yaml_node_t *m)
{
	int rc = expect(c, m, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key, *s;
		yaml_node_t *val;
		CHECK(pair_kv(c, m, p, &key, &val));
		size_t old = path_push(c, key);
		if (!strcmp(key, "filename")) {
			rc = set_string(c, val, &c->cfg->eve_filename);
			if (rc == 0 && (strchr(c->cfg->eve_filename, '/') ||
					!strcmp(c->cfg->eve_filename, "..") ||
					!strcmp(c->cfg->eve_filename, ".")))
				rc = cfg_err(c, val, "a file name inside the log directory, not a path");
		} else if (!strcmp(key, "enabled")) {
			rc = scalar(c, val, &s);
			if (rc == 0) {
				int b = parse_bool(s);
				if (b < 0)
					rc = cfg_err(c, val, "expected yes or no, got '%s'", s);
				else
					c->cfg->eve_enabled = b != 0;
			}
		} else if (!strcmp(key, "types")) {
			rc = walk_eve_types(c, val);
		} else {
			rc = cfg_err(c, yaml_document_get_node(c->doc, p->key), "unknown key");
		}
		path_pop(c, old);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

static int walk_outputs(struct cfg_ctx *c, const yaml_node_t *m)
{
	int rc = expect(c, m, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *key;
		yaml_node_t *val;
		CHECK(pair_kv(c, m, p, &key, &val));
		size_t old = path_push(c, key);
		if (!strcmp(key, "eve") || !strcmp(key, "eve-log"))
			rc = walk_eve(c, val);
		else
			rc = cfg_err(c, yaml_document_get_node(c->doc, p->key), "unknown output");
		path_pop(c, old);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

/* Top-level keys that are not table sections. */
static const struct {
	const char *key;
	int (*walk)(struct cfg_ctx *c, const yaml_node_t *n);
	size_t str_off;		/* for plain string keys (walk == NULL) */
} top_keys[] = {
	{"vars", walk_vars, 0},
	{"rule-files", walk_rule_files, 0},
	{"outputs", walk_outputs, 0},
	{"default-rule-path", NULL, offsetof(struct mamori_config, default_rule_path)},
	{"classification-file", NULL, offsetof(struct mamori_config, classification_file)},
};

static int walk_root(struct cfg_ctx *c, const yaml_node_t *root)
{
	int rc = expect(c, root, YAML_MAPPING_NODE);
	if (rc < 0)
		return rc;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *key;
		yaml_node_t *val;
		CHECK(pair_kv(c, root, p, &key, &val));
		size_t old = path_push(c, key);
		size_t i;
		for (i = 0; i < sizeof(top_keys) / sizeof(top_keys[0]); i++)
			if (!strcmp(top_keys[i].key, key))
				break;
		if (i < sizeof(top_keys) / sizeof(top_keys[0])) {
			if (top_keys[i].walk)
				rc = top_keys[i].walk(c, val);
			else
				rc = set_string(c, val, (char **)(void *)((uint8_t *)c->cfg +
									top_keys[i].str_off));
		} else if (is_section(key)) {
			rc = walk_section(c, val);
		} else {
			rc = cfg_err(c, yaml_document_get_node(c->doc, p->key), "unknown key");
		}
		path_pop(c, old);
		if (rc < 0)
			goto out;
	}
out:
	return rc;
}

/* Every group must parse with the others in scope (rule_*set_parse). */
static int validate_vars(struct cfg_ctx *c)
{
	struct mamori_config *cfg = c->cfg;
	int rc = 0;
	struct rule_vars *vars = rule_vars_new();
	if (!vars)
		return MAMORI_ENOMEM;
	CHECK(mamori_config_apply_vars(cfg, vars));
	for (size_t i = 0; i < cfg->nvars; i++) {
		const struct mamori_config_var *v = &cfg->vars[i];
		struct mamori_diag d = {0};
		if (v->port) {
			struct rule_portset ps;
			memset(&ps, 0, sizeof(ps));
			rc = rule_portset_parse(&ps, v->value, vars, &d);
			rule_portset_release(&ps);
		} else {
			struct rule_addrset as;
			memset(&as, 0, sizeof(as));
			rc = rule_addrset_parse(&as, v->value, vars, &d);
			rule_addrset_release(&as);
		}
		if (rc == MAMORI_ENOMEM)
			goto out;
		if (rc < 0) {
			mamori_diag_set(c->diag, v->line, v->column, "vars.%s.%s: %s",
					v->port ? "port-groups" : "address-groups", v->name,
					d.msg[0] ? d.msg : mamori_strerror(rc));
			FAIL(MAMORI_FORMAT_ERR());
		}
	}
out:
	rule_vars_free(vars);
	return rc;
}

/*
 * libyaml's scanner costs O(depth) per token inside flow collections
 * ([..] and {..}), so a megabyte of '[' takes minutes.  No configuration
 * nests flow collections deeply: count bracket depth (quotes ignored, so
 * brackets inside strings count too; balanced ones do no harm) and refuse
 * deep input before libyaml sees it.  Returns the offset of the first
 * bracket past the limit, or len when none is.
 */
#define CFG_MAX_FLOW_DEPTH 64
static size_t flow_depth_exceeded(const uint8_t *p, size_t len)
{
	unsigned depth = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '[' || p[i] == '{') {
			if (++depth > CFG_MAX_FLOW_DEPTH)
				return i;
		} else if ((p[i] == ']' || p[i] == '}') && depth > 0) {
			depth--;
		}
	}
	return len;
}

/* ---- public ------------------------------------------------------------- */

void mamori_config_defaults(struct mamori_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->eve_enabled = true;
	net_config_defaults(&cfg->net);
	detect_config_defaults(&cfg->detect);
}

void mamori_config_release(struct mamori_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nvars; i++) {
		free(cfg->vars[i].name);
		free(cfg->vars[i].value);
	}
	free(cfg->vars);
	for (size_t i = 0; i < cfg->nrule_files; i++)
		free(cfg->rule_files[i]);
	free(cfg->rule_files);
	free(cfg->default_rule_path);
	free(cfg->classification_file);
	free(cfg->eve_filename);
	free(cfg->dataset_dir);
	mamori_config_defaults(cfg);
}

int mamori_config_load_buffer(const char *name, const void *data, size_t len,
			      struct mamori_config *cfg, struct mamori_diag *diag)
{
	int rc = 0;
	yaml_parser_t parser;
	yaml_document_t doc, doc2;
	bool have_doc = false, have_doc2 = false, have_parser = false;
	struct cfg_ctx c = {.doc = &doc, .cfg = cfg, .diag = diag};
	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->file = name;
	}
	if (len > MAMORI_CONFIG_MAX_SIZE) {
		mamori_diag_set(diag, 0, 0, "larger than %u bytes", MAMORI_CONFIG_MAX_SIZE);
		return MAMORI_ELIMIT;
	}
	size_t deep = flow_depth_exceeded(data, len);
	if (deep < len) {
		unsigned line = 1, col = 1;
		for (size_t i = 0; i < deep; i++) {
			if (((const uint8_t *)data)[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		mamori_diag_set(diag, line, col, "[ ] and { } nested deeper than %d",
				CFG_MAX_FLOW_DEPTH);
		return MAMORI_ELIMIT;
	}
	if (!yaml_parser_initialize(&parser))
		return MAMORI_ENOMEM;
	have_parser = true;
	yaml_parser_set_input_string(&parser, data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			FAIL(MAMORI_ENOMEM);
		mamori_diag_set(diag, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1, "YAML: %s%s%s",
				parser.problem ? parser.problem : "syntax error",
				parser.context ? " " : "", parser.context ? parser.context : "");
		FAIL(MAMORI_FORMAT_ERR());
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root))
		goto out;	/* empty file or document: defaults */
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &doc2)) {
		if (parser.error == YAML_MEMORY_ERROR)
			FAIL(MAMORI_ENOMEM);
		mamori_diag_set(diag, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1, "YAML: %s",
				parser.problem ? parser.problem : "syntax error");
		FAIL(MAMORI_FORMAT_ERR());
	}
	have_doc2 = true;
	const yaml_node_t *root2 = yaml_document_get_root_node(&doc2);
	if (root2)
		FAIL(cfg_err(&c, root2, "only one YAML document is allowed"));
	CHECK(walk_root(&c, root));
	CHECK(validate_vars(&c));
out:
	if (have_doc2)
		yaml_document_delete(&doc2);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	return rc;
}

int mamori_config_load(const char *path, struct mamori_config *cfg,
		       struct mamori_diag *diag)
{
	int rc = 0;
	char *data = NULL;
	if (diag) {
		memset(diag, 0, sizeof(*diag));
		diag->file = path;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		mamori_diag_set(diag, 0, 0, "cannot open: %s", strerror(errno));
		return MAMORI_EIO;
	}
	data = malloc(MAMORI_CONFIG_MAX_SIZE + 1);
	if (!data)
		FAIL(MAMORI_ENOMEM);
	size_t n = fread(data, 1, MAMORI_CONFIG_MAX_SIZE + 1, f);
	if (ferror(f)) {
		mamori_diag_set(diag, 0, 0, "cannot read: %s", strerror(errno));
		FAIL(MAMORI_EIO);
	}
	rc = mamori_config_load_buffer(path, data, n, cfg, diag);
out:
	free(data);
	fclose(f);
	return rc;
}

int mamori_config_apply_vars(const struct mamori_config *cfg, struct rule_vars *vars)
{
	for (size_t i = 0; i < cfg->nvars; i++) {
		int rc = rule_vars_set(vars, cfg->vars[i].name, cfg->vars[i].value);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Field sizes by type, for apply_net's copy. */
static size_t type_size(uint8_t t)
{
	switch (t) {
	case CT_SIZE:
		return sizeof(size_t);
	case CT_SIZE_U32:
	case CT_U32:
		return sizeof(uint32_t);
	case CT_INT_BOOL:
		return sizeof(int);
	case CT_BOOL:
		return sizeof(bool);
	case CT_POLICY:
		return sizeof(enum stream_overlap_policy);
	default:
		return sizeof(uint64_t);
	}
}

void mamori_config_apply_net(const struct mamori_config *cfg, struct net_config *out)
{
	for (size_t i = 0; i < N_CFG_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (k->base != CB_NET || !(cfg->net_set & (1u << k->bit)))
			continue;
		memcpy((uint8_t *)out + k->off, (const uint8_t *)&cfg->net + k->off,
		       type_size(k->type));
	}
	if (cfg->net_set & (1u << MAMORI_CFG_LOG_FLOW))
		out->log_flow = cfg->net.log_flow;
	if (cfg->net_set & (1u << MAMORI_CFG_LOG_APP))
		out->log_app = cfg->net.log_app;
}

void mamori_config_apply_detect(const struct mamori_config *cfg, struct detect_config *out)
{
	for (size_t i = 0; i < N_CFG_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (k->base != CB_DETECT || !(cfg->detect_set & (1u << k->bit)))
			continue;
		memcpy((uint8_t *)out + k->off, (const uint8_t *)&cfg->detect + k->off,
		       type_size(k->type));
	}
	if (cfg->dataset_dir)
		out->dataset_dir = cfg->dataset_dir;
}

int mamori_config_rule_path(const struct mamori_config *cfg, size_t i, char *out,
			    size_t outlen)
{
	if (i >= cfg->nrule_files || outlen == 0)
		return MAMORI_EINVAL;
	const char *f = cfg->rule_files[i];
	int n;
	if (f[0] == '/' || !cfg->default_rule_path || !cfg->default_rule_path[0]) {
		n = snprintf(out, outlen, "%s", f);
	} else {
		size_t dl = strlen(cfg->default_rule_path);
		bool slash = cfg->default_rule_path[dl - 1] == '/';
		n = snprintf(out, outlen, "%s%s%s", cfg->default_rule_path, slash ? "" : "/", f);
	}
	if (n < 0 || (size_t)n >= outlen)
		return MAMORI_ELIMIT;
	return 0;
}

const char *mamori_config_eve_filename(const struct mamori_config *cfg)
{
	return cfg->eve_filename ? cfg->eve_filename : "eve.json";
}
