/*
 * Unit tests for the HTTP/1.x parser (src/app/http.c).
 *
 * The parser file is included so static helpers and the state structs are
 * visible (Suricata's trick); the hooks are called the way the dispatcher
 * (app.c) calls them: parse() per direction, tx_done() / log_tx() /
 * tx_free_upto() in id order.  A tiny app_logger writes each record into a
 * struct buf so the EVE output is checked as exact strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/http.c"

/* ------------------------------------------------------------- helpers */

#define TEST_TS UINT64_C(1700000000123456)	/* packet time given to parse() */

static struct app_config cfg_default(void)
{
	struct app_config c = {
		.max_line = 16384,
		.max_headers = 256,
		.body_limit = 1024 * 1024,
		.decompress_limit = 4 * 1024 * 1024,
		.max_tx = 1024,
		.decode_bodies = APP_DECODE_ALL,
	};
	return c;
}

struct tlog {
	struct app_logger lg;
	struct buf out;
	struct jw w;
	int records;
	uint64_t last_ts;
};

static struct jw *tlog_begin(struct app_logger *lg, const char *type, uint64_t ts)
{
	struct tlog *t = (struct tlog *)lg;
	t->last_ts = ts;
	jw_init(&t->w, &t->out);
	jw_open_obj(&t->w, NULL);
	jw_str(&t->w, "event_type", type);
	return &t->w;
}

static void tlog_end(struct app_logger *lg)
{
	struct tlog *t = (struct tlog *)lg;
	jw_close_obj(&t->w);
	buf_putc(&t->out, '\n');
	t->records++;
}

static void tlog_init(struct tlog *t)
{
	memset(t, 0, sizeof(*t));
	t->lg.begin = tlog_begin;
	t->lg.end = tlog_end;
	buf_init(&t->out, 0);
}

/* A flow: parser state plus the dispatcher's pending tail per direction. */
struct tflow {
	struct app_config cfg;
	void *st;
	struct buf pend[2];
	uint64_t logged;
	struct tlog log;
};

static void tf_init(struct tflow *f, const struct app_config *cfg)
{
	f->cfg = cfg ? *cfg : cfg_default();
	f->st = app_http.state_new(&f->cfg);
	assert_non_null(f->st);
	buf_init(&f->pend[0], 0);
	buf_init(&f->pend[1], 0);
	f->logged = 0;
	tlog_init(&f->log);
}

static void tf_release(struct tflow *f)
{
	app_http.state_free(f->st);
	buf_release(&f->pend[0]);
	buf_release(&f->pend[1]);
	buf_release(&f->log.out);
}

/* Logs and frees done txs in id order (what app.c does after parse). */
static void tf_log(struct tflow *f, bool eof)
{
	uint64_t n = app_http.tx_count(f->st);
	while (f->logged < n) {
		void *tx = app_http.tx_get(f->st, f->logged);
		assert_non_null(tx);
		if (!app_http.tx_done(tx, eof))
			break;
		app_http.log_tx(tx, &f->log.lg);
		f->logged++;
		app_http.tx_free_upto(f->st, f->logged);
	}
}

/* Feeds bytes in pieces of `step` (0 = all at once), like the dispatcher. */
static enum app_status tf_feed_step(struct tflow *f, int dir, const void *data,
				    size_t len, size_t step, unsigned flags)
{
	const uint8_t *p = data;
	enum app_status s = APP_OK;
	if (step == 0)
		step = len ? len : 1;
	size_t off = 0;
	do {
		size_t n = len - off < step ? len - off : step;
		struct buf *pb = &f->pend[dir];
		assert_int_equal(buf_append(pb, p + off, n), 0);
		off += n;
		unsigned fl = off == len ? flags : (flags & APP_F_GAP);
		flags &= ~APP_F_GAP;
		struct app_result r = app_http.parse(f->st, dir, pb->p, pb->len, fl,
						     TEST_TS);
		s = r.status;
		if (s == APP_ERROR)
			return s;
		assert_true(r.consumed <= pb->len);
		buf_consume(pb, r.consumed);
	} while (off < len);
	return s;
}

static enum app_status tf_feed(struct tflow *f, int dir, const char *s)
{
	return tf_feed_step(f, dir, s, strlen(s), 0, 0);
}

static uint64_t cnt(struct tflow *f, const char *name)
{
	const uint64_t *v = app_http.counters(f->st);
	for (size_t i = 0; app_http.counter_names[i]; i++)
		if (strcmp(app_http.counter_names[i], name) == 0)
			return v[i];
	fail_msg("no counter %s", name);
	return 0;
}

static uint64_t cnt_sum(struct tflow *f)
{
	const uint64_t *v = app_http.counters(f->st);
	uint64_t s = 0;
	for (size_t i = 0; app_http.counter_names[i]; i++)
		s += v[i];
	return s;
}

