/*
 * Exact evaluation of one inspection list of a rule over one buffer: the
 * payload, the stream, an app-layer buffer (http.uri ...) or what
 * base64_decode produced.  This is the second stage after the prefilter.
 *
 * It follows Suricata's DetectEngineContentInspection: the sigmatches of
 * the list are tried in order, carrying a "buffer offset" (the end of the
 * last content or pcre match, or where byte_jump/byte_extract left it)
 * that relative keywords start from.  When a content or pcre is found but
 * something after it that is relative to it (RELATIVE_NEXT) fails, the
 * search resumes one byte after the previous match of that content or pcre
 * (backtracking), so "content:a; content:b; within:2;" finds "a.b" after
 * an earlier lone "a".  A negated content or pcre matches when the pattern
 * is absent from its window.  Backtracking is capped (RULE_MATCH_BUDGET
 * steps per call) like Suricata's inspection recursion limit, so no input
 * can make a rule take unbounded time; a rule that runs out of budget does
 * not match.
 *
 * Positions follow Suricata: depth counts from offset (content:"x";
 * offset:2; depth:3 looks in bytes [2,5)); distance counts from the end of
 * the previous match and may be negative; within limits the end of the
 * match to (previous end + distance + within); isdataat:N is true when
 * byte N exists, isdataat:N,relative when N more bytes follow the offset.
 *
 * Transforms at the head of the list (strip_whitespace, to_sha256, ...)
 * are applied first, into two alternating scratch buffers of the context
 * (capped by RULE_XFORM_MAX_LEN); "absent" matches only a buffer that does
 * not exist (buf == NULL), or with or_else also one the rest matches.
 *
 * Hand-written rather than a library because it is the engine's core loop
 * and its semantics are Suricata's, not a generic regex engine's; all
 * reads of buf are bounds-checked against len before they happen.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"

#define RULE_MATCH_BUDGET 3000	/* inspection steps per list evaluation */
#define B64_MAX (64u * 1024)	/* base64_decode output cap */

struct mstate {
	const struct rule *r;
	struct rule_match_ctx *m;
	const uint8_t *buf;
	size_t len;
	uint32_t budget;
	bool out_of_budget;
};

#define PCRE_MATCH_LIMIT 3500	/* Suricata's pcre.match-limit default */
#define PCRE_DEPTH_LIMIT 1500	/* ... and pcre.match-limit-recursion */

