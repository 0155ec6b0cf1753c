/*
 * HTTP/1.x parser: request/status lines, headers, bodies, transactions.
 *
 * What: app_http (app.h) turns the two reassembled byte streams of a flow
 * into transactions, one per request/response pair, with the fields
 * Suricata's EVE "http" record and its http.* inspection buffers expose.
 *
 * Why hand-written: it sits on the packet path at line rate and must
 * follow libhtp's leniency (bare LF, folded and duplicated headers,
 * HTTP/0.9, junk lines) while never allocating without a cap.  Lines are
 * found with memchr; complete lines inside the caller's data are used in
 * place, only a line split across calls is copied (into a per-direction
 * buffer capped at max_line + 1), so parse() always consumes everything it
 * is given unless it returns APP_ERROR.  zlib does the decompression.
 *
 * Per direction, one state machine (enum http_phase):
 *
 *   state          event                        next / function
 *   PH_START       empty line                   PH_START (skipped)
 *   PH_START       request line                 PH_HEADERS  req_line()
 *                  (no protocol)                PH_V09
 *   PH_V09         "Name:" header line          PH_HEADERS (counted: missing
 *                                               protocol), else HTTP/0.9 done
 *   PH_START       status line                  PH_HEADERS  resp_line()
 *   PH_START       response not "HTTP/"         PH_BODY_CLOSE (line is body)
 *   PH_HEADERS     header / continuation line   PH_HEADERS  hdr_line()
 *   PH_HEADERS     empty line                   body_start(): PH_BODY_LEN,
 *                                               PH_CHUNK_SIZE, PH_BODY_CLOSE,
 *                                               PH_START (no body / 1xx),
 *                                               PH_RESYNC (CONNECT 2xx: probe
 *                                               once), PH_TUNNEL (101)
 *   PH_BODY_LEN    Content-Length bytes         msg_done() -> PH_START
 *   PH_CHUNK_SIZE  hex size line (size 0)       PH_CHUNK_DATA (PH_TRAILERS)
 *   PH_CHUNK_DATA  size bytes                   PH_CHUNK_END
 *   PH_CHUNK_END   CRLF                         PH_CHUNK_SIZE
 *   PH_TRAILERS    empty line                   msg_done() -> PH_START
 *   PH_BODY_CLOSE  bytes until APP_F_EOF        msg_done() -> PH_CLOSED
 *   any            APP_F_GAP, bad chunk size    PH_RESYNC  (message cut)
 *   PH_RESYNC      line starting "METHOD " or   PH_START
 *                  "HTTP/1." after a line end
 *                  (after CONNECT: the first     PH_START, else PH_TUNNEL)
 *                  bytes only
 *   any            APP_F_EOF                    PH_CLOSED  (message cut)
 *
 * Gaps: APP_F_GAP does not say how many bytes were lost, so a body with a
 * known length cannot be continued.  The message in progress is closed as
 * truncated and the direction resynchronises conservatively: it skips to
 * the next line that starts with a known method and a space (requests) or
 * with "HTTP/1." (responses).  A gap inside a read-until-close body is
 * only counted (the body has a hole).  Sixteen invalid request lines in a
 * row make the stream unfollowable: APP_ERROR.
 *
 * Transactions: a request line creates a tx; responses are matched to
 * requests in order (pipelining); a response with no outstanding request
 * gets a tx of its own.  1xx responses other than 101 are interim: they
 * are dropped and the next status line belongs to the same tx
 * (100-continue).  A tx is done when both of its messages are complete.
 *
 * Invariants: every struct buf has a cap from struct app_config; field
 * values are stored as offsets (struct http_ref) so buffer growth never
 * leaves a dangling pointer; get_buffer() borrows from the tx and may fill
 * per-tx caches (normalised URI and header buffers), so a tx must not be
 * inspected from two threads at once (flows are owned by one worker).
 *
 * Buffers present in both messages (http.header, http.header.raw,
 * http.cookie, http.content_type, http.content_len, http.protocol) have
 * up to two instances, the request's then the response's, absent ones
 * skipped (the rule engine walks idx until get_buffer() says no).  The
 * others answer for idx 0 only.
 *
 * Normalisation (http.uri): the path is percent-decoded (every valid %XX,
 * invalid escapes kept as sent) and dot segments are removed (RFC 3986
 * 5.2.4); the query and fragment are kept as sent; for an absolute URI
 * only path?query is kept (Suricata's uri-include-all: no).  http.host is
 * the host lowercased without port and trailing dots (libhtp), taken from
 * an absolute URI if there is one, else from the Host header.  http.header
 * is "Name: value\r\n" per header with duplicates joined by ", ", folded
 * lines joined by one space, trailing blanks cut, and Cookie (requests) /
 * Set-Cookie (responses) left out, as Suricata's documentation says.
 * Chunked trailers are parsed and bounded but not stored.
 *
 * Bodies: de-chunked bytes are kept up to body_limit per message; with
 * Content-Encoding gzip/x-gzip (gzip or zlib framing) or deflate (zlib
 * framing or raw deflate, told apart by the first two bytes as browsers
 * do) the kept bytes are inflated into at most decompress_limit bytes
 * (http.decompress_capped when cut).  http.request_body/response_body
 * (file_data) return the decoded body when decoding produced bytes, else
 * the kept ones.  EVE "length" is every de-chunked response body byte
 * seen, before decoding (libhtp's response_message_len).
 *
 * EVE "http" fields, in Suricata's order (output-json-http.c, extended
 * on): hostname, http_port (only when the Host/URI has a port), url (as
 * sent), http_user_agent, http_content_type (response, up to ';'),
 * http_refer, http_method, protocol (request's), status and redirect
 * (when there is a status line), length.
 *
 * Untrusted bytes are read by index inside lengths checked at each step
 * rather than through struct cursor: HTTP is text split with memchr and
 * scanned token by token, not fixed-size fields, and each scan is bounded
 * by the line it walks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "app/app.h"
#include "mamori/mamori.h"
#include "util/buf.h"
#include "util/jw.h"

#define HTTP_MAX_BAD_LINES 16	/* consecutive invalid request lines */
#define HTTP_RAW_CAP (1024u * 1024u)	/* header block bytes kept per message */
#define HTTP_INFLATE_STEP (64u * 1024u)

/* ---------------------------------------------------------------- counters */

#define HTTP_COUNTER_MAP(X)                                                   \
	X(INVALID_REQUEST_LINE, "http.invalid_request_line")                  \
	X(INVALID_RESPONSE_LINE, "http.invalid_response_line")                \
	X(INVALID_STATUS_CODE, "http.invalid_status_code")                    \
	X(INVALID_PROTOCOL, "http.invalid_protocol")                          \
	X(MISSING_PROTOCOL, "http.request_line_missing_protocol")             \
	X(START_LINE_TOO_LONG, "http.start_line_too_long")                    \
	X(HEADER_LINE_TOO_LONG, "http.header_line_too_long")                  \
	X(TOO_MANY_HEADERS, "http.too_many_headers")                          \
	X(HEADER_BLOCK_TOO_LARGE, "http.header_block_too_large")              \
	X(HEADER_MISSING_COLON, "http.header_missing_colon")                  \
	X(INVALID_HEADER_NAME, "http.invalid_header_name")                    \
	X(FOLDED_HEADER, "http.folded_header")                                \
	X(INVALID_CONTENT_LENGTH, "http.invalid_content_length")              \
	X(CL_AND_TE, "http.content_length_and_chunked")                       \
	X(INVALID_TRANSFER_ENCODING, "http.invalid_transfer_encoding")        \
	X(INVALID_CHUNK, "http.invalid_chunk")                                \
	X(CHUNK_NO_CRLF, "http.chunk_missing_crlf")                           \
	X(UNKNOWN_ENCODING, "http.unknown_content_encoding")                  \
	X(DECOMPRESS_CAPPED, "http.decompress_capped")                        \
	X(DECOMPRESS_ERROR, "http.decompress_error")                          \
	X(BODY_LIMIT, "http.body_limit")                                      \
	X(GAP, "http.gap")                                                    \
	X(TRUNCATED, "http.truncated")                                        \
	X(RESPONSE_WITHOUT_REQUEST, "http.response_without_request")          \
	X(INVALID_HOST, "http.invalid_host")                                  \
	X(TOO_MANY_TX, "http.too_many_tx")                                    \
	X(DESYNC, "http.desync")                                              \
	X(NOMEM, "http.nomem")

enum http_counter {
#define HTTP_CNT_ENUM(id, name) HC_##id,
	HTTP_COUNTER_MAP(HTTP_CNT_ENUM)
#undef HTTP_CNT_ENUM
	HC_MAX
};

static const char *const http_counter_names[] = {
#define HTTP_CNT_NAME(id, name) name,
	HTTP_COUNTER_MAP(HTTP_CNT_NAME)
#undef HTTP_CNT_NAME
	NULL
};

/* ----------------------------------------------------------------- headers */

