/*
 * Unit tests for the SSH parser (src/app/ssh.c), included so the static
 * state can be inspected.  Real sessions come from tests/data/ssh (Debian
 * sshd + ssh on loopback, and a python3 socket pair with lines before the
 * server banner; see make.sh); hassh values there are tshark's
 * (tests/data/ssh/hassh.txt).  hassh of crafted KEXINITs were computed
 * with python3 hashlib.md5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/ssh.c"
#include "test_pcap_stream.h"

#define TS APP_DIR_TOSERVER
#define TC APP_DIR_TOCLIENT

struct sess {
	struct ssh_state *st;
	struct buf pend[2];
	size_t chunk;
	bool error;
};

static void sess_init(struct sess *s, size_t chunk)
{
	s->st = ssh_state_new(NULL);
	assert_non_null(s->st);
	buf_init(&s->pend[0], 0);
	buf_init(&s->pend[1], 0);
	s->chunk = chunk;
	s->error = false;
}

static void sess_free(struct sess *s)
{
	ssh_state_free(s->st);
	buf_release(&s->pend[0]);
	buf_release(&s->pend[1]);
}

static enum app_status feedn(struct sess *s, int dir, const void *data,
			     size_t n, unsigned flags)
{
	const uint8_t *d = data;
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
		struct app_result r = ssh_parse(s->st, dir,
						p->p ? p->p : (const uint8_t *)"",
						p->len, fl, 500 + off);
		last = r.status;
		if (r.status == APP_ERROR) {
			s->error = true;
			buf_reset(p);
			return last;
		}
		assert_true(r.consumed <= p->len);
		buf_consume(p, r.consumed);
	} while (off < n);
	return last;
}

static enum app_status feed(struct sess *s, int dir, const char *text)
{
	return feedn(s, dir, text, strlen(text), 0);
}

static void feed_pcap(struct sess *s, const char *name, uint16_t port)
{
	char path[512];
	struct pcap_segs segs;
	snprintf(path, sizeof(path), "%s/tests/data/ssh/%s", SRCDIR, name);
	assert_int_equal(pcap_segs_load(&segs, path, port), 0);
	assert_true(segs.nseg >= 3);
	for (size_t i = 0; i < segs.nseg; i++)
		feedn(s, segs.seg[i].dir, segs.seg[i].p, segs.seg[i].n, 0);
	pcap_segs_free(&segs);
	assert_false(s->error);
}

static const char *log_of(const struct ssh_tx *tx)
{
	static char text[16384];
	struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
	buf_init(&t.out, 0);
	ssh_log_tx(tx, &t.lg);
	snprintf(text, sizeof(text), "%s", buf_str(&t.out));
	buf_release(&t.out);
	return text;
}

static struct ssh_tx *tx0(struct sess *s)
{
	struct ssh_tx *tx = ssh_tx_get(s->st, 0);
	assert_non_null(tx);
	return tx;
}

static void assert_buf(const struct ssh_tx *tx, enum app_buffer b, uint32_t idx,
		       const char *want)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	if (!want) {
		assert_false(ssh_get_buffer(tx, b, idx, &p, &n));
		return;
	}
	assert_true(ssh_get_buffer(tx, b, idx, &p, &n));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* Debian's sshd and ssh: banners with a comment, KEXINIT both ways. */
