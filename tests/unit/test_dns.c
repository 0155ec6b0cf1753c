/*
 * Unit tests for the DNS parser (src/app/dns.c), which is included so the
 * static helpers can be driven directly and the test builds without the
 * dispatcher.  Messages are built byte by byte with the small builder
 * below; the EVE output is checked as exact JSON text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/dns.c"

/* ---- message builder ---------------------------------------------------- */

struct mb {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putbytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(m, ((const uint8_t *)p)[i]);
}

/* Labels of a dotted name; ends with the root unless ptr >= 0 follows. */
static void putlabels(struct mb *m, const char *name, int ptr)
{
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		put8(m, (unsigned)l);
		putbytes(m, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	if (ptr >= 0)
		put16(m, 0xc000u | (unsigned)ptr);
	else
		put8(m, 0);
}

static void putname(struct mb *m, const char *name)
{
	putlabels(m, name, -1);
}

static void putptr(struct mb *m, unsigned off)
{
	put16(m, 0xc000u | off);
}

static void hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd,
		unsigned an, unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Record header after the owner name; returns where rdlength sits. */
static size_t rrhead(struct mb *m, unsigned type, uint32_t ttl)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	size_t at = m->n;
	put16(m, 0);
	return at;
}

static void rrend(struct mb *m, size_t at)
{
	size_t l = m->n - at - 2;
	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}

static void query(struct mb *m, unsigned id, const char *name, unsigned type)
{
	hdr(m, id, 0x0100, 1, 0, 0, 0);
	putname(m, name);
	put16(m, type);
	put16(m, 1);
}

/* www.example.com A: CNAME web.example.com, two A records. */
static void cname_response(struct mb *m, unsigned id)
{
	hdr(m, id, 0x8180, 1, 3, 0, 0);
	putname(m, "www.example.com");	/* at 12; "example" at 16 */
	put16(m, 1);
	put16(m, 1);
	putptr(m, 12);
	size_t at = rrhead(m, 5, 300);
	size_t web = m->n;
	putlabels(m, "web", 16);
	rrend(m, at);
	for (int i = 0; i < 2; i++) {
		putptr(m, (unsigned)web);
		at = rrhead(m, 1, 60);
		putbytes(m, (const uint8_t[]){93, 184, 216, (uint8_t)(34 + i)}, 4);
		rrend(m, at);
	}
}

/* ---- harness -------------------------------------------------------------- */

static struct app_config cfg = {
	.max_line = 16384, .max_headers = 256, .body_limit = 1 << 20,
	.decompress_limit = 4 << 20, .max_tx = 1024,
};

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
	assert_int_equal(jw_error(&t->w), 0);
	buf_putc(&t->out, '\n');
}

static void tl_init(struct tlog *t)
{
	t->lg.begin = tl_begin;
	t->lg.end = tl_end;
	buf_init(&t->out, 0);
}

/* Logs tx id into a fresh string (static buffer, test use only). */
static const char *log_of(struct dns_state *st, uint64_t id)
{
	static char text[8192];
	struct tlog t;
	tl_init(&t);
	void *tx = dns_tx_get(st, id);
	assert_non_null(tx);
	dns_log_tx(tx, &t.lg);
	snprintf(text, sizeof(text), "%s", buf_str(&t.out));
	buf_release(&t.out);
	return text;
}

static void udp(struct dns_state *st, const struct mb *m)
{
	struct app_result r = dns_parse(st, 0, m->b, m->n, APP_F_DATAGRAM, 1);
	assert_int_equal(r.status, APP_OK);
	assert_int_equal(r.consumed, m->n);
}

/* Feeds a TCP byte stream in chunks, keeping the unconsumed tail as the
 * dispatcher does. */