/* Headers looked up by name; one table drives finalize and accessors. */
#define HTTP_KNOWN_MAP(X)                                                     \
	X(HOST, "host")                                                       \
	X(USER_AGENT, "user-agent")                                           \
	X(COOKIE, "cookie")                                                   \
	X(SET_COOKIE, "set-cookie")                                           \
	X(CONTENT_TYPE, "content-type")                                       \
	X(CONTENT_LENGTH, "content-length")                                   \
	X(TRANSFER_ENCODING, "transfer-encoding")                             \
	X(CONTENT_ENCODING, "content-encoding")                               \
	X(REFERER, "referer")                                                 \
	X(ACCEPT, "accept")                                                   \
	X(SERVER, "server")                                                   \
	X(LOCATION, "location")                                               \
	X(CONNECTION, "connection")

enum http_known {
#define HTTP_KNOWN_ENUM(id, name) HK_##id,
	HTTP_KNOWN_MAP(HTTP_KNOWN_ENUM)
#undef HTTP_KNOWN_ENUM
	HK_MAX
};

static const struct {
	const char *name;
	size_t len;
} http_known_names[] = {
#define HTTP_KNOWN_NAME(id, name) {name, sizeof(name) - 1},
	HTTP_KNOWN_MAP(HTTP_KNOWN_NAME)
#undef HTTP_KNOWN_NAME
};

/* Where a string lives inside a message (offsets survive buffer growth). */
enum http_src { SRC_NONE = 0, SRC_LINE, SRC_RAW, SRC_KV };

struct http_ref {
	uint8_t src;		/* enum http_src */
	uint32_t off, len;
};

struct http_field {
	struct http_ref name;	/* in raw */
	struct http_ref val;	/* in raw, or kv once folded/joined */
	uint32_t raw_end;	/* end of the value's last line in raw */
	bool folded;
	bool dup;		/* merged into an earlier field of the same name */
};

enum http_enc { ENC_NONE = 0, ENC_GZIP, ENC_DEFLATE };

struct http_msg {
	bool present;		/* start line seen (or body without one) */
	bool complete;
	bool truncated;		/* cut by a gap, EOF or an error */
	bool headers_done;
	bool v09;		/* HTTP/0.9 request: no headers */
	bool hdr_over;		/* max_headers reached (counted once) */
	struct buf line;	/* start line without its line end */
	/* request: method, uri, protocol; response: protocol, code, message */
	struct http_ref a, b, c;
	struct buf raw;		/* header block as sent, with the empty line */
	struct http_field *f;
	uint32_t nf, af;
	struct buf kv;		/* folded/joined values and the normalised host */
	int32_t known[HK_MAX];	/* field index, -1 when absent */
	struct buf body;	/* first body_limit body bytes (de-chunked) */
	struct buf dec;		/* decoded body (gzip/deflate) */
	uint64_t body_len;	/* every de-chunked body byte seen */
	uint8_t enc;		/* enum http_enc */
	bool dec_used;		/* dec holds the decoded body */
	struct buf norm_hdr;	/* lazily built http.header */
	bool norm_hdr_done;
};

struct http_tx {
	uint64_t id;
	uint64_t ts;		/* time of the last bytes that touched it */
	struct http_msg req, resp;
	bool forced_done;	/* closed early to honour max_tx */
	int status;		/* status code, -1 if none */
	struct http_ref host;	/* normalised host in req.kv */
	struct http_ref host_raw;	/* as sent, in req.line or req.raw/kv */
	int32_t port;		/* from the Host header / URI, -1 if none */
	struct http_ref path;	/* path?query#frag of the URI in req.line */
	bool abs_uri;		/* request URI was scheme://authority...*/
	struct buf uri_norm;	/* lazily built http.uri */
	bool uri_norm_done;
};

/* ----------------------------------------------------------------- state */

enum http_phase {
	PH_START = 0,
	PH_V09,
	PH_HEADERS,
	PH_BODY_LEN,
	PH_CHUNK_SIZE,
	PH_CHUNK_DATA,
	PH_CHUNK_END,
	PH_TRAILERS,
	PH_BODY_CLOSE,
	PH_RESYNC,
	PH_TUNNEL,
	PH_CLOSED,
};

struct http_dir {
	uint8_t phase;		/* enum http_phase */
	struct http_tx *tx;	/* message in progress (borrowed from txs) */
	struct buf line;	/* partial line, capped at max_line + 1 */
	bool line_long;		/* bytes past the cap were dropped */
	uint8_t line_last;	/* last byte of the partial line */
	uint64_t remain;	/* body or chunk bytes still expected */
	uint32_t trailers;	/* trailer lines seen */
	uint32_t bad_lines;	/* consecutive invalid request lines */
	bool resync_bol;	/* PH_RESYNC: at the start of a line */
	bool tunnel_probe;	/* PH_RESYNC after CONNECT: one look only */
	bool z_on;		/* zs initialised */
	bool z_stop;		/* decoding ended (capped, error, end) */
	uint8_t z_pre[2];	/* first body bytes before zlib/raw is known */
	uint8_t z_npre;
	z_stream zs;
};

struct http_state {
	const struct app_config *cfg;	/* borrowed */
	struct http_tx **txs;		/* alive txs, oldest first */
	size_t ntx, atx;
	uint64_t base_id;		/* id of txs[0] */
	uint64_t next_id;		/* ids ever created */
	uint64_t next_resp_id;		/* tx the next response belongs to */
	struct http_dir d[2];
	uint64_t cnt[HC_MAX];
};

static void hdr_finalize(struct http_state *st, struct http_msg *m);
static void host_finalize(struct http_state *st, struct http_tx *tx);

static const uint16_t http_ports[] = {80, 8080, 8000, 8008, 8888, 3128, 0};

/* Request methods recognised by probe() and by resynchronisation. */
static const struct {
	const char *s;
	size_t n;
} http_methods[] = {
#define M(x) {x, sizeof(x) - 1}
	M("GET"), M("POST"), M("HEAD"), M("PUT"), M("DELETE"), M("OPTIONS"),
	M("CONNECT"), M("TRACE"), M("PATCH"), M("PROPFIND"), M("PROPPATCH"),
	M("MKCOL"), M("COPY"), M("MOVE"), M("LOCK"), M("UNLOCK"), M("SEARCH"),
	M("REPORT"), M("CHECKOUT"), M("MERGE"), M("MKACTIVITY"), M("NOTIFY"),
	M("SUBSCRIBE"), M("UNSUBSCRIBE"), M("M-SEARCH"), M("PURGE"),
	M("VERSION-CONTROL"), M("BASELINE-CONTROL"), M("MKWORKSPACE"),
#undef M
};

/* RFC 7230 tchar, as a table: no per-byte branches in the hot path. */
static const uint8_t http_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static inline bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool eq_nocase(const uint8_t *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower(a[i]) != lower((uint8_t)b[i]))
			return false;
	return true;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline void count(struct http_state *st, enum http_counter c)
{
	st->cnt[c]++;
}

/* Appends up to n bytes without exceeding the cap; returns bytes taken. */
static size_t buf_append_some(struct buf *b, const uint8_t *p, size_t n)
{
	size_t room = b->max > b->len ? b->max - b->len : 0;
	if (n > room)
		n = room;
	if (n && buf_append(b, p, n) != 0)
		return 0;
	return n;
}

/* ------------------------------------------------------------- messages */

static const uint8_t *msg_ptr(const struct http_msg *m, struct http_ref r)
{
	const struct buf *b;
	switch (r.src) {
	case SRC_LINE:
		b = &m->line;
		break;
	case SRC_RAW:
		b = &m->raw;
		break;
	case SRC_KV:
		b = &m->kv;
		break;
	default:
		return (const uint8_t *)"";
	}
	/* an empty value may refer to a buffer never allocated */
	return b->p ? b->p + r.off : (const uint8_t *)"";
}

static void msg_init(struct http_msg *m, const struct app_config *cfg)
{
	memset(m, 0, sizeof(*m));
	size_t raw_cap = cfg->max_line * (cfg->max_headers + 2);
	if (raw_cap > HTTP_RAW_CAP || raw_cap / (cfg->max_headers + 2) != cfg->max_line)
		raw_cap = HTTP_RAW_CAP;
	buf_init(&m->line, cfg->max_line ? cfg->max_line : 1);
	buf_init(&m->raw, raw_cap ? raw_cap : 1);
	/* joined values are at most the header block plus separators */
	buf_init(&m->kv, 2 * (raw_cap ? raw_cap : 1) + 64);
	buf_init(&m->body, cfg->body_limit ? cfg->body_limit : 1);
	buf_init(&m->dec, cfg->decompress_limit ? cfg->decompress_limit : 1);
	buf_init(&m->norm_hdr, 2 * (raw_cap ? raw_cap : 1) + 64);
	for (int i = 0; i < HK_MAX; i++)
		m->known[i] = -1;
}

static void msg_release(struct http_msg *m)
{
	buf_release(&m->line);
	buf_release(&m->raw);
	buf_release(&m->kv);
	buf_release(&m->body);
	buf_release(&m->dec);
	buf_release(&m->norm_hdr);
	free(m->f);
	m->f = NULL;
}

/* Value of a known header, joined; false when absent. */
static bool msg_known(const struct http_msg *m, enum http_known k,
		      const uint8_t **p, size_t *n)
{
	if (!m->headers_done || m->known[k] < 0)
		return false;
	const struct http_field *f = &m->f[m->known[k]];
	*p = msg_ptr(m, f->val);
	*n = f->val.len;
	return true;
}