static void test_openssh_pcap(void **unused)
{
	(void)unused;
	static const size_t chunks[] = {0, 1, 5, 64};
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct sess s;
		sess_init(&s, chunks[i]);
		feed_pcap(&s, "openssh.pcap", 2222);
		struct ssh_tx *tx = tx0(&s);
		assert_true(ssh_tx_done(tx, false));
		for (int side = 0; side < 2; side++) {
			assert_buf(tx, APP_BUF_SSH_PROTO, (uint32_t)side, "2.0");
			assert_buf(tx, APP_BUF_SSH_SOFTWARE, (uint32_t)side,
				   "OpenSSH_9.2p1");
			assert_true(tx->side[side].kexinit_seen);
		}
		assert_buf(tx, APP_BUF_SSH_PROTO, 2, NULL);
		assert_buf(tx, APP_BUF_SMTP_HELO, 0, NULL);
		/* tshark: ssh.kex.hassh / ssh.kex.hasshserver */
		assert_string_equal(tx->side[0].hassh_md5,
				    "472b5de333ad665af5cbf10ff892c4df");
		assert_string_equal(tx->side[1].hassh_md5,
				    "425d29fe50d8e4f5e37efb6e24bcf660");
		assert_non_null(strstr(buf_str(&tx->side[0].hassh),
				       ";chacha20-poly1305@openssh.com,aes128-ctr,"));
		/* NEWKEYS both ways: the rest is encrypted and not read. */
		assert_int_equal(s.st->dir[TS].mode, SSH_M_DONE);
		assert_int_equal(s.st->dir[TC].mode, SSH_M_DONE);
		for (int c = 0; c < SSH_CNT_MAX; c++)
			assert_int_equal(s.st->counters[c], 0);
		const char *j = log_of(tx);
		assert_non_null(strstr(
			j, "{\"event_type\":\"ssh\",\"ssh\":{\"client\":{\"proto_version\":"
			   "\"2.0\",\"software_version\":\"OpenSSH_9.2p1\",\"hassh\":"
			   "{\"hash\":\"472b5de333ad665af5cbf10ff892c4df\",\"string\":"
			   "\"sntrup761x25519-sha512,"));
		assert_non_null(strstr(
			j, "\"server\":{\"proto_version\":\"2.0\",\"software_version\":"
			   "\"OpenSSH_9.2p1\",\"hassh\":{\"hash\":"
			   "\"425d29fe50d8e4f5e37efb6e24bcf660\""));
		sess_free(&s);
	}
}

/* Lines before the server banner (RFC 4253 4.2), a 1.99 client. */
static void test_prebanner_pcap(void **unused)
{
	(void)unused;
	for (size_t chunk = 0; chunk < 3; chunk++) {
		struct sess s;
		sess_init(&s, chunk);
		feed_pcap(&s, "prebanner.pcap", 2223);
		struct ssh_tx *tx = tx0(&s);
		assert_buf(tx, APP_BUF_SSH_PROTO, 0, "1.99");
		assert_buf(tx, APP_BUF_SSH_SOFTWARE, 0, "PuTTY_Release_0.78");
		assert_buf(tx, APP_BUF_SSH_PROTO, 1, "2.0");
		assert_buf(tx, APP_BUF_SSH_SOFTWARE, 1, "mamori_test_server_1.0");
		assert_int_equal(s.st->dir[TC].prebanner, 47);
		assert_false(ssh_tx_done(tx, false));	/* no KEXINIT */
		assert_true(ssh_tx_done(tx, true));
		assert_string_equal(
			log_of(tx),
			"{\"event_type\":\"ssh\",\"ssh\":{\"client\":{\"proto_version\":"
			"\"1.99\",\"software_version\":\"PuTTY_Release_0.78\"},\"server\":"
			"{\"proto_version\":\"2.0\",\"software_version\":"
			"\"mamori_test_server_1.0\"}}}");
		sess_free(&s);
	}
}

/* Appends a binary packet holding payload (padding of 4 zero bytes). */
static void packet(struct buf *out, const struct buf *payload)
{
	uint32_t plen = (uint32_t)payload->len + 4 + 1;
	uint8_t h[5] = {(uint8_t)(plen >> 24), (uint8_t)(plen >> 16),
			(uint8_t)(plen >> 8), (uint8_t)plen, 4};
	buf_append(out, h, 5);
	buf_append(out, payload->p, payload->len);
	buf_append(out, "\0\0\0\0", 4);
}

static void namelist(struct buf *b, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	uint8_t h[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			(uint8_t)n};
	buf_append(b, h, 4);
	buf_append(b, s, n);
}

