/*
 * Rule parser and loader: Suricata rule syntax into struct rule.
 *
 * A rule is "action proto src sport dir dst dport (options)".  The header
 * is split on blanks (blanks inside [...] belong to the token), each part
 * checked against a table (actions, protocols) or compiled into a set
 * (addr.c).  The options are "name[:value];" pairs: a value runs to the
 * first ';' not escaped by a backslash (Suricata's rule tokenizer), and each
 * name is looked up in the keyword table (keywords.c), whose setup
 * function parses the value and appends a typed sigmatch.  Errors carry
 * the 1-based column of the offending header token or option in the rule
 * text (after joining continued lines).
 *
 * The loader reads a whole file, joins lines ending in a backslash, skips
 * comments and blank lines, and keeps going past bad rules: each rejection
 * is recorded with file, line (the rule's first line), column and reason.
 * A rule whose gid:sid was already loaded is rejected (Suricata keeps the
 * first as well unless the later has a higher rev; mamori always keeps the
 * first so that loading is order-independent of revisions).
 *
 * Fast pattern choice (rule_pick_fast_pattern), as Suricata documents it
 * ("fast pattern determination explained"):
 *  1. a content with an explicit fast_pattern wins (only one is allowed);
 *  2. otherwise only non-negated contents are candidates, unless the rule
 *     has none, then negated ones are;
 *  3. candidates of the highest-priority buffers are kept: app-layer
 *     buffers have priority 2, the payload, http.method, http.stat_code
 *     and http.stat_msg priority 3 (lower is better); base64_data is never
 *     prefiltered;
 *  4. among those the longest content wins (fast_pattern:N,M counts M);
 *  5. then the higher Suricata PatternStrength (byte diversity);
 *  6. then the first in rule order.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "util/err.h"

#define RULE_FILE_MAX (512u * 1024 * 1024)

/* ---- tables ------------------------------------------------------------ */

static const struct {
	const char *name;
	enum rule_action act;
} actions[] = {
	{"alert", RULE_ACT_ALERT},	{"pass", RULE_ACT_PASS},
	{"drop", RULE_ACT_DROP},	{"reject", RULE_ACT_REJECT},
	{"rejectsrc", RULE_ACT_REJECT}, {"rejectdst", RULE_ACT_REJECT},
	{"rejectboth", RULE_ACT_REJECT},
};

static const char *const action_names[RULE_ACT_MAX] = {
	[RULE_ACT_ALERT] = "alert", [RULE_ACT_PASS] = "pass",
	[RULE_ACT_DROP] = "drop", [RULE_ACT_REJECT] = "reject",
};

const char *rule_action_name(enum rule_action a)
{
	return (unsigned)a < RULE_ACT_MAX ? action_names[a] : "?";
}

/*
 * Header protocols.  App protocols mamori parses map to their app id; the
 * others Suricata knows are accepted with RULE_PROTO_APP_UNPARSED so that
 * rulesets load whole: such rules never match until a parser exists
 * ("rules check" counts them).
 */