/* Asserts that inspection buffer `which`/idx of tx id equals want. */
static void assert_buf(struct tflow *f, uint64_t id, enum app_buffer which,
		       uint32_t idx, const char *want)
{
	void *tx = app_http.tx_get(f->st, id);
	assert_non_null(tx);
	const uint8_t *p = NULL;
	size_t n = 0;
	bool ok = app_http.get_buffer(tx, which, idx, &p, &n);
	if (!want) {
		assert_false(ok);
		return;
	}
	if (!ok)
		fail_msg("buffer %d/%u absent, want '%s'", (int)which, idx, want);
	char *got = malloc(n + 1);
	memcpy(got, p, n);
	got[n] = 0;
	if (n != strlen(want) || memcmp(p, want, n) != 0)
		fail_msg("buffer %d/%u: got '%s' want '%s'", (int)which, idx, got, want);
	free(got);
}

static const char *logs(struct tflow *f)
{
	return buf_str(&f->log.out);
}

/* gzip (wbits 31), zlib (15) or raw deflate (-15) of data. */
static uint8_t *zcompress(const void *data, size_t len, int wbits, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	uint8_t *out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* --------------------------------------------------------------- tests */

static const char *GET1 =
	"GET /index.html HTTP/1.1\r\n"
	"Host: www.Example.com:8080\r\n"
	"User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)\r\n"
	"Referer: http://a.example/\r\n"
	"Accept: */*\r\n"
	"Cookie: sid=1\r\n"
	"\r\n";
static const char *RESP1 =
	"HTTP/1.1 200 OK\r\n"
	"Server: nginx/1.22\r\n"
	"Content-Type: text/html; charset=UTF-8\r\n"
	"Content-Length: 5\r\n"
	"Set-Cookie: a=b\r\n"
	"\r\n"
	"hello";

static void test_simple_get(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	assert_int_equal(tf_feed(&f, 0, GET1), APP_OK);
	assert_int_equal(app_http.tx_count(f.st), 1);
	void *tx = app_http.tx_get(f.st, 0);
	assert_false(app_http.tx_done(tx, false));
	assert_true(app_http.tx_done(tx, true));
	assert_int_equal(tf_feed(&f, 1, RESP1), APP_OK);
	assert_true(app_http.tx_done(tx, false));

	assert_buf(&f, 0, APP_BUF_HTTP_METHOD, 0, "GET");
	assert_buf(&f, 0, APP_BUF_HTTP_URI, 0, "/index.html");
	assert_buf(&f, 0, APP_BUF_HTTP_URI_RAW, 0, "/index.html");
	assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "www.example.com");
	assert_buf(&f, 0, APP_BUF_HTTP_HOST_RAW, 0, "www.Example.com:8080");
	assert_buf(&f, 0, APP_BUF_HTTP_USER_AGENT, 0,
		   "Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)");
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_LINE, 0, "GET /index.html HTTP/1.1");
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_LINE, 0, "HTTP/1.1 200 OK");
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_CODE, 0, "200");
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_MSG, 0, "OK");
	assert_buf(&f, 0, APP_BUF_HTTP_PROTOCOL, 0, "HTTP/1.1");
	assert_buf(&f, 0, APP_BUF_HTTP_PROTOCOL, 1, "HTTP/1.1");
	assert_buf(&f, 0, APP_BUF_HTTP_COOKIE, 0, "sid=1");
	assert_buf(&f, 0, APP_BUF_HTTP_COOKIE, 1, "a=b");
	assert_buf(&f, 0, APP_BUF_HTTP_ACCEPT, 0, "*/*");
	assert_buf(&f, 0, APP_BUF_HTTP_REFERER, 0, "http://a.example/");
	assert_buf(&f, 0, APP_BUF_HTTP_SERVER, 0, "nginx/1.22");
	/* both-way buffers: request instance, then response, absent skipped */
	assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_TYPE, 0, "text/html; charset=UTF-8");
	assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_TYPE, 1, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_LEN, 0, "5");
	assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_LEN, 1, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_COOKIE, 2, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_HEADER_RAW, 1,
		   "Server: nginx/1.22\r\n"
		   "Content-Type: text/html; charset=UTF-8\r\nContent-Length: 5\r\n"
		   "Set-Cookie: a=b\r\n\r\n");
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, "hello");
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_LOCATION, 0, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_CONNECTION, 0, NULL);
	assert_buf(&f, 0, APP_BUF_DNS_QUERY, 0, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_METHOD, 1, NULL);
	/* http.header: normalised, Cookie / Set-Cookie left out */
	assert_buf(&f, 0, APP_BUF_HTTP_HEADER, 0,
		   "Host: www.Example.com:8080\r\n"
		   "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)\r\n"
		   "Referer: http://a.example/\r\n"
		   "Accept: */*\r\n");
	assert_buf(&f, 0, APP_BUF_HTTP_HEADER, 1,
		   "Server: nginx/1.22\r\n"
		   "Content-Type: text/html; charset=UTF-8\r\n"
		   "Content-Length: 5\r\n");
	assert_buf(&f, 0, APP_BUF_HTTP_HEADER_RAW, 0, strchr(GET1, '\n') + 1);

	tf_log(&f, false);
	assert_int_equal(f.log.last_ts, TEST_TS);
	assert_string_equal(logs(&f),
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"www.example.com\","
		"\"http_port\":8080,\"url\":\"/index.html\","
		"\"http_user_agent\":\"Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)\","
		"\"http_content_type\":\"text/html\",\"http_refer\":\"http://a.example/\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
		"\"length\":5}}\n");
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);
}

