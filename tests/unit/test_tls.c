/*
 * Unit tests for the TLS parser (src/app/tls.c), included so the static
 * state can be inspected.  Real handshakes come from the committed
 * captures in tests/data/tls (openssl s_server/s_client on loopback, see
 * make.sh); their expected values are independent: JA3/JA3S from tshark
 * (tests/data/tls/ja3.txt), certificate fields from `openssl x509` on
 * cert.pem (cert.txt).  Crafted hellos cover GREASE, HelloRetryRequest,
 * SSLv2 framing and lying lengths; JA3 hashes of crafted strings were
 * computed with python3 hashlib.md5.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strptime */
#endif
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/tls.c"
#include "test_pcap_stream.h"

#define TS APP_DIR_TOSERVER
#define TC APP_DIR_TOCLIENT

static struct app_config cfg = {
	.max_line = 16384, .max_headers = 256, .body_limit = 1 << 20,
	.decompress_limit = 4 << 20, .max_tx = 1024,
};

/* ---- feeding, as the dispatcher does (per-side pending tails) ---------- */

struct sess {
	struct tls_state *st;
	struct buf pend[2];
	size_t chunk;		/* bytes per parse() call; 0 = whole step */
	bool error;
};

static void sess_init(struct sess *s, size_t chunk)
{
	s->st = tls_state_new(&cfg);
	assert_non_null(s->st);
	buf_init(&s->pend[0], 0);
	buf_init(&s->pend[1], 0);
	s->chunk = chunk;
	s->error = false;
}

static void sess_free(struct sess *s)
{
	tls_state_free(s->st);
	buf_release(&s->pend[0]);
	buf_release(&s->pend[1]);
}

/* Feeds n bytes of one side; returns the last status. */
static enum app_status feedn(struct sess *s, int dir, const uint8_t *d,
			     size_t n, unsigned flags)
{
	size_t step = s->chunk ? s->chunk : (n ? n : 1);
	size_t off = 0;
	enum app_status last = APP_OK;
	do {
		size_t k = n - off < step ? n - off : step;
		if (k)
			assert_int_equal(buf_append(&s->pend[dir], d + off, k), 0);
		off += k;
		unsigned fl = off >= n ? flags : (flags & ~APP_F_EOF);
		struct buf *p = &s->pend[dir];
		struct app_result r = tls_parse(s->st, dir,
						p->p ? p->p : (const uint8_t *)"",
						p->len, fl, 1000 + off);
		last = r.status;
		if (r.status == APP_ERROR) {
			s->error = true;
			buf_reset(p);
			return last;
		}
		assert_true(r.consumed <= p->len);
		if (r.status == APP_NEED_MORE)
			assert_true(r.needed == 0 || r.needed > p->len - r.consumed);
		buf_consume(p, r.consumed);
	} while (off < n);
	return last;
}

static void feed_pcap(struct sess *s, const char *name, uint16_t port)
{
	char path[512];
	struct pcap_segs segs;
	snprintf(path, sizeof(path), "%s/tests/data/tls/%s", SRCDIR, name);
	assert_int_equal(pcap_segs_load(&segs, path, port), 0);
	assert_true(segs.nseg >= 4);
	for (size_t i = 0; i < segs.nseg; i++)
		feedn(s, segs.seg[i].dir, segs.seg[i].p, segs.seg[i].n, 0);
	pcap_segs_free(&segs);
	assert_false(s->error);
}

/* ---- logging -------------------------------------------------------------- */

static const char *log_of(const struct tls_tx *tx)
{
	static char text[16384];
	struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
	buf_init(&t.out, 0);
	tls_log_tx(tx, &t.lg);
	snprintf(text, sizeof(text), "%s", buf_str(&t.out));
	buf_release(&t.out);
	return text;
}

static void assert_buf(const struct tls_tx *tx, enum app_buffer b,
		       const char *want)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	if (!want) {
		assert_false(tls_get_buffer(tx, b, 0, &p, &n));
		return;
	}
	assert_true(tls_get_buffer(tx, b, 0, &p, &n));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
	assert_false(tls_get_buffer(tx, b, 1, &p, &n));
}

static void assert_no_anomaly(const struct tls_state *st)
{
	for (int i = 0; i < TLS_CNT_MAX; i++)
		if (st->counters[i]) {
			print_error("counter %s = %llu\n", tls_counter_names[i],
				    (unsigned long long)st->counters[i]);
			fail();
		}
}

/* ---- expected values (tshark and openssl x509, see the file comment) ---- */

#define JA3_TLS12_STR                                                         \
	"771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-"  \
	"107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-" \
	"47-255,0-11-10-35-16-22-23-13,29-23-30-25-24,0-1-2"
