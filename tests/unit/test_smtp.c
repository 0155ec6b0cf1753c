/*
 * Unit tests for the SMTP parser (src/app/smtp.c), included so the static
 * state can be inspected and the test builds without the dispatcher.  A
 * session is a script of (direction, bytes) steps fed through per-side
 * pending buffers the way the dispatcher keeps unconsumed tails; records
 * are checked as exact JSON text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/smtp.c"

#define TS APP_DIR_TOSERVER
#define TC APP_DIR_TOCLIENT

static struct app_config cfg = {
	.max_line = 16384, .max_headers = 256, .body_limit = 1 << 20,
	.decompress_limit = 4 << 20, .max_tx = 1024,
};

struct sess {
	struct smtp_state *st;
	struct buf pend[2];
	size_t chunk;		/* bytes per parse() call; 0 = whole step */
};

static void sess_init(struct sess *s, const struct app_config *c, size_t chunk)
{
	s->st = smtp_state_new(c);
	assert_non_null(s->st);
	buf_init(&s->pend[0], 0);
	buf_init(&s->pend[1], 0);
	s->chunk = chunk;
}

static void sess_free(struct sess *s)
{
	smtp_state_free(s->st);
	buf_release(&s->pend[0]);
	buf_release(&s->pend[1]);
}

static void feedn(struct sess *s, int dir, const void *data, size_t n,
		  unsigned flags)
{
	const uint8_t *d = data;
	size_t step = s->chunk ? s->chunk : (n ? n : 1);
	size_t off = 0;
	do {
		size_t k = n - off < step ? n - off : step;
		buf_append(&s->pend[dir], d + off, k);
		off += k;
		unsigned fl = off >= n ? flags : (flags & ~APP_F_EOF);
		struct buf *p = &s->pend[dir];
		struct app_result r = smtp_parse(s->st, dir, p->p ? p->p : d,
						 p->len, fl, 100 + off);
		assert_int_not_equal(r.status, APP_ERROR);
		assert_true(r.consumed <= p->len);
		buf_consume(p, r.consumed);
		fl = 0;
	} while (off < n);
}

static void feed(struct sess *s, int dir, const char *text)
{
	feedn(s, dir, text, strlen(text), 0);
}

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

static const char *log_of(struct smtp_state *st, uint64_t id)
{
	static char text[8192];
	struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
	buf_init(&t.out, 0);
	void *tx = smtp_tx_get(st, id);
	assert_non_null(tx);
	smtp_log_tx(tx, &t.lg);
	snprintf(text, sizeof(text), "%s", buf_str(&t.out));
	buf_release(&t.out);
	return text;
}

static struct smtp_tx *txn(struct smtp_state *st, uint64_t id)
{
	struct smtp_tx *tx = smtp_tx_get(st, id);
	assert_non_null(tx);
	return tx;
}

static uint64_t cnt(struct sess *s, enum smtp_counter c)
{
	return smtp_counters(s->st)[c];
}

static const char mail1[] =
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.com,  carol@example.com\r\n"
	"Cc: \"Doe, Jane\" <jane@example.com>,dave@example.com,\r\n"
	"Subject: Hello\r\n"
	" there\r\n"
	"Message-Id: <1@x>\r\n"
	"X-Mailer: test 1.0\r\n"
	"\r\n"
	"line one\r\n"
	"..leading dot\r\n"
	"..\r\n"
	"last line\r\n"
	".\r\n";

static const char body1[] =
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.com,  carol@example.com\r\n"
	"Cc: \"Doe, Jane\" <jane@example.com>,dave@example.com,\r\n"
	"Subject: Hello\r\n"
	" there\r\n"
	"Message-Id: <1@x>\r\n"
	"X-Mailer: test 1.0\r\n"
	"\r\n"
	"line one\r\n"
	".leading dot\r\n"
	".\r\n"
	"last line\r\n";

static const char log1[] =
	"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"client.example.org\","
	"\"mail_from\":\"<alice@example.org>\",\"rcpt_to\":[\"<bob@example.com>\","
	"\"<carol@example.com>\"]},\"email\":{\"status\":\"PARSE_DONE\","
	"\"from\":\"Alice <alice@example.org>\",\"to\":[\"bob@example.com\","
	"\"carol@example.com\"],\"cc\":[\"\\\"Doe, Jane\\\" <jane@example.com>\","
	"\"dave@example.com\"],\"subject\":\"Hello there\","
	"\"message_id\":\"<1@x>\",\"x_mailer\":\"test 1.0\"}}\n";