int rule_match_ctx_init(struct rule_match_ctx *m)
{
	memset(m, 0, sizeof(*m));
	m->md = pcre2_match_data_create(32, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (!m->md || !m->mc) {
		rule_match_ctx_release(m);
		return MAMORI_ENOMEM;
	}
	pcre2_set_match_limit(m->mc, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, PCRE_DEPTH_LIMIT);
	return 0;
}

void rule_match_ctx_release(struct rule_match_ctx *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	free(m->b64);
	free(m->xf[0]);
	free(m->xf[1]);
	memset(m, 0, sizeof(*m));
}

static uint64_t var_or(const struct mstate *s, bool is_var, int64_t v)
{
	if (!is_var)
		return (uint64_t)v;
	return v >= 0 && v < RULE_MAX_VARS ? s->m->vars[v] : 0;
}

/* First occurrence of pat in [p, p+n); NULL if none. */
static const uint8_t *search(const uint8_t *p, size_t n, const uint8_t *pat, size_t plen,
			     bool nocase)
{
	if (plen > n)
		return NULL;
	if (!nocase)
		return memmem(p, n, pat, plen);
	int f0 = tolower(pat[0]);
	for (size_t i = 0; i + plen <= n; i++) {
		if (tolower(p[i]) != f0)
			continue;
		size_t k = 1;
		while (k < plen && tolower(p[i + k]) == tolower(pat[k]))
			k++;
		if (k == plen)
			return p + i;
	}
	return NULL;
}

static bool equal_at(const uint8_t *p, const uint8_t *pat, size_t plen, bool nocase)
{
	if (!nocase)
		return !memcmp(p, pat, plen);
	for (size_t i = 0; i < plen; i++)
		if (tolower(p[i]) != tolower(pat[i]))
			return false;
	return true;
}

static int inspect(struct mstate *s, const struct rule_smlist *l, uint32_t idx, size_t boff);

/*
 * Window of a content: [*start, *end) in buf.  Returns false when the
 * window is empty or impossible.
 */
static bool content_window(const struct mstate *s, const struct rule_content *c, size_t boff,
			   size_t from, size_t *start, size_t *end)
{
	int64_t lo = 0, hi = (int64_t)s->len;
	if (c->flags & (RULE_CF_DISTANCE | RULE_CF_WITHIN)) {
		int64_t base = (int64_t)boff;
		int64_t dist = 0;
		if (c->flags & RULE_CF_DISTANCE)
			dist = (int64_t)var_or(s, c->flags & RULE_CF_DISTANCE_VAR, c->distance);
		if ((c->flags & RULE_CF_DISTANCE_VAR) && dist > INT32_MAX)
			return false;
		lo = base + dist;
		if (lo < 0)
			lo = 0;
		if (c->flags & RULE_CF_WITHIN) {
			int64_t w = (int64_t)var_or(s, c->flags & RULE_CF_WITHIN_VAR, c->within);
			int64_t lim = base + dist + w;
			if (lim < hi)
				hi = lim;
		}
	} else {
		if (c->flags & RULE_CF_OFFSET)
			lo = (int64_t)var_or(s, c->flags & RULE_CF_OFFSET_VAR, c->offset);
		if (c->flags & RULE_CF_DEPTH) {
			int64_t d = (int64_t)var_or(s, c->flags & RULE_CF_DEPTH_VAR, c->depth);
			if (lo + d < hi)
				hi = lo + d;
		}
	}
	if ((int64_t)from > lo)
		lo = (int64_t)from;
	if (lo > hi || hi - lo < (int64_t)c->len)
		return false;
	*start = (size_t)lo;
	*end = (size_t)hi;
	return true;
}

static int inspect_content(struct mstate *s, const struct rule_smlist *l, uint32_t idx,
			   size_t boff)
{
	const struct rule_content *c = l->v[idx].ctx;
	bool nocase = c->flags & RULE_CF_NOCASE;
	bool neg = c->flags & RULE_CF_NEGATED;
	size_t from = 0;
	for (;;) {
		if (!s->budget--) {
			s->out_of_budget = true;
			return 0;
		}
		size_t lo, hi;
		const uint8_t *found = NULL;
		if (content_window(s, c, boff, from, &lo, &hi)) {
			if (c->flags & RULE_CF_ENDSWITH) {
				/* only a match ending at the end of the buffer counts */
				if (hi == s->len && hi - lo >= c->len &&
				    equal_at(s->buf + hi - c->len, c->pat, c->len, nocase))
					found = s->buf + hi - c->len;
			} else {
				found = search(s->buf + lo, hi - lo, c->pat, c->len, nocase);
			}
		}
		if (!found)
			return neg ? inspect(s, l, idx + 1, boff) : 0;
		if (neg)
			return 0;
		size_t end = (size_t)(found - s->buf) + c->len;
		int rc = inspect(s, l, idx + 1, end);
		if (rc || !(c->flags & RULE_CF_RELATIVE_NEXT) || (c->flags & RULE_CF_ENDSWITH))
			return rc;
		from = (size_t)(found - s->buf) + 1;	/* backtrack */
	}
}

static int inspect_pcre(struct mstate *s, const struct rule_smlist *l, uint32_t idx, size_t boff)
{
	const struct rule_pcre *p = l->v[idx].ctx;
	bool neg = p->flags & RULE_PF_NEGATED;
	/* Like Suricata, the subject of a relative pcre starts at the offset
	 * ('^' anchors there); backtracking restarts inside that subject. */
	size_t base = (p->flags & RULE_PF_RELATIVE) ? boff : 0;
	size_t start = 0;
	for (;;) {
		if (!s->budget--) {
			s->out_of_budget = true;
			return 0;
		}
		int n = base <= s->len && start <= s->len - base
				? pcre2_match(p->code, s->buf + base, s->len - base, start, 0,
					      s->m->md,
					      (p->flags & RULE_PF_MATCH_LIMIT) ? NULL : s->m->mc)
				: -1;
		if (n < 0)
			return neg ? inspect(s, l, idx + 1, boff) : 0;
		if (neg)
			return 0;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->m->md);
		size_t mstart = ov[0], mend = base + ov[1];
		int rc = inspect(s, l, idx + 1, mend);
		if (rc || !(p->flags & RULE_PF_RELATIVE_NEXT))
			return rc;
		start = mstart + 1;	/* backtrack */
	}
}

