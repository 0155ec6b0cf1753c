/*
 * The keyword table of the rule language (Suricata's sigmatch_table) and
 * each keyword's setup function.
 *
 * kw_defs[] lists every accepted option name with its keyword id (enum
 * rule_kw), flags, the app buffer for sticky buffers and legacy content
 * modifiers, and its setup and free functions; kw_by_id[] is the same
 * table indexed by the enum (the canonical entry of each id), which is
 * what the matcher will extend with match functions.  Every name of
 * APP_BUFFER_MAP ("http.uri", "dns.query") is also a sticky buffer.
 * Transforms share one id (RULE_KW_TRANSFORM) and carry their kind in the
 * table's buffer field.
 * A name that is in neither is rejected as "unknown keyword": nothing is
 * ever accepted silently.
 *
 * Each setup parses its argument completely, validates it the way Suricata
 * does (with Suricata's error conditions where they matter: depth smaller
 * than the content, relative and absolute modifiers mixed, fast_pattern
 * twice, modifiers with a sticky buffer active...) and records a typed
 * argument (struct rule_content, struct rule_byte, ...) in the right list.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect_int.h"
#include "util/err.h"

#define CONTENT_MAX 65535
#define OFFSET_MAX INT32_MAX	/* byte_* offsets */
#define SPLIT_MAX 16

/* ---- small parsing helpers --------------------------------------------- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Splits s in place at sep; trims the parts.  Returns the count or -1 when
 * there are more than max. */
static int split(char *s, char sep, char **out, int max)
{
	int n = 0;
	for (;;) {
		char *c = strchr(s, sep);
		if (c)
			*c = 0;
		if (n >= max)
			return -1;
		out[n++] = trim(s);
		if (!c)
			break;
		s = c + 1;
	}
	return n;
}

/* Whole signed number, decimal or 0x hex, within [min, max]. */
static bool parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!*s)
		return false;
	errno = 0;
	char *end;
	long long v;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) && s[2])
		v = (long long)strtoull(s + 2, &end, 16);
	else if (isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
		v = strtoll(s, &end, 10);
	else
		return false;
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool is_ident(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

static int find_var(const struct rule *r, const char *name)
{
	for (uint32_t i = 0; i < r->nvars; i++)
		if (!strcmp(r->vars[i], name))
			return (int)i;
	return -1;
}

/* A number in [min,max] or the name of an earlier byte_extract/byte_math. */
static int num_or_var(struct rule_parse *ps, const char *kw, const char *s, int64_t min,
		      int64_t max, int64_t *out, bool *is_var)
{
	*is_var = false;
	if (parse_num(s, min, max, out))
		return 0;
	if (is_ident(s)) {
		int v = find_var(ps->r, s);
		if (v < 0)
			return rule_perr(ps, "%s: unknown variable '%s'", kw, s);
		*is_var = true;
		*out = v;
		return 0;
	}
	return rule_perr(ps, "%s: invalid number '%s'", kw, s);
}

/* Strips one pair of enclosing double quotes, if present. */
static char *unquote(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		return trim(s + 1);
	}
	return s;
}

static bool is_anchor_kw(uint16_t kw)
{
	switch (kw) {
	case RULE_KW_CONTENT:
	case RULE_KW_PCRE:
	case RULE_KW_BYTE_JUMP:
	case RULE_KW_BYTE_EXTRACT:
	case RULE_KW_BYTE_TEST:
	case RULE_KW_BYTE_MATH:
	case RULE_KW_ISDATAAT:
	case RULE_KW_BASE64_DECODE:
		return true;
	default:
		return false;
	}
}

/* Marks the anchor before index `before` in list as followed by a
 * relative keyword. */
static void mark_relative_next(struct rule *r, int list, uint32_t before)
{
	struct rule_smlist *l = &r->lists[list];
	for (uint32_t i = before; i-- > 0;) {
		struct rule_sm *sm = &l->v[i];
		if (!is_anchor_kw(sm->kw))
			continue;
		switch (sm->kw) {
		case RULE_KW_CONTENT:
			((struct rule_content *)sm->ctx)->flags |= RULE_CF_RELATIVE_NEXT;
			break;
		case RULE_KW_PCRE:
			((struct rule_pcre *)sm->ctx)->flags |= RULE_PF_RELATIVE_NEXT;
			break;
		case RULE_KW_ISDATAAT:
			((struct rule_isdataat *)sm->ctx)->flags |= RULE_IF_RELATIVE_NEXT;
			break;
		case RULE_KW_BASE64_DECODE:
			break;
		default:
			((struct rule_byte *)sm->ctx)->flags |= RULE_BF_RELATIVE_NEXT;
			break;
		}
		return;
	}
}

/* The rule's last content (by option order); its list and index. */
static struct rule_content *last_content(struct rule *r, int *list, uint32_t *idx)
{
	struct rule_content *best = NULL;
	uint32_t best_order = 0;
	for (int l = 0; l < RULE_LIST_MAX; l++) {
		for (uint32_t i = r->lists[l].n; i-- > 0;) {
			struct rule_sm *sm = &r->lists[l].v[i];
			if (sm->kw != RULE_KW_CONTENT)
				continue;
			if (!best || sm->order > best_order) {
				best = sm->ctx;
				best_order = sm->order;
				*list = l;
				*idx = i;
			}
			break;
		}
	}
	return best;
}

static struct rule_content *need_content(struct rule_parse *ps, const struct rule_kw_def *kw,
					 int *list, uint32_t *idx)
{
	int l;
	uint32_t i;
	struct rule_content *c = last_content(ps->r, &l, &i);
	if (!c) {
		rule_perr(ps, "'%s' needs a preceding content", kw->name);
		return NULL;
	}
	if (list)
		*list = l;
	if (idx)
		*idx = i;
	return c;
}

enum app_proto_id rule_buffer_app(int buffer)
{
	static const struct {
		const char *prefix;
		enum app_proto_id app;
	} map[] = {
		{"http.", APP_HTTP}, {"dns.", APP_DNS},	  {"smtp.", APP_SMTP},
		{"tls.", APP_TLS},   {"ja3.", APP_TLS},	  {"ssh.", APP_SSH},
		{"smb.", APP_SMB},   {"dcerpc.", APP_DCERPC},
	};
	const char *n = app_buffer_name((enum app_buffer)buffer);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(n, map[i].prefix, strlen(map[i].prefix)))
			return map[i].app;
	return APP_UNKNOWN;
}

/* A buffer ties the rule to its protocol ("alert tcp ... http.uri" becomes
 * an HTTP rule); it cannot be used in a rule for another protocol. */
static int bind_app(struct rule_parse *ps, const char *kwname, enum app_proto_id app)
{
	struct rule *r = ps->r;
	if (app == APP_UNKNOWN || r->app == app)
		return 0;
	/* DCERPC runs over SMB too (Suricata inspects dcerpc keywords there). */
	if (r->app == APP_SMB && app == APP_DCERPC)
		return 0;
	if (r->app != APP_UNKNOWN || (r->proto_flags & RULE_PROTO_APP_UNPARSED))
		return rule_perr(ps, "'%s' cannot be used in a '%s' rule", kwname, r->proto_name);
	if (r->ipproto == 1 || r->ipproto == 58 || r->ipproto == 132)
		return rule_perr(ps, "'%s' cannot be used in a '%s' rule", kwname, r->proto_name);
	r->app = app;
	return 0;
}

static int add_string(char ***v, uint32_t *n, const char *s)
{
	if (*n >= 4096)
		return MAMORI_ELIMIT;
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return MAMORI_ENOMEM;
	*v = nv;
	char *c = strdup(s);
	if (!c)
		return MAMORI_ENOMEM;
	nv[(*n)++] = c;
	return 0;
}

/* ---- free functions ---------------------------------------------------- */

static void free_content(void *p)
{
	struct rule_content *c = p;
	if (c)
		free(c->pat);
	free(c);
}

static void free_pcre(void *p)
{
	struct rule_pcre *pc = p;
	if (!pc)
		return;
	for (uint32_t i = 0; i < pc->ncapture; i++)
		free(pc->capture[i]);
	free(pc->capture);
	pcre2_code_free(pc->code);
	free(pc->src);
	free(pc);
}

static void free_bits(void *p)
{
	struct rule_bits *b = p;
	if (!b)
		return;
	for (uint32_t i = 0; i < b->n; i++)
		free(b->names[i]);
	free(b->names);
	free(b);
}

static void free_flowint(void *p)
{
	struct rule_flowint *f = p;
	if (!f)
		return;
	free(f->name);
	free(f->var);
	free(f);
}

static void free_dataset(void *p)
{
	struct rule_dataset *d = p;
	if (!d)
		return;
	free(d->name);
	free(d->load);
	free(d->save);
	free(d);
}

static void free_xform(void *p)
{
	struct rule_xform *x = p;
	if (!x)
		return;
	pcre2_code_free(x->re);
	free(x->key);
	free(x);
}

static void free_str(void *p)
{
	struct rule_str *s = p;
	if (s)
		free(s->s);
	free(s);
}

static void free_ranges(void *p)
{
	struct rule_ranges *r = p;
	if (r)
		free(r->v);
	free(r);
}

/* ---- meta keywords ----------------------------------------------------- */

/* Undoes Suricata's escapes in msg and similar strings: \" \; \\ \: */
static void unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		*w++ = *p;
	}
	*w = 0;
}

static int kw_msg(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	if (ps->r->msg)
		return rule_perr(ps, "duplicate 'msg'");
	char *c = strdup(arg);
	if (!c)
		return MAMORI_ENOMEM;
	size_t n = strlen(c);
	if (c[0] == '"' && (n < 2 || c[n - 1] != '"')) {
		free(c);
		return rule_perr(ps, "msg: unterminated string");
	}
	char *s = unquote(c);
	unescape(s);
	ps->r->msg = strdup(s);
	free(c);
	return ps->r->msg ? 0 : MAMORI_ENOMEM;
}

static int kw_u32meta(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	int64_t v;
	int64_t min = kw->id == RULE_KW_SID ? 1 : 0;
	if (!parse_num(arg, min, UINT32_MAX, &v))
		return rule_perr(ps, "%s: invalid value '%s'", kw->name, arg);
	switch (kw->id) {
	case RULE_KW_SID:
		if (ps->have_sid)
			return rule_perr(ps, "duplicate 'sid'");
		ps->have_sid = true;
		ps->r->sid = (uint32_t)v;
		break;
	case RULE_KW_REV:
		ps->r->rev = (uint32_t)v;
		break;
	case RULE_KW_GID:
		ps->r->gid = (uint32_t)v;
		break;
	default:
		break;
	}
	return 0;
}

static int kw_priority(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	int64_t v;
	(void)kw;
	if (!parse_num(arg, 1, 255, &v))
		return rule_perr(ps, "priority: invalid value '%s' (1-255)", arg);
	ps->r->priority = (int)v;
	ps->explicit_priority = true;
	return 0;
}

static int kw_classtype(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	if (ps->r->cls)
		return rule_perr(ps, "duplicate 'classtype'");
	const struct rule_class *c = ps->cls ? rule_classes_find(ps->cls, arg) : NULL;
	if (!c)
		return rule_perr(ps, "unknown classtype '%s'", arg);
	ps->r->cls = c;
	return 0;
}

static int kw_reference(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	const char *comma = strchr(arg, ',');
	if (!comma || comma == arg || !comma[1])
		return rule_perr(ps, "reference: expected 'type,value', got '%s'", arg);
	char *c = strdup(arg);
	if (!c)
		return MAMORI_ENOMEM;
	char *parts[2];
	char *v = strchr(c, ',');
	*v = 0;
	parts[0] = trim(c);
	parts[1] = trim(v + 1);
	int rc = 0;
	if (!*parts[0] || !*parts[1] || !is_ident(parts[0])) {
		rc = rule_perr(ps, "reference: expected 'type,value', got '%s'", arg);
	} else {
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s,%s", parts[0], parts[1]);
		rc = add_string(&ps->r->refs, &ps->r->nrefs, buf);
		if (rc == MAMORI_ELIMIT)
			rc = rule_perr(ps, "too many references");
	}
	free(c);
	return rc;
}

static int kw_metadata(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	char *c = strdup(arg);
	if (!c)
		return MAMORI_ENOMEM;
	int rc = 0;
	char *s = c;
	for (;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = 0;
		char *e = trim(s);
		if (!*e) {
			rc = rule_perr(ps, "metadata: empty entry");
			break;
		}
		rc = add_string(&ps->r->metadata, &ps->r->nmeta, e);
		if (rc == MAMORI_ELIMIT)
			rc = rule_perr(ps, "too many metadata entries");
		if (rc < 0 || !comma)
			break;
		s = comma + 1;
	}
	free(c);
	return rc;
}

static int kw_target(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	if (!strcmp(arg, "src_ip"))
		ps->r->flags |= RULE_F_TARGET_SRC;
	else if (!strcmp(arg, "dest_ip"))
		ps->r->flags |= RULE_F_TARGET_DST;
	else
		return rule_perr(ps, "target: expected src_ip or dest_ip, got '%s'", arg);
	return 0;
}

static int kw_flag(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)arg;
	switch (kw->id) {
	case RULE_KW_NOALERT:
		ps->r->flags |= RULE_F_NOALERT;
		return 0;
	case RULE_KW_SAMEIP:
		ps->r->flags |= RULE_F_SAMEIP;
		return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, NULL);
	case RULE_KW_PREFILTER:
		ps->r->flags |= RULE_F_PREFILTER;
		return 0;
	case RULE_KW_FTPBOUNCE:
		return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, NULL);
	default:
		return 0;
	}
}

