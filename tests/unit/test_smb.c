/*
 * Unit tests for the SMB parser (src/app/smb.c, included so the static
 * helpers and state are reachable).  SMB1/SMB2 messages, NTLMSSP tokens
 * and DCERPC PDUs are built byte by byte below; records are checked as
 * exact JSON text or by their fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/smb.c"

/* ---- builder --------------------------------------------------------------- */

struct mb {
	uint8_t b[300000];
	size_t n;
};

static struct mb *mb_new(void)
{
	struct mb *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	return m;
}

static void put8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v & 0xff);
	put8(m, (v >> 8) & 0xff);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v & 0xffff);
	put16(m, v >> 16);
}

static void put64(struct mb *m, uint64_t v)
{
	put32(m, (uint32_t)v);
	put32(m, (uint32_t)(v >> 32));
}

static void putbytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(m, ((const uint8_t *)p)[i]);
}

static void putzero(struct mb *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(m, 0);
}

/* ASCII -> UTF-16LE, no terminator. */
static void putu16s(struct mb *m, const char *s)
{
	for (; *s; s++)
		put16(m, (uint8_t)*s);
}

static void set16(struct mb *m, size_t at, unsigned v)
{
	m->b[at] = (uint8_t)v;
	m->b[at + 1] = (uint8_t)(v >> 8);
}

static void set32(struct mb *m, size_t at, uint32_t v)
{
	set16(m, at, v & 0xffff);
	set16(m, at + 2, v >> 16);
}

/* NBSS session message around [start, n). */
static size_t nbss_begin(struct mb *m)
{
	size_t s = m->n;
	put32(m, 0);
	return s;
}

static void nbss_end(struct mb *m, size_t s)
{
	size_t len = m->n - s - 4;
	m->b[s] = 0;
	m->b[s + 1] = (uint8_t)(len >> 16);
	m->b[s + 2] = (uint8_t)(len >> 8);
	m->b[s + 3] = (uint8_t)len;
}

/* SMB2 header; returns its offset (NextCommand at +20). */
static size_t smb2_hdr(struct mb *m, unsigned cmd, uint64_t mid, uint32_t flags,
		       uint32_t status, uint32_t tree, uint64_t sid)
{
	size_t s = m->n;
	putbytes(m, "\xfeSMB", 4);
	put16(m, 64);
	put16(m, 1);
	put32(m, status);
	put16(m, cmd);
	put16(m, 1);
	put32(m, flags);
	put32(m, 0);
	put64(m, mid);
	if (flags & 2) {
		put64(m, 0x77);
	} else {
		put32(m, 0xfeff);
		put32(m, tree);
	}
	put64(m, sid);
	putzero(m, 16);
	return s;
}

#define RESP 1u
#define SID 0x400000000011ull

static const uint8_t FID[16] = {5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t FID2[16] = {9, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};

/* NTLMSSP AUTHENTICATE with domain/user/host in UTF-16 (or OEM). */
static void put_ntlmssp(struct mb *m, const char *dom, const char *user,
			const char *host, bool unicode)
{
	size_t s = m->n;
	putbytes(m, "NTLMSSP\0", 8);
	put32(m, 3);
	const char *f[6] = {"", "", dom, user, host, ""};
	size_t off = 72, fl = m->n;
	putzero(m, 48);
	put32(m, (unicode ? 1u : 0u) | 0x02000000u);
	put8(m, 10);
	put8(m, 0);
	put16(m, 19041);
	putzero(m, 3);
	put8(m, 15);
	for (int i = 0; i < 6; i++) {
		size_t len = strlen(f[i]) * (unicode ? 2 : 1);
		set16(m, fl + (size_t)i * 8, (unsigned)len);
		set16(m, fl + (size_t)i * 8 + 2, (unsigned)len);
		set32(m, fl + (size_t)i * 8 + 4, (uint32_t)(off + (m->n - s - off)));
		if (unicode)
			putu16s(m, f[i]);
		else
			putbytes(m, f[i], strlen(f[i]));
	}
}

/* SPNEGO negTokenResp wrapping (short-form DER lengths). */
static void put_spnego(struct mb *m, const struct mb *tok)
{
	size_t n = tok->n;
	assert_true(n + 8 < 128);
	put8(m, 0xa1);
	put8(m, (unsigned)(n + 6));
	put8(m, 0x30);
	put8(m, (unsigned)(n + 4));
	put8(m, 0xa2);
	put8(m, (unsigned)(n + 2));
	put8(m, 0x04);
	put8(m, (unsigned)n);
	putbytes(m, tok->b, n);
}

/* ---- DCERPC PDUs (little endian) ------------------------------------------ */

static void dce_hdr(struct mb *m, unsigned type, unsigned flags, uint32_t call_id)
{
	put8(m, 5);
	put8(m, 0);
	put8(m, type);
	put8(m, flags);
	put32(m, 0x10);
	put16(m, 0);
	put16(m, 0);
	put32(m, call_id);
}

static void dce_len(struct mb *m, size_t s)
{
	set16(m, s + 8, (unsigned)(m->n - s));
}

static const uint8_t SRVSVC_LE[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
				      0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};

static void dce_bind(struct mb *m)
{
	size_t s = m->n;
	dce_hdr(m, 11, 3, 1);
	put16(m, 4280);
	put16(m, 4280);
	put32(m, 0);
	put32(m, 1);
	put16(m, 0);
	put8(m, 1);
	put8(m, 0);
	putbytes(m, SRVSVC_LE, 16);
	put32(m, 3);
	putzero(m, 20);
	dce_len(m, s);
}

static void dce_bind_ack(struct mb *m)
{
	size_t s = m->n;
	dce_hdr(m, 12, 3, 1);
	put16(m, 4280);
	put16(m, 4280);
	put32(m, 1);
	put16(m, 0);
	put16(m, 0);	/* pad to 4 */
	put32(m, 1);
	put16(m, 0);
	put16(m, 0);
	putzero(m, 20);
	dce_len(m, s);
}

static void dce_request(struct mb *m, unsigned flags, unsigned opnum, const char *stub,
			size_t len)
{
	size_t s = m->n;
	dce_hdr(m, 0, flags, 2);
	put32(m, 64);
	put16(m, 0);
	put16(m, opnum);
	putbytes(m, stub, len);
	dce_len(m, s);
}

static void dce_response(struct mb *m)
{
	size_t s = m->n;
	dce_hdr(m, 2, 3, 2);
	put32(m, 4);
	put16(m, 0);
	put16(m, 0);
	put32(m, 0);
	dce_len(m, s);
}

/* ---- SMB2 messages ---------------------------------------------------------- */

static void m_negotiate(struct mb *c, struct mb *s)
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 0, 0, 0, 0, 0, 0);
	put16(c, 36);
	put16(c, 2);
	put16(c, 1);
	put16(c, 0);
	put32(c, 0);
	putbytes(c, "\x11\x11\x11\x11\x22\x22\x33\x33\x44\x44\x55\x55\x55\x55\x55\x55", 16);
	put64(c, 0);
	put16(c, 0x202);
	put16(c, 0x311);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 0, 0, RESP, 0, 0, 0);
	put16(s, 65);
	put16(s, 1);
	put16(s, 0x311);
	put16(s, 0);
	putzero(s, 16);
	put32(s, 0);
	put32(s, 65536);
	put32(s, 1048576);
	put32(s, 524288);
	putzero(s, 24);
	nbss_end(s, n);
}