/* Reads nbytes at pos as a number (binary or string); false if absent. */
static bool read_number(const struct mstate *s, const struct rule_byte *b, size_t pos,
			unsigned nbytes, uint64_t *out)
{
	if (b->flags & RULE_BF_STRING) {
		char tmp[24];
		size_t avail = pos <= s->len ? s->len - pos : 0;
		size_t n = nbytes ? nbytes : (avail < 23 ? avail : 23);
		if (n == 0 || n > 23 || n > avail)
			return false;
		memcpy(tmp, s->buf + pos, n);
		tmp[n] = 0;
		char *end;
		if (!isxdigit((unsigned char)tmp[0]))
			return false;
		unsigned long long v = strtoull(tmp, &end, b->base ? b->base : 10);
		if (end == tmp)
			return false;
		*out = v;
		return true;
	}
	if (nbytes == 0 || nbytes > 8 || pos > s->len || s->len - pos < nbytes)
		return false;
	uint64_t v = 0;
	bool little = (b->flags & (RULE_BF_LITTLE | RULE_BF_DCE)) != 0;
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned k = little ? nbytes - 1 - i : i;
		v = (v << 8) | s->buf[pos + k];
	}
	*out = v;
	return true;
}

static uint64_t apply_bitmask(const struct rule_byte *b, uint64_t v)
{
	if (!(b->flags & RULE_BF_BITMASK) || !b->bitmask)
		return v;
	v &= b->bitmask;
	uint32_t m = b->bitmask;
	while (!(m & 1)) {
		m >>= 1;
		v >>= 1;
	}
	return v;
}

/* Start position of a byte_* read; false when before the buffer. */
static bool byte_pos(const struct mstate *s, const struct rule_byte *b, size_t boff, size_t *pos)
{
	int64_t base = (b->flags & RULE_BF_RELATIVE) ? (int64_t)boff : 0;
	int64_t off = (int64_t)var_or(s, b->flags & RULE_BF_OFFSET_VAR, b->offset);
	if (b->flags & RULE_BF_OFFSET_VAR)
		off = (int64_t)(uint32_t)off;
	int64_t p = base + off;
	if (p < 0 || p > (int64_t)s->len)
		return false;
	*pos = (size_t)p;
	return true;
}

