/*
 * TLS (SSLv3, TLS 1.0-1.3): handshake in clear, JA3/JA3S, the server's
 * leaf certificate and EVE "tls" records.
 *
 * Why: Flame and other families talk to C&C servers over HTTPS; what a
 * sensor still sees there is the ClientHello (SNI, JA3 fingerprint), the
 * ServerHello and, up to TLS 1.2, the server certificate.  The rule engine
 * needs tls.sni / tls.cert_* / ja3.* buffers and the EVE output needs
 * Suricata 7's "tls" record (plus Suricata 8's client_alpns/server_alpns).
 *
 * Why hand-written: libssl terminates TLS, it does not follow both sides of
 * somebody else's handshake from a capture with bounded memory.  Only the
 * framing and hello parsing is ours; certificates are decoded by OpenSSL
 * (d2i_X509) and MD5/SHA-1 come from OpenSSL EVP.
 *
 * Per direction (struct tls_dir), record layer states:
 *   HEADER --5 bytes, type/version/length valid-->  BODY   tls_parse()
 *   HEADER --bad header-->                          APP_ERROR (framing lost)
 *   BODY   handshake in clear: whole record wanted (NEED_MORE 5+len), its
 *          fragment appended to the handshake reassembly buffer,
 *          complete messages handed to tls_handshake_msg()
 *   BODY   anything else (CCS, alert, application data, heartbeat, and
 *          every record once the direction is encrypted): skipped as it
 *          streams by (d->skip), only counted
 *   any    --ChangeCipherSpec, or ServerHello choosing TLS 1.3--> encrypted
 *   any    --GAP--> lost: the rest of the direction is consumed unread
 * An SSLv2-framed ClientHello (2-byte header, high bit set) as the first
 * record of the client is counted and skipped.
 *
 * Transactions: one per flow (the first handshake, as Suricata); it is
 * created by the first handshake message in clear.  It is done when
 * Suricata 7 marks the handshake done, so EVE records come out at the same
 * packet: after a parse() call that decoded the server certificate's
 * subject and issuer and the ServerHelloDone (TLS <= 1.2; after a
 * CertificateRequest only once the client sent its Certificate or
 * ChangeCipherSpec), at the first
 * application-data record in either direction (TLS 1.3, where it follows
 * the ServerHello, and resumed sessions; not 0-RTT data before the
 * ServerHello), or at eof.  A
 * HelloRetryRequest is not the ServerHello; the ClientHello kept is the
 * first one.  In TLS 1.3 a ChangeCipherSpec before the ServerHello is only
 * middlebox compatibility (RFC 8446 D.4) and does not mean "encrypted".
 *
 * Invariants: every byte is read through a cursor; a handshake message is
 * reassembled only up to TLS_HS_CAP; kept strings are capped (TLS_STR_CAP,
 * TLS_JA3_CAP), ALPN at TLS_MAX_ALPN entries; the tx pointer is cleared
 * when the dispatcher frees it and no second tx is made after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/jw.h"

#define TLS_REC_HDR 5
#define TLS_REC_MAX (16384u + 2048u)	/* TLSCiphertext limit, RFC 5246 6.2.3 */
#define TLS_HS_CAP (128u * 1024u)	/* one reassembled handshake message */
#define TLS_STR_CAP 1024u		/* SNI, subject, issuer, ALPN entry */
#define TLS_JA3_CAP (32u * 1024u)
#define TLS_MAX_ALPN 8

#define TLS_CT_CCS 20
#define TLS_CT_ALERT 21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA 23
#define TLS_CT_HEARTBEAT 24

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_CERTIFICATE_REQUEST 13
#define TLS_HS_SERVER_HELLO_DONE 14

#define TLS_EXT_SNI 0
#define TLS_EXT_GROUPS 10
#define TLS_EXT_POINT_FORMATS 11
#define TLS_EXT_SIG_ALGS 13
#define TLS_EXT_ALPN 16
#define TLS_EXT_EARLY_DATA 42
#define TLS_EXT_SUPPORTED_VERSIONS 43

#define TLS_V_SSL2 0x0002u
#define TLS_V_SSL3 0x0300u
#define TLS_V_10 0x0301u
#define TLS_V_12 0x0303u
#define TLS_V_13 0x0304u
#define TLS_V_13_PRE_DRAFT16 0x7f0fu	/* Suricata's label for drafts < 16 */

#define TLS_COUNTER_MAP(X)                                                    \
	X(BAD_RECORD, "tls.invalid_record")                                   \
	X(BAD_HANDSHAKE, "tls.invalid_handshake_message")                     \
	X(HS_TOO_LONG, "tls.handshake_too_long")                              \
	X(BAD_CLIENT_HELLO, "tls.invalid_client_hello")                       \
	X(BAD_SERVER_HELLO, "tls.invalid_server_hello")                       \
	X(BAD_EXTENSION, "tls.invalid_extension")                             \
	X(BAD_CERTIFICATE, "tls.invalid_certificate")                         \
	X(FIELD_TRUNCATED, "tls.field_truncated")                             \
	X(SSLV2_RECORD, "tls.sslv2_record")                                   \
	X(GAP, "tls.gap")                                                     \
	X(TRUNCATED, "tls.truncated")

enum tls_counter {
#define TLS_CNT_ENUM(id, name) TLS_CNT_##id,
	TLS_COUNTER_MAP(TLS_CNT_ENUM)
#undef TLS_CNT_ENUM
	TLS_CNT_MAX
};