static const struct proto_def {
	const char *name;
	uint8_t ipproto;
	enum app_proto_id app;
	uint32_t flags;
} protos[] = {
	{"ip", 0, APP_UNKNOWN, RULE_PROTO_ANY_IP},
	{"ipv4", 0, APP_UNKNOWN, RULE_PROTO_ANY_IP | RULE_PROTO_V4_ONLY},
	{"ipv6", 0, APP_UNKNOWN, RULE_PROTO_ANY_IP | RULE_PROTO_V6_ONLY},
	{"pkthdr", 0, APP_UNKNOWN, RULE_PROTO_ANY_IP | RULE_PROTO_PKTHDR},
	{"tcp", 6, APP_UNKNOWN, 0},
	{"tcp-pkt", 6, APP_UNKNOWN, RULE_PROTO_PKT_ONLY},
	{"tcp-stream", 6, APP_UNKNOWN, RULE_PROTO_STREAM_ONLY},
	{"udp", 17, APP_UNKNOWN, 0},
	{"icmp", 1, APP_UNKNOWN, 0},
	{"icmpv4", 1, APP_UNKNOWN, RULE_PROTO_V4_ONLY},
	{"icmpv6", 58, APP_UNKNOWN, RULE_PROTO_V6_ONLY},
	{"sctp", 132, APP_UNKNOWN, 0},
	{"http", 6, APP_HTTP, 0},
	{"http1", 6, APP_HTTP, 0},
	{"dns", 0, APP_DNS, 0},
	{"smtp", 6, APP_SMTP, 0},
	{"tls", 6, APP_TLS, 0},
	{"ssh", 6, APP_SSH, 0},
	{"smb", 6, APP_SMB, 0},
	{"dcerpc", 0, APP_DCERPC, 0},
	/* known to Suricata, no parser in mamori yet */
	{"ftp", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"ftp-data", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"http2", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"imap", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"krb5", 0, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"nfs", 0, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"ntp", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"dhcp", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"ikev2", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"snmp", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"sip", 0, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"tftp", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"rdp", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"rfb", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"mqtt", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"modbus", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"dnp3", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"enip", 0, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"telnet", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"pgsql", 6, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"quic", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
	{"bittorrent-dht", 17, APP_UNKNOWN, RULE_PROTO_APP_UNPARSED},
};

/* ---- diagnostics and sigmatch lists ------------------------------------ */

int rule_perr(struct rule_parse *ps, const char *fmt, ...)
{
	if (ps->diag) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->diag->msg, sizeof(ps->diag->msg), fmt, ap);
		va_end(ap);
		ps->diag->column = ps->col;
	}
	return MAMORI_FORMAT_ERR();
}

int rule_sm_append(struct rule_parse *ps, int list, uint16_t kw, void *ctx)
{
	struct rule_smlist *l = &ps->r->lists[list];
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : 4;
		struct rule_sm *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv) {
			struct rule_sm tmp = {.kw = kw, .ctx = ctx};
			rule_sm_free(&tmp);
			return MAMORI_ENOMEM;
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = (struct rule_sm){.kw = kw, .order = ps->order++, .ctx = ctx};
	return 0;
}

const char *rule_list_name(int list)
{
	switch (list) {
	case RULE_LIST_MATCH:
		return "packet";
	case RULE_LIST_PMATCH:
		return "payload";
	case RULE_LIST_BASE64:
		return "base64_data";
	case RULE_LIST_POSTMATCH:
		return "postmatch";
	case RULE_LIST_THRESHOLD:
		return "threshold";
	default:
		if (list >= RULE_LIST_BUF && list < RULE_LIST_MAX)
			return app_buffer_name((enum app_buffer)(list - RULE_LIST_BUF));
		return "?";
	}
}

bool rule_cmp_eval(const struct rule_cmp *c, uint64_t x)
{
	switch ((enum rule_cmp_op)c->op) {
	case RULE_CMP_EQ:
		return x == c->lo;
	case RULE_CMP_NE:
		return x != c->lo;
	case RULE_CMP_LT:
		return x < c->lo;
	case RULE_CMP_GT:
		return x > c->lo;
	case RULE_CMP_LE:
		return x <= c->lo;
	case RULE_CMP_GE:
		return x >= c->lo;
	case RULE_CMP_RANGE:
		return x > c->lo && x < c->hi;
	}
	return false;
}

/* ---- rule lifetime ----------------------------------------------------- */

void rule_free(struct rule *r)
{
	if (!r)
		return;
	rule_addrset_release(&r->src);
	rule_addrset_release(&r->dst);
	rule_portset_release(&r->sport);
	rule_portset_release(&r->dport);
	free(r->msg);
	for (uint32_t i = 0; i < r->nrefs; i++)
		free(r->refs[i]);
	free(r->refs);
	for (uint32_t i = 0; i < r->nmeta; i++)
		free(r->metadata[i]);
	free(r->metadata);
	for (int l = 0; l < RULE_LIST_MAX; l++) {
		for (uint32_t i = 0; i < r->lists[l].n; i++)
			rule_sm_free(&r->lists[l].v[i]);
		free(r->lists[l].v);
	}
	for (uint32_t i = 0; i < r->nvars; i++)
		free(r->vars[i]);
	free(r->text);
	free(r);
}

const struct rule_content *rule_fast_pattern(const struct rule *r)
{
	if (r->fp_list < 0)
		return NULL;
	return r->lists[r->fp_list].v[r->fp_index].ctx;
}