#define JA3_TLS12_MD5 "22558766122974704364c9c75c5cce0a"
#define JA3S_TLS12_STR "771,49196,65281-11-35-16-23"
#define JA3S_TLS12_MD5 "e195432758194ce2d482396b82e0d48e"
#define JA3_TLS13_STR                                                         \
	"771,4866-4867-4865-255,0-11-10-35-22-23-13-43-45-51,29-23-30-25-24-" \
	"256-257-258-259-260,0-1-2"
#define JA3_TLS13_MD5 "f146948b4a599d4d7ddf071b74696983"
#define JA3S_TLS13_STR "771,4866,43-51"
#define JA3S_TLS13_MD5 "15af977ce25de452b96affa2addb1036"
#define CERT_SUBJECT "C=US, O=Mamori Test, CN=www.example.test"
#define CERT_SERIAL "4D:41:4D:4F:52:49"	/* make.sh: -set_serial 0x4d414d4f5249 */

/*
 * `openssl x509 -subject -issuer -serial -startdate -enddate -fingerprint
 * -sha1` of a fixture certificate (cert.txt, client.txt from make.sh), in
 * Suricata's formats: serial as DER content bytes (a leading 00 when the
 * high bit is set), fingerprint lowercase, dates "YYYY-MM-DDTHH:MM:SS".
 */
struct x509_txt {
	char subject[256], issuer[256], serial[200], sha1[100];
	char not_before[32], not_after[32];
};

static void x509_date(char *dst, size_t cap, const char *v)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(v, "%b %d %H:%M:%S %Y", &tm));
	strftime(dst, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void load_x509_txt(const char *name, struct x509_txt *x)
{
	char path[512], line[512];
	snprintf(path, sizeof(path), "%s/tests/data/tls/%s", SRCDIR, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	memset(x, 0, sizeof(*x));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *v = strchr(line, '=');
		assert_non_null(v);
		*v++ = '\0';
		if (!strcmp(line, "subject")) {
			snprintf(x->subject, sizeof(x->subject), "%s", v);
		} else if (!strcmp(line, "issuer")) {
			snprintf(x->issuer, sizeof(x->issuer), "%s", v);
		} else if (!strcmp(line, "serial")) {
			char hex[600];
			bool pad = strlen(v) % 2 || strchr("89ABCDEF", v[0]);
			snprintf(hex, sizeof(hex), "%s%s",
				 pad ? (strlen(v) % 2 ? "0" : "00") : "", v);
			size_t o = 0;
			for (size_t i = 0; hex[i] && hex[i + 1]; i += 2)
				o += (size_t)snprintf(x->serial + o, sizeof(x->serial) - o,
						      "%s%c%c", i ? ":" : "", hex[i], hex[i + 1]);
		} else if (!strcmp(line, "notBefore")) {
			x509_date(x->not_before, sizeof(x->not_before), v);
		} else if (!strcmp(line, "notAfter")) {
			x509_date(x->not_after, sizeof(x->not_after), v);
		} else if (!strcmp(line, "sha1 Fingerprint")) {
			for (size_t i = 0; v[i] && i + 1 < sizeof(x->sha1); i++)
				x->sha1[i] = (char)tolower((unsigned char)v[i]);
		}
	}
	fclose(f);
	assert_true(x->subject[0] && x->serial[0] && x->sha1[0] && x->not_after[0]);
}

static void check_tls12(struct tls_state *st)
{
	struct tls_tx *tx = tls_tx_get(st, 0);
	assert_non_null(tx);
	assert_true(tls_tx_done(tx, false));
	assert_int_equal(tx->version, 0x0303);
	assert_int_equal(tx->client_version, 0x0303);
	assert_int_equal(tx->cipher, 49196);
	assert_string_equal(tx->ja3_hash, JA3_TLS12_MD5);
	assert_string_equal(tx->ja3s_hash, JA3S_TLS12_MD5);
	assert_string_equal(buf_str(&tx->ja3s), JA3S_TLS12_STR);
	assert_buf(tx, APP_BUF_TLS_SNI, "www.example.test");
	assert_buf(tx, APP_BUF_JA3_STRING, JA3_TLS12_STR);
	assert_buf(tx, APP_BUF_JA3_HASH, JA3_TLS12_MD5);
	struct x509_txt x;
	load_x509_txt("cert.txt", &x);
	assert_string_equal(x.subject, CERT_SUBJECT);
	assert_string_equal(x.serial, CERT_SERIAL);
	assert_buf(tx, APP_BUF_TLS_CERT_SUBJECT, x.subject);
	assert_buf(tx, APP_BUF_TLS_CERT_ISSUER, x.issuer);
	assert_buf(tx, APP_BUF_TLS_CERT_SERIAL, x.serial);
	assert_buf(tx, APP_BUF_TLS_CERT_FINGERPRINT, x.sha1);
	assert_string_equal(tx->cert.not_before, x.not_before);
	assert_string_equal(tx->cert.not_after, x.not_after);
	assert_int_equal(tx->nalpn[0], 1);
	assert_int_equal(tx->nalpn[1], 1);
	assert_string_equal(buf_str(&tx->alpn[0][0]), "http/1.1");
	assert_true(tx->nsig_algs > 0);
	assert_no_anomaly(st);
	char want[4096];
	snprintf(want, sizeof(want),
		 "{\"event_type\":\"tls\",\"tls\":{\"subject\":\"%s\",\"issuerdn\":"
		 "\"%s\",\"serial\":\"%s\",\"fingerprint\":\"%s\",\"sni\":"
		 "\"www.example.test\",\"version\":\"TLS 1.2\",\"notbefore\":\"%s\","
		 "\"notafter\":\"%s\",\"ja3\":{\"hash\":\"" JA3_TLS12_MD5
		 "\",\"string\":\"" JA3_TLS12_STR "\"},\"ja3s\":{\"hash\":\""
		 JA3S_TLS12_MD5 "\",\"string\":\"" JA3S_TLS12_STR "\"},"
		 "\"client_alpns\":[\"http/1.1\"],\"server_alpns\":[\"http/1.1\"]}}",
		 x.subject, x.issuer, x.serial, x.sha1, x.not_before, x.not_after);
	assert_string_equal(log_of(tx), want);
}

/* The real TLS 1.2 handshake, in capture segments, 1 byte and 7 bytes at
 * a time (records split over many calls). */
static void test_tls12_pcap(void **unused)
{
	(void)unused;
	static const size_t chunks[] = {0, 1, 7, 100};
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct sess s;
		sess_init(&s, chunks[i]);
		feed_pcap(&s, "tls12.pcap", 44312);
		check_tls12(s.st);
		/* After CCS both ways only encrypted records follow. */
		assert_true(s.st->dir[TS].encrypted && s.st->dir[TC].encrypted);
		assert_true(s.st->dir[TC].enc_records >= 1);
		sess_free(&s);
	}
}