static struct http_tx *tx_new(struct http_state *st)
{
	if (st->ntx == st->atx) {
		size_t na = st->atx ? st->atx * 2 : 8;
		struct http_tx **nt = realloc(st->txs, na * sizeof(*nt));
		if (!nt)
			return NULL;
		st->txs = nt;
		st->atx = na;
	}
	struct http_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->id = st->next_id++;
	tx->status = -1;
	tx->port = -1;
	msg_init(&tx->req, st->cfg);
	msg_init(&tx->resp, st->cfg);
	buf_init(&tx->uri_norm, st->cfg->max_line * 2 + 16);
	st->txs[st->ntx++] = tx;
	return tx;
}

static void tx_free(struct http_tx *tx)
{
	msg_release(&tx->req);
	msg_release(&tx->resp);
	buf_release(&tx->uri_norm);
	free(tx);
}

static struct http_tx *tx_by_id(struct http_state *st, uint64_t id)
{
	if (id < st->base_id || id - st->base_id >= st->ntx)
		return NULL;
	return st->txs[id - st->base_id];
}

static bool tx_is_done(const struct http_tx *tx)
{
	return tx->forced_done ||
	       ((!tx->req.present || tx->req.complete) && tx->resp.complete);
}

/*
 * Keeps the open tx count under max_tx: when full, the oldest tx that no
 * direction is working on is closed early (logged as it is).  Returns
 * false when nothing can be closed (the stream is then given up).
 */
static bool tx_make_room(struct http_state *st)
{
	size_t cap = st->cfg->max_tx ? st->cfg->max_tx : 1;
	if (st->ntx < cap)
		return true;	/* open <= alive: the common, O(1) case */
	size_t open = 0;
	for (size_t i = 0; i < st->ntx; i++)
		if (!tx_is_done(st->txs[i]))
			open++;
	if (open < cap)
		return st->ntx < 2 * cap + 2;
	for (size_t i = 0; i < st->ntx; i++) {
		struct http_tx *tx = st->txs[i];
		if (tx_is_done(tx) || tx == st->d[0].tx || tx == st->d[1].tx)
			continue;
		tx->forced_done = true;
		count(st, HC_TOO_MANY_TX);
		return st->ntx < 2 * cap + 2;
	}
	return false;
}

/* ------------------------------------------------------------- decoding */

static void z_end(struct http_dir *d)
{
	if (d->z_on)
		inflateEnd(&d->zs);
	d->z_on = false;
	d->z_stop = true;
}