/* Greeting, multi-line EHLO reply, pipelined envelope, DATA, QUIT. */
static void session1(struct sess *s)
{
	feed(s, TC, "220 mx.example.com ESMTP\r\n");
	feed(s, TS, "EHLO client.example.org\r\n");
	feed(s, TC, "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
		    "250 8BITMIME\r\n");
	feed(s, TS, "MAIL FROM:<alice@example.org> SIZE=100\r\n"
		    "RCPT TO:<bob@example.com>\r\n"
		    "rcpt to: <carol@example.com>\r\nDATA\r\n");
	feed(s, TC, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
		    "354 End data with <CR><LF>.<CR><LF>\r\n");
	feed(s, TS, mail1);
	feed(s, TC, "250 2.0.0 Ok: queued as 1234\r\n");
	feed(s, TS, "QUIT\r\n");
	feed(s, TC, "221 2.0.0 Bye\r\n");
}

static void check_session1(struct sess *s)
{
	assert_int_equal(smtp_tx_count(s->st), 1);
	struct smtp_tx *tx = txn(s->st, 0);
	assert_true(smtp_tx_done(tx, false));
	assert_int_equal(tx->body.len, strlen(body1));
	assert_memory_equal(tx->body.p, body1, strlen(body1));
	assert_string_equal(log_of(s->st, 0), log1);
	for (int c = 0; c < SMTP_CNT_MAX; c++)
		assert_int_equal(smtp_counters(s->st)[c], 0);
	assert_int_equal(s->st->npend, 0);
	assert_int_equal(s->st->mode, SMTP_M_CMD);
}

static void test_full_session(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	session1(&s);
	check_session1(&s);
	const uint8_t *p;
	size_t n;
	struct smtp_tx *tx = txn(s.st, 0);
	assert_true(smtp_get_buffer(tx, APP_BUF_SMTP_HELO, 0, &p, &n));
	assert_int_equal(n, 18);
	assert_memory_equal(p, "client.example.org", 18);
	assert_true(smtp_get_buffer(tx, APP_BUF_SMTP_MAIL_FROM, 0, &p, &n));
	assert_memory_equal(p, "<alice@example.org>", n);
	assert_true(smtp_get_buffer(tx, APP_BUF_SMTP_RCPT_TO, 1, &p, &n));
	assert_int_equal(n, 19);
	assert_memory_equal(p, "<carol@example.com>", 19);
	assert_false(smtp_get_buffer(tx, APP_BUF_SMTP_RCPT_TO, 2, &p, &n));
	assert_false(smtp_get_buffer(tx, APP_BUF_DNS_QUERY, 0, &p, &n));
	smtp_tx_free_upto(s.st, 1);
	assert_null(smtp_tx_get(s.st, 0));
	sess_free(&s);
}

static void test_byte_per_call(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 1);
	session1(&s);
	check_session1(&s);
	sess_free(&s);
	/* Odd chunk sizes split CRLF and the final dot everywhere. */
	for (size_t chunk = 2; chunk < 12; chunk++) {
		sess_init(&s, &cfg, chunk);
		session1(&s);
		check_session1(&s);
		sess_free(&s);
	}
}

