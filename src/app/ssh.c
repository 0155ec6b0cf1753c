/*
 * SSH: version exchange, KEXINIT (hassh) and EVE "ssh" records.
 *
 * Why: Flame and other families use SSH-like channels, and SSH banners
 * from unexpected hosts or with odd software strings are worth a record;
 * the rule engine needs ssh.proto / ssh.software and the EVE output needs
 * Suricata's "ssh" record (client/server proto_version, software_version,
 * hassh).
 *
 * Why hand-written: libssh and OpenSSH are endpoints; nothing in Debian
 * follows both sides of somebody else's version exchange from a capture
 * with bounded memory.  Only MD5 (hassh) comes from OpenSSL EVP.
 *
 * Per direction (struct ssh_dir), modes:
 *   BANNER  --"SSH-..." line-->          PACKETS  ssh_line()
 *   BANNER  --other line, server side--> BANNER   (RFC 4253 4.2 allows lines
 *                                                  before the version)
 *   BANNER  --other line, client side--> APP_ERROR (not SSH)
 *   BANNER  --255 bytes without LF-->    DISCARD  (banner kept cut at 255,
 *                                                  "ssh.long_banner")
 *   DISCARD --LF-->                      PACKETS
 *   PACKETS --KEXINIT-->                 PACKETS  ssh_kexinit() (hassh)
 *   PACKETS --NEWKEYS, or SSH-1 banner, or bad packet length--> DONE
 *   DONE    everything is consumed unread (encrypted)
 * Binary packets (RFC 4253 6) are framed by their length; only a KEXINIT
 * is held whole (up to SSH_PACKET_MAX), other packets are skipped as they
 * stream by.
 *
 * Transaction: one per flow, done when both banners and both KEXINITs were
 * seen, or both directions are DONE, or at eof.
 *
 * Invariants: every byte is read through a cursor or bounds-checked
 * memchr; banners are kept at most SSH_BANNER_MAX bytes, lines before the
 * server banner at most SSH_PREBANNER_MAX bytes in total, hassh strings at
 * most SSH_HASSH_CAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/jw.h"

#define SSH_BANNER_MAX 255	/* RFC 4253 4.2: including CR LF */
#define SSH_PREBANNER_MAX 8192	/* lines before the server's banner */
#define SSH_PACKET_MAX 35000	/* RFC 4253 6.1 minimum supported size */
#define SSH_HASSH_CAP 8192
#define SSH_MSG_KEXINIT 20
#define SSH_MSG_NEWKEYS 21

#define SSH_COUNTER_MAP(X)                                                    \
	X(INVALID_BANNER, "ssh.invalid_banner")                               \
	X(LONG_BANNER, "ssh.long_banner")                                     \
	X(PREBANNER_TOO_LONG, "ssh.prebanner_too_long")                       \
	X(BANNER_NO_EOL, "ssh.banner_no_eol")                                 \
	X(INVALID_RECORD, "ssh.invalid_record")                               \
	X(INVALID_KEXINIT, "ssh.invalid_kexinit")                             \
	X(GAP, "ssh.gap")                                                     \
	X(TRUNCATED, "ssh.truncated")

enum ssh_counter {
#define SSH_CNT_ENUM(id, name) SSH_CNT_##id,
	SSH_COUNTER_MAP(SSH_CNT_ENUM)
#undef SSH_CNT_ENUM
	SSH_CNT_MAX
};

static const char *const ssh_counter_names[] = {
#define SSH_CNT_NAME(id, name) name,
	SSH_COUNTER_MAP(SSH_CNT_NAME)
#undef SSH_CNT_NAME
	NULL
};

enum ssh_mode { SSH_M_BANNER, SSH_M_DISCARD, SSH_M_PACKETS, SSH_M_DONE };

/* One side's facts: [0] client, [1] server (= APP_DIR_* of its bytes). */
struct ssh_side {
	bool banner_seen, kexinit_seen;
	struct buf proto, software;	/* SSH_BANNER_MAX each */
	struct buf hassh;		/* hassh string, SSH_HASSH_CAP */
	char hassh_md5[33];
};