/* Each direction's whole capture in one call: several records per call. */
static void test_tls12_whole_sides(void **unused)
{
	(void)unused;
	struct pcap_segs segs;
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/tls/tls12.pcap", SRCDIR);
	assert_int_equal(pcap_segs_load(&segs, path, 44312), 0);
	uint8_t *side[2];
	size_t n[2];
	n[0] = pcap_segs_dir(&segs, TS, &side[0]);
	n[1] = pcap_segs_dir(&segs, TC, &side[1]);
	pcap_segs_free(&segs);
	struct sess s;
	sess_init(&s, 0);
	/* Client first: its ClientHello, key exchange, CCS and Finished
	 * precede the ServerHello in this call order. */
	assert_int_equal(feedn(&s, TS, side[0], n[0], 0), APP_OK);
	assert_int_equal(feedn(&s, TC, side[1], n[1], 0), APP_OK);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_non_null(tx);
	assert_string_equal(tx->ja3_hash, JA3_TLS12_MD5);
	struct x509_txt x;
	load_x509_txt("cert.txt", &x);
	assert_string_equal(tx->cert.fingerprint, x.sha1);
	assert_true(s.st->dir[TS].records >= 3);
	assert_true(s.st->dir[TC].records >= 3);
	sess_free(&s);
	free(side[0]);
	free(side[1]);
}

static void test_tls13_pcap(void **unused)
{
	(void)unused;
	static const size_t chunks[] = {0, 1, 13};
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct sess s;
		sess_init(&s, chunks[i]);
		feed_pcap(&s, "tls13.pcap", 8443);
		struct tls_tx *tx = tls_tx_get(s.st, 0);
		assert_non_null(tx);
		assert_true(tls_tx_done(tx, false));
		assert_int_equal(tx->client_version, 0x0303);
		assert_int_equal(tx->client_max_version, 0x0304);
		assert_int_equal(tx->server_legacy, 0x0303);
		assert_int_equal(tx->version, 0x0304);	/* supported_versions */
		assert_false(tx->cert.seen);		/* encrypted in 1.3 */
		assert_buf(tx, APP_BUF_TLS_SNI, "tls13.example.test");
		assert_buf(tx, APP_BUF_JA3_STRING, JA3_TLS13_STR);
		assert_buf(tx, APP_BUF_JA3_HASH, JA3_TLS13_MD5);
		assert_buf(tx, APP_BUF_TLS_CERT_SUBJECT, NULL);
		assert_string_equal(buf_str(&tx->ja3s), JA3S_TLS13_STR);
		assert_string_equal(tx->ja3s_hash, JA3S_TLS13_MD5);
		assert_true(s.st->dir[TC].enc_records >= 2);
		assert_no_anomaly(s.st);
		/* The session-id echo of 1.3 is not a resumption. */
		assert_string_equal(
			log_of(tx),
			"{\"event_type\":\"tls\",\"tls\":{\"sni\":\"tls13.example.test\","
			"\"version\":\"TLS 1.3\",\"ja3\":{\"hash\":\"" JA3_TLS13_MD5
			"\",\"string\":\"" JA3_TLS13_STR "\"},\"ja3s\":{\"hash\":\""
			JA3S_TLS13_MD5 "\",\"string\":\"" JA3S_TLS13_STR "\"}}}");
		sess_free(&s);
	}
}

