/*
 * Connection-oriented DCERPC: the PDU reader and association state
 * (dcerpc_int.h, also used by smb.c for named pipes) and the app_dcerpc
 * parser for DCERPC directly over TCP (port 135 and anything the probe
 * recognises), with Suricata 7's EVE "dcerpc" records.
 *
 * Why: Conficker's MS08-067 exploit and remote job creation are DCERPC
 * calls (srvsvc opnum 31/32, atsvc opnum 0); the rule engine must see the
 * interface bound to the request's context, the opnum and the reassembled
 * stub, whatever the fragmentation, context id or byte order.
 *
 * Why hand-written: it sits on the packet path and reads hostile bytes;
 * no Debian library parses DCERPC PDUs from captured bytes (Samba's
 * librpc needs a whole NDR-typed pipe and trusts its peers).
 *
 * TCP framing: a stream of PDUs, each frag_length bytes (16-bit, in the
 * byte order of its drep); a PDU shorter than its header or whose header
 * is not DCERPC loses the framing and returns APP_ERROR (counted).
 * A transaction is one call (bind/bind_ack, request/response by call_id).
 *
 * Invariants: see dcerpc_int.h; call->stub is capped at cfg->body_limit;
 * the TCP transaction list holds at most cfg->max_tx calls (the oldest is
 * forced done past that).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dcerpc_int.h"
#include "util/cursor.h"
#include "util/err.h"

#define DCERPC_FAIL(why) ((void)MAMORI_FORMAT_ERR(), (int)(why) + 1)

/* ---- PDU reader ---------------------------------------------------------- */

struct dcur {
	struct cursor c;
	bool be;
};

static bool d16(struct dcur *d, uint16_t *v)
{
	return d->be ? cur_u16be(&d->c, v) : cur_u16le(&d->c, v);
}

static bool d32(struct dcur *d, uint32_t *v)
{
	return d->be ? cur_u32be(&d->c, v) : cur_u32le(&d->c, v);
}

/* A UUID in drep order -> canonical bytes. */
static bool duuid(struct dcur *d, uint8_t out[16])
{
	uint32_t a;
	uint16_t b, c;
	if (!d32(d, &a) || !d16(d, &b) || !d16(d, &c) || !cur_copy(&d->c, out + 8, 8))
		return false;
	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
	out[4] = (uint8_t)(b >> 8);
	out[5] = (uint8_t)b;
	out[6] = (uint8_t)(c >> 8);
	out[7] = (uint8_t)c;
	return true;
}

int dcerpc_header_check(const uint8_t *p, size_t len, uint16_t *frag_len)
{
	if (len < DCERPC_HDR_LEN)
		return -1;
	if (p[0] != 5 || p[1] > 1 || p[2] >= DCERPC_PTYPE_MAX)
		return 0;
	if ((p[4] & 0xeeu) != 0 || p[5] > 3)	/* integer/char rep, float rep */
		return 0;
	unsigned lo = p[8], hi = p[9];
	uint16_t fl = (p[4] & 0x10u) ? (uint16_t)(lo | (hi << 8))
				     : (uint16_t)((lo << 8) | hi);
	if (fl < DCERPC_HDR_LEN)
		return 0;
	*frag_len = fl;
	return 1;
}

/* p_cont_list of bind / alter_context. */
static int dcerpc_read_ctx_list(struct dcur *d, struct dcerpc_pdu *out)
{
	uint8_t n, rsv;
	uint16_t rsv2;
	if (!cur_u8(&d->c, &n) || !cur_u8(&d->c, &rsv) || !d16(d, &rsv2))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t id;
		uint32_t ver;	/* major in the low 16 bits (C706 12.6.3.1) */
		uint8_t ntr, r;
		uint8_t uuid[16];
		if (!d16(d, &id) || !cur_u8(&d->c, &ntr) || !cur_u8(&d->c, &r) ||
		    !duuid(d, uuid) || !d32(d, &ver) ||
		    !cur_skip(&d->c, (size_t)ntr * 20u))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		if (out->nctx >= DCERPC_MAX_CTX) {
			rc = DCERPC_FAIL(DCERPC_CNT_TOO_MANY_CTX);
			continue;
		}
		struct dcerpc_iface *f = &out->ctx[out->nctx++];
		memset(f, 0, sizeof(*f));
		f->ctx_id = id;
		memcpy(f->uuid, uuid, 16);
		f->ver = (uint16_t)ver;
		f->ver_minor = (uint16_t)(ver >> 16);
	}
	return rc;
}