static void m_session(struct mb *c, struct mb *s, uint64_t mid, const char *user,
		      bool spnego, uint32_t status)
{
	struct mb *tok = mb_new();
	put_ntlmssp(tok, "CORP", user, "WKS01", true);
	size_t n = nbss_begin(c);
	size_t h = smb2_hdr(c, 1, mid, 0, 0, 0, SID);
	put16(c, 25);
	put8(c, 0);
	put8(c, 1);
	put32(c, 0);
	put32(c, 0);
	put16(c, 64 + 24);
	size_t lenat = c->n;
	put16(c, 0);
	put64(c, 0);
	size_t b = c->n;
	if (spnego)
		put_spnego(c, tok);
	else
		putbytes(c, tok->b, tok->n);
	set16(c, lenat, (unsigned)(c->n - b));
	(void)h;
	nbss_end(c, n);
	free(tok);
	n = nbss_begin(s);
	smb2_hdr(s, 1, mid, RESP, status, 0, SID);
	put16(s, 9);
	put16(s, 0);
	put16(s, 0);
	put16(s, 0);
	put8(s, 0);
	nbss_end(s, n);
}

static void m_tree(struct mb *c, struct mb *s, uint64_t mid, const char *path,
		   unsigned type, uint32_t tree)
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 3, mid, 0, 0, 0, SID);
	put16(c, 9);
	put16(c, 0);
	put16(c, 72);
	put16(c, (unsigned)strlen(path) * 2);
	putu16s(c, path);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 3, mid, RESP, 0, tree, SID);
	put16(s, 16);
	put8(s, type);
	put8(s, 0);
	put32(s, 0);
	put32(s, 0);
	put32(s, 0x1f01ff);
	nbss_end(s, n);
}

static void body_create_req(struct mb *c, const char *name, uint32_t opts)
{
	put16(c, 57);
	put8(c, 0);
	put8(c, 0);
	put32(c, 2);
	put64(c, 0);
	put64(c, 0);
	put32(c, 0x12019f);
	put32(c, 0);
	put32(c, 7);
	put32(c, 1);
	put32(c, opts);
	put16(c, 120);
	put16(c, (unsigned)strlen(name) * 2);
	put32(c, 0);
	put32(c, 0);
	putu16s(c, name);
}

static void body_create_resp(struct mb *s, const uint8_t fid[16])
{
	put16(s, 89);
	put8(s, 0);
	put8(s, 0);
	put32(s, 1);
	put64(s, 116444736000000000ull + 10000000ull * 1000);	/* 1970 + 1000 s */
	putzero(s, 24);
	put64(s, 4096);
	put64(s, 3000);
	put32(s, 0x80);
	put32(s, 0);
	putbytes(s, fid, 16);
	put32(s, 0);
	put32(s, 0);
}

static void m_create(struct mb *c, struct mb *s, uint64_t mid, uint32_t tree,
		     const char *name, const uint8_t fid[16])
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 5, mid, 0, 0, tree, SID);
	body_create_req(c, name, 0x1000);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 5, mid, RESP, 0, tree, SID);
	body_create_resp(s, fid);
	nbss_end(s, n);
}

static void m_write(struct mb *c, struct mb *s, uint64_t mid, uint32_t tree,
		    const uint8_t fid[16], const struct mb *data)
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 9, mid, 0, 0, tree, SID);
	put16(c, 49);
	put16(c, 112);
	put32(c, (uint32_t)data->n);
	put64(c, 0);
	putbytes(c, fid, 16);
	putzero(c, 16);
	putbytes(c, data->b, data->n);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 9, mid, RESP, 0, tree, SID);
	put16(s, 17);
	put16(s, 0);
	put32(s, (uint32_t)data->n);
	put32(s, 0);
	put32(s, 0);
	nbss_end(s, n);
}

static void m_read(struct mb *c, struct mb *s, uint64_t mid, uint32_t tree,
		   const uint8_t fid[16], const struct mb *data)
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 8, mid, 0, 0, tree, SID);
	put16(c, 49);
	put8(c, 0x50);
	put8(c, 0);
	put32(c, 4280);
	put64(c, 0);
	putbytes(c, fid, 16);
	putzero(c, 17);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 8, mid, RESP, 0, tree, SID);
	put16(s, 17);
	put8(s, 80);
	put8(s, 0);
	put32(s, (uint32_t)data->n);
	put32(s, 0);
	put32(s, 0);
	putbytes(s, data->b, data->n);
	nbss_end(s, n);
}

static void body_ioctl_req(struct mb *c, const uint8_t fid[16], const struct mb *in)
{
	put16(c, 57);
	put16(c, 0);
	put32(c, 0x0011c017);
	putbytes(c, fid, 16);
	put32(c, 120);
	put32(c, (uint32_t)in->n);
	putzero(c, 12);
	put32(c, 4280);
	put32(c, 1);
	put32(c, 0);
	putbytes(c, in->b, in->n);
}

static void body_ioctl_resp(struct mb *s, const uint8_t fid[16], const struct mb *out)
{
	put16(s, 49);
	put16(s, 0);
	put32(s, 0x0011c017);
	putbytes(s, fid, 16);
	put32(s, 112);
	put32(s, 0);
	put32(s, 112);
	put32(s, (uint32_t)out->n);
	put32(s, 0);
	put32(s, 0);
	putbytes(s, out->b, out->n);
}

