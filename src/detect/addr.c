/*
 * Address and port groups of rule headers, and the variables they use.
 *
 * A group ("[$HOME_NET,!10.1.0.0/16]", "1024:", "!$HTTP_PORTS") is parsed
 * by recursive descent and evaluated at once into a normalised set of
 * ranges (sorted, disjoint, non-adjacent), one per address family:
 *   set(list) = (union of its positive items, or everything when it has
 *                none) minus (union of its negated items)
 * so "!x" alone is the complement of x and "[a,!b]" is a minus b, which is
 * what Suricata's address and port group merging computes.  A group that
 * evaluates to nothing ("!any") is an error, as in Suricata.
 *
 * Variables come from a small table with Suricata's suricata.yaml defaults;
 * a value is only parsed when a rule uses it, nested to RULE_VAR_DEPTH
 * levels (so a self-referencing variable is an error, not a loop).
 *
 * Invariant: every set built here is normalised before it is returned,
 * and membership tests rely on that (binary search).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"
#include "util/err.h"

#define RULE_VAR_DEPTH 8
#define RULE_GROUP_MAX_RANGES 65536	/* cap per family and group */

/* ---- variables --------------------------------------------------------- */

struct rule_var {
	char *name;
	char *value;
};
struct rule_vars {
	struct rule_var *v;
	size_t n, cap;
};

