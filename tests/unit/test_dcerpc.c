/*
 * Unit tests for the DCERPC PDU reader, associations and the DCERPC-over-
 * TCP parser (src/app/dcerpc.c, included so static helpers are reachable).
 * PDUs are built byte by byte in either data representation; EVE output
 * is checked as exact JSON text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/dcerpc.c"

/* ---- PDU builder ---------------------------------------------------------- */

struct mb {
	uint8_t b[8192];
	size_t n;
	bool be;
};

static void put8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	if (m->be) {
		put8(m, v >> 8);
		put8(m, v & 0xff);
	} else {
		put8(m, v & 0xff);
		put8(m, v >> 8);
	}
}

static void put32(struct mb *m, uint32_t v)
{
	if (m->be) {
		put16(m, v >> 16);
		put16(m, v & 0xffff);
	} else {
		put16(m, v & 0xffff);
		put16(m, v >> 16);
	}
}

static void putbytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(m, ((const uint8_t *)p)[i]);
}

/* "4b324fc8-1670-01d3-1278-5a47bf6ee188" in drep order. */
static void putuuid(struct mb *m, const char *s)
{
	uint8_t u[16];
	for (int i = 0, k = 0; s[i] && k < 16; i++) {
		if (s[i] == '-')
			continue;
		unsigned v;
		sscanf(s + i, "%2x", &v);
		u[k++] = (uint8_t)v;
		i++;
	}
	put32(m, ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3]);
	put16(m, (unsigned)(u[4] << 8 | u[5]));
	put16(m, (unsigned)(u[6] << 8 | u[7]));
	putbytes(m, u + 8, 8);
}

#define SRVSVC "4b324fc8-1670-01d3-1278-5a47bf6ee188"
#define LSARPC "12345778-1234-abcd-ef00-0123456789ab"
#define ATSVC "1ff70682-0a51-30e8-076d-740be8cee98b"
#define NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"

/* Starts a PDU; pdu_end() fills frag_length. */
static size_t pdu_begin(struct mb *m, unsigned ptype, unsigned flags, uint32_t call_id)
{
	size_t start = m->n;
	put8(m, 5);
	put8(m, 0);
	put8(m, ptype);
	put8(m, flags);
	put8(m, m->be ? 0x00 : 0x10);
	put8(m, 0);
	put8(m, 0);
	put8(m, 0);
	put16(m, 0);	/* frag_length, patched */
	put16(m, 0);
	put32(m, call_id);
	return start;
}

static void pdu_end(struct mb *m, size_t start)
{
	size_t len = m->n - start;
	if (m->be) {
		m->b[start + 8] = (uint8_t)(len >> 8);
		m->b[start + 9] = (uint8_t)len;
	} else {
		m->b[start + 8] = (uint8_t)len;
		m->b[start + 9] = (uint8_t)(len >> 8);
	}
}

struct ctxdef {
	unsigned id;
	const char *uuid;
	unsigned vmaj, vmin;
};

static void bind(struct mb *m, unsigned ptype, uint32_t call_id,
		 const struct ctxdef *c, size_t n)
{
	size_t s = pdu_begin(m, ptype, 3, call_id);
	put16(m, 4280);
	put16(m, 4280);
	put32(m, 0);
	put8(m, (unsigned)n);
	put8(m, 0);
	put16(m, 0);
	for (size_t i = 0; i < n; i++) {
		put16(m, c[i].id);
		put8(m, 1);
		put8(m, 0);
		putuuid(m, c[i].uuid);
		put32(m, c[i].vmaj | (c[i].vmin << 16));
		putuuid(m, NDR);
		put32(m, 2);
	}
	pdu_end(m, s);
}