static const char *const tls_counter_names[] = {
#define TLS_CNT_NAME(id, name) name,
	TLS_COUNTER_MAP(TLS_CNT_NAME)
#undef TLS_CNT_NAME
	NULL
};

/* One decoded leaf certificate. */
struct tls_cert {
	bool seen;			/* a Certificate message was parsed */
	struct buf subject, issuer;	/* TLS_STR_CAP */
	char serial[3 * 64];		/* "00:97:E6..." (up to 63 bytes shown) */
	char fingerprint[3 * 20];	/* SHA-1, "3a:0b:..." */
	char not_before[32], not_after[32];
};

struct tls_tx {
	uint64_t id;
	uint64_t ts;
	bool client_hello, server_hello, resumed, done;
	bool cert_request;		/* server sent CertificateRequest */
	bool server_done;		/* server sent ServerHelloDone */
	bool client_flight;		/* client Certificate or CCS seen */
	uint16_t client_version;	/* ClientHello.legacy_version */
	uint16_t client_max_version;	/* highest supported_versions entry */
	uint16_t server_legacy;		/* ServerHello.legacy_version */
	uint16_t version;		/* negotiated (supported_versions wins) */
	uint16_t cipher;
	uint8_t client_random[32];
	uint8_t session_id[32];
	uint8_t session_id_len;
	uint16_t nsig_algs;		/* signature_algorithms entries seen */
	bool early_data;		/* ClientHello offered 0-RTT data */
	struct buf sni;			/* server_name host_name, TLS_STR_CAP */
	struct buf alpn[2][TLS_MAX_ALPN];	/* [0] client offers, [1] server */
	unsigned nalpn[2];
	struct buf ja3, ja3s;		/* strings, TLS_JA3_CAP */
	char ja3_hash[33], ja3s_hash[33];
	struct tls_cert cert;		/* the server's leaf certificate */
	struct tls_cert client_cert;	/* the client's (client auth) */
};

struct tls_dir {
	struct buf hs;			/* handshake reassembly: one message of
					 * at most TLS_HS_CAP + one record */
	size_t skip;			/* bytes of the current record to skip */
	bool encrypted;			/* after CCS (or TLS 1.3 ServerHello) */
	bool hs_broken;			/* reassembly given up in this direction */
	bool lost;			/* gap: framing lost */
	bool seen;			/* a record was framed */
	uint64_t records, enc_records;
};

struct tls_state {
	const struct app_config *cfg;	/* borrowed */
	struct tls_tx *tx;		/* owned, the flow's one tx, or NULL */
	uint64_t next_id;		/* 0 or 1: tx ever created */
	struct tls_dir dir[2];
	uint64_t counters[TLS_CNT_MAX];
};

static const uint16_t tls_ports[] = {443, 465, 993, 995, 8443, 636, 853, 0};

/* Counts malformed input; debug builds also record the line that fired. */
#define TLS_BAD(st, c) ((void)MAMORI_FORMAT_ERR(), (st)->counters[(c)]++)

/* ---- helpers ------------------------------------------------------------- */

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool tls_grease(uint16_t v)
{
	return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu);
}

static void tls_set(struct tls_state *st, struct buf *b, const uint8_t *p,
		    size_t n)
{
	buf_reset(b);
	if (n > TLS_STR_CAP) {
		st->counters[TLS_CNT_FIELD_TRUNCATED]++;
		n = TLS_STR_CAP;
	}
	(void)buf_append(b, p, n);
}

static void tls_hex(char *dst, size_t cap, const uint8_t *p, size_t n,
		    bool upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 < cap; i++) {
		if (i)
			dst[o++] = ':';
		dst[o++] = d[p[i] >> 4];
		dst[o++] = d[p[i] & 15];
	}
	dst[o] = '\0';
}

/* MD5 of s as 32 lowercase hex digits into out[33] ("" on failure). */
static void tls_md5(const struct buf *s, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = '\0';
	if (EVP_Digest(s->p ? s->p : (const uint8_t *)"", s->len, md, &mdlen,
		       EVP_md5(), NULL) != 1 || mdlen != 16)
		return;
	static const char hx[] = "0123456789abcdef";
	for (unsigned i = 0; i < 16; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[32] = '\0';
}

/* Appends "-v" (or "v" first) to a JA3 list. */
static void tls_ja3_item(struct buf *b, bool *first, unsigned v)
{
	(void)buf_printf(b, *first ? "%u" : "-%u", v);
	*first = false;
}

/* ---- transactions -------------------------------------------------------- */

static struct tls_tx *tls_tx_new(uint64_t id)
{
	struct tls_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->id = id;
	buf_init(&tx->sni, TLS_STR_CAP);
	buf_init(&tx->cert.subject, TLS_STR_CAP);
	buf_init(&tx->cert.issuer, TLS_STR_CAP);
	buf_init(&tx->client_cert.subject, TLS_STR_CAP);
	buf_init(&tx->client_cert.issuer, TLS_STR_CAP);
	buf_init(&tx->ja3, TLS_JA3_CAP);
	buf_init(&tx->ja3s, TLS_JA3_CAP);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < TLS_MAX_ALPN; i++)
			buf_init(&tx->alpn[s][i], TLS_STR_CAP);
	return tx;
}

static void tls_tx_free(struct tls_tx *tx)
{
	if (!tx)
		return;
	buf_release(&tx->sni);
	buf_release(&tx->cert.subject);
	buf_release(&tx->cert.issuer);
	buf_release(&tx->client_cert.subject);
	buf_release(&tx->client_cert.issuer);
	buf_release(&tx->ja3);
	buf_release(&tx->ja3s);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < TLS_MAX_ALPN; i++)
			buf_release(&tx->alpn[s][i]);
	free(tx);
}