/* A KEXINIT packet: kex; hostkey; enc c2s/s2c; mac c2s/s2c; comp c2s/s2c. */
static void kexinit(struct buf *out)
{
	struct buf p;
	buf_init(&p, 0);
	buf_putc(&p, SSH_MSG_KEXINIT);
	buf_append(&p, "0123456789abcdef", 16);
	namelist(&p, "curve25519-sha256,ext-info-c");
	namelist(&p, "ssh-ed25519");
	namelist(&p, "aes128-ctr,aes256-gcm@openssh.com");
	namelist(&p, "aes256-ctr");
	namelist(&p, "hmac-sha2-256");
	namelist(&p, "hmac-sha1");
	namelist(&p, "none,zlib");
	namelist(&p, "zlib");
	namelist(&p, "");
	namelist(&p, "");
	buf_append(&p, "\0\0\0\0\0", 5);
	packet(out, &p);
	buf_release(&p);
}

#define HASSH_C "curve25519-sha256,ext-info-c;aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none,zlib"
#define HASSH_C_MD5 "6bd92c628ed61d427da952dc69b9eaec"
#define HASSH_S "curve25519-sha256,ext-info-c;aes256-ctr;hmac-sha1;zlib"
#define HASSH_S_MD5 "1ae6b63630ebe80ee3b673a9848a69d5"

static void test_crafted_hassh(void **unused)
{
	(void)unused;
	struct buf k;
	buf_init(&k, 0);
	kexinit(&k);
	for (size_t chunk = 0; chunk < 4; chunk += 3) {
		struct sess s;
		sess_init(&s, chunk);
		feed(&s, TS, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
		feed(&s, TC, "SSH-2.0-dropbear_2022.83\r\n");
		feedn(&s, TS, k.p, k.len, 0);
		struct ssh_tx *tx = tx0(&s);
		assert_false(ssh_tx_done(tx, false));
		feedn(&s, TC, k.p, k.len, 0);
		assert_true(ssh_tx_done(tx, false));
		assert_string_equal(buf_str(&tx->side[0].hassh), HASSH_C);
		assert_string_equal(tx->side[0].hassh_md5, HASSH_C_MD5);
		assert_string_equal(buf_str(&tx->side[1].hassh), HASSH_S);
		assert_string_equal(tx->side[1].hassh_md5, HASSH_S_MD5);
		assert_buf(tx, APP_BUF_SSH_SOFTWARE, 0, "OpenSSH_9.2p1");
		assert_buf(tx, APP_BUF_SSH_SOFTWARE, 1, "dropbear_2022.83");
		assert_int_equal(s.st->dir[TS].packets, 1);
		sess_free(&s);
	}
	buf_release(&k);
}

static void test_banner_forms(void **unused)
{
	(void)unused;
	static const struct {
		const char *line;
		const char *proto, *software;
		enum ssh_counter bad;	/* SSH_CNT_MAX: none */
	} cases[] = {
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "2.0", "OpenSSH_9.2p1", SSH_CNT_MAX},
		{"SSH-2.0-libssh-0.7.2\n", "2.0", "libssh-0.7.2", SSH_CNT_MAX},
		{"SSH-2.0-x y z\r\n", "2.0", "x", SSH_CNT_MAX},
		{"SSH-1.5-Cisco-1.25\r\n", "1.5", "Cisco-1.25", SSH_CNT_MAX},
		{"SSH-2.0\r\n", "2.0", NULL, SSH_CNT_INVALID_BANNER},
		{"SSH--soft\r\n", NULL, "soft", SSH_CNT_INVALID_BANNER},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sess s;
		sess_init(&s, 0);
		assert_int_equal(feed(&s, TS, cases[i].line), APP_OK);
		struct ssh_tx *tx = tx0(&s);
		assert_buf(tx, APP_BUF_SSH_PROTO, 0, cases[i].proto);
		assert_buf(tx, APP_BUF_SSH_SOFTWARE, 0, cases[i].software);
		for (int c = 0; c < SSH_CNT_MAX; c++)
			assert_int_equal(s.st->counters[c], c == (int)cases[i].bad);
		sess_free(&s);
	}
	/* SSH-1: no RFC 4253 packets follow; the rest is not read. */
	struct sess s;
	sess_init(&s, 0);
	feed(&s, TS, "SSH-1.5-x\r\n\x00\x00\x00\x01garbage");
	assert_int_equal(s.st->dir[TS].mode, SSH_M_DONE);
	assert_int_equal(s.st->counters[SSH_CNT_INVALID_RECORD], 0);
	sess_free(&s);
}