/* bind_ack / alter_context_resp: secondary address, then p_result_list. */
static int dcerpc_read_results(struct dcur *d, const uint8_t *pdu,
			       struct dcerpc_pdu *out)
{
	uint16_t xmit, recv, alen;
	uint32_t group;
	if (!d16(d, &xmit) || !d16(d, &recv) || !d32(d, &group) ||
	    !d16(d, &alen) || !cur_skip(&d->c, alen))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	size_t off = (size_t)(d->c.p - pdu);
	if (!cur_skip(&d->c, (4u - (off & 3u)) & 3u))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	uint8_t n, rsv;
	uint16_t rsv2;
	if (!cur_u8(&d->c, &n) || !cur_u8(&d->c, &rsv) || !d16(d, &rsv2))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t result, reason;
		if (!d16(d, &result) || !d16(d, &reason) || !cur_skip(&d->c, 20))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		if (out->nctx >= DCERPC_MAX_CTX) {
			rc = DCERPC_FAIL(DCERPC_CNT_TOO_MANY_CTX);
			continue;
		}
		struct dcerpc_iface *f = &out->ctx[out->nctx++];
		memset(f, 0, sizeof(*f));
		f->acked = true;
		f->ack_result = result;
		f->ack_reason = reason;
	}
	return rc;
}

int dcerpc_pdu_parse(const uint8_t *p, size_t len, struct dcerpc_pdu *out)
{
	struct dcur d;
	memset(out, 0, sizeof(*out));
	cur_init(&d.c, p, len);
	uint8_t drep[4];
	if (!cur_u8(&d.c, &out->vers) || !cur_u8(&d.c, &out->vers_minor) ||
	    !cur_u8(&d.c, &out->ptype) || !cur_u8(&d.c, &out->flags) ||
	    !cur_copy(&d.c, drep, 4))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	d.be = !(drep[0] & 0x10u);
	out->big_endian = d.be;
	if (!d16(&d, &out->frag_len) || !d16(&d, &out->auth_len) ||
	    !d32(&d, &out->call_id))
		return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
	if (out->vers != 5)
		return DCERPC_FAIL(DCERPC_CNT_BAD_VERSION);
	if (out->frag_len != len)
		return DCERPC_FAIL(DCERPC_CNT_BAD_FRAG_LEN);
	/* The body ends where the auth verifier (8-byte trailer + token) starts. */
	size_t body = cur_len(&d.c);
	if (out->auth_len) {
		size_t tail = (size_t)out->auth_len + 8u;
		if (tail > body)
			return DCERPC_FAIL(DCERPC_CNT_BAD_FRAG_LEN);
		body -= tail;
	}
	d.c.len = body;
	uint32_t alloc_hint;
	switch (out->ptype) {
	case DCERPC_REQUEST:
		if (!d32(&d, &alloc_hint) || !d16(&d, &out->ctx_id) ||
		    !d16(&d, &out->opnum))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		if ((out->flags & DCERPC_PFC_OBJECT_UUID) && !cur_skip(&d.c, 16))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		out->stub = d.c.p;
		out->stub_len = cur_len(&d.c);
		return 0;
	case DCERPC_RESPONSE:
	case DCERPC_FAULT: {
		uint8_t cancel, rsv;
		if (!d32(&d, &alloc_hint) || !d16(&d, &out->ctx_id) ||
		    !cur_u8(&d.c, &cancel) || !cur_u8(&d.c, &rsv))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		if (out->ptype == DCERPC_RESPONSE) {
			out->stub = d.c.p;
			out->stub_len = cur_len(&d.c);
		}
		return 0;
	}
	case DCERPC_BIND:
	case DCERPC_ALTER_CONTEXT: {
		uint16_t xmit, recv;
		uint32_t group;
		if (!d16(&d, &xmit) || !d16(&d, &recv) || !d32(&d, &group))
			return DCERPC_FAIL(DCERPC_CNT_TRUNCATED);
		return dcerpc_read_ctx_list(&d, out);
	}
	case DCERPC_BIND_ACK:
	case DCERPC_ALTER_CONTEXT_RESP:
		return dcerpc_read_results(&d, p, out);
	default:
		return 0;
	}
}