struct ssh_tx {
	uint64_t id;
	uint64_t ts;
	struct ssh_side side[2];
	bool done;
};

struct ssh_dir {
	enum ssh_mode mode;
	size_t prebanner;		/* bytes of lines before the banner */
	size_t skip;			/* bytes of a packet to skip */
	uint64_t packets;
};

struct ssh_state {
	struct ssh_tx *tx;		/* owned, or NULL once freed */
	uint64_t next_id;
	struct ssh_dir dir[2];
	uint64_t counters[SSH_CNT_MAX];
};

static const uint16_t ssh_ports[] = {22, 0};

#define SSH_BAD(st, c) ((void)MAMORI_FORMAT_ERR(), (st)->counters[(c)]++)

static struct ssh_tx *ssh_tx(struct ssh_state *st, uint64_t ts)
{
	if (!st->tx && st->next_id == 0) {
		struct ssh_tx *tx = calloc(1, sizeof(*tx));
		if (!tx)
			return NULL;
		for (int s = 0; s < 2; s++) {
			buf_init(&tx->side[s].proto, SSH_BANNER_MAX);
			buf_init(&tx->side[s].software, SSH_BANNER_MAX);
			buf_init(&tx->side[s].hassh, SSH_HASSH_CAP);
		}
		st->tx = tx;
		st->next_id = 1;
	}
	if (st->tx && !st->tx->done)
		st->tx->ts = ts;
	return st->tx;
}

static void ssh_tx_free(struct ssh_tx *tx)
{
	if (!tx)
		return;
	for (int s = 0; s < 2; s++) {
		buf_release(&tx->side[s].proto);
		buf_release(&tx->side[s].software);
		buf_release(&tx->side[s].hassh);
	}
	free(tx);
}

static void ssh_update_done(struct ssh_state *st)
{
	struct ssh_tx *tx = st->tx;
	if (!tx)
		return;
	if ((tx->side[0].kexinit_seen && tx->side[1].kexinit_seen) ||
	    (st->dir[0].mode == SSH_M_DONE && st->dir[1].mode == SSH_M_DONE))
		tx->done = true;
}

/*
 * "SSH-protoversion-softwareversion SP comments": proto up to the first
 * '-', software up to the first space (comments dropped), as Suricata.
 */
static void ssh_banner(struct ssh_state *st, int dir, const uint8_t *p,
		       size_t n, uint64_t ts)
{
	struct ssh_tx *tx = ssh_tx(st, ts);
	struct ssh_dir *d = &st->dir[dir];
	d->mode = SSH_M_PACKETS;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (!tx || tx->side[dir].banner_seen)
		return;
	struct ssh_side *s = &tx->side[dir];
	s->banner_seen = true;
	const uint8_t *v = p + 4, *end = p + n;
	const uint8_t *dash = memchr(v, '-', (size_t)(end - v));
	if (!dash) {
		SSH_BAD(st, SSH_CNT_INVALID_BANNER);
		(void)buf_append(&s->proto, v, (size_t)(end - v));
		d->mode = SSH_M_DONE;
		return;
	}
	(void)buf_append(&s->proto, v, (size_t)(dash - v));
	const uint8_t *sw = dash + 1;
	size_t swl = 0;
	while (sw + swl < end && sw[swl] != ' ')
		swl++;
	(void)buf_append(&s->software, sw, swl);
	if (s->proto.len == 0 || swl == 0)
		SSH_BAD(st, SSH_CNT_INVALID_BANNER);
	/* SSH-1 (not 1.99, which is 2.0 compatible) has no RFC 4253 packets. */
	if (!(s->proto.len == 3 && !memcmp(s->proto.p, "2.0", 3)) &&
	    !(s->proto.len == 4 && !memcmp(s->proto.p, "1.99", 4)))
		d->mode = SSH_M_DONE;
}