static void test_two_mails_and_rset(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TC, "220 mx ESMTP\r\n");
	feed(&s, TS, "HELO pc1\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\n");
	assert_int_equal(smtp_tx_count(s.st), 1);
	assert_true(smtp_tx_done(txn(s.st, 0), false));
	feed(&s, TS, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"
		     "Subject: one\r\n\r\nbody\r\n.\r\n");
	feed(&s, TS, "MAIL FROM:<e@x>\r\nRCPT TO:<f@y>\r\nDATA\r\n"
		     "Subject: two\r\n\r\nbody\r\n.\r\nQUIT\r\n");
	assert_int_equal(smtp_tx_count(s.st), 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_true(smtp_tx_done(txn(s.st, i), false));
	assert_string_equal(log_of(s.st, 0),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"pc1\","
		"\"mail_from\":\"<a@x>\",\"rcpt_to\":[\"<b@y>\"]}}\n");
	assert_string_equal(log_of(s.st, 1),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"pc1\","
		"\"mail_from\":\"<c@x>\",\"rcpt_to\":[\"<d@y>\"]},"
		"\"email\":{\"status\":\"PARSE_DONE\",\"subject\":\"one\"}}\n");
	assert_string_equal(log_of(s.st, 2),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"pc1\","
		"\"mail_from\":\"<e@x>\",\"rcpt_to\":[\"<f@y>\"]},"
		"\"email\":{\"status\":\"PARSE_DONE\",\"subject\":\"two\"}}\n");
	/* A mid-session EHLO abandons the envelope like RSET. */
	/* An EHLO without a name is refused by servers: nothing changes. */
	feed(&s, TS, "MAIL FROM:<g@x>\r\nEHLO\r\n");
	assert_int_equal(smtp_tx_count(s.st), 4);
	assert_false(smtp_tx_done(txn(s.st, 3), false));
	assert_int_equal(cnt(&s, SMTP_CNT_BAD_SYNTAX), 1);
	feed(&s, TS, "EHLO pc2\r\nMAIL FROM:<h@x>\r\n");
	assert_int_equal(smtp_tx_count(s.st), 5);
	assert_true(smtp_tx_done(txn(s.st, 3), false));
	assert_string_equal(log_of(s.st, 4),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"pc2\","
		"\"mail_from\":\"<h@x>\"}}\n");
	sess_free(&s);
}

static void test_helo_only(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TC, "220 mx ESMTP\r\n");
	feed(&s, TS, "HELO lonely.example\r\n");
	feed(&s, TC, "250 mx\r\n");
	feed(&s, TS, "QUIT\r\n");
	feed(&s, TC, "221 bye\r\n");
	assert_int_equal(smtp_tx_count(s.st), 1);
	assert_false(smtp_tx_done(txn(s.st, 0), false));
	assert_true(smtp_tx_done(txn(s.st, 0), true));
	assert_string_equal(log_of(s.st, 0),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"lonely.example\"}}\n");
	sess_free(&s);
}

static void test_bdat(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TS, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	/* Chunks are octet counted: CRLF.CRLF inside is just data. */
	feed(&s, TS, "BDAT 13\r\nab\r\n.\r\nQUIT\r\nBDAT 3 LAST\r\nxyzMAIL FROM:<n@x>\r\n");
	assert_int_equal(smtp_tx_count(s.st), 2);
	struct smtp_tx *tx = txn(s.st, 0);
	assert_true(smtp_tx_done(tx, false));
	assert_int_equal(tx->body.len, 16);
	assert_memory_equal(tx->body.p, "ab\r\n.\r\nQUIT\r\nxyz", 16);
	assert_string_equal(log_of(s.st, 0),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"c\","
		"\"mail_from\":\"<a@x>\",\"rcpt_to\":[\"<b@y>\"]}}\n");
	assert_string_equal(log_of(s.st, 1),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"c\","
		"\"mail_from\":\"<n@x>\"}}\n");
	/* Bad BDAT syntax is counted, not fatal. */
	feed(&s, TS, "BDAT 5 X\r\nBDAT\r\nBDAT 0 LAST\r\n");
	assert_int_equal(cnt(&s, SMTP_CNT_BAD_SYNTAX), 2);
	assert_true(smtp_tx_done(txn(s.st, 1), false));
	assert_int_equal(s.st->mode, SMTP_M_CMD);
	sess_free(&s);
}

static void test_starttls(void **unused)
{
	(void)unused;
	static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'M', 'A',
				      'I', 'L', '\n', 0x00, 0xff, '\r', '\n'};
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TC, "220 mx ESMTP\r\n");
	feed(&s, TS, "EHLO desktop.unx.ca\r\n");
	feed(&s, TC, "250-mx\r\n250 STARTTLS\r\n");
	feed(&s, TS, "STARTTLS\r\n");
	feed(&s, TC, "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(s.st->mode, SMTP_M_STOP);
	assert_true(smtp_tx_done(txn(s.st, 0), false));
	feedn(&s, TS, tls, sizeof(tls), 0);
	feed(&s, TS, "MAIL FROM:<hidden@x>\r\nRCPT TO:<y@z>\r\n");
	feedn(&s, TC, tls, sizeof(tls), 0);
	assert_int_equal(smtp_tx_count(s.st), 1);
	assert_string_equal(log_of(s.st, 0),
		"{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"desktop.unx.ca\"}}\n");
	assert_int_equal(cnt(&s, SMTP_CNT_UNKNOWN_COMMAND), 0);
	assert_int_equal(cnt(&s, SMTP_CNT_BAD_REPLY), 0);
	sess_free(&s);

	/* The client's TLS record is read before the server's 220. */
	sess_init(&s, &cfg, 0);
	feed(&s, TS, "EHLO a\r\nSTARTTLS\r\n");
	feedn(&s, TS, tls, sizeof(tls), 0);
	assert_int_equal(s.st->mode, SMTP_M_STOP);
	feed(&s, TS, "MAIL FROM:<hidden@x>\r\n");
	assert_int_equal(smtp_tx_count(s.st), 1);
	assert_null(strstr(log_of(s.st, 0), "hidden"));
	sess_free(&s);
}