/* The same POST fed in one call and one byte per call gives the same result. */
static void run_post(size_t step, struct buf *out_log, uint8_t *body_out, size_t *body_len)
{
	static const char *req =
		"POST /upload.php?id=7 HTTP/1.1\r\n"
		"Host: upload.example\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 27\r\n"
		"\r\n"
		"a=1&b=2&c=%41%42&d=xxxxxxxxGET / HTTP/1.1\r\nHost: second\r\n\r\n";
	static const char *resp =
		"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nLocation: /x\r\n\r\nok\n"
		"HTTP/1.1 404 Not Found\nContent-Length: 0\n\n";
	struct tflow f;
	tf_init(&f, NULL);
	assert_int_equal(tf_feed_step(&f, 0, req, strlen(req), step, 0), APP_OK);
	void *tx = app_http.tx_get(f.st, 0);
	const uint8_t *p;
	size_t n;
	assert_true(app_http.get_buffer(tx, APP_BUF_HTTP_REQUEST_BODY, 0, &p, &n));
	assert_int_equal(n, 27);
	memcpy(body_out, p, n);
	*body_len = n;
	assert_int_equal(tf_feed_step(&f, 1, resp, strlen(resp), step, 0), APP_OK);
	assert_buf(&f, 1, APP_BUF_HTTP_HOST, 0, "second");
	assert_buf(&f, 1, APP_BUF_HTTP_STAT_CODE, 0, "404");
	tf_log(&f, false);
	assert_int_equal(f.log.records, 2);
	buf_append(out_log, f.log.out.p, f.log.out.len);
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);
}

static void test_post_bytewise(void **state)
{
	(void)state;
	struct buf a, b;
	buf_init(&a, 0);
	buf_init(&b, 0);
	uint8_t b1[64], b2[64];
	size_t n1, n2;
	run_post(0, &a, b1, &n1);
	run_post(1, &b, b2, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, "a=1&b=2&c=%41%42&d=xxxxxxxx", 27);
	assert_memory_equal(b1, b2, n1);
	assert_string_equal(buf_str(&a), buf_str(&b));
	assert_string_equal(buf_str(&a),
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"upload.example\","
		"\"url\":\"/upload.php?id=7\",\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\","
		"\"status\":201,\"redirect\":\"/x\",\"length\":3}}\n"
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"second\",\"url\":\"/\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":404,\"length\":0}}\n");
	/* every split point of 7-byte steps too */
	struct buf c;
	buf_init(&c, 0);
	run_post(7, &c, b2, &n2);
	assert_string_equal(buf_str(&a), buf_str(&c));
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
}

static void test_chunked_gzip(void **state)
{
	(void)state;
	static const char text[] =
		"<html><body>Chunked and gzipped body, repeated repeated repeated"
		" repeated repeated repeated repeated.</body></html>";
	size_t zn;
	uint8_t *z = zcompress(text, sizeof(text) - 1, 31, &zn);
	struct buf wire;
	buf_init(&wire, 0);
	buf_puts(&wire, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
			"Transfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n");
	/* three chunks, the second with an extension, then a trailer */
	size_t c1 = zn / 3, c2 = zn / 3, c3 = zn - c1 - c2;
	buf_printf(&wire, "%zx\r\n", c1);
	buf_append(&wire, z, c1);
	buf_printf(&wire, "\r\n%zX;name=\"v\"\r\n", c2);
	buf_append(&wire, z + c1, c2);
	buf_printf(&wire, "\r\n%zx \r\n", c3);
	buf_append(&wire, z + c1 + c2, c3);
	buf_puts(&wire, "\r\n0\r\nX-Trailer: yes\r\n\r\n");
	buf_puts(&wire, "HTTP/1.1 204 No Content\r\n\r\n");

	for (size_t step = 0; step <= 3; step += 3) {
		struct tflow f;
		tf_init(&f, NULL);
		tf_feed(&f, 0, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
		assert_int_equal(tf_feed_step(&f, 1, wire.p, wire.len, step, 0), APP_OK);
		assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, text);
		assert_buf(&f, 1, APP_BUF_HTTP_STAT_CODE, 0, "204");
		assert_true(app_http.tx_done(app_http.tx_get(f.st, 1), false));
		tf_log(&f, false);
		char want[512];
		snprintf(want, sizeof(want),
			 "{\"event_type\":\"http\",\"http\":{\"hostname\":\"h\",\"url\":\"/a\","
			 "\"http_content_type\":\"text/html\",\"http_method\":\"GET\","
			 "\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":%zu}}\n"
			 "{\"event_type\":\"http\",\"http\":{\"hostname\":\"h\",\"url\":\"/b\","
			 "\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":204,"
			 "\"length\":0}}\n", zn);
		assert_string_equal(logs(&f), want);
		assert_int_equal(cnt_sum(&f), 0);
		tf_release(&f);
	}
	free(z);
	buf_release(&wire);
}

static void check_deflate(int wbits, size_t step)
{
	static const char text[] = "deflate body deflate body deflate body 12345";
	size_t zn;
	uint8_t *z = zcompress(text, sizeof(text) - 1, wbits, &zn);
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
	char hdr[128];
	snprintf(hdr, sizeof(hdr),
		 "HTTP/1.1 200 OK\r\nContent-Encoding: Deflate\r\nContent-Length: %zu\r\n\r\n", zn);
	tf_feed(&f, 1, hdr);
	assert_int_equal(tf_feed_step(&f, 1, z, zn, step, 0), APP_OK);
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, text);
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);
	free(z);
}