/* hassh: "kex;enc;mac;comp" of the sender's own direction, MD5 of it. */
static void ssh_kexinit(struct ssh_state *st, int dir, struct cursor c)
{
	struct ssh_tx *tx = st->tx;
	if (!tx || tx->side[dir].kexinit_seen)
		return;
	struct ssh_side *s = &tx->side[dir];
	/* Name-lists after the cookie: kex, hostkey, enc c2s, enc s2c,
	 * mac c2s, mac s2c, comp c2s, comp s2c (RFC 4253 7.1). */
	static const int want[2][4] = {{0, 2, 4, 6}, {0, 3, 5, 7}};
	struct cursor list[8];
	if (!cur_skip(&c, 16)) {
		SSH_BAD(st, SSH_CNT_INVALID_KEXINIT);
		return;
	}
	for (int i = 0; i < 8; i++) {
		uint32_t n;
		if (!cur_u32be(&c, &n) || !cur_sub(&c, n, &list[i])) {
			SSH_BAD(st, SSH_CNT_INVALID_KEXINIT);
			return;
		}
	}
	s->kexinit_seen = true;
	buf_reset(&s->hassh);
	for (int i = 0; i < 4; i++) {
		const struct cursor *l = &list[want[dir][i]];
		if ((i && buf_putc(&s->hassh, ';') != 0) ||
		    buf_append(&s->hassh, l->p, l->len) != 0) {
			SSH_BAD(st, SSH_CNT_INVALID_KEXINIT);
			break;
		}
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hx[] = "0123456789abcdef";
	s->hassh_md5[0] = '\0';
	if (EVP_Digest(s->hassh.p ? s->hassh.p : (const uint8_t *)"", s->hassh.len,
		       md, &mdlen, EVP_md5(), NULL) == 1 && mdlen == 16) {
		for (unsigned i = 0; i < 16; i++) {
			s->hassh_md5[2 * i] = hx[md[i] >> 4];
			s->hassh_md5[2 * i + 1] = hx[md[i] & 15];
		}
		s->hassh_md5[32] = '\0';
	}
}

/* Banner-mode bytes: returns bytes used, or SIZE_MAX for "not SSH". */
static size_t ssh_lines(struct ssh_state *st, int dir, const uint8_t *p,
			size_t n, bool eof, uint64_t ts, bool *more)
{
	struct ssh_dir *d = &st->dir[dir];
	*more = false;
	if (d->mode == SSH_M_DISCARD) {
		const uint8_t *lf = memchr(p, '\n', n);
		if (!lf)
			return n;
		d->mode = SSH_M_PACKETS;
		return (size_t)(lf - p) + 1;
	}
	size_t look = n < SSH_BANNER_MAX ? n : SSH_BANNER_MAX;
	const uint8_t *lf = memchr(p, '\n', look);
	bool banner = n >= 4 && !memcmp(p, "SSH-", 4);
	if (!banner && n < 4 && !memcmp(p, "SSH-", n)) {
		if (eof) {
			st->counters[SSH_CNT_TRUNCATED]++;
			return n;
		}
		*more = true;
		return 0;
	}
	if (banner) {
		if (lf) {
			ssh_banner(st, dir, p, (size_t)(lf - p) + 1, ts);
			return (size_t)(lf - p) + 1;
		}
		if (n >= SSH_BANNER_MAX) {
			SSH_BAD(st, SSH_CNT_LONG_BANNER);
			ssh_banner(st, dir, p, SSH_BANNER_MAX, ts);
			d->mode = d->mode == SSH_M_DONE ? SSH_M_DONE : SSH_M_DISCARD;
			return SSH_BANNER_MAX;
		}
		if (eof) {
			SSH_BAD(st, SSH_CNT_BANNER_NO_EOL);
			ssh_banner(st, dir, p, n, ts);
			return n;
		}
		*more = true;
		return 0;
	}
	if (dir == APP_DIR_TOSERVER) {
		SSH_BAD(st, SSH_CNT_INVALID_BANNER);
		return SIZE_MAX;
	}
	/* A line before the server's banner. */
	lf = memchr(p, '\n', n);
	size_t used = lf ? (size_t)(lf - p) + 1 : n;
	if (!lf && !eof && n < SSH_PREBANNER_MAX - d->prebanner) {
		*more = true;
		return 0;
	}
	d->prebanner += used;
	if (d->prebanner >= SSH_PREBANNER_MAX) {
		SSH_BAD(st, SSH_CNT_PREBANNER_TOO_LONG);
		return SIZE_MAX;
	}
	return used;
}

/* Binary packets after the banner; returns bytes used, *more when a
 * packet header or a KEXINIT is incomplete (*need: bytes wanted). */
static size_t ssh_packets(struct ssh_state *st, int dir, const uint8_t *p,
			  size_t n, bool *more, size_t *need)
{
	struct ssh_dir *d = &st->dir[dir];
	struct cursor c;
	uint32_t plen;
	uint8_t padlen, msg;
	*more = false;
	cur_init(&c, p, n);
	if (!cur_u32be(&c, &plen) || !cur_u8(&c, &padlen) || !cur_u8(&c, &msg)) {
		*more = true;
		*need = 6;
		return 0;
	}
	if (plen < 5 || plen > SSH_PACKET_MAX || (uint32_t)padlen + 2u > plen) {
		SSH_BAD(st, SSH_CNT_INVALID_RECORD);
		d->mode = SSH_M_DONE;
		return 0;
	}
	d->packets++;
	size_t total = 4 + (size_t)plen;
	if (msg == SSH_MSG_NEWKEYS) {
		d->mode = SSH_M_DONE;
		return 0;
	}
	if (msg != SSH_MSG_KEXINIT || (st->tx && st->tx->side[dir].kexinit_seen)) {
		d->skip = total;
		return 0;
	}
	if (n < total) {
		d->packets--;
		*more = true;
		*need = total;
		return 0;
	}
	struct cursor payload;
	cur_init(&c, p + 6, plen - (size_t)padlen - 2);
	payload = c;
	ssh_kexinit(st, dir, payload);
	return total;
}

static struct app_result ssh_parse(void *state, int dir, const uint8_t *data,
				   size_t len, unsigned flags, uint64_t ts)
{
	struct ssh_state *st = state;
	struct ssh_dir *d = &st->dir[dir & 1];
	struct app_result r = {APP_OK, 0, 0};
	bool eof = (flags & APP_F_EOF) != 0;
	if (flags & APP_F_GAP) {
		st->counters[SSH_CNT_GAP]++;
		d->mode = SSH_M_DONE;
	}
	size_t off = 0;
	while (off < len && r.status == APP_OK) {
		const uint8_t *p = data + off;
		size_t n = len - off, used = 0, need = 0;
		bool more = false;
		if (d->mode == SSH_M_DONE) {
			off = len;
			break;
		}
		if (d->skip) {
			used = n < d->skip ? n : d->skip;
			d->skip -= used;
		} else if (d->mode == SSH_M_PACKETS) {
			used = ssh_packets(st, dir, p, n, &more, &need);
		} else {
			used = ssh_lines(st, dir, p, n, eof, ts, &more);
			if (used == SIZE_MAX) {
				r.status = APP_ERROR;
				break;
			}
		}
		off += used;
		if (more) {
			r.status = APP_NEED_MORE;
			r.needed = need;
		}
	}
	r.consumed = off;
	if (eof && (r.status == APP_NEED_MORE || d->skip)) {
		st->counters[SSH_CNT_TRUNCATED]++;
		r.status = APP_OK;
		r.consumed = len;
		d->skip = 0;
		d->mode = SSH_M_DONE;
	}
	ssh_update_done(st);
	return r;
}

static void *ssh_state_new(const struct app_config *cfg)
{
	(void)cfg;
	return calloc(1, sizeof(struct ssh_state));
}

static void ssh_state_free(void *state)
{
	struct ssh_state *st = state;
	if (!st)
		return;
	ssh_tx_free(st->tx);
	free(st);
}

static uint64_t ssh_tx_count(void *state)
{
	return ((struct ssh_state *)state)->next_id;
}

static void *ssh_tx_get(void *state, uint64_t id)
{
	struct ssh_state *st = state;
	return st->tx && st->tx->id == id ? st->tx : NULL;
}

static bool ssh_tx_done(void *vtx, bool eof)
{
	return ((struct ssh_tx *)vtx)->done || eof;
}

static void ssh_tx_free_upto(void *state, uint64_t upto)
{
	struct ssh_state *st = state;
	if (st->tx && st->tx->id < upto) {
		ssh_tx_free(st->tx);
		st->tx = NULL;
	}
}

static void ssh_log_side(struct jw *w, const char *key, const struct ssh_side *s)
{
	if (!s->banner_seen)
		return;
	jw_open_obj(w, key);
	jw_bytes(w, "proto_version", (const uint8_t *)buf_str(&s->proto),
		 s->proto.len);
	jw_bytes(w, "software_version", (const uint8_t *)buf_str(&s->software),
		 s->software.len);
	if (s->kexinit_seen) {
		jw_open_obj(w, "hassh");
		jw_str(w, "hash", s->hassh_md5);
		jw_bytes(w, "string", (const uint8_t *)buf_str(&s->hassh),
			 s->hassh.len);
		jw_close_obj(w);
	}
	jw_close_obj(w);
}

static void ssh_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct ssh_tx *tx = vtx;
	if (!tx->side[0].banner_seen && !tx->side[1].banner_seen)
		return;
	struct jw *w = lg->begin(lg, "ssh", tx->ts);
	if (!w)
		return;
	jw_open_obj(w, "ssh");
	ssh_log_side(w, "client", &tx->side[0]);
	ssh_log_side(w, "server", &tx->side[1]);
	jw_close_obj(w);
	lg->end(lg);
}