static void tcp_feed(struct dns_state *st, const uint8_t *d, size_t n,
		     size_t chunk, bool eof)
{
	struct buf pend;
	buf_init(&pend, 0);
	for (size_t off = 0; off < n || eof;) {
		size_t k = n - off < chunk ? n - off : chunk;
		buf_append(&pend, d + off, k);
		off += k;
		bool last = off >= n;
		unsigned fl = last && eof ? APP_F_EOF : 0;
		struct app_result r = dns_parse(st, 0, pend.p ? pend.p : d,
						pend.len, fl, 1);
		assert_int_not_equal(r.status, APP_ERROR);
		assert_true(r.consumed <= pend.len);
		if (r.status == APP_NEED_MORE)
			assert_true(r.needed > 0);
		buf_consume(&pend, r.consumed);
		if (last)
			break;
	}
	buf_release(&pend);
}

static struct dns_state *new_state(void)
{
	struct dns_state *st = dns_state_new(&cfg);
	assert_non_null(st);
	return st;
}

static uint64_t cnt(struct dns_state *st, enum dns_counter c)
{
	return dns_counters(st)[c];
}

/* ---- tests ---------------------------------------------------------------- */

static void test_query_and_cname_chain(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb q, r;
	query(&q, 0x1234, "www.example.com", 1);
	cname_response(&r, 0x1234);
	udp(st, &q);
	assert_int_equal(dns_tx_count(st), 1);
	assert_false(dns_tx_done(dns_tx_get(st, 0), false));
	assert_true(dns_tx_done(dns_tx_get(st, 0), true));
	udp(st, &r);
	assert_int_equal(dns_tx_count(st), 1);
	assert_true(dns_tx_done(dns_tx_get(st, 0), false));
	assert_string_equal(log_of(st, 0),
		"{\"event_type\":\"dns\",\"dns\":{\"type\":\"query\",\"id\":4660,"
		"\"rrname\":\"www.example.com\",\"rrtype\":\"A\",\"tx_id\":0,"
		"\"opcode\":0}}\n"
		"{\"event_type\":\"dns\",\"dns\":{\"version\":2,\"type\":\"answer\","
		"\"id\":4660,\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,"
		"\"opcode\":0,\"rrname\":\"www.example.com\",\"rrtype\":\"A\","
		"\"rcode\":\"NOERROR\",\"answers\":["
		"{\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"ttl\":300,"
		"\"rdata\":\"web.example.com\"},"
		"{\"rrname\":\"web.example.com\",\"rrtype\":\"A\",\"ttl\":60,"
		"\"rdata\":\"93.184.216.34\"},"
		"{\"rrname\":\"web.example.com\",\"rrtype\":\"A\",\"ttl\":60,"
		"\"rdata\":\"93.184.216.35\"}],"
		"\"grouped\":{\"CNAME\":[\"web.example.com\"],"
		"\"A\":[\"93.184.216.34\",\"93.184.216.35\"]}}}\n");
	for (int c = 0; c < DNS_CNT_MAX; c++)
		assert_int_equal(cnt(st, (enum dns_counter)c), 0);
	const uint8_t *p;
	size_t n;
	assert_true(dns_get_buffer(dns_tx_get(st, 0), APP_BUF_DNS_QUERY, 0, &p, &n));
	assert_int_equal(n, 15);
	assert_memory_equal(p, "www.example.com", 15);
	assert_false(dns_get_buffer(dns_tx_get(st, 0), APP_BUF_DNS_QUERY, 1, &p, &n));
	assert_false(dns_get_buffer(dns_tx_get(st, 0), APP_BUF_HTTP_URI, 0, &p, &n));
	dns_tx_free_upto(st, 1);
	assert_null(dns_tx_get(st, 0));
	dns_state_free(st);
}