/* ---- calls and associations -------------------------------------------- */

void dcerpc_call_ref(struct dcerpc_call *c)
{
	c->refs++;
}

void dcerpc_call_unref(struct dcerpc_call *c)
{
	if (!c || --c->refs)
		return;
	buf_release(&c->stub[0]);
	buf_release(&c->stub[1]);
	free(c);
}

static bool dcerpc_no_response(uint8_t ptype)
{
	return ptype == DCERPC_AUTH3 || ptype == DCERPC_CO_CANCEL ||
	       ptype == DCERPC_ORPHANED || ptype == DCERPC_SHUTDOWN;
}

bool dcerpc_call_complete(const struct dcerpc_call *c)
{
	if (c->res_done)
		return true;
	return c->req_done && dcerpc_no_response(c->req_type);
}

void dcerpc_assoc_init(struct dcerpc_assoc *a, uint64_t *cnt, size_t stub_cap)
{
	memset(a, 0, sizeof(*a));
	a->cnt = cnt;
	a->stub_cap = stub_cap;
	buf_init(&a->pdu[0], DCERPC_MAX_FRAG);
	buf_init(&a->pdu[1], DCERPC_MAX_FRAG);
}

void dcerpc_assoc_release(struct dcerpc_assoc *a)
{
	for (size_t i = 0; i < a->nopen; i++)
		dcerpc_call_unref(a->open[i]);
	a->nopen = 0;
	buf_release(&a->pdu[0]);
	buf_release(&a->pdu[1]);
}

static void dcerpc_count(struct dcerpc_assoc *a, int c)
{
	if (a->cnt && c >= 0 && c < DCERPC_CNT_MAX)
		a->cnt[c]++;
}

static void dcerpc_close_call(struct dcerpc_assoc *a, size_t i)
{
	dcerpc_call_unref(a->open[i]);
	memmove(a->open + i, a->open + i + 1, (a->nopen - i - 1) * sizeof(a->open[0]));
	a->nopen--;
}

static struct dcerpc_call *dcerpc_new_call(struct dcerpc_assoc *a,
					   const struct dcerpc_pdu *pdu,
					   uint64_t ts)
{
	if (a->nopen == DCERPC_MAX_OPEN) {
		dcerpc_count(a, DCERPC_CNT_TOO_MANY_CALLS);
		dcerpc_close_call(a, 0);
	}
	struct dcerpc_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->refs = 1;
	c->call_id = pdu->call_id;
	c->rpc_vers = pdu->vers;
	c->rpc_vers_minor = pdu->vers_minor;
	c->req_type = c->res_type = 0xff;
	c->ts = ts;
	buf_init(&c->stub[0], a->stub_cap);
	buf_init(&c->stub[1], a->stub_cap);
	a->open[a->nopen++] = c;
	return c;
}

/* The newest open call with this call_id still waiting for side dir. */
static struct dcerpc_call *dcerpc_find(struct dcerpc_assoc *a, uint32_t call_id,
				       int dir)
{
	for (size_t i = a->nopen; i-- > 0;) {
		struct dcerpc_call *c = a->open[i];
		if (c->call_id != call_id)
			continue;
		if (dir == APP_DIR_TOSERVER ? !c->req_done : !c->res_done)
			return c;
	}
	return NULL;
}

static struct dcerpc_iface *dcerpc_ctx_get(struct dcerpc_assoc *a, uint16_t id)
{
	for (size_t i = 0; i < a->nctx; i++)
		if (a->ctx[i].ctx_id == id)
			return &a->ctx[i];
	return NULL;
}

static void dcerpc_ctx_offer(struct dcerpc_assoc *a, const struct dcerpc_iface *f)
{
	struct dcerpc_iface *e = dcerpc_ctx_get(a, f->ctx_id);
	if (!e) {
		if (a->nctx >= DCERPC_MAX_CTX) {
			dcerpc_count(a, DCERPC_CNT_TOO_MANY_CTX);
			return;
		}
		e = &a->ctx[a->nctx++];
	}
	*e = *f;
	e->acked = false;
}