/* A banner of 300 bytes: cut at 255, counted, the KEXINIT after it still
 * parsed; a banner with no line end at eof is taken as it is. */
static void test_long_and_unterminated(void **unused)
{
	(void)unused;
	char line[400];
	memcpy(line, "SSH-2.0-", 8);
	memset(line + 8, 'A', 292);
	memcpy(line + 300, "\r\n", 3);
	struct buf k;
	buf_init(&k, 0);
	kexinit(&k);
	for (size_t chunk = 0; chunk < 2; chunk++) {
		struct sess s;
		sess_init(&s, chunk);
		feed(&s, TS, line);
		feedn(&s, TS, k.p, k.len, 0);
		struct ssh_tx *tx = tx0(&s);
		assert_int_equal(s.st->counters[SSH_CNT_LONG_BANNER], 1);
		assert_int_equal(tx->side[0].software.len, SSH_BANNER_MAX - 8);
		assert_true(tx->side[0].kexinit_seen);
		assert_string_equal(tx->side[0].hassh_md5, HASSH_C_MD5);
		sess_free(&s);
	}
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feed(&s, TC, "SSH-2.0-NoEol"), APP_NEED_MORE);
	assert_int_equal(feedn(&s, TC, "", 0, APP_F_EOF), APP_OK);
	assert_int_equal(s.st->counters[SSH_CNT_BANNER_NO_EOL], 1);
	assert_buf(tx0(&s), APP_BUF_SSH_SOFTWARE, 1, "NoEol");
	sess_free(&s);
	buf_release(&k);
}

static void test_not_ssh(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, 0);
	assert_int_equal(feed(&s, TS, "GET / HTTP/1.1\r\n"), APP_ERROR);
	assert_int_equal(s.st->counters[SSH_CNT_INVALID_BANNER], 1);
	sess_free(&s);
	/* Endless server chatter without a banner. */
	sess_init(&s, 0);
	char junk[1024];
	memset(junk, 'x', sizeof(junk) - 2);
	memcpy(junk + sizeof(junk) - 2, "\n", 2);
	enum app_status r = APP_OK;
	for (int i = 0; i < 16 && r != APP_ERROR; i++)
		r = feed(&s, TC, junk);
	assert_int_equal(r, APP_ERROR);
	assert_int_equal(s.st->counters[SSH_CNT_PREBANNER_TOO_LONG], 1);
	sess_free(&s);
}

static void test_lying_packets(void **unused)
{
	(void)unused;
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 4, 20};
	static const uint8_t pad[] = {0x00, 0x00, 0x00, 0x08, 8, 20};
	static const uint8_t tiny[] = {0x00, 0x00, 0x00, 0x01, 0, 20};
	const uint8_t *cases[] = {huge, pad, tiny};
	for (size_t i = 0; i < 3; i++) {
		struct sess s;
		sess_init(&s, 0);
		feed(&s, TS, "SSH-2.0-x\r\n");
		assert_int_equal(feedn(&s, TS, cases[i], 6, 0), APP_OK);
		assert_int_equal(s.st->counters[SSH_CNT_INVALID_RECORD], 1);
		assert_int_equal(s.st->dir[TS].mode, SSH_M_DONE);
		sess_free(&s);
	}
	/* A KEXINIT whose name-list length runs past the packet. */
	struct buf k;
	buf_init(&k, 0);
	kexinit(&k);
	k.p[5 + 1 + 16] = 0x7f;
	struct sess s;
	sess_init(&s, 0);
	feed(&s, TS, "SSH-2.0-x\r\n");
	feedn(&s, TS, k.p, k.len, 0);
	assert_int_equal(s.st->counters[SSH_CNT_INVALID_KEXINIT], 1);
	assert_false(tx0(&s)->side[0].kexinit_seen);
	sess_free(&s);
	buf_release(&k);
}