static void bind_ack(struct mb *m, unsigned ptype, uint32_t call_id,
		     const unsigned *results, size_t n)
{
	size_t s = pdu_begin(m, ptype, 3, call_id);
	put16(m, 4280);
	put16(m, 4280);
	put32(m, 0x1234);
	put16(m, 13);
	putbytes(m, "\\PIPE\\srvsvc", 13);
	while ((m->n - s) % 4)
		put8(m, 0);
	put8(m, (unsigned)n);
	put8(m, 0);
	put16(m, 0);
	for (size_t i = 0; i < n; i++) {
		put16(m, results[i]);
		put16(m, results[i] ? 2 : 0);
		putuuid(m, NDR);
		put32(m, 2);
	}
	pdu_end(m, s);
}

static void request(struct mb *m, unsigned flags, uint32_t call_id, unsigned ctx,
		    unsigned opnum, const void *stub, size_t n)
{
	size_t s = pdu_begin(m, 0, flags, call_id);
	put32(m, (uint32_t)n);
	put16(m, ctx);
	put16(m, opnum);
	if (flags & 0x80)
		putuuid(m, LSARPC);
	putbytes(m, stub, n);
	pdu_end(m, s);
}

static void response(struct mb *m, unsigned flags, uint32_t call_id, const void *stub,
		     size_t n)
{
	size_t s = pdu_begin(m, 2, flags, call_id);
	put32(m, (uint32_t)n);
	put16(m, 0);
	put8(m, 0);
	put8(m, 0);
	putbytes(m, stub, n);
	pdu_end(m, s);
}

/* ---- driver ---------------------------------------------------------------- */

struct tlog {
	struct app_logger lg;
	struct buf out;
	struct jw w;
};

static struct jw *tl_begin(struct app_logger *lg, const char *type, uint64_t ts)
{
	struct tlog *t = (struct tlog *)lg;
	(void)ts;
	jw_init(&t->w, &t->out);
	jw_open_obj(&t->w, NULL);
	jw_str(&t->w, "event_type", type);
	return &t->w;
}

static void tl_end(struct app_logger *lg)
{
	struct tlog *t = (struct tlog *)lg;
	jw_close_obj(&t->w);
	buf_putc(&t->out, '\n');
}

static const struct app_config test_cfg = {16384, 256, 1 << 20, 4 << 20, 64, true};

/* Feeds data (dir per chunk) in pieces of step bytes, as the dispatcher does. */
static void feed(struct dcerpc_state *st, int dir, const uint8_t *p, size_t n,
		 size_t step)
{
	struct buf held;
	buf_init(&held, 1 << 20);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < step ? n - off : step;
		buf_append(&held, p + off, k);
		off += k;
		struct app_result r = app_dcerpc.parse(st, dir, held.p, held.len, 0, 1);
		assert_int_not_equal(r.status, APP_ERROR);
		buf_consume(&held, r.consumed);
	}
	assert_int_equal(held.len, 0);
	buf_release(&held);
}