/*
 * ssh.proto / ssh.software: instance 0 is the client's banner, 1 the
 * server's, so a rule matches either side (Suricata matches the banner of
 * the packet's direction).
 */
static bool ssh_get_buffer(const void *vtx, enum app_buffer which,
			   uint32_t idx, const uint8_t **data, size_t *len)
{
	const struct ssh_tx *tx = vtx;
	if (idx > 1 || !tx->side[idx].banner_seen)
		return false;
	const struct buf *b;
	if (which == APP_BUF_SSH_PROTO)
		b = &tx->side[idx].proto;
	else if (which == APP_BUF_SSH_SOFTWARE)
		b = &tx->side[idx].software;
	else
		return false;
	if (!b->len)
		return false;
	*data = b->p;
	*len = b->len;
	return true;
}

static const uint64_t *ssh_counters(void *state)
{
	return ((struct ssh_state *)state)->counters;
}

/* "SSH-" at the start of either direction. */
static int ssh_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	static const char want[] = "SSH-";
	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return -1;
		if (data[i] != (uint8_t)want[i])
			return 0;
	}
	return 1;
}

const struct app_proto app_ssh = {
	.name = "ssh",
	.id = APP_SSH,
	.tcp = true,
	.udp = false,
	.ports = ssh_ports,
	.probe = ssh_probe,
	.state_new = ssh_state_new,
	.state_free = ssh_state_free,
	.parse = ssh_parse,
	.tx_count = ssh_tx_count,
	.tx_get = ssh_tx_get,
	.tx_done = ssh_tx_done,
	.tx_free_upto = ssh_tx_free_upto,
	.log_tx = ssh_log_tx,
	.get_buffer = ssh_get_buffer,
	.counter_names = ssh_counter_names,
	.counters = ssh_counters,
};