/* The flow's tx, created on first use; NULL once it was logged and freed. */
static struct tls_tx *tls_tx(struct tls_state *st, uint64_t ts)
{
	if (!st->tx && st->next_id == 0) {
		st->tx = tls_tx_new(0);
		if (st->tx)
			st->next_id = 1;
	}
	if (st->tx && !st->tx->done)
		st->tx->ts = ts;
	return st->tx;
}

/* ---- hellos -------------------------------------------------------------- */

/* ALPN protocol_name_list (RFC 7301) into tx->alpn[side]. */
static bool tls_alpn(struct tls_state *st, struct tls_tx *tx, int side,
		     struct cursor ext)
{
	uint16_t n;
	struct cursor l;
	if (!cur_u16be(&ext, &n) || !cur_sub(&ext, n, &l) || cur_len(&ext))
		return false;
	tx->nalpn[side] = 0;
	while (cur_len(&l)) {
		uint8_t pl;
		const uint8_t *p;
		if (!cur_u8(&l, &pl) || !cur_bytes(&l, pl, &p))
			return false;
		if (tx->nalpn[side] < TLS_MAX_ALPN)
			tls_set(st, &tx->alpn[side][tx->nalpn[side]++], p, pl);
	}
	return true;
}

/* server_name (RFC 6066 3): the first host_name entry. */
static bool tls_sni(struct tls_state *st, struct tls_tx *tx, struct cursor ext)
{
	uint16_t n;
	struct cursor l;
	if (!cur_u16be(&ext, &n) || !cur_sub(&ext, n, &l) || cur_len(&ext))
		return false;
	while (cur_len(&l)) {
		uint8_t type;
		uint16_t nl;
		const uint8_t *p;
		if (!cur_u8(&l, &type) || !cur_u16be(&l, &nl) ||
		    !cur_bytes(&l, nl, &p))
			return false;
		if (type == 0 && !tx->sni.len) {
			tls_set(st, &tx->sni, p, nl);
			break;
		}
	}
	return true;
}

/* A u16-length list of u16 values into the JA3 buffer (GREASE skipped). */
static bool tls_u16_list(struct cursor ext, struct buf *ja3, bool u8len,
			 uint16_t *count)
{
	struct cursor l;
	if (u8len) {
		uint8_t n;
		if (!cur_u8(&ext, &n) || !cur_sub(&ext, n, &l))
			return false;
	} else {
		uint16_t n;
		if (!cur_u16be(&ext, &n) || !cur_sub(&ext, n, &l))
			return false;
	}
	if (cur_len(&ext) || cur_len(&l) % 2)
		return false;
	bool first = true;
	uint16_t v;
	while (cur_u16be(&l, &v)) {
		if (count)
			(*count)++;
		if (ja3 && !tls_grease(v))
			tls_ja3_item(ja3, &first, v);
	}
	return true;
}

/*
 * ClientHello (RFC 8446 4.1.2 / RFC 5246 7.4.1.2) and its JA3 string:
 * "Version,Ciphers,Extensions,Groups,PointFormats", decimal values joined
 * by '-', GREASE values left out (Salesforce's ja3 definition).
 */
static void tls_client_hello(struct tls_state *st, struct tls_tx *tx,
			     struct cursor c)
{
	uint16_t ver, clen, elen;
	uint8_t sidlen, complen;
	const uint8_t *rnd, *sid;
	struct cursor ciphers, comp, exts;
	if (tx->client_hello)
		return;	/* the second ClientHello after a HelloRetryRequest */
	if (!cur_u16be(&c, &ver) || !cur_bytes(&c, 32, &rnd) ||
	    !cur_u8(&c, &sidlen) || sidlen > 32 || !cur_bytes(&c, sidlen, &sid) ||
	    !cur_u16be(&c, &clen) || !cur_sub(&c, clen, &ciphers) ||
	    !cur_u8(&c, &complen) || !cur_sub(&c, complen, &comp)) {
		TLS_BAD(st, TLS_CNT_BAD_CLIENT_HELLO);
		return;
	}
	tx->client_hello = true;
	tx->client_version = ver;
	memcpy(tx->client_random, rnd, 32);
	memcpy(tx->session_id, sid, sidlen);
	tx->session_id_len = sidlen;

	struct buf groups, points;
	buf_init(&groups, TLS_JA3_CAP);
	buf_init(&points, TLS_JA3_CAP);
	buf_reset(&tx->ja3);
	(void)buf_printf(&tx->ja3, "%u,", ver);
	bool first = true;
	uint16_t v;
	if (clen % 2)
		TLS_BAD(st, TLS_CNT_BAD_CLIENT_HELLO);
	while (cur_u16be(&ciphers, &v))
		if (!tls_grease(v))
			tls_ja3_item(&tx->ja3, &first, v);
	(void)buf_putc(&tx->ja3, ',');