/* ---- fast pattern ------------------------------------------------------ */

static uint32_t pattern_strength(const uint8_t *pat, uint32_t len)
{
	uint8_t seen[256] = {0};
	uint32_t s = 0;
	for (uint32_t i = 0; i < len; i++) {
		if (!seen[pat[i]]) {
			if (isalpha(pat[i]))
				s += 3;
			else if (isprint(pat[i]) || pat[i] == 0 || pat[i] == 1 || pat[i] == 0xff)
				s += 4;
			else
				s += 6;
			seen[pat[i]] = 1;
		} else {
			s++;
		}
	}
	return s;
}

static int list_fp_priority(int list)
{
	if (list == RULE_LIST_PMATCH)
		return 3;
	if (list < RULE_LIST_BUF)
		return -1;	/* not prefiltered */
	switch (list - RULE_LIST_BUF) {
	case APP_BUF_HTTP_METHOD:
	case APP_BUF_HTTP_STAT_CODE:
	case APP_BUF_HTTP_STAT_MSG:
		return 3;
	default:
		return 2;
	}
}

void rule_pick_fast_pattern(struct rule *r)
{
	r->fp_list = -1;
	r->fp_index = 0;
	/* 1: explicit */
	uint32_t best_order = UINT32_MAX;
	for (int l = 0; l < RULE_LIST_MAX; l++) {
		for (uint32_t i = 0; i < r->lists[l].n; i++) {
			const struct rule_sm *sm = &r->lists[l].v[i];
			if (sm->kw != RULE_KW_CONTENT)
				continue;
			const struct rule_content *c = sm->ctx;
			if ((c->flags & RULE_CF_FAST_PATTERN) && sm->order < best_order) {
				best_order = sm->order;
				r->fp_list = l;
				r->fp_index = i;
			}
		}
	}
	if (r->fp_list < 0) {
		/* 2: negated contents only when there is no positive one */
		bool have_pos = false;
		for (int l = 0; l < RULE_LIST_MAX && !have_pos; l++) {
			if (list_fp_priority(l) < 0)
				continue;
			for (uint32_t i = 0; i < r->lists[l].n; i++) {
				const struct rule_sm *sm = &r->lists[l].v[i];
				if (sm->kw == RULE_KW_CONTENT &&
				    !(((const struct rule_content *)sm->ctx)->flags & RULE_CF_NEGATED)) {
					have_pos = true;
					break;
				}
			}
		}
		int best_prio = 100;
		uint32_t best_len = 0, best_str = 0;
		for (int l = 0; l < RULE_LIST_MAX; l++) {
			int prio = list_fp_priority(l);
			if (prio < 0)
				continue;
			for (uint32_t i = 0; i < r->lists[l].n; i++) {
				const struct rule_sm *sm = &r->lists[l].v[i];
				if (sm->kw != RULE_KW_CONTENT)
					continue;
				const struct rule_content *c = sm->ctx;
				if (have_pos && (c->flags & RULE_CF_NEGATED))
					continue;
				const uint8_t *p = c->pat;
				uint32_t len = c->len;
				if (c->flags & RULE_CF_FP_CHOP) {
					p += c->fp_off;
					len = c->fp_len;
				}
				uint32_t str = pattern_strength(p, len);
				bool better;
				if (r->fp_list < 0 || prio != best_prio)
					better = r->fp_list < 0 || prio < best_prio;
				else if (len != best_len)
					better = len > best_len;
				else if (str != best_str)
					better = str > best_str;
				else
					better = sm->order < best_order;
				if (better) {
					best_prio = prio;
					best_len = len;
					best_str = str;
					best_order = sm->order;
					r->fp_list = l;
					r->fp_index = i;
				}
			}
		}
	}
	if (r->fp_list >= 0) {
		struct rule_content *c = r->lists[r->fp_list].v[r->fp_index].ctx;
		c->flags |= RULE_CF_MPM;
	}
}

/* ---- header ------------------------------------------------------------ */

struct tok {
	const char *p;
	size_t len;
	unsigned col;
};

/* Splits the header into blank-separated tokens; blanks inside [...] are
 * part of the token.  Returns the number found (at most max). */