/* Feeds compressed bytes; output goes to m->dec up to decompress_limit. */
static void z_feed(struct http_state *st, struct http_dir *d,
		   struct http_msg *m, const uint8_t *p, size_t n)
{
	if (d->z_stop || n == 0)
		return;
	if (!d->z_on) {
		/* deflate: zlib-wrapped or raw, decided by the first 2 bytes */
		int wbits = 15 + 32;	/* gzip: gzip or zlib, auto-detected */
		if (m->enc == ENC_DEFLATE) {
			if (d->z_npre + n < 2) {
				d->z_pre[d->z_npre++] = p[0];
				return;
			}
			uint8_t b0 = d->z_npre ? d->z_pre[0] : p[0];
			uint8_t b1 = d->z_npre ? p[0] : p[1];
			bool zlib = (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 &&
				    ((unsigned)b0 * 256u + b1) % 31u == 0;
			wbits = zlib ? 15 : -15;
		}
		memset(&d->zs, 0, sizeof(d->zs));
		if (inflateInit2(&d->zs, wbits) != Z_OK) {
			count(st, HC_NOMEM);
			d->z_stop = true;
			return;
		}
		d->z_on = true;
		m->dec_used = true;
		if (d->z_npre) {
			uint8_t pre[2];
			memcpy(pre, d->z_pre, d->z_npre);
			size_t np = d->z_npre;
			d->z_npre = 0;
			z_feed(st, d, m, pre, np);
			if (d->z_stop)
				return;
		}
	}
	d->zs.next_in = (Bytef *)(uintptr_t)p;
	while (n > 0 && !d->z_stop) {
		uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
		d->zs.next_in = (Bytef *)(uintptr_t)p;
		d->zs.avail_in = chunk;
		for (;;) {
			size_t room = m->dec.max - m->dec.len;
			if (room == 0) {
				count(st, HC_DECOMPRESS_CAPPED);
				z_end(d);
				return;
			}
			if (room > HTTP_INFLATE_STEP)
				room = HTTP_INFLATE_STEP;
			uint8_t *out = buf_reserve(&m->dec, room);
			if (!out) {
				count(st, HC_NOMEM);
				z_end(d);
				return;
			}
			d->zs.next_out = out;
			d->zs.avail_out = (uInt)room;
			int zr = inflate(&d->zs, Z_NO_FLUSH);
			size_t made = room - d->zs.avail_out;
			buf_commit(&m->dec, made);
			if (zr == Z_STREAM_END) {
				z_end(d);
				return;
			}
			if (zr != Z_OK && zr != Z_BUF_ERROR) {
				count(st, HC_DECOMPRESS_ERROR);
				z_end(d);
				return;
			}
			if (d->zs.avail_in == 0 && d->zs.avail_out != 0)
				break;
			if (zr == Z_BUF_ERROR && made == 0)
				break;
		}
		p += chunk;
		n -= chunk;
	}
}

/* ----------------------------------------------------------- body bytes */

static void body_data(struct http_state *st, struct http_dir *d,
		      struct http_msg *m, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	uint64_t before = m->body_len;
	m->body_len += n;
	size_t limit = st->cfg->body_limit;
	if (before <= limit && m->body_len > limit)
		count(st, HC_BODY_LIMIT);	/* once per message */
	if (before >= limit)
		return;
	size_t keep = n;
	if (keep > limit - before)
		keep = (size_t)(limit - before);
	if (buf_append_some(&m->body, p, keep) != keep)
		count(st, HC_NOMEM);
	unsigned want = d == &st->d[0] ? APP_DECODE_REQUEST : APP_DECODE_RESPONSE;
	if (m->enc != ENC_NONE && (st->cfg->decode_bodies & want))
		z_feed(st, d, m, p, keep);
}

/* ------------------------------------------------------------ messages */

/* The message of direction d is complete (or cut short when truncated). */
static void msg_done(struct http_state *st, struct http_dir *d, bool truncated)
{
	struct http_tx *tx = d->tx;
	if (tx) {
		struct http_msg *m = d == &st->d[0] ? &tx->req : &tx->resp;
		if (truncated && !m->complete) {
			m->truncated = true;
			count(st, HC_TRUNCATED);
		}
		m->complete = true;
		if (!m->headers_done) {
			hdr_finalize(st, m);
			if (m == &tx->req)
				host_finalize(st, tx);
		}
		/* a 1-byte deflate body never reached zlib: decode it now */
		if (d->z_npre && !d->z_stop && m->enc == ENC_DEFLATE) {
			uint8_t b = d->z_pre[0];
			d->z_npre = 0;
			memset(&d->zs, 0, sizeof(d->zs));
			if (inflateInit2(&d->zs, -15) == Z_OK) {
				d->z_on = true;
				m->dec_used = true;
				z_feed(st, d, m, &b, 1);
			}
		}
	}
	z_end(d);
	d->z_stop = false;
	d->z_npre = 0;
	d->tx = NULL;
	d->remain = 0;
	d->trailers = 0;
	if (d->phase != PH_TUNNEL && d->phase != PH_CLOSED)
		d->phase = PH_START;
}

/* Splits "a b c" into three refs inside m->line (libhtp-lenient blanks). */
static void split3(struct http_msg *m, bool rest_is_one)
{
	const uint8_t *s = m->line.p;
	uint32_t n = (uint32_t)m->line.len, i = 0;
	while (i < n && is_ws(s[i]))
		i++;
	uint32_t a0 = i;
	while (i < n && !is_ws(s[i]))
		i++;
	m->a = (struct http_ref){SRC_LINE, a0, i - a0};
	while (i < n && is_ws(s[i]))
		i++;
	uint32_t b0 = i;
	while (i < n && !is_ws(s[i]))
		i++;
	m->b = (struct http_ref){SRC_LINE, b0, i - b0};
	while (i < n && is_ws(s[i]))
		i++;
	uint32_t c0 = i, c1 = n;
	if (!rest_is_one) {
		while (i < n && !is_ws(s[i]))
			i++;
		c1 = i;
	}
	while (c1 > c0 && is_ws(s[c1 - 1]))
		c1--;
	m->c = (struct http_ref){SRC_LINE, c0, c1 - c0};
}

/* Absolute URI "scheme://authority/path": sets the authority and path. */
static void uri_split(struct http_tx *tx)
{
	struct http_msg *m = &tx->req;
	const uint8_t *u = msg_ptr(m, m->b);
	uint32_t n = m->b.len, i = 0;
	tx->path = m->b;
	if (m->a.len == 7 && memcmp(msg_ptr(m, m->a), "CONNECT", 7) == 0) {
		tx->host_raw = m->b;	/* authority-form: the path is the URI */
		return;
	}
	if (n == 0 || u[0] == '/')
		return;
	while (i < n && (http_tchar[u[i]] && u[i] != '%' && u[i] != '/'))
		i++;
	if (i == 0 || i + 3 > n || memcmp(u + i, "://", 3) != 0)
		return;
	uint32_t a0 = i + 3, a1 = a0;
	while (a1 < n && u[a1] != '/' && u[a1] != '?' && u[a1] != '#')
		a1++;
	uint32_t h0 = a0;
	for (uint32_t k = a0; k < a1; k++)
		if (u[k] == '@')
			h0 = k + 1;
	tx->host_raw = (struct http_ref){SRC_LINE, m->b.off + h0, a1 - h0};
	tx->abs_uri = true;
	tx->path = (struct http_ref){SRC_LINE, m->b.off + a1, n - a1};
}

/*
 * Parses the request line: 1 done, 0 not a request line (counted), -1 the
 * stream cannot go on (tx cap or memory).
 */
static int req_line(struct http_state *st, struct http_dir *d,
		     const uint8_t *line, size_t n, bool too_long, uint64_t ts)
{
	size_t i = 0;
	while (i < n && http_tchar[line[i]])
		i++;
	size_t j = i;
	while (j < n && is_ws(line[j]))
		j++;
	if (i == 0 || j == i || j == n) {
		count(st, HC_INVALID_REQUEST_LINE);
		return 0;
	}
	if (!tx_make_room(st))
		return -1;
	struct http_tx *tx = tx_new(st);
	if (!tx) {
		count(st, HC_NOMEM);
		return -1;
	}
	if (too_long)
		count(st, HC_START_LINE_TOO_LONG);
	tx->ts = ts;
	struct http_msg *m = &tx->req;
	m->present = true;
	buf_append_some(&m->line, line, n);
	split3(m, false);
	/* anything after the protocol is junk libhtp also tolerates */
	const uint8_t *s = m->line.p;
	size_t end = m->c.off + m->c.len;
	while (end < m->line.len && is_ws(s[end]))
		end++;
	if (end < m->line.len)
		count(st, HC_INVALID_REQUEST_LINE);
	uri_split(tx);
	d->tx = tx;
	if (m->c.len == 0) {
		/* HTTP/0.9 (no headers, no body) unless header lines follow:
		 * PH_V09 looks at the next line (libhtp does the same) */
		m->v09 = true;
		d->phase = PH_V09;
		return 1;
	}
	if (m->c.len < 5 || !eq_nocase(msg_ptr(m, m->c), 5, "HTTP/", 5))
		count(st, HC_INVALID_PROTOCOL);
	d->phase = PH_HEADERS;
	return 1;
}

struct http_line {
	const uint8_t *p;	/* content without the line end */
	size_t n;
	size_t eol;		/* 0, 1 (LF) or 2 (CRLF) */
	bool too_long;
};

/* True when the next response answers an HTTP/0.9 request. */
static bool v09_next(struct http_state *st)
{
	uint64_t id = st->next_resp_id < st->base_id ? st->base_id : st->next_resp_id;
	for (struct http_tx *tx; (tx = tx_by_id(st, id)) != NULL; id++)
		if (!tx->forced_done && !tx->resp.present)
			return tx->req.v09;
	return false;
}

/* The tx a new response belongs to (creating one when none is waiting). */
static struct http_tx *resp_tx(struct http_state *st)
{
	if (st->next_resp_id < st->base_id)
		st->next_resp_id = st->base_id;
	for (;;) {
		struct http_tx *tx = tx_by_id(st, st->next_resp_id);
		if (!tx)
			break;
		st->next_resp_id++;
		if (!tx->forced_done && !tx->resp.present)
			return tx;
	}
	if (!tx_make_room(st))
		return NULL;
	struct http_tx *tx = tx_new(st);
	if (!tx) {
		count(st, HC_NOMEM);
		return NULL;
	}
	st->next_resp_id = st->next_id;
	count(st, HC_RESPONSE_WITHOUT_REQUEST);
	return tx;
}

/* Parses the status line (or takes the line as body): 1, or -1 on fatal. */
static int resp_line(struct http_state *st, struct http_dir *d,
		     const struct http_line *ln, uint64_t ts)
{
	static const uint8_t crlf[2] = {'\r', '\n'};
	const uint8_t *line = ln->p;
	size_t n = ln->n, i = 0;
	while (i < n && is_ws(line[i]))
		i++;
	bool is_status = n - i >= 5 && eq_nocase(line + i, 5, "HTTP/", 5);
	struct http_tx *tx = d->tx;	/* set after an interim 1xx */
	if (!tx) {
		tx = resp_tx(st);
		if (!tx)
			return -1;
		d->tx = tx;
	}
	tx->ts = ts;
	struct http_msg *m = &tx->resp;
	m->present = true;
	if (!is_status) {
		/* libhtp: a response without a status line is all body */
		if (!(tx->req.present && tx->req.v09))
			count(st, HC_INVALID_RESPONSE_LINE);
		m->headers_done = true;
		d->phase = PH_BODY_CLOSE;
		body_data(st, d, m, line, n);
		body_data(st, d, m, ln->eol == 2 ? crlf : crlf + 1, ln->eol);
		return 1;
	}
	if (ln->too_long)
		count(st, HC_START_LINE_TOO_LONG);
	buf_reset(&m->line);
	buf_append_some(&m->line, line, n);
	split3(m, true);
	const uint8_t *code = msg_ptr(m, m->b);
	if (m->b.len == 3 && code[0] >= '0' && code[0] <= '9' &&
	    code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9')
		tx->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 +
			     (code[2] - '0');
	else {
		tx->status = -1;
		count(st, HC_INVALID_STATUS_CODE);
	}
	d->phase = PH_HEADERS;
	return 1;
}

/* One header line (without line end) of the message in progress. */
static void hdr_line(struct http_state *st, struct http_msg *m,
		     const uint8_t *line, size_t n, size_t eol, bool too_long)
{
	static const uint8_t crlf[2] = {'\r', '\n'};
	if (too_long)
		count(st, HC_HEADER_LINE_TOO_LONG);
	bool cont = n > 0 && is_ws(line[0]);
	if (m->raw.len + n + eol > m->raw.max) {
		if (m->raw.len < m->raw.max) {
			count(st, HC_HEADER_BLOCK_TOO_LARGE);
			m->raw.max = m->raw.len;	/* count once */
		}
		return;
	}
	if (m->raw.alloc == 0) {
		/* one allocation fits most header blocks */
		size_t want = m->raw.max < 2048 ? m->raw.max : 2048;
		if (want > n + eol && !buf_reserve(&m->raw, want - 1)) {
			count(st, HC_NOMEM);
			return;
		}
	}
	uint32_t off = (uint32_t)m->raw.len;
	if (buf_append(&m->raw, line, n) != 0 ||
	    buf_append(&m->raw, eol == 2 ? crlf : crlf + 1, eol) != 0) {
		count(st, HC_NOMEM);
		return;
	}
	if (cont) {
		if (m->nf == 0) {
			count(st, HC_INVALID_HEADER_NAME);
			return;
		}
		struct http_field *f = &m->f[m->nf - 1];
		f->folded = true;
		f->raw_end = off + (uint32_t)n;
		count(st, HC_FOLDED_HEADER);
		return;
	}
	const uint8_t *colon = memchr(line, ':', n);
	if (!colon) {
		count(st, HC_HEADER_MISSING_COLON);
		return;
	}
	size_t nl = (size_t)(colon - line);
	size_t ne = nl;
	while (ne > 0 && is_ws(line[ne - 1]))
		ne--;
	bool bad = ne == 0 || ne != nl;
	for (size_t i = 0; i < ne && !bad; i++)
		bad = !http_tchar[line[i]];
	if (bad)
		count(st, HC_INVALID_HEADER_NAME);
	if (ne == 0)
		return;
	if (m->nf >= st->cfg->max_headers) {
		if (!m->hdr_over)
			count(st, HC_TOO_MANY_HEADERS);
		m->hdr_over = true;
		/* past the cap only the body framing is kept: without it
		 * the body would be parsed as requests */
		if (m->nf >= st->cfg->max_headers + 4 ||
		    !(eq_nocase(line, ne, "content-length", 14) ||
		      eq_nocase(line, ne, "transfer-encoding", 17)))
			return;
	}
	if (m->nf == m->af) {
		uint32_t na = m->af ? m->af * 2 : 16;
		if (na > st->cfg->max_headers + 4)
			na = (uint32_t)st->cfg->max_headers + 4;
		struct http_field *nfp = realloc(m->f, na * sizeof(*nfp));
		if (!nfp) {
			count(st, HC_NOMEM);
			return;
		}
		m->f = nfp;
		m->af = na;
	}
	size_t v = nl + 1;
	while (v < n && is_ws(line[v]))
		v++;
	struct http_field *f = &m->f[m->nf++];
	memset(f, 0, sizeof(*f));
	f->name = (struct http_ref){SRC_RAW, off, (uint32_t)ne};
	f->val = (struct http_ref){SRC_RAW, off + (uint32_t)v, (uint32_t)(n - v)};
	f->raw_end = off + (uint32_t)n;
}

static uint32_t trim_end(const uint8_t *p, uint32_t n)
{
	while (n > 0 && is_ws(p[n - 1]))
		n--;
	return n;
}

/*
 * End of the header block: unfolds continuation lines, joins duplicate
 * names with ", " (libhtp), and indexes the known headers.
 */
static void hdr_finalize(struct http_state *st, struct http_msg *m)
{
	for (uint32_t i = 0; i < m->nf; i++) {
		struct http_field *f = &m->f[i];
		if (f->folded) {
			/* value lines joined by one space, line ends dropped */
			uint32_t off = (uint32_t)m->kv.len;
			const uint8_t *r = m->raw.p;
			uint32_t k = f->val.off, e = f->raw_end;
			bool ok = true;
			while (k < e && ok) {
				const uint8_t *lf = memchr(r + k, '\n', e - k);
				uint32_t le = lf ? (uint32_t)(lf - r) : e;
				uint32_t ce = le;
				if (lf && ce > k && r[ce - 1] == '\r')
					ce--;
				uint32_t s = k;
				while (s < ce && is_ws(r[s]))
					s++;
				uint32_t t = s + trim_end(r + s, ce - s);
				if (t > s) {
					if (m->kv.len > off)
						ok = buf_putc(&m->kv, ' ') == 0;
					ok = ok && buf_append(&m->kv, r + s, t - s) == 0;
				}
				k = lf ? le + 1 : e;
			}
			if (!ok)
				count(st, HC_NOMEM);
			f->val = (struct http_ref){SRC_KV, off,
						   (uint32_t)m->kv.len - off};
		} else {
			f->val.len = trim_end(msg_ptr(m, f->val), f->val.len);
		}
	}
	for (uint32_t i = 0; i < m->nf; i++) {
		struct http_field *f = &m->f[i];
		if (f->dup)
			continue;
		/* names always live in raw (non-empty, so raw.p is set) */
		const uint8_t *name = m->raw.p + f->name.off;
		uint8_t c0 = lower(name[0]);
		bool has_dup = false;
		for (uint32_t j = i + 1; j < m->nf && !has_dup; j++) {
			const uint8_t *nj = m->raw.p + m->f[j].name.off;
			has_dup = m->f[j].name.len == f->name.len &&
				  lower(nj[0]) == c0 &&
				  eq_nocase(nj, f->name.len, (const char *)name,
					    f->name.len);
		}
		if (has_dup) {
			/* size first: reserving once keeps the sources (which
			 * may live in kv) in place while they are copied */
			size_t need = f->val.len;
			for (uint32_t j = i + 1; j < m->nf; j++) {
				struct http_field *g = &m->f[j];
				if (eq_nocase(msg_ptr(m, g->name), g->name.len,
					      (const char *)name, f->name.len)) {
					g->dup = true;
					need += 2 + g->val.len;
				}
			}
			uint32_t off = (uint32_t)m->kv.len;
			uint8_t *o = buf_reserve(&m->kv, need);
			if (!o) {
				count(st, HC_NOMEM);
			} else {
				name = msg_ptr(m, f->name);
				size_t w = f->val.len;
				memcpy(o, msg_ptr(m, f->val), w);
				for (uint32_t j = i + 1; j < m->nf; j++) {
					struct http_field *g = &m->f[j];
					if (!g->dup ||
					    !eq_nocase(msg_ptr(m, g->name), g->name.len,
						       (const char *)name, f->name.len))
						continue;
					o[w++] = ',';
					o[w++] = ' ';
					memcpy(o + w, msg_ptr(m, g->val), g->val.len);
					w += g->val.len;
				}
				buf_commit(&m->kv, w);
				f->val = (struct http_ref){SRC_KV, off, (uint32_t)w};
			}
		}
		for (int k = 0; k < HK_MAX; k++) {
			if (m->known[k] < 0 && http_known_names[k].len == f->name.len &&
			    (uint8_t)http_known_names[k].name[0] == c0 &&
			    eq_nocase(name, f->name.len, http_known_names[k].name,
				      http_known_names[k].len)) {
				m->known[k] = (int32_t)i;
				break;
			}
		}
	}
	m->headers_done = true;
}

/* Normalised host (lowercase, no port, no trailing dot) of the request. */
static void host_finalize(struct http_state *st, struct http_tx *tx)
{
	struct http_msg *m = &tx->req;
	const uint8_t *hv;
	size_t hn;
	if (tx->host_raw.src == SRC_NONE && msg_known(m, HK_HOST, &hv, &hn))
		tx->host_raw = m->f[m->known[HK_HOST]].val;
	if (tx->host_raw.src == SRC_NONE)
		return;
	const uint8_t *p = msg_ptr(m, tx->host_raw);
	size_t n = tx->host_raw.len, h1, ps;
	if (n > 0 && p[0] == '[') {
		const uint8_t *rb = memchr(p, ']', n);
		h1 = rb ? (size_t)(rb - p) + 1 : n;
		ps = h1;
	} else {
		const uint8_t *c = memchr(p, ':', n);
		h1 = c ? (size_t)(c - p) : n;
		ps = h1;
	}
	if (ps < n && p[ps] == ':') {
		uint32_t port = 0;
		size_t k = ps + 1;
		bool ok = k < n;
		for (; k < n && ok; k++) {
			ok = p[k] >= '0' && p[k] <= '9';
			port = port * 10 + (uint32_t)(p[k] - '0');
			ok = ok && port <= 65535;
		}
		if (ok && port > 0)
			tx->port = (int32_t)port;
		else if (ps + 1 < n)
			count(st, HC_INVALID_HOST);
	} else if (ps < n) {
		count(st, HC_INVALID_HOST);
	}
	while (h1 > 0 && p[h1 - 1] == '.')
		h1--;
	uint32_t off = (uint32_t)m->kv.len;
	uint8_t *out = buf_reserve(&m->kv, h1 + 1);
	if (!out) {
		count(st, HC_NOMEM);
		return;
	}
	/* p may point into kv, which buf_reserve may have moved */
	p = msg_ptr(m, tx->host_raw);
	for (size_t k = 0; k < h1; k++)
		out[k] = lower(p[k]);
	buf_commit(&m->kv, h1);
	tx->host = (struct http_ref){SRC_KV, off, (uint32_t)h1};
}

/* Parses a Content-Length value ("10" or joined "10, 10"); -1 if invalid. */
static int64_t parse_cl(const uint8_t *p, size_t n)
{
	int64_t val = -1;
	size_t i = 0;
	while (i < n) {
		while (i < n && (is_ws(p[i]) || p[i] == ','))
			i++;
		if (i == n)
			break;
		int64_t v = 0;
		size_t d0 = i;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (p[i] - '0');
			i++;
		}
		if (i == d0)
			return -1;
		while (i < n && is_ws(p[i]))
			i++;
		if (i < n && p[i] != ',')
			return -1;
		if (val >= 0 && v != val)
			return -1;
		val = v;
	}
	return val;
}

/* Last coding of a comma-separated list is "chunked". */
static int te_kind(const uint8_t *p, size_t n)
{
	size_t e = n;
	while (e > 0 && (is_ws(p[e - 1]) || p[e - 1] == ','))
		e--;
	size_t s = e;
	while (s > 0 && p[s - 1] != ',' && !is_ws(p[s - 1]))
		s--;
	return eq_nocase(p + s, e - s, "chunked", 7) ? 1 : 0;
}

static uint8_t encoding_of(struct http_state *st, struct http_msg *m)
{
	const uint8_t *p;
	size_t n;
	if (!msg_known(m, HK_CONTENT_ENCODING, &p, &n))
		return ENC_NONE;
	size_t s = 0;
	while (s < n && is_ws(p[s]))
		s++;
	p += s;
	n -= s;
	if (eq_nocase(p, n, "gzip", 4) || eq_nocase(p, n, "x-gzip", 6))
		return ENC_GZIP;
	if (eq_nocase(p, n, "deflate", 7))
		return ENC_DEFLATE;
	if (!eq_nocase(p, n, "identity", 8) && n > 0)
		count(st, HC_UNKNOWN_ENCODING);
	return ENC_NONE;
}

/*
 * The connection stops carrying this HTTP exchange (CONNECT 2xx, 101).
 * With probe (CONNECT), each direction's first bytes decide: HTTP again
 * (a plain-text proxy tunnel, as Suricata follows) or opaque bytes.
 */
static void tunnel(struct http_state *st, bool probe)
{
	for (int i = 0; i < 2; i++) {
		struct http_dir *d = &st->d[i];
		if (d->phase == PH_CLOSED)
			continue;
		if (d->phase != PH_START && d->phase != PH_RESYNC) {
			d->phase = PH_TUNNEL;
			msg_done(st, d, true);
		}
		buf_reset(&d->line);
		d->line_long = false;
		d->phase = probe ? PH_RESYNC : PH_TUNNEL;
		d->resync_bol = true;
		d->tunnel_probe = probe;
	}
}

/* Empty line after the headers: decides how the body is delimited. */
static void body_start(struct http_state *st, struct http_dir *d, bool resp)
{
	struct http_tx *tx = d->tx;
	struct http_msg *m = resp ? &tx->resp : &tx->req;
	hdr_finalize(st, m);
	if (!resp)
		host_finalize(st, tx);
	if (resp && tx->status >= 100 && tx->status < 200 && tx->status != 101) {
		/* interim response: drop it, the real one follows */
		msg_release(m);
		msg_init(m, st->cfg);
		m->present = true;
		tx->status = -1;
		d->phase = PH_START;
		return;
	}
	const uint8_t *p;
	size_t n;
	bool chunked = false, has_te = msg_known(m, HK_TRANSFER_ENCODING, &p, &n);
	if (has_te) {
		chunked = te_kind(p, n) == 1;
		if (!chunked)
			count(st, HC_INVALID_TRANSFER_ENCODING);
	}
	int64_t cl = -1;
	if (msg_known(m, HK_CONTENT_LENGTH, &p, &n)) {
		cl = parse_cl(p, n);
		if (cl < 0)
			count(st, HC_INVALID_CONTENT_LENGTH);
		if (chunked)
			count(st, HC_CL_AND_TE);
	}
	m->enc = encoding_of(st, m);
	if (resp) {
		bool connect = tx->req.present && tx->req.a.len == 7 &&
			       memcmp(msg_ptr(&tx->req, tx->req.a), "CONNECT", 7) == 0;
		bool head = tx->req.present && tx->req.a.len == 4 &&
			    memcmp(msg_ptr(&tx->req, tx->req.a), "HEAD", 4) == 0;
		if (tx->status == 101 ||
		    (connect && tx->status >= 200 && tx->status < 300)) {
			msg_done(st, d, false);
			tunnel(st, tx->status != 101);
			return;
		}
		if (head || tx->status == 204 || tx->status == 304) {
			msg_done(st, d, false);
			return;
		}
	}
	if (chunked) {
		d->phase = PH_CHUNK_SIZE;
	} else if (cl > 0) {
		d->phase = PH_BODY_LEN;
		d->remain = (uint64_t)cl;
		/* one allocation for the kept part instead of doubling */
		size_t keep = (uint64_t)cl < st->cfg->body_limit ? (size_t)cl
								   : st->cfg->body_limit;
		if (keep > 0 && keep <= m->body.max && !buf_reserve(&m->body, keep))
			count(st, HC_NOMEM);
	} else if (cl == 0 || !resp) {
		msg_done(st, d, false);
	} else {
		d->phase = PH_BODY_CLOSE;
	}
}

/* Hex chunk size with optional ";extensions"; -1 if invalid. */
static int64_t parse_chunk_size(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && is_ws(p[i]))
		i++;
	int64_t v = 0;
	size_t d0 = i;
	for (; i < n; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			break;
		if (v > (INT64_MAX >> 4))
			return -1;
		v = v * 16 + h;
	}
	if (i == d0)
		return -1;
	while (i < n && is_ws(p[i]))
		i++;
	if (i < n && p[i] != ';')
		return -1;
	return v;
}