	first = true;
	cur_init(&exts, NULL, 0);
	if (cur_len(&c) && (!cur_u16be(&c, &elen) || !cur_sub(&c, elen, &exts)))
		TLS_BAD(st, TLS_CNT_BAD_CLIENT_HELLO);
	while (cur_len(&exts)) {
		uint16_t type, len;
		struct cursor e;
		if (!cur_u16be(&exts, &type) || !cur_u16be(&exts, &len) ||
		    !cur_sub(&exts, len, &e)) {
			TLS_BAD(st, TLS_CNT_BAD_EXTENSION);
			break;
		}
		if (!tls_grease(type))
			tls_ja3_item(&tx->ja3, &first, type);
		bool ok = true;
		switch (type) {
		case TLS_EXT_SNI:
			ok = tls_sni(st, tx, e);
			break;
		case TLS_EXT_GROUPS:
			buf_reset(&groups);
			ok = tls_u16_list(e, &groups, false, NULL);
			break;
		case TLS_EXT_POINT_FORMATS: {
			uint8_t n, pf;
			struct cursor l;
			bool pfirst = true;
			ok = cur_u8(&e, &n) && cur_sub(&e, n, &l) && !cur_len(&e);
			buf_reset(&points);
			while (ok && cur_u8(&l, &pf))
				tls_ja3_item(&points, &pfirst, pf);
			break;
		}
		case TLS_EXT_SIG_ALGS:
			ok = tls_u16_list(e, NULL, false, &tx->nsig_algs);
			break;
		case TLS_EXT_ALPN:
			ok = tls_alpn(st, tx, 0, e);
			break;
		case TLS_EXT_EARLY_DATA:
			tx->early_data = true;
			break;
		case TLS_EXT_SUPPORTED_VERSIONS: {
			uint8_t n;
			struct cursor l;
			ok = cur_u8(&e, &n) && cur_sub(&e, n, &l) && !cur_len(&e) &&
			     n % 2 == 0;
			while (ok && cur_u16be(&l, &v))
				if (!tls_grease(v) && v > tx->client_max_version)
					tx->client_max_version = v;
			break;
		}
		default:
			break;
		}
		if (!ok)
			TLS_BAD(st, TLS_CNT_BAD_EXTENSION);
	}
	(void)buf_putc(&tx->ja3, ',');
	(void)buf_append(&tx->ja3, groups.p, groups.len);
	(void)buf_putc(&tx->ja3, ',');
	(void)buf_append(&tx->ja3, points.p, points.len);
	buf_release(&groups);
	buf_release(&points);
	tls_md5(&tx->ja3, tx->ja3_hash);
}

/* Suricata's rules for early TLS 1.3 drafts that used the version field. */
static uint16_t tls_hello_version(uint16_t v)
{
	if ((v >= 0x7f01u && v < 0x7f10u) || v == TLS_V_13)
		return TLS_V_13_PRE_DRAFT16;
	return v;
}

static bool tls_is_13(uint16_t v)
{
	return v == TLS_V_13 || v == TLS_V_13_PRE_DRAFT16 || (v >> 8) == 0x7f ||
	       (v >> 8) == 0xfb;
}

/* RFC 8446 4.1.3: the random of a HelloRetryRequest. */
static const uint8_t tls_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ServerHello and its JA3S string "Version,Cipher,Extensions". */
static void tls_server_hello(struct tls_state *st, struct tls_tx *tx,
			     struct cursor c)
{
	uint16_t ver, cipher, elen;
	uint8_t sidlen, comp;
	const uint8_t *rnd, *sid;
	struct cursor exts;
	if (tx->server_hello)
		return;
	if (!cur_u16be(&c, &ver) || !cur_bytes(&c, 32, &rnd)) {
		TLS_BAD(st, TLS_CNT_BAD_SERVER_HELLO);
		return;
	}
	/* TLS 1.3 drafts before 22 put their version here and have neither
	 * session id nor compression method. */
	bool draft = ver == TLS_V_13 || ((ver >> 8) == 0x7f && (ver & 0xffu) < 22) ||
		     (ver >> 8) == 0xfb;
	sidlen = 0;
	sid = rnd;
	comp = 0;
	if (draft ? !cur_u16be(&c, &cipher)
		  : (!cur_u8(&c, &sidlen) || sidlen > 32 ||
		     !cur_bytes(&c, sidlen, &sid) || !cur_u16be(&c, &cipher) ||
		     !cur_u8(&c, &comp))) {
		TLS_BAD(st, TLS_CNT_BAD_SERVER_HELLO);
		return;
	}
	bool hrr = !memcmp(rnd, tls_hrr_random, 32);
	tx->server_legacy = ver;
	tx->version = tls_hello_version(ver);
	tx->cipher = cipher;
	if (sidlen && sidlen == tx->session_id_len &&
	    !memcmp(sid, tx->session_id, sidlen))
		tx->resumed = true;
	buf_reset(&tx->ja3s);
	(void)buf_printf(&tx->ja3s, "%u,%u,", ver, cipher);
	cur_init(&exts, NULL, 0);
	if (cur_len(&c) && (!cur_u16be(&c, &elen) || !cur_sub(&c, elen, &exts)))
		TLS_BAD(st, TLS_CNT_BAD_SERVER_HELLO);
	bool first = true;
	while (cur_len(&exts)) {
		uint16_t type, len;
		struct cursor e;
		if (!cur_u16be(&exts, &type) || !cur_u16be(&exts, &len) ||
		    !cur_sub(&exts, len, &e)) {
			TLS_BAD(st, TLS_CNT_BAD_EXTENSION);
			break;
		}
		if (!tls_grease(type))
			tls_ja3_item(&tx->ja3s, &first, type);
		bool ok = true;
		if (type == TLS_EXT_SUPPORTED_VERSIONS) {
			uint16_t sv;
			ok = cur_u16be(&e, &sv) && !cur_len(&e);
			if (ok)
				tx->version = sv;
		} else if (type == TLS_EXT_ALPN) {
			ok = tls_alpn(st, tx, 1, e);
		}
		if (!ok)
			TLS_BAD(st, TLS_CNT_BAD_EXTENSION);
	}
	tls_md5(&tx->ja3s, tx->ja3s_hash);
	if (hrr) {
		/* The client answers with a new ClientHello; not the real one. */
		tx->server_legacy = 0;
		tx->version = 0;
		return;
	}
	tx->server_hello = true;
	if (tls_is_13(tx->version)) {
		/* Everything after this ServerHello is encrypted. */
		st->dir[APP_DIR_TOCLIENT].encrypted = true;
		st->dir[APP_DIR_TOSERVER].encrypted = true;
	}
}