static int split_header(const char *text, const char *end, struct tok *t, int max)
{
	int n = 0;
	const char *p = text;
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		const char *s = p;
		int depth = 0;
		while (p < end && (depth > 0 || !isspace((unsigned char)*p))) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			p++;
		}
		if (n < max)
			t[n] = (struct tok){s, (size_t)(p - s), (unsigned)(s - text) + 1};
		n++;
	}
	return n;
}

static bool tok_eq(const struct tok *t, const char *s)
{
	return strlen(s) == t->len && !strncmp(t->p, s, t->len);
}

static char *tok_dup(const struct tok *t)
{
	return strndup(t->p, t->len);
}

static int parse_group(struct rule_parse *ps, const struct tok *t, bool ports, void *out)
{
	char *s = tok_dup(t);
	if (!s)
		return MAMORI_ENOMEM;
	struct mamori_diag d = {0};
	int rc = ports ? rule_portset_parse(out, s, ps->vars, &d)
		       : rule_addrset_parse(out, s, ps->vars, &d);
	free(s);
	if (rc == MAMORI_EFORMAT) {
		ps->col = t->col + (d.column ? d.column - 1 : 0);
		return rule_perr(ps, "%s", d.msg);
	}
	return rc;
}

static int parse_header(struct rule_parse *ps, const char *text, const char *end)
{
	struct tok t[8];
	struct rule *r = ps->r;
	int n = split_header(text, end, t, 8);
	ps->col = 1;
	if (n != 7) {
		if (n > 0 && n < 7)
			ps->col = t[n - 1].col;
		return rule_perr(ps, "rule header needs 7 fields (action proto src sport -> dst dport), found %d", n);
	}
	ps->col = t[0].col;
	size_t i;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (tok_eq(&t[0], actions[i].name))
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return rule_perr(ps, "unknown action '%.*s'", (int)t[0].len, t[0].p);
	r->action = actions[i].act;

	ps->col = t[1].col;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (t[1].len == strlen(protos[i].name) &&
		    !strncasecmp(t[1].p, protos[i].name, t[1].len))
			break;
	}
	if (i == sizeof(protos) / sizeof(protos[0]))
		return rule_perr(ps, "unknown protocol '%.*s'", (int)t[1].len, t[1].p);
	r->ipproto = protos[i].ipproto;
	r->app = protos[i].app;
	r->proto_flags = protos[i].flags;
	snprintf(r->proto_name, sizeof(r->proto_name), "%s", protos[i].name);

	ps->col = t[4].col;
	if (tok_eq(&t[4], "->"))
		r->bidir = false;
	else if (tok_eq(&t[4], "<>"))
		r->bidir = true;
	else if (tok_eq(&t[4], "<-"))
		return rule_perr(ps, "direction '<-' is not supported");
	else if (tok_eq(&t[4], "=>"))
		return rule_perr(ps, "transactional rules ('=>') are not supported");
	else
		return rule_perr(ps, "expected '->' or '<>', found '%.*s'", (int)t[4].len, t[4].p);

	int rc = 0;
	CHECK(parse_group(ps, &t[2], false, &r->src));
	CHECK(parse_group(ps, &t[3], true, &r->sport));
	CHECK(parse_group(ps, &t[5], false, &r->dst));
	CHECK(parse_group(ps, &t[6], true, &r->dport));
out:
	return rc;
}

/* ---- options ----------------------------------------------------------- */

static bool backslash_escaped(const char *start, const char *p)
{
	size_t n = 0;
	while (p > start && p[-1] == '\\') {
		n++;
		p--;
	}
	return n % 2 == 1;
}