/* Enters resynchronisation after lost or unparseable bytes. */
static void resync(struct http_state *st, struct http_dir *d, bool bol)
{
	msg_done(st, d, true);
	if (d->phase != PH_CLOSED && d->phase != PH_TUNNEL) {
		d->phase = d->tunnel_probe ? PH_TUNNEL : PH_RESYNC;
		d->resync_bol = bol;
	}
	d->tunnel_probe = false;
	buf_reset(&d->line);
	d->line_long = false;
}

/* A line that can start a message in direction dir (resync target). */
static int looks_like_start(const uint8_t *p, size_t n, int dir)
{
	if (dir == APP_DIR_TOCLIENT) {
		if (n < 7)
			return memcmp(p, "HTTP/1.", n) == 0 ? -1 : 0;
		return memcmp(p, "HTTP/1.", 7) == 0;
	}
	int maybe = 0;
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t m = http_methods[i].n;
		if (n >= m + 1) {
			if (memcmp(p, http_methods[i].s, m) == 0 && p[m] == ' ')
				return 1;
		} else if (memcmp(p, http_methods[i].s, n) == 0) {
			maybe = -1;	/* n <= m: a prefix of this method */
		}
	}
	return maybe;
}

/* ------------------------------------------------------------------ lines */


/*
 * Takes the next line from data at *off.  Returns true with *ln set when a
 * whole line is there; false when the rest was kept in d->line.
 */