static void log_all(struct dcerpc_state *st, struct buf *out)
{
	struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
	buf_init(&t.out, 1 << 20);
	for (uint64_t i = 0; i < st->next_id; i++) {
		void *tx = dcerpc_tx_get(st, i);
		assert_non_null(tx);
		app_dcerpc.log_tx(tx, &t.lg);
	}
	buf_reset(out);
	buf_append(out, t.out.p, t.out.len);
	buf_release(&t.out);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_header_check(void **state)
{
	(void)state;
	struct mb m = {.be = false};
	uint16_t fl = 0;
	response(&m, 3, 7, "abcd", 4);
	assert_int_equal(dcerpc_header_check(m.b, m.n, &fl), 1);
	assert_int_equal(fl, 28);
	assert_int_equal(dcerpc_header_check(m.b, 15, &fl), -1);
	m.b[0] = 4;
	assert_int_equal(dcerpc_header_check(m.b, m.n, &fl), 0);
	m.b[0] = 5;
	m.b[4] = 0x21;	/* bad character representation bits */
	assert_int_equal(dcerpc_header_check(m.b, m.n, &fl), 0);
}

/* Several contexts, the request on context 2, reassembled from fragments. */
static void run_contexts_and_fragments(bool be)
{
	struct mb m = {.be = be};
	static const struct ctxdef ctx[] = {
		{0, LSARPC, 0, 0}, {1, ATSVC, 1, 0}, {2, SRVSVC, 3, 0}};
	static const unsigned res[] = {2, 0, 0};
	bind(&m, 11, 1, ctx, 3);
	size_t ts_bind = m.n;
	struct mb r = {.be = be};
	bind_ack(&r, 12, 1, res, 3);

	uint8_t stub[300];
	for (size_t i = 0; i < sizeof(stub); i++)
		stub[i] = (uint8_t)i;
	struct mb q = {.be = be};
	for (int f = 0; f < 5; f++)
		request(&q, (f == 0 ? 1u : 0u) | (f == 4 ? 2u : 0u), 2, 2, 31,
			stub + f * 60, 60);
	struct mb a = {.be = be};
	response(&a, 3, 2, "\x01\x02\x03\x04", 4);

	struct dcerpc_state *st = app_dcerpc.state_new(&test_cfg);
	feed(st, 0, m.b, ts_bind, 7);
	feed(st, 1, r.b, r.n, 1000);
	feed(st, 0, q.b, q.n, 13);
	/* Not done before the response. */
	assert_int_equal(st->next_id, 2);
	assert_false(app_dcerpc.tx_done(dcerpc_tx_get(st, 1), false));
	feed(st, 1, a.b, a.n, 3);
	assert_true(app_dcerpc.tx_done(dcerpc_tx_get(st, 1), false));

	struct app_dcerpc_info info;
	assert_true(app_dcerpc.dcerpc_info(dcerpc_tx_get(st, 1), &info));
	assert_true(info.iface_known);
	assert_true(info.iface_acked);
	assert_true(info.has_request);
	assert_int_equal(info.opnum, 31);
	assert_int_equal(info.ctx_id, 2);
	assert_int_equal(info.iface_ver_major, 3);
	assert_int_equal(info.iface_ver_minor, 0);
	assert_int_equal(info.req_frag_cnt, 5);
	assert_true(info.first_frag_seen && info.last_frag_seen);
	assert_int_equal(info.big_endian, be);
	char u[37];
	dcerpc_uuid_str(info.iface_uuid, u);
	assert_string_equal(u, SRVSVC);

	const uint8_t *p;
	size_t n;
	assert_true(app_dcerpc.get_buffer(dcerpc_tx_get(st, 1), APP_BUF_DCERPC_STUB_DATA, 0, &p, &n));
	assert_int_equal(n, 300);
	assert_memory_equal(p, stub, 300);
	assert_true(app_dcerpc.get_buffer(dcerpc_tx_get(st, 1), APP_BUF_DCERPC_STUB_DATA, 1, &p, &n));
	assert_int_equal(n, 4);

	struct buf out;
	buf_init(&out, 1 << 20);
	log_all(st, &out);
	assert_string_equal(buf_str(&out),
		"{\"event_type\":\"dcerpc\",\"dcerpc\":{\"request\":\"BIND\",\"response\":\"BINDACK\","
		"\"interfaces\":[{\"uuid\":\"12345778-1234-abcd-ef00-0123456789ab\",\"version\":\"0.0\",\"ack_result\":2},"
		"{\"uuid\":\"1ff70682-0a51-30e8-076d-740be8cee98b\",\"version\":\"1.0\",\"ack_result\":0},"
		"{\"uuid\":\"4b324fc8-1670-01d3-1278-5a47bf6ee188\",\"version\":\"3.0\",\"ack_result\":0}],"
		"\"call_id\":1,\"rpc_version\":\"5.0\"}}\n"
		"{\"event_type\":\"dcerpc\",\"dcerpc\":{\"request\":\"REQUEST\",\"response\":\"RESPONSE\","
		"\"req\":{\"opnum\":31,\"frag_cnt\":5,\"stub_data_size\":300},"
		"\"res\":{\"frag_cnt\":1,\"stub_data_size\":4},\"call_id\":2,\"rpc_version\":\"5.0\"}}\n");
	for (int i = 0; i < DCERPC_CNT_MAX; i++)
		assert_int_equal(st->counters[i], 0);
	buf_release(&out);
	app_dcerpc.tx_free_upto(st, 2);
	assert_null(dcerpc_tx_get(st, 0));
	app_dcerpc.state_free(st);
}

static void test_contexts_fragments_le(void **state)
{
	(void)state;
	run_contexts_and_fragments(false);
}

static void test_contexts_fragments_be(void **state)
{
	(void)state;
	run_contexts_and_fragments(true);
}

/* alter_context adds a context to the association; an unknown one is counted. */
static void test_alter_context(void **state)
{
	(void)state;
	struct dcerpc_assoc a;
	uint64_t cnt[DCERPC_CNT_MAX] = {0};
	dcerpc_assoc_init(&a, cnt, 1024);
	struct mb m = {0};
	static const struct ctxdef c0[] = {{0, LSARPC, 0, 0}};
	static const struct ctxdef c1[] = {{5, SRVSVC, 3, 0}};
	static const unsigned ok[] = {0};
	bind(&m, 11, 1, c0, 1);
	bool created;
	assert_non_null(dcerpc_assoc_pdu(&a, 0, m.b, m.n, 0, &created));
	assert_true(created);
	m.n = 0;
	bind_ack(&m, 12, 1, ok, 1);
	assert_non_null(dcerpc_assoc_pdu(&a, 1, m.b, m.n, 0, &created));
	assert_false(created);
	m.n = 0;
	bind(&m, 14, 2, c1, 1);
	assert_non_null(dcerpc_assoc_pdu(&a, 0, m.b, m.n, 0, &created));
	m.n = 0;
	bind_ack(&m, 15, 2, ok, 1);
	assert_non_null(dcerpc_assoc_pdu(&a, 1, m.b, m.n, 0, &created));
	assert_int_equal(a.nctx, 2);
	m.n = 0;
	request(&m, 3, 3, 5, 32, "zz", 2);
	struct dcerpc_call *c = dcerpc_assoc_pdu(&a, 0, m.b, m.n, 0, &created);
	assert_non_null(c);
	assert_true(c->iface_known);
	assert_int_equal(c->iface.ver, 3);
	assert_int_equal(c->opnum, 32);
	m.n = 0;
	request(&m, 3, 4, 9, 1, "zz", 2);
	c = dcerpc_assoc_pdu(&a, 0, m.b, m.n, 0, &created);
	assert_non_null(c);
	assert_false(c->iface_known);
	assert_int_equal(cnt[DCERPC_CNT_UNKNOWN_CTX], 1);
	dcerpc_assoc_release(&a);
}

/* Object UUID and auth verifier are not stub; a response without request is counted. */
static void test_object_auth_orphan(void **state)
{
	(void)state;
	struct dcerpc_pdu pdu;
	struct mb m = {0};
	request(&m, 0x83, 1, 0, 4, "12345678", 8);
	assert_int_equal(dcerpc_pdu_parse(m.b, m.n, &pdu), 0);
	assert_int_equal(pdu.stub_len, 8);
	assert_memory_equal(pdu.stub, "12345678", 8);
	/* auth_len 8: 8-byte sec trailer + 8-byte token at the end. */
	m.n = 0;
	size_t s = pdu_begin(&m, 0, 3, 2);
	put32(&m, 4);
	put16(&m, 0);
	put16(&m, 1);
	putbytes(&m, "STUBTRAILERTOKEN0000", 20);
	pdu_end(&m, s);
	m.b[10] = 12;	/* auth_length */
	assert_int_equal(dcerpc_pdu_parse(m.b, m.n, &pdu), 0);
	assert_int_equal(pdu.stub_len, 0);
	m.b[10] = 60;	/* longer than the PDU */
	assert_int_equal(dcerpc_pdu_parse(m.b, m.n, &pdu), DCERPC_CNT_BAD_FRAG_LEN + 1);

	struct dcerpc_state *st = app_dcerpc.state_new(&test_cfg);
	m.n = 0;
	response(&m, 3, 9, "r", 1);
	feed(st, 1, m.b, m.n, 5);
	assert_int_equal(st->counters[DCERPC_CNT_NO_REQUEST], 1);
	assert_int_equal(st->next_id, 1);
	struct buf out;
	buf_init(&out, 4096);
	log_all(st, &out);
	assert_string_equal(buf_str(&out),
		"{\"event_type\":\"dcerpc\",\"dcerpc\":{\"request\":\"REQUEST_LOST\",\"response\":\"RESPONSE\","
		"\"res\":{\"frag_cnt\":1,\"stub_data_size\":1},\"call_id\":9,\"rpc_version\":\"5.0\"}}\n");
	buf_release(&out);
	app_dcerpc.state_free(st);
}

/* Stub bytes past the cap are counted, not stored. */
static void test_stub_cap(void **state)
{
	(void)state;
	struct dcerpc_assoc a;
	uint64_t cnt[DCERPC_CNT_MAX] = {0};
	dcerpc_assoc_init(&a, cnt, 100);
	uint8_t stub[80] = {0};
	struct mb m = {0};
	request(&m, 1, 1, 0, 0, stub, 80);
	request(&m, 2, 1, 0, 0, stub, 80);
	bool created;
	struct dcerpc_call *c = dcerpc_assoc_pdu(&a, 0, m.b, m.n / 2, 0, &created);
	dcerpc_call_ref(c);
	dcerpc_assoc_pdu(&a, 0, m.b + m.n / 2, m.n / 2, 0, &created);
	assert_int_equal(c->stub[0].len, 80);
	assert_int_equal(cnt[DCERPC_CNT_STUB_CAPPED], 1);
	assert_int_equal(c->frag_cnt[0], 2);
	assert_true(c->req_done);
	dcerpc_call_unref(c);
	dcerpc_assoc_release(&a);
}

/* Pipe bytes: PDUs split anywhere and glued together give the same calls. */
static int feed_calls;
static void count_call(struct dcerpc_call *c, bool created, void *ctx)
{
	(void)c;
	(void)ctx;
	if (created)
		feed_calls++;
}

static void test_assoc_feed_split(void **state)
{
	(void)state;
	struct mb m = {0};
	static const struct ctxdef c0[] = {{0, SRVSVC, 3, 0}};
	bind(&m, 11, 1, c0, 1);
	request(&m, 3, 2, 0, 31, "abcdefgh", 8);
	request(&m, 3, 3, 0, 15, "ijkl", 4);
	for (size_t step = 1; step <= m.n; step++) {
		struct dcerpc_assoc a;
		uint64_t cnt[DCERPC_CNT_MAX] = {0};
		dcerpc_assoc_init(&a, cnt, 1024);
		feed_calls = 0;
		for (size_t off = 0; off < m.n; off += step)
			dcerpc_assoc_feed(&a, 0, m.b + off, off + step <= m.n ? step : m.n - off,
					  false, 0, count_call, NULL);
		assert_int_equal(feed_calls, 3);
		assert_int_equal(a.nopen, 3);
		assert_int_equal(a.pdu[0].len, 0);
		for (int i = 0; i < DCERPC_CNT_MAX; i++)
			assert_int_equal(cnt[i], 0);
		dcerpc_assoc_release(&a);
	}
	/* Garbage instead of a header: counted, nothing kept. */
	struct dcerpc_assoc a;
	uint64_t cnt[DCERPC_CNT_MAX] = {0};
	dcerpc_assoc_init(&a, cnt, 1024);
	dcerpc_assoc_feed(&a, 0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, false, 0,
			  count_call, NULL);
	assert_int_equal(cnt[DCERPC_CNT_BAD_VERSION], 1);
	assert_int_equal(a.pdu[0].len, 0);
	dcerpc_assoc_release(&a);
}

/* Every truncation and every byte set to 0x00/0xff: no read past the PDU. */
static void test_truncated_and_lying(void **state)
{
	(void)state;
	struct mb m = {0};
	static const struct ctxdef c[] = {{0, SRVSVC, 3, 0}, {1, LSARPC, 0, 0}};
	static const unsigned res[] = {0, 0};
	struct mb pdus[4] = {{.be = false}, {.be = false}, {.be = true}, {.be = false}};
	bind(&pdus[0], 11, 1, c, 2);
	bind_ack(&pdus[1], 12, 1, res, 2);
	request(&pdus[2], 0x83, 2, 1, 31, "\\..\\..\\", 8);
	response(&pdus[3], 3, 2, "ok", 2);
	(void)m;
	for (int k = 0; k < 4; k++) {
		struct mb *p = &pdus[k];
		for (size_t len = 0; len <= p->n; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, p->b, len);
			struct dcerpc_pdu pdu;
			int rc = dcerpc_pdu_parse(copy, len, &pdu);
			if (len < p->n)
				assert_int_not_equal(rc, 0);
			else
				assert_int_equal(rc, 0);
			free(copy);
		}
		for (size_t off = 0; off < p->n; off++) {
			for (int v = 0; v < 2; v++) {
				uint8_t *copy = malloc(p->n);
				memcpy(copy, p->b, p->n);
				copy[off] = v ? 0xff : 0x00;
				struct dcerpc_state *st = app_dcerpc.state_new(&test_cfg);
				struct app_result r = app_dcerpc.parse(st, 0, copy, p->n, APP_F_EOF, 0);
				assert_true(r.consumed <= p->n);
				struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
				buf_init(&t.out, 1 << 16);
				for (uint64_t i = 0; i < st->next_id; i++)
					app_dcerpc.log_tx(dcerpc_tx_get(st, i), &t.lg);
				buf_release(&t.out);
				app_dcerpc.state_free(st);
				free(copy);
			}
		}
	}
}