static int parse_options(struct rule_parse *ps, const char *text, const char *opts,
			 const char *end)
{
	int rc = 0;
	char *name = NULL, *val = NULL;
	const char *p = opts;
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		ps->col = (unsigned)(p - text) + 1;
		const char *ns = p;
		while (p < end && *p != ':' && *p != ';')
			p++;
		const char *ne = p;
		while (ne > ns && isspace((unsigned char)ne[-1]))
			ne--;
		free(name);
		name = strndup(ns, (size_t)(ne - ns));
		if (!name)
			FAIL(MAMORI_ENOMEM);
		if (p >= end)
			FAIL(rule_perr(ps, "missing ';' after '%s'", name));
		if (!*name)
			FAIL(rule_perr(ps, "empty option"));
		free(val);
		val = NULL;
		if (*p == ':') {
			const char *vs = ++p;
			while (p < end && !(*p == ';' && !backslash_escaped(vs, p)))
				p++;
			if (p >= end)
				FAIL(rule_perr(ps, "missing ';' after '%s'", name));
			const char *ve = p;
			while (vs < ve && isspace((unsigned char)*vs))
				vs++;
			while (ve > vs && isspace((unsigned char)ve[-1]))
				ve--;
			val = strndup(vs, (size_t)(ve - vs));
			if (!val)
				FAIL(MAMORI_ENOMEM);
		}
		p++;	/* ';' */
		const struct rule_kw_def *kw = rule_kw_lookup(name);
		if (!kw)
			FAIL(rule_perr(ps, rule_kw_unsupported(name) ? "unsupported keyword '%s'"
								     : "unknown keyword '%s'", name));
		if ((kw->flags & KWF_NOOPT) && val && *val)
			FAIL(rule_perr(ps, "'%s' takes no argument", name));
		if (!(kw->flags & (KWF_NOOPT | KWF_OPTARG)) && (!val || !*val))
			FAIL(rule_perr(ps, "'%s' needs an argument", name));
		CHECK(kw->setup(ps, kw, val && *val ? val : NULL));
	}
out:
	free(name);
	free(val);
	return rc;
}

/* Checks that need the whole rule. */
static int finish_rule(struct rule_parse *ps)
{
	struct rule *r = ps->r;
	if (!ps->have_sid)
		return rule_perr(ps, "rule has no sid");
	if (!ps->explicit_priority)
		r->priority = r->cls ? r->cls->priority : 3;
	if ((r->proto_flags & RULE_PROTO_PKTHDR)) {
		for (int l = RULE_LIST_PMATCH; l < RULE_LIST_MAX; l++)
			if (l != RULE_LIST_POSTMATCH && l != RULE_LIST_THRESHOLD && r->lists[l].n)
				return rule_perr(ps, "pkthdr rules can only use header keywords");
	}
	for (int l = RULE_LIST_BUF; l < RULE_LIST_MAX; l++) {
		const struct rule_smlist *sl = &r->lists[l];
		if (sl->n > 1 && sl->v[0].kw == RULE_KW_ABSENT &&
		    !((const struct rule_absent *)sl->v[0].ctx)->or_else)
			return rule_perr(ps, "absent cannot be combined with other keywords on %s "
					 "(use absent:or_else)", rule_list_name(l));
	}
	rule_pick_fast_pattern(r);
	return 0;
}

int rule_parse(const char *text, const struct rule_vars *vars,
	       const struct rule_classes *cls, struct rule **out,
	       struct mamori_diag *diag)
{
	int rc = 0;
	*out = NULL;
	struct rule *r = calloc(1, sizeof(*r));
	if (!r)
		return MAMORI_ENOMEM;
	r->fp_list = -1;
	r->gid = 1;
	struct rule_parse ps = {.r = r, .vars = vars, .cls = cls, .diag = diag,
				.col = 1, .cur_list = RULE_LIST_PMATCH};
	size_t len = strlen(text);
	if (len > RULESET_MAX_RULE_LEN)
		FAIL(rule_perr(&ps, "rule longer than %d bytes", RULESET_MAX_RULE_LEN));
	const char *open = strchr(text, '(');
	if (!open)
		FAIL(rule_perr(&ps, "missing '(' before the rule options"));
	const char *end = text + len;
	while (end > open && isspace((unsigned char)end[-1]))
		end--;
	if (end[-1] != ')' || end - 1 == open) {
		ps.col = (unsigned)(end - text);
		FAIL(rule_perr(&ps, "rule options must end with ')'"));
	}
	CHECK(parse_header(&ps, text, open));
	CHECK(parse_options(&ps, text, open + 1, end - 1));
	ps.col = (unsigned)(end - text);
	CHECK(finish_rule(&ps));
	r->text = strdup(text);
	if (!r->text)
		FAIL(MAMORI_ENOMEM);
	*out = r;
	r = NULL;
out:
	rule_free(r);
	return rc;
}