static void m_close(struct mb *c, struct mb *s, uint64_t mid, uint32_t tree,
		    const uint8_t fid[16])
{
	size_t n = nbss_begin(c);
	smb2_hdr(c, 6, mid, 0, 0, tree, SID);
	put16(c, 24);
	put16(c, 0);
	put32(c, 0);
	putbytes(c, fid, 16);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 6, mid, RESP, 0, tree, SID);
	put16(s, 60);
	putzero(s, 58);
	nbss_end(s, n);
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

/* Feeds bytes of one direction in pieces of step bytes, as the dispatcher does. */
static void feed(struct smb_state *st, int dir, const uint8_t *p, size_t n, size_t step)
{
	struct buf held;
	buf_init(&held, 1 << 20);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < step ? n - off : step;
		buf_append(&held, p + off, k);
		off += k;
		struct app_result r = app_smb.parse(st, dir, held.p, held.len, 0, 1);
		assert_int_not_equal(r.status, APP_ERROR);
		assert_true(r.consumed <= held.len);
		buf_consume(&held, r.consumed);
	}
	assert_int_equal(held.len, 0);
	buf_release(&held);
}

static struct smb_tx *tx_at(struct smb_state *st, uint64_t id)
{
	struct smb_tx *tx = smb_tx_get(st, id);
	assert_non_null(tx);
	return tx;
}

/* The JSON "smb" record of tx id, without the event_type wrapper. */
static void record(struct smb_state *st, uint64_t id, struct buf *out)
{
	struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
	buf_init(&t.out, 1 << 16);
	app_smb.log_tx(tx_at(st, id), &t.lg);
	buf_reset(out);
	buf_append(out, t.out.p, t.out.len);
	buf_release(&t.out);
}

/* Runs one exchange: the requests the call appends to c, then the responses. */
#define STEP(st, c, s, call)                                                  \
	do {                                                                  \
		(c)->n = (s)->n = 0;                                          \
		call;                                                         \
		feed(st, 0, (c)->b, (c)->n, 7);                               \
		feed(st, 1, (s)->b, (s)->n, 5);                               \
	} while (0)

static bool has(const struct buf *b, const char *needle)
{
	return strstr(buf_str(b), needle) != NULL;
}

static void no_counters(struct smb_state *st)
{
	for (int i = 0; i < SMB_CNT_MAX + DCERPC_CNT_MAX; i++)
		if (st->counters[i])
			fail_msg("counter %s = %llu", smb_counter_names[i],
				 (unsigned long long)st->counters[i]);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_negotiate_session_tree(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new();
	m_negotiate(c, s);
	m_session(c, s, 1, "alice", true, 0xc000006d);
	m_session(c, s, 2, "alice", false, 0);
	m_tree(c, s, 3, "\\\\srv\\ADMIN$", 1, 7);
	m_tree(c, s, 4, "\\\\srv\\IPC$", 2, 8);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	/* Requests first, then responses: matched by message id. */
	feed(st, 0, c->b, c->n, 9);
	assert_int_equal(st->next_id, 5);
	for (uint64_t i = 0; i < 5; i++)
		assert_false(app_smb.tx_done(tx_at(st, i), false));
	feed(st, 1, s->b, s->n, 1000);
	for (uint64_t i = 0; i < 5; i++)
		assert_true(app_smb.tx_done(tx_at(st, i), false));
	no_counters(st);

	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 0, &r);
	assert_string_equal(buf_str(&r),
		"{\"event_type\":\"smb\",\"smb\":{\"id\":1,\"dialect\":\"3.11\","
		"\"command\":\"SMB2_COMMAND_NEGOTIATE_PROTOCOL\",\"status\":\"STATUS_SUCCESS\","
		"\"status_code\":\"0x0\",\"session_id\":0,\"tree_id\":0,"
		"\"client_dialects\":[\"2.02\",\"3.11\"],"
		"\"client_guid\":\"11111111-2222-3333-4444-555555555555\","
		"\"server_guid\":\"00000000-0000-0000-0000-000000000000\","
		"\"max_read_size\":1048576,\"max_write_size\":524288}}\n");
	record(st, 1, &r);
	assert_string_equal(buf_str(&r),
		"{\"event_type\":\"smb\",\"smb\":{\"id\":2,\"dialect\":\"3.11\","
		"\"command\":\"SMB2_COMMAND_SESSION_SETUP\",\"status\":\"STATUS_LOGON_FAILURE\","
		"\"status_code\":\"0xc000006d\",\"session_id\":70368744177681,\"tree_id\":0,"
		"\"ntlmssp\":{\"domain\":\"CORP\",\"user\":\"alice\",\"host\":\"WKS01\","
		"\"version\":\"10.0 build 19041 rev 15\"}}}\n");
	record(st, 2, &r);
	assert_true(has(&r, "\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"user\":\"alice\""));	/* raw NTLMSSP */
	record(st, 3, &r);
	assert_true(has(&r, "\"tree_id\":7,\"share\":\"\\\\\\\\srv\\\\ADMIN$\",\"share_type\":\"FILE\"}"));
	record(st, 4, &r);
	assert_true(has(&r, "\"named_pipe\":\"\\\\\\\\srv\\\\IPC$\",\"share_type\":\"PIPE\"}"));

	const uint8_t *p;
	size_t n;
	assert_true(app_smb.get_buffer(tx_at(st, 1), APP_BUF_SMB_NTLMSSP_USER, 0, &p, &n));
	assert_int_equal(n, 5);
	assert_memory_equal(p, "alice", 5);
	assert_true(app_smb.get_buffer(tx_at(st, 1), APP_BUF_SMB_NTLMSSP_DOMAIN, 0, &p, &n));
	assert_memory_equal(p, "CORP", 4);
	assert_false(app_smb.get_buffer(tx_at(st, 1), APP_BUF_SMB_NTLMSSP_USER, 1, &p, &n));
	assert_true(app_smb.get_buffer(tx_at(st, 3), APP_BUF_SMB_SHARE, 0, &p, &n));
	assert_int_equal(n, strlen("\\\\srv\\ADMIN$"));
	assert_false(app_smb.get_buffer(tx_at(st, 3), APP_BUF_SMB_NAMED_PIPE, 0, &p, &n));
	assert_true(app_smb.get_buffer(tx_at(st, 4), APP_BUF_SMB_NAMED_PIPE, 0, &p, &n));
	assert_false(app_smb.get_buffer(tx_at(st, 4), APP_BUF_SMB_SHARE, 0, &p, &n));
	struct app_dcerpc_info info;
	assert_false(app_smb.dcerpc_info(tx_at(st, 4), &info));
	buf_release(&r);
	app_smb.tx_free_upto(st, 5);
	assert_null(smb_tx_get(st, 4));
	app_smb.state_free(st);
	free(c);
	free(s);
}