/* ---- certificate --------------------------------------------------------- */

/* x509-parser's (and so Suricata's) short names where OpenSSL's differ. */
static const char *tls_attr_name(int nid, char *tmp, size_t cap,
				 const ASN1_OBJECT *obj)
{
	if (nid == NID_pkcs9_emailAddress)
		return "Email";
	const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	if (sn)
		return sn;
	if (OBJ_obj2txt(tmp, (int)cap, obj, 1) <= 0)
		return "?";
	return tmp;
}

/* "C=US, O=Example, CN=www.example.com": RDNs in certificate order,
 * ", " between RDNs and " + " inside a multi-valued one. */
static void tls_name(struct tls_state *st, struct buf *out,
		     const X509_NAME *name)
{
	buf_reset(out);
	int n = X509_NAME_entry_count(name);
	int prev_set = -1;
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const ASN1_STRING *val = X509_NAME_ENTRY_get_data(e);
		int set = X509_NAME_ENTRY_set(e);
		char tmp[80];
		const char *key = tls_attr_name(OBJ_obj2nid(obj), tmp, sizeof(tmp), obj);
		if (i)
			(void)buf_puts(out, set == prev_set ? " + " : ", ");
		prev_set = set;
		(void)buf_printf(out, "%s=", key);
		unsigned char *u = NULL;
		int ul = ASN1_STRING_to_UTF8(&u, val);
		int rc = 0;
		if (ul >= 0)
			rc = buf_append(out, u, (size_t)ul);
		else
			rc = buf_append(out, ASN1_STRING_get0_data(val),
					(size_t)ASN1_STRING_length(val));
		OPENSSL_free(u);
		if (rc != 0) {
			st->counters[TLS_CNT_FIELD_TRUNCATED]++;
			break;
		}
	}
}

/* "2015-02-12T18:07:27" (Suricata's notbefore/notafter format). */
static void tls_time(char *dst, size_t cap, const ASN1_TIME *t)
{
	struct tm tm;
	dst[0] = '\0';
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	/* strftime bounds every field, unlike "%04d" on a struct tm. */
	if (strftime(dst, cap, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		dst[0] = '\0';
}

/* The serial's DER content octets (leading 00 kept), as Suricata prints. */
static void tls_serial(char *dst, size_t cap, const ASN1_INTEGER *serial)
{
	unsigned char *der = NULL;
	dst[0] = '\0';
	int n = i2d_ASN1_INTEGER(serial, &der);
	if (n > 2) {
		struct cursor c;
		uint8_t tag, l0;
		cur_init(&c, der, (size_t)n);
		size_t len = 0;
		bool ok = cur_u8(&c, &tag) && cur_u8(&c, &l0);
		if (ok && l0 & 0x80) {
			uint8_t k = l0 & 0x7f, b;
			for (uint8_t i = 0; ok && i < k; i++) {
				ok = cur_u8(&c, &b) && len < (SIZE_MAX >> 8);
				len = (len << 8) | b;
			}
		} else {
			len = l0;
		}
		const uint8_t *p;
		if (ok && cur_bytes(&c, len, &p))
			tls_hex(dst, cap, p, len, true);
	}
	OPENSSL_free(der);
}

/* Certificate (RFC 5246 7.4.2): the first (leaf) certificate is decoded
 * into crt. */
static void tls_certificate(struct tls_state *st, struct tls_cert *crt,
			    struct cursor c)
{
	uint8_t l[3];
	const uint8_t *der;
	if (crt->seen)
		return;
	if (!cur_copy(&c, l, 3) || !cur_copy(&c, l, 3)) {
		TLS_BAD(st, TLS_CNT_BAD_CERTIFICATE);
		return;
	}
	size_t n = ((size_t)l[0] << 16) | ((size_t)l[1] << 8) | l[2];
	if (!cur_bytes(&c, n, &der) || n == 0) {
		TLS_BAD(st, TLS_CNT_BAD_CERTIFICATE);
		return;
	}
	crt->seen = true;
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)n);
	if (!x) {
		TLS_BAD(st, TLS_CNT_BAD_CERTIFICATE);
		return;
	}
	tls_name(st, &crt->subject, X509_get_subject_name(x));
	tls_name(st, &crt->issuer, X509_get_issuer_name(x));
	tls_serial(crt->serial, sizeof(crt->serial), X509_get0_serialNumber(x));
	tls_time(crt->not_before, sizeof(crt->not_before), X509_get0_notBefore(x));
	tls_time(crt->not_after, sizeof(crt->not_after), X509_get0_notAfter(x));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(der, n, md, &mdlen, EVP_sha1(), NULL) == 1)
		tls_hex(crt->fingerprint, sizeof(crt->fingerprint), md, mdlen, false);
	X509_free(x);
}

/* ---- record layer -------------------------------------------------------- */