/* ---- content and its modifiers ----------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a quoted content string ("abc|0d 0a|\;") into c->pat. */
static int decode_content(struct rule_parse *ps, const char *kwname, const char *arg,
			  struct rule_content *c)
{
	const char *s = arg;
	if (*s == '!') {
		c->flags |= RULE_CF_NEGATED;
		s++;
		while (isspace((unsigned char)*s))
			s++;
	}
	size_t n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return rule_perr(ps, "%s: the pattern must be enclosed in double quotes", kwname);
	if (n - 2 > CONTENT_MAX)
		return rule_perr(ps, "%s: pattern longer than %d bytes", kwname, CONTENT_MAX);
	c->pat = malloc(n);
	if (!c->pat)
		return MAMORI_ENOMEM;
	uint32_t len = 0;
	bool bin = false, esc = false;
	int hi = -1;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (bin) {
			if (ch == '|') {
				if (hi >= 0)
					return rule_perr(ps, "%s: odd number of hex digits", kwname);
				bin = false;
			} else if (isspace(ch)) {
				continue;
			} else {
				int v = hexval(ch);
				if (v < 0)
					return rule_perr(ps, "%s: invalid hex character '%c'", kwname, ch);
				if (hi < 0) {
					hi = v;
				} else {
					c->pat[len++] = (uint8_t)(hi << 4 | v);
					hi = -1;
				}
			}
			continue;
		}
		if (esc) {
			if (ch != '\\' && ch != '"' && ch != ';' && ch != ':')
				return rule_perr(ps, "%s: invalid escape '\\%c'", kwname, ch);
			c->pat[len++] = ch;
			esc = false;
		} else if (ch == '\\') {
			esc = true;
		} else if (ch == '|') {
			bin = true;
		} else if (ch == '"') {
			return rule_perr(ps, "%s: unescaped '\"' in pattern", kwname);
		} else if (ch == ';') {
			return rule_perr(ps, "%s: unescaped ';' in pattern", kwname);
		} else {
			c->pat[len++] = ch;
		}
	}
	if (bin)
		return rule_perr(ps, "%s: unterminated hex block '|'", kwname);
	if (esc)
		return rule_perr(ps, "%s: trailing backslash", kwname);
	if (!len)
		return rule_perr(ps, "%s: empty pattern", kwname);
	c->len = len;
	return 0;
}

static int kw_content(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	struct rule_content *c = calloc(1, sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	int rc = decode_content(ps, kw->name, arg, c);
	if (rc < 0) {
		free_content(c);
		return rc;
	}
	int list = ps->cur_list;
	if (kw->id == RULE_KW_URICONTENT) {
		if (ps->cur_list != RULE_LIST_PMATCH)
			rc = rule_perr(ps, "uricontent cannot be used with a sticky buffer set");
		else
			rc = bind_app(ps, kw->name, APP_HTTP);
		if (rc < 0) {
			free_content(c);
			return rc;
		}
		list = RULE_LIST_BUF + APP_BUF_HTTP_URI;
	}
	return rule_sm_append(ps, list, RULE_KW_CONTENT, c);
}

static int kw_nocase(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)arg;
	struct rule_content *c = need_content(ps, kw, NULL, NULL);
	if (!c)
		return MAMORI_EFORMAT;
	if (c->flags & RULE_CF_NOCASE)
		return rule_perr(ps, "nocase already set for this content");
	c->flags |= RULE_CF_NOCASE;
	return 0;
}

static int kw_rawbytes(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)arg;
	int list;
	struct rule_content *c = need_content(ps, kw, &list, NULL);
	if (!c)
		return MAMORI_EFORMAT;
	if (list != RULE_LIST_PMATCH)
		return rule_perr(ps, "rawbytes cannot be used with content in %s", rule_list_name(list));
	c->flags |= RULE_CF_RAWBYTES;
	return 0;
}

static int kw_position(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	int list;
	uint32_t idx;
	struct rule_content *c = need_content(ps, kw, &list, &idx);
	if (!c)
		return MAMORI_EFORMAT;
	bool abs = kw->id == RULE_KW_DEPTH || kw->id == RULE_KW_OFFSET;
	int64_t v = 0;
	bool is_var = false;
	if (kw->id == RULE_KW_STARTSWITH || kw->id == RULE_KW_ENDSWITH) {
		if (arg)
			return rule_perr(ps, "'%s' takes no argument", kw->name);
	} else {
		int64_t min = kw->id == RULE_KW_DISTANCE ? -CONTENT_MAX : 0;
		int rc = num_or_var(ps, kw->name, arg, min, CONTENT_MAX, &v, &is_var);
		if (rc < 0)
			return rc;
	}
	if (c->flags & RULE_CF_FP_ONLY)
		return rule_perr(ps, "'%s' cannot be used with fast_pattern:only", kw->name);
	if (abs && (c->flags & (RULE_CF_DISTANCE | RULE_CF_WITHIN)))
		return rule_perr(ps, "'%s' cannot be mixed with distance/within on the same content",
				 kw->name);
	if (!abs && (kw->id == RULE_KW_DISTANCE || kw->id == RULE_KW_WITHIN) &&
	    (c->flags & (RULE_CF_DEPTH | RULE_CF_OFFSET)) && !(c->flags & RULE_CF_STARTSWITH))
		return rule_perr(ps, "'%s' cannot be mixed with depth/offset on the same content",
				 kw->name);
	if ((c->flags & RULE_CF_STARTSWITH) && kw->id != RULE_KW_ENDSWITH)
		return rule_perr(ps, "'%s' cannot be used with startswith", kw->name);
	switch (kw->id) {
	case RULE_KW_DEPTH:
		if (c->flags & RULE_CF_DEPTH)
			return rule_perr(ps, "depth already set for this content");
		if (!is_var && v < c->len)
			return rule_perr(ps, "depth %lld is smaller than the content length %u",
					 (long long)v, c->len);
		c->depth = (int32_t)v;
		c->flags |= RULE_CF_DEPTH | (is_var ? RULE_CF_DEPTH_VAR : 0);
		break;
	case RULE_KW_OFFSET:
		if (c->flags & RULE_CF_OFFSET)
			return rule_perr(ps, "offset already set for this content");
		c->offset = (int32_t)v;
		c->flags |= RULE_CF_OFFSET | (is_var ? RULE_CF_OFFSET_VAR : 0);
		break;
	case RULE_KW_DISTANCE:
		if (c->flags & RULE_CF_DISTANCE)
			return rule_perr(ps, "distance already set for this content");
		c->distance = (int32_t)v;
		c->flags |= RULE_CF_DISTANCE | (is_var ? RULE_CF_DISTANCE_VAR : 0);
		mark_relative_next(ps->r, list, idx);
		break;
	case RULE_KW_WITHIN:
		if (c->flags & RULE_CF_WITHIN)
			return rule_perr(ps, "within already set for this content");
		if (!is_var && v < c->len)
			return rule_perr(ps, "within %lld is smaller than the content length %u",
					 (long long)v, c->len);
		c->within = (int32_t)v;
		c->flags |= RULE_CF_WITHIN | (is_var ? RULE_CF_WITHIN_VAR : 0);
		mark_relative_next(ps->r, list, idx);
		break;
	case RULE_KW_STARTSWITH:
		if (c->flags & (RULE_CF_DEPTH | RULE_CF_OFFSET | RULE_CF_DISTANCE | RULE_CF_WITHIN))
			return rule_perr(ps, "startswith cannot be mixed with depth, offset, distance or within");
		c->flags |= RULE_CF_STARTSWITH | RULE_CF_DEPTH | RULE_CF_OFFSET;
		c->depth = (int32_t)c->len;
		c->offset = 0;
		break;
	case RULE_KW_ENDSWITH:
		if (c->flags & RULE_CF_ENDSWITH)
			return rule_perr(ps, "endswith already set for this content");
		c->flags |= RULE_CF_ENDSWITH;
		break;
	default:
		break;
	}
	return 0;
}

static int kw_fast_pattern(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	struct rule_content *c = need_content(ps, kw, NULL, NULL);
	if (!c)
		return MAMORI_EFORMAT;
	for (int l = 0; l < RULE_LIST_MAX; l++)
		for (uint32_t i = 0; i < ps->r->lists[l].n; i++)
			if (ps->r->lists[l].v[i].kw == RULE_KW_CONTENT &&
			    (((struct rule_content *)ps->r->lists[l].v[i].ctx)->flags & RULE_CF_FAST_PATTERN))
				return rule_perr(ps, "fast_pattern can be used only once per rule");
	if (!arg) {
		c->flags |= RULE_CF_FAST_PATTERN;
		return 0;
	}
	if (!strcmp(arg, "only")) {
		if (c->flags & RULE_CF_NEGATED)
			return rule_perr(ps, "fast_pattern:only cannot be used on a negated content");
		if (c->flags & (RULE_CF_DEPTH | RULE_CF_OFFSET | RULE_CF_DISTANCE | RULE_CF_WITHIN))
			return rule_perr(ps, "fast_pattern:only cannot be used with depth, offset, distance or within");
		c->flags |= RULE_CF_FAST_PATTERN | RULE_CF_FP_ONLY;
		return 0;
	}
	char tmp[64];
	char *parts[3];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "fast_pattern: invalid argument '%s'", arg);
	strcpy(tmp, arg);
	int64_t off, len;
	if (split(tmp, ',', parts, 2) != 2 || !parse_num(parts[0], 0, CONTENT_MAX, &off) ||
	    !parse_num(parts[1], 1, CONTENT_MAX, &len))
		return rule_perr(ps, "fast_pattern: expected 'only' or 'offset,length', got '%s'", arg);
	if (off + len > c->len)
		return rule_perr(ps, "fast_pattern: %lld,%lld is outside the content (length %u)",
				 (long long)off, (long long)len, c->len);
	c->flags |= RULE_CF_FAST_PATTERN | RULE_CF_FP_CHOP;
	c->fp_off = (uint16_t)off;
	c->fp_len = (uint16_t)len;
	return 0;
}

/* ---- buffers ----------------------------------------------------------- */

static int kw_sticky(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)arg;
	int buffer = kw->buffer;
	if ((!strcmp(kw->name, "file_data") || !strcmp(kw->name, "file.data")) &&
	    ((ps->r->app != APP_UNKNOWN && ps->r->app != APP_HTTP) ||
	     (ps->r->proto_flags & RULE_PROTO_APP_UNPARSED)))
		return rule_perr(ps, "file_data in %s rules is not supported yet (only HTTP bodies)",
				 ps->r->proto_name);
	int rc = bind_app(ps, kw->name, rule_buffer_app(buffer));
	if (rc < 0)
		return rc;
	ps->cur_list = RULE_LIST_BUF + buffer;
	return 0;
}

static int kw_pkt_data(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	(void)arg;
	ps->cur_list = RULE_LIST_PMATCH;
	return 0;
}

/* Legacy content modifier (content:"x"; http_uri;): moves the last content
 * from the payload list to the buffer's list. */
static int kw_modifier(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)arg;
	int list;
	uint32_t idx;
	struct rule_content *c = need_content(ps, kw, &list, &idx);
	if (!c)
		return MAMORI_EFORMAT;
	int target = RULE_LIST_BUF + kw->buffer;
	if (ps->cur_list != RULE_LIST_PMATCH)
		return rule_perr(ps, "'%s' cannot be used while the sticky buffer %s is set",
				 kw->name, rule_list_name(ps->cur_list));
	if (list == target)
		return rule_perr(ps, "'%s' already applies to this content", kw->name);
	if (list != RULE_LIST_PMATCH)
		return rule_perr(ps, "'%s' cannot be used on a content already in %s", kw->name,
				 rule_list_name(list));
	if (c->flags & RULE_CF_RAWBYTES)
		return rule_perr(ps, "'%s' cannot be used with rawbytes", kw->name);
	int rc = bind_app(ps, kw->name, rule_buffer_app(kw->buffer));
	if (rc < 0)
		return rc;
	struct rule_smlist *from = &ps->r->lists[list];
	struct rule_sm sm = from->v[idx];
	/* the anchor before it in the payload no longer leads to it */
	if (c->flags & (RULE_CF_DISTANCE | RULE_CF_WITHIN)) {
		for (uint32_t i = idx; i-- > 0;) {
			if (from->v[i].kw == RULE_KW_CONTENT) {
				((struct rule_content *)from->v[i].ctx)->flags &= ~RULE_CF_RELATIVE_NEXT;
				break;
			}
			if (from->v[i].kw == RULE_KW_PCRE) {
				((struct rule_pcre *)from->v[i].ctx)->flags &= ~RULE_PF_RELATIVE_NEXT;
				break;
			}
		}
	}
	memmove(&from->v[idx], &from->v[idx + 1], (from->n - idx - 1) * sizeof(sm));
	from->n--;
	struct rule_smlist *to = &ps->r->lists[target];
	if (to->n == to->cap) {
		uint32_t nc = to->cap ? to->cap * 2 : 4;
		struct rule_sm *nv = realloc(to->v, nc * sizeof(*nv));
		if (!nv) {
			rule_sm_free(&sm);
			return MAMORI_ENOMEM;
		}
		to->v = nv;
		to->cap = nc;
	}
	to->v[to->n++] = sm;
	if (c->flags & (RULE_CF_DISTANCE | RULE_CF_WITHIN))
		mark_relative_next(ps->r, target, to->n - 1);
	return 0;
}

/* ---- pcre -------------------------------------------------------------- */

static const struct {
	char flag;
	int buffer;
} pcre_buffers[] = {
	{'U', APP_BUF_HTTP_URI},	   {'I', APP_BUF_HTTP_URI_RAW},
	{'P', APP_BUF_HTTP_REQUEST_BODY},  {'Q', APP_BUF_HTTP_RESPONSE_BODY},
	{'H', APP_BUF_HTTP_HEADER},	   {'D', APP_BUF_HTTP_HEADER_RAW},
	{'M', APP_BUF_HTTP_METHOD},	   {'C', APP_BUF_HTTP_COOKIE},
	{'S', APP_BUF_HTTP_STAT_CODE},	   {'Y', APP_BUF_HTTP_STAT_MSG},
	{'V', APP_BUF_HTTP_USER_AGENT},	   {'W', APP_BUF_HTTP_HOST},
	{'Z', APP_BUF_HTTP_HOST_RAW},
};