/* File writes and reads: one transaction per file and direction, done at close. */
static void test_file_rw(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *d = mb_new();
	putbytes(d, "hello world", 11);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	STEP(st, c, s, m_tree(c, s, 1, "\\\\srv\\data", 1, 3));
	STEP(st, c, s, m_create(c, s, 2, 3, "dir\\f.txt", FID2));
	STEP(st, c, s, m_write(c, s, 3, 3, FID2, d));
	STEP(st, c, s, m_write(c, s, 4, 3, FID2, d));
	STEP(st, c, s, m_read(c, s, 5, 3, FID2, d));
	/* tree, create, write tx, read tx */
	assert_int_equal(st->next_id, 4);
	assert_false(app_smb.tx_done(tx_at(st, 2), false));
	assert_true(app_smb.tx_done(tx_at(st, 2), true));
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 1, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_CREATE\""));
	assert_true(has(&r, "\"filename\":\"dir\\\\f.txt\",\"disposition\":\"FILE_OPEN\","
			    "\"access\":\"delete on close\",\"created\":1000,\"accessed\":0,"
			    "\"modified\":0,\"changed\":0,\"size\":3000,"
			    "\"fuid\":\"00000009-0000-0000-0002-000000000000\""));
	c->n = s->n = 0;
	m_close(c, s, 6, 3, FID2);
	feed(st, 0, c->b, c->n, 1000);
	feed(st, 1, s->b, s->n, 1000);
	assert_int_equal(st->next_id, 5);
	assert_true(app_smb.tx_done(tx_at(st, 2), false));
	assert_true(app_smb.tx_done(tx_at(st, 3), false));
	record(st, 2, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_WRITE\",\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"filename\":\"dir\\\\f.txt\",\"share\":\"\\\\\\\\srv\\\\data\""));
	record(st, 3, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_READ\""));
	record(st, 4, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_CLOSE\""));
	assert_int_equal(st->nfiles, 0);
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c);
	free(s);
	free(d);
}

/* Bind over write/read, request over IOCTL with an interim STATUS_PENDING. */
static void test_pipe_dcerpc(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *d = mb_new();
	struct mb *e = mb_new();
	dce_bind(d);
	dce_bind_ack(e);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	STEP(st, c, s, m_tree(c, s, 1, "\\\\srv\\IPC$", 2, 4));
	STEP(st, c, s, m_create(c, s, 2, 4, "srvsvc", FID));
	STEP(st, c, s, m_write(c, s, 3, 4, FID, d));
	assert_false(app_smb.tx_done(tx_at(st, 2), false));	/* bind not answered */
	STEP(st, c, s, m_read(c, s, 4, 4, FID, e));
	/* tree, create, write(bind): the read has no transaction of its own */
	assert_int_equal(st->next_id, 3);
	assert_true(app_smb.tx_done(tx_at(st, 2), false));
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 2, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_WRITE\",\"status\":\"STATUS_SUCCESS\","
			    "\"status_code\":\"0x0\",\"session_id\":70368744177681,\"tree_id\":4,"
			    "\"dcerpc\":{\"request\":\"BIND\",\"response\":\"BINDACK\",\"interfaces\":"
			    "[{\"uuid\":\"4b324fc8-1670-01d3-1278-5a47bf6ee188\",\"version\":\"3.0\","
			    "\"ack_result\":0,\"ack_reason\":0}],\"call_id\":1}}}"));
	{
		/* The pipe opened on IPC$ is a named_pipe buffer. */
		const uint8_t *p;
		size_t pn;
		assert_true(app_smb.get_buffer(tx_at(st, 1), APP_BUF_SMB_NAMED_PIPE, 0, &p, &pn));
		assert_int_equal(pn, 6);
		assert_memory_equal(p, "srvsvc", 6);
	}

	/* IOCTL transceive: interim, then final with the response. */
	c->n = s->n = d->n = e->n = 0;
	dce_request(d, 3, 31, "\\\0.\0.\0\\\0", 8);
	dce_response(e);
	size_t n = nbss_begin(c);
	smb2_hdr(c, 11, 5, 0, 0, 4, SID);
	body_ioctl_req(c, FID, d);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 11, 5, RESP | 2, 0x103, 0, SID);
	put16(s, 9);
	putzero(s, 7);
	nbss_end(s, n);
	n = nbss_begin(s);
	smb2_hdr(s, 11, 5, RESP | 2, 0, 0, SID);
	body_ioctl_resp(s, FID, e);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 3);
	assert_int_equal(st->next_id, 4);
	assert_false(app_smb.tx_done(tx_at(st, 3), false));
	feed(st, 1, s->b, 4 + 64 + 9, 1000);
	assert_true(tx_at(st, 3)->pending);
	assert_false(app_smb.tx_done(tx_at(st, 3), false));
	feed(st, 1, s->b + 4 + 64 + 9, s->n - (4 + 64 + 9), 1000);
	assert_true(app_smb.tx_done(tx_at(st, 3), false));
	record(st, 3, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_IOCTL\""));
	assert_true(has(&r, "\"dcerpc\":{\"request\":\"REQUEST\",\"response\":\"RESPONSE\",\"opnum\":31,"
			    "\"req\":{\"frag_cnt\":1,\"stub_data_size\":8},\"interface\":"
			    "{\"uuid\":\"4b324fc8-1670-01d3-1278-5a47bf6ee188\",\"version\":\"3.0\"},"
			    "\"res\":{\"frag_cnt\":1,\"stub_data_size\":4},\"call_id\":2}"));
	struct app_dcerpc_info info;
	assert_true(app_smb.dcerpc_info(tx_at(st, 3), &info));
	assert_true(info.iface_known && info.iface_acked && info.has_request);
	assert_int_equal(info.opnum, 31);
	assert_memory_equal(info.iface_uuid, "\x4b\x32\x4f\xc8\x16\x70\x01\xd3\x12\x78\x5a\x47\xbf\x6e\xe1\x88", 16);
	const uint8_t *p;
	size_t pn;
	assert_true(app_smb.get_buffer(tx_at(st, 3), APP_BUF_DCERPC_STUB_DATA, 0, &p, &pn));
	assert_int_equal(pn, 8);
	assert_memory_equal(p, "\\\0.\0.\0\\\0", 8);
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c);
	free(s);
	free(d);
	free(e);
}