static void test_aaaa(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb r;
	hdr(&r, 7, 0x8580, 1, 1, 0, 0);	/* aa set */
	putname(&r, "v6.example.org");
	put16(&r, 28);
	put16(&r, 1);
	putptr(&r, 12);
	size_t at = rrhead(&r, 28, 3600);
	putbytes(&r, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 1}, 16);
	rrend(&r, at);
	udp(st, &r);
	assert_int_equal(cnt(st, DNS_CNT_UNMATCHED_RESPONSE), 1);
	assert_string_equal(log_of(st, 0),
		"{\"event_type\":\"dns\",\"dns\":{\"version\":2,\"type\":\"answer\","
		"\"id\":7,\"flags\":\"8580\",\"qr\":true,\"aa\":true,\"rd\":true,"
		"\"ra\":true,\"opcode\":0,\"rrname\":\"v6.example.org\","
		"\"rrtype\":\"AAAA\",\"rcode\":\"NOERROR\",\"answers\":["
		"{\"rrname\":\"v6.example.org\",\"rrtype\":\"AAAA\",\"ttl\":3600,"
		"\"rdata\":\"2001:db8::1\"}],"
		"\"grouped\":{\"AAAA\":[\"2001:db8::1\"]}}}\n");
	/* A response without a query answers get_buffer with its question. */
	const uint8_t *p;
	size_t n;
	assert_true(dns_get_buffer(dns_tx_get(st, 0), APP_BUF_DNS_QUERY, 0, &p, &n));
	assert_int_equal(n, 14);
	dns_state_free(st);
}

static void test_mx_ns_ptr_txt(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb r;
	hdr(&r, 9, 0x8180, 1, 4, 1, 0);
	putname(&r, "example.net");	/* at 12 */
	put16(&r, 15);
	put16(&r, 1);
	putptr(&r, 12);
	size_t at = rrhead(&r, 15, 100);
	put16(&r, 10);
	putlabels(&r, "mail", 12);
	rrend(&r, at);
	putptr(&r, 12);
	at = rrhead(&r, 16, 200);
	put8(&r, 11);
	putbytes(&r, "v=spf1 -all", 11);
	put8(&r, 5);
	putbytes(&r, "x\"y\\z", 5);
	rrend(&r, at);
	putname(&r, "4.3.2.1.in-addr.arpa");
	at = rrhead(&r, 12, 5);
	putlabels(&r, "host", 12);
	rrend(&r, at);
	putptr(&r, 12);
	at = rrhead(&r, 99, 1);	/* SPF: type with no decoded rdata */
	putbytes(&r, "\x03" "abc", 4);
	rrend(&r, at);
	putptr(&r, 12);
	at = rrhead(&r, 2, 86400);
	putlabels(&r, "ns1", 12);
	rrend(&r, at);
	udp(st, &r);
	assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 0);
	assert_string_equal(log_of(st, 0),
		"{\"event_type\":\"dns\",\"dns\":{\"version\":2,\"type\":\"answer\","
		"\"id\":9,\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,"
		"\"opcode\":0,\"rrname\":\"example.net\",\"rrtype\":\"MX\","
		"\"rcode\":\"NOERROR\",\"answers\":["
		"{\"rrname\":\"example.net\",\"rrtype\":\"MX\",\"ttl\":100,"
		"\"rdata\":\"mail.example.net\"},"
		"{\"rrname\":\"example.net\",\"rrtype\":\"TXT\",\"ttl\":200,"
		"\"rdata\":\"v=spf1 -all\"},"
		"{\"rrname\":\"example.net\",\"rrtype\":\"TXT\",\"ttl\":200,"
		"\"rdata\":\"x\\\"y\\\\z\"},"
		"{\"rrname\":\"4.3.2.1.in-addr.arpa\",\"rrtype\":\"PTR\",\"ttl\":5,"
		"\"rdata\":\"host.example.net\"},"
		"{\"rrname\":\"example.net\",\"rrtype\":\"SPF\",\"ttl\":1}],"
		"\"grouped\":{\"MX\":[\"mail.example.net\"],"
		"\"TXT\":[\"v=spf1 -all\",\"x\\\"y\\\\z\"],"
		"\"PTR\":[\"host.example.net\"]},"
		"\"authorities\":[{\"rrname\":\"example.net\",\"rrtype\":\"NS\","
		"\"ttl\":86400,\"rdata\":\"ns1.example.net\"}]}}\n");
	dns_state_free(st);
}