static void tls_handshake_msg(struct tls_state *st, int dir, uint8_t type,
			      struct cursor body, uint64_t ts)
{
	struct tls_tx *tx = tls_tx(st, ts);
	if (!tx || tx->done)
		return;
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
		if (dir == APP_DIR_TOSERVER)
			tls_client_hello(st, tx, body);
		break;
	case TLS_HS_SERVER_HELLO:
		if (dir == APP_DIR_TOCLIENT)
			tls_server_hello(st, tx, body);
		break;
	case TLS_HS_CERTIFICATE:
		if (dir == APP_DIR_TOCLIENT) {
			tls_certificate(st, &tx->cert, body);
		} else {
			tls_certificate(st, &tx->client_cert, body);
			tx->client_flight = true;
		}
		break;
	case TLS_HS_CERTIFICATE_REQUEST:
		if (dir == APP_DIR_TOCLIENT)
			tx->cert_request = true;
		break;
	case TLS_HS_SERVER_HELLO_DONE:
		if (dir == APP_DIR_TOCLIENT)
			tx->server_done = true;
		break;
	default:
		break;
	}
}

/* Appends one handshake record's fragment and runs complete messages. */
static void tls_handshake_frag(struct tls_state *st, int dir,
			       const uint8_t *p, size_t n, uint64_t ts)
{
	struct tls_dir *d = &st->dir[dir];
	if (d->hs_broken)
		return;
	if (buf_append(&d->hs, p, n) != 0) {
		TLS_BAD(st, TLS_CNT_HS_TOO_LONG);
		d->hs_broken = true;
		buf_release(&d->hs);
		return;
	}
	for (;;) {
		struct cursor c;
		uint8_t type, l[3];
		cur_init(&c, d->hs.p, d->hs.len);
		if (!cur_u8(&c, &type) || !cur_copy(&c, l, 3))
			return;
		size_t len = ((size_t)l[0] << 16) | ((size_t)l[1] << 8) | l[2];
		if (len + 4 > TLS_HS_CAP) {
			TLS_BAD(st, TLS_CNT_HS_TOO_LONG);
			d->hs_broken = true;
			buf_release(&d->hs);
			return;
		}
		struct cursor body;
		if (!cur_sub(&c, len, &body))
			return;
		tls_handshake_msg(st, dir, type, body, ts);
		buf_consume(&d->hs, 4 + len);
	}
}

/* A record this direction cannot read (encrypted, or not a handshake). */
static void tls_opaque_record(struct tls_state *st, int dir, uint8_t type,
			      uint64_t ts)
{
	struct tls_dir *d = &st->dir[dir];
	const struct tls_tx *tx = st->tx;
	if (type == TLS_CT_CCS) {
		/* TLS 1.3 sends CCS only for middlebox compatibility (RFC 8446
		 * D.4): a client that offered 1.3 may still get a clear
		 * ServerHello after a HelloRetryRequest and its own CCS. */
		if (tx && !tx->server_hello && tls_is_13(tx->client_max_version))
			return;
		if (!d->encrypted && d->hs.len)
			TLS_BAD(st, TLS_CNT_BAD_HANDSHAKE);
		if (st->tx && dir == APP_DIR_TOSERVER)
			st->tx->client_flight = true;
		d->encrypted = true;
		buf_release(&d->hs);
		return;
	}
	if (type == TLS_CT_APPDATA && st->tx && !st->tx->done &&
	    !(st->tx->early_data && !st->tx->server_hello)) {
		/* Application data: the handshake is over (Suricata's
		 * HANDSHAKE_DONE), unless it is 0-RTT data before the ServerHello. */
		st->tx->done = true;
		st->tx->ts = ts;
	}
	if (d->encrypted || type == TLS_CT_APPDATA)
		d->enc_records++;
}

static bool tls_valid_header(const uint8_t *p, uint16_t *len)
{
	uint8_t type = p[0];
	*len = (uint16_t)((p[3] << 8) | p[4]);
	return type >= TLS_CT_CCS && type <= TLS_CT_HEARTBEAT && p[1] == 3 &&
	       p[2] <= 4 && *len <= TLS_REC_MAX;
}

/* SSLv2 record header with a CLIENT-HELLO (RFC 6101 appendix E.2). */
static bool tls_sslv2_hello(const uint8_t *p, size_t n, size_t *reclen)
{
	if (n < 5 || !(p[0] & 0x80) || p[2] != 1 ||
	    !(p[3] == 3 || (p[3] == 0 && p[4] == 2)))
		return false;
	*reclen = 2 + (((size_t)p[0] & 0x7f) << 8 | p[1]);
	return true;
}