static int kw_pcre(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	int rc = 0;
	struct rule_pcre *pc = calloc(1, sizeof(*pc));
	char *copy = strdup(arg);
	if (!pc || !copy)
		FAIL(MAMORI_ENOMEM);
	char *s = copy;
	if (*s == '!') {
		pc->flags |= RULE_PF_NEGATED;
		s = trim(s + 1);
	}
	/* Suricata takes each quote as optional on its own. */
	size_t n = strlen(s);
	if (n && s[n - 1] == '"')
		s[--n] = 0;
	if (s[0] == '"')
		s = trim(s + 1);
	char *last = strrchr(s, '/');
	if (s[0] != '/' || last == s)
		FAIL(rule_perr(ps, "pcre: expected \"/regex/flags\""));
	*last = 0;
	const char *re = s + 1;
	char *flags = last + 1;
	/* "/re/flags, pkt:name, flow:name": captures into variables */
	char *comma = strchr(flags, ',');
	if (comma) {
		*comma = 0;
		char *p[SPLIT_MAX];
		int nc = split(comma + 1, ',', p, SPLIT_MAX);
		if (nc < 0)
			FAIL(rule_perr(ps, "pcre: too many capture variables"));
		for (int k = 0; k < nc; k++) {
			char *colon = strchr(p[k], ':');
			if (!colon || (strncmp(p[k], "pkt:", 4) && strncmp(p[k], "flow:", 5)) ||
			    !is_ident(colon + 1))
				FAIL(rule_perr(ps, "pcre: invalid capture variable '%s'", p[k]));
			CHECK(add_string(&pc->capture, &pc->ncapture, p[k]));
		}
		flags = trim(flags);
	}
	uint32_t opts = 0;
	int buffer = -1;
	for (const char *f = flags; *f; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': pc->flags |= RULE_PF_RELATIVE; break;
		case 'B': pc->flags |= RULE_PF_RAWBYTES; break;
		case 'O': pc->flags |= RULE_PF_MATCH_LIMIT; break;
		default: {
			size_t i;
			for (i = 0; i < sizeof(pcre_buffers) / sizeof(pcre_buffers[0]); i++)
				if (pcre_buffers[i].flag == *f)
					break;
			if (i == sizeof(pcre_buffers) / sizeof(pcre_buffers[0]))
				FAIL(rule_perr(ps, "pcre: unknown flag '%c'", *f));
			if (buffer >= 0 && buffer != pcre_buffers[i].buffer)
				FAIL(rule_perr(ps, "pcre: flag '%c' conflicts with another buffer flag", *f));
			buffer = pcre_buffers[i].buffer;
		}
		}
	}
	int list = ps->cur_list;
	if (buffer >= 0) {
		if (ps->cur_list != RULE_LIST_PMATCH && ps->cur_list != RULE_LIST_BUF + buffer)
			FAIL(rule_perr(ps, "pcre: buffer flag for %s while the sticky buffer %s is set",
				       app_buffer_name((enum app_buffer)buffer),
				       rule_list_name(ps->cur_list)));
		CHECK(bind_app(ps, "pcre", rule_buffer_app(buffer)));
		list = RULE_LIST_BUF + buffer;
	}
	int err;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &err,
					 &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof(msg));
		FAIL(rule_perr(ps, "pcre: %s at offset %zu of /%s/", (char *)msg, (size_t)erroff, re));
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* interpreter if no JIT */
	pc->code = code;
	pc->opts = opts;
	pc->src = strdup(arg);
	if (!pc->src)
		FAIL(MAMORI_ENOMEM);
	uint32_t ngroups = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
	if (pc->ncapture > ngroups)
		FAIL(rule_perr(ps, "pcre: %u capture variables but only %u groups", pc->ncapture,
			       ngroups));
	if (pc->flags & RULE_PF_RELATIVE)
		mark_relative_next(ps->r, list, ps->r->lists[list].n);
	rc = rule_sm_append(ps, list, RULE_KW_PCRE, pc);
	pc = NULL;
out:
	free_pcre(pc);
	free(copy);
	return rc;
}

/* ---- numeric comparisons ----------------------------------------------- */

/* "N", "!N", "<N", ">N", "<=N", ">=N", "=N", "N<>M", "N-M". */
static int parse_cmp(struct rule_parse *ps, const char *kwname, const char *arg, uint64_t max,
		     struct rule_cmp *c)
{
	char tmp[64];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "%s: invalid value '%s'", kwname, arg);
	strcpy(tmp, arg);
	char *s = trim(tmp);
	int64_t lo, hi;
	char *r = strstr(s, "<>");
	char *dash = strchr(s + 1, '-');
	if (r || (dash && isdigit((unsigned char)s[0]))) {
		char *sep = r ? r : dash;
		*sep = 0;
		if (!parse_num(trim(s), 0, (int64_t)max, &lo) ||
		    !parse_num(trim(sep + (r ? 2 : 1)), 0, (int64_t)max, &hi))
			return rule_perr(ps, "%s: invalid range '%s'", kwname, arg);
		if (lo >= hi)
			return rule_perr(ps, "%s: range '%s' is empty", kwname, arg);
		*c = (struct rule_cmp){.op = RULE_CMP_RANGE, .lo = (uint64_t)lo, .hi = (uint64_t)hi};
		return 0;
	}
	uint8_t op = RULE_CMP_EQ;
	if (!strncmp(s, "<=", 2)) { op = RULE_CMP_LE; s += 2; }
	else if (!strncmp(s, ">=", 2)) { op = RULE_CMP_GE; s += 2; }
	else if (!strncmp(s, "!=", 2)) { op = RULE_CMP_NE; s += 2; }
	else if (*s == '<') { op = RULE_CMP_LT; s++; }
	else if (*s == '>') { op = RULE_CMP_GT; s++; }
	else if (*s == '!') { op = RULE_CMP_NE; s++; }
	else if (*s == '=') { op = RULE_CMP_EQ; s++; }
	s = trim(s);
	if (!parse_num(s, 0, (int64_t)max, &lo))
		return rule_perr(ps, "%s: invalid value '%s'", kwname, arg);
	if ((op == RULE_CMP_LT && lo == 0) || (op == RULE_CMP_GT && (uint64_t)lo == max))
		return rule_perr(ps, "%s: '%s' can never match", kwname, arg);
	*c = (struct rule_cmp){.op = op, .lo = (uint64_t)lo};
	return 0;
}

static int kw_cmp(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	uint64_t max = 255;
	int list = RULE_LIST_MATCH;
	char tmp[96];
	char *parts[3];
	const char *val = arg;
	uint8_t extra = 0;
	switch (kw->id) {
	case RULE_KW_DSIZE:
	case RULE_KW_ICMP_ID:
	case RULE_KW_ICMP_SEQ:
	case RULE_KW_ID:
	case RULE_KW_WINDOW:
	case RULE_KW_FRAGOFFSET:
		max = 65535;
		break;
	case RULE_KW_SEQ:
	case RULE_KW_ACK:
	case RULE_KW_FLOW_AGE:
		max = UINT32_MAX;
		break;
	case RULE_KW_BSIZE:
		max = UINT32_MAX;
		if (ps->cur_list < RULE_LIST_BUF && ps->cur_list != RULE_LIST_BASE64)
			return rule_perr(ps, "bsize needs a sticky buffer");
		list = ps->cur_list;
		break;
	case RULE_KW_URILEN:
		max = 65535;
		if (strlen(arg) >= sizeof(tmp))
			return rule_perr(ps, "urilen: invalid value '%s'", arg);
		strcpy(tmp, arg);
		{
			int n = split(tmp, ',', parts, 2);
			if (n < 0)
				return rule_perr(ps, "urilen: invalid value '%s'", arg);
			val = parts[0];
			list = RULE_LIST_BUF + APP_BUF_HTTP_URI;
			if (n == 2) {
				if (!strcmp(parts[1], "raw")) {
					extra = RULE_CMPF_RAW;
					list = RULE_LIST_BUF + APP_BUF_HTTP_URI_RAW;
				} else if (strcmp(parts[1], "norm")) {
					return rule_perr(ps, "urilen: expected 'norm' or 'raw', got '%s'", parts[1]);
				}
			}
		}
		{
			int rc = bind_app(ps, "urilen", APP_HTTP);
			if (rc < 0)
				return rc;
		}
		break;
	case RULE_KW_IP_PROTO: {
		static const struct { const char *n; int v; } names[] = {
			{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ipv6-icmp", 58},
			{"gre", 47}, {"esp", 50}, {"ah", 51}, {"sctp", 132}, {"igmp", 2},
		};
		const char *s = arg;
		char op = 0;
		if (*s == '!' || *s == '<' || *s == '>')
			op = *s++;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!strcasecmp(s, names[i].n)) {
				snprintf(tmp, sizeof(tmp), "%s%d", op == '!' ? "!" : op == '<' ? "<" : op == '>' ? ">" : "", names[i].v);
				val = tmp;
			}
		}
		break;
	}
	default:
		break;
	}
	struct rule_cmp *c = calloc(1, sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	int rc = parse_cmp(ps, kw->name, val, max, c);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->flags |= extra;
	return rule_sm_append(ps, list, kw->id, c);
}

static int kw_stream_size(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[96];
	char *parts[4];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "stream_size: invalid argument");
	strcpy(tmp, arg);
	if (split(tmp, ',', parts, 3) != 3)
		return rule_perr(ps, "stream_size: expected 'side,operator,value'");
	uint8_t side;
	if (!strcmp(parts[0], "server"))
		side = RULE_CMPF_SERVER;
	else if (!strcmp(parts[0], "client"))
		side = RULE_CMPF_CLIENT;
	else if (!strcmp(parts[0], "both"))
		side = RULE_CMPF_SERVER | RULE_CMPF_CLIENT;
	else if (!strcmp(parts[0], "either"))
		side = RULE_CMPF_EITHER;
	else
		return rule_perr(ps, "stream_size: unknown side '%s'", parts[0]);
	static const struct { const char *s; uint8_t op; } ops[] = {
		{"<", RULE_CMP_LT}, {">", RULE_CMP_GT}, {"=", RULE_CMP_EQ}, {"!=", RULE_CMP_NE},
		{"<=", RULE_CMP_LE}, {">=", RULE_CMP_GE},
	};
	size_t i;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(parts[1], ops[i].s))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return rule_perr(ps, "stream_size: unknown operator '%s'", parts[1]);
	int64_t v;
	if (!parse_num(parts[2], 0, UINT32_MAX, &v))
		return rule_perr(ps, "stream_size: invalid value '%s'", parts[2]);
	struct rule_cmp *c = calloc(1, sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = (struct rule_cmp){.op = ops[i].op, .flags = side, .lo = (uint64_t)v};
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

/* ---- isdataat, byte_*, base64 ------------------------------------------ */

static int kw_isdataat(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[96];
	char *parts[4];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "isdataat: invalid argument");
	strcpy(tmp, arg);
	int n = split(tmp, ',', parts, 3);
	if (n < 0)
		return rule_perr(ps, "isdataat: too many options");
	struct rule_isdataat d = {0};
	char *v = parts[0];
	if (*v == '!') {
		d.flags |= RULE_IF_NEGATED;
		v = trim(v + 1);
	}
	int64_t num;
	bool is_var;
	int rc = num_or_var(ps, kw->name, v, 0, CONTENT_MAX, &num, &is_var);
	if (rc < 0)
		return rc;
	d.n = (uint32_t)num;
	if (is_var)
		d.flags |= RULE_IF_VAR;
	for (int i = 1; i < n; i++) {
		if (!strcmp(parts[i], "relative"))
			d.flags |= RULE_IF_RELATIVE;
		else if (!strcmp(parts[i], "rawbytes"))
			d.flags |= RULE_IF_RAWBYTES;
		else
			return rule_perr(ps, "isdataat: unknown option '%s'", parts[i]);
	}
	struct rule_isdataat *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = d;
	if (d.flags & RULE_IF_RELATIVE)
		mark_relative_next(ps->r, ps->cur_list, ps->r->lists[ps->cur_list].n);
	return rule_sm_append(ps, ps->cur_list, kw->id, c);
}

static int byte_base(struct rule_parse *ps, const char *kwname, const char *s, struct rule_byte *b)
{
	if (!strcmp(s, "hex"))
		b->base = 16;
	else if (!strcmp(s, "dec"))
		b->base = 10;
	else if (!strcmp(s, "oct"))
		b->base = 8;
	else
		return rule_perr(ps, "%s: unknown number base '%s'", kwname, s);
	return 0;
}

/* Options shared by byte_test/jump/extract; returns 1 if handled. */
static int byte_common_opt(struct rule_parse *ps, const char *kwname, char *opt,
			   struct rule_byte *b)
{
	char *sp = opt;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	char *val = NULL;
	if (*sp) {
		*sp = 0;
		val = trim(sp + 1);
	}
	int64_t v;
	if (!strcmp(opt, "relative") && !val) {
		b->flags |= RULE_BF_RELATIVE;
	} else if (!strcmp(opt, "big") && !val) {
		b->flags |= RULE_BF_BIG;
	} else if (!strcmp(opt, "little") && !val) {
		b->flags |= RULE_BF_LITTLE;
	} else if (!strcmp(opt, "dce") && !val) {
		b->flags |= RULE_BF_DCE;
	} else if (!strcmp(opt, "string")) {
		b->flags |= RULE_BF_STRING;
		if (!b->base)
			b->base = 10;
		if (val)
			return byte_base(ps, kwname, val, b) < 0 ? MAMORI_EFORMAT : 1;
	} else if ((!strcmp(opt, "hex") || !strcmp(opt, "dec") || !strcmp(opt, "oct")) && !val) {
		if (byte_base(ps, kwname, opt, b) < 0)
			return MAMORI_EFORMAT;
	} else if (!strcmp(opt, "bitmask") && val) {
		if (!parse_num(val, 0, UINT32_MAX, &v))
			return rule_perr(ps, "%s: invalid bitmask '%s'", kwname, val);
		b->flags |= RULE_BF_BITMASK;
		b->bitmask = (uint32_t)v;
	} else if (!strcmp(opt, "endian") && val) {
		if (!strcmp(val, "big"))
			b->flags |= RULE_BF_BIG;
		else if (!strcmp(val, "little"))
			b->flags |= RULE_BF_LITTLE;
		else
			return rule_perr(ps, "%s: unknown endian '%s'", kwname, val);
	} else {
		if (val)
			val[-1] = ' ';
		return 0;
	}
	return 1;
}