static void test_data_rejected(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TS, "HELO a\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
	feed(&s, TC, "220 mx\r\n250 hi\r\n250 ok\r\n554 no valid recipients\r\n");
	assert_int_equal(s.st->mode, SMTP_M_CMD);
	feed(&s, TS, "RCPT TO:<b@y>\r\n");
	assert_int_equal(txn(s.st, 0)->nrcpt, 1);
	assert_null(strstr(log_of(s.st, 0), "email"));
	sess_free(&s);
}

static void test_line_too_long(void **unused)
{
	(void)unused;
	struct app_config small = cfg;
	small.max_line = 64;
	struct sess s;
	sess_init(&s, &small, 10);
	char line[300];
	memset(line, 'A', sizeof(line));
	/* A command line with no end, fed 10 bytes at a time. */
	feedn(&s, TS, line, sizeof(line), 0);
	assert_int_equal(cnt(&s, SMTP_CNT_LINE_TOO_LONG), 1);
	assert_true(s.pend[TS].len <= small.max_line);
	feed(&s, TS, "AAAA\r\nHELO after.long\r\n");
	assert_int_equal(cnt(&s, SMTP_CNT_LINE_TOO_LONG), 1);
	assert_int_equal(cnt(&s, SMTP_CNT_UNKNOWN_COMMAND), 0);
	assert_int_equal(smtp_tx_count(s.st), 1);
	assert_memory_equal(txn(s.st, 0)->helo.p, "after.long", 10);
	/* A long reply line is skipped too. */
	feedn(&s, TC, line, 100, 0);
	feed(&s, TC, "\r\n250 ok\r\n");
	assert_int_equal(cnt(&s, SMTP_CNT_LINE_TOO_LONG), 2);
	assert_int_equal(cnt(&s, SMTP_CNT_BAD_REPLY), 0);
	/* In DATA a long line is kept whole in the body. */
	feed(&s, TS, "MAIL FROM:<a@b>\r\nDATA\r\n");
	feedn(&s, TS, line, 200, 0);
	feed(&s, TS, "\r\n.\r\n");
	assert_int_equal(cnt(&s, SMTP_CNT_LINE_TOO_LONG), 3);
	struct smtp_tx *tx = txn(s.st, 0);
	assert_true(tx->done);
	assert_int_equal(tx->body.len, 202);
	assert_memory_equal(tx->body.p, line, 200);
	sess_free(&s);
}

static void test_body_limit(void **unused)
{
	(void)unused;
	struct app_config small = cfg;
	small.body_limit = 16;
	struct sess s;
	sess_init(&s, &small, 0);
	feed(&s, TS, "HELO a\r\nMAIL FROM:<a@x>\r\nDATA\r\n"
		     "Subject: a long enough subject\r\n\r\n0123456789\r\n.\r\n");
	struct smtp_tx *tx = txn(s.st, 0);
	assert_int_equal(tx->body.len, 16);
	assert_memory_equal(tx->body.p, "Subject: a long ", 16);
	assert_int_equal(cnt(&s, SMTP_CNT_BODY_TRUNCATED), 1);
	assert_true(tx->done);
	assert_non_null(strstr(log_of(s.st, 0), "\"subject\":\"a long enough subject\""));
	sess_free(&s);
}