static struct app_result tls_parse(void *state, int dir, const uint8_t *data,
				   size_t len, unsigned flags, uint64_t ts)
{
	struct tls_state *st = state;
	struct tls_dir *d = &st->dir[dir & 1];
	struct app_result r = {APP_OK, 0, 0};
	if (flags & APP_F_GAP) {
		st->counters[TLS_CNT_GAP]++;
		d->lost = true;
		buf_release(&d->hs);
	}
	if (d->lost) {
		r.consumed = len;
		return r;
	}
	size_t off = 0;
	while (off < len) {
		if (d->skip) {
			size_t k = len - off < d->skip ? len - off : d->skip;
			off += k;
			d->skip -= k;
			continue;
		}
		const uint8_t *p = data + off;
		size_t avail = len - off;
		size_t v2len;
		if (!d->seen && dir == APP_DIR_TOSERVER &&
		    tls_sslv2_hello(p, avail, &v2len)) {
			st->counters[TLS_CNT_SSLV2_RECORD]++;
			d->seen = true;
			d->records++;
			d->skip = v2len;
			continue;
		}
		if (avail < TLS_REC_HDR) {
			r.status = APP_NEED_MORE;
			r.needed = TLS_REC_HDR;
			break;
		}
		uint16_t rlen;
		if (!tls_valid_header(p, &rlen)) {
			TLS_BAD(st, TLS_CNT_BAD_RECORD);
			r.consumed = off;
			r.status = APP_ERROR;
			return r;
		}
		d->seen = true;
		uint8_t type = p[0];
		if (type != TLS_CT_HANDSHAKE || d->encrypted) {
			d->records++;
			tls_opaque_record(st, dir, type, ts);
			off += TLS_REC_HDR;
			d->skip = rlen;
			continue;
		}
		if (avail < TLS_REC_HDR + (size_t)rlen) {
			r.status = APP_NEED_MORE;
			r.needed = TLS_REC_HDR + (size_t)rlen;
			break;
		}
		d->records++;
		tls_handshake_frag(st, dir, p + TLS_REC_HDR, rlen, ts);
		off += TLS_REC_HDR + (size_t)rlen;
	}
	r.consumed = off;
	/* Suricata marks the handshake done once the server certificate's
	 * subject and issuer are known, after the whole packet is parsed.
	 * We also want the ServerHelloDone that ends that flight (normally
	 * in the same packet), so a CertificateRequest after the certificate
	 * is not missed however the flight is cut, and after a
	 * CertificateRequest the client's answer, so tls.cert_* can match the
	 * client certificate (Suricata keeps inspecting its single tx; ours is
	 * freed once done). */
	struct tls_tx *tx = st->tx;
	if (tx && tx->cert.subject.len && tx->cert.issuer.len && tx->server_done &&
	    (!tx->cert_request || tx->client_flight))
		tx->done = true;
	if ((flags & APP_F_EOF) && (r.status == APP_NEED_MORE || d->hs.len || d->skip)) {
		st->counters[TLS_CNT_TRUNCATED]++;
		r.status = APP_OK;
		r.consumed = len;
		d->skip = 0;
		buf_release(&d->hs);
	}
	return r;
}

/* ---- app_proto hooks ----------------------------------------------------- */

static void *tls_state_new(const struct app_config *cfg)
{
	struct tls_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = cfg;
	for (int i = 0; i < 2; i++)
		buf_init(&st->dir[i].hs, TLS_HS_CAP + TLS_REC_MAX);
	return st;
}

static void tls_state_free(void *state)
{
	struct tls_state *st = state;
	if (!st)
		return;
	tls_tx_free(st->tx);
	for (int i = 0; i < 2; i++)
		buf_release(&st->dir[i].hs);
	free(st);
}

static uint64_t tls_tx_count(void *state)
{
	return ((struct tls_state *)state)->next_id;
}

static void *tls_tx_get(void *state, uint64_t id)
{
	struct tls_state *st = state;
	return st->tx && st->tx->id == id ? st->tx : NULL;
}

static bool tls_tx_done(void *vtx, bool eof)
{
	return ((struct tls_tx *)vtx)->done || eof;
}

static void tls_tx_free_upto(void *state, uint64_t upto)
{
	struct tls_state *st = state;
	if (st->tx && st->tx->id < upto) {
		tls_tx_free(st->tx);
		st->tx = NULL;
	}
}

/* Suricata's SSLVersionToString(). */
static void tls_version_str(uint16_t v, char *dst, size_t cap)
{
	static const struct {
		uint16_t v;
		const char *s;
	} names[] = {
		{0, "UNDETERMINED"},      {TLS_V_SSL2, "SSLv2"},
		{TLS_V_SSL3, "SSLv3"},    {TLS_V_10, "TLSv1"},
		{0x0302, "TLS 1.1"},      {TLS_V_12, "TLS 1.2"},
		{TLS_V_13, "TLS 1.3"},    {TLS_V_13_PRE_DRAFT16, "TLS 1.3 draft-<16"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v == v) {
			snprintf(dst, cap, "%s", names[i].s);
			return;
		}
	if ((v >> 8) == 0x7f)
		snprintf(dst, cap, "TLS 1.3 draft-%u", v & 0xffu);
	else if ((v >> 8) == 0xfb)
		snprintf(dst, cap, "TLS 1.3 draft-%u-fb", v & 0xffu);
	else
		snprintf(dst, cap, "0x%04x", v);
}

static void tls_log_alpn(struct jw *w, const char *key, const struct tls_tx *tx,
			 int side)
{
	if (!tx->nalpn[side])
		return;
	jw_open_arr(w, key);
	for (unsigned i = 0; i < tx->nalpn[side]; i++)
		jw_bytes(w, NULL, (const uint8_t *)buf_str(&tx->alpn[side][i]),
			 tx->alpn[side][i].len);
	jw_close_arr(w);
}

static void tls_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct tls_tx *tx = vtx;
	struct jw *w = lg->begin(lg, "tls", tx->ts);
	if (!w)
		return;
	char ver[32];
	jw_open_obj(w, "tls");
	const struct tls_cert *c = &tx->cert;
	if (c->subject.len)
		jw_bytes(w, "subject", c->subject.p, c->subject.len);
	if (c->issuer.len)
		jw_bytes(w, "issuerdn", c->issuer.p, c->issuer.len);
	/* As Suricata: a resumed session is one without a certificate and
	 * not TLS 1.3 (whose session id echo is middlebox compatibility). */
	if (tx->resumed && !c->seen && tx->server_hello &&
	    !tls_is_13(tx->version))
		jw_bool(w, "session_resumed", true);
	if (c->serial[0])
		jw_str(w, "serial", c->serial);
	if (c->fingerprint[0])
		jw_str(w, "fingerprint", c->fingerprint);
	if (tx->sni.len)
		jw_bytes(w, "sni", tx->sni.p, tx->sni.len);
	tls_version_str(tx->version, ver, sizeof(ver));
	jw_str(w, "version", ver);
	if (c->not_before[0])
		jw_str(w, "notbefore", c->not_before);
	if (c->not_after[0])
		jw_str(w, "notafter", c->not_after);
	if (tx->client_hello) {
		jw_open_obj(w, "ja3");
		jw_str(w, "hash", tx->ja3_hash);
		jw_bytes(w, "string", (const uint8_t *)buf_str(&tx->ja3), tx->ja3.len);
		jw_close_obj(w);
	}
	if (tx->server_hello) {
		jw_open_obj(w, "ja3s");
		jw_str(w, "hash", tx->ja3s_hash);
		jw_bytes(w, "string", (const uint8_t *)buf_str(&tx->ja3s), tx->ja3s.len);
		jw_close_obj(w);
	}
	tls_log_alpn(w, "client_alpns", tx, 0);
	tls_log_alpn(w, "server_alpns", tx, 1);
	jw_close_obj(w);
	lg->end(lg);
}