static void dcerpc_stub_add(struct dcerpc_assoc *a, struct dcerpc_call *c,
			    int dir, const uint8_t *p, size_t n)
{
	if (n && buf_append(&c->stub[dir], p, n) != 0)
		dcerpc_count(a, DCERPC_CNT_STUB_CAPPED);
}

static struct dcerpc_call *dcerpc_on_request(struct dcerpc_assoc *a,
					     const struct dcerpc_pdu *pdu,
					     uint64_t ts, bool *created)
{
	struct dcerpc_call *c = dcerpc_find(a, pdu->call_id, APP_DIR_TOSERVER);
	if (c && c->req_set && c->req_type != pdu->ptype)
		c = NULL;
	if (c && (pdu->flags & DCERPC_PFC_FIRST_FRAG) && c->frag_cnt[0]) {
		/* A new first fragment with the same call_id: a new call. */
		dcerpc_count(a, DCERPC_CNT_FRAG_ORDER);
		c->req_done = true;
		c = NULL;
	}
	if (!c) {
		c = dcerpc_new_call(a, pdu, ts);
		if (!c)
			return NULL;
		*created = true;
		if (!(pdu->flags & DCERPC_PFC_FIRST_FRAG))
			dcerpc_count(a, DCERPC_CNT_FRAG_ORDER);
	}
	c->req_set = true;
	c->req_type = pdu->ptype;
	c->frag_cnt[0]++;
	if (pdu->flags & DCERPC_PFC_FIRST_FRAG)
		c->first_frag_seen = true;
	if (pdu->flags & DCERPC_PFC_LAST_FRAG) {
		c->last_frag_seen = true;
		c->req_done = true;
	}
	if (pdu->ptype == DCERPC_REQUEST) {
		if (c->frag_cnt[0] == 1 || (pdu->flags & DCERPC_PFC_FIRST_FRAG)) {
			c->opnum = pdu->opnum;
			c->ctx_id = pdu->ctx_id;
			c->big_endian = pdu->big_endian;
			const struct dcerpc_iface *f = dcerpc_ctx_get(a, pdu->ctx_id);
			c->iface_known = f != NULL;
			if (f)
				c->iface = *f;
			else
				dcerpc_count(a, DCERPC_CNT_UNKNOWN_CTX);
		}
		dcerpc_stub_add(a, c, 0, pdu->stub, pdu->stub_len);
	} else if (pdu->ptype == DCERPC_BIND || pdu->ptype == DCERPC_ALTER_CONTEXT) {
		c->req_done = true;
		c->nifaces = pdu->nctx;
		memcpy(c->ifaces, pdu->ctx, pdu->nctx * sizeof(pdu->ctx[0]));
		for (size_t i = 0; i < pdu->nctx; i++)
			dcerpc_ctx_offer(a, &pdu->ctx[i]);
	} else {
		c->req_done = true;
	}
	return c;
}

static struct dcerpc_call *dcerpc_on_response(struct dcerpc_assoc *a,
					      const struct dcerpc_pdu *pdu,
					      uint64_t ts, bool *created)
{
	struct dcerpc_call *c = dcerpc_find(a, pdu->call_id, APP_DIR_TOCLIENT);
	if (!c) {
		dcerpc_count(a, DCERPC_CNT_NO_REQUEST);
		c = dcerpc_new_call(a, pdu, ts);
		if (!c)
			return NULL;
		*created = true;
	}
	c->res_set = true;
	c->res_type = pdu->ptype;
	c->frag_cnt[1]++;
	bool last = (pdu->flags & DCERPC_PFC_LAST_FRAG) ||
		    pdu->ptype != DCERPC_RESPONSE;
	if (pdu->ptype == DCERPC_RESPONSE)
		dcerpc_stub_add(a, c, 1, pdu->stub, pdu->stub_len);
	if (pdu->ptype == DCERPC_BIND_ACK || pdu->ptype == DCERPC_ALTER_CONTEXT_RESP) {
		/* Results are in the order of the offered contexts. */
		for (size_t i = 0; i < pdu->nctx && i < c->nifaces; i++) {
			struct dcerpc_iface *f = &c->ifaces[i];
			f->acked = true;
			f->ack_result = pdu->ctx[i].ack_result;
			f->ack_reason = pdu->ctx[i].ack_reason;
			struct dcerpc_iface *e = dcerpc_ctx_get(a, f->ctx_id);
			if (e)
				*e = *f;
		}
	}
	if (last) {
		c->res_done = true;
		c->req_done = true;
	}
	return c;
}