static void test_deflate_raw_and_zlib(void **state)
{
	(void)state;
	check_deflate(15, 0);	/* zlib-wrapped, RFC "deflate" */
	check_deflate(-15, 0);	/* raw deflate, what IIS sends */
	check_deflate(15, 1);
	check_deflate(-15, 1);
}

static void test_gzip_request_body(void **state)
{
	(void)state;
	static const char text[] = "id=storm&data=aGVsbG8=";
	size_t zn;
	uint8_t *z = zcompress(text, sizeof(text) - 1, 31, &zn);
	struct tflow f;
	tf_init(&f, NULL);
	char hdr[160];
	snprintf(hdr, sizeof(hdr),
		 "POST /x.jpg HTTP/1.0\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	tf_feed(&f, 0, hdr);
	tf_feed_step(&f, 0, z, zn, 0, 0);
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, text);
	tf_release(&f);
	free(z);
}

static void test_gzip_bomb(void **state)
{
	(void)state;
	size_t big = 10u * 1024 * 1024;
	uint8_t *zeros = calloc(1, big);
	size_t zn;
	uint8_t *z = zcompress(zeros, big, 31, &zn);
	free(zeros);
	assert_true(zn < 64 * 1024);
	struct app_config cfg = cfg_default();
	cfg.decompress_limit = 256 * 1024;
	struct tflow f;
	tf_init(&f, &cfg);
	tf_feed(&f, 0, "GET /bomb HTTP/1.1\r\nHost: h\r\n\r\n");
	char hdr[128];
	snprintf(hdr, sizeof(hdr),
		 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	tf_feed(&f, 1, hdr);
	assert_int_equal(tf_feed_step(&f, 1, z, zn, 1000, 0), APP_OK);
	void *tx = app_http.tx_get(f.st, 0);
	const uint8_t *p;
	size_t n;
	assert_true(app_http.get_buffer(tx, APP_BUF_HTTP_RESPONSE_BODY, 0, &p, &n));
	assert_int_equal(n, cfg.decompress_limit);
	for (size_t i = 0; i < n; i += 4096)
		assert_int_equal(p[i], 0);
	assert_int_equal(cnt(&f, "http.decompress_capped"), 1);
	assert_true(app_http.tx_done(tx, false));
	tf_log(&f, false);
	char want[256];
	snprintf(want, sizeof(want),
		 "{\"event_type\":\"http\",\"http\":{\"hostname\":\"h\",\"url\":\"/bomb\","
		 "\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
		 "\"length\":%zu}}\n", zn);
	assert_string_equal(logs(&f), want);
	tf_release(&f);
	free(z);
}

static void test_pipelining(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0,
		"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /2 HTTP/1.1\r\nHost: b\r\n\r\n"
		"HEAD /3 HTTP/1.1\r\nHost: c\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 3);
	tf_log(&f, false);
	assert_int_equal(f.log.records, 0);
	tf_feed(&f, 1,
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"
		"HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	/* HEAD: Content-Length describes the GET body; nothing follows */
	tf_log(&f, false);
	assert_int_equal(f.log.records, 3);
	assert_string_equal(logs(&f),
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"a\",\"url\":\"/1\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":2}}\n"
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"b\",\"url\":\"/2\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":302,"
		"\"redirect\":\"/new\",\"length\":0}}\n"
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"c\",\"url\":\"/3\","
		"\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":0}}\n");
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);
}

static void test_100_continue(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
		       "Content-Length: 4\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 100 Continue\r\n\r\n");
	void *tx = app_http.tx_get(f.st, 0);
	assert_false(app_http.tx_done(tx, false));
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_CODE, 0, NULL);
	tf_feed(&f, 0, "data");
	assert_false(app_http.tx_done(tx, false));
	tf_feed(&f, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	assert_true(app_http.tx_done(tx, false));
	assert_int_equal(app_http.tx_count(f.st), 1);
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_CODE, 0, "201");
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, "data");
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);
}

static void test_folded_duplicate_case(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0,
		"GET /x HTTP/1.1\r\n"
		"hOsT: Dup.Example\r\n"
		"user-AGENT: SuriTester/0.8\r\n"
		"X-Long: first part\r\n"
		"\tsecond part  \r\n"
		"   third\r\n"
		"User-Agent: GGGG   \r\n"
		"X-Dup: a\r\n b\r\n"
		"X-Empty:\r\n \r\n"
		"x-dup: c\r\n"
		"\r\n");
	assert_buf(&f, 0, APP_BUF_HTTP_USER_AGENT, 0, "SuriTester/0.8, GGGG");
	assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "dup.example");
	assert_buf(&f, 0, APP_BUF_HTTP_HEADER, 0,
		   "hOsT: Dup.Example\r\n"
		   "user-AGENT: SuriTester/0.8, GGGG\r\n"
		   "X-Long: first part second part third\r\n"
		   "X-Dup: a b, c\r\n"
		   "X-Empty: \r\n");
	assert_int_equal(cnt(&f, "http.folded_header"), 4);
	tf_release(&f);
}