/* CREATE + IOCTL + CLOSE compounded; responses out of order. */
static void test_compound_out_of_order(void **state)
{
	(void)state;
	static const uint8_t ff[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct mb *c = mb_new(), *s = mb_new(), *d = mb_new(), *e = mb_new();
	struct smb_state *st = app_smb.state_new(&test_cfg);
	STEP(st, c, s, m_tree(c, s, 1, "\\\\srv\\IPC$", 2, 4));
	c->n = s->n = 0;
	dce_bind(d);
	dce_bind_ack(e);
	size_t n = nbss_begin(c);
	size_t h1 = smb2_hdr(c, 5, 2, 0, 0, 4, SID);
	body_create_req(c, "srvsvc", 0);
	while ((c->n - h1) % 8)
		put8(c, 0);
	set32(c, h1 + 20, (uint32_t)(c->n - h1));
	size_t h2 = smb2_hdr(c, 11, 3, 4, 0, 0xffffffffu, ~0ull);
	body_ioctl_req(c, ff, d);
	while ((c->n - h2) % 8)
		put8(c, 0);
	set32(c, h2 + 20, (uint32_t)(c->n - h2));
	smb2_hdr(c, 6, 4, 4, 0, 0xffffffffu, ~0ull);
	put16(c, 24);
	put16(c, 0);
	put32(c, 0);
	putbytes(c, ff, 16);
	nbss_end(c, n);
	feed(st, 0, c->b, c->n, 1000);
	/* tree, create, ioctl, close */
	assert_int_equal(st->next_id, 4);
	assert_int_equal(tx_at(st, 2)->tree_id, 4);
	assert_int_equal(tx_at(st, 3)->session_id, SID);
	/* close response first, then create, then ioctl. */
	size_t t0 = s->n;
	n = nbss_begin(s);
	smb2_hdr(s, 6, 4, RESP, 0, 4, SID);
	put16(s, 60);
	putzero(s, 58);
	nbss_end(s, n);
	n = nbss_begin(s);
	smb2_hdr(s, 5, 2, RESP, 0, 4, SID);
	body_create_resp(s, FID);
	nbss_end(s, n);
	n = nbss_begin(s);
	smb2_hdr(s, 11, 3, RESP, 0, 4, SID);
	body_ioctl_resp(s, FID, e);
	nbss_end(s, n);
	(void)t0;
	feed(st, 1, s->b, s->n, 1000);
	for (uint64_t i = 0; i < 4; i++)
		assert_true(app_smb.tx_done(tx_at(st, i), false));
	assert_int_equal(st->nfiles, 0);	/* the deferred close happened */
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 2, &r);
	assert_true(has(&r, "\"request\":\"BIND\",\"response\":\"BINDACK\""));
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c);
	free(s);
	free(d);
	free(e);
}

/* SMB1: session setup AndX chained with tree connect AndX; DOS error class. */
static void smb1_hdr(struct mb *m, unsigned cmd, unsigned mid, bool resp,
		     uint32_t status, unsigned tid, unsigned uid, unsigned flags2)
{
	putbytes(m, "\xffSMB", 4);
	put8(m, cmd);
	put32(m, status);
	put8(m, resp ? 0x98 : 0x18);
	put16(m, flags2);
	put16(m, 0);
	putzero(m, 8);
	put16(m, 0);
	put16(m, tid);
	put16(m, 0xfeff);
	put16(m, uid);
	put16(m, mid);
}

static void test_smb1_andx_chain(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *tok = mb_new();
	put_ntlmssp(tok, "CORP", "bob", "WKS02", false);
	size_t n = nbss_begin(c);
	size_t h = c->n;
	smb1_hdr(c, 0x73, 2, false, 0, 0, 0, 0xc807);
	put8(c, 12);
	put8(c, 0x75);
	put8(c, 0);
	size_t andx = c->n;
	put16(c, 0);
	put16(c, 4356);
	put16(c, 50);
	put16(c, 0);
	put32(c, 0);
	put16(c, (unsigned)tok->n);
	put32(c, 0);
	put32(c, 0x800000d4);
	size_t bc = c->n;
	put16(c, 0);
	putbytes(c, tok->b, tok->n);
	if ((c->n - h) % 2)
		put8(c, 0);
	putu16s(c, "Windows 5.1");
	put16(c, 0);
	putu16s(c, "LM");
	put16(c, 0);
	set16(c, bc, (unsigned)(c->n - bc - 2));
	set16(c, andx, (unsigned)(c->n - h));
	/* tree connect AndX */
	put8(c, 4);
	put8(c, 0xff);
	put8(c, 0);
	put16(c, 0);
	put16(c, 0);
	put16(c, 1);
	size_t bc2 = c->n;
	put16(c, 0);
	put8(c, 0);	/* password */
	if ((c->n - h) % 2)
		put8(c, 0);
	putu16s(c, "\\\\SRV\\IPC$");
	put16(c, 0);
	putbytes(c, "?????", 6);
	set16(c, bc2, (unsigned)(c->n - bc2 - 2));
	nbss_end(c, n);

	n = nbss_begin(s);
	h = s->n;
	smb1_hdr(s, 0x73, 2, true, 0, 0x801, 0x800, 0xc807);
	put8(s, 4);
	put8(s, 0x75);
	put8(s, 0);
	size_t randx = s->n;
	put16(s, 0);
	put16(s, 0);
	put16(s, 0);
	put16(s, 0);
	set16(s, randx, (unsigned)(s->n - h));
	put8(s, 3);
	put8(s, 0xff);
	put8(s, 0);
	put16(s, 0);
	put16(s, 1);
	put16(s, 9);
	putbytes(s, "IPC\0NTFS\0", 9);
	nbss_end(s, n);
	/* A logoff answered with a DOS-class error (SRV_BADUID). */
	n = nbss_begin(c);
	smb1_hdr(c, 0x74, 3, false, 0, 0x801, 0x800, 0x0001);
	put8(c, 2);
	put8(c, 0xff);
	put8(c, 0);
	put16(c, 0);
	put16(c, 0);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb1_hdr(s, 0x74, 3, true, 0x005b0002u, 0x801, 0x800, 0x0001);
	put8(s, 0);
	put16(s, 0);
	nbss_end(s, n);
	/* NBSS keepalive and a session request before: skipped. */
	struct mb *all = mb_new();
	putbytes(all, "\x85\x00\x00\x00", 4);
	putbytes(all, c->b, c->n);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	feed(st, 0, all->b, all->n, 1);
	feed(st, 1, s->b, s->n, 1);
	assert_int_equal(st->next_id, 3);
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 0, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_SESSION_SETUP_ANDX\",\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"ntlmssp\":{\"domain\":\"CORP\",\"user\":\"bob\",\"host\":\"WKS02\""));
	assert_true(has(&r, "\"request\":{\"native_os\":\"Windows 5.1\",\"native_lm\":\"LM\"}"));
	record(st, 1, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_TREE_CONNECT_ANDX\""));
	assert_true(has(&r, "\"tree_id\":2049,\"named_pipe\":\"\\\\\\\\SRV\\\\IPC$\","
			    "\"service\":{\"request\":\"?????\",\"response\":\"IPC\"}"));
	record(st, 2, &r);
	assert_true(has(&r, "\"status\":\"SRV_BADUID\",\"status_code\":\"0x005b\""));
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c);
	free(s);
	free(tok);
	free(all);
}