/* ---- ruleset ----------------------------------------------------------- */

struct ruleset *ruleset_new(void)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	rs->vars = rule_vars_new();
	if (!rs->vars) {
		free(rs);
		return NULL;
	}
	return rs;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nrejects_kept; i++)
		free(rs->rejects[i].msg);
	free(rs->rejects);
	rule_vars_free(rs->vars);
	rule_classes_release(&rs->classes);
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->sid_hash);
	free(rs);
}

static const char *intern_file(struct ruleset *rs, const char *file)
{
	if (!file)
		return NULL;
	for (size_t i = 0; i < rs->nfiles; i++)
		if (!strcmp(rs->files[i], file))
			return rs->files[i];
	char **nf = realloc(rs->files, (rs->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	rs->files = nf;
	char *c = strdup(file);
	if (!c)
		return NULL;
	rs->files[rs->nfiles++] = c;
	return c;
}

static size_t sid_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)(key & (cap - 1));
}

static uint64_t sid_key(const struct rule *r)
{
	return ((uint64_t)r->gid << 32) | r->sid;
}

/* Index of the loaded rule with r's gid:sid, or SIZE_MAX. */
static size_t sid_find(const struct ruleset *rs, const struct rule *r)
{
	if (!rs->sid_hash_cap)
		return SIZE_MAX;
	uint64_t key = sid_key(r);
	for (size_t s = sid_slot(key, rs->sid_hash_cap);; s = (s + 1) & (rs->sid_hash_cap - 1)) {
		uint32_t v = rs->sid_hash[s];
		if (!v)
			return SIZE_MAX;
		if (sid_key(rs->rules[v - 1]) == key)
			return v - 1;
	}
}

static int sid_insert(struct ruleset *rs, size_t idx)
{
	if ((rs->n + 1) * 2 > rs->sid_hash_cap) {
		size_t nc = rs->sid_hash_cap ? rs->sid_hash_cap * 2 : 1024;
		uint32_t *nh = calloc(nc, sizeof(*nh));
		if (!nh)
			return MAMORI_ENOMEM;
		for (size_t i = 0; i < rs->n; i++) {
			if (i == idx)
				continue;
			size_t s = sid_slot(sid_key(rs->rules[i]), nc);
			while (nh[s])
				s = (s + 1) & (nc - 1);
			nh[s] = (uint32_t)i + 1;
		}
		free(rs->sid_hash);
		rs->sid_hash = nh;
		rs->sid_hash_cap = nc;
	}
	size_t s = sid_slot(sid_key(rs->rules[idx]), rs->sid_hash_cap);
	while (rs->sid_hash[s])
		s = (s + 1) & (rs->sid_hash_cap - 1);
	rs->sid_hash[s] = (uint32_t)idx + 1;
	return 0;
}

int ruleset_add_rule(struct ruleset *rs, const char *text, const char *file,
		     unsigned line, struct mamori_diag *diag)
{
	struct rule *r = NULL;
	if (diag) {
		diag->line = line;
		diag->column = 0;
		diag->msg[0] = 0;
	}
	int rc = rule_parse(text, rs->vars, &rs->classes, &r, diag);
	if (rc < 0)
		return rc;
	r->file = intern_file(rs, file);
	r->line = line;
	size_t dup = sid_find(rs, r);
	if (dup != SIZE_MAX) {
		const struct rule *o = rs->rules[dup];
		mamori_diag_set(diag, line, 0,
				"duplicate signature %u:%u (already loaded from %s:%u)",
				r->gid, r->sid, o->file ? o->file : "?", o->line);
		rule_free(r);
		return MAMORI_EEXIST;
	}
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 256;
		struct rule **nv = realloc(rs->rules, nc * sizeof(*nv));
		if (!nv) {
			rule_free(r);
			return MAMORI_ENOMEM;
		}
		rs->rules = nv;
		rs->cap = nc;
	}
	if (rs->n >= UINT32_MAX - 1) {
		rule_free(r);
		return MAMORI_ELIMIT;
	}
	rs->rules[rs->n] = r;
	rc = sid_insert(rs, rs->n);
	if (rc < 0) {
		rule_free(r);
		return rc;
	}
	rs->n++;
	if (r->proto_flags & RULE_PROTO_APP_UNPARSED)
		rs->n_unparsed_app++;
	return 0;
}