static void test_bare_lf_and_junk(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0,
		"\r\nGET /lf HTTP/1.0\n"
		"Host: lf.example\n"
		"this line has no colon\n"
		"Bad Name: v\n"
		": empty name\n"
		"Accept: text/*\n"
		"\n");
	assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "lf.example");
	assert_buf(&f, 0, APP_BUF_HTTP_ACCEPT, 0, "text/*");
	assert_int_equal(cnt(&f, "http.header_missing_colon"), 1);
	assert_int_equal(cnt(&f, "http.invalid_header_name"), 2);
	tf_feed(&f, 1, "HTTP/1.0 200 OK\nContent-Length: 2\n\nhi");
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, "hi");
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 0), false));
	tf_release(&f);
}

static void test_head_304_eof(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"
		       "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n"
		       "GET /e HTTP/1.0\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 512\r\n\r\n"
		       "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
		       "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
	void *tx = app_http.tx_get(f.st, 2);
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 0), false));
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 1), false));
	assert_false(app_http.tx_done(tx, false));
	tf_feed(&f, 1, "close");
	assert_false(app_http.tx_done(tx, false));
	tf_feed_step(&f, 1, "", 0, 0, APP_F_EOF);
	assert_true(app_http.tx_done(tx, false));
	assert_buf(&f, 2, APP_BUF_HTTP_RESPONSE_BODY, 0, "until close");
	tf_log(&f, false);
	assert_int_equal(f.log.records, 3);
	assert_non_null(strstr(logs(&f), "\"status\":304,\"length\":0}"));
	assert_non_null(strstr(logs(&f), "\"status\":200,\"length\":11}"));
	tf_release(&f);
}

static void test_garbage(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	uint8_t junk[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (uint8_t)(x >> 16);
	}
	enum app_status s = tf_feed_step(&f, 0, junk, sizeof(junk), 97, 0);
	assert_int_equal(s, APP_ERROR);
	assert_int_equal(cnt(&f, "http.desync"), 1);
	assert_true(cnt(&f, "http.invalid_request_line") >= HTTP_MAX_BAD_LINES);
	assert_int_equal(app_http.tx_count(f.st), 0);
	tf_release(&f);

	/* garbage to the client: one tx whose body is the bytes */
	tf_init(&f, NULL);
	assert_int_equal(tf_feed_step(&f, 1, junk, sizeof(junk), 100, APP_F_EOF), APP_OK);
	assert_int_equal(app_http.tx_count(f.st), 1);
	assert_int_equal(cnt(&f, "http.invalid_response_line"), 1);
	assert_int_equal(cnt(&f, "http.response_without_request"), 1);
	tf_log(&f, false);
	assert_string_equal(logs(&f), "{\"event_type\":\"http\",\"http\":{\"length\":4096}}\n");
	tf_release(&f);

	/* invalid status code and protocol are counted, the tx still logged */
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /s FOO/1\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 2x0 Weird\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(cnt(&f, "http.invalid_protocol"), 1);
	assert_int_equal(cnt(&f, "http.invalid_status_code"), 1);
	tf_log(&f, false);
	assert_string_equal(logs(&f),
		"{\"event_type\":\"http\",\"http\":{\"url\":\"/s\",\"http_method\":\"GET\","
		"\"protocol\":\"FOO/1\",\"status\":0,\"length\":0}}\n");
	tf_release(&f);
}

static void test_limits(void **state)
{
	(void)state;
	struct app_config cfg = cfg_default();
	cfg.max_line = 64;
	cfg.max_headers = 4;
	cfg.body_limit = 8;
	for (size_t step = 0; step <= 1; step++) {
		struct tflow f;
		tf_init(&f, &cfg);
		struct buf req;
		buf_init(&req, 0);
		buf_puts(&req, "POST /lim HTTP/1.1\r\nHost: lim\r\nX-Big: ");
		for (int i = 0; i < 200; i++)
			buf_putc(&req, 'A');
		buf_puts(&req, "\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 12\r\n\r\n"
			       "0123456789ab");
		assert_int_equal(tf_feed_step(&f, 0, req.p, req.len, step, 0), APP_OK);
		assert_int_equal(cnt(&f, "http.header_line_too_long"), 1);
		assert_int_equal(cnt(&f, "http.too_many_headers"), 1);
		assert_int_equal(cnt(&f, "http.body_limit"), 1);
		assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "lim");
		/* Content-Length is past the header cap but still frames the body */
		assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_LEN, 0, "12");
		assert_buf(&f, 0, APP_BUF_HTTP_HEADER, 0,
			   "Host: lim\r\nX-Big: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
			   "A: 1\r\nB: 2\r\nContent-Length: 12\r\n");
		assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, "01234567");
		assert_int_equal(app_http.tx_count(f.st), 1);
		tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n0123456789ab");
		assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, "01234567");
		tf_log(&f, false);
		assert_int_equal(f.log.records, 1);
		assert_non_null(strstr(logs(&f), "\"length\":12}"));
		buf_release(&req);
		tf_release(&f);
	}
}