/* SMB1: NT create on a pipe, TransactNmPipe bind, write/read AndX request
 * and response, close. */
static void smb1_word_block(struct mb *m, size_t hdr_at, unsigned wc,
			    const struct mb *words, const struct mb *bytes)
{
	(void)hdr_at;
	put8(m, wc);
	putbytes(m, words->b, words->n);
	put16(m, (unsigned)bytes->n);
	putbytes(m, bytes->b, bytes->n);
}

static void test_smb1_pipe_file_ops(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *w = mb_new(), *b = mb_new();
	struct mb *bind = mb_new(), *ack = mb_new(), *req = mb_new(), *res = mb_new();
	dce_bind(bind);
	dce_bind_ack(ack);
	dce_request(req, 3, 15, "\x01\x02\x03\x04", 4);
	dce_response(res);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	/* Tree connect (so the tree is a pipe) */
	size_t n = nbss_begin(c);
	smb1_hdr(c, 0x75, 1, false, 0, 0, 0x800, 0xc807);
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, 0); put16(w, 1);
	put8(b, 0);
	if ((c->n + 1 + w->n + 2 + 1 - n - 4) % 2)
		put8(b, 0);
	putu16s(b, "\\\\S\\IPC$");
	put16(b, 0);
	putbytes(b, "?????", 6);
	smb1_word_block(c, n + 4, 4, w, b);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb1_hdr(s, 0x75, 1, true, 0, 0x801, 0x800, 0xc807);
	w->n = b->n = 0;
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, 1);
	putbytes(b, "IPC\0", 4);
	smb1_word_block(s, n + 4, 3, w, b);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 3);
	feed(st, 1, s->b, s->n, 3);
	/* NT create \srvsvc */
	c->n = s->n = w->n = b->n = 0;
	n = nbss_begin(c);
	smb1_hdr(c, 0xa2, 2, false, 0, 0x801, 0x800, 0xc807);
	put8(w, 0xff); put8(w, 0); put16(w, 0); put8(w, 0); put16(w, 14);
	put32(w, 0x16); put32(w, 0); put32(w, 0x2019f); put64(w, 0); put32(w, 0);
	put32(w, 3); put32(w, 1); put32(w, 0x1000); put32(w, 2); put8(w, 0);
	put8(b, 0);	/* pad: the name starts at an even offset */
	putu16s(b, "\\srvsvc");
	smb1_word_block(c, n + 4, 24, w, b);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb1_hdr(s, 0xa2, 2, true, 0, 0x801, 0x800, 0xc807);
	w->n = b->n = 0;
	put8(w, 0xff); put8(w, 0); put16(w, 0); put8(w, 0); put16(w, 0x4000); put32(w, 1);
	putzero(w, 32); put32(w, 0x80); put64(w, 4096); put64(w, 0); put16(w, 2); put16(w, 0x5ff); put8(w, 0);
	smb1_word_block(s, n + 4, 34, w, b);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 1000);
	feed(st, 1, s->b, s->n, 1000);
	/* TransactNmPipe carrying the bind, answered with the bind_ack. */
	c->n = s->n = w->n = b->n = 0;
	n = nbss_begin(c);
	smb1_hdr(c, 0x25, 3, false, 0, 0x801, 0x800, 0xc807);
	size_t doff = 32 + 1 + 32 + 2 + 1 + 14;
	put16(w, 0); put16(w, (unsigned)bind->n); put16(w, 0); put16(w, 4280); put8(w, 0); put8(w, 0);
	put16(w, 0); put32(w, 0); put16(w, 0); put16(w, 0); put16(w, 0);
	put16(w, (unsigned)bind->n); put16(w, (unsigned)doff); put8(w, 2); put8(w, 0);
	put16(w, 0x26); put16(w, 0x4000);
	put8(b, 0);
	putu16s(b, "\\PIPE\\");
	put16(b, 0);
	putbytes(b, bind->b, bind->n);
	smb1_word_block(c, n + 4, 16, w, b);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb1_hdr(s, 0x25, 3, true, 0, 0x801, 0x800, 0xc807);
	w->n = b->n = 0;
	size_t roff = 32 + 1 + 20 + 2 + 1;
	put16(w, 0); put16(w, (unsigned)ack->n); put16(w, 0); put16(w, 0); put16(w, (unsigned)roff);
	put16(w, 0); put16(w, (unsigned)ack->n); put16(w, (unsigned)roff); put16(w, 0); put8(w, 0); put8(w, 0);
	put8(b, 0);
	putbytes(b, ack->b, ack->n);
	smb1_word_block(s, n + 4, 10, w, b);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 1000);
	feed(st, 1, s->b, s->n, 1000);
	/* Write AndX with the request, read AndX with the response, close. */
	c->n = s->n = w->n = b->n = 0;
	n = nbss_begin(c);
	smb1_hdr(c, 0x2f, 4, false, 0, 0x801, 0x800, 0xc807);
	size_t woff = 32 + 1 + 24 + 2 + 1;
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, 0x4000); put32(w, 0); put32(w, 0);
	put16(w, 8); put16(w, 0); put16(w, 0); put16(w, (unsigned)req->n); put16(w, (unsigned)woff);
	put8(b, 0);
	putbytes(b, req->b, req->n);
	smb1_word_block(c, n + 4, 12, w, b);
	nbss_end(c, n);
	n = nbss_begin(c);
	w->n = b->n = 0;
	smb1_hdr(c, 0x2e, 5, false, 0, 0x801, 0x800, 0xc807);
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, 0x4000); put32(w, 0); put16(w, 1024);
	put16(w, 0); put32(w, 0); put16(w, 0); put32(w, 0);
	smb1_word_block(c, n + 4, 12, w, b);
	nbss_end(c, n);
	n = nbss_begin(c);
	w->n = b->n = 0;
	smb1_hdr(c, 0x04, 6, false, 0, 0x801, 0x800, 0xc807);
	put16(w, 0x4000); put32(w, 0);
	smb1_word_block(c, n + 4, 3, w, b);
	nbss_end(c, n);
	n = nbss_begin(s);
	w->n = b->n = 0;
	smb1_hdr(s, 0x2f, 4, true, 0, 0x801, 0x800, 0xc807);
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, (unsigned)req->n); put16(w, 0); put32(w, 0);
	smb1_word_block(s, n + 4, 6, w, b);
	nbss_end(s, n);
	n = nbss_begin(s);
	w->n = b->n = 0;
	smb1_hdr(s, 0x2e, 5, true, 0, 0x801, 0x800, 0xc807);
	size_t rdoff = 32 + 1 + 24 + 2 + 1;
	put8(w, 0xff); put8(w, 0); put16(w, 0); put16(w, 0); put16(w, 0); put16(w, 0);
	put16(w, (unsigned)res->n); put16(w, (unsigned)rdoff); put16(w, 0); putzero(w, 8);
	put8(b, 0);
	putbytes(b, res->b, res->n);
	smb1_word_block(s, n + 4, 12, w, b);
	nbss_end(s, n);
	n = nbss_begin(s);
	w->n = b->n = 0;
	smb1_hdr(s, 0x04, 6, true, 0, 0x801, 0x800, 0xc807);
	smb1_word_block(s, n + 4, 0, w, b);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 11);
	feed(st, 1, s->b, s->n, 11);

	/* tree, create, trans(bind), write(request), read, close */
	assert_int_equal(st->next_id, 6);
	for (uint64_t i = 0; i < 6; i++)
		assert_true(app_smb.tx_done(tx_at(st, i), false));
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 1, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_NT_CREATE_ANDX\",\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"filename\":\"\\\\srvsvc\",\"disposition\":\"FILE_OPEN\",\"access\":\"delete on close\""));
	record(st, 2, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_TRANS\""));
	assert_true(has(&r, "\"dcerpc\":{\"request\":\"BIND\",\"response\":\"BINDACK\""));
	record(st, 3, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_WRITE_ANDX\""));
	assert_true(has(&r, "\"dcerpc\":{\"request\":\"REQUEST\",\"response\":\"RESPONSE\",\"opnum\":15,"
			    "\"req\":{\"frag_cnt\":1,\"stub_data_size\":4}"));
	record(st, 4, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_READ_ANDX\",\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"filename\":\"\\\\srvsvc\""));
	record(st, 5, &r);
	assert_true(has(&r, "\"command\":\"SMB1_COMMAND_CLOSE\""));
	assert_int_equal(st->nfiles, 0);
	const uint8_t *p;
	size_t pn;
	assert_true(app_smb.get_buffer(tx_at(st, 3), APP_BUF_DCERPC_STUB_DATA, 0, &p, &pn));
	assert_int_equal(pn, 4);
	assert_memory_equal(p, "\x01\x02\x03\x04", 4);
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c); free(s); free(w); free(b); free(bind); free(ack); free(req); free(res);
}