static void test_nxdomain_soa(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb q, r;
	query(&q, 0xbeef, "nope.oisf.net", 1);
	hdr(&r, 0xbeef, 0x8183, 1, 0, 1, 0);
	putname(&r, "nope.oisf.net");	/* "oisf" at 17 */
	put16(&r, 1);
	put16(&r, 1);
	putptr(&r, 17);
	size_t at = rrhead(&r, 6, 899);
	putname(&r, "ns-110.awsdns-13.com");
	putname(&r, "awsdns-hostmaster.amazon.com");
	put32(&r, 1);
	put32(&r, 7200);
	put32(&r, 900);
	put32(&r, 1209600);
	put32(&r, 86400);
	rrend(&r, at);
	udp(st, &q);
	udp(st, &r);
	const char *log = log_of(st, 0);
	assert_non_null(strstr(log,
		"\"flags\":\"8183\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,"
		"\"rrname\":\"nope.oisf.net\",\"rrtype\":\"A\",\"rcode\":\"NXDOMAIN\","
		"\"authorities\":[{\"rrname\":\"oisf.net\",\"rrtype\":\"SOA\","
		"\"ttl\":899,\"soa\":{\"mname\":\"ns-110.awsdns-13.com\","
		"\"rname\":\"awsdns-hostmaster.amazon.com\",\"serial\":1,"
		"\"refresh\":7200,\"retry\":900,\"expire\":1209600,"
		"\"minimum\":86400}}]}}\n"));
	assert_null(strstr(log, "\"answers\""));
	/* Other rcodes by name, unknown ones by number. */
	char tmp[8];
	assert_string_equal(dns_rcode_name(0x8182, tmp), "SERVFAIL");
	assert_string_equal(dns_rcode_name(0x8185, tmp), "REFUSED");
	assert_string_equal(dns_rcode_name(0x818c, tmp), "12");
	assert_string_equal(dns_rrtype_name(65, tmp), "HTTPS");
	assert_string_equal(dns_rrtype_name(4242, tmp), "4242");
	dns_state_free(st);
}

/* A response whose first answer name is given as raw bytes at offset 12+q. */
static void bad_name_case(const uint8_t *name, size_t n, enum dns_counter want)
{
	struct dns_state *st = new_state();
	struct mb r;
	hdr(&r, 1, 0x8180, 1, 1, 0, 0);
	putname(&r, "a.example");	/* at 12 */
	put16(&r, 1);
	put16(&r, 1);
	putbytes(&r, name, n);
	size_t at = rrhead(&r, 1, 1);
	putbytes(&r, "\1\2\3\4", 4);
	rrend(&r, at);
	udp(st, &r);
	assert_int_equal(cnt(st, want), 1);
	assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 1);
	/* The question survived, so the response is still a transaction. */
	assert_int_equal(dns_tx_count(st), 1);
	dns_state_free(st);
}