/* The idx-th decoded certificate: the server's first, then the client's. */
static const struct tls_cert *tls_cert_at(const struct tls_tx *tx, uint32_t idx)
{
	const struct tls_cert *certs[2] = {&tx->cert, &tx->client_cert};
	for (int i = 0; i < 2; i++) {
		const struct tls_cert *c = certs[i];
		if (!c->seen || !(c->subject.len || c->issuer.len || c->fingerprint[0]))
			continue;
		if (idx-- == 0)
			return c;
	}
	return NULL;
}

/*
 * tls.sni and ja3.* have one instance; tls.cert_* have one per decoded
 * certificate, the server's (instance 0) then the client's when the server
 * asked for one, so a rule matches either (Suricata 7 matches the client
 * certificate in the to-server direction).
 */
static bool tls_get_buffer(const void *vtx, enum app_buffer which,
			   uint32_t idx, const uint8_t **data, size_t *len)
{
	const struct tls_tx *tx = vtx;
	const struct tls_cert *c = NULL;
	const uint8_t *p = NULL;
	size_t n = 0;
	switch (which) {
	case APP_BUF_TLS_CERT_SUBJECT:
	case APP_BUF_TLS_CERT_ISSUER:
	case APP_BUF_TLS_CERT_SERIAL:
	case APP_BUF_TLS_CERT_FINGERPRINT:
		c = tls_cert_at(tx, idx);
		if (!c)
			return false;
		break;
	default:
		if (idx != 0)
			return false;
		break;
	}
	switch (which) {
	case APP_BUF_TLS_SNI:
		p = tx->sni.p, n = tx->sni.len;
		break;
	case APP_BUF_TLS_CERT_SUBJECT:
		p = c->subject.p, n = c->subject.len;
		break;
	case APP_BUF_TLS_CERT_ISSUER:
		p = c->issuer.p, n = c->issuer.len;
		break;
	case APP_BUF_TLS_CERT_SERIAL:
		p = (const uint8_t *)c->serial, n = strlen(c->serial);
		break;
	case APP_BUF_TLS_CERT_FINGERPRINT:
		p = (const uint8_t *)c->fingerprint, n = strlen(c->fingerprint);
		break;
	case APP_BUF_JA3_HASH:
		if (tx->client_hello)
			p = (const uint8_t *)tx->ja3_hash, n = strlen(tx->ja3_hash);
		break;
	case APP_BUF_JA3_STRING:
		if (tx->client_hello)
			p = tx->ja3.p, n = tx->ja3.len;
		break;
	default:
		break;
	}
	if (!p || !n)
		return false;
	*data = p;
	*len = n;
	return true;
}

static const uint64_t *tls_counters(void *state)
{
	return ((struct tls_state *)state)->counters;
}

/*
 * A handshake record starting with a ClientHello (to the server) or a
 * ServerHello (to the client); to the server also an SSLv2-framed
 * ClientHello.
 */
static int tls_probe(const uint8_t *data, size_t len, int dir)
{
	size_t v2;
	if (dir == APP_DIR_TOSERVER && tls_sslv2_hello(data, len, &v2))
		return 1;
	static const uint8_t want[2] = {TLS_CT_HANDSHAKE, 3};
	for (size_t i = 0; i < 2; i++) {
		if (i >= len)
			return -1;
		if (data[i] != want[i])
			return 0;
	}
	if (len < 6)
		return len > 2 && data[2] > 4 ? 0 : -1;
	if (data[2] > 4)
		return 0;
	uint8_t hs = dir == APP_DIR_TOSERVER ? TLS_HS_CLIENT_HELLO
					     : TLS_HS_SERVER_HELLO;
	return data[5] == hs ? 1 : 0;
}

const struct app_proto app_tls = {
	.name = "tls",
	.id = APP_TLS,
	.tcp = true,
	.udp = false,
	.ports = tls_ports,
	.probe = tls_probe,
	.state_new = tls_state_new,
	.state_free = tls_state_free,
	.parse = tls_parse,
	.tx_count = tls_tx_count,
	.tx_get = tls_tx_get,
	.tx_done = tls_tx_done,
	.tx_free_upto = tls_tx_free_upto,
	.log_tx = tls_log_tx,
	.get_buffer = tls_get_buffer,
	.counter_names = tls_counter_names,
	.counters = tls_counters,
};