/* Every prefix of each side of the real session, then eof, and every byte
 * flipped: no error beyond "not SSH", no over-read (ASan). */
static void test_truncated_and_corrupt(void **unused)
{
	(void)unused;
	struct pcap_segs segs;
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/ssh/openssh.pcap", SRCDIR);
	assert_int_equal(pcap_segs_load(&segs, path, 2222), 0);
	for (int dir = 0; dir < 2; dir++) {
		uint8_t *side;
		size_t n = pcap_segs_dir(&segs, dir, &side);
		size_t lim = n < 3000 ? n : 3000;	/* banner + KEXINIT */
		for (size_t k = 0; k <= lim; k++) {
			struct sess s;
			sess_init(&s, 0);
			uint8_t *cut = malloc(k ? k : 1);
			memcpy(cut, side, k);
			assert_int_equal(feedn(&s, dir, cut, k, APP_F_EOF), APP_OK);
			free(cut);
			struct ssh_tx *tx = ssh_tx_get(s.st, 0);
			if (tx)
				(void)log_of(tx);
			sess_free(&s);
		}
		for (size_t i = 0; i < lim; i++) {
			uint8_t *bad = malloc(lim);
			memcpy(bad, side, lim);
			bad[i] ^= 0xff;
			struct sess s;
			sess_init(&s, 0);
			enum app_status r = feedn(&s, dir, bad, lim, APP_F_EOF);
			/* Only a client line that is not a banner is fatal. */
			if (r == APP_ERROR)
				assert_true(dir == TS && i < 4);
			struct ssh_tx *tx = ssh_tx_get(s.st, 0);
			if (tx)
				(void)log_of(tx);
			sess_free(&s);
			free(bad);
		}
		free(side);
	}
	pcap_segs_free(&segs);
}

static void test_probe(void **unused)
{
	(void)unused;
	assert_int_equal(ssh_probe((const uint8_t *)"SSH-2.0-x", 9, TS), 1);
	assert_int_equal(ssh_probe((const uint8_t *)"SSH-2.0-x", 9, TC), 1);
	assert_int_equal(ssh_probe((const uint8_t *)"SS", 2, TS), -1);
	assert_int_equal(ssh_probe((const uint8_t *)"", 0, TS), -1);
	assert_int_equal(ssh_probe((const uint8_t *)"SSX-", 4, TS), 0);
	assert_int_equal(ssh_probe((const uint8_t *)"\x16\x03\x01", 3, TS), 0);
}

static void test_gap_and_tx(void **unused)
{
	(void)unused;
	struct sess s;
	sess_init(&s, 0);
	feed(&s, TS, "SSH-2.0-a\r\n");
	assert_int_equal(feedn(&s, TC, "SSH-2.0-b\r\n", 11, APP_F_GAP), APP_OK);
	assert_int_equal(s.st->counters[SSH_CNT_GAP], 1);
	assert_int_equal(s.st->dir[TC].mode, SSH_M_DONE);
	assert_int_equal(ssh_tx_count(s.st), 1);
	ssh_tx_free_upto(s.st, 1);
	assert_null(ssh_tx_get(s.st, 0));
	feed(&s, TS, "more");
	assert_int_equal(ssh_tx_count(s.st), 1);
	sess_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssh_pcap),
		cmocka_unit_test(test_prebanner_pcap),
		cmocka_unit_test(test_crafted_hassh),
		cmocka_unit_test(test_banner_forms),
		cmocka_unit_test(test_long_and_unterminated),
		cmocka_unit_test(test_not_ssh),
		cmocka_unit_test(test_lying_packets),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_gap_and_tx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