static int byte_check(struct rule_parse *ps, const char *kwname, struct rule_byte *b)
{
	/* byte_jump:0,... only applies post_offset (Suricata allows it) */
	bool jump0 = !strcmp(kwname, "byte_jump");
	if ((b->flags & RULE_BF_BIG) && (b->flags & RULE_BF_LITTLE))
		return rule_perr(ps, "%s: both big and little endian given", kwname);
	if ((b->flags & RULE_BF_DCE) && (b->flags & (RULE_BF_BIG | RULE_BF_LITTLE)))
		return rule_perr(ps, "%s: dce cannot be used with an explicit endianness", kwname);
	/* With string an endianness is meaningless; Suricata ignores it and so
	 * do we.  nbytes 0 with string reads every digit present. */
	if (b->flags & RULE_BF_STRING) {
		if (b->nbytes > 23)
			return rule_perr(ps, "%s: string conversions take at most 23 bytes", kwname);
		b->flags &= ~(uint32_t)(RULE_BF_BIG | RULE_BF_LITTLE);
	} else if (b->nbytes > 8) {
		return rule_perr(ps, "%s: at most 8 bytes can be converted", kwname);
	} else if (b->nbytes == 0 && !(b->flags & RULE_BF_NBYTES_VAR) && !jump0) {
		return rule_perr(ps, "%s: 0 bytes can only be used with string", kwname);
	}
	if (b->base && !(b->flags & RULE_BF_STRING))
		return rule_perr(ps, "%s: a number base needs 'string'", kwname);
	return 0;
}

static int byte_append(struct rule_parse *ps, uint16_t kw, struct rule_byte *b)
{
	struct rule_byte *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = *b;
	if (b->flags & RULE_BF_RELATIVE)
		mark_relative_next(ps->r, ps->cur_list, ps->r->lists[ps->cur_list].n);
	return rule_sm_append(ps, ps->cur_list, kw, c);
}

static int kw_byte_test(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "byte_test: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 4)
		return rule_perr(ps, "byte_test: expected 'bytes,operator,value,offset[,options]'");
	struct rule_byte b = {.multiplier = 1};
	int64_t v;
	bool is_var;
	int rc = num_or_var(ps, "byte_test", p[0], 0, 23, &v, &is_var);
	if (rc < 0)
		return rc;
	b.nbytes = (uint8_t)(is_var ? 0 : v);
	if (is_var) {
		b.flags |= RULE_BF_NBYTES_VAR;
		b.var = (int8_t)v;
	}
	char *op = p[1];
	if (*op == '!') {
		b.flags |= RULE_BF_NEGATED;
		op = trim(op + 1);
		if (!*op) {
			op = (char *)"=";
		}
	}
	static const struct { const char *s; uint8_t op; } ops[] = {
		{"<", RULE_BOP_LT}, {">", RULE_BOP_GT}, {"=", RULE_BOP_EQ}, {"&", RULE_BOP_AND},
		{"^", RULE_BOP_XOR}, {"<=", RULE_BOP_LE}, {">=", RULE_BOP_GE},
	};
	size_t i;
	if (!strcmp(op, "!=")) {
		b.flags |= RULE_BF_NEGATED;
		op = (char *)"=";
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].s))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return rule_perr(ps, "byte_test: unknown operator '%s'", p[1]);
	b.op = ops[i].op;
	rc = num_or_var(ps, "byte_test", p[2], 0, INT64_MAX, &v, &is_var);
	if (rc < 0)
		return rc;
	b.value = (uint64_t)v;
	if (is_var)
		b.flags |= RULE_BF_VALUE_VAR;
	rc = num_or_var(ps, "byte_test", p[3], -OFFSET_MAX, OFFSET_MAX, &v, &is_var);
	if (rc < 0)
		return rc;
	b.offset = (int32_t)v;
	if (is_var)
		b.flags |= RULE_BF_OFFSET_VAR;
	for (int k = 4; k < n; k++) {
		rc = byte_common_opt(ps, "byte_test", p[k], &b);
		if (rc < 0)
			return rc;
		if (!rc)
			return rule_perr(ps, "byte_test: unknown option '%s'", p[k]);
	}
	rc = byte_check(ps, "byte_test", &b);
	if (rc < 0)
		return rc;
	return byte_append(ps, kw->id, &b);
}

static int kw_byte_jump(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "byte_jump: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 2)
		return rule_perr(ps, "byte_jump: expected 'bytes,offset[,options]'");
	struct rule_byte b = {.multiplier = 1};
	int64_t v;
	bool is_var;
	int rc = num_or_var(ps, "byte_jump", p[0], 0, 23, &v, &is_var);
	if (rc < 0)
		return rc;
	b.nbytes = (uint8_t)(is_var ? 0 : v);
	if (is_var) {
		b.flags |= RULE_BF_NBYTES_VAR;
		b.var = (int8_t)v;
	}
	rc = num_or_var(ps, "byte_jump", p[1], -OFFSET_MAX, OFFSET_MAX, &v, &is_var);
	if (rc < 0)
		return rc;
	b.offset = (int32_t)v;
	if (is_var)
		b.flags |= RULE_BF_OFFSET_VAR;
	for (int k = 2; k < n; k++) {
		rc = byte_common_opt(ps, "byte_jump", p[k], &b);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		char *o = p[k];
		char *sp = strchr(o, ' ');
		char *val = NULL;
		if (sp) {
			*sp = 0;
			val = trim(sp + 1);
		}
		if (!strcmp(o, "align") && !val) {
			b.flags |= RULE_BF_ALIGN;
			b.align = 4;
		} else if (!strcmp(o, "from_beginning") && !val) {
			b.flags |= RULE_BF_FROM_BEGINNING;
		} else if (!strcmp(o, "from_end") && !val) {
			b.flags |= RULE_BF_FROM_END;
		} else if (!strcmp(o, "multiplier") && val) {
			if (!parse_num(val, 1, 65535, &v))
				return rule_perr(ps, "byte_jump: invalid multiplier '%s'", val);
			b.multiplier = (uint32_t)v;
		} else if (!strcmp(o, "post_offset") && val) {
			if (!parse_num(val, -OFFSET_MAX, OFFSET_MAX, &v))
				return rule_perr(ps, "byte_jump: invalid post_offset '%s'", val);
			b.post_offset = (int32_t)v;
		} else {
			if (val)
				val[-1] = ' ';
			return rule_perr(ps, "byte_jump: unknown option '%s'", p[k]);
		}
	}
	if ((b.flags & RULE_BF_FROM_BEGINNING) && (b.flags & RULE_BF_FROM_END))
		return rule_perr(ps, "byte_jump: from_beginning and from_end both given");
	rc = byte_check(ps, "byte_jump", &b);
	if (rc < 0)
		return rc;
	return byte_append(ps, kw->id, &b);
}

static int new_var(struct rule_parse *ps, const char *kwname, const char *name, int8_t *out)
{
	if (!is_ident(name))
		return rule_perr(ps, "%s: invalid variable name '%s'", kwname, name);
	if (find_var(ps->r, name) >= 0)
		return rule_perr(ps, "%s: variable '%s' already defined", kwname, name);
	if (ps->r->nvars >= RULE_MAX_VARS)
		return rule_perr(ps, "%s: more than %d variables in one rule", kwname, RULE_MAX_VARS);
	char *c = strdup(name);
	if (!c)
		return MAMORI_ENOMEM;
	*out = (int8_t)ps->r->nvars;
	ps->r->vars[ps->r->nvars++] = c;
	return 0;
}

static int kw_byte_extract(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "byte_extract: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 3)
		return rule_perr(ps, "byte_extract: expected 'bytes,offset,name[,options]'");
	struct rule_byte b = {.multiplier = 1};
	int64_t v;
	if (!parse_num(p[0], 1, 23, &v))
		return rule_perr(ps, "byte_extract: invalid byte count '%s'", p[0]);
	b.nbytes = (uint8_t)v;
	if (!parse_num(p[1], -OFFSET_MAX, OFFSET_MAX, &v))
		return rule_perr(ps, "byte_extract: invalid offset '%s'", p[1]);
	b.offset = (int32_t)v;
	int rc;
	for (int k = 3; k < n; k++) {
		rc = byte_common_opt(ps, "byte_extract", p[k], &b);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		char *o = p[k];
		char *sp = strchr(o, ' ');
		char *val = NULL;
		if (sp) {
			*sp = 0;
			val = trim(sp + 1);
		}
		if (!strcmp(o, "multiplier") && val) {
			if (!parse_num(val, 1, 65535, &v))
				return rule_perr(ps, "byte_extract: invalid multiplier '%s'", val);
			b.multiplier = (uint32_t)v;
		} else if (!strcmp(o, "align") && val) {
			if (!parse_num(val, 2, 4, &v) || v == 3)
				return rule_perr(ps, "byte_extract: align must be 2 or 4, got '%s'", val);
			b.flags |= RULE_BF_ALIGN;
			b.align = (uint8_t)v;
		} else {
			if (val)
				val[-1] = ' ';
			return rule_perr(ps, "byte_extract: unknown option '%s'", p[k]);
		}
	}
	rc = byte_check(ps, "byte_extract", &b);
	if (rc < 0)
		return rc;
	rc = new_var(ps, "byte_extract", p[2], &b.var);
	if (rc < 0)
		return rc;
	return byte_append(ps, kw->id, &b);
}

/* byte_math: bytes N, offset N, oper OP, rvalue V, result NAME[, ...] */
static int kw_byte_math(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "byte_math: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "byte_math: too many options");
	struct rule_byte b = {.multiplier = 1};
	const char *result = NULL;
	unsigned seen = 0;
	int64_t v;
	bool is_var;
	int rc;
	for (int k = 0; k < n; k++) {
		rc = byte_common_opt(ps, "byte_math", p[k], &b);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		char *o = p[k];
		char *sp = strchr(o, ' ');
		if (!sp)
			return rule_perr(ps, "byte_math: unknown option '%s'", o);
		*sp = 0;
		char *val = trim(sp + 1);
		if (!strcmp(o, "bytes")) {
			if (!parse_num(val, 1, 10, &v))
				return rule_perr(ps, "byte_math: invalid bytes '%s'", val);
			b.nbytes = (uint8_t)v;
			seen |= 1;
		} else if (!strcmp(o, "offset")) {
			if (!parse_num(val, -OFFSET_MAX, OFFSET_MAX, &v))
				return rule_perr(ps, "byte_math: invalid offset '%s'", val);
			b.offset = (int32_t)v;
			seen |= 2;
		} else if (!strcmp(o, "oper")) {
			static const char *const mops[] = {"+", "-", "*", "/", "<<", ">>"};
			size_t i;
			for (i = 0; i < 6; i++)
				if (!strcmp(val, mops[i]))
					break;
			if (i == 6)
				return rule_perr(ps, "byte_math: unknown operator '%s'", val);
			b.op = (uint8_t)i;
			seen |= 4;
		} else if (!strcmp(o, "rvalue")) {
			rc = num_or_var(ps, "byte_math", val, 0, UINT32_MAX, &v, &is_var);
			if (rc < 0)
				return rc;
			b.value = (uint64_t)v;
			if (is_var)
				b.flags |= RULE_BF_RVALUE_VAR;
			seen |= 8;
		} else if (!strcmp(o, "result")) {
			result = val;
			seen |= 16;
		} else if (!strcmp(o, "multiplier")) {
			if (!parse_num(val, 1, 65535, &v))
				return rule_perr(ps, "byte_math: invalid multiplier '%s'", val);
			b.multiplier = (uint32_t)v;
		} else {
			return rule_perr(ps, "byte_math: unknown option '%s'", o);
		}
	}
	if (seen != 31)
		return rule_perr(ps, "byte_math: bytes, offset, oper, rvalue and result are required");
	if (b.op == RULE_MOP_DIV && !(b.flags & RULE_BF_RVALUE_VAR) && b.value == 0)
		return rule_perr(ps, "byte_math: division by zero");
	rc = byte_check(ps, "byte_math", &b);
	if (rc < 0)
		return rc;
	rc = new_var(ps, "byte_math", result, &b.var);
	if (rc < 0)
		return rc;
	return byte_append(ps, kw->id, &b);
}