static bool next_line(struct http_state *st, struct http_dir *d,
		      const uint8_t *data, size_t len, size_t *off,
		      struct http_line *ln)
{
	const uint8_t *p = data + *off;
	size_t avail = len - *off;
	const uint8_t *lf = memchr(p, '\n', avail);
	size_t max = st->cfg->max_line;
	if (!lf) {
		if (avail) {
			d->line_last = p[avail - 1];
			if (buf_append_some(&d->line, p, avail) != avail)
				d->line_long = true;
		}
		*off = len;
		return false;
	}
	size_t k = (size_t)(lf - p);
	*off += k + 1;
	if (d->line.len == 0 && !d->line_long) {
		ln->p = p;
		ln->n = k;
		ln->eol = 1;
		if (k > 0 && p[k - 1] == '\r') {
			ln->n--;
			ln->eol = 2;
		}
	} else {
		uint8_t last = k ? p[k - 1] : d->line_last;
		if (buf_append_some(&d->line, p, k) != k)
			d->line_long = true;
		ln->p = d->line.p ? d->line.p : p;
		ln->n = d->line.len;
		ln->eol = 1;
		if (last == '\r') {
			ln->eol = 2;
			if (!d->line_long && ln->n > 0)
				ln->n--;
		}
	}
	ln->too_long = ln->n > max;
	if (ln->too_long)
		ln->n = max;
	return true;
}

static void line_done(struct http_dir *d)
{
	if (d->line.len || d->line_long) {
		buf_reset(&d->line);
		d->line_long = false;
	}
}

/* --------------------------------------------------------------- parsing */

/* "Name:" with a token name: a header line, not a request line. */
static bool looks_like_header(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && http_tchar[p[i]])
		i++;
	return i > 0 && i < n && p[i] == ':';
}

/*
 * A line where a message may start.  Returns 0, or -1 when the stream is
 * given up (too many invalid lines, tx cap, memory).
 */
static int start_line(struct http_state *st, struct http_dir *d,
		      const struct http_line *ln, uint64_t ts)
{
	if (ln->n == 0 && ln->eol) {
		line_done(d);
		return 0;	/* blank lines between messages */
	}
	int r = d == &st->d[APP_DIR_TOCLIENT]
			? resp_line(st, d, ln, ts)
			: req_line(st, d, ln->p, ln->n, ln->too_long, ts);
	line_done(d);
	if (r > 0) {
		d->bad_lines = 0;
		return 0;
	}
	if (r < 0 || ++d->bad_lines >= HTTP_MAX_BAD_LINES) {
		count(st, HC_DESYNC);
		d->phase = PH_CLOSED;
		return -1;
	}
	return 0;
}

static enum app_status parse_dir(struct http_state *st, int dir,
				 const uint8_t *data, size_t len, uint64_t ts)
{
	struct http_dir *d = &st->d[dir];
	bool resp = dir == APP_DIR_TOCLIENT;
	size_t off = 0;
	struct http_line ln;
	if (d->tx)
		d->tx->ts = ts;
	while (off < len) {
		struct http_msg *m = d->tx ? (resp ? &d->tx->resp : &d->tx->req) : NULL;
		switch (d->phase) {
		case PH_START:
			if (resp && !d->tx && d->line.len == 0 && v09_next(st) &&
			    looks_like_start(data + off, len - off, APP_DIR_TOCLIENT) == 0) {
				/* HTTP/0.9 answer: no status line, body to EOF */
				struct http_tx *tx = resp_tx(st);
				if (!tx)
					return APP_ERROR;
				d->tx = tx;
				tx->ts = ts;
				tx->resp.present = true;
				tx->resp.headers_done = true;
				d->phase = PH_BODY_CLOSE;
				/* the server answered: the request was all there */
				struct http_dir *q = &st->d[APP_DIR_TOSERVER];
				if (q->tx == tx && q->phase == PH_V09) {
					tx->req.headers_done = true;
					msg_done(st, q, false);
				}
				break;
			}
			if (!next_line(st, d, data, len, &off, &ln))
				break;
			if (start_line(st, d, &ln, ts) < 0)
				return APP_ERROR;
			break;
		case PH_V09:
			if (!next_line(st, d, data, len, &off, &ln))
				break;
			if (looks_like_header(ln.p, ln.n)) {
				/* "GET /x" then headers: HTTP/1.x missing its protocol */
				m->v09 = false;
				count(st, HC_MISSING_PROTOCOL);
				d->phase = PH_HEADERS;
				hdr_line(st, m, ln.p, ln.n, ln.eol, ln.too_long);
				line_done(d);
				break;
			}
			m->headers_done = true;
			msg_done(st, d, false);
			if (start_line(st, d, &ln, ts) < 0)
				return APP_ERROR;
			break;
		case PH_HEADERS:
		case PH_TRAILERS:
			if (!next_line(st, d, data, len, &off, &ln))
				break;
			if (ln.n == 0) {
				line_done(d);
				if (d->phase == PH_TRAILERS) {
					msg_done(st, d, false);
				} else {
					static const uint8_t crlf[2] = {'\r', '\n'};
					if (m->raw.len + ln.eol <= m->raw.max)
						buf_append(&m->raw, ln.eol == 2 ? crlf : crlf + 1,
							   ln.eol);
					body_start(st, d, resp);
				}
				break;
			}
			if (d->phase == PH_HEADERS) {
				hdr_line(st, m, ln.p, ln.n, ln.eol, ln.too_long);
			} else {
				if (ln.too_long)
					count(st, HC_HEADER_LINE_TOO_LONG);
				if (++d->trailers == st->cfg->max_headers + 1)
					count(st, HC_TOO_MANY_HEADERS);
			}
			line_done(d);
			break;
		case PH_BODY_LEN:
		case PH_CHUNK_DATA: {
			size_t take = len - off;
			if (take > d->remain)
				take = (size_t)d->remain;
			body_data(st, d, m, data + off, take);
			off += take;
			d->remain -= take;
			if (d->remain == 0) {
				if (d->phase == PH_BODY_LEN)
					msg_done(st, d, false);
				else
					d->phase = PH_CHUNK_END;
			}
			break;
		}
		case PH_CHUNK_END:
		case PH_CHUNK_SIZE:
			if (!next_line(st, d, data, len, &off, &ln))
				break;
			if (d->phase == PH_CHUNK_END) {
				d->phase = PH_CHUNK_SIZE;
				if (ln.n == 0) {
					line_done(d);
					break;
				}
				count(st, HC_CHUNK_NO_CRLF);
			}
			{
				int64_t sz = ln.too_long ? -1 : parse_chunk_size(ln.p, ln.n);
				line_done(d);
				if (sz < 0) {
					count(st, HC_INVALID_CHUNK);
					resync(st, d, true);
				} else if (sz == 0) {
					d->phase = PH_TRAILERS;
				} else {
					d->remain = (uint64_t)sz;
					d->phase = PH_CHUNK_DATA;
				}
			}
			break;
		case PH_BODY_CLOSE:
			body_data(st, d, m, data + off, len - off);
			off = len;
			break;
		case PH_RESYNC: {
			if (!d->resync_bol) {
				const uint8_t *lf = memchr(data + off, '\n', len - off);
				if (!lf) {
					off = len;
					break;
				}
				off = (size_t)(lf - data) + 1;
				d->resync_bol = true;
				break;
			}
			/*
			 * At a line start: look at up to 20 bytes (the kept
			 * prefix from the last call, if any, plus new ones).
			 * A kept prefix that matches stays in d->line as the
			 * start of the line PH_START reads next.
			 */
			uint8_t tmp[20];
			size_t sn = d->line.len;
			size_t t = len - off < sizeof(tmp) - sn ? len - off : sizeof(tmp) - sn;
			if (sn)
				memcpy(tmp, d->line.p, sn);
			memcpy(tmp + sn, data + off, t);
			int like = looks_like_start(tmp, sn + t, dir);
			if (like > 0) {
				d->phase = PH_START;
				d->tunnel_probe = false;
			} else if (like < 0 && sn + t < sizeof(tmp)) {
				buf_append_some(&d->line, data + off, t);
				off += t;
			} else {
				buf_reset(&d->line);
				d->resync_bol = false;
				if (d->tunnel_probe) {
					d->tunnel_probe = false;
					d->phase = PH_TUNNEL;
				}
			}
			break;
		}
		case PH_TUNNEL:
		case PH_CLOSED:
			off = len;
			break;
		}
	}
	return APP_OK;
}