/* Lets go of the calls that expect nothing more (their owners keep theirs). */
static void dcerpc_sweep(struct dcerpc_assoc *a)
{
	for (size_t i = 0; i < a->nopen;) {
		if (dcerpc_call_complete(a->open[i]))
			dcerpc_close_call(a, i);
		else
			i++;
	}
}

struct dcerpc_call *dcerpc_assoc_pdu(struct dcerpc_assoc *a, int dir,
				     const uint8_t *p, size_t len, uint64_t ts,
				     bool *created)
{
	struct dcerpc_pdu pdu;
	*created = false;
	/* Calls completed by earlier PDUs were handed out already. */
	dcerpc_sweep(a);
	int rc = dcerpc_pdu_parse(p, len, &pdu);
	if (rc) {
		dcerpc_count(a, rc - 1);
		dcerpc_count(a, DCERPC_CNT_MALFORMED);
		return NULL;
	}
	(void)dir;
	switch (pdu.ptype) {
	case DCERPC_REQUEST:
	case DCERPC_BIND:
	case DCERPC_ALTER_CONTEXT:
	case DCERPC_AUTH3:
	case DCERPC_CO_CANCEL:
	case DCERPC_ORPHANED:
	case DCERPC_SHUTDOWN:
		return dcerpc_on_request(a, &pdu, ts, created);
	case DCERPC_RESPONSE:
	case DCERPC_FAULT:
	case DCERPC_BIND_ACK:
	case DCERPC_BIND_NAK:
	case DCERPC_ALTER_CONTEXT_RESP:
		return dcerpc_on_response(a, &pdu, ts, created);
	default:
		return NULL;	/* connectionless types and RTS: not followed */
	}
}

static void dcerpc_feed_pdu(struct dcerpc_assoc *a, int dir, const uint8_t *p,
			    size_t n, uint64_t ts, dcerpc_call_fn fn, void *ctx)
{
	bool created;
	struct dcerpc_call *c = dcerpc_assoc_pdu(a, dir, p, n, ts, &created);
	if (c && fn) {
		dcerpc_call_ref(c);
		fn(c, created, ctx);
		dcerpc_call_unref(c);
	}
}

void dcerpc_assoc_feed(struct dcerpc_assoc *a, int dir, const uint8_t *data,
		       size_t len, bool gap, uint64_t ts, dcerpc_call_fn fn,
		       void *ctx)
{
	struct buf *pb = &a->pdu[dir & 1];
	if (gap && pb->len) {
		dcerpc_count(a, DCERPC_CNT_GAP);
		buf_reset(pb);
	}
	for (;;) {
		uint16_t fl = 0;
		if (pb->len) {
			/* Complete the held header, then the held PDU. */
			int h = dcerpc_header_check(pb->p, pb->len, &fl);
			if (h == 0) {
				dcerpc_count(a, DCERPC_CNT_BAD_VERSION);
				dcerpc_count(a, DCERPC_CNT_MALFORMED);
				buf_reset(pb);
				return;
			}
			size_t want = h > 0 ? fl : DCERPC_HDR_LEN;
			if (pb->len < want) {
				if (!len)
					return;
				size_t take = want - pb->len < len ? want - pb->len : len;
				if (buf_append(pb, data, take) != 0) {
					dcerpc_count(a, DCERPC_CNT_MALFORMED);
					buf_reset(pb);
					return;
				}
				data += take;
				len -= take;
				continue;
			}
			dcerpc_feed_pdu(a, dir, pb->p, fl, ts, fn, ctx);
			buf_reset(pb);
			continue;
		}
		if (!len)
			return;
		int h = dcerpc_header_check(data, len, &fl);
		if (h == 0) {
			dcerpc_count(a, DCERPC_CNT_BAD_VERSION);
			dcerpc_count(a, DCERPC_CNT_MALFORMED);
			return;
		}
		if (h < 0 || fl > len) {
			if (buf_append(pb, data, len) != 0) {
				dcerpc_count(a, DCERPC_CNT_MALFORMED);
				buf_reset(pb);
			}
			return;
		}
		dcerpc_feed_pdu(a, dir, data, fl, ts, fn, ctx);
		data += fl;
		len -= fl;
	}
}