static int kw_base64_decode(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	struct rule_b64 d = {0};
	if (arg) {
		char tmp[128];
		char *p[4];
		if (strlen(arg) >= sizeof(tmp))
			return rule_perr(ps, "base64_decode: argument too long");
		strcpy(tmp, arg);
		int n = split(tmp, ',', p, 3);
		if (n < 0)
			return rule_perr(ps, "base64_decode: too many options");
		for (int k = 0; k < n; k++) {
			int64_t v;
			char *sp = strchr(p[k], ' ');
			if (!strcmp(p[k], "relative")) {
				d.relative = true;
				continue;
			}
			if (!sp)
				return rule_perr(ps, "base64_decode: unknown option '%s'", p[k]);
			*sp = 0;
			char *val = trim(sp + 1);
			if (!strcmp(p[k], "bytes")) {
				if (!parse_num(val, 1, UINT32_MAX, &v))
					return rule_perr(ps, "base64_decode: invalid bytes '%s'", val);
				d.bytes = (uint32_t)v;
			} else if (!strcmp(p[k], "offset")) {
				if (!parse_num(val, 0, UINT32_MAX, &v))
					return rule_perr(ps, "base64_decode: invalid offset '%s'", val);
				d.offset = (uint32_t)v;
			} else {
				return rule_perr(ps, "base64_decode: unknown option '%s'", p[k]);
			}
		}
	}
	if (ps->cur_list == RULE_LIST_BASE64)
		return rule_perr(ps, "base64_decode cannot be used after base64_data");
	struct rule_b64 *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = d;
	if (d.relative)
		mark_relative_next(ps->r, ps->cur_list, ps->r->lists[ps->cur_list].n);
	return rule_sm_append(ps, ps->cur_list, kw->id, c);
}

static int kw_base64_data(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	(void)kw;
	(void)arg;
	bool have = false;
	for (int l = 0; l < RULE_LIST_MAX && !have; l++)
		for (uint32_t i = 0; i < ps->r->lists[l].n; i++)
			if (ps->r->lists[l].v[i].kw == RULE_KW_BASE64_DECODE)
				have = true;
	if (!have)
		return rule_perr(ps, "base64_data needs a preceding base64_decode");
	ps->cur_list = RULE_LIST_BASE64;
	return 0;
}

/* ---- flow and state ---------------------------------------------------- */

static int kw_flow(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const struct { const char *s; uint32_t f; } opts[] = {
		{"established", RULE_FLOW_ESTABLISHED},
		{"not_established", RULE_FLOW_NOT_ESTABLISHED},
		{"stateless", RULE_FLOW_STATELESS},
		{"to_server", RULE_FLOW_TOSERVER}, {"from_client", RULE_FLOW_TOSERVER},
		{"to_client", RULE_FLOW_TOCLIENT}, {"from_server", RULE_FLOW_TOCLIENT},
		{"only_stream", RULE_FLOW_ONLY_STREAM}, {"no_stream", RULE_FLOW_NO_STREAM},
		{"only_frag", RULE_FLOW_ONLY_FRAG}, {"no_frag", RULE_FLOW_NO_FRAG},
	};
	char tmp[128];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "flow: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "flow: too many options");
	uint32_t f = 0;
	for (int k = 0; k < n; k++) {
		size_t i;
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (!strcmp(p[k], opts[i].s))
				break;
		if (i == sizeof(opts) / sizeof(opts[0]))
			return rule_perr(ps, "flow: unknown option '%s'", p[k]);
		if (f & opts[i].f)
			return rule_perr(ps, "flow: '%s' given twice", p[k]);
		f |= opts[i].f;
	}
	static const uint32_t excl[][2] = {
		{RULE_FLOW_TOSERVER, RULE_FLOW_TOCLIENT},
		{RULE_FLOW_ESTABLISHED, RULE_FLOW_NOT_ESTABLISHED},
		{RULE_FLOW_ESTABLISHED, RULE_FLOW_STATELESS},
		{RULE_FLOW_NOT_ESTABLISHED, RULE_FLOW_STATELESS},
		{RULE_FLOW_ONLY_STREAM, RULE_FLOW_NO_STREAM},
		{RULE_FLOW_ONLY_FRAG, RULE_FLOW_NO_FRAG},
	};
	for (size_t i = 0; i < sizeof(excl) / sizeof(excl[0]); i++)
		if ((f & excl[i][0]) && (f & excl[i][1]))
			return rule_perr(ps, "flow: conflicting options in '%s'", arg);
	for (uint32_t i = 0; i < ps->r->lists[RULE_LIST_MATCH].n; i++)
		if (ps->r->lists[RULE_LIST_MATCH].v[i].kw == RULE_KW_FLOW)
			return rule_perr(ps, "flow: used twice in one rule");
	struct rule_flow *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	c->flags = f;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static bool bit_name_ok(const char *s)
{
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == ',' || *s == ';' || *s == '"')
			return false;
	return true;
}

static const struct { const char *s; uint8_t cmd; } bits_cmds[] = {
	{"set", RULE_BITS_SET}, {"unset", RULE_BITS_UNSET}, {"toggle", RULE_BITS_TOGGLE},
	{"isset", RULE_BITS_ISSET}, {"isnotset", RULE_BITS_ISNOTSET},
	{"noalert", RULE_BITS_NOALERT},
};

static int bits_names(struct rule_parse *ps, const char *kwname, struct rule_bits *b, char *names)
{
	char *p[SPLIT_MAX];
	int n = split(names, '|', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "%s: too many names in an OR list", kwname);
	if (n > 1 && b->cmd != RULE_BITS_ISSET && b->cmd != RULE_BITS_ISNOTSET)
		return rule_perr(ps, "%s: OR lists ('|') work only with isset and isnotset", kwname);
	for (int i = 0; i < n; i++) {
		if (!bit_name_ok(p[i]))
			return rule_perr(ps, "%s: invalid name '%s'", kwname, p[i]);
		int rc = add_string(&b->names, &b->n, p[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int bits_append(struct rule_parse *ps, uint16_t kw, struct rule_bits *b)
{
	int list = (b->cmd == RULE_BITS_ISSET || b->cmd == RULE_BITS_ISNOTSET)
			   ? RULE_LIST_MATCH
			   : RULE_LIST_POSTMATCH;
	return rule_sm_append(ps, list, kw, b);
}

static int kw_flowbits(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[1024];
	char *p[3];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "flowbits: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 2);
	if (n < 0)
		return rule_perr(ps, "flowbits: expected 'command[,name]'");
	size_t i;
	for (i = 0; i < sizeof(bits_cmds) / sizeof(bits_cmds[0]); i++)
		if (!strcmp(p[0], bits_cmds[i].s))
			break;
	if (i == sizeof(bits_cmds) / sizeof(bits_cmds[0]))
		return rule_perr(ps, "flowbits: unknown command '%s'", p[0]);
	if (bits_cmds[i].cmd == RULE_BITS_NOALERT) {
		if (n != 1)
			return rule_perr(ps, "flowbits: noalert takes no name");
		ps->r->flags |= RULE_F_NOALERT;
		return 0;
	}
	if (n != 2)
		return rule_perr(ps, "flowbits: '%s' needs a name", p[0]);
	struct rule_bits *b = calloc(1, sizeof(*b));
	if (!b)
		return MAMORI_ENOMEM;
	b->cmd = bits_cmds[i].cmd;
	b->track = RULE_TRACK_FLOW;
	int rc = bits_names(ps, "flowbits", b, p[1]);
	if (rc < 0) {
		free_bits(b);
		return rc;
	}
	return bits_append(ps, kw->id, b);
}

/* xbits:cmd,name,track ip_src|ip_dst|ip_pair[,expire N]
 * hostbits:cmd,name[,src|dst|both|track ip_src|ip_dst][,expire N] */
static int kw_xbits(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[1024];
	char *p[6];
	const char *kn = kw->name;
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "%s: argument too long", kn);
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 5);
	if (n < 0)
		return rule_perr(ps, "%s: too many options", kn);
	size_t i;
	for (i = 0; i < sizeof(bits_cmds) / sizeof(bits_cmds[0]); i++)
		if (!strcmp(p[0], bits_cmds[i].s))
			break;
	if (i == sizeof(bits_cmds) / sizeof(bits_cmds[0]))
		return rule_perr(ps, "%s: unknown command '%s'", kn, p[0]);
	if (bits_cmds[i].cmd == RULE_BITS_NOALERT) {
		if (n != 1)
			return rule_perr(ps, "%s: noalert takes no name", kn);
		ps->r->flags |= RULE_F_NOALERT;
		return 0;
	}
	if (n < 2)
		return rule_perr(ps, "%s: '%s' needs a name", kn, p[0]);
	struct rule_bits *b = calloc(1, sizeof(*b));
	if (!b)
		return MAMORI_ENOMEM;
	b->cmd = bits_cmds[i].cmd;
	b->track = kw->id == RULE_KW_HOSTBITS ? RULE_TRACK_SRC : RULE_TRACK_NONE;
	int rc = bits_names(ps, kn, b, p[1]);
	if (rc < 0)
		goto out;
	for (int k = 2; k < n; k++) {
		char *o = p[k];
		char *sp = strchr(o, ' ');
		char *val = NULL;
		if (sp) {
			*sp = 0;
			val = trim(sp + 1);
		}
		int64_t v;
		if (!strcmp(o, "track") && val) {
			if (!strcmp(val, "ip_src"))
				b->track = RULE_TRACK_SRC;
			else if (!strcmp(val, "ip_dst"))
				b->track = RULE_TRACK_DST;
			else if (!strcmp(val, "ip_pair") && kw->id == RULE_KW_XBITS)
				b->track = RULE_TRACK_PAIR;
			else {
				rc = rule_perr(ps, "%s: unknown track '%s'", kn, val);
				goto out;
			}
		} else if (!strcmp(o, "expire") && val) {
			if (!parse_num(val, 1, UINT32_MAX, &v)) {
				rc = rule_perr(ps, "%s: invalid expire '%s'", kn, val);
				goto out;
			}
			b->expire = (uint32_t)v;
		} else if (kw->id == RULE_KW_HOSTBITS && !val &&
			   (!strcmp(o, "src") || !strcmp(o, "dst") || !strcmp(o, "both"))) {
			b->track = !strcmp(o, "src") ? RULE_TRACK_SRC
				   : !strcmp(o, "dst") ? RULE_TRACK_DST : RULE_TRACK_BOTH;
		} else {
			if (val)
				val[-1] = ' ';
			rc = rule_perr(ps, "%s: unknown option '%s'", kn, o);
			goto out;
		}
	}
	if (b->track == RULE_TRACK_NONE) {
		rc = rule_perr(ps, "%s: 'track ip_src|ip_dst|ip_pair' is required", kn);
		goto out;
	}
	return bits_append(ps, kw->id, b);
out:
	free_bits(b);
	return rc;
}

static int kw_flowint(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const struct { const char *s; uint8_t op; bool value; } ops[] = {
		{"=", RULE_FI_SET, true},  {"+", RULE_FI_ADD, true}, {"-", RULE_FI_SUB, true},
		{"==", RULE_FI_EQ, true},  {"!=", RULE_FI_NE, true}, {"<", RULE_FI_LT, true},
		{">", RULE_FI_GT, true},   {"<=", RULE_FI_LE, true}, {">=", RULE_FI_GE, true},
		{"isset", RULE_FI_ISSET, false}, {"notset", RULE_FI_ISNOTSET, false},
		{"isnotset", RULE_FI_ISNOTSET, false},
	};
	char tmp[512];
	char *p[4];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "flowint: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 3);
	if (n < 2)
		return rule_perr(ps, "flowint: expected 'name,operator[,value]'");
	if (!is_ident(p[0]))
		return rule_perr(ps, "flowint: invalid name '%s'", p[0]);
	size_t i;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(p[1], ops[i].s))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return rule_perr(ps, "flowint: unknown operator '%s'", p[1]);
	if (ops[i].value != (n == 3))
		return rule_perr(ps, ops[i].value ? "flowint: '%s' needs a value"
						  : "flowint: '%s' takes no value", p[1]);
	struct rule_flowint *f = calloc(1, sizeof(*f));
	if (!f)
		return MAMORI_ENOMEM;
	f->op = ops[i].op;
	f->name = strdup(p[0]);
	int rc = 0;
	if (!f->name) {
		rc = MAMORI_ENOMEM;
	} else if (n == 3) {
		int64_t v;
		if (parse_num(p[2], 0, UINT32_MAX, &v)) {
			f->value = (uint32_t)v;
		} else if (is_ident(p[2])) {
			f->value_is_var = true;
			f->var = strdup(p[2]);
			if (!f->var)
				rc = MAMORI_ENOMEM;
		} else {
			rc = rule_perr(ps, "flowint: invalid value '%s'", p[2]);
		}
	}
	if (rc < 0) {
		free_flowint(f);
		return rc;
	}
	int list = f->op <= RULE_FI_SUB ? RULE_LIST_POSTMATCH : RULE_LIST_MATCH;
	return rule_sm_append(ps, list, kw->id, f);
}

static int kw_threshold(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	const char *kn = kw->name;
	bool df = kw->id == RULE_KW_DETECTION_FILTER;
	/* Like Suricata: several thresholds may stack, but threshold and
	 * detection_filter exclude each other. */
	for (uint32_t i = 0; i < ps->r->lists[RULE_LIST_THRESHOLD].n; i++) {
		uint16_t other = ps->r->lists[RULE_LIST_THRESHOLD].v[i].kw;
		if (other == RULE_KW_DETECTION_FILTER || df)
			return rule_perr(ps, other == kw->id && df
					 ? "%s: used twice in one rule"
					 : "%s: threshold and detection_filter cannot be used in the same rule", kn);
	}
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "%s: argument too long", kn);
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "%s: too many options", kn);
	struct rule_threshold t = {.type = df ? RULE_THR_DETECTION_FILTER : RULE_THR_LIMIT};
	unsigned seen = df ? 1 : 0;
	for (int k = 0; k < n; k++) {
		char *o = p[k];
		char *sp = o;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		if (!*sp)
			return rule_perr(ps, "%s: expected 'name value', got '%s'", kn, o);
		*sp = 0;
		char *val = trim(sp + 1);
		int64_t v;
		if (!strcmp(o, "type") && !df) {
			if (!strcmp(val, "limit"))
				t.type = RULE_THR_LIMIT;
			else if (!strcmp(val, "threshold"))
				t.type = RULE_THR_THRESHOLD;
			else if (!strcmp(val, "both"))
				t.type = RULE_THR_BOTH;
			else
				return rule_perr(ps, "%s: unknown type '%s'", kn, val);
			seen |= 1;
		} else if (!strcmp(o, "track")) {
			if (!strcmp(val, "by_src"))
				t.track = RULE_TRACK_SRC;
			else if (!strcmp(val, "by_dst"))
				t.track = RULE_TRACK_DST;
			else if (!strcmp(val, "by_rule"))
				t.track = RULE_TRACK_RULE;
			else if (!strcmp(val, "by_both"))
				t.track = RULE_TRACK_BOTH;
			else
				return rule_perr(ps, "%s: unknown track '%s'", kn, val);
			seen |= 2;
		} else if (!strcmp(o, "count")) {
			if (!parse_num(val, 1, UINT32_MAX, &v))
				return rule_perr(ps, "%s: invalid count '%s'", kn, val);
			t.count = (uint32_t)v;
			seen |= 4;
		} else if (!strcmp(o, "seconds")) {
			if (!parse_num(val, 1, UINT32_MAX, &v))
				return rule_perr(ps, "%s: invalid seconds '%s'", kn, val);
			t.seconds = (uint32_t)v;
			seen |= 8;
		} else {
			return rule_perr(ps, "%s: unknown option '%s'", kn, o);
		}
	}
	if (seen != 15)
		return rule_perr(ps, df ? "%s: track, count and seconds are required"
					: "%s: type, track, count and seconds are required", kn);
	struct rule_threshold *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = t;
	return rule_sm_append(ps, RULE_LIST_THRESHOLD, kw->id, c);
}