static const char *const default_vars[][2] = {
	{"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
	{"EXTERNAL_NET", "!$HOME_NET"},
	{"HTTP_SERVERS", "$HOME_NET"},
	{"SMTP_SERVERS", "$HOME_NET"},
	{"SQL_SERVERS", "$HOME_NET"},
	{"DNS_SERVERS", "$HOME_NET"},
	{"TELNET_SERVERS", "$HOME_NET"},
	{"AIM_SERVERS", "$EXTERNAL_NET"},
	{"DC_SERVERS", "$HOME_NET"},
	{"DNP3_SERVER", "$HOME_NET"},
	{"DNP3_CLIENT", "$HOME_NET"},
	{"MODBUS_CLIENT", "$HOME_NET"},
	{"MODBUS_SERVER", "$HOME_NET"},
	{"ENIP_CLIENT", "$HOME_NET"},
	{"ENIP_SERVER", "$HOME_NET"},
	{"HTTP_PORTS", "80"},
	{"SHELLCODE_PORTS", "!80"},
	{"ORACLE_PORTS", "1521"},
	{"SSH_PORTS", "22"},
	{"DNP3_PORTS", "20000"},
	{"MODBUS_PORTS", "502"},
	{"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
	{"FTP_PORTS", "21"},
	{"GENEVE_PORTS", "6081"},
	{"VXLAN_PORTS", "4789"},
	{"TEREDO_PORTS", "3544"},
};

struct rule_vars *rule_vars_new(void)
{
	struct rule_vars *vars = calloc(1, sizeof(*vars));
	if (!vars)
		return NULL;
	for (size_t i = 0; i < sizeof(default_vars) / sizeof(default_vars[0]); i++) {
		if (rule_vars_set(vars, default_vars[i][0], default_vars[i][1]) < 0) {
			rule_vars_free(vars);
			return NULL;
		}
	}
	return vars;
}

void rule_vars_free(struct rule_vars *vars)
{
	if (!vars)
		return;
	for (size_t i = 0; i < vars->n; i++) {
		free(vars->v[i].name);
		free(vars->v[i].value);
	}
	free(vars->v);
	free(vars);
}

static bool var_name_ok(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

int rule_vars_set(struct rule_vars *vars, const char *name, const char *value)
{
	if (!vars || !name || !value)
		return MAMORI_EINVAL;
	if (*name == '$')
		name++;
	if (!var_name_ok(name) || strlen(value) > 64 * 1024)
		return MAMORI_EINVAL;
	char *v = strdup(value);
	if (!v)
		return MAMORI_ENOMEM;
	for (size_t i = 0; i < vars->n; i++) {
		if (!strcmp(vars->v[i].name, name)) {
			free(vars->v[i].value);
			vars->v[i].value = v;
			return 0;
		}
	}
	if (vars->n == vars->cap) {
		size_t nc = vars->cap ? vars->cap * 2 : 32;
		struct rule_var *nv = realloc(vars->v, nc * sizeof(*nv));
		if (!nv) {
			free(v);
			return MAMORI_ENOMEM;
		}
		vars->v = nv;
		vars->cap = nc;
	}
	char *n = strdup(name);
	if (!n) {
		free(v);
		return MAMORI_ENOMEM;
	}
	vars->v[vars->n].name = n;
	vars->v[vars->n].value = v;
	vars->n++;
	return 0;
}

const char *rule_vars_get(const struct rule_vars *vars, const char *name)
{
	if (!vars || !name)
		return NULL;
	if (*name == '$')
		name++;
	for (size_t i = 0; i < vars->n; i++)
		if (!strcmp(vars->v[i].name, name))
			return vars->v[i].value;
	return NULL;
}

static bool is_port_var(const char *name)
{
	size_t n = strlen(name);
	return n >= 6 && !strcmp(name + n - 6, "_PORTS");
}

/* ---- 128-bit range sets ------------------------------------------------ */

static int ip_cmp(struct rule_ip a, struct rule_ip b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct rule_ip ip_inc(struct rule_ip a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

static struct rule_ip ip_dec(struct rule_ip a)
{
	if (a.lo == 0)
		a.hi--;
	a.lo--;
	return a;
}

struct rset {
	struct rule_iprange *v;
	uint32_t n, cap;
};

static void rset_release(struct rset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int rset_add(struct rset *s, struct rule_ip lo, struct rule_ip hi)
{
	if (s->n == s->cap) {
		if (s->cap >= RULE_GROUP_MAX_RANGES)
			return MAMORI_ELIMIT;
		uint32_t nc = s->cap ? s->cap * 2 : 4;
		struct rule_iprange *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n].lo = lo;
	s->v[s->n].hi = hi;
	s->n++;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct rule_iprange *x = a, *y = b;
	return ip_cmp(x->lo, y->lo);
}

/* Sorts and merges overlapping or adjacent ranges. */
static void rset_normalize(struct rset *s, struct rule_ip max)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(s->v[0]), range_cmp);
	uint32_t o = 0;
	for (uint32_t i = 1; i < s->n; i++) {
		struct rule_iprange *cur = &s->v[o];
		bool touch = ip_cmp(cur->hi, max) == 0 ||
			     ip_cmp(s->v[i].lo, ip_inc(cur->hi)) <= 0;
		if (touch) {
			if (ip_cmp(s->v[i].hi, cur->hi) > 0)
				cur->hi = s->v[i].hi;
		} else {
			s->v[++o] = s->v[i];
		}
	}
	s->n = o + 1;
}

/* out = [0,max] minus s (s normalised). */
static int rset_complement(const struct rset *s, struct rule_ip max, struct rset *out)
{
	struct rule_ip next = {0, 0};
	bool done = false;
	int rc = 0;
	for (uint32_t i = 0; i < s->n && !done; i++) {
		if (ip_cmp(s->v[i].lo, next) > 0)
			CHECK(rset_add(out, next, ip_dec(s->v[i].lo)));
		if (ip_cmp(s->v[i].hi, max) >= 0)
			done = true;
		else
			next = ip_inc(s->v[i].hi);
	}
	if (!done)
		CHECK(rset_add(out, next, max));
out:
	return rc;
}

/* out = a intersect b (both normalised). */
static int rset_intersect(const struct rset *a, const struct rset *b, struct rset *out)
{
	uint32_t i = 0, j = 0;
	int rc = 0;
	while (i < a->n && j < b->n) {
		struct rule_ip lo = ip_cmp(a->v[i].lo, b->v[j].lo) > 0 ? a->v[i].lo : b->v[j].lo;
		struct rule_ip hi = ip_cmp(a->v[i].hi, b->v[j].hi) < 0 ? a->v[i].hi : b->v[j].hi;
		if (ip_cmp(lo, hi) <= 0)
			CHECK(rset_add(out, lo, hi));
		if (ip_cmp(a->v[i].hi, b->v[j].hi) < 0)
			i++;
		else
			j++;
	}
out:
	return rc;
}

static int rset_append(struct rset *dst, const struct rset *src)
{
	int rc = 0;
	for (uint32_t i = 0; i < src->n; i++)
		CHECK(rset_add(dst, src->v[i].lo, src->v[i].hi));
out:
	return rc;
}

/* ---- group parser ------------------------------------------------------ */

enum { FAM_V4, FAM_V6, FAM_N };

struct gset {
	struct rset f[FAM_N];	/* ports use f[FAM_V4] only */
};

struct gparse {
	const struct rule_vars *vars;
	bool ports;
	struct mamori_diag *diag;
	int depth;
	const char *var;	/* variable being expanded (for messages) */
	unsigned var_col;	/* column of its '$' in the top-level text */
};

static const struct rule_ip fam_max[FAM_N] = {
	{0, 0xffffffffu},
	{UINT64_MAX, UINT64_MAX},
};
static const struct rule_ip port_max = {0, 65535};

static int nfam(const struct gparse *g)
{
	return g->ports ? 1 : FAM_N;
}

static struct rule_ip gmax(const struct gparse *g, int f)
{
	return g->ports ? port_max : fam_max[f];
}

static void gset_release(struct gset *s)
{
	for (int f = 0; f < FAM_N; f++)
		rset_release(&s->f[f]);
}

static int gerr(struct gparse *g, const char *base, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int gerr(struct gparse *g, const char *base, const char *at, const char *fmt, ...)
{
	unsigned col = g->var ? g->var_col : (unsigned)(at - base) + 1;
	char tmp[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (g->var)
		mamori_diag_set(g->diag, 0, col, "in $%s: %s", g->var, tmp);
	else
		mamori_diag_set(g->diag, 0, col, "%s", tmp);
	return MAMORI_FORMAT_ERR();
}

static int parse_list(struct gparse *g, const char *base, const char **pp,
		      bool bracketed, struct gset *out);

static int parse_text(struct gparse *g, const char *text, struct gset *out);

/* One token up to ',' or ']' (or end), copied into tok. */
static int take_token(struct gparse *g, const char *base, const char **pp, char *tok,
		      size_t cap)
{
	const char *p = *pp;
	size_t n = 0;
	while (*p && *p != ',' && *p != ']' && *p != '[') {
		if (n + 1 >= cap)
			return gerr(g, base, *pp, "%s too long", g->ports ? "port" : "address");
		tok[n++] = *p++;
	}
	tok[n] = 0;
	if (!n)
		return gerr(g, base, *pp, "empty %s", g->ports ? "port" : "address");
	*pp = p;
	return 0;
}

static bool parse_u16(const char *s, uint16_t *out)
{
	if (!*s || strlen(s) > 5)
		return false;
	unsigned v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int parse_port_item(struct gparse *g, const char *base, const char *at,
			   const char *tok, struct gset *out)
{
	uint16_t lo = 0, hi = 65535;
	const char *colon = strchr(tok, ':');
	if (colon) {
		char a[8] = "", b[8] = "";
		size_t la = (size_t)(colon - tok), lb = strlen(colon + 1);
		if (la >= sizeof(a) || lb >= sizeof(b))
			return gerr(g, base, at, "invalid port range '%s'", tok);
		memcpy(a, tok, la);
		memcpy(b, colon + 1, lb + 1);
		if ((la && !parse_u16(a, &lo)) || (lb && !parse_u16(b, &hi)) || (!la && !lb))
			return gerr(g, base, at, "invalid port range '%s'", tok);
		if (lo > hi)
			return gerr(g, base, at, "port range '%s' is reversed", tok);
	} else {
		if (!parse_u16(tok, &lo))
			return gerr(g, base, at, "invalid port '%s'", tok);
		hi = lo;
	}
	return rset_add(&out->f[FAM_V4], (struct rule_ip){0, lo}, (struct rule_ip){0, hi});
}

static bool parse_ip(const char *s, int *fam, struct rule_ip *ip)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1) {
		*fam = FAM_V4;
		ip->hi = 0;
		ip->lo = ((uint64_t)b[0] << 24) | ((uint64_t)b[1] << 16) |
			 ((uint64_t)b[2] << 8) | b[3];
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		*fam = FAM_V6;
		ip->hi = ip->lo = 0;
		for (int i = 0; i < 8; i++) {
			ip->hi = (ip->hi << 8) | b[i];
			ip->lo = (ip->lo << 8) | b[i + 8];
		}
		return true;
	}
	return false;
}

/* Network range of ip/prefix within a family of `bits` bits. */
static void prefix_range(struct rule_ip ip, unsigned prefix, unsigned bits,
			 struct rule_ip *lo, struct rule_ip *hi)
{
	unsigned host = bits - prefix;	/* host bits, 0..128 */
	struct rule_ip m = {0, 0};	/* host mask */
	if (host >= 128) {
		m.hi = m.lo = UINT64_MAX;
	} else if (host >= 64) {
		m.lo = UINT64_MAX;
		m.hi = host == 64 ? 0 : (UINT64_MAX >> (128 - host));
	} else if (host > 0) {
		m.lo = UINT64_MAX >> (64 - host);
	}
	lo->hi = ip.hi & ~m.hi;
	lo->lo = ip.lo & ~m.lo;
	hi->hi = lo->hi | m.hi;
	hi->lo = lo->lo | m.lo;
	if (bits == 32) {
		lo->hi = hi->hi = 0;
		hi->lo &= 0xffffffffu;
	}
}

static int parse_addr_item(struct gparse *g, const char *base, const char *at,
			   const char *tok, struct gset *out)
{
	char a[64];
	if (strlen(tok) >= sizeof(a))
		return gerr(g, base, at, "invalid address '%s'", tok);
	strcpy(a, tok);
	int fam, fam2;
	struct rule_ip ip, lo, hi;
	char *slash = strchr(a, '/');
	char *dash = strchr(a, '-');
	if (slash) {
		*slash = 0;
		if (!parse_ip(a, &fam, &ip))
			return gerr(g, base, at, "invalid address '%s'", tok);
		unsigned bits = fam == FAM_V4 ? 32 : 128, prefix = 0;
		const char *m = slash + 1;
		struct rule_ip mask;
		if (fam == FAM_V4 && strchr(m, '.')) {
			if (!parse_ip(m, &fam2, &mask) || fam2 != FAM_V4)
				return gerr(g, base, at, "invalid netmask in '%s'", tok);
			uint32_t mk = (uint32_t)mask.lo;
			while (prefix < 32 && (mk & (0x80000000u >> prefix)))
				prefix++;
			if (prefix < 32 && (uint32_t)(mk << prefix) != 0)
				return gerr(g, base, at, "non-contiguous netmask in '%s'", tok);
		} else {
			if (!*m || strlen(m) > 3)
				return gerr(g, base, at, "invalid prefix length in '%s'", tok);
			for (const char *p = m; *p; p++) {
				if (!isdigit((unsigned char)*p))
					return gerr(g, base, at, "invalid prefix length in '%s'", tok);
				prefix = prefix * 10 + (unsigned)(*p - '0');
			}
			if (prefix > bits)
				return gerr(g, base, at, "prefix length out of range in '%s'", tok);
		}
		prefix_range(ip, prefix, bits, &lo, &hi);
	} else if (dash) {
		*dash = 0;
		if (!parse_ip(a, &fam, &lo) || !parse_ip(dash + 1, &fam2, &hi) || fam != fam2)
			return gerr(g, base, at, "invalid address range '%s'", tok);
		if (ip_cmp(lo, hi) > 0)
			return gerr(g, base, at, "address range '%s' is reversed", tok);
	} else {
		if (!parse_ip(a, &fam, &ip))
			return gerr(g, base, at, "invalid address '%s'", tok);
		lo = hi = ip;
	}
	return rset_add(&out->f[fam], lo, hi);
}

static int expand_var(struct gparse *g, const char *base, const char *at,
		      const char *name, struct gset *out)
{
	if (g->depth >= RULE_VAR_DEPTH)
		return gerr(g, base, at, "variables nested too deep at '$%s'", name);
	const char *val = rule_vars_get(g->vars, name);
	if (!val || is_port_var(name) != g->ports)
		return gerr(g, base, at,
			    g->ports ? "unknown port variable '$%s'" : "unknown address variable '$%s'",
			    name);
	const char *save_var = g->var;
	unsigned save_col = g->var_col;
	if (!g->var) {
		g->var = name;
		g->var_col = (unsigned)(at - base) + 1;
	}
	g->depth++;
	int rc = parse_text(g, val, out);
	g->depth--;
	g->var = save_var;
	g->var_col = save_col;
	return rc;
}

/* One element, without its negation: "[...]", "$VAR", "any", address/port. */
static int parse_elem(struct gparse *g, const char *base, const char **pp, struct gset *out)
{
	const char *at = *pp;
	char tok[128];
	int rc = 0;
	if (**pp == '[') {
		(*pp)++;
		CHECK(parse_list(g, base, pp, true, out));
		goto out;
	}
	CHECK(take_token(g, base, pp, tok, sizeof(tok)));
	if (tok[0] == '$') {
		CHECK(expand_var(g, base, at, tok + 1, out));
	} else if (!strcmp(tok, "any")) {
		for (int f = 0; f < nfam(g); f++)
			CHECK(rset_add(&out->f[f], (struct rule_ip){0, 0}, gmax(g, f)));
	} else if (g->ports) {
		CHECK(parse_port_item(g, base, at, tok, out));
	} else {
		CHECK(parse_addr_item(g, base, at, tok, out));
	}
out:
	return rc;
}

/* Elements separated by ','; bracketed lists end at ']'. */
static int parse_list(struct gparse *g, const char *base, const char **pp,
		      bool bracketed, struct gset *out)
{
	struct gset pos = {0}, neg = {0}, tmp = {0};
	bool have_pos = false;
	int rc = 0;
	if (g->depth > 64)
		FAIL(gerr(g, base, *pp, "%s lists nested too deep", g->ports ? "port" : "address"));
	for (;;) {
		bool negated = false;
		while (**pp == '!') {
			negated = !negated;
			(*pp)++;
		}
		struct gset item = {0};
		g->depth++;
		rc = parse_elem(g, base, pp, &item);
		g->depth--;
		if (rc < 0) {
			gset_release(&item);
			goto out;
		}
		for (int f = 0; f < nfam(g); f++) {
			rc = rset_append(negated ? &neg.f[f] : &pos.f[f], &item.f[f]);
			if (rc < 0)
				break;
		}
		gset_release(&item);
		if (rc < 0)
			goto out;
		if (!negated)
			have_pos = true;
		if (**pp == ',') {
			(*pp)++;
			continue;
		}
		if (**pp == ']') {
			if (!bracketed)
				FAIL(gerr(g, base, *pp, "unbalanced '%s'", "]"));
			(*pp)++;
			break;
		}
		if (**pp == 0) {
			if (bracketed)
				FAIL(gerr(g, base, *pp, "missing '%s'", "]"));
			break;
		}
		FAIL(gerr(g, base, *pp, "unexpected '%.1s'", *pp));
	}
	for (int f = 0; f < nfam(g); f++) {
		struct rule_ip max = gmax(g, f);
		if (!have_pos)
			CHECK(rset_add(&pos.f[f], (struct rule_ip){0, 0}, max));
		rset_normalize(&pos.f[f], max);
		rset_normalize(&neg.f[f], max);
		CHECK(rset_complement(&neg.f[f], max, &tmp.f[f]));
		CHECK(rset_intersect(&pos.f[f], &tmp.f[f], &out->f[f]));
		rset_normalize(&out->f[f], max);
	}
out:
	gset_release(&pos);
	gset_release(&neg);
	gset_release(&tmp);
	return rc;
}

static int parse_text(struct gparse *g, const char *text, struct gset *out)
{
	/* Spaces are allowed inside lists ("[80, 443]"): drop them. */
	size_t n = strlen(text);
	if (n > 64 * 1024)
		return gerr(g, text, text, "%s group too long", g->ports ? "port" : "address");
	char *copy = malloc(n + 1), *w = copy;
	if (!copy)
		return MAMORI_ENOMEM;
	for (const char *p = text; *p; p++)
		if (*p != ' ' && *p != '\t')
			*w++ = *p;
	*w = 0;
	const char *p = copy;
	int rc;
	if (!*copy)
		rc = gerr(g, text, text, "empty %s group", g->ports ? "port" : "address");
	else
		rc = parse_list(g, copy, &p, false, out);
	free(copy);
	return rc;
}

static bool covers_all(const struct rset *s, struct rule_ip max)
{
	return s->n == 1 && s->v[0].lo.hi == 0 && s->v[0].lo.lo == 0 &&
	       ip_cmp(s->v[0].hi, max) == 0;
}

int rule_addrset_parse(struct rule_addrset *out, const char *text,
		       const struct rule_vars *vars, struct mamori_diag *diag)
{
	struct gparse g = {.vars = vars, .ports = false, .diag = diag};
	struct gset s = {0};
	memset(out, 0, sizeof(*out));
	int rc = parse_text(&g, text, &s);
	if (rc < 0)
		goto out;
	if (!s.f[FAM_V4].n && !s.f[FAM_V6].n) {
		mamori_diag_set(diag, 0, 1, "address group '%s' matches no address", text);
		FAIL(MAMORI_FORMAT_ERR());
	}
	out->any = covers_all(&s.f[FAM_V4], fam_max[FAM_V4]) &&
		   covers_all(&s.f[FAM_V6], fam_max[FAM_V6]);
	out->v4 = s.f[FAM_V4].v;
	out->n4 = s.f[FAM_V4].n;
	out->v6 = s.f[FAM_V6].v;
	out->n6 = s.f[FAM_V6].n;
	memset(&s, 0, sizeof(s));
out:
	gset_release(&s);
	return rc;
}

void rule_addrset_release(struct rule_addrset *s)
{
	free(s->v4);
	free(s->v6);
	memset(s, 0, sizeof(*s));
}

int rule_portset_parse(struct rule_portset *out, const char *text,
		       const struct rule_vars *vars, struct mamori_diag *diag)
{
	struct gparse g = {.vars = vars, .ports = true, .diag = diag};
	struct gset s = {0};
	memset(out, 0, sizeof(*out));
	int rc = parse_text(&g, text, &s);
	if (rc < 0)
		goto out;
	const struct rset *r = &s.f[FAM_V4];
	if (!r->n) {
		mamori_diag_set(diag, 0, 1, "port group '%s' matches no port", text);
		FAIL(MAMORI_FORMAT_ERR());
	}
	out->v = malloc(r->n * sizeof(*out->v));
	if (!out->v)
		FAIL(MAMORI_ENOMEM);
	for (uint32_t i = 0; i < r->n; i++) {
		out->v[i].lo = (uint16_t)r->v[i].lo.lo;
		out->v[i].hi = (uint16_t)r->v[i].hi.lo;
	}
	out->n = r->n;
	out->any = covers_all(r, port_max);
out:
	gset_release(&s);
	return rc;
}

void rule_portset_release(struct rule_portset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool in_ranges(const struct rule_iprange *v, uint32_t n, struct rule_ip ip)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ip_cmp(ip, v[mid].lo) < 0)
			hi = mid;
		else if (ip_cmp(ip, v[mid].hi) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool rule_addrset_has_v4(const struct rule_addrset *s, uint32_t addr)
{
	return s->any || in_ranges(s->v4, s->n4, (struct rule_ip){0, addr});
}

bool rule_addrset_has_v6(const struct rule_addrset *s, const uint8_t addr[16])
{
	if (s->any)
		return true;
	struct rule_ip ip = {0, 0};
	for (int i = 0; i < 8; i++) {
		ip.hi = (ip.hi << 8) | addr[i];
		ip.lo = (ip.lo << 8) | addr[i + 8];
	}
	return in_ranges(s->v6, s->n6, ip);
}

bool rule_portset_has(const struct rule_portset *s, uint16_t port)
{
	if (s->any)
		return true;
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (port < s->v[mid].lo)
			hi = mid;
		else if (port > s->v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}