/* SET_INFO rename and delete disposition; logoff. */
static void test_set_info_logoff(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new();
	struct smb_state *st = app_smb.state_new(&test_cfg);
	STEP(st, c, s, m_tree(c, s, 1, "\\\\srv\\data", 1, 3));
	STEP(st, c, s, m_create(c, s, 2, 3, "old.txt", FID2));
	c->n = s->n = 0;
	for (int k = 0; k < 3; k++) {
		size_t n = nbss_begin(c);
		smb2_hdr(c, 17, 3 + (uint64_t)k, 0, 0, 3, SID);
		put16(c, 33);
		put8(c, 1);
		put8(c, k == 0 ? 10 : k == 1 ? 13 : 4);	/* rename, disposition, basic */
		size_t lenat = c->n;
		put32(c, 0);
		put16(c, 96);
		put16(c, 0);
		put32(c, 0);
		putbytes(c, FID2, 16);
		size_t d = c->n;
		if (k == 0) {
			putzero(c, 16);
			put32(c, 14);
			putu16s(c, "new.txt");
		} else {
			put8(c, 1);
		}
		set32(c, lenat, (uint32_t)(c->n - d));
		nbss_end(c, n);
		n = nbss_begin(s);
		smb2_hdr(s, 17, 3 + (uint64_t)k, RESP, 0, 3, SID);
		put16(s, 2);
		nbss_end(s, n);
	}
	size_t n = nbss_begin(c);
	smb2_hdr(c, 2, 9, 0, 0, 0, SID);
	put16(c, 4);
	put16(c, 0);
	nbss_end(c, n);
	n = nbss_begin(s);
	smb2_hdr(s, 2, 9, RESP, 0, 0, SID);
	put16(s, 4);
	put16(s, 0);
	nbss_end(s, n);
	feed(st, 0, c->b, c->n, 1000);
	feed(st, 1, s->b, s->n, 1000);
	/* tree, create, rename, disposition (the basic-info set has none), logoff */
	assert_int_equal(st->next_id, 5);
	struct buf r;
	buf_init(&r, 1 << 16);
	record(st, 2, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_SET_INFO\",\"status\":\"STATUS_SUCCESS\""));
	assert_true(has(&r, "\"set_info\":{\"class\":\"FILE_INFO\",\"info_level\":\"SMB2_FILE_RENAME_INFO\"},"
			    "\"rename\":{\"from\":\"old.txt\",\"to\":\"new.txt\"},"
			    "\"fuid\":\"00000009-0000-0000-0002-000000000000\""));
	record(st, 3, &r);
	assert_true(has(&r, "\"filename\":\"old.txt\",\"access\":\"delete on close\""));
	record(st, 4, &r);
	assert_true(has(&r, "\"command\":\"SMB2_COMMAND_SESSION_LOGOFF\",\"status\":\"STATUS_SUCCESS\""));
	no_counters(st);
	buf_release(&r);
	app_smb.state_free(st);
	free(c);
	free(s);
}