/* --------------------------------------------------------------- hooks */

static int http_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	size_t i = 0;
	while (i < len && i < 8 && (data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len)
		return -1;
	int r = looks_like_start(data + i, len - i, APP_DIR_TOCLIENT);
	if (r > 0)
		return 1;
	int q = looks_like_start(data + i, len - i, APP_DIR_TOSERVER);
	if (q > 0)
		return 1;
	return (r < 0 || q < 0) ? -1 : 0;
}

static void *http_state_new(const struct app_config *cfg)
{
	struct http_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = cfg;
	for (int i = 0; i < 2; i++)
		buf_init(&st->d[i].line, cfg->max_line + 1);
	return st;
}

static void http_state_free(void *state)
{
	struct http_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntx; i++)
		tx_free(st->txs[i]);
	free(st->txs);
	for (int i = 0; i < 2; i++) {
		z_end(&st->d[i]);
		buf_release(&st->d[i].line);
	}
	free(st);
}

static struct app_result http_parse(void *state, int dir, const uint8_t *data,
				    size_t len, unsigned flags, uint64_t ts)
{
	struct http_state *st = state;
	struct app_result res = {APP_OK, len, 0};
	struct http_dir *d = &st->d[dir ? 1 : 0];
	if (flags & APP_F_GAP) {
		count(st, HC_GAP);
		switch (d->phase) {
		case PH_BODY_CLOSE:
			d->z_stop = true;	/* a stream with a hole cannot inflate */
			z_end(d);
			break;
		case PH_TUNNEL:
		case PH_CLOSED:
			break;
		default:
			/* lost bytes leave no length to trust: look for the
			 * next message, starting with the bytes after the gap */
			resync(st, d, true);
			break;
		}
	}
	if (len) {
		enum app_status s = parse_dir(st, dir ? 1 : 0, data, len, ts);
		if (s == APP_ERROR) {
			res.status = APP_ERROR;
			return res;
		}
	}
	if (flags & APP_F_EOF) {
		if (d->phase == PH_START && d->line.len) {
			/* a last line without its line end */
			struct http_line ln = {d->line.p, d->line.len, 0, false};
			if (ln.n > st->cfg->max_line) {
				ln.n = st->cfg->max_line;
				ln.too_long = true;
			}
			if (dir)
				resp_line(st, d, &ln, ts);
			else
				req_line(st, d, ln.p, ln.n, ln.too_long, ts);
			line_done(d);
		} else if (d->phase == PH_HEADERS && d->line.len && d->tx) {
			struct http_msg *m = dir ? &d->tx->resp : &d->tx->req;
			size_t n = d->line.len;
			bool long_line = n > st->cfg->max_line;
			hdr_line(st, m, d->line.p, long_line ? st->cfg->max_line : n, 0,
				 long_line);
			line_done(d);
		}
		if (d->phase == PH_BODY_CLOSE) {
			msg_done(st, d, false);
		} else if (d->phase == PH_V09 && d->tx) {
			d->tx->req.headers_done = true;	/* a whole HTTP/0.9 request */
			msg_done(st, d, false);
		} else if (d->tx) {
			msg_done(st, d, true);
		}
		d->phase = PH_CLOSED;
	}
	return res;
}

static uint64_t http_tx_count(void *state)
{
	return ((struct http_state *)state)->next_id;
}

static void *http_tx_get(void *state, uint64_t id)
{
	return tx_by_id(state, id);
}

static bool http_tx_done(void *tx, bool eof)
{
	return eof || tx_is_done(tx);
}

static void http_tx_free_upto(void *state, uint64_t upto)
{
	struct http_state *st = state;
	size_t n = 0;
	while (n < st->ntx && st->txs[n]->id < upto) {
		struct http_tx *tx = st->txs[n];
		for (int i = 0; i < 2; i++) {
			if (st->d[i].tx == tx) {
				/* freed while in progress (flow end): stop */
				st->d[i].tx = NULL;
				z_end(&st->d[i]);
				st->d[i].phase = PH_CLOSED;
			}
		}
		tx_free(tx);
		n++;
	}
	if (n) {
		memmove(st->txs, st->txs + n, (st->ntx - n) * sizeof(*st->txs));
		st->ntx -= n;
		st->base_id += n;
	}
	if (st->ntx == 0)
		st->base_id = st->next_id;
}

static const uint64_t *http_counters(void *state)
{
	return ((struct http_state *)state)->cnt;
}

/* ------------------------------------------------------------- logging */

static void log_known(struct jw *w, const char *key, const struct http_msg *m,
		      enum http_known k)
{
	const uint8_t *p;
	size_t n;
	if (msg_known(m, k, &p, &n))
		jw_bytes(w, key, p, n);
}

static void http_log_tx(const void *txv, struct app_logger *lg)
{
	const struct http_tx *tx = txv;
	const struct http_msg *rq = &tx->req, *rs = &tx->resp;
	struct jw *w = lg->begin(lg, "http", tx->ts);
	if (!w)
		return;
	jw_open_obj(w, "http");
	if (tx->host.src != SRC_NONE)
		jw_bytes(w, "hostname", msg_ptr(rq, tx->host), tx->host.len);
	if (tx->port >= 0)
		jw_u64(w, "http_port", (uint64_t)tx->port);
	if (rq->present)
		jw_bytes(w, "url", msg_ptr(rq, rq->b), rq->b.len);
	log_known(w, "http_user_agent", rq, HK_USER_AGENT);
	const uint8_t *p;
	size_t n;
	if (msg_known(rs, HK_CONTENT_TYPE, &p, &n)) {
		const uint8_t *semi = memchr(p, ';', n);
		jw_bytes(w, "http_content_type", p, semi ? (size_t)(semi - p) : n);
	}
	log_known(w, "http_refer", rq, HK_REFERER);
	if (rq->present) {
		jw_bytes(w, "http_method", msg_ptr(rq, rq->a), rq->a.len);
		if (rq->c.len)
			jw_bytes(w, "protocol", msg_ptr(rq, rq->c), rq->c.len);
	}
	if (rs->line.len) {
		jw_u64(w, "status", tx->status > 0 ? (uint64_t)tx->status : 0);
		log_known(w, "redirect", rs, HK_LOCATION);
	}
	jw_u64(w, "length", rs->body_len);
	jw_close_obj(w);
	lg->end(lg);
}

/* ----------------------------------------------------- inspection buffers */