static void test_compression_errors(void **unused)
{
	(void)unused;
	/* The answer name starts at offset 27. */
	bad_name_case((const uint8_t[]){0xc0, 27}, 2, DNS_CNT_NAME_LOOP);	/* itself */
	bad_name_case((const uint8_t[]){0x01, 'x', 0xc0, 27}, 4, DNS_CNT_NAME_LOOP);
	bad_name_case((const uint8_t[]){0xc0, 40}, 2, DNS_CNT_BAD_POINTER);	/* forward */
	bad_name_case((const uint8_t[]){0xff, 0xff}, 2, DNS_CNT_BAD_POINTER);	/* beyond */
	bad_name_case((const uint8_t[]){0x40, 'a', 0}, 3, DNS_CNT_BAD_LABEL);
	bad_name_case((const uint8_t[]){0x80, 'a', 0}, 3, DNS_CNT_BAD_LABEL);
	uint8_t longname[300];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		longname[n++] = 63;
		memset(longname + n, 'a' + i, 63);
		n += 63;
	}
	longname[n++] = 0;
	bad_name_case(longname, n, DNS_CNT_NAME_TOO_LONG);
	/* The over-long name is kept, cut after its last whole label that fits. */
	{
		struct dns_state *st = new_state();
		struct mb r;
		hdr(&r, 1, 0x8180, 1, 1, 0, 0);
		putname(&r, "a.example");
		put16(&r, 1);
		put16(&r, 1);
		putbytes(&r, longname, n);
		size_t at = rrhead(&r, 1, 1);
		putbytes(&r, "\1\2\3\4", 4);
		rrend(&r, at);
		udp(st, &r);
		const struct dns_tx *tx = dns_tx_get(st, 0);
		assert_int_equal(tx->resp->nrr[DNS_SEC_AN], 1);
		assert_int_equal(tx->resp->rr[DNS_SEC_AN][0].name.len, 3 * 63 + 2);
		assert_int_equal(tx->resp->rr[DNS_SEC_AN][0].kind, DNS_RD_STR);
		dns_state_free(st);
	}
	/* Past DNS_NAME_WALK_MAX the name is given up. */
	{
		struct dns_state *st = new_state();
		struct mb q;
		hdr(&q, 1, 0x0100, 1, 0, 0, 0);
		for (int i = 0; i < 17; i++) {
			put8(&q, 63);
			for (int k = 0; k < 63; k++)
				put8(&q, 'z');
		}
		put8(&q, 0);
		put16(&q, 1);
		put16(&q, 1);
		udp(st, &q);
		assert_int_equal(cnt(st, DNS_CNT_NAME_TOO_LONG), 1);
		assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 1);
		assert_int_equal(dns_tx_count(st), 0);
		dns_state_free(st);
	}
	/* Exactly 255 wire bytes is allowed: 3 x 63 + 61 + 1. */
	{
		struct dns_state *st = new_state();
		struct mb r;
		hdr(&r, 1, 0x0100, 1, 0, 0, 0);
		for (int i = 0; i < 4; i++) {
			unsigned l = i < 3 ? 63 : 61;
			put8(&r, l);
			for (unsigned k = 0; k < l; k++)
				put8(&r, 'b');
		}
		put8(&r, 0);
		put16(&r, 1);
		put16(&r, 1);
		udp(st, &r);
		assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 0);
		const uint8_t *p;
		size_t len;
		assert_true(dns_get_buffer(dns_tx_get(st, 0), APP_BUF_DNS_QUERY, 0,
					   &p, &len));
		assert_int_equal(len, 253);
		dns_state_free(st);
	}
	/* Two names pointing at each other (the second one is in rdata). */
	{
		struct dns_state *st = new_state();
		struct mb r;
		hdr(&r, 1, 0x8180, 1, 1, 0, 0);
		putname(&r, "a.example");
		put16(&r, 1);
		put16(&r, 1);
		putlabels(&r, "x", 31);	/* at 27: "x" -> 31 */
		size_t at = rrhead(&r, 5, 1);
		rrend(&r, at);
		/* Owner at 27 points to 31 which is its own pointer: loop. */
		udp(st, &r);
		assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 1);
		assert_true(cnt(st, DNS_CNT_NAME_LOOP) + cnt(st, DNS_CNT_BAD_POINTER) == 1);
		dns_state_free(st);
	}
}

static void test_bad_rdata_keeps_record(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb r;
	hdr(&r, 3, 0x8180, 1, 2, 0, 0);
	putname(&r, "a.example");
	put16(&r, 1);
	put16(&r, 1);
	putptr(&r, 12);
	size_t at = rrhead(&r, 1, 1);
	putbytes(&r, "\1\2\3", 3);	/* A with 3 bytes */
	rrend(&r, at);
	putptr(&r, 12);
	at = rrhead(&r, 1, 1);
	putbytes(&r, "\1\2\3\4", 4);
	rrend(&r, at);
	udp(st, &r);
	assert_int_equal(cnt(st, DNS_CNT_BAD_RDATA), 1);
	assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 1);
	const char *log = log_of(st, 0);
	assert_non_null(strstr(log, "\"answers\":[{\"rrname\":\"a.example\","
				    "\"rrtype\":\"A\",\"ttl\":1},{\"rrname\":"
				    "\"a.example\",\"rrtype\":\"A\",\"ttl\":1,"
				    "\"rdata\":\"1.2.3.4\"}]"));
	dns_state_free(st);
}