/* ---- names and EVE -------------------------------------------------------- */

static const char *const dcerpc_ptype_names[DCERPC_PTYPE_MAX] = {
	"REQUEST",       "PING",      "RESPONSE",      "FAULT",
	"WORKING",       "NOCALL",    "REJECT",        "ACK",
	"CL_CANCEL",     "FACK",      "CANCEL_ACK",    "BIND",
	"BINDACK",       "BINDNAK",   "ALTER_CONTEXT", "ALTER_CONTEXT_RESP",
	"AUTH3",         "SHUTDOWN",  "CO_CANCEL",     "ORPHANED",
	"RTS",
};

const char *dcerpc_ptype_name(uint8_t ptype)
{
	return ptype < DCERPC_PTYPE_MAX ? dcerpc_ptype_names[ptype] : "UNKNOWN";
}

void dcerpc_uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void dcerpc_log_iface(struct jw *w, const char *key,
			     const struct dcerpc_iface *f, bool ack, bool reason)
{
	char u[37], v[16];
	dcerpc_uuid_str(f->uuid, u);
	snprintf(v, sizeof(v), "%u.%u", f->ver, f->ver_minor);
	jw_open_obj(w, key);
	jw_str(w, "uuid", u);
	jw_str(w, "version", v);
	if (ack && f->acked) {
		jw_u64(w, "ack_result", f->ack_result);
		/* Suricata 7 never fills ack_reason in and always logs 0 (checked
		 * by suricata-verify smb2-04); the EVE shape follows it. */
		if (reason)
			jw_u64(w, "ack_reason", 0);
	}
	jw_close_obj(w);
}

void dcerpc_call_log(const struct dcerpc_call *c, struct jw *w, bool smb)
{
	bool bind = c->req_type == DCERPC_BIND || c->req_type == DCERPC_ALTER_CONTEXT;
	jw_str(w, "request", c->req_set ? dcerpc_ptype_name(c->req_type) : "REQUEST_LOST");
	jw_str(w, "response", c->res_set ? dcerpc_ptype_name(c->res_type) : "UNREPLIED");
	if (c->req_set && c->req_type == DCERPC_REQUEST) {
		if (smb)
			jw_u64(w, "opnum", c->opnum);
		jw_open_obj(w, "req");
		if (!smb)
			jw_u64(w, "opnum", c->opnum);
		jw_u64(w, "frag_cnt", c->frag_cnt[0]);
		jw_u64(w, "stub_data_size", c->stub[0].len);
		jw_close_obj(w);
		if (smb && c->iface_known)
			dcerpc_log_iface(w, "interface", &c->iface, false, false);
	} else if (c->req_set && bind && c->nifaces) {
		jw_open_arr(w, "interfaces");
		for (size_t i = 0; i < c->nifaces; i++)
			dcerpc_log_iface(w, NULL, &c->ifaces[i], true, smb);
		jw_close_arr(w);
	}
	if (c->res_set && c->res_type == DCERPC_RESPONSE) {
		jw_open_obj(w, "res");
		jw_u64(w, "frag_cnt", c->frag_cnt[1]);
		jw_u64(w, "stub_data_size", c->stub[1].len);
		jw_close_obj(w);
	}
	jw_u64(w, "call_id", c->call_id);
	if (!smb) {
		char v[16];
		snprintf(v, sizeof(v), "%u.%u", c->rpc_vers, c->rpc_vers_minor);
		jw_str(w, "rpc_version", v);
	}
}

void dcerpc_call_info(const struct dcerpc_call *c, struct app_dcerpc_info *out)
{
	memset(out, 0, sizeof(*out));
	out->iface_known = c->iface_known;
	if (c->iface_known) {
		memcpy(out->iface_uuid, c->iface.uuid, 16);
		out->iface_ver_major = c->iface.ver;
		out->iface_ver_minor = c->iface.ver_minor;
		out->iface_acked = c->iface.acked && c->iface.ack_result == 0;
	}
	out->has_request = c->req_set && c->req_type == DCERPC_REQUEST;
	out->opnum = c->opnum;
	out->ctx_id = c->ctx_id;
	out->first_frag_seen = c->first_frag_seen;
	out->last_frag_seen = c->last_frag_seen;
	out->req_frag_cnt = c->frag_cnt[0];
	out->req_type = c->req_set ? c->req_type : 0xff;
	out->res_type = c->res_set ? c->res_type : 0xff;
	out->big_endian = c->big_endian;
}