/* A ClientHello naming a published Flame C&C domain (make.sh). */
static void test_flame_sni(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, 3);
	feed_pcap(&s, "flame.pcap", 443);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_non_null(tx);
	assert_buf(tx, APP_BUF_TLS_SNI, "traffic-spot.biz");
	assert_string_equal(tx->ja3_hash, "871a754af286dfb70c1b53c6887c62e0");
	assert_string_equal(tx->ja3s_hash, "abade5a4a7f42baf54766e5d108283b6");
	assert_buf(tx, APP_BUF_TLS_CERT_SUBJECT, CERT_SUBJECT);
	sess_free(&s);
}

/* ---- crafted messages ----------------------------------------------------- */

static void put8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	assert_int_equal(buf_append(b, &c, 1), 0);
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct buf *b, size_t v)
{
	put8(b, (unsigned)(v >> 16));
	put8(b, (unsigned)(v >> 8));
	put8(b, (unsigned)v);
}

static void put(struct buf *b, const void *p, size_t n)
{
	assert_int_equal(buf_append(b, p, n), 0);
}

/* A handshake message of type t around body. */
static void hs_msg(struct buf *out, uint8_t t, const struct buf *body)
{
	put8(out, t);
	put24(out, body->len);
	put(out, body->p, body->len);
}

/* Frames payload into records of at most max bytes each. */
static void records(struct buf *out, uint8_t type, const struct buf *payload,
		    size_t max)
{
	size_t off = 0;
	do {
		size_t k = payload->len - off < max ? payload->len - off : max;
		put8(out, type);
		put16(out, 0x0303);
		put16(out, (unsigned)k);
		put(out, payload->p + off, k);
		off += k;
	} while (off < payload->len);
}

static void ext(struct buf *b, unsigned type, const struct buf *data)
{
	put16(b, type);
	put16(b, (unsigned)data->len);
	put(b, data->p, data->len);
}

/* The crafted ClientHello body: GREASE in ciphers, extensions, groups and
 * supported_versions.  JA3 "771,4865-4866-49199,0-10-11-13-16-43,29-23,0". */
#define CRAFT_JA3 "771,4865-4866-49199,0-10-11-13-16-43,29-23,0"
#define CRAFT_JA3_MD5 "c9e264cb3675678ee364e81f3b6da7ad"

static void craft_client_hello(struct buf *body)
{
	struct buf e, x;
	buf_init(&e, 0);
	buf_init(&x, 0);
	put16(body, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(body, 0x11);
	put8(body, 0);				/* session id */
	put16(body, 8);
	put16(body, 0x0a0a);
	put16(body, 0x1301);
	put16(body, 0x1302);
	put16(body, 0xc02f);
	put8(body, 1);
	put8(body, 0);				/* null compression */

	ext(&e, 0x0a0a, &x);			/* GREASE, empty */
	const char *host = "c2.example.test";
	put16(&x, (unsigned)strlen(host) + 3);
	put8(&x, 0);
	put16(&x, (unsigned)strlen(host));
	put(&x, host, strlen(host));
	ext(&e, TLS_EXT_SNI, &x);
	buf_reset(&x);
	put16(&x, 6);
	put16(&x, 0x2a2a);
	put16(&x, 29);
	put16(&x, 23);
	ext(&e, TLS_EXT_GROUPS, &x);
	buf_reset(&x);
	put8(&x, 1);
	put8(&x, 0);
	ext(&e, TLS_EXT_POINT_FORMATS, &x);
	buf_reset(&x);
	put16(&x, 4);
	put16(&x, 0x0403);
	put16(&x, 0x0804);
	ext(&e, TLS_EXT_SIG_ALGS, &x);
	buf_reset(&x);
	put16(&x, 12);
	put8(&x, 2);
	put(&x, "h2", 2);
	put8(&x, 8);
	put(&x, "http/1.1", 8);
	ext(&e, TLS_EXT_ALPN, &x);
	buf_reset(&x);
	put8(&x, 6);
	put16(&x, 0x3a3a);
	put16(&x, 0x0304);
	put16(&x, 0x0303);
	ext(&e, TLS_EXT_SUPPORTED_VERSIONS, &x);
	buf_reset(&x);
	put8(&x, 0);
	ext(&e, 0x1a1a, &x);			/* GREASE, one byte */
	put16(body, (unsigned)e.len);
	put(body, e.p, e.len);
	buf_release(&e);
	buf_release(&x);
}

/* A TLS 1.3 ServerHello body (session id echo, supported_versions). */
static void craft_server_hello(struct buf *body, const uint8_t *random)
{
	put16(body, 0x0303);
	if (random)
		put(body, random, 32);
	else
		for (int i = 0; i < 32; i++)
			put8(body, 0x22);
	put8(body, 0);
	put16(body, 0x1301);
	put8(body, 0);
	put16(body, 6);
	put16(body, TLS_EXT_SUPPORTED_VERSIONS);
	put16(body, 2);
	put16(body, 0x0304);
}

static void test_grease_ja3(void **unused)
{
	(void)unused;
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feedn(&s, TS, wire.p, wire.len, 0), APP_OK);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_non_null(tx);
	assert_string_equal(buf_str(&tx->ja3), CRAFT_JA3);
	assert_string_equal(tx->ja3_hash, CRAFT_JA3_MD5);
	assert_buf(tx, APP_BUF_TLS_SNI, "c2.example.test");
	assert_int_equal(tx->client_max_version, 0x0304);
	assert_int_equal(tx->nalpn[0], 2);
	assert_string_equal(buf_str(&tx->alpn[0][1]), "http/1.1");
	assert_int_equal(tx->nsig_algs, 2);
	assert_false(tls_tx_done(tx, false));
	assert_true(tls_tx_done(tx, true));
	assert_no_anomaly(s.st);
	/* Only a ClientHello: the version is not known yet. */
	assert_non_null(strstr(log_of(tx), "\"version\":\"UNDETERMINED\""));
	sess_free(&s);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* One ClientHello spread over 10-byte records, all in one call, then the
 * same bytes 1 at a time: handshake reassembly across records. */
static void test_hello_across_records(void **unused)
{
	(void)unused;
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 10);
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct sess s;
		sess_init(&s, chunk);
		assert_int_equal(feedn(&s, TS, wire.p, wire.len, 0), APP_OK);
		struct tls_tx *tx = tls_tx_get(s.st, 0);
		assert_non_null(tx);
		assert_string_equal(tx->ja3_hash, CRAFT_JA3_MD5);
		assert_int_equal(s.st->dir[TS].records, (msg.len + 9) / 10);
		assert_int_equal(s.st->dir[TS].hs.len, 0);
		assert_no_anomaly(s.st);
		sess_free(&s);
	}
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* HelloRetryRequest (RFC 8446 4.1.3) then CCS (compatibility) then the
 * real ServerHello: the second one counts, the CCS does not encrypt. */