static void test_record_caps(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb r;
	hdr(&r, 5, 0x8180, 1, 71, 0, 0);
	putname(&r, "many.example");
	put16(&r, 16);
	put16(&r, 1);
	/* One TXT record of ten strings, then 70 A records. */
	putptr(&r, 12);
	size_t at = rrhead(&r, 16, 1);
	for (int i = 0; i < 10; i++) {
		put8(&r, 2);
		put8(&r, 's');
		put8(&r, (unsigned)('0' + i));
	}
	rrend(&r, at);
	for (unsigned i = 0; i < 70; i++) {
		putptr(&r, 12);
		at = rrhead(&r, 1, 1);
		putbytes(&r, (const uint8_t[]){10, 0, 0, (uint8_t)i}, 4);
		rrend(&r, at);
	}
	udp(st, &r);
	assert_int_equal(cnt(st, DNS_CNT_TOO_MANY_RECORDS), 1);
	assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 0);
	const struct dns_tx *tx = dns_tx_get(st, 0);
	assert_int_equal(tx->resp->nrr[DNS_SEC_AN], DNS_MAX_RRS);
	const struct dns_rr *an = tx->resp->rr[DNS_SEC_AN];
	for (int i = 0; i < 10; i++) {
		assert_int_equal(an[i].type, 16);
		assert_int_equal(an[i].data.len, 2);
		assert_int_equal(dns_text(tx->resp, an[i].data)[1], '0' + i);
	}
	assert_int_equal(an[63].data.len, 9);
	assert_memory_equal(dns_text(tx->resp, an[63].data), "10.0.0.53", 9);
	/* Names of the records not kept take no room. */
	assert_int_equal(tx->resp->text.len, an[63].data.off + 9);
	const char *log = log_of(st, 0);
	assert_non_null(strstr(log, "\"TXT\":[\"s0\",\"s1\",\"s2\",\"s3\",\"s4\","
				    "\"s5\",\"s6\",\"s7\",\"s8\",\"s9\"]"));
	dns_state_free(st);
}

static void test_truncated_every_offset(void **unused)
{
	(void)unused;
	struct mb r;
	cname_response(&r, 0x4242);
	for (size_t k = 0; k < r.n; k++) {
		struct dns_state *st = new_state();
		struct app_result res = dns_parse(st, 1, r.b, k, APP_F_DATAGRAM, 1);
		assert_int_equal(res.status, APP_OK);
		assert_int_equal(res.consumed, k);
		assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 1);
		assert_int_equal(cnt(st, DNS_CNT_TRUNCATED), 1);
		/* Only messages whose question was read become transactions. */
		assert_int_equal(dns_tx_count(st), k >= 33 ? 1 : 0);
		if (dns_tx_count(st)) {
			struct tlog t;
			tl_init(&t);
			dns_log_tx(dns_tx_get(st, 0), &t.lg);
			assert_non_null(strstr(buf_str(&t.out), "\"rrname\":\"www.example.com\""));
			buf_release(&t.out);
		}
		dns_state_free(st);
	}
	/* The same over TCP: the stream ends inside the message. */
	uint8_t s[2 + sizeof(r.b)];
	s[0] = (uint8_t)(r.n >> 8);
	s[1] = (uint8_t)r.n;
	memcpy(s + 2, r.b, r.n);
	for (size_t k = 1; k < r.n + 2; k++) {
		struct dns_state *st = new_state();
		tcp_feed(st, s, k, 7, true);
		assert_int_equal(cnt(st, DNS_CNT_TRUNCATED), 1);
		assert_int_equal(dns_tx_count(st), 0);
		dns_state_free(st);
	}
}