/* ---- app_dcerpc: DCERPC over TCP ---------------------------------------- */

static const char *const dcerpc_counter_names[] = {
#define DCERPC_CNT_NAME(id, name) "dcerpc." name,
	DCERPC_COUNTER_MAP(DCERPC_CNT_NAME)
#undef DCERPC_CNT_NAME
	NULL,
};

static const uint16_t dcerpc_ports[] = {135, 593, 0};

struct dcerpc_tx {
	uint64_t id;
	struct dcerpc_call *call;	/* one reference */
	bool forced;			/* done because the list was full */
};

struct dcerpc_state {
	const struct app_config *cfg;
	struct dcerpc_assoc assoc;
	struct dcerpc_tx **tx;
	size_t ntx, cap;
	uint64_t first_id, next_id;
	uint64_t counters[DCERPC_CNT_MAX];
};

static void *dcerpc_state_new(const struct app_config *cfg)
{
	struct dcerpc_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = cfg;
	dcerpc_assoc_init(&st->assoc, st->counters,
			  cfg && cfg->body_limit ? cfg->body_limit : 1u << 20);
	return st;
}

static void dcerpc_tx_free(struct dcerpc_tx *tx)
{
	dcerpc_call_unref(tx->call);
	free(tx);
}

static void dcerpc_state_free(void *state)
{
	struct dcerpc_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntx; i++)
		dcerpc_tx_free(st->tx[i]);
	free(st->tx);
	dcerpc_assoc_release(&st->assoc);
	free(st);
}

static void dcerpc_tcp_new_tx(struct dcerpc_state *st, struct dcerpc_call *c)
{
	size_t max = st->cfg && st->cfg->max_tx ? st->cfg->max_tx : 1024;
	if (st->ntx >= max) {
		st->counters[DCERPC_CNT_TOO_MANY_CALLS]++;
		for (size_t i = 0; i < st->ntx; i++)
			if (!st->tx[i]->forced) {
				st->tx[i]->forced = true;
				break;
			}
		return;
	}
	if (st->ntx == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 8;
		void *p = realloc(st->tx, nc * sizeof(*st->tx));
		if (!p)
			return;
		st->tx = p;
		st->cap = nc;
	}
	struct dcerpc_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return;
	tx->id = st->next_id++;
	tx->call = c;
	dcerpc_call_ref(c);
	st->tx[st->ntx++] = tx;
}

static struct app_result dcerpc_parse(void *state, int dir, const uint8_t *data,
				      size_t len, unsigned flags, uint64_t ts)
{
	struct dcerpc_state *st = state;
	struct app_result r = {APP_OK, 0, 0};
	if (flags & APP_F_GAP) {
		st->counters[DCERPC_CNT_GAP]++;
		r.status = APP_ERROR;
		return r;
	}
	struct cursor c;
	cur_init(&c, data, len);
	for (;;) {
		uint16_t fl;
		int h = dcerpc_header_check(c.p, cur_len(&c), &fl);
		if (h < 0)
			break;
		if (h == 0) {
			st->counters[DCERPC_CNT_BAD_VERSION]++;
			st->counters[DCERPC_CNT_MALFORMED]++;
			r.status = APP_ERROR;
			r.consumed = len - cur_len(&c);
			return r;
		}
		struct cursor pdu;
		if (!cur_sub(&c, fl, &pdu)) {
			r.needed = fl;
			break;
		}
		bool created;
		struct dcerpc_call *call = dcerpc_assoc_pdu(&st->assoc, dir, pdu.p,
							    pdu.len, ts, &created);
		if (call) {
			dcerpc_call_ref(call);
			if (created)
				dcerpc_tcp_new_tx(st, call);
			dcerpc_call_unref(call);
		}
	}
	r.consumed = len - cur_len(&c);
	if (cur_len(&c)) {
		if (flags & APP_F_EOF) {
			st->counters[DCERPC_CNT_TRUNCATED]++;
			r.consumed = len;
			r.needed = 0;
			return r;
		}
		r.status = APP_NEED_MORE;
		if (!r.needed)
			r.needed = DCERPC_HDR_LEN;
	}
	return r;
}