static void test_probe(void **state)
{
	(void)state;
	struct mb m = {0};
	static const struct ctxdef c[] = {{0, SRVSVC, 3, 0}};
	bind(&m, 11, 1, c, 1);
	assert_int_equal(app_dcerpc.probe(m.b, m.n, 0), 1);
	assert_int_equal(app_dcerpc.probe(m.b, 10, 0), -1);
	assert_int_equal(app_dcerpc.probe(m.b, m.n, 1), 0);	/* bind from the server */
	assert_int_equal(app_dcerpc.probe((const uint8_t *)"GET /", 5, 0), 0);
	assert_int_equal(app_dcerpc.probe((const uint8_t *)"\x00\x00\x00\x2f\xffSMB", 8, 0), 0);
}

/* A stream that stops being DCERPC loses the framing: APP_ERROR, counted. */
static void test_bad_stream(void **state)
{
	(void)state;
	struct dcerpc_state *st = app_dcerpc.state_new(&test_cfg);
	struct mb m = {0};
	response(&m, 3, 1, "x", 1);
	putbytes(&m, "garbage-garbage-garbage", 23);
	struct app_result r = app_dcerpc.parse(st, 1, m.b, m.n, 0, 0);
	assert_int_equal(r.status, APP_ERROR);
	assert_int_equal(st->counters[DCERPC_CNT_BAD_VERSION], 1);
	r = app_dcerpc.parse(st, 0, m.b, 3, APP_F_GAP, 0);
	assert_int_equal(r.status, APP_ERROR);
	assert_int_equal(st->counters[DCERPC_CNT_GAP], 1);
	app_dcerpc.state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_check),
		cmocka_unit_test(test_contexts_fragments_le),
		cmocka_unit_test(test_contexts_fragments_be),
		cmocka_unit_test(test_alter_context),
		cmocka_unit_test(test_object_auth_orphan),
		cmocka_unit_test(test_stub_cap),
		cmocka_unit_test(test_assoc_feed_split),
		cmocka_unit_test(test_truncated_and_lying),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_bad_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