static int kw_dataset(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[1024];
	char *p[SPLIT_MAX];
	if (ps->cur_list < RULE_LIST_BUF)
		return rule_perr(ps, "dataset needs a sticky buffer");
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "dataset: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 2)
		return rule_perr(ps, "dataset: expected 'command,name[,options]'");
	struct rule_dataset *d = calloc(1, sizeof(*d));
	if (!d)
		return MAMORI_ENOMEM;
	int rc = 0;
	bool have_type = false;
	if (!strcmp(p[0], "set"))
		d->cmd = RULE_DS_SET;
	else if (!strcmp(p[0], "isset"))
		d->cmd = RULE_DS_ISSET;
	else if (!strcmp(p[0], "isnotset"))
		d->cmd = RULE_DS_ISNOTSET;
	else if (!strcmp(p[0], "unset"))
		d->cmd = RULE_DS_UNSET;
	else
		FAIL(rule_perr(ps, "dataset: unknown command '%s'", p[0]));
	if (!is_ident(p[1]))
		FAIL(rule_perr(ps, "dataset: invalid name '%s'", p[1]));
	d->name = strdup(p[1]);
	if (!d->name)
		FAIL(MAMORI_ENOMEM);
	for (int k = 2; k < n; k++) {
		char *o = p[k];
		char *sp = o;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		if (!*sp)
			FAIL(rule_perr(ps, "dataset: expected 'name value', got '%s'", o));
		*sp = 0;
		char *val = unquote(trim(sp + 1));
		int64_t v;
		if (!strcmp(o, "type")) {
			static const char *const types[] = {"string", "md5", "sha256", "ipv4", "ip"};
			size_t i;
			for (i = 0; i < 5; i++)
				if (!strcmp(val, types[i]))
					break;
			if (i == 5)
				FAIL(rule_perr(ps, "dataset: unknown type '%s'", val));
			d->type = (uint8_t)i;
			have_type = true;
		} else if (!strcmp(o, "load") || !strcmp(o, "save") || !strcmp(o, "state")) {
			if (!*val || strstr(val, ".."))
				FAIL(rule_perr(ps, "dataset: invalid file name '%s'", val));
			char **dst[2] = {NULL, NULL};
			if (o[1] == 'o' || o[1] == 't')	/* load, state */
				dst[0] = &d->load;
			if (o[1] == 'a' || o[1] == 't')	/* save, state */
				dst[1] = &d->save;
			for (int j = 0; j < 2; j++) {
				if (!dst[j])
					continue;
				if (*dst[j])
					FAIL(rule_perr(ps, "dataset: '%s' conflicts with an earlier file option", o));
				*dst[j] = strdup(val);
				if (!*dst[j])
					FAIL(MAMORI_ENOMEM);
			}
		} else if (!strcmp(o, "memcap")) {
			char *e;
			errno = 0;
			unsigned long long m = strtoull(val, &e, 10);
			if (e == val || errno)
				FAIL(rule_perr(ps, "dataset: invalid memcap '%s'", val));
			if (*e == 'k' || *e == 'K') { m <<= 10; e++; }
			else if (*e == 'm' || *e == 'M') { m <<= 20; e++; }
			else if (*e == 'g' || *e == 'G') { m <<= 30; e++; }
			if (*e == 'b' || *e == 'B')
				e++;
			if (*e)
				FAIL(rule_perr(ps, "dataset: invalid memcap '%s'", val));
			d->memcap = m;
		} else if (!strcmp(o, "hashsize")) {
			if (!parse_num(val, 1, UINT32_MAX, &v))
				FAIL(rule_perr(ps, "dataset: invalid hashsize '%s'", val));
			d->hashsize = (uint32_t)v;
		} else {
			FAIL(rule_perr(ps, "dataset: unknown option '%s'", o));
		}
	}
	if (!have_type)
		FAIL(rule_perr(ps, "dataset: 'type' is required"));
	rc = rule_sm_append(ps, ps->cur_list, kw->id, d);
	d = NULL;
out:
	free_dataset(d);
	return rc;
}

static int kw_tag(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[128];
	char *p[5];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "tag: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 4);
	if (n < 0 || n == 2)
		return rule_perr(ps, "tag: expected 'session|host[,count,metric[,src|dst]]'");
	struct rule_tag t = {0};
	if (!strcmp(p[0], "host"))
		t.host = true;
	else if (strcmp(p[0], "session"))
		return rule_perr(ps, "tag: unknown type '%s'", p[0]);
	if (n >= 3) {
		int64_t v;
		if (!parse_num(p[1], 1, UINT32_MAX, &v))
			return rule_perr(ps, "tag: invalid count '%s'", p[1]);
		t.count = (uint32_t)v;
		if (!strcmp(p[2], "packets"))
			t.metric = 0;
		else if (!strcmp(p[2], "seconds"))
			t.metric = 1;
		else if (!strcmp(p[2], "bytes"))
			t.metric = 2;
		else
			return rule_perr(ps, "tag: unknown metric '%s'", p[2]);
	}
	if (n == 4) {
		if (!t.host)
			return rule_perr(ps, "tag: direction only applies to host tags");
		if (!strcmp(p[3], "src"))
			t.dir = 0;
		else if (!strcmp(p[3], "dst"))
			t.dir = 1;
		else
			return rule_perr(ps, "tag: unknown direction '%s'", p[3]);
	}
	struct rule_tag *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = t;
	return rule_sm_append(ps, RULE_LIST_POSTMATCH, kw->id, c);
}

/* ---- packet header and protocol keywords ------------------------------- */

static int kw_str(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg,
		  bool negated, int list)
{
	struct rule_str *s = calloc(1, sizeof(*s));
	if (!s)
		return MAMORI_ENOMEM;
	s->s = strdup(arg);
	if (!s->s) {
		free(s);
		return MAMORI_ENOMEM;
	}
	s->negated = negated;
	return rule_sm_append(ps, list, kw->id, s);
}

static int kw_app_event(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	const char *s = arg;
	bool neg = false;
	if (*s == '!') {
		neg = true;
		s++;
	}
	if (!is_ident(s))
		return rule_perr(ps, "app-layer-event: invalid event '%s'", arg);
	return kw_str(ps, kw, s, neg, RULE_LIST_MATCH);
}

static int kw_event(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	bool ok = *arg != 0;
	for (const char *p = arg; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			ok = false;
	if (!ok)
		return rule_perr(ps, "%s: invalid event '%s'", kw->name, arg);
	return kw_str(ps, kw, arg, false, RULE_LIST_MATCH);
}

static int kw_app_proto(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	const char *s = arg;
	bool neg = false;
	if (*s == '!') {
		neg = true;
		s++;
	}
	char tmp[64];
	char *p[3];
	if (strlen(s) >= sizeof(tmp))
		return rule_perr(ps, "app-layer-protocol: invalid protocol '%s'", arg);
	strcpy(tmp, s);
	int n = split(tmp, ',', p, 2);
	if (n < 0 || !is_ident(p[0]))
		return rule_perr(ps, "app-layer-protocol: invalid protocol '%s'", arg);
	if (n == 2 && strcmp(p[1], "final") && strcmp(p[1], "original") &&
	    strcmp(p[1], "either") && strcmp(p[1], "to_server") && strcmp(p[1], "to_client") &&
	    strcmp(p[1], "direction"))
		return rule_perr(ps, "app-layer-protocol: unknown mode '%s'", p[1]);
	return kw_str(ps, kw, p[0], neg, RULE_LIST_MATCH);
}

static int kw_ipopts(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const char *const names[] = {"rr", "eol", "nop", "ts", "sec", "esec", "lsrr",
					    "lsrre", "ssrr", "satid", "any"};
	const char *s = arg;
	bool neg = false;
	if (*s == '!') {
		neg = true;
		s++;
	}
	for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			struct rule_bitmask *m = calloc(1, sizeof(*m));
			if (!m)
				return MAMORI_ENOMEM;
			m->want = 1u << i;
			m->mode = RULE_BM_ANY;
			m->negated = neg;
			return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, m);
		}
	}
	return rule_perr(ps, "ipopts: unknown option '%s'", arg);
}

/* flags:[!+*]SAFRPUCE0[,mask]  and  fragbits:[!+*]MDR */
static int kw_tcpflags(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	bool frag = kw->id == RULE_KW_FRAGBITS;
	const char *letters = frag ? "MDR" : "FSRPAUEC";
	char tmp[64];
	char *p[3];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "%s: invalid value '%s'", kw->name, arg);
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 2);
	if (n < 0 || (frag && n != 1))
		return rule_perr(ps, "%s: invalid value '%s'", kw->name, arg);
	struct rule_bitmask m = {.mode = RULE_BM_EXACT};
	bool zero = false, any = false;
	for (const char *s = p[0]; *s; s++) {
		const char *l;
		if (*s == '+' || *s == '*' || *s == '!') {
			uint8_t mode = *s == '+' ? RULE_BM_ALL : *s == '*' ? RULE_BM_ANY : RULE_BM_NOT;
			if (m.mode != RULE_BM_EXACT && m.mode != mode)
				return rule_perr(ps, "%s: conflicting modifiers in '%s'", kw->name, arg);
			m.mode = mode;
		} else if (!frag && *s == '0') {
			zero = true;
		} else if (!frag && (*s == '1' || *s == '2')) {
			m.want |= *s == '1' ? RULE_TCP_CWR : RULE_TCP_ECE;
		} else if ((l = strchr(letters, toupper((unsigned char)*s))) && *s) {
			m.want |= 1u << (l - letters);
			any = true;
		} else if (!isspace((unsigned char)*s)) {
			return rule_perr(ps, "%s: unknown flag '%c'", kw->name, *s);
		}
	}
	if (zero && (any || m.want))
		return rule_perr(ps, "%s: '0' cannot be combined with other flags", kw->name);
	if (!zero && !m.want)
		return rule_perr(ps, "%s: no flag given", kw->name);
	if (n == 2) {
		for (const char *s = p[1]; *s; s++) {
			const char *l;
			if (*s == '1' || *s == '2')
				m.ignore |= *s == '1' ? RULE_TCP_CWR : RULE_TCP_ECE;
			else if ((l = strchr(letters, toupper((unsigned char)*s))) && *s)
				m.ignore |= 1u << (l - letters);
			else
				return rule_perr(ps, "%s: unknown mask flag '%c'", kw->name, *s);
		}
	}
	struct rule_bitmask *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = m;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static int kw_ssl_state(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const char *const names[] = {"client_hello", "server_hello", "client_keyx",
					    "server_keyx", "unknown"};
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "ssl_state: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, '|', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "ssl_state: too many states");
	struct rule_bitmask m = {.mode = RULE_BM_ANY};
	for (int k = 0; k < n; k++) {
		char *s = p[k];
		bool neg = *s == '!';
		if (neg)
			s++;
		uint32_t i;
		for (i = 0; i < 5; i++)
			if (!strcmp(s, names[i]))
				break;
		if (i == 5)
			return rule_perr(ps, "ssl_state: unknown state '%s'", p[k]);
		if (neg)
			m.ignore |= 1u << i;	/* states that must not be seen */
		else
			m.want |= 1u << i;
	}
	int rc = bind_app(ps, "ssl_state", APP_TLS);
	if (rc < 0)
		return rc;
	struct rule_bitmask *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = m;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static int kw_ssl_version(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const char *const names[] = {"sslv2", "sslv3", "tls1.0", "tls1.1", "tls1.2",
					    "tls1.3"};
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "ssl_version: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "ssl_version: too many versions");
	struct rule_bitmask m = {.mode = RULE_BM_ANY};
	for (int k = 0; k < n; k++) {
		char *s = p[k];
		bool neg = *s == '!';
		if (neg)
			s++;
		uint32_t i;
		for (i = 0; i < 6; i++)
			if (!strcmp(s, names[i]))
				break;
		if (i == 6)
			return rule_perr(ps, "ssl_version: unknown version '%s'", p[k]);
		if (neg)
			m.ignore |= 1u << i;
		else
			m.want |= 1u << i;
	}
	int rc = bind_app(ps, "ssl_version", APP_TLS);
	if (rc < 0)
		return rc;
	struct rule_bitmask *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = m;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

/* tls.version:1.0|1.1|1.2|1.3|ssl3|0xNNNN, stored as the wire value. */
static int kw_tls_version(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	static const struct { const char *s; uint16_t v; } names[] = {
		{"ssl3", 0x0300}, {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304},
	};
	int64_t v = -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i].s))
			v = names[i].v;
	if (v < 0 && !(arg[0] == '0' && arg[1] == 'x' && parse_num(arg, 0, 0xffff, &v)))
		return rule_perr(ps, "tls.version: unknown version '%s'", arg);
	int rc = bind_app(ps, "tls.version", APP_TLS);
	if (rc < 0)
		return rc;
	struct rule_cmp *c = calloc(1, sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	c->op = RULE_CMP_EQ;
	c->lo = (uint64_t)v;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static int kw_asn1(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "asn1: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "asn1: too many options");
	struct rule_asn1 a = {0};
	for (int k = 0; k < n; k++) {
		char *o = p[k];
		char *sp = strchr(o, ' ');
		char *val = NULL;
		if (sp) {
			*sp = 0;
			val = trim(sp + 1);
		}
		int64_t v;
		if (!strcmp(o, "bitstring_overflow") && !val) {
			a.flags |= RULE_ASN1_BITSTRING_OVERFLOW;
		} else if (!strcmp(o, "double_overflow") && !val) {
			a.flags |= RULE_ASN1_DOUBLE_OVERFLOW;
		} else if (!strcmp(o, "oversize_length") && val) {
			if (!parse_num(val, 0, UINT32_MAX, &v))
				return rule_perr(ps, "asn1: invalid value '%s' for %s", val, o);
			a.flags |= RULE_ASN1_OVERSIZE_LENGTH;
			a.oversize_length = (uint32_t)v;
		} else if (!strcmp(o, "absolute_offset") && val) {
			if (!parse_num(val, 0, UINT32_MAX, &v))
				return rule_perr(ps, "asn1: invalid value '%s' for %s", val, o);
			a.flags |= RULE_ASN1_ABSOLUTE_OFFSET;
			a.absolute_offset = (uint32_t)v;
		} else if (!strcmp(o, "relative_offset") && val) {
			if (!parse_num(val, -OFFSET_MAX, OFFSET_MAX, &v))
				return rule_perr(ps, "asn1: invalid value '%s' for %s", val, o);
			a.flags |= RULE_ASN1_RELATIVE_OFFSET;
			a.relative_offset = (int32_t)v;
		} else {
			if (val)
				val[-1] = ' ';
			return rule_perr(ps, "asn1: unknown option '%s'", o);
		}
	}
	if ((a.flags & RULE_ASN1_ABSOLUTE_OFFSET) && (a.flags & RULE_ASN1_RELATIVE_OFFSET))
		return rule_perr(ps, "asn1: absolute_offset and relative_offset both given");
	struct rule_asn1 *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = a;
	return rule_sm_append(ps, ps->cur_list, kw->id, c);
}

/* "4b324fc8-1670-01d3-1278-5a47bf6ee188" into 16 bytes in text order. */
static bool parse_uuid(const char *s, uint8_t out[16])
{
	static const int groups[] = {8, 4, 4, 4, 12};
	int o = 0;
	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i += 2, s += 2) {
			int hi = hexval((unsigned char)s[0]);
			int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
			if (lo < 0)
				return false;
			out[o++] = (uint8_t)(hi << 4 | lo);
		}
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == 0;
}