static void test_http09_and_response_only(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /old\r\n");
	void *tx = app_http.tx_get(f.st, 0);
	assert_non_null(tx);
	assert_false(app_http.tx_done(tx, false));
	assert_buf(&f, 0, APP_BUF_HTTP_PROTOCOL, 0, NULL);
	tf_feed(&f, 1, "<html>0.9</html>");
	tf_feed_step(&f, 1, "", 0, 0, APP_F_EOF);
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, "<html>0.9</html>");
	assert_int_equal(cnt(&f, "http.invalid_response_line"), 0);
	assert_true(app_http.tx_done(tx, false));
	tf_release(&f);

	/* no protocol but header lines follow: HTTP/1.x missing its protocol
	 * (libhtp's REQUEST_LINE_MISSING_PROTOCOL), headers kept */
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /gen.php?x=1 \r\nHost: 5.8.88.25\r\nUser-Agent: M\r\n\r\n"
		       "GET /09\r\n\r\nGET /last HTTP/1.1\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 3);
	assert_int_equal(cnt(&f, "http.request_line_missing_protocol"), 1);
	assert_int_equal(cnt(&f, "http.invalid_request_line"), 0);
	assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "5.8.88.25");
	assert_buf(&f, 0, APP_BUF_HTTP_USER_AGENT, 0, "M");
	assert_buf(&f, 1, APP_BUF_HTTP_URI, 0, "/09");
	assert_buf(&f, 2, APP_BUF_HTTP_URI, 0, "/last");
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA");
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_CODE, 0, "200");
	tf_release(&f);

	/* midstream: a response first gets its own tx, the next request a new one */
	tf_init(&f, NULL);
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
	assert_int_equal(app_http.tx_count(f.st), 1);
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 0), false));
	tf_feed(&f, 0, "GET /next HTTP/1.1\r\nHost: n\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 2);
	assert_buf(&f, 1, APP_BUF_HTTP_STAT_CODE, 0, "404");
	assert_buf(&f, 0, APP_BUF_HTTP_METHOD, 0, NULL);
	/* no request: the response's instance comes first */
	assert_buf(&f, 0, APP_BUF_HTTP_PROTOCOL, 0, "HTTP/1.1");
	assert_buf(&f, 0, APP_BUF_HTTP_PROTOCOL, 1, NULL);
	assert_buf(&f, 0, APP_BUF_HTTP_CONTENT_LEN, 0, "1");
	tf_log(&f, false);
	assert_string_equal(logs(&f),
		"{\"event_type\":\"http\",\"http\":{\"status\":200,\"length\":1}}\n"
		"{\"event_type\":\"http\",\"http\":{\"hostname\":\"n\",\"url\":\"/next\","
		"\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":404,\"length\":0}}\n");
	tf_release(&f);
}

static void test_gap_resync(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123");
	/* bytes lost: the rest of the body, then a new request mid-line */
	const char *after = "6789 tail of body\r\nxx GET /notreally\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	assert_int_equal(tf_feed_step(&f, 0, after, strlen(after), 0, APP_F_GAP), APP_OK);
	assert_int_equal(cnt(&f, "http.gap"), 1);
	assert_int_equal(cnt(&f, "http.truncated"), 1);
	assert_int_equal(app_http.tx_count(f.st), 2);
	assert_buf(&f, 1, APP_BUF_HTTP_URI, 0, "/b");
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, "0123");
	/* the resync also works when the method is split across calls */
	const char *more = "garbage\r\nPO";
	tf_feed_step(&f, 0, more, strlen(more), 0, APP_F_GAP);
	tf_feed(&f, 0, "ST /c HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 3);
	assert_buf(&f, 2, APP_BUF_HTTP_METHOD, 0, "POST");
	assert_buf(&f, 2, APP_BUF_HTTP_URI, 0, "/c");
	tf_release(&f);
}

static void test_uri_host_normalisation(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0,
		"GET /a/./b/../%63/%2e%2E/d%20e/%zz?q=%41/../ HTTP/1.1\r\nHost: [::1]:81\r\n\r\n"
		"GET http://user@Proxy.Example.:3128 HTTP/1.1\r\nHost: other\r\n\r\n"
		"CONNECT mail.example:443 HTTP/1.1\r\n\r\n");
	assert_buf(&f, 0, APP_BUF_HTTP_URI, 0, "/a/d e/%zz?q=%41/../");
	assert_buf(&f, 0, APP_BUF_HTTP_HOST, 0, "[::1]");
	assert_buf(&f, 1, APP_BUF_HTTP_URI, 0, "/");
	assert_buf(&f, 1, APP_BUF_HTTP_HOST, 0, "proxy.example");
	assert_buf(&f, 1, APP_BUF_HTTP_HOST_RAW, 0, "Proxy.Example.:3128");
	assert_buf(&f, 2, APP_BUF_HTTP_HOST, 0, "mail.example");
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		       "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01 tls bytes");
	/* after CONNECT 200 both directions carry a tunnel, not HTTP */
	tf_feed(&f, 0, "\x16\x03\x01 more tls");
	assert_int_equal(app_http.tx_count(f.st), 3);
	tf_log(&f, false);
	/* the first tx's response is read until close: not done yet */
	assert_int_equal(f.log.records, 0);
	tf_log(&f, true);
	assert_int_equal(f.log.records, 3);
	assert_non_null(strstr(logs(&f), "\"hostname\":\"[::1]\",\"http_port\":81,"));
	assert_non_null(strstr(logs(&f), "\"hostname\":\"proxy.example\",\"http_port\":3128,"
					 "\"url\":\"http://user@Proxy.Example.:3128\""));
	assert_non_null(strstr(logs(&f), "\"hostname\":\"mail.example\",\"http_port\":443,"));
	tf_release(&f);
}