static int add_reject(struct ruleset *rs, const char *file, unsigned line,
		      unsigned column, const char *msg)
{
	rs->nrejects++;
	if (rs->nrejects_kept >= RULESET_MAX_REJECTS)
		return 0;
	if (rs->nrejects_kept == rs->rejects_cap) {
		size_t nc = rs->rejects_cap ? rs->rejects_cap * 2 : 16;
		struct rule_reject *nv = realloc(rs->rejects, nc * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		rs->rejects = nv;
		rs->rejects_cap = nc;
	}
	char *m = strdup(msg);
	if (!m)
		return MAMORI_ENOMEM;
	rs->rejects[rs->nrejects_kept++] = (struct rule_reject){
		.file = intern_file(rs, file), .line = line, .column = column, .msg = m};
	return 0;
}

static bool blank_or_comment(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s || *s == '#';
}

int ruleset_load_buffer(struct ruleset *rs, const char *name, const char *data,
			size_t len)
{
	int rc = 0;
	char *acc = NULL;	/* the rule being joined */
	size_t alen = 0;
	unsigned start = 0, lineno = 0;
	bool too_long = false;
	const char *p = data, *end = data + len;
	acc = malloc(RULESET_MAX_RULE_LEN + 2);
	if (!acc)
		return MAMORI_ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		size_t ll = (size_t)(le - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		bool cont = ll && p[ll - 1] == '\\';
		if (cont)
			ll--;
		if (!alen && !too_long)
			start = lineno;
		if (memchr(p, 0, ll)) {
			CHECK(add_reject(rs, name, lineno, 0, "NUL byte in rule file"));
			alen = 0;
			too_long = false;
			p = nl ? nl + 1 : end;
			continue;
		}
		if (alen + ll > RULESET_MAX_RULE_LEN)
			too_long = true;
		else {
			memcpy(acc + alen, p, ll);
			alen += ll;
		}
		p = nl ? nl + 1 : end;
		if (cont && p < end)
			continue;
		acc[alen] = 0;
		if (too_long) {
			char msg[80];
			snprintf(msg, sizeof(msg), "rule longer than %d bytes", RULESET_MAX_RULE_LEN);
			CHECK(add_reject(rs, name, start, 0, msg));
		} else if (!blank_or_comment(acc)) {
			struct mamori_diag d = {0};
			int r = ruleset_add_rule(rs, acc, name, start, &d);
			if (r == MAMORI_ENOMEM)
				FAIL(r);
			if (r < 0)
				CHECK(add_reject(rs, name, start, d.column,
						 d.msg[0] ? d.msg : mamori_strerror(r)));
		}
		alen = 0;
		too_long = false;
	}
out:
	free(acc);
	return rc;
}

int ruleset_load_file(struct ruleset *rs, const char *path, struct mamori_diag *diag)
{
	int rc = 0;
	char *data = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path, strerror(errno));
		return MAMORI_EIO;
	}
	for (;;) {
		if (len + 65536 > cap) {
			size_t nc = cap ? cap * 2 : 1u << 20;
			if (nc > RULE_FILE_MAX) {
				mamori_diag_set(diag, 0, 0, "'%s' is larger than %u bytes", path,
						RULE_FILE_MAX);
				FAIL(MAMORI_ELIMIT);
			}
			char *nd = realloc(data, nc);
			if (!nd)
				FAIL(MAMORI_ENOMEM);
			data = nd;
			cap = nc;
		}
		size_t got = fread(data + len, 1, 65536, f);
		len += got;
		if (got < 65536) {
			if (ferror(f)) {
				mamori_diag_set(diag, 0, 0, "cannot read '%s': %s", path,
						strerror(errno));
				FAIL(MAMORI_EIO);
			}
			break;
		}
	}
	rc = ruleset_load_buffer(rs, path, data ? data : "", len);
out:
	if (diag && rc < 0)
		diag->file = path;
	free(data);
	fclose(f);
	return rc;
}