static int kw_dce_iface(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[128];
	char *p[4];
	struct rule_dce_iface d = {0};
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "dcerpc.iface: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 3);
	if (n < 0 || !parse_uuid(p[0], d.uuid))
		return rule_perr(ps, "dcerpc.iface: invalid interface uuid in '%s'", arg);
	for (int k = 1; k < n; k++) {
		if (!strcmp(p[k], "any_frag")) {
			d.any_frag = true;
			continue;
		}
		struct rule_cmp c;
		int rc = parse_cmp(ps, "dcerpc.iface", p[k], 65535, &c);
		if (rc < 0 || c.op == RULE_CMP_RANGE || isdigit((unsigned char)p[k][0]))
			return rule_perr(ps, "dcerpc.iface: invalid version '%s'", p[k]);
		d.has_version = true;
		d.op = c.op;
		d.version = (uint16_t)c.lo;
	}
	int rc = bind_app(ps, kw->name, APP_DCERPC);
	if (rc < 0)
		return rc;
	struct rule_dce_iface *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = d;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static int kw_dce_opnum(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[256];
	char *p[SPLIT_MAX];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "dcerpc.opnum: argument too long");
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, SPLIT_MAX);
	if (n < 0)
		return rule_perr(ps, "dcerpc.opnum: too many values");
	struct rule_ranges *r = calloc(1, sizeof(*r));
	if (!r || !(r->v = calloc((size_t)n, sizeof(*r->v)))) {
		free_ranges(r);
		return MAMORI_ENOMEM;
	}
	for (int k = 0; k < n; k++) {
		int64_t lo, hi;
		char *dash = strchr(p[k], '-');
		if (dash)
			*dash = 0;
		if (!parse_num(trim(p[k]), 0, 65535, &lo) ||
		    (dash && !parse_num(trim(dash + 1), 0, 65535, &hi)) || (dash && hi < lo)) {
			free_ranges(r);
			return rule_perr(ps, "dcerpc.opnum: invalid value in '%s'", arg);
		}
		r->v[k][0] = (uint32_t)lo;
		r->v[k][1] = dash ? (uint32_t)hi : (uint32_t)lo;
	}
	r->n = (uint32_t)n;
	int rc = bind_app(ps, kw->name, APP_DCERPC);
	if (rc < 0) {
		free_ranges(r);
		return rc;
	}
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, r);
}

/* vlan.id:[op]id[,layer|any|all] */
static int kw_vlan_id(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	char tmp[64];
	char *p[3];
	if (strlen(arg) >= sizeof(tmp))
		return rule_perr(ps, "vlan.id: invalid value '%s'", arg);
	strcpy(tmp, arg);
	int n = split(tmp, ',', p, 2);
	if (n < 0)
		return rule_perr(ps, "vlan.id: invalid value '%s'", arg);
	struct rule_vlan v = {.mode = RULE_VLAN_ANY};
	int rc = parse_cmp(ps, "vlan.id", p[0], 4095, &v.id);
	if (rc < 0)
		return rc;
	if (n == 2) {
		int64_t l;
		if (!strcmp(p[1], "any"))
			v.mode = RULE_VLAN_ANY;
		else if (!strcmp(p[1], "all"))
			v.mode = RULE_VLAN_ALL;
		else if (parse_num(p[1], -3, 2, &l)) {
			v.mode = RULE_VLAN_INDEX;
			v.layer = (int8_t)l;
		} else
			return rule_perr(ps, "vlan.id: invalid layer '%s'", p[1]);
	}
	struct rule_vlan *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = v;
	return rule_sm_append(ps, RULE_LIST_MATCH, kw->id, c);
}

static int kw_absent(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	struct rule_absent a = {false};
	if (arg) {
		if (strcmp(arg, "or_else"))
			return rule_perr(ps, "absent: expected no argument or 'or_else', got '%s'", arg);
		a.or_else = true;
	}
	if (ps->cur_list < RULE_LIST_BUF)
		return rule_perr(ps, "absent needs a sticky buffer");
	if (ps->r->lists[ps->cur_list].n)
		return rule_perr(ps, "absent must come first in its buffer");
	struct rule_absent *c = malloc(sizeof(*c));
	if (!c)
		return MAMORI_ENOMEM;
	*c = a;
	return rule_sm_append(ps, ps->cur_list, kw->id, c);
}

/* Transforms: right after a sticky buffer (or another transform). */
static int kw_transform(struct rule_parse *ps, const struct rule_kw_def *kw, const char *arg)
{
	int rc = 0;
	struct rule_smlist *l = &ps->r->lists[ps->cur_list];
	if (ps->cur_list < RULE_LIST_BUF)
		return rule_perr(ps, "%s needs a sticky buffer", kw->name);
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].kw != RULE_KW_TRANSFORM)
			return rule_perr(ps, "%s must directly follow the sticky buffer %s", kw->name,
					 rule_list_name(ps->cur_list));
	if (l->n >= 16)
		return rule_perr(ps, "more than 16 transforms on %s", rule_list_name(ps->cur_list));
	struct rule_xform *x = calloc(1, sizeof(*x));
	char *copy = arg ? strdup(arg) : NULL;
	if (!x || (arg && !copy))
		FAIL(MAMORI_ENOMEM);
	x->kind = (uint8_t)kw->buffer;
	switch (x->kind) {
	case RULE_XF_FROM_BASE64:
		if (copy) {
			char *p[SPLIT_MAX];
			int n = split(copy, ',', p, SPLIT_MAX);
			if (n < 0)
				FAIL(rule_perr(ps, "from_base64: too many options"));
			for (int k = 0; k < n; k++) {
				char *o = p[k], *val = NULL;
				char *sp = strpbrk(o, " :");
				if (sp) {
					*sp = 0;
					val = trim(sp + 1);
				}
				int64_t v;
				if (!strcmp(o, "bytes") && val && parse_num(val, 1, UINT32_MAX, &v)) {
					x->b64_bytes = (uint32_t)v;
				} else if (!strcmp(o, "offset") && val && parse_num(val, 0, UINT32_MAX, &v)) {
					x->b64_offset = (uint32_t)v;
				} else if (!strcmp(o, "mode") && val) {
					if (!strcmp(val, "rfc4648"))
						x->b64_mode = RULE_B64_RFC4648;
					else if (!strcmp(val, "rfc2045"))
						x->b64_mode = RULE_B64_RFC2045;
					else if (!strcmp(val, "strict"))
						x->b64_mode = RULE_B64_STRICT;
					else
						FAIL(rule_perr(ps, "from_base64: unknown mode '%s'", val));
				} else {
					FAIL(rule_perr(ps, "from_base64: invalid option '%s'", o));
				}
			}
		}
		break;
	case RULE_XF_PCREXFORM: {
		if (!copy)
			FAIL(rule_perr(ps, "pcrexform needs a regular expression"));
		char *re = unquote(copy);
		int err;
		PCRE2_SIZE erroff;
		x->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &err, &erroff, NULL);
		if (!x->re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(err, msg, sizeof(msg));
			FAIL(rule_perr(ps, "pcrexform: %s at offset %zu", (char *)msg, (size_t)erroff));
		}
		uint32_t groups = 0;
		pcre2_pattern_info(x->re, PCRE2_INFO_CAPTURECOUNT, &groups);
		if (!groups)
			FAIL(rule_perr(ps, "pcrexform: the expression needs a capture group"));
		pcre2_jit_compile(x->re, PCRE2_JIT_COMPLETE);
		break;
	}
	case RULE_XF_XOR: {
		if (!copy)
			FAIL(rule_perr(ps, "xor needs a hex key"));
		char *key = unquote(copy);
		size_t n = strlen(key);
		if (!n || n % 2 || n > 510)
			FAIL(rule_perr(ps, "xor: the key must be an even number of hex digits"));
		x->key = malloc(n / 2);
		if (!x->key)
			FAIL(MAMORI_ENOMEM);
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexval((unsigned char)key[i]), lo = hexval((unsigned char)key[i + 1]);
			if (hi < 0 || lo < 0)
				FAIL(rule_perr(ps, "xor: invalid hex key '%s'", key));
			x->key[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		x->keylen = (uint32_t)(n / 2);
		break;
	}
	default:
		if (copy)
			FAIL(rule_perr(ps, "'%s' takes no argument", kw->name));
		break;
	}
	free(copy);
	return rule_sm_append(ps, ps->cur_list, RULE_KW_TRANSFORM, x);
out:
	free(copy);
	free_xform(x);
	return rc;
}

/* ---- the table --------------------------------------------------------- */

#define KW(n, id, fl, setup, fr) {n, RULE_KW_##id, fl, -1, setup, fr}
#define STICKY(n, b) {n, RULE_KW_STICKY, KWF_NOOPT, APP_BUF_##b, kw_sticky, NULL}
#define MODIFIER(n, b) {n, RULE_KW_MODIFIER, KWF_NOOPT, APP_BUF_##b, kw_modifier, NULL}
#define XFORM(n, k, fl) {n, RULE_KW_TRANSFORM, fl, RULE_XF_##k, kw_transform, free_xform}