static void test_hello_retry(void **unused)
{
	(void)unused;
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	struct sess s;
	sess_init(&s, 0);
	feedn(&s, TS, wire.p, wire.len, 0);

	buf_reset(&body);
	buf_reset(&msg);
	buf_reset(&wire);
	craft_server_hello(&body, tls_hrr_random);
	hs_msg(&msg, TLS_HS_SERVER_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	put(&wire, "\x14\x03\x03\x00\x01\x01", 6);	/* CCS */
	feedn(&s, TC, wire.p, wire.len, 0);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_false(tx->server_hello);
	assert_false(s.st->dir[TC].encrypted);

	buf_reset(&body);
	buf_reset(&msg);
	buf_reset(&wire);
	craft_server_hello(&body, NULL);
	hs_msg(&msg, TLS_HS_SERVER_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	put(&wire, "\x17\x03\x03\x00\x02\xaa\xbb", 7);	/* encrypted */
	feedn(&s, TC, wire.p, wire.len, 0);
	assert_true(tx->server_hello);
	assert_int_equal(tx->version, 0x0304);
	assert_string_equal(buf_str(&tx->ja3s), "771,4865,43");
	assert_string_equal(tx->ja3s_hash, "cce84e7a8b742462e40afb585a3e3ccc");
	assert_true(tls_tx_done(tx, false));	/* application data seen */
	assert_true(s.st->dir[TC].encrypted);
	assert_int_equal(s.st->dir[TC].enc_records, 1);
	sess_free(&s);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* A TLS 1.0 hello without extensions: trailing empty JA3 fields. */
static void test_no_extensions(void **unused)
{
	(void)unused;
	static const uint8_t rec[] = {
		0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x01,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0x00, 0x00, 0x04, 0x00, 0x2f, 0x00, 0x35, 0x01, 0x00,
	};
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feedn(&s, TS, rec, sizeof(rec), 0), APP_OK);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_string_equal(buf_str(&tx->ja3), "769,47-53,,,");
	assert_string_equal(tx->ja3_hash, "dac4920d4335e769327dbf4e1b759e15");
	assert_int_equal(tx->client_random[31], 32);
	assert_no_anomaly(s.st);
	sess_free(&s);
}

static void test_version_names(void **unused)
{
	(void)unused;
	static const struct {
		uint16_t v;
		const char *s;
	} want[] = {
		{0, "UNDETERMINED"},     {0x0002, "SSLv2"},
		{0x0300, "SSLv3"},       {0x0301, "TLSv1"},
		{0x0302, "TLS 1.1"},     {0x0303, "TLS 1.2"},
		{0x0304, "TLS 1.3"},     {0x7f12, "TLS 1.3 draft-18"},
		{0x7f0f, "TLS 1.3 draft-<16"}, {0xfb17, "TLS 1.3 draft-23-fb"},
		{0x1234, "0x1234"},
	};
	char b[32];
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tls_version_str(want[i].v, b, sizeof(b));
		assert_string_equal(b, want[i].s);
	}
	assert_int_equal(tls_hello_version(0x0304), TLS_V_13_PRE_DRAFT16);
	assert_int_equal(tls_hello_version(0x7f0e), TLS_V_13_PRE_DRAFT16);
	assert_int_equal(tls_hello_version(0x7f12), 0x7f12);
	assert_int_equal(tls_hello_version(0x0303), 0x0303);
}

static void test_probe(void **unused)
{
	(void)unused;
	static const uint8_t ch[] = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01};
	static const uint8_t sh[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02};
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01};
	assert_int_equal(tls_probe(ch, sizeof(ch), TS), 1);
	assert_int_equal(tls_probe(ch, sizeof(ch), TC), 0);
	assert_int_equal(tls_probe(sh, sizeof(sh), TC), 1);
	assert_int_equal(tls_probe(sh, sizeof(sh), TS), 0);
	assert_int_equal(tls_probe(v2, sizeof(v2), TS), 1);
	assert_int_equal(tls_probe(ch, 0, TS), -1);
	assert_int_equal(tls_probe(ch, 2, TS), -1);
	assert_int_equal(tls_probe(ch, 5, TS), -1);
	assert_int_equal(tls_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, TS), 0);
	assert_int_equal(tls_probe((const uint8_t *)"\x16\x03\x09", 3, TS), 0);
	assert_int_equal(tls_probe((const uint8_t *)"SSH-2.0-x", 9, TS), 0);
}