static void test_connect_tunnel(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "CONNECT s.example:443 HTTP/1.1\r\nHost: s.example:443\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 200 Connection established\r\n\r\n");
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 0), false));
	assert_int_equal(tf_feed(&f, 0, "\x16\x03\x01\x02\x00 GET / HTTP/1.1\r\n\r\n"), APP_OK);
	assert_int_equal(tf_feed(&f, 1, "\x16\x03\x03 HTTP/1.1 200 OK\r\n\r\n"), APP_OK);
	assert_int_equal(app_http.tx_count(f.st), 1);
	assert_int_equal(cnt_sum(&f), 0);
	tf_release(&f);

	/* a plain-text tunnel carrying HTTP is followed (Suricata does too),
	 * even when the first request is split across calls */
	tf_init(&f, NULL);
	tf_feed(&f, 0, "CONNECT abc:80 HTTP/1.1\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\n\r\n");
	tf_feed(&f, 0, "GE");
	tf_feed(&f, 0, "T /inner HTTP/1.1\r\nHost: inner\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 2);
	assert_buf(&f, 1, APP_BUF_HTTP_URI, 0, "/inner");
	assert_buf(&f, 1, APP_BUF_HTTP_STAT_CODE, 0, "404");
	tf_log(&f, false);
	assert_int_equal(f.log.records, 2);
	tf_release(&f);

	/* 101 Switching Protocols: what follows is never HTTP/1 */
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
	tf_feed(&f, 0, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(app_http.tx_count(f.st), 1);
	assert_buf(&f, 0, APP_BUF_HTTP_STAT_CODE, 0, "101");
	assert_buf(&f, 0, APP_BUF_HTTP_CONNECTION, 0, "Upgrade");
	tf_release(&f);
}

static void test_max_tx(void **state)
{
	(void)state;
	struct app_config cfg = cfg_default();
	cfg.max_tx = 4;
	struct tflow f;
	tf_init(&f, &cfg);
	for (int i = 0; i < 6; i++)
		assert_int_equal(tf_feed(&f, 0, "GET / HTTP/1.1\r\nHost: m\r\n\r\n"), APP_OK);
	assert_int_equal(cnt(&f, "http.too_many_tx"), 2);
	tf_log(&f, false);
	assert_int_equal(f.log.records, 2);
	/* without logging the forced ones, the stream is eventually given up */
	enum app_status s = APP_OK;
	for (int i = 0; i < 20 && s == APP_OK; i++)
		s = tf_feed(&f, 0, "GET / HTTP/1.1\r\nHost: m\r\n\r\n");
	assert_int_equal(s, APP_ERROR);
	tf_release(&f);
}

static void test_probe(void **state)
{
	(void)state;
	struct {
		const char *s;
		int want;
	} cases[] = {
		{"GET / HTTP/1.1\r\n", 1}, {"POST /x", 1}, {"PROPFIND /", 1},
		{"HTTP/1.1 200 OK", 1}, {"HTTP/1.0 404", 1}, {"\r\nGET /", 1},
		{"G", -1}, {"GE", -1}, {"GET", -1}, {"HTT", -1}, {"HTTP/1", -1},
		{"", -1}, {"PROPFIN", -1},
		{"GETX /", 0}, {"HELO mail", 0}, {"\x16\x03\x01", 0},
		{"SSH-2.0-OpenSSH", 0}, {"HTTP/2.0 200", 0}, {"get / http/1.1", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = app_http.probe((const uint8_t *)cases[i].s, strlen(cases[i].s), 0);
		if (got != cases[i].want)
			fail_msg("probe '%s': got %d want %d", cases[i].s, got, cases[i].want);
	}
}

static void test_eof_truncated(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "POST /t HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\nabc");
	tf_feed_step(&f, 0, "", 0, 0, APP_F_EOF);
	assert_int_equal(cnt(&f, "http.truncated"), 1);
	assert_buf(&f, 0, APP_BUF_HTTP_REQUEST_BODY, 0, "abc");
	/* bytes after EOF are ignored */
	assert_int_equal(tf_feed(&f, 0, "GET /late HTTP/1.1\r\n\r\n"), APP_OK);
	assert_int_equal(app_http.tx_count(f.st), 1);
	/* headers cut by EOF are still finalised, the last line included */
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nServer: cut");
	tf_feed_step(&f, 1, "", 0, 0, APP_F_EOF);
	assert_buf(&f, 0, APP_BUF_HTTP_SERVER, 0, "cut");
	assert_int_equal(cnt(&f, "http.truncated"), 2);
	assert_true(app_http.tx_done(app_http.tx_get(f.st, 0), false));
	tf_release(&f);
}

static void test_chunk_errors(void **state)
{
	(void)state;
	struct tflow f;
	tf_init(&f, NULL);
	tf_feed(&f, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	tf_feed(&f, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
		       "3\r\nabcXY\r\nzz\r\n"
		       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nq");
	assert_int_equal(cnt(&f, "http.content_length_and_chunked"), 1);
	assert_int_equal(cnt(&f, "http.chunk_missing_crlf"), 1);
	assert_int_equal(cnt(&f, "http.invalid_chunk"), 1);
	assert_buf(&f, 0, APP_BUF_HTTP_RESPONSE_BODY, 0, "abc");
	assert_buf(&f, 1, APP_BUF_HTTP_RESPONSE_BODY, 0, "q");
	tf_release(&f);
}

/* Splitting the streams at any byte gives the same records and buffers. */
static void run_split(const struct buf *ts, const struct buf *tc, size_t cut,
		      struct buf *out)
{
	struct tflow f;
	tf_init(&f, NULL);
	size_t c0 = cut % (ts->len + 1), c1 = cut % (tc->len + 1);
	/* a server answers what it has received: requests go first */
	tf_feed_step(&f, 0, ts->p, c0, 0, 0);
	tf_feed_step(&f, 0, ts->p + c0, ts->len - c0, 0, 0);
	tf_feed_step(&f, 1, tc->p, c1, 0, 0);
	tf_feed_step(&f, 1, tc->p + c1, tc->len - c1, 0, APP_F_EOF);
	for (uint64_t id = 0; id < app_http.tx_count(f.st); id++) {
		static const enum app_buffer bufs[] = {
			APP_BUF_HTTP_URI, APP_BUF_HTTP_HEADER, APP_BUF_HTTP_REQUEST_BODY,
			APP_BUF_HTTP_RESPONSE_BODY, APP_BUF_HTTP_USER_AGENT};
		for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++) {
			const uint8_t *p;
			size_t n;
			if (app_http.get_buffer(app_http.tx_get(f.st, id), bufs[k], 0, &p, &n))
				buf_append(out, p, n);
			buf_putc(out, '|');
		}
	}
	tf_log(&f, true);
	buf_append(out, f.log.out.p, f.log.out.len);
	const uint64_t *v = app_http.counters(f.st);
	for (size_t i = 0; app_http.counter_names[i]; i++)
		buf_printf(out, "%llu,", (unsigned long long)v[i]);
	tf_release(&f);
}

static void test_every_split(void **state)
{
	(void)state;
	static const char body[] = "split everywhere, split everywhere, split everywhere";
	size_t zn;
	uint8_t *z = zcompress(body, sizeof(body) - 1, 31, &zn);
	struct buf ts, tc;
	buf_init(&ts, 0);
	buf_init(&tc, 0);
	buf_puts(&ts, "GET /a/%41b/../c HTTP/1.1\r\nHost: X.example\r\nUser-Agent: u1\r\n"
		      " folded\r\nUser-Agent: u2\r\n\r\n"
		      "POST /p HTTP/1.1\nTransfer-Encoding: chunked\n\n4;x=y\nabcd\n0\nT: 1\n\n"
		      "GET /last HTTP/1.0\r\n\r\n");
	buf_puts(&tc, "HTTP/1.1 100 Continue\r\n\r\n"
		      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
	buf_printf(&tc, "%zx\r\n", zn / 2);
	buf_append(&tc, z, zn / 2);
	buf_printf(&tc, "\r\n%zx\r\n", zn - zn / 2);
	buf_append(&tc, z + zn / 2, zn - zn / 2);
	buf_puts(&tc, "\r\n0\r\n\r\n"
		      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
		      "HTTP/1.0 200 OK\r\n\r\nuntil the end");
	struct buf base;
	buf_init(&base, 0);
	run_split(&ts, &tc, 0, &base);
	assert_non_null(strstr(buf_str(&base), "split everywhere, split everywhere"));
	assert_non_null(strstr(buf_str(&base), "\"url\":\"/a/%41b/../c\""));	/* raw in EVE */
	assert_int_equal(strncmp(buf_str(&base), "/a/c|", 5), 0);	/* http.uri */
	assert_non_null(strstr(buf_str(&base), "u1 folded, u2"));
	assert_non_null(strstr(buf_str(&base), "\"status\":200,\"length\":13}"));
	size_t max = ts.len > tc.len ? ts.len : tc.len;
	for (size_t cut = 1; cut <= max; cut++) {
		struct buf got;
		buf_init(&got, 0);
		run_split(&ts, &tc, cut, &got);
		if (strcmp(buf_str(&got), buf_str(&base)) != 0)
			fail_msg("split at %zu differs:\n%s\n--- want\n%s", cut,
				 buf_str(&got), buf_str(&base));
		buf_release(&got);
	}
	buf_release(&base);
	buf_release(&ts);
	buf_release(&tc);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_post_bytewise),
		cmocka_unit_test(test_chunked_gzip),
		cmocka_unit_test(test_deflate_raw_and_zlib),
		cmocka_unit_test(test_gzip_request_body),
		cmocka_unit_test(test_gzip_bomb),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_100_continue),
		cmocka_unit_test(test_folded_duplicate_case),
		cmocka_unit_test(test_bare_lf_and_junk),
		cmocka_unit_test(test_head_304_eof),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_http09_and_response_only),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_uri_host_normalisation),
		cmocka_unit_test(test_connect_tunnel),
		cmocka_unit_test(test_max_tx),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_eof_truncated),
		cmocka_unit_test(test_chunk_errors),
		cmocka_unit_test(test_every_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