/* A long write is parsed from its prefix and its data skipped as it streams. */
static void test_large_record_and_encrypted(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *d = mb_new();
	putzero(d, 200000);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	STEP(st, c, s, m_tree(c, s, 1, "\\\\srv\\data", 1, 3));
	STEP(st, c, s, m_create(c, s, 2, 3, "big.bin", FID2));
	c->n = s->n = 0;
	m_write(c, s, 3, 3, FID2, d);
	m_close(c, s, 4, 3, FID2);
	size_t n = nbss_begin(c);
	putbytes(c, "\xfdSMB", 4);
	putzero(c, 60);
	nbss_end(c, n);
	feed(st, 0, c->b, c->n, 1460);
	feed(st, 1, s->b, s->n, 1460);
	assert_int_equal(st->next_id, 4);
	assert_int_equal(st->skip[0], 0);	/* the file data went by */
	assert_int_equal(st->counters[SMB_CNT_ENCRYPTED], 1);
	assert_int_equal(tx_at(st, 2)->cmd, SMB2_WRITE);
	assert_int_equal(tx_at(st, 3)->cmd, SMB2_CLOSE);
	app_smb.state_free(st);
	free(c);
	free(s);
	free(d);
}

/* After a gap the parser finds the next SMB header again. */
static void test_gap_resync(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new();
	m_tree(c, s, 1, "\\\\srv\\a", 1, 3);
	m_tree(c, s, 2, "\\\\srv\\b", 1, 4);
	struct smb_state *st = app_smb.state_new(&test_cfg);
	size_t first = c->n / 2;
	struct app_result r = app_smb.parse(st, 0, c->b + 10, c->n - 10, APP_F_GAP, 0);
	assert_int_not_equal(r.status, APP_ERROR);
	assert_int_equal(st->counters[SMB_CNT_GAP], 1);
	assert_int_equal(st->counters[SMB_CNT_RESYNC], 1);
	assert_int_equal(st->next_id, 1);
	assert_int_equal(tx_at(st, 0)->msg_id, 2);
	(void)first;
	app_smb.state_free(st);
	free(c);
	free(s);
}

/* Every truncation and lying length field of a conversation: no overread. */
static void test_truncated_and_lying(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new(), *d = mb_new(), *e = mb_new();
	m_negotiate(c, s);
	m_session(c, s, 1, "alice", true, 0);
	m_tree(c, s, 2, "\\\\srv\\IPC$", 2, 4);
	m_create(c, s, 3, 4, "srvsvc", FID);
	dce_bind(d);
	dce_bind_ack(e);
	m_write(c, s, 4, 4, FID, d);
	m_read(c, s, 5, 4, FID, e);
	struct mb *stream[2] = {c, s};
	for (int dir = 0; dir < 2; dir++) {
		struct mb *m = stream[dir];
		for (size_t len = 0; len <= m->n; len += (len < 400 ? 1 : 7)) {
			struct smb_state *st = app_smb.state_new(&test_cfg);
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, m->b, len);
			struct app_result r = app_smb.parse(st, dir, copy, len, APP_F_EOF, 0);
			assert_int_equal(r.consumed, len);
			free(copy);
			app_smb.state_free(st);
		}
		for (size_t off = 0; off < m->n; off++) {
			for (int v = 0; v < 3; v++) {
				uint8_t *copy = malloc(m->n);
				memcpy(copy, m->b, m->n);
				copy[off] = v == 0 ? 0x00 : v == 1 ? 0xff : (uint8_t)(copy[off] + 1);
				struct smb_state *st = app_smb.state_new(&test_cfg);
				app_smb.parse(st, dir, copy, m->n, APP_F_EOF, 0);
				app_smb.parse(st, !dir, stream[!dir]->b, stream[!dir]->n, APP_F_EOF, 0);
				struct tlog t = {{tl_begin, tl_end}, {0}, {0}};
				buf_init(&t.out, 1 << 16);
				for (uint64_t i = 0; i < st->next_id; i++) {
					void *tx = smb_tx_get(st, i);
					if (!tx)
						continue;
					app_smb.log_tx(tx, &t.lg);
					for (int b = 0; b < APP_BUF_MAX; b++) {
						const uint8_t *p;
						size_t pn;
						if (app_smb.get_buffer(tx, (enum app_buffer)b, 0, &p, &pn) && pn)
							(void)p[pn - 1];
					}
				}
				buf_release(&t.out);
				free(copy);
				app_smb.state_free(st);
			}
		}
	}
	free(c);
	free(s);
	free(d);
	free(e);
}

static void test_probe(void **state)
{
	(void)state;
	struct mb *c = mb_new(), *s = mb_new();
	m_negotiate(c, s);
	assert_int_equal(app_smb.probe(c->b, c->n, 0), 1);
	assert_int_equal(app_smb.probe(c->b, 6, 0), -1);
	assert_int_equal(app_smb.probe((const uint8_t *)"GET / HTTP/1.0\r\n", 16, 0), 0);
	assert_int_equal(app_smb.probe((const uint8_t *)"\x85\x00\x00\x00", 4, 0), 1);
	assert_int_equal(app_smb.probe((const uint8_t *)"\x00\x00\x00\x10XSMBxxxx", 12, 0), 0);
	free(c);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate_session_tree),
		cmocka_unit_test(test_file_rw),
		cmocka_unit_test(test_pipe_dcerpc),
		cmocka_unit_test(test_compound_out_of_order),
		cmocka_unit_test(test_smb1_andx_chain),
		cmocka_unit_test(test_smb1_pipe_file_ops),
		cmocka_unit_test(test_set_info_logoff),
		cmocka_unit_test(test_large_record_and_encrypted),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_truncated_and_lying),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