static void test_tcp_framing(void **unused)
{
	(void)unused;
	struct mb q, r;
	query(&q, 0x0a0b, "www.example.com", 1);
	cname_response(&r, 0x0a0b);
	uint8_t s[4096];
	size_t n = 0;
	s[n++] = (uint8_t)(q.n >> 8);
	s[n++] = (uint8_t)q.n;
	memcpy(s + n, q.b, q.n);
	n += q.n;
	s[n++] = (uint8_t)(r.n >> 8);
	s[n++] = (uint8_t)r.n;
	memcpy(s + n, r.b, r.n);
	n += r.n;

	/* Both messages in one call. */
	struct dns_state *st = new_state();
	struct app_result res = dns_parse(st, 0, s, n, 0, 1);
	assert_int_equal(res.status, APP_OK);
	assert_int_equal(res.consumed, n);
	assert_int_equal(dns_tx_count(st), 1);
	assert_true(dns_tx_done(dns_tx_get(st, 0), false));
	char whole[8192];
	snprintf(whole, sizeof(whole), "%s", log_of(st, 0));
	dns_state_free(st);

	/* One byte per call gives the same transaction. */
	st = new_state();
	tcp_feed(st, s, n, 1, false);
	assert_int_equal(dns_tx_count(st), 1);
	assert_true(dns_tx_done(dns_tx_get(st, 0), false));
	assert_string_equal(log_of(st, 0), whole);
	dns_state_free(st);

	/* A partial message asks for its full length. */
	st = new_state();
	res = dns_parse(st, 0, s, 10, 0, 1);
	assert_int_equal(res.status, APP_NEED_MORE);
	assert_int_equal(res.consumed, 0);
	assert_int_equal(res.needed, q.n + 2);
	res = dns_parse(st, 0, s, 1, 0, 1);
	assert_int_equal(res.status, APP_NEED_MORE);
	assert_int_equal(res.needed, 2);
	res = dns_parse(st, 0, s, q.n + 3, 0, 1);
	assert_int_equal(res.status, APP_NEED_MORE);
	assert_int_equal(res.consumed, q.n + 2);
	/* A gap loses the framing. */
	res = dns_parse(st, 0, s, 4, APP_F_GAP, 1);
	assert_int_equal(res.status, APP_ERROR);
	assert_int_equal(cnt(st, DNS_CNT_GAP), 1);
	dns_state_free(st);

	/* Zero-length and garbage messages are counted, parsing goes on. */
	st = new_state();
	uint8_t g[] = {0, 0, 0, 3, 'a', 'b', 'c'};
	res = dns_parse(st, 0, g, sizeof(g), 0, 1);
	assert_int_equal(res.status, APP_OK);
	assert_int_equal(cnt(st, DNS_CNT_MALFORMED), 2);
	res = dns_parse(st, 0, s, n, 0, 1);
	assert_int_equal(res.status, APP_OK);
	assert_int_equal(dns_tx_count(st), 1);
	dns_state_free(st);
}

static void test_matching(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb m;
	query(&m, 1, "one.example", 1);
	udp(st, &m);
	query(&m, 2, "two.example", 1);
	udp(st, &m);
	/* Answer to 2 first. */
	hdr(&m, 2, 0x8180, 1, 0, 0, 0);
	putname(&m, "two.example");
	put16(&m, 1);
	put16(&m, 1);
	udp(st, &m);
	assert_int_equal(dns_tx_count(st), 2);
	assert_false(dns_tx_done(dns_tx_get(st, 0), false));
	assert_true(dns_tx_done(dns_tx_get(st, 1), false));
	/* Same id, other question: not this query's answer. */
	hdr(&m, 1, 0x8180, 1, 0, 0, 0);
	putname(&m, "other.example");
	put16(&m, 1);
	put16(&m, 1);
	udp(st, &m);
	assert_int_equal(dns_tx_count(st), 3);
	assert_int_equal(cnt(st, DNS_CNT_UNMATCHED_RESPONSE), 1);
	assert_false(dns_tx_done(dns_tx_get(st, 0), false));
	/* The right answer, name in another case. */
	hdr(&m, 1, 0x8180, 1, 0, 0, 0);
	putname(&m, "ONE.example");
	put16(&m, 1);
	put16(&m, 1);
	udp(st, &m);
	assert_int_equal(dns_tx_count(st), 3);
	assert_true(dns_tx_done(dns_tx_get(st, 0), false));
	assert_non_null(strstr(log_of(st, 0), "\"type\":\"answer\",\"id\":1,"));
	assert_non_null(strstr(log_of(st, 1), "\"tx_id\":1,"));
	/* Response-only transaction logs only the answer record. */
	const char *l2 = log_of(st, 2);
	assert_null(strstr(l2, "\"type\":\"query\""));
	assert_non_null(strstr(l2, "\"rrname\":\"other.example\""));
	dns_tx_free_upto(st, 2);
	assert_null(dns_tx_get(st, 1));
	assert_non_null(dns_tx_get(st, 2));
	dns_state_free(st);
}