static const struct rule_kw_def kw_defs[] = {
	KW("msg", MSG, 0, kw_msg, NULL),
	KW("sid", SID, 0, kw_u32meta, NULL),
	KW("rev", REV, 0, kw_u32meta, NULL),
	KW("gid", GID, 0, kw_u32meta, NULL),
	KW("classtype", CLASSTYPE, 0, kw_classtype, NULL),
	KW("reference", REFERENCE, 0, kw_reference, NULL),
	KW("metadata", METADATA, 0, kw_metadata, NULL),
	KW("priority", PRIORITY, 0, kw_priority, NULL),
	KW("target", TARGET, 0, kw_target, NULL),
	KW("content", CONTENT, 0, kw_content, free_content),
	KW("uricontent", URICONTENT, 0, kw_content, free_content),
	KW("nocase", NOCASE, KWF_NOOPT, kw_nocase, NULL),
	KW("depth", DEPTH, 0, kw_position, NULL),
	KW("offset", OFFSET, 0, kw_position, NULL),
	KW("distance", DISTANCE, 0, kw_position, NULL),
	KW("within", WITHIN, 0, kw_position, NULL),
	KW("startswith", STARTSWITH, KWF_NOOPT, kw_position, NULL),
	KW("endswith", ENDSWITH, KWF_NOOPT, kw_position, NULL),
	KW("fast_pattern", FAST_PATTERN, KWF_OPTARG, kw_fast_pattern, NULL),
	KW("rawbytes", RAWBYTES, KWF_NOOPT, kw_rawbytes, NULL),
	KW("pcre", PCRE, 0, kw_pcre, free_pcre),
	KW("isdataat", ISDATAAT, 0, kw_isdataat, free),
	KW("dsize", DSIZE, 0, kw_cmp, free),
	KW("urilen", URILEN, 0, kw_cmp, free),
	KW("bsize", BSIZE, 0, kw_cmp, free),
	KW("byte_test", BYTE_TEST, 0, kw_byte_test, free),
	KW("byte_jump", BYTE_JUMP, 0, kw_byte_jump, free),
	KW("byte_extract", BYTE_EXTRACT, 0, kw_byte_extract, free),
	KW("byte_math", BYTE_MATH, 0, kw_byte_math, free),
	KW("base64_decode", BASE64_DECODE, KWF_OPTARG, kw_base64_decode, free),
	KW("base64_data", BASE64_DATA, KWF_NOOPT, kw_base64_data, NULL),
	KW("pkt_data", PKT_DATA, KWF_NOOPT, kw_pkt_data, NULL),
	KW("flow", FLOW, 0, kw_flow, free),
	KW("flowbits", FLOWBITS, 0, kw_flowbits, free_bits),
	KW("xbits", XBITS, 0, kw_xbits, free_bits),
	KW("hostbits", HOSTBITS, 0, kw_xbits, free_bits),
	KW("flowint", FLOWINT, 0, kw_flowint, free_flowint),
	KW("threshold", THRESHOLD, 0, kw_threshold, free),
	KW("detection_filter", DETECTION_FILTER, 0, kw_threshold, free),
	KW("dataset", DATASET, 0, kw_dataset, free_dataset),
	KW("noalert", NOALERT, KWF_NOOPT, kw_flag, NULL),
	KW("tag", TAG, 0, kw_tag, free),
	KW("stream_size", STREAM_SIZE, 0, kw_stream_size, free),
	KW("app-layer-event", APP_LAYER_EVENT, 0, kw_app_event, free_str),
	KW("app-layer-protocol", APP_LAYER_PROTOCOL, 0, kw_app_proto, free_str),
	KW("stream-event", STREAM_EVENT, 0, kw_event, free_str),
	KW("decode-event", DECODE_EVENT, 0, kw_event, free_str),
	KW("vlan.id", VLAN_ID, 0, kw_vlan_id, free),
	KW("vlan.layers", VLAN_LAYERS, 0, kw_cmp, free),
	KW("flow.age", FLOW_AGE, 0, kw_cmp, free),
	KW("absent", ABSENT, KWF_OPTARG, kw_absent, free),
	/* transforms: buffer holds the enum rule_xform_kind */
	XFORM("strip_whitespace", STRIP_WS, KWF_NOOPT),
	XFORM("compress_whitespace", COMPRESS_WS, KWF_NOOPT),
	XFORM("to_lowercase", LOWER, KWF_NOOPT),
	XFORM("to_uppercase", UPPER, KWF_NOOPT),
	XFORM("to_md5", MD5, KWF_NOOPT),
	XFORM("to_sha1", SHA1, KWF_NOOPT),
	XFORM("to_sha256", SHA256, KWF_NOOPT),
	XFORM("url_decode", URL_DECODE, KWF_NOOPT),
	XFORM("dotprefix", DOTPREFIX, KWF_NOOPT),
	XFORM("from_base64", FROM_BASE64, KWF_OPTARG),
	XFORM("header_lowercase", HEADER_LOWER, KWF_NOOPT),
	XFORM("strip_pseudo_headers", STRIP_PSEUDO, KWF_NOOPT),
	XFORM("pcrexform", PCREXFORM, 0),
	XFORM("xor", XOR, 0),
	KW("ttl", TTL, 0, kw_cmp, free),
	KW("itype", ITYPE, 0, kw_cmp, free),
	KW("icode", ICODE, 0, kw_cmp, free),
	KW("icmp_id", ICMP_ID, 0, kw_cmp, free),
	KW("icmp_seq", ICMP_SEQ, 0, kw_cmp, free),
	KW("ip_proto", IP_PROTO, 0, kw_cmp, free),
	KW("ipopts", IPOPTS, 0, kw_ipopts, free),
	KW("fragbits", FRAGBITS, 0, kw_tcpflags, free),
	KW("fragoffset", FRAGOFFSET, 0, kw_cmp, free),
	KW("flags", FLAGS, 0, kw_tcpflags, free),
	KW("tcp.flags", FLAGS, 0, kw_tcpflags, free),
	KW("seq", SEQ, 0, kw_cmp, free),
	KW("ack", ACK, 0, kw_cmp, free),
	KW("window", WINDOW, 0, kw_cmp, free),
	KW("id", ID, 0, kw_cmp, free),
	KW("tos", TOS, 0, kw_cmp, free),
	KW("sameip", SAMEIP, KWF_NOOPT, kw_flag, NULL),
	KW("ssl_state", SSL_STATE, 0, kw_ssl_state, free),
	KW("ssl_version", SSL_VERSION, 0, kw_ssl_version, free),
	KW("tls.version", TLS_VERSION, 0, kw_tls_version, free),
	KW("asn1", ASN1, 0, kw_asn1, free),
	KW("ftpbounce", FTPBOUNCE, KWF_NOOPT, kw_flag, NULL),
	KW("dcerpc.iface", DCERPC_IFACE, 0, kw_dce_iface, free),
	KW("dce_iface", DCERPC_IFACE, 0, kw_dce_iface, free),
	KW("dcerpc.opnum", DCERPC_OPNUM, 0, kw_dce_opnum, free_ranges),
	KW("dce_opnum", DCERPC_OPNUM, 0, kw_dce_opnum, free_ranges),
	KW("prefilter", PREFILTER, KWF_NOOPT, kw_flag, NULL),
	/* sticky buffers with legacy or alternative names (every
	 * APP_BUFFER_MAP name is a sticky buffer too) */
	STICKY("file_data", HTTP_RESPONSE_BODY),
	STICKY("file.data", HTTP_RESPONSE_BODY),
	STICKY("dns_query", DNS_QUERY),
	STICKY("tls_sni", TLS_SNI),
	STICKY("tls_cert_subject", TLS_CERT_SUBJECT),
	STICKY("tls_cert_issuer", TLS_CERT_ISSUER),
	STICKY("tls_cert_serial", TLS_CERT_SERIAL),
	STICKY("tls_cert_fingerprint", TLS_CERT_FINGERPRINT),
	STICKY("ja3_hash", JA3_HASH),
	STICKY("ja3_string", JA3_STRING),
	STICKY("ssh_proto", SSH_PROTO),
	STICKY("ssh.protoversion", SSH_PROTO),
	STICKY("ssh_software", SSH_SOFTWARE),
	STICKY("ssh.softwareversion", SSH_SOFTWARE),
	STICKY("smb_named_pipe", SMB_NAMED_PIPE),
	STICKY("smb_share", SMB_SHARE),
	STICKY("dce_stub_data", DCERPC_STUB_DATA),
	STICKY("http_request_line", HTTP_REQUEST_LINE),
	STICKY("http_response_line", HTTP_RESPONSE_LINE),
	STICKY("http_header_names", HTTP_HEADER_NAMES),
	STICKY("http_accept", HTTP_ACCEPT),
	STICKY("http_accept_enc", HTTP_ACCEPT_ENC),
	STICKY("http_accept_lang", HTTP_ACCEPT_LANG),
	STICKY("http_referer", HTTP_REFERER),
	STICKY("http_connection", HTTP_CONNECTION),
	STICKY("http_content_type", HTTP_CONTENT_TYPE),
	STICKY("http_content_len", HTTP_CONTENT_LEN),
	STICKY("http_start", HTTP_START),
	STICKY("http_protocol", HTTP_PROTOCOL),
	/* legacy content modifiers */
	MODIFIER("http_method", HTTP_METHOD),
	MODIFIER("http_uri", HTTP_URI),
	MODIFIER("http_raw_uri", HTTP_URI_RAW),
	MODIFIER("http_header", HTTP_HEADER),
	MODIFIER("http_raw_header", HTTP_HEADER_RAW),
	MODIFIER("http_cookie", HTTP_COOKIE),
	MODIFIER("http_user_agent", HTTP_USER_AGENT),
	MODIFIER("http_host", HTTP_HOST),
	MODIFIER("http_raw_host", HTTP_HOST_RAW),
	MODIFIER("http_client_body", HTTP_REQUEST_BODY),
	MODIFIER("http_server_body", HTTP_RESPONSE_BODY),
	MODIFIER("http_stat_code", HTTP_STAT_CODE),
	MODIFIER("http_stat_msg", HTTP_STAT_MSG),
};

#define KW_COUNT (sizeof(kw_defs) / sizeof(kw_defs[0]))

/* Suricata keywords (up to 8.x) that mamori does not implement yet; the
 * HTTP/2-style per-header buffers differ from mamori's header block. */
static const char *const kw_unsupported[] = {
	"base64_decode_data", "bypass", "cip_attribute", "cip_class",
	"cip_extendedstatus", "cip_instance", "cip_service", "cip_status", "config",
	"dhcp.leasetime", "dnp3_data", "dnp3_func", "dnp3_ind", "dnp3_obj",
	"dns.answer.name", "dns.answers.rrname", "dns.opcode", "dns.queries.rrname",
	"dns.query.name", "email.from", "email.message_id", "email.received",
	"email.subject", "email.to", "email.x_mailer", "engine-event", "enip_command",
	"file.data.raw", "file.magic", "file.name", "fileext", "filemagic", "filemd5",
	"filename", "filesha1", "filesha256", "filesize", "filestore", "flowvar",
	"frame", "ftpdata_command", "geoip", "http.request_header",
	"http.response_header", "http.response_line.raw", "http2.errorcode",
	"http2.frametype", "http2.header", "http2.header_name", "http2.priority",
	"http2.settings", "http2.size_update", "http2.window", "icmpv4-csum",
	"icmpv4.hdr", "icmpv6-csum", "icmpv6.hdr", "icmpv6.mtu",
	"ike.chosen_sa_attribute", "ike.exchtype", "ike.key_exchange_payload",
	"ike.nonce_payload", "ike.spi.initiator", "ike.spi.responder", "ike.vendor",
	"ip.dst", "ip.src", "iprep", "ipv4-csum", "ipv4.hdr", "ipv6.hdr", "ja3s.hash",
	"ja3s.string", "ja3s_hash", "ja3s_string", "ja4.hash", "krb5.cname",
	"krb5.sname", "krb5_err_code", "krb5_msg_type", "l3_proto", "lua", "luajit",
	"modbus", "mqtt.type", "nfs_procedure", "pktvar", "quic.cyu.hash",
	"quic.cyu.string", "quic.sni", "quic.ua", "quic.version", "rawbytes_data",
	"replace", "requires", "rfb.name", "sip.method", "sip.protocol",
	"sip.stat_code", "sip.uri", "smb.version", "smtp.data", "snmp.community",
	"snmp.pdu_type", "snmp.version", "ssh.hassh", "ssh.hassh.server",
	"ssh.hassh.server.string", "ssh.hassh.string", "tcp.hdr", "tcp.mss",
	"tcpv4-csum", "tcpv6-csum", "template", "tls.alpn", "tls.cert_chain_len",
	"tls.cert_expired", "tls.cert_valid", "tls.certs", "tls.fingerprint",
	"tls.issuerdn", "tls.random", "tls.random_bytes", "tls.random_time",
	"tls.sni.raw", "tls.store", "tls.subject", "tls.subjectaltname",
	"tls_cert_expired", "tls_cert_notafter", "tls_cert_notbefore",
	"tls_cert_valid", "transform", "udp.hdr", "udpv4-csum", "udpv6-csum",
};

bool rule_kw_unsupported(const char *name)
{
	for (size_t i = 0; i < sizeof(kw_unsupported) / sizeof(kw_unsupported[0]); i++)
		if (!strcmp(name, kw_unsupported[i]))
			return true;
	return false;
}

static struct rule_kw_def sticky_defs[APP_BUF_MAX];
static const struct rule_kw_def *kw_sorted[KW_COUNT];
/* The keyword table indexed by enum rule_kw (canonical entry per id). */
static const struct rule_kw_def *kw_by_id[RULE_KW_MAX];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static int kw_cmp_name(const void *a, const void *b)
{
	const struct rule_kw_def *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static void kw_init(void)
{
	for (size_t i = 0; i < KW_COUNT; i++) {
		kw_sorted[i] = &kw_defs[i];
		if (!kw_by_id[kw_defs[i].id])
			kw_by_id[kw_defs[i].id] = &kw_defs[i];
	}
	qsort(kw_sorted, KW_COUNT, sizeof(kw_sorted[0]), kw_cmp_name);
	for (int b = 0; b < APP_BUF_MAX; b++)
		sticky_defs[b] = (struct rule_kw_def){app_buffer_name((enum app_buffer)b),
						      RULE_KW_STICKY, KWF_NOOPT, b, kw_sticky, NULL};
}

const struct rule_kw_def *rule_kw_lookup(const char *name)
{
	pthread_once(&kw_once, kw_init);
	size_t lo = 0, hi = KW_COUNT;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, kw_sorted[mid]->name);
		if (!c)
			return kw_sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	int b = app_buffer_by_name(name);
	return b >= 0 ? &sticky_defs[b] : NULL;
}

const char *rule_kw_name(enum rule_kw kw)
{
	pthread_once(&kw_once, kw_init);
	if ((unsigned)kw >= RULE_KW_MAX || !kw_by_id[kw])
		return "?";
	return kw_by_id[kw]->name;
}

void rule_sm_free(struct rule_sm *sm)
{
	pthread_once(&kw_once, kw_init);
	if (!sm->ctx)
		return;
	const struct rule_kw_def *d = sm->kw < RULE_KW_MAX ? kw_by_id[sm->kw] : NULL;
	if (d && d->free)
		d->free(sm->ctx);
	else
		free(sm->ctx);
	sm->ctx = NULL;
}