/* ---- bad input ----------------------------------------------------------- */

static void test_bad_record_header(void **unused)
{
	(void)unused;
	static const uint8_t bad_type[] = {0x30, 0x03, 0x03, 0x00, 0x01, 0x00};
	static const uint8_t too_long[] = {0x16, 0x03, 0x03, 0x48, 0x01, 0x00};
	static const uint8_t bad_major[] = {0x16, 0x04, 0x03, 0x00, 0x01, 0x00};
	const uint8_t *cases[] = {bad_type, too_long, bad_major};
	for (size_t i = 0; i < 3; i++) {
		struct sess s;
		sess_init(&s, 0);
		assert_int_equal(feedn(&s, TS, cases[i], 6, 0), APP_ERROR);
		assert_int_equal(s.st->counters[TLS_CNT_BAD_RECORD], 1);
		sess_free(&s);
	}
}

/* Lying lengths inside the hello and the certificate message. */
static void test_lying_lengths(void **unused)
{
	(void)unused;
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	/* Handshake length beyond the reassembly cap. */
	static const uint8_t huge[] = {0x16, 0x03, 0x03, 0x00, 0x04,
				       0x01, 0xff, 0xff, 0xff};
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feedn(&s, TS, huge, sizeof(huge), 0), APP_OK);
	assert_int_equal(s.st->counters[TLS_CNT_HS_TOO_LONG], 1);
	assert_true(s.st->dir[TS].hs_broken);
	sess_free(&s);

	/* Extensions block claiming more than is there. */
	craft_client_hello(&body);
	body.p[2 + 32 + 1 + 2 + 8 + 2] = 0xff;	/* extensions length high byte */
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	sess_init(&s, 0);
	assert_int_equal(feedn(&s, TS, wire.p, wire.len, 0), APP_OK);
	assert_int_equal(s.st->counters[TLS_CNT_BAD_CLIENT_HELLO], 1);
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_string_equal(buf_str(&tx->ja3), "771,4865-4866-49199,,,");
	sess_free(&s);

	/* SNI list length lying inside a well-framed extension. */
	buf_reset(&body);
	buf_reset(&msg);
	buf_reset(&wire);
	craft_client_hello(&body);
	size_t sni = 2 + 32 + 1 + 2 + 8 + 2 + 2 + 4 + 4;	/* SNI list length */
	assert_int_equal(body.p[sni - 4], 0);			/* type 0 */
	body.p[sni] = 0x40;
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	sess_init(&s, 0);
	feedn(&s, TS, wire.p, wire.len, 0);
	assert_int_equal(s.st->counters[TLS_CNT_BAD_EXTENSION], 1);
	tx = tls_tx_get(s.st, 0);
	assert_int_equal(tx->sni.len, 0);
	assert_string_equal(buf_str(&tx->ja3), CRAFT_JA3);	/* framing intact */
	sess_free(&s);

	/* Certificate: list and entry lengths beyond the message; then
	 * garbage where the DER should be. */
	static const uint8_t cert_lie[] = {
		0x16, 0x03, 0x03, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x06,
		0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
	};
	static const uint8_t cert_junk[] = {
		0x16, 0x03, 0x03, 0x00, 0x0d, 0x0b, 0x00, 0x00, 0x09, 0x00,
		0x00, 0x06, 0x00, 0x00, 0x03, 0x30, 0x01, 0xff,
	};
	sess_init(&s, 0);
	feedn(&s, TC, cert_lie, sizeof(cert_lie), 0);
	assert_int_equal(s.st->counters[TLS_CNT_BAD_CERTIFICATE], 1);
	sess_free(&s);
	sess_init(&s, 0);
	feedn(&s, TC, cert_junk, sizeof(cert_junk), 0);
	assert_int_equal(s.st->counters[TLS_CNT_BAD_CERTIFICATE], 1);
	tx = tls_tx_get(s.st, 0);
	assert_true(tx->cert.seen);
	assert_int_equal(tx->cert.subject.len, 0);
	assert_string_equal(tx->cert.fingerprint, "");
	sess_free(&s);

	/* Session id length 33 (> 32) in a ServerHello. */
	static const uint8_t sh_sid[] = {
		0x16, 0x03, 0x03, 0x00, 0x27, 0x02, 0x00, 0x00, 0x23, 0x03, 0x03,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x21,
	};
	sess_init(&s, 0);
	feedn(&s, TC, sh_sid, sizeof(sh_sid), 0);
	assert_int_equal(s.st->counters[TLS_CNT_BAD_SERVER_HELLO], 1);
	sess_free(&s);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* Every prefix of each side of the real handshake, then eof: no error, no
 * read past the data (ASan), truncation counted, the tx still logs. */