/* http.uri: percent-decoded path without dot segments, then ?query. */
static void build_uri_norm(struct http_tx *tx)
{
	tx->uri_norm_done = true;
	struct buf *b = &tx->uri_norm;
	const struct http_msg *m = &tx->req;
	const uint8_t *u = msg_ptr(m, tx->path);
	size_t n = tx->path.len, pe = 0;
	while (pe < n && u[pe] != '?' && u[pe] != '#')
		pe++;
	if (pe == 0 && tx->abs_uri) {
		if (buf_putc(b, '/') != 0)
			return;
	}
	uint8_t *o = buf_reserve(b, pe + 1);
	if (!o)
		return;
	size_t w = 0;
	for (size_t i = 0; i < pe; i++) {
		int h1, h2;
		if (u[i] == '%' && i + 2 < pe && (h1 = hexval(u[i + 1])) >= 0 &&
		    (h2 = hexval(u[i + 2])) >= 0) {
			o[w++] = (uint8_t)(h1 * 16 + h2);
			i += 2;
		} else {
			o[w++] = u[i];
		}
	}
	/* remove dot segments in place (RFC 3986 5.2.4): out never passes in */
	size_t r = 0, q = 0;
	while (r < w) {
		size_t left = w - r;
		const uint8_t *s = o + r;
		if (left >= 3 && memcmp(s, "../", 3) == 0) {
			r += 3;
		} else if (left >= 2 && memcmp(s, "./", 2) == 0) {
			r += 2;
		} else if (left >= 3 && memcmp(s, "/./", 3) == 0) {
			r += 2;
		} else if (left == 2 && memcmp(s, "/.", 2) == 0) {
			o[q++] = '/';
			r = w;
		} else if ((left >= 4 && memcmp(s, "/../", 4) == 0) ||
			   (left == 3 && memcmp(s, "/..", 3) == 0)) {
			while (q > 0 && o[q - 1] != '/')
				q--;
			if (q > 0)
				q--;
			if (left == 3) {
				o[q++] = '/';
				r = w;
			} else {
				r += 3;
			}
		} else if ((left == 1 && s[0] == '.') ||
			   (left == 2 && memcmp(s, "..", 2) == 0)) {
			r = w;
		} else {
			size_t k = r;
			if (o[k] == '/')
				o[q++] = o[k++];
			while (k < w && o[k] != '/')
				o[q++] = o[k++];
			r = k;
		}
	}
	buf_commit(b, q);
	if (pe < n)
		buf_append(b, u + pe, n - pe);
}

/* http.header: "Name: value\r\n" per header, cookies left out. */
static void build_norm_hdr(struct http_msg *m, bool resp)
{
	m->norm_hdr_done = true;
	enum http_known skip = resp ? HK_SET_COOKIE : HK_COOKIE;
	for (uint32_t i = 0; i < m->nf; i++) {
		const struct http_field *f = &m->f[i];
		if (f->dup || (int32_t)i == m->known[skip])
			continue;
		if (buf_append(&m->norm_hdr, msg_ptr(m, f->name), f->name.len) ||
		    buf_append(&m->norm_hdr, ": ", 2) ||
		    buf_append(&m->norm_hdr, msg_ptr(m, f->val), f->val.len) ||
		    buf_append(&m->norm_hdr, "\r\n", 2))
			return;
	}
}

static bool ref_out(const struct http_msg *m, struct http_ref r,
		    const uint8_t **data, size_t *len)
{
	if (r.src == SRC_NONE || !m->present)
		return false;
	*data = msg_ptr(m, r);
	*len = r.len;
	return true;
}

static bool body_out(const struct http_msg *m, const uint8_t **data, size_t *len)
{
	const struct buf *b = m->dec_used && m->dec.len ? &m->dec : &m->body;
	if (b->len == 0)
		return false;
	*data = b->p;
	*len = b->len;
	return true;
}

static bool buffer_both_ways(enum app_buffer which)
{
	switch (which) {
	case APP_BUF_HTTP_HEADER:
	case APP_BUF_HTTP_HEADER_RAW:
	case APP_BUF_HTTP_COOKIE:
	case APP_BUF_HTTP_CONTENT_TYPE:
	case APP_BUF_HTTP_CONTENT_LEN:
	case APP_BUF_HTTP_PROTOCOL:
		return true;
	default:
		return false;
	}
}

/* One buffer; idx is the side (0 request, 1 response) for both-way ones. */
static bool get_one(const void *txv, enum app_buffer which, uint32_t idx,
		    const uint8_t **data, size_t *len)
{
	/* the caches are filled on first use; the tx itself is not const */
	struct http_tx *tx = (struct http_tx *)(uintptr_t)txv;
	struct http_msg *rq = &tx->req, *rs = &tx->resp;
	struct http_msg *m = idx ? rs : rq;
	if (buffer_both_ways(which) && !m->present)
		return false;
	switch (which) {
	case APP_BUF_HTTP_METHOD:
		return ref_out(rq, rq->a, data, len);
	case APP_BUF_HTTP_URI:
		if (!rq->present)
			return false;
		if (!tx->uri_norm_done)
			build_uri_norm(tx);
		*data = tx->uri_norm.p ? tx->uri_norm.p : (const uint8_t *)"";
		*len = tx->uri_norm.len;
		return true;
	case APP_BUF_HTTP_URI_RAW:
		return ref_out(rq, rq->b, data, len);
	case APP_BUF_HTTP_HOST:
		return ref_out(rq, tx->host, data, len);
	case APP_BUF_HTTP_HOST_RAW:
		return ref_out(rq, tx->host_raw, data, len);
	case APP_BUF_HTTP_USER_AGENT:
		return msg_known(rq, HK_USER_AGENT, data, len);
	case APP_BUF_HTTP_HEADER:
		if (!m->headers_done || m->nf == 0)
			return false;
		if (!m->norm_hdr_done)
			build_norm_hdr(m, idx == 1);
		if (m->norm_hdr.len == 0)
			return false;
		*data = m->norm_hdr.p;
		*len = m->norm_hdr.len;
		return true;
	case APP_BUF_HTTP_HEADER_RAW:
		if (m->raw.len == 0)
			return false;
		*data = m->raw.p;
		*len = m->raw.len;
		return true;
	case APP_BUF_HTTP_COOKIE:
		return msg_known(m, idx ? HK_SET_COOKIE : HK_COOKIE, data, len);
	case APP_BUF_HTTP_REQUEST_LINE:
		if (rq->line.len == 0)
			return false;
		*data = rq->line.p;
		*len = rq->line.len;
		return true;
	case APP_BUF_HTTP_RESPONSE_LINE:
		if (rs->line.len == 0)
			return false;
		*data = rs->line.p;
		*len = rs->line.len;
		return true;
	case APP_BUF_HTTP_REQUEST_BODY:
		return body_out(rq, data, len);
	case APP_BUF_HTTP_RESPONSE_BODY:
		return body_out(rs, data, len);
	case APP_BUF_HTTP_STAT_CODE:
		return rs->line.len && ref_out(rs, rs->b, data, len);
	case APP_BUF_HTTP_STAT_MSG:
		return rs->line.len && ref_out(rs, rs->c, data, len);
	case APP_BUF_HTTP_CONTENT_TYPE:
		return msg_known(m, HK_CONTENT_TYPE, data, len);
	case APP_BUF_HTTP_CONTENT_LEN:
		return msg_known(m, HK_CONTENT_LENGTH, data, len);
	case APP_BUF_HTTP_PROTOCOL:
		if (idx == 1 && rs->line.len == 0)
			return false;
		return ref_out(m, idx ? rs->a : rq->c, data, len) && *len > 0;
	case APP_BUF_HTTP_ACCEPT:
		return msg_known(rq, HK_ACCEPT, data, len);
	case APP_BUF_HTTP_REFERER:
		return msg_known(rq, HK_REFERER, data, len);
	case APP_BUF_HTTP_CONNECTION:
		return msg_known(rq, HK_CONNECTION, data, len);
	case APP_BUF_HTTP_SERVER:
		return msg_known(rs, HK_SERVER, data, len);
	case APP_BUF_HTTP_LOCATION:
		return msg_known(rs, HK_LOCATION, data, len);
	default:
		return false;
	}
}

/*
 * Buffers found in both messages (http.header, http.header.raw,
 * http.cookie, http.content_type, http.content_len, http.protocol) have
 * up to two instances: the request's, then the response's, absent ones
 * skipped, so a caller walking idx = 0, 1, ... until false sees both.
 */
static bool http_get_buffer(const void *txv, enum app_buffer which,
			    uint32_t idx, const uint8_t **data, size_t *len)
{
	if (!buffer_both_ways(which))
		return idx == 0 && get_one(txv, which, 0, data, len);
	uint32_t seen = 0;
	for (uint32_t side = 0; side < 2; side++)
		if (get_one(txv, which, side, data, len) && seen++ == idx)
			return true;
	return false;
}

const struct app_proto app_http = {
	.name = "http",
	.id = APP_HTTP,
	.tcp = true,
	.udp = false,
	.ports = http_ports,
	.probe = http_probe,
	.state_new = http_state_new,
	.state_free = http_state_free,
	.parse = http_parse,
	.tx_count = http_tx_count,
	.tx_get = http_tx_get,
	.tx_done = http_tx_done,
	.tx_free_upto = http_tx_free_upto,
	.log_tx = http_log_tx,
	.get_buffer = http_get_buffer,
	.counter_names = http_counter_names,
	.counters = http_counters,
};