static void test_auth(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TC, "220 mx\r\n");
	feed(&s, TS, "EHLO a\r\nAUTH LOGIN\r\n");
	feed(&s, TC, "250 mx\r\n334 VXNlcm5hbWU6\r\n");
	feed(&s, TS, "dXNlcg==\r\n");
	feed(&s, TC, "334 UGFzc3dvcmQ6\r\n");
	feed(&s, TS, "cGFzcw==\r\n");
	feed(&s, TC, "235 ok\r\n");
	feed(&s, TS, "MAIL FROM:<a@x>\r\n");
	assert_int_equal(cnt(&s, SMTP_CNT_UNKNOWN_COMMAND), 0);
	assert_false(s.st->auth);
	assert_memory_equal(txn(s.st, 0)->mail_from.p, "<a@x>", 5);
	sess_free(&s);
}

static void test_garbage(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	uint8_t g[4096];
	uint32_t x = 99;
	for (size_t i = 0; i < sizeof(g); i++) {
		x = x * 1103515245u + 12345u;
		g[i] = (uint8_t)(x >> 16);
	}
	for (int round = 0; round < 20; round++) {
		feedn(&s, round & 1, g + round * 100, 1000, 0);
		uint64_t total = smtp_tx_count(s.st);
		for (uint64_t id = 0; id < total; id++)
			if (smtp_tx_get(s.st, id))
				(void)log_of(s.st, id);
	}
	feedn(&s, TS, "", 0, APP_F_EOF);
	feedn(&s, TC, "", 0, APP_F_EOF);
	assert_true(cnt(&s, SMTP_CNT_UNKNOWN_COMMAND) > 0);
	assert_true(cnt(&s, SMTP_CNT_BAD_REPLY) > 0);
	/* A gap resynchronises at the next line. */
	struct app_result r = smtp_parse(s.st, TS, (const uint8_t *)"tail\r\nHELO z\r\n",
					 14, APP_F_GAP, 1);
	assert_int_equal(r.status, APP_OK);
	assert_int_equal(cnt(&s, SMTP_CNT_GAP), 1);
	assert_memory_equal(s.st->helo.p, "z", 1);
	sess_free(&s);
}

static void test_eof_in_data(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, &cfg, 0);
	feed(&s, TS, "HELO a\r\nMAIL FROM:<a@x>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a li");
	feedn(&s, TS, "", 0, APP_F_EOF);
	assert_int_equal(cnt(&s, SMTP_CNT_DATA_INCOMPLETE), 1);
	struct smtp_tx *tx = txn(s.st, 0);
	assert_false(smtp_tx_done(tx, false));
	assert_true(smtp_tx_done(tx, true));
	assert_non_null(strstr(log_of(s.st, 0),
		"\"email\":{\"status\":\"BODY_STARTED\",\"subject\":\"cut\"}"));
	assert_int_equal(tx->body.len, strlen("Subject: cut\r\n\r\nhalf a li"));
	sess_free(&s);
}

static void test_probe(void **unused)
{
	(void)unused;
	const struct {
		const char *s;
		int dir, want;
	} cases[] = {
		{"220 mx.example.com ESMTP\r\n", TC, 1},
		{"220-mx.example.com\r\n", TC, -1},
		{"220-mx.example.com\r\n220 Microsoft ESMTP MAIL Service\r\n", TC, 1},
		{"220-mx.example.com\r\n220 ready\r\n", TC, 0},
		{"220 mx.example.com ready", TC, -1},
		{"220 ProFTPD Server (Debian) [::ffff:10.0.0.1]\r\n", TC, 0},
		{"220 (vsFTPd 3.0.3)\r\n", TC, 0},
		{"22", TC, -1},
		{"220", TC, -1},
		{"230 ok\r\n", TC, 0},
		{"HTTP/1.1 200 OK\r\n", TC, 0},
		{"EHLO client\r\n", TS, 1},
		{"helo client\r\n", TS, 1},
		{"EHL", TS, -1},
		{"EHLO", TS, -1},
		{"EHLOX", TS, 0},
		{"GET / HTTP/1.1\r\n", TS, 0},
		{"MAIL FROM:<a@b>\r\n", TS, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(smtp_probe((const uint8_t *)cases[i].s,
					    strlen(cases[i].s), cases[i].dir),
				 cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_session),
		cmocka_unit_test(test_byte_per_call),
		cmocka_unit_test(test_two_mails_and_rset),
		cmocka_unit_test(test_helo_only),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_data_rejected),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_eof_in_data),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