static int inspect_byte(struct mstate *s, const struct rule_smlist *l, uint32_t idx, size_t boff)
{
	const struct rule_sm *sm = &l->v[idx];
	const struct rule_byte *b = sm->ctx;
	size_t pos;
	uint64_t v;
	unsigned nbytes = b->nbytes;
	if (b->flags & RULE_BF_NBYTES_VAR) {
		uint64_t nv = var_or(s, true, b->var);
		if (nv > 23)
			return 0;
		nbytes = (unsigned)nv;
	}
	if (!byte_pos(s, b, boff, &pos))
		return 0;
	switch (sm->kw) {
	case RULE_KW_BYTE_TEST: {
		if (!read_number(s, b, pos, nbytes, &v))
			return 0;
		v = apply_bitmask(b, v);
		uint64_t want = var_or(s, b->flags & RULE_BF_VALUE_VAR, (int64_t)b->value);
		bool ok = false;
		switch ((enum rule_byte_op)b->op) {
		case RULE_BOP_LT: ok = v < want; break;
		case RULE_BOP_GT: ok = v > want; break;
		case RULE_BOP_EQ: ok = v == want; break;
		case RULE_BOP_AND: ok = (v & want) != 0; break;
		case RULE_BOP_XOR: ok = (v ^ want) != 0; break;
		case RULE_BOP_LE: ok = v <= want; break;
		case RULE_BOP_GE: ok = v >= want; break;
		}
		if (b->flags & RULE_BF_NEGATED)
			ok = !ok;
		return ok ? inspect(s, l, idx + 1, boff) : 0;
	}
	case RULE_KW_BYTE_JUMP: {
		int64_t jump = 0;
		size_t after = pos;
		if (nbytes) {
			if (!read_number(s, b, pos, nbytes, &v))
				return 0;
			v = apply_bitmask(b, v);
			if (v > (uint64_t)INT32_MAX)
				return 0;
			jump = (int64_t)v * (int64_t)b->multiplier;
			if ((b->flags & RULE_BF_ALIGN) && (jump % 4))
				jump += 4 - jump % 4;
			after = pos + nbytes;
		}
		int64_t np;
		if (b->flags & RULE_BF_FROM_BEGINNING)
			np = jump;
		else if (b->flags & RULE_BF_FROM_END)
			np = (int64_t)s->len + jump;
		else
			np = (int64_t)after + jump;
		np += b->post_offset;
		/* Suricata: before the start clamps to it, at or past the end fails */
		if (np < 0)
			np = 0;
		if (np >= (int64_t)s->len)
			return 0;
		return inspect(s, l, idx + 1, (size_t)np);
	}
	case RULE_KW_BYTE_EXTRACT: {
		if (!read_number(s, b, pos, nbytes, &v))
			return 0;
		v *= b->multiplier;
		if ((b->flags & RULE_BF_ALIGN) && b->align && (v % b->align))
			v += b->align - v % b->align;
		if (b->var >= 0 && b->var < RULE_MAX_VARS)
			s->m->vars[b->var] = v;
		size_t end = pos + ((b->flags & RULE_BF_STRING) && !nbytes ? 0 : nbytes);
		return inspect(s, l, idx + 1, end);
	}
	case RULE_KW_BYTE_MATH: {
		if (!read_number(s, b, pos, nbytes, &v))
			return 0;
		v = apply_bitmask(b, v);
		uint64_t rv = var_or(s, b->flags & RULE_BF_RVALUE_VAR, (int64_t)b->value);
		switch ((enum rule_math_op)b->op) {
		case RULE_MOP_ADD: v += rv; break;
		case RULE_MOP_SUB: v -= rv; break;
		case RULE_MOP_MUL: v *= rv; break;
		case RULE_MOP_DIV:
			if (!rv)
				return 0;
			v /= rv;
			break;
		case RULE_MOP_SHL: v = rv < 64 ? v << rv : 0; break;
		case RULE_MOP_SHR: v = rv < 64 ? v >> rv : 0; break;
		}
		if (b->var >= 0 && b->var < RULE_MAX_VARS)
			s->m->vars[b->var] = v;
		return inspect(s, l, idx + 1, boff);
	}
	default:
		return 0;
	}
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* RFC 4648 base64: stops at '=' or the first byte that is not base64
 * (Suricata's base64_decode is as strict). */
static size_t b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && o < cap; i++) {
		int v = b64_value(in[i]);
		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static int inspect_b64(struct mstate *s, const struct rule_smlist *l, uint32_t idx, size_t boff)
{
	const struct rule_b64 *d = l->v[idx].ctx;
	size_t start = (d->relative ? boff : 0) + d->offset;
	s->m->b64_len = 0;
	if (start < s->len) {
		size_t n = s->len - start;
		if (d->bytes && d->bytes < n)
			n = d->bytes;
		if (!s->m->b64) {
			s->m->b64 = malloc(B64_MAX);
			if (!s->m->b64)
				return 0;
		}
		s->m->b64_len = b64_decode(s->buf + start, n, s->m->b64, B64_MAX);
	}
	return inspect(s, l, idx + 1, boff);
}

static int inspect(struct mstate *s, const struct rule_smlist *l, uint32_t idx, size_t boff)
{
	if (idx >= l->n)
		return 1;
	if (s->out_of_budget)
		return 0;
	const struct rule_sm *sm = &l->v[idx];
	switch (sm->kw) {
	case RULE_KW_CONTENT:
		return inspect_content(s, l, idx, boff);
	case RULE_KW_PCRE:
		return inspect_pcre(s, l, idx, boff);
	case RULE_KW_ISDATAAT: {
		const struct rule_isdataat *d = sm->ctx;
		uint64_t n = var_or(s, d->flags & RULE_IF_VAR, d->n);
		bool ok = (d->flags & RULE_IF_RELATIVE) ? boff + n <= s->len : n < s->len;
		if (d->flags & RULE_IF_NEGATED)
			ok = !ok;
		return ok ? inspect(s, l, idx + 1, boff) : 0;
	}
	case RULE_KW_BYTE_TEST:
	case RULE_KW_BYTE_JUMP:
	case RULE_KW_BYTE_EXTRACT:
	case RULE_KW_BYTE_MATH:
		return inspect_byte(s, l, idx, boff);
	case RULE_KW_BASE64_DECODE:
		return inspect_b64(s, l, idx, boff);
	case RULE_KW_BSIZE:
	case RULE_KW_DSIZE:
	case RULE_KW_URILEN:
		return rule_cmp_eval(sm->ctx, s->len) ? inspect(s, l, idx + 1, boff) : 0;
	case RULE_KW_TRANSFORM:	/* applied before inspection (apply_transforms) */
		return inspect(s, l, idx + 1, boff);
	case RULE_KW_ABSENT:
		/* the buffer exists here: only or_else lets the rest decide */
		return ((const struct rule_absent *)sm->ctx)->or_else ? inspect(s, l, idx + 1, boff)
								      : 0;
	default:
		return MAMORI_EUNSUPPORTED;
	}
}

/* ---- transforms -------------------------------------------------------- */

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hexdig(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool digest(const EVP_MD *md, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	unsigned int dl = 0;
	bool ok = EVP_Digest(in, n, out, &dl, md, NULL) == 1;
	*outlen = dl;
	return ok;
}

/*
 * Applies one transform from in[0..n) into out (room for n + 64 bytes);
 * returns the output length, or SIZE_MAX when the transform fails (the
 * rule then does not match).
 */
static size_t xform_apply(const struct rule_xform *x, const uint8_t *in, size_t n, uint8_t *out,
			  struct rule_match_ctx *m)
{
	size_t o = 0;
	switch ((enum rule_xform_kind)x->kind) {
	case RULE_XF_STRIP_WS:
		for (size_t i = 0; i < n; i++)
			if (!is_ws(in[i]))
				out[o++] = in[i];
		return o;
	case RULE_XF_COMPRESS_WS:
		for (size_t i = 0; i < n; i++) {
			if (is_ws(in[i])) {
				if (o && out[o - 1] == ' ' && i && is_ws(in[i - 1]))
					continue;
				out[o++] = ' ';
			} else {
				out[o++] = in[i];
			}
		}
		return o;
	case RULE_XF_LOWER:
	case RULE_XF_UPPER:
		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)(x->kind == RULE_XF_LOWER ? tolower(in[i]) : toupper(in[i]));
		return n;
	case RULE_XF_MD5:
	case RULE_XF_SHA1:
	case RULE_XF_SHA256:
		if (!digest(x->kind == RULE_XF_MD5 ? EVP_md5() : x->kind == RULE_XF_SHA1 ? EVP_sha1()
											 : EVP_sha256(),
			    in, n, out, &o))
			return SIZE_MAX;
		return o;
	case RULE_XF_URL_DECODE:
		for (size_t i = 0; i < n; i++) {
			int hi, lo;
			if (in[i] == '%' && i + 2 < n && (hi = hexdig(in[i + 1])) >= 0 &&
			    (lo = hexdig(in[i + 2])) >= 0) {
				out[o++] = (uint8_t)(hi << 4 | lo);
				i += 2;
			} else if (in[i] == '+') {
				out[o++] = ' ';
			} else {
				out[o++] = in[i];
			}
		}
		return o;
	case RULE_XF_DOTPREFIX:
		out[0] = '.';
		if (n)
			memcpy(out + 1, in, n);
		return n + 1;
	case RULE_XF_FROM_BASE64: {
		if (x->b64_offset >= n)
			return 0;
		size_t avail = n - x->b64_offset;
		if (x->b64_bytes && x->b64_bytes < avail)
			avail = x->b64_bytes;
		const uint8_t *p = in + x->b64_offset;
		uint32_t acc = 0;
		int bits = 0;
		for (size_t i = 0; i < avail; i++) {
			int v = b64_value(p[i]);
			if (v < 0) {
				if (p[i] == '=' && x->b64_mode != RULE_B64_RFC2045)
					break;
				if (x->b64_mode == RULE_B64_RFC2045)
					continue;
				if (x->b64_mode == RULE_B64_STRICT)
					return SIZE_MAX;
				break;
			}
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (uint8_t)(acc >> bits);
			}
		}
		return o;
	}
	case RULE_XF_HEADER_LOWER: {
		bool name = true;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = in[i];
			if (c == '\n')
				name = true;
			else if (c == ':')
				name = false;
			out[i] = name ? (uint8_t)tolower(c) : c;
		}
		return n;
	}
	case RULE_XF_STRIP_PSEUDO: {
		/* drops header lines starting with ':' (HTTP/2 pseudo headers) */
		size_t i = 0;
		while (i < n) {
			const uint8_t *nl = memchr(in + i, '\n', n - i);
			size_t e = nl ? (size_t)(nl - in) + 1 : n;
			if (in[i] != ':') {
				memcpy(out + o, in + i, e - i);
				o += e - i;
			}
			i = e;
		}
		return o;
	}
	case RULE_XF_PCREXFORM: {
		int rc = pcre2_match(x->re, in, n, 0, 0, m->md, m->mc);
		if (rc < 2) {
			memcpy(out, in, n);
			return n;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		if (ov[2] == PCRE2_UNSET || ov[3] < ov[2])
			return 0;
		memcpy(out, in + ov[2], ov[3] - ov[2]);
		return ov[3] - ov[2];
	}
	case RULE_XF_XOR:
		for (size_t i = 0; i < n; i++)
			out[i] = in[i] ^ x->key[i % x->keylen];
		return n;
	}
	return SIZE_MAX;
}

/* Runs the transforms at the head of l; *first is the first other entry. */
static bool apply_transforms(const struct rule_smlist *l, const uint8_t **buf, size_t *len,
			     uint32_t *first, struct rule_match_ctx *m)
{
	uint32_t i = 0;
	int which = 0;
	for (; i < l->n && l->v[i].kw == RULE_KW_TRANSFORM; i++) {
		if (*len > RULE_XFORM_MAX_LEN)
			return false;
		size_t need = *len + 64;
		if (m->xf_cap[which] < need) {
			uint8_t *nb = realloc(m->xf[which], need);
			if (!nb)
				return false;
			m->xf[which] = nb;
			m->xf_cap[which] = need;
		}
		size_t n = xform_apply(l->v[i].ctx, *buf, *len, m->xf[which], m);
		if (n == SIZE_MAX)
			return false;
		*buf = m->xf[which];
		*len = n;
		which ^= 1;
	}
	*first = i;
	return true;
}

int rule_match_list(const struct rule *r, int list, const uint8_t *buf, size_t len,
		    struct rule_match_ctx *m)
{
	if (list < 0 || list >= RULE_LIST_MAX || list == RULE_LIST_MATCH ||
	    list == RULE_LIST_POSTMATCH || list == RULE_LIST_THRESHOLD)
		return MAMORI_EINVAL;
	const struct rule_smlist *l = &r->lists[list];
	for (uint32_t i = 0; i < l->n; i++) {
		switch (l->v[i].kw) {
		case RULE_KW_CONTENT: case RULE_KW_PCRE: case RULE_KW_ISDATAAT:
		case RULE_KW_BYTE_TEST: case RULE_KW_BYTE_JUMP: case RULE_KW_BYTE_EXTRACT:
		case RULE_KW_BYTE_MATH: case RULE_KW_BASE64_DECODE: case RULE_KW_BSIZE:
		case RULE_KW_URILEN: case RULE_KW_DSIZE: case RULE_KW_ABSENT:
		case RULE_KW_TRANSFORM:
			break;
		default:
			return MAMORI_EUNSUPPORTED;
		}
	}
	if (!buf) {
		/* the buffer does not exist: only absent matches that */
		if (l->n && l->v[0].kw == RULE_KW_ABSENT)
			return 1;
		len = 0;
	}
	static const uint8_t empty[1];
	const uint8_t *data = buf ? buf : empty;
	uint32_t first = 0;
	if (!apply_transforms(l, &data, &len, &first, m))
		return 0;
	struct mstate s = {r, m, data, len, RULE_MATCH_BUDGET, false};
	m->b64_len = 0;
	int rc = inspect(&s, l, first, 0);
	if (rc == 1 && list != RULE_LIST_BASE64 && r->lists[RULE_LIST_BASE64].n) {
		/* base64_data: what this list's base64_decode produced */
		bool decoded = false;
		for (uint32_t i = 0; i < l->n; i++)
			if (l->v[i].kw == RULE_KW_BASE64_DECODE)
				decoded = true;
		if (decoded) {
			if (!m->b64_len)
				return 0;
			struct mstate s2 = {r, m, m->b64, m->b64_len, RULE_MATCH_BUDGET, false};
			rc = inspect(&s2, &r->lists[RULE_LIST_BASE64], 0, 0);
		}
	}
	return rc;
}

/* Additive accessor for the engine's dataset keyword (see rule.h). */
bool rule_list_transform(const struct rule *r, int list, const uint8_t *buf, size_t len,
			 const uint8_t **out, size_t *out_len, struct rule_match_ctx *m)
{
	if (list < 0 || list >= RULE_LIST_MAX)
		return false;
	static const uint8_t empty[1];
	const uint8_t *data = buf ? buf : empty;
	uint32_t first = 0;
	if (!apply_transforms(&r->lists[list], &data, &len, &first, m))
		return false;
	*out = data;
	*out_len = len;
	return true;
}