static void test_truncated_everywhere(void **unused)
{
	(void)unused;
	struct pcap_segs segs;
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/tls/tls12.pcap", SRCDIR);
	assert_int_equal(pcap_segs_load(&segs, path, 44312), 0);
	for (int dir = 0; dir < 2; dir++) {
		uint8_t *side;
		size_t n = pcap_segs_dir(&segs, dir, &side);
		size_t truncated = 0;
		for (size_t k = 0; k <= n; k++) {
			struct sess s;
			sess_init(&s, 0);
			/* Exact-size copy so ASan sees any over-read. */
			uint8_t *cut = malloc(k ? k : 1);
			memcpy(cut, side, k);
			assert_int_equal(feedn(&s, dir, cut, k, APP_F_EOF), APP_OK);
			free(cut);
			truncated += s.st->counters[TLS_CNT_TRUNCATED] ? 1 : 0;
			struct tls_tx *tx = tls_tx_get(s.st, 0);
			if (tx)
				(void)log_of(tx);
			sess_free(&s);
		}
		assert_true(truncated > n / 2);
		free(side);
	}
	pcap_segs_free(&segs);
}

/* Every byte of the server flight flipped in turn: any outcome but a
 * crash or an over-read. */
static void test_corrupt_everywhere(void **unused)
{
	(void)unused;
	struct pcap_segs segs;
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/tls/tls12.pcap", SRCDIR);
	assert_int_equal(pcap_segs_load(&segs, path, 44312), 0);
	uint8_t *side;
	size_t n = pcap_segs_dir(&segs, TC, &side);
	pcap_segs_free(&segs);
	size_t errors = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *bad = malloc(n);
		memcpy(bad, side, n);
		bad[i] ^= 0xff;
		struct sess s;
		sess_init(&s, 0);
		if (feedn(&s, TC, bad, n, APP_F_EOF) == APP_ERROR)
			errors++;
		struct tls_tx *tx = tls_tx_get(s.st, 0);
		if (tx)
			(void)log_of(tx);
		sess_free(&s);
		free(bad);
	}
	/* Flipping a record header byte breaks framing; most bytes don't. */
	assert_true(errors > 0 && errors < n / 4);
	free(side);
}

static void test_gap(void **unused)
{
	(void)unused;
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feedn(&s, TS, wire.p + 3, wire.len - 3, APP_F_GAP),
			 APP_OK);
	assert_true(s.st->dir[TS].lost);
	assert_int_equal(s.st->counters[TLS_CNT_GAP], 1);
	assert_int_equal(feedn(&s, TS, wire.p, wire.len, 0), APP_OK);
	assert_null(tls_tx_get(s.st, 0));
	assert_int_equal(tls_tx_count(s.st), 0);
	sess_free(&s);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* An SSLv2-framed ClientHello is skipped; the TLS records after it parse. */
static void test_sslv2_record(void **unused)
{
	(void)unused;
	struct buf wire, body, msg;
	buf_init(&wire, 0);
	buf_init(&body, 0);
	buf_init(&msg, 0);
	put(&wire, "\x80\x05\x01\x03\x01\x00\x00", 7);	/* len 5 after 2 */
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	struct sess s;
	sess_init(&s, 1);
	assert_int_equal(feedn(&s, TS, wire.p, wire.len, 0), APP_OK);
	assert_int_equal(s.st->counters[TLS_CNT_SSLV2_RECORD], 1);
	assert_string_equal(((struct tls_tx *)tls_tx_get(s.st, 0))->ja3_hash, CRAFT_JA3_MD5);
	sess_free(&s);
	buf_release(&wire);
	buf_release(&body);
	buf_release(&msg);
}