static uint64_t dcerpc_tx_count(void *state)
{
	return ((struct dcerpc_state *)state)->next_id;
}

static void *dcerpc_tx_get(void *state, uint64_t id)
{
	struct dcerpc_state *st = state;
	if (id < st->first_id || id - st->first_id >= st->ntx)
		return NULL;
	return st->tx[id - st->first_id];
}

static bool dcerpc_tx_done(void *vtx, bool eof)
{
	const struct dcerpc_tx *tx = vtx;
	return eof || tx->forced || dcerpc_call_complete(tx->call);
}

static void dcerpc_tx_free_upto(void *state, uint64_t upto)
{
	struct dcerpc_state *st = state;
	size_t n = 0;
	while (n < st->ntx && st->tx[n]->id < upto)
		dcerpc_tx_free(st->tx[n++]);
	if (!n)
		return;
	memmove(st->tx, st->tx + n, (st->ntx - n) * sizeof(*st->tx));
	st->ntx -= n;
	st->first_id = st->ntx ? st->tx[0]->id : st->next_id;
}

static void dcerpc_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct dcerpc_tx *tx = vtx;
	struct jw *w = lg->begin(lg, "dcerpc", tx->call->ts);
	if (!w)
		return;
	jw_open_obj(w, "dcerpc");
	dcerpc_call_log(tx->call, w, false);
	jw_close_obj(w);
	lg->end(lg);
}

/* dcerpc.stub_data: idx 0 the request stub (to server), idx 1 the response's. */
static bool dcerpc_get_buffer(const void *vtx, enum app_buffer which,
			      uint32_t idx, const uint8_t **data, size_t *len)
{
	const struct dcerpc_tx *tx = vtx;
	if (which != APP_BUF_DCERPC_STUB_DATA || idx > 1)
		return false;
	const struct buf *b = &tx->call->stub[idx];
	if (!b->len)
		return false;
	*data = b->p;
	*len = b->len;
	return true;
}

static bool dcerpc_tx_info(const void *vtx, struct app_dcerpc_info *out)
{
	const struct dcerpc_tx *tx = vtx;
	dcerpc_call_info(tx->call, out);
	return true;
}

static const uint64_t *dcerpc_counters(void *state)
{
	return ((struct dcerpc_state *)state)->counters;
}

static int dcerpc_probe(const uint8_t *data, size_t len, int dir)
{
	uint16_t fl;
	if (len && data[0] != 5)
		return 0;
	if (len > 1 && data[1] > 1)
		return 0;
	int h = dcerpc_header_check(data, len, &fl);
	if (h <= 0)
		return h;
	/* A conversation starts with bind/alter_context (or a request midstream). */
	uint8_t t = data[2];
	if (dir == APP_DIR_TOSERVER)
		return t == DCERPC_BIND || t == DCERPC_ALTER_CONTEXT ||
		       t == DCERPC_REQUEST;
	return t == DCERPC_BIND_ACK || t == DCERPC_BIND_NAK ||
	       t == DCERPC_RESPONSE || t == DCERPC_FAULT ||
	       t == DCERPC_ALTER_CONTEXT_RESP;
}

const struct app_proto app_dcerpc = {
	.name = "dcerpc",
	.id = APP_DCERPC,
	.tcp = true,
	.udp = false,
	.ports = dcerpc_ports,
	.probe = dcerpc_probe,
	.state_new = dcerpc_state_new,
	.state_free = dcerpc_state_free,
	.parse = dcerpc_parse,
	.tx_count = dcerpc_tx_count,
	.tx_get = dcerpc_tx_get,
	.tx_done = dcerpc_tx_done,
	.tx_free_upto = dcerpc_tx_free_upto,
	.log_tx = dcerpc_log_tx,
	.get_buffer = dcerpc_get_buffer,
	.counter_names = dcerpc_counter_names,
	.counters = dcerpc_counters,
	.dcerpc_info = dcerpc_tx_info,
};