static void test_unanswered_expire(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	struct mb m;
	for (unsigned i = 0; i < DNS_MAX_PENDING + 3; i++) {
		query(&m, i, "q.example", 1);
		udp(st, &m);
	}
	assert_int_equal(cnt(st, DNS_CNT_UNANSWERED), 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_true(dns_tx_done(dns_tx_get(st, i), false));
	assert_false(dns_tx_done(dns_tx_get(st, 3), false));
	/* Expired queries are not matched any more. */
	hdr(&m, 0, 0x8180, 1, 0, 0, 0);
	putname(&m, "q.example");
	put16(&m, 1);
	put16(&m, 1);
	udp(st, &m);
	assert_int_equal(cnt(st, DNS_CNT_UNMATCHED_RESPONSE), 1);
	dns_state_free(st);
}

static void test_probe(void **unused)
{
	(void)unused;
	struct mb q;
	query(&q, 0x1111, "www.example.com", 1);
	assert_int_equal(dns_probe(q.b, q.n, 0), 1);
	assert_int_equal(dns_probe(q.b, 5, 0), -1);
	uint8_t s[600];
	s[0] = 0;
	s[1] = (uint8_t)q.n;
	memcpy(s + 2, q.b, q.n);
	assert_int_equal(dns_probe(s, q.n + 2, 0), 1);
	assert_int_equal(dns_probe(s, 20, 0), -1);
	struct mb r;
	cname_response(&r, 3);
	assert_int_equal(dns_probe(r.b, r.n, 1), 1);
	const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(dns_probe((const uint8_t *)http, strlen(http), 0), 0);
	const char *smtp = "220 mail.example.com ESMTP\r\n";
	assert_int_equal(dns_probe((const uint8_t *)smtp, strlen(smtp), 1), 0);
	uint8_t zeros[64] = {0};
	assert_int_equal(dns_probe(zeros, sizeof(zeros), 0), 0);
}

static void test_garbage_datagrams(void **unused)
{
	(void)unused;
	struct dns_state *st = new_state();
	uint8_t g[512];
	uint32_t x = 12345;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(x % sizeof(g));
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (uint8_t)(x >> 16);
		}
		struct app_result r = dns_parse(st, round & 1, g, n, APP_F_DATAGRAM, 1);
		assert_int_equal(r.status, APP_OK);
		uint64_t total = dns_tx_count(st);
		for (uint64_t id = 0; id < total; id++) {
			void *tx = dns_tx_get(st, id);
			if (!tx)
				continue;
			struct tlog t;
			tl_init(&t);
			dns_log_tx(tx, &t.lg);
			buf_release(&t.out);
		}
		dns_tx_free_upto(st, total);
	}
	assert_true(cnt(st, DNS_CNT_MALFORMED) > 100);
	dns_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_and_cname_chain),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_mx_ns_ptr_txt),
		cmocka_unit_test(test_nxdomain_soa),
		cmocka_unit_test(test_compression_errors),
		cmocka_unit_test(test_bad_rdata_keeps_record),
		cmocka_unit_test(test_record_caps),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_unanswered_expire),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_garbage_datagrams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