/* After the tx is freed, later handshakes make no new transaction. */
static void test_one_tx(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, 0);
	feed_pcap(&s, "tls12.pcap", 44312);
	assert_int_equal(tls_tx_count(s.st), 1);
	tls_tx_free_upto(s.st, 1);
	assert_null(tls_tx_get(s.st, 0));
	struct buf body, msg, wire;
	buf_init(&body, 0);
	buf_init(&msg, 0);
	buf_init(&wire, 0);
	craft_client_hello(&body);
	hs_msg(&msg, TLS_HS_CLIENT_HELLO, &body);
	records(&wire, TLS_CT_HANDSHAKE, &msg, 16384);
	feedn(&s, TS, wire.p, wire.len, 0);
	assert_int_equal(tls_tx_count(s.st), 1);
	assert_null(tls_tx_get(s.st, 0));
	sess_free(&s);
	buf_release(&body);
	buf_release(&msg);
	buf_release(&wire);
}

/* Client authentication: the server asks for a certificate (-verify 1);
 * both leaf certificates are decoded, the server's is instance 0 of the
 * tls.cert_* buffers and the client's instance 1; the tx waits for the
 * client's answer. */
static void test_client_cert(void **unused)
{
	(void)unused;
	struct x509_txt srv, cli;
	load_x509_txt("cert.txt", &srv);
	load_x509_txt("client.txt", &cli);
	assert_string_equal(cli.subject, "C=US, O=Mamori Client, CN=client.example.test");
	assert_string_equal(cli.serial, "00:C1");	/* DER: high bit set */
	for (size_t chunk = 0; chunk < 12; chunk += 11) {
		struct sess s;
		sess_init(&s, chunk);
		feed_pcap(&s, "clientauth.pcap", 44315);
		struct tls_tx *tx = tls_tx_get(s.st, 0);
		assert_non_null(tx);
		assert_true(tx->cert_request);
		assert_true(tx->client_flight);
		assert_true(tls_tx_done(tx, false));
		const struct x509_txt *want[2] = {&srv, &cli};
		for (uint32_t i = 0; i < 2; i++) {
			const uint8_t *p;
			size_t n;
			static const enum app_buffer bufs[4] = {
				APP_BUF_TLS_CERT_SUBJECT, APP_BUF_TLS_CERT_ISSUER,
				APP_BUF_TLS_CERT_SERIAL, APP_BUF_TLS_CERT_FINGERPRINT};
			const char *vals[4] = {want[i]->subject, want[i]->issuer,
					       want[i]->serial, want[i]->sha1};
			for (int b = 0; b < 4; b++) {
				assert_true(tls_get_buffer(tx, bufs[b], i, &p, &n));
				assert_int_equal(n, strlen(vals[b]));
				assert_memory_equal(p, vals[b], n);
			}
			assert_false(tls_get_buffer(tx, bufs[0], 2, &p, &n));
		}
		assert_string_equal(tx->client_cert.not_after, cli.not_after);
		/* The EVE record carries the server's certificate. */
		assert_non_null(strstr(log_of(tx), srv.sha1));
		assert_null(strstr(log_of(tx), cli.sha1));
		assert_no_anomaly(s.st);
		sess_free(&s);
	}
	/* Up to the server's first flight: its certificate alone does not
	 * finish the tx when a client certificate was requested. */
	struct pcap_segs segs;
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/tls/clientauth.pcap", SRCDIR);
	assert_int_equal(pcap_segs_load(&segs, path, 44315), 0);
	struct sess s;
	sess_init(&s, 0);
	for (size_t i = 0; i < segs.nseg; i++) {
		feedn(&s, segs.seg[i].dir, segs.seg[i].p, segs.seg[i].n, 0);
		if (segs.seg[i].dir == TC)
			break;
	}
	struct tls_tx *tx = tls_tx_get(s.st, 0);
	assert_true(tx->cert_request);
	assert_false(tx->client_flight);
	assert_false(tls_tx_done(tx, false));
	assert_string_equal(tx->cert.fingerprint, srv.sha1);
	sess_free(&s);
	pcap_segs_free(&segs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls12_pcap),
		cmocka_unit_test(test_tls12_whole_sides),
		cmocka_unit_test(test_tls13_pcap),
		cmocka_unit_test(test_flame_sni),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_grease_ja3),
		cmocka_unit_test(test_hello_across_records),
		cmocka_unit_test(test_hello_retry),
		cmocka_unit_test(test_no_extensions),
		cmocka_unit_test(test_version_names),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_bad_record_header),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_corrupt_everywhere),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_sslv2_record),
		cmocka_unit_test(test_one_tx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
