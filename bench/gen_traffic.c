/*
 * mamori-gen — deterministic synthetic traffic generator (pcap writer).
 *
 * What: writes an Ethernet pcap of realistic client/server sessions —
 * HTTP/1.1 (browser-like request headers, keep-alive with several requests
 * per connection, heavy-tailed body sizes, some chunked, some gzip via
 * zlib), DNS over UDP (A/AAAA/MX/TXT, CNAME chains, some NXDOMAIN) and SMTP
 * (EHLO, MAIL FROM, RCPT TO, DATA with a dot-stuffed body, QUIT).  TCP
 * sessions have a 3-way handshake with options, MSS-sized segments,
 * delayed ACKs and a FIN teardown; every IPv4/TCP/UDP checksum is correct.
 * With --family it also embeds *inert* family-like traffic at known counts
 * (Storm-like POSTs with the "Windoss" User-Agent typo, Flame-like
 * rss.php?UNIQUE_NUMBER= GETs, Conficker-like /search?q=N check-ins and
 * NXDOMAIN bursts of random-looking names).  Those carry only the structure
 * a detector keys on; bodies are random filler.  No C&C protocol is spoken.
 *
 * Why: the benchmark needs >= 1 GB of seeded, realistic traffic, the tests
 * need small captures with known contents, and `make run` needs a demo.
 *
 * Invariants: the output depends only on the options (seed included) and
 * the zlib version; no clock, no environment.  Packets are written in
 * non-decreasing timestamp order: up to --concurrency sessions are built
 * ahead into per-slot packet arenas and merged by time, so sessions
 * interleave as on a real link.  Every arena has a cap (ARENA_CAP); a
 * session stops adding requests before it would pass it.  The counts
 * printed on stdout are exactly what was written.
 *
 * This is a standalone tool (libpcap + zlib only) and deliberately does not
 * link libmamori, so the benchmark corpus can be built while the library is
 * being changed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define MSS 1460u
#define ARENA_CAP ((size_t)96 << 20)	/* bytes of packets per session slot */
#define BODY_CAP ((size_t)6 << 20)	/* largest generated HTTP body */
#define MAX_SLOTS 64
#define POOL_SIZE ((size_t)1 << 22)	/* random and text filler pools */
#define N_HOSTS 96
#define N_CLIENTS 200
#define START_TS 1767225600000000ull	/* 2026-01-01T00:00:00Z, usec */

/* ---------------------------------------------------------------- rng */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); n > 0. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* Uniform in (0, 1]. */
static double rng_unit(struct rng *r)
{
	return (double)((rng_next(r) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

static bool rng_pct(struct rng *r, uint32_t pct)
{
	return rng_below(r, 100) < pct;
}

/* Pareto(xm, alpha) capped: heavy-tailed object sizes. */
static size_t rng_pareto(struct rng *r, double xm, double alpha, size_t cap)
{
	double v = xm / pow(rng_unit(r), 1.0 / alpha);
	return v >= (double)cap ? cap : (size_t)v;
}

/* ------------------------------------------------------ capped buffer */

struct gbuf {
	uint8_t *p;
	size_t len, alloc, max;
};

static void die(const char *what)
{
	fprintf(stderr, "mamori-gen: %s\n", what);
	exit(2);
}

static uint8_t *gbuf_reserve(struct gbuf *b, size_t n)
{
	if (n > b->max - b->len)
		die("internal buffer cap exceeded");
	if (b->len + n > b->alloc) {
		size_t a = b->alloc ? b->alloc : 4096;
		while (a < b->len + n)
			a *= 2;
		if (a > b->max)
			a = b->max;
		uint8_t *p = realloc(b->p, a);
		if (!p)
			die("out of memory");
		b->p = p;
		b->alloc = a;
	}
	return b->p + b->len;
}

static void gbuf_add(struct gbuf *b, const void *d, size_t n)
{
	memcpy(gbuf_reserve(b, n), d, n);
	b->len += n;
}

static void gbuf_puts(struct gbuf *b, const char *s)
{
	gbuf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void gbuf_printf(struct gbuf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[2048];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("formatted line too long");
	gbuf_add(b, tmp, (size_t)n);
}

/* ------------------------------------------------------------- tables */

static const char *const words[] = {
	"news", "shop", "cloud", "media", "stream", "static", "travel", "blog",
	"photo", "video", "maps", "docs", "store", "portal", "sport", "games",
	"music", "bank", "data", "forum", "wiki", "market", "daily", "tech",
	"green", "blue", "north", "river", "stone", "light", "fast", "smart",
	"open", "city", "home", "world", "star", "cook", "garden", "auto",
	"health", "learn", "event", "jobs", "book", "film", "radio", "pixel",
	"metro", "alpine", "coast", "harbor", "summit", "maple", "cedar", "delta",
	"orbit", "vector", "signal", "ledger", "atlas", "beacon", "canyon", "ember",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

static const char *const tlds[] = {"com", "net", "org", "io", "de", "co.uk", "fr", "info"};
static const char *const host_prefix[] = {"www", "www", "www", "cdn", "static", "api", "img", "m"};

static const char *const user_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.72",
	"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
};
#define N_UA (sizeof(user_agents) / sizeof(user_agents[0]))

static const char *const storm_ua = "Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)";
static const char *const old_ie_ua = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)";

/* Resource kinds a browser fetches: path shape, type, Accept, text or not. */
enum res_kind { RES_HTML, RES_JS, RES_CSS, RES_JPEG, RES_PNG, RES_JSON, RES_FONT, RES_ICO, RES_MAX };
static const struct res_info {
	const char *ctype;
	const char *accept;
	bool text;
	uint32_t weight;	/* share of requests, percent */
	double xm;		/* Pareto scale of the body size */
} res_table[RES_MAX] = {
	[RES_HTML] = {"text/html; charset=utf-8",
		      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
		      true, 14, 6000},
	[RES_JS] = {"application/javascript", "*/*", true, 18, 3000},
	[RES_CSS] = {"text/css", "text/css,*/*;q=0.1", true, 8, 2000},
	[RES_JPEG] = {"image/jpeg", "image/avif,image/webp,*/*", false, 24, 5000},
	[RES_PNG] = {"image/png", "image/avif,image/webp,*/*", false, 12, 1200},
	[RES_JSON] = {"application/json", "application/json, text/plain, */*", true, 18, 300},
	[RES_FONT] = {"font/woff2", "application/font-woff2;q=1.0,application/font-woff;q=0.9,*/*;q=0.8", false, 3, 20000},
	[RES_ICO] = {"image/x-icon", "image/avif,image/webp,*/*", false, 3, 600},
};

/* HTTP status mix of responses. */
static const struct status_info {
	int code;
	const char *reason;
	uint32_t weight;
	bool body;
} status_table[] = {
	{200, "OK", 86, true},
	{304, "Not Modified", 6, false},
	{404, "Not Found", 4, true},
	{301, "Moved Permanently", 2, true},
	{302, "Found", 1, true},
	{500, "Internal Server Error", 1, true},
};

/* ---------------------------------------------------------- world model */

struct host {
	char name[64];
	char zone[48];
	uint32_t ip;
	uint8_t ip6[16];
	const char *server;	/* Server header */
};

struct client {
	uint32_t ip;
	uint8_t mac[6];
	const char *ua;
	char name[32];
	char mailbox[32];
};

struct counts {
	uint64_t packets, bytes, sessions, tcp_conns;
	uint64_t http_requests, http_alt_port, http_gzip, http_chunked;
	uint64_t dns_queries, dns_nxdomain, dns_a, dns_aaaa, dns_mx, dns_txt;
	uint64_t smtp_sessions, smtp_mails, smtp_rcpts;
	uint64_t storm_post, flame_get, conficker_checkin, conficker_nxdomain;
};

struct world {
	struct rng rng;
	struct host hosts[N_HOSTS];
	struct client clients[N_CLIENTS];
	uint8_t *rand_pool;	/* POOL_SIZE random bytes */
	uint8_t *text_pool;	/* POOL_SIZE of pseudo-HTML/JS text */
	uint32_t resolver_ip, mail_ip;
	uint8_t gw_mac[6], resolver_mac[6], mail_mac[6];
	uint32_t alt_port_pct;
	size_t max_body;	/* cap of generated HTTP body sizes (<= BODY_CAP) */
	struct counts c;
	z_stream zs;
	struct gbuf msg, body, zbody;	/* scratch for one message */
};

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)(a << 24 | b << 16 | c << 8 | d);
}

static void word_pair(struct rng *r, char *out, size_t n)
{
	snprintf(out, n, "%s%s", words[rng_below(r, N_WORDS)], words[rng_below(r, N_WORDS)]);
}

static void world_init(struct world *w, uint64_t seed)
{
	static const uint8_t first_octets[] = {23, 31, 45, 52, 54, 69, 93, 104, 142, 151, 185, 199, 216};
	static const char *const servers[] = {"nginx/1.22.1", "Apache/2.4.57 (Debian)", "cloudflare",
					      "Microsoft-IIS/10.0", "nginx", "ECS (dcb/7F84)"};
	struct rng *r = &w->rng;
	rng_seed(r, seed);
	for (unsigned i = 0; i < N_HOSTS; i++) {
		struct host *h = &w->hosts[i];
		char base[40];
		word_pair(r, base, sizeof(base));
		snprintf(h->zone, sizeof(h->zone), "%s.%s", base, tlds[rng_below(r, 8)]);
		char zone[sizeof(h->zone)];
		memcpy(zone, h->zone, sizeof(zone));
		snprintf(h->name, sizeof(h->name), "%s.%s", host_prefix[rng_below(r, 8)], zone);
		h->ip = ip4(first_octets[rng_below(r, sizeof(first_octets))], rng_range(r, 1, 254),
			    rng_range(r, 0, 255), rng_range(r, 1, 254));
		static const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, 0x40, 0x00};
		memcpy(h->ip6, pfx, 6);
		for (int k = 6; k < 16; k++)
			h->ip6[k] = (uint8_t)rng_below(r, 256);
		h->server = servers[rng_below(r, sizeof(servers) / sizeof(servers[0]))];
	}
	for (unsigned i = 0; i < N_CLIENTS; i++) {
		struct client *c = &w->clients[i];
		c->ip = ip4(10, 1, 1 + i / 250, 10 + i % 240);
		uint8_t mac[6] = {0x52, 0x54, 0x00, (uint8_t)(i >> 8), (uint8_t)i, 0x01};
		memcpy(c->mac, mac, 6);
		c->ua = user_agents[rng_below(r, N_UA)];
		snprintf(c->name, sizeof(c->name), "ws-%04u.corp.example", i);
		snprintf(c->mailbox, sizeof(c->mailbox), "%s.%c", words[rng_below(r, N_WORDS)],
			 (char)('a' + rng_below(r, 26)));
	}
	w->resolver_ip = ip4(10, 1, 0, 53);
	w->mail_ip = ip4(10, 1, 0, 25);
	memcpy(w->gw_mac, (const uint8_t[6]){0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01}, 6);
	memcpy(w->resolver_mac, (const uint8_t[6]){0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x53}, 6);
	memcpy(w->mail_mac, (const uint8_t[6]){0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x25}, 6);

	w->rand_pool = malloc(POOL_SIZE);
	w->text_pool = malloc(POOL_SIZE);
	if (!w->rand_pool || !w->text_pool)
		die("out of memory");
	for (size_t i = 0; i < POOL_SIZE; i += 8) {
		uint64_t v = rng_next(r);
		memcpy(w->rand_pool + i, &v, 8);
	}
	static const char *const tags[] = {"<div class=\"", "<p>", "<span>", "<a href=\"/", "<li>",
					   "function ", "var ", "return ", "</div>\n", "</p>\n"};
	size_t off = 0;
	while (off < POOL_SIZE) {
		const char *t = rng_pct(r, 25) ? tags[rng_below(r, 10)] : words[rng_below(r, N_WORDS)];
		size_t n = strlen(t);
		if (off + n + 1 > POOL_SIZE)
			break;
		memcpy(w->text_pool + off, t, n);
		off += n;
		w->text_pool[off++] = rng_pct(r, 8) ? '\n' : ' ';
	}
	memset(w->text_pool + off, ' ', POOL_SIZE - off);

	w->msg.max = BODY_CAP * 2;
	w->body.max = BODY_CAP + 4096;
	w->zbody.max = BODY_CAP * 2;
	if (deflateInit2(&w->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("zlib init failed");
}

static void world_release(struct world *w)
{
	deflateEnd(&w->zs);
	free(w->rand_pool);
	free(w->text_pool);
	free(w->msg.p);
	free(w->body.p);
	free(w->zbody.p);
}

/* Appends n filler bytes from a pool at a random offset (wrapping). */
static void pool_fill(struct rng *r, struct gbuf *b, const uint8_t *pool, size_t n)
{
	while (n) {
		size_t off = rng_below(r, (uint32_t)(POOL_SIZE / 2));
		size_t k = n < POOL_SIZE - off ? n : POOL_SIZE - off;
		gbuf_add(b, pool + off, k);
		n -= k;
	}
}

/* ------------------------------------------------------------ packets */

struct rec {
	uint64_t ts;
	size_t off;
	uint32_t len;
};

/* One slot: the packets of one generated session, merged by time. */
struct slot {
	struct gbuf data;
	struct rec *recs;
	size_t nrec, caprec, next;
	uint64_t ts;		/* time of the last packet built */
};

struct endpoint {
	uint32_t ip;
	uint16_t port;
	uint8_t mac[6];
	uint32_t seq;
	uint16_t ipid;
	uint8_t ttl;
	uint16_t win;
	uint32_t unacked;	/* segments received since our last ACK */
};

struct conn {
	struct endpoint ep[2];	/* 0 = client, 1 = server */
	uint32_t rtt_us;
	uint32_t bw_ns_per_byte;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 1071 sum over native-order words; fold and complement at the end. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		sum += (uint64_t)a + b;
		p += 8;
		n -= 8;
	}
	while (n >= 2) {
		uint16_t a;
		memcpy(&a, p, 2);
		sum += a;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = {p[0], 0};
		uint16_t a;
		memcpy(&a, last, 2);
		sum += a;
	}
	return sum;
}

static void csum_store(uint8_t *where, uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t v = (uint16_t)~sum;
	memcpy(where, &v, 2);
}

static void slot_reset(struct slot *s, uint64_t ts)
{
	s->data.len = 0;
	s->data.max = ARENA_CAP;
	s->nrec = s->next = 0;
	s->ts = ts;
}

/* Reserves one packet of n bytes stamped with the slot's current time. */
static uint8_t *slot_packet(struct slot *s, size_t n)
{
	if (s->nrec == s->caprec) {
		size_t c = s->caprec ? s->caprec * 2 : 1024;
		struct rec *r = realloc(s->recs, c * sizeof(*r));
		if (!r)
			die("out of memory");
		s->recs = r;
		s->caprec = c;
	}
	uint8_t *p = gbuf_reserve(&s->data, n);
	s->recs[s->nrec++] = (struct rec){.ts = s->ts, .off = s->data.len, .len = (uint32_t)n};
	s->data.len += n;
	return p;
}

/* Ethernet + IPv4 header; returns the L4 start.  l4len = L4 header + payload. */
static uint8_t *build_ip(uint8_t *p, const struct endpoint *src, const struct endpoint *dst,
			 uint8_t proto, size_t l4len, bool df)
{
	memcpy(p, dst->mac, 6);
	memcpy(p + 6, src->mac, 6);
	put16(p + 12, 0x0800);
	uint8_t *ip = p + 14;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, src->ipid);
	put16(ip + 6, df ? 0x4000 : 0);
	ip[8] = src->ttl;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	put32(ip + 12, src->ip);
	put32(ip + 16, dst->ip);
	csum_store(ip + 10, csum_add(0, ip, 20));
	return ip + 20;
}

static uint64_t pseudo_sum(const struct endpoint *src, const struct endpoint *dst, uint8_t proto,
			   size_t l4len)
{
	uint8_t ph[12];
	put32(ph, src->ip);
	put32(ph + 4, dst->ip);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)l4len);
	return csum_add(0, ph, 12);
}

static void advance(struct slot *s, uint64_t us)
{
	s->ts += us;
}

/* Builds one TCP segment from ep[dir] to ep[!dir]; advances its seq. */
static void tcp_emit(struct slot *s, struct conn *c, int dir, uint8_t flags, const uint8_t *data,
		     size_t len)
{
	struct endpoint *src = &c->ep[dir], *dst = &c->ep[!dir];
	uint8_t opts[20];
	size_t optlen = 0;
	if (flags & TH_SYN) {
		static const uint8_t syn_opts[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
		memcpy(opts, syn_opts, sizeof(syn_opts));
		optlen = sizeof(syn_opts);
	}
	size_t l4 = 20 + optlen + len;
	uint8_t *p = slot_packet(s, 14 + 20 + l4);
	uint8_t *th = build_ip(p, src, dst, 6, l4, true);
	put16(th, src->port);
	put16(th + 2, dst->port);
	put32(th + 4, src->seq);
	put32(th + 8, (flags & TH_ACK) ? dst->seq : 0);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = flags;
	/* SYNs carry the unscaled window (scaling starts after them) */
	put16(th + 14, (flags & TH_SYN) ? (uint16_t)(dir ? 65160 : 64240) : src->win);
	th[16] = th[17] = 0;
	th[18] = th[19] = 0;
	memcpy(th + 20, opts, optlen);
	if (len)
		memcpy(th + 20 + optlen, data, len);
	csum_store(th + 16, csum_add(pseudo_sum(src, dst, 6, l4), th, l4));
	src->ipid++;
	src->seq += (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
	src->unacked = 0;
}

static void tcp_handshake(struct slot *s, struct conn *c)
{
	tcp_emit(s, c, 0, TH_SYN, NULL, 0);
	advance(s, c->rtt_us / 2);
	tcp_emit(s, c, 1, TH_SYN | TH_ACK, NULL, 0);
	advance(s, c->rtt_us / 2);
	tcp_emit(s, c, 0, TH_ACK, NULL, 0);
	advance(s, 30);
}

/* Sends data from dir in MSS segments; the peer ACKs every second one. */
static void tcp_send(struct slot *s, struct conn *c, int dir, const uint8_t *data, size_t len)
{
	struct endpoint *peer = &c->ep[!dir];
	while (len) {
		size_t n = len < MSS ? len : MSS;
		len -= n;
		tcp_emit(s, c, dir, (uint8_t)(TH_ACK | (len ? 0 : TH_PSH)), data, n);
		data += n;
		advance(s, 1 + (uint64_t)n * c->bw_ns_per_byte / 1000);
		if (++peer->unacked >= 2 || !len) {
			if (!len)
				advance(s, c->rtt_us / 2);
			tcp_emit(s, c, !dir, TH_ACK, NULL, 0);
			advance(s, 5);
		}
	}
}

static void tcp_teardown(struct slot *s, struct conn *c, int closer)
{
	tcp_emit(s, c, closer, TH_FIN | TH_ACK, NULL, 0);
	advance(s, c->rtt_us / 2);
	tcp_emit(s, c, !closer, TH_FIN | TH_ACK, NULL, 0);
	advance(s, c->rtt_us / 2);
	tcp_emit(s, c, closer, TH_ACK, NULL, 0);
}

static void conn_init(struct world *w, struct conn *c, const struct client *cl, uint32_t sip,
		      const uint8_t *smac, uint16_t sport, bool local)
{
	struct rng *r = &w->rng;
	memset(c, 0, sizeof(*c));
	c->ep[0] = (struct endpoint){.ip = cl->ip, .port = (uint16_t)rng_range(r, 32768, 60999),
				     .seq = (uint32_t)rng_next(r), .ipid = (uint16_t)rng_next(r),
				     .ttl = 64, .win = 502};
	memcpy(c->ep[0].mac, cl->mac, 6);
	c->ep[1] = (struct endpoint){.ip = sip, .port = sport, .seq = (uint32_t)rng_next(r),
				     .ipid = (uint16_t)rng_next(r), .ttl = local ? 64 : 52,
				     .win = 501};
	memcpy(c->ep[1].mac, smac, 6);
	c->rtt_us = local ? rng_range(r, 150, 900) : rng_range(r, 4000, 90000);
	c->bw_ns_per_byte = local ? 8 : rng_range(r, 8, 80);
	w->c.tcp_conns++;
}

/* ----------------------------------------------------------------- HTTP */

static void http_date(struct gbuf *b, const char *name, uint64_t ts_us)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	char d[64];
	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	gbuf_printf(b, "%s: %s\r\n", name, d);
}

static void gzip_body(struct world *w, const struct gbuf *in, struct gbuf *out)
{
	out->len = 0;
	deflateReset(&w->zs);
	size_t bound = deflateBound(&w->zs, (uLong)in->len) + 32;
	uint8_t *dst = gbuf_reserve(out, bound);
	w->zs.next_in = in->p;
	w->zs.avail_in = (uInt)in->len;
	w->zs.next_out = dst;
	w->zs.avail_out = (uInt)bound;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		die("zlib deflate failed");
	out->len = bound - w->zs.avail_out;
}

static enum res_kind pick_resource(struct rng *r)
{
	uint32_t x = rng_below(r, 100), acc = 0;
	for (int k = 0; k < RES_MAX; k++) {
		acc += res_table[k].weight;
		if (x < acc)
			return (enum res_kind)k;
	}
	return RES_HTML;
}

static const struct status_info *pick_status(struct rng *r)
{
	uint32_t x = rng_below(r, 100), acc = 0;
	size_t n = sizeof(status_table) / sizeof(status_table[0]);
	for (size_t k = 0; k < n; k++) {
		acc += status_table[k].weight;
		if (x < acc)
			return &status_table[k];
	}
	return &status_table[0];
}

static void http_path(struct rng *r, enum res_kind k, char *out, size_t n)
{
	const char *a = words[rng_below(r, N_WORDS)], *b = words[rng_below(r, N_WORDS)];
	uint32_t h = (uint32_t)rng_next(r), num = rng_below(r, 100000);
	switch (k) {
	case RES_HTML:
		if (rng_pct(r, 15))
			snprintf(out, n, "/");
		else
			snprintf(out, n, "/%s/%s-%s-%u.html", a, b, words[rng_below(r, N_WORDS)], num);
		break;
	case RES_JS: snprintf(out, n, "/static/js/%s.%08x.js", a, h); break;
	case RES_CSS: snprintf(out, n, "/static/css/%s-%s.%06x.css", a, b, h & 0xffffff); break;
	case RES_JPEG: snprintf(out, n, "/images/%s/%s_%u.jpg", a, b, num); break;
	case RES_PNG: snprintf(out, n, "/assets/icons/%s-%ux%u.png", a, 16u << rng_below(r, 4), 16u << rng_below(r, 4)); break;
	case RES_JSON:
		snprintf(out, n, "/api/v1/%s/%s?page=%u&lang=en&_=%" PRIu64, a, b, rng_range(r, 1, 20),
			 (uint64_t)(START_TS / 1000 + rng_below(r, 1u << 30)));
		break;
	case RES_FONT: snprintf(out, n, "/fonts/%s-%s.woff2", a, rng_pct(r, 50) ? "regular" : "bold"); break;
	default: snprintf(out, n, "/favicon.ico"); break;
	}
}

/* Request header shared by browser-like requests. */
static void http_request_head(struct world *w, struct gbuf *m, const char *method, const char *path,
			      const struct host *h, const struct client *cl, enum res_kind k,
			      uint16_t port, bool cookie, const char *referer)
{
	struct rng *r = &w->rng;
	gbuf_printf(m, "%s %s HTTP/1.1\r\n", method, path);
	if (port == 80)
		gbuf_printf(m, "Host: %s\r\n", h->name);
	else
		gbuf_printf(m, "Host: %s:%u\r\n", h->name, port);
	gbuf_printf(m, "User-Agent: %s\r\n", cl->ua);
	gbuf_printf(m, "Accept: %s\r\n", res_table[k].accept);
	gbuf_puts(m, "Accept-Language: en-US,en;q=0.9\r\n");
	gbuf_puts(m, "Accept-Encoding: gzip, deflate, br\r\n");
	if (referer)
		gbuf_printf(m, "Referer: http://%s%s\r\n", h->name, referer);
	if (cookie) {
		gbuf_printf(m, "Cookie: sid=%016" PRIx64 "%016" PRIx64 "; _ga=GA1.2.%u.%u",
			    rng_next(r), rng_next(r), (uint32_t)rng_next(r), 1700000000u + rng_below(r, 9999999));
		uint32_t extra = rng_below(r, 4);
		for (uint32_t i = 0; i < extra; i++)
			gbuf_printf(m, "; %s_%s=%08x", words[rng_below(r, N_WORDS)],
				    words[rng_below(r, N_WORDS)], (uint32_t)rng_next(r));
		gbuf_puts(m, "\r\n");
	}
	gbuf_puts(m, "Connection: keep-alive\r\n");
}

/* Fills w->body with a body for kind k of about n bytes. */
static void make_body(struct world *w, enum res_kind k, size_t n)
{
	w->body.len = 0;
	if (k == RES_JPEG && n >= 4)
		gbuf_add(&w->body, "\xff\xd8\xff\xe0", 4), n -= 4;
	if (k == RES_JSON) {
		/* real JSON so dissectors and parsers see what they expect */
		struct rng *r = &w->rng;
		gbuf_puts(&w->body, "{\"items\":[");
		for (uint32_t i = 0; w->body.len + 2 < n; i++)
			gbuf_printf(&w->body, "%s{\"id\":%u,\"name\":\"%s %s\",\"score\":%u}", i ? "," : "",
				    rng_below(r, 1000000), words[rng_below(r, N_WORDS)],
				    words[rng_below(r, N_WORDS)], rng_below(r, 100));
		gbuf_puts(&w->body, "]}");
		return;
	}
	pool_fill(&w->rng, &w->body, res_table[k].text ? w->text_pool : w->rand_pool, n);
}

/* Appends the response head and body (chunked or not) to m. */
static void http_response(struct world *w, struct gbuf *m, const struct host *h, enum res_kind k,
			  uint64_t ts, size_t *body_len_out)
{
	struct rng *r = &w->rng;
	const struct status_info *st = pick_status(r);
	size_t n = 0;
	if (st->body)
		n = st->code == 200 ? rng_pareto(r, res_table[k].xm * 0.3, 1.15, w->max_body)
				    : rng_range(r, 100, 600);
	enum res_kind bk = st->code == 200 ? k : RES_HTML;
	make_body(w, bk, n);
	const struct gbuf *out = &w->body;
	bool gz = res_table[bk].text && n > 256 && rng_pct(r, 70);
	if (gz) {
		gzip_body(w, &w->body, &w->zbody);
		out = &w->zbody;
		w->c.http_gzip++;
	}
	bool chunked = st->body && (bk == RES_HTML || bk == RES_JSON) && rng_pct(r, 30);
	gbuf_printf(m, "HTTP/1.1 %d %s\r\n", st->code, st->reason);
	http_date(m, "Date", ts);
	gbuf_printf(m, "Server: %s\r\n", h->server);
	if (st->body)
		gbuf_printf(m, "Content-Type: %s\r\n", res_table[bk].ctype);
	if (chunked)
		gbuf_puts(m, "Transfer-Encoding: chunked\r\n");
	else if (st->code != 304)
		gbuf_printf(m, "Content-Length: %zu\r\n", out->len);
	gbuf_puts(m, "Connection: keep-alive\r\n");
	if (st->code == 301 || st->code == 302)
		gbuf_printf(m, "Location: http://%s/%s/\r\n", h->name, words[rng_below(r, N_WORDS)]);
	if (st->code == 200 || st->code == 304) {
		gbuf_printf(m, "Cache-Control: %s\r\n", res_table[k].text && k != RES_JS && k != RES_CSS
								? "no-cache, private" : "public, max-age=31536000");
		gbuf_printf(m, "ETag: \"%08x-%zx\"\r\n", (uint32_t)rng_next(r), n);
		http_date(m, "Last-Modified", ts - (uint64_t)rng_below(r, 1u << 30) * 1000000u);
	}
	if (gz) {
		gbuf_puts(m, "Content-Encoding: gzip\r\n");
		gbuf_puts(m, "Vary: Accept-Encoding\r\n");
	}
	if (rng_pct(r, 8))
		gbuf_printf(m, "Set-Cookie: %s=%016" PRIx64 "; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax\r\n",
			    words[rng_below(r, N_WORDS)], rng_next(r));
	if (rng_pct(r, 30))
		gbuf_printf(m, "X-Request-Id: %08x-%04x-%04x-%04x-%012" PRIx64 "\r\n", (uint32_t)rng_next(r),
			    rng_below(r, 65536), rng_below(r, 65536), rng_below(r, 65536),
			    (uint64_t)(rng_next(r) & 0xffffffffffffull));
	gbuf_puts(m, "\r\n");
	if (chunked) {
		size_t off = 0;
		while (off < out->len) {
			size_t c = rng_range(r, 512, 16384);
			if (c > out->len - off)
				c = out->len - off;
			gbuf_printf(m, "%zx\r\n", c);
			gbuf_add(m, out->p + off, c);
			gbuf_puts(m, "\r\n");
			off += c;
		}
		gbuf_puts(m, "0\r\n\r\n");
		w->c.http_chunked++;
	} else if (out->len) {
		gbuf_add(m, out->p, out->len);
	}
	*body_len_out = out->len;
}

static void http_session(struct world *w, struct slot *s)
{
	struct rng *r = &w->rng;
	const struct client *cl = &w->clients[rng_below(r, N_CLIENTS)];
	const struct host *h = &w->hosts[rng_below(r, N_HOSTS)];
	uint16_t port = 80;
	if (w->alt_port_pct && rng_pct(r, w->alt_port_pct))
		port = rng_pct(r, 50) ? 8080 : 5000;
	struct conn c;
	conn_init(w, &c, cl, h->ip, w->gw_mac, port, false);
	tcp_handshake(s, &c);
	uint32_t nreq = rng_pct(r, 35) ? 1 : rng_range(r, 2, 10);
	char path[256], first[256] = "";
	bool cookie = rng_pct(r, 55);
	for (uint32_t i = 0; i < nreq; i++) {
		enum res_kind k = i == 0 && rng_pct(r, 60) ? RES_HTML : pick_resource(r);
		http_path(r, k, path, sizeof(path));
		bool post = k == RES_JSON && rng_pct(r, 25);
		struct gbuf *m = &w->msg;
		m->len = 0;
		http_request_head(w, m, post ? "POST" : "GET", path, h, cl, k, port, cookie,
				  i ? first : NULL);
		if (post) {
			char form[512];
			int fl = snprintf(form, sizeof(form), "{\"%s\":\"%s\",\"id\":%u,\"token\":\"%016" PRIx64 "\"}",
					  words[rng_below(r, N_WORDS)], words[rng_below(r, N_WORDS)],
					  rng_below(r, 1000000), rng_next(r));
			gbuf_printf(m, "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", fl);
			gbuf_add(m, form, (size_t)fl);
		} else {
			gbuf_puts(m, "\r\n");
		}
		if (i == 0)
			snprintf(first, sizeof(first), "%s", path);
		tcp_send(s, &c, 0, m->p, m->len);
		advance(s, c.rtt_us / 2 + rng_range(r, 200, 40000));
		m->len = 0;
		size_t blen;
		http_response(w, m, h, k, s->ts, &blen);
		tcp_send(s, &c, 1, m->p, m->len);
		w->c.http_requests++;
		if (port != 80)
			w->c.http_alt_port++;
		advance(s, rng_range(r, 1000, 300000));
		if (s->data.len > ARENA_CAP - 3 * BODY_CAP)
			break;
	}
	tcp_teardown(s, &c, 0);
}

/* ------------------------------------------------------------------ DNS */

enum { QT_A = 1, QT_NS = 2, QT_CNAME = 5, QT_SOA = 6, QT_MX = 15, QT_TXT = 16, QT_AAAA = 28 };

/* Writes a dotted name as labels; with ptr != 0 ends in a compression pointer. */
static size_t dns_name(uint8_t *p, const char *name, uint16_t ptr)
{
	size_t o = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[o++] = (uint8_t)l;
		memcpy(p + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	if (ptr) {
		put16(p + o, (uint16_t)(0xc000 | ptr));
		return o + 2;
	}
	p[o++] = 0;
	return o;
}

static size_t dns_rr_head(uint8_t *p, uint16_t name_ptr, uint16_t type, uint32_t ttl)
{
	put16(p, (uint16_t)(0xc000 | name_ptr));
	put16(p + 2, type);
	put16(p + 4, 1);
	put32(p + 6, ttl);
	return 12;	/* rdlength at p+10 filled by the caller */
}

static void udp_emit(struct slot *s, struct endpoint *src, struct endpoint *dst, const uint8_t *data,
		     size_t len)
{
	size_t l4 = 8 + len;
	uint8_t *p = slot_packet(s, 14 + 20 + l4);
	uint8_t *uh = build_ip(p, src, dst, 17, l4, false);
	put16(uh, src->port);
	put16(uh + 2, dst->port);
	put16(uh + 4, (uint16_t)l4);
	uh[6] = uh[7] = 0;
	memcpy(uh + 8, data, len);
	uint64_t sum = csum_add(pseudo_sum(src, dst, 17, l4), uh, l4);
	csum_store(uh + 6, sum);
	if (uh[6] == 0 && uh[7] == 0)
		uh[6] = uh[7] = 0xff;
	src->ipid++;
}

/*
 * One DNS query and its response between client cl and the resolver.
 * nx forces NXDOMAIN.  Answers use name compression against the question.
 */
static void dns_exchange(struct world *w, struct slot *s, const struct client *cl, const char *qname,
			 const char *zone, uint16_t qtype, bool nx, const struct host *h)
{
	struct rng *r = &w->rng;
	struct endpoint cli = {.ip = cl->ip, .port = (uint16_t)rng_range(r, 1024, 65535),
			       .ipid = (uint16_t)rng_next(r), .ttl = 64};
	memcpy(cli.mac, cl->mac, 6);
	struct endpoint srv = {.ip = w->resolver_ip, .port = 53, .ipid = (uint16_t)rng_next(r), .ttl = 64};
	memcpy(srv.mac, w->resolver_mac, 6);
	uint8_t q[512], a[1500];
	uint16_t id = (uint16_t)rng_next(r);
	put16(q, id);
	put16(q + 2, 0x0100);
	put16(q + 4, 1);
	memset(q + 6, 0, 6);
	size_t qn = 12 + dns_name(q + 12, qname, 0);
	put16(q + qn, qtype);
	put16(q + qn + 2, 1);
	qn += 4;
	udp_emit(s, &cli, &srv, q, qn);
	advance(s, rng_range(r, 300, 60000));

	memcpy(a, q, qn);
	uint16_t ancount = 0, nscount = 0;
	size_t o = qn;
	/* the zone's labels start inside the question name */
	uint16_t zone_off = (uint16_t)(12 + strlen(qname) - strlen(zone));
	if (nx) {
		put16(a + 2, 0x8183);
		o += dns_rr_head(a + o, zone_off, QT_SOA, 900);
		size_t rd = o;
		o += dns_name(a + o, "ns1", zone_off);
		o += dns_name(a + o, "hostmaster", zone_off);
		for (int k = 0; k < 5; k++)
			put32(a + o + 4 * (size_t)k, k == 0 ? 2026010101u : 3600u);
		o += 20;
		put16(a + rd - 2, (uint16_t)(o - rd));
		nscount = 1;
		w->c.dns_nxdomain++;
	} else {
		put16(a + 2, 0x8180);
		uint16_t target = 12;
		if ((qtype == QT_A || qtype == QT_AAAA) && rng_pct(r, 20)) {
			o += dns_rr_head(a + o, 12, QT_CNAME, rng_range(r, 60, 3600));
			size_t rd = o;
			char cn[64];
			snprintf(cn, sizeof(cn), "%s-%u.edge", words[rng_below(r, N_WORDS)], rng_below(r, 100));
			target = (uint16_t)o;
			o += dns_name(a + o, cn, zone_off);
			put16(a + rd - 2, (uint16_t)(o - rd));
			ancount++;
		}
		uint32_t n = qtype == QT_TXT ? rng_range(r, 1, 2) : rng_range(r, 1, 3);
		for (uint32_t i = 0; i < n; i++) {
			o += dns_rr_head(a + o, target, qtype, rng_range(r, 30, 86400));
			size_t rd = o;
			if (qtype == QT_A) {
				put32(a + o, h ? h->ip + i : (uint32_t)rng_next(r));
				o += 4;
			} else if (qtype == QT_AAAA) {
				memcpy(a + o, h->ip6, 16);
				a[o + 15] = (uint8_t)(a[o + 15] + i);
				o += 16;
			} else if (qtype == QT_MX) {
				char mx[16];
				put16(a + o, (uint16_t)(10 * (i + 1)));
				snprintf(mx, sizeof(mx), "mx%u", i + 1);
				o += 2;
				o += dns_name(a + o, mx, zone_off);
			} else {
				char txt[200];
				int tl = i == 0 ? snprintf(txt, sizeof(txt), "v=spf1 include:_spf.%s ~all", zone)
						: snprintf(txt, sizeof(txt), "site-verification=%016" PRIx64 "%016" PRIx64,
							   rng_next(r), rng_next(r));
				a[o++] = (uint8_t)tl;
				memcpy(a + o, txt, (size_t)tl);
				o += (size_t)tl;
			}
			put16(a + rd - 2, (uint16_t)(o - rd));
			ancount++;
		}
	}
	put16(a + 6, ancount);
	put16(a + 8, nscount);
	put16(a + 10, 0);
	udp_emit(s, &srv, &cli, a, o);
	advance(s, rng_range(r, 50, 2000));
	w->c.dns_queries++;
	switch (qtype) {
	case QT_A: w->c.dns_a++; break;
	case QT_AAAA: w->c.dns_aaaa++; break;
	case QT_MX: w->c.dns_mx++; break;
	default: w->c.dns_txt++; break;
	}
}

static void dns_session(struct world *w, struct slot *s)
{
	struct rng *r = &w->rng;
	const struct client *cl = &w->clients[rng_below(r, N_CLIENTS)];
	const struct host *h = &w->hosts[rng_below(r, N_HOSTS)];
	uint32_t x = rng_below(r, 100);
	if (x < 3) {
		/* typo'd or stale names: NXDOMAIN */
		char name[96];
		snprintf(name, sizeof(name), "%s%s.%s", words[rng_below(r, N_WORDS)],
			 rng_pct(r, 50) ? "-old" : "s", h->zone);
		dns_exchange(w, s, cl, name, h->zone, QT_A, true, NULL);
	} else if (x < 70) {
		dns_exchange(w, s, cl, h->name, h->zone, QT_A, false, h);
		if (rng_pct(r, 60))
			dns_exchange(w, s, cl, h->name, h->zone, QT_AAAA, false, h);
	} else if (x < 80) {
		dns_exchange(w, s, cl, h->name, h->zone, QT_AAAA, false, h);
	} else if (x < 92) {
		dns_exchange(w, s, cl, h->zone, h->zone, QT_MX, false, h);
	} else {
		dns_exchange(w, s, cl, h->zone, h->zone, QT_TXT, false, h);
	}
}

/* ----------------------------------------------------------------- SMTP */

static void smtp_line(struct slot *s, struct conn *c, int dir, const char *line)
{
	tcp_send(s, c, dir, (const uint8_t *)line, strlen(line));
	advance(s, c->rtt_us / 2 + 200);
}

static void smtp_session(struct world *w, struct slot *s)
{
	struct rng *r = &w->rng;
	const struct client *cl = &w->clients[rng_below(r, N_CLIENTS)];
	struct conn c;
	conn_init(w, &c, cl, w->mail_ip, w->mail_mac, 25, true);
	tcp_handshake(s, &c);
	char line[512];
	smtp_line(s, &c, 1, "220 mail.corp.example ESMTP Postfix (Debian/GNU)\r\n");
	snprintf(line, sizeof(line), "EHLO %s\r\n", cl->name);
	smtp_line(s, &c, 0, line);
	smtp_line(s, &c, 1, "250-mail.corp.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
			    "250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
			    "250-DSN\r\n250 SMTPUTF8\r\n");
	uint32_t mails = rng_pct(r, 80) ? 1 : 2;
	for (uint32_t m = 0; m < mails; m++) {
		snprintf(line, sizeof(line), "MAIL FROM:<%s@corp.example>\r\n", cl->mailbox);
		smtp_line(s, &c, 0, line);
		smtp_line(s, &c, 1, "250 2.1.0 Ok\r\n");
		uint32_t rcpts = rng_range(r, 1, 3);
		char to[256] = "";
		for (uint32_t i = 0; i < rcpts; i++) {
			const struct host *h = &w->hosts[rng_below(r, N_HOSTS)];
			char addr[96];
			snprintf(addr, sizeof(addr), "%s@%s", words[rng_below(r, N_WORDS)], h->zone);
			snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", addr);
			smtp_line(s, &c, 0, line);
			smtp_line(s, &c, 1, "250 2.1.5 Ok\r\n");
			size_t tl = strlen(to);
			snprintf(to + tl, sizeof(to) - tl, "%s%s", i ? ", " : "", addr);
			w->c.smtp_rcpts++;
		}
		smtp_line(s, &c, 0, "DATA\r\n");
		smtp_line(s, &c, 1, "354 End data with <CR><LF>.<CR><LF>\r\n");
		struct gbuf *b = &w->msg;
		b->len = 0;
		gbuf_printf(b, "From: %s <%s@corp.example>\r\nTo: %s\r\n", cl->mailbox, cl->mailbox, to);
		gbuf_printf(b, "Subject: %s %s report %u\r\n", words[rng_below(r, N_WORDS)],
			    words[rng_below(r, N_WORDS)], rng_below(r, 1000));
		http_date(b, "Date", s->ts);
		gbuf_printf(b, "Message-ID: <%016" PRIx64 "@%s>\r\nMIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n\r\n", rng_next(r), cl->name);
		size_t body = rng_range(r, 1000, 6000), start = b->len;
		while (b->len - start < body) {
			/* ~72-column lines from the text pool, one dot-stuffed line */
			uint32_t off = rng_below(r, (uint32_t)(POOL_SIZE - 100));
			if (b->len == start + 0 || rng_pct(r, 3))
				gbuf_puts(b, "..");
			for (uint32_t k = 0; k < 72; k++) {
				uint8_t ch = w->text_pool[off + k];
				gbuf_add(b, ch == '\n' || ch == '<' ? " " : (const char *)&ch, 1);
			}
			gbuf_puts(b, "\r\n");
		}
		gbuf_puts(b, ".\r\n");
		tcp_send(s, &c, 0, b->p, b->len);
		advance(s, c.rtt_us / 2 + 2000);
		snprintf(line, sizeof(line), "250 2.0.0 Ok: queued as %010" PRIX64 "\r\n",
			 (uint64_t)(rng_next(r) & 0xffffffffffull));
		smtp_line(s, &c, 1, line);
		w->c.smtp_mails++;
	}
	smtp_line(s, &c, 0, "QUIT\r\n");
	smtp_line(s, &c, 1, "221 2.0.0 Bye\r\n");
	tcp_teardown(s, &c, 1);
	w->c.smtp_sessions++;
}

/* ----------------------------------------------------- family (inert) */

enum fam_kind { FAM_STORM, FAM_FLAME, FAM_CONFICKER_CHECKIN, FAM_CONFICKER_DGA, FAM_MAX };
static const struct fam_info {
	const char *name;	/* summary line key */
	unsigned per_scale;	/* sessions per --family unit */
} fam_table[FAM_MAX] = {
	[FAM_STORM] = {"storm_post", 6},
	[FAM_FLAME] = {"flame_get", 4},
	[FAM_CONFICKER_CHECKIN] = {"conficker_checkin", 5},
	[FAM_CONFICKER_DGA] = {"conficker_dga_burst", 2},
};
#define DGA_BURST 25

/* One request/response on a fresh connection; response is a small filler body. */
static void fam_http(struct world *w, struct slot *s, const struct client *cl, uint32_t sip,
		     const char *req, size_t reqlen)
{
	struct rng *r = &w->rng;
	struct conn c;
	conn_init(w, &c, cl, sip, w->gw_mac, 80, false);
	tcp_handshake(s, &c);
	tcp_send(s, &c, 0, (const uint8_t *)req, reqlen);
	advance(s, c.rtt_us / 2 + 3000);
	struct gbuf *m = &w->msg;
	m->len = 0;
	size_t n = rng_range(r, 64, 400);
	gbuf_puts(m, "HTTP/1.1 200 OK\r\n");
	http_date(m, "Date", s->ts);
	gbuf_printf(m, "Server: Apache\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n", n);
	pool_fill(r, m, w->text_pool, n);
	tcp_send(s, &c, 1, m->p, m->len);
	tcp_teardown(s, &c, 1);
	w->c.http_requests++;
}

static void base64(struct gbuf *out, const uint8_t *in, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
			     i + 2 < n ? tab[v & 63] : '='};
		gbuf_add(out, q, 4);
	}
}

static void family_session(struct world *w, struct slot *s, enum fam_kind k)
{
	struct rng *r = &w->rng;
	/* infected-looking hosts: the last 10 clients */
	const struct client *cl = &w->clients[N_CLIENTS - 1 - rng_below(r, 10)];
	uint32_t peer = ip4(rng_range(r, 60, 90), rng_range(r, 1, 254), rng_range(r, 0, 255), rng_range(r, 1, 254));
	char req[2048];
	int n = 0;
	switch (k) {
	case FAM_STORM: {
		static const char *const ext[] = {"jpg", "htm", "gif"};
		uint8_t filler[600];
		size_t fl = rng_range(r, 120, sizeof(filler));
		for (size_t i = 0; i < fl; i++)
			filler[i] = (uint8_t)rng_next(r);
		struct gbuf b = {.max = 4096};
		base64(&b, filler, fl);
		n = snprintf(req, sizeof(req),
			     "POST /%c%c%c.%s HTTP/1.1\r\nHost: %u.%u.%u.%u\r\nUser-Agent: %s\r\n"
			     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n%.*s",
			     'a' + rng_below(r, 26), 'a' + rng_below(r, 26), 'a' + rng_below(r, 26),
			     ext[rng_below(r, 3)], peer >> 24, (peer >> 16) & 255, (peer >> 8) & 255,
			     peer & 255, storm_ua, b.len, (int)b.len, (const char *)b.p);
		free(b.p);
		w->c.storm_post++;
		break;
	}
	case FAM_FLAME:
		n = snprintf(req, sizeof(req),
			     "GET /wp-content/rss.php?UNIQUE_NUMBER=%u%05u HTTP/1.1\r\nHost: %s%s.example\r\n"
			     "User-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
			     rng_range(r, 10000, 99999), rng_below(r, 100000), words[rng_below(r, N_WORDS)],
			     words[rng_below(r, N_WORDS)], old_ie_ua);
		w->c.flame_get++;
		break;
	case FAM_CONFICKER_CHECKIN:
		n = snprintf(req, sizeof(req),
			     "GET /search?q=%u HTTP/1.0\r\nHost: %u.%u.%u.%u\r\nUser-Agent: %s\r\n"
			     "Accept: */*\r\nConnection: close\r\n\r\n",
			     rng_pct(r, 60) ? 0u : rng_below(r, 10), peer >> 24, (peer >> 16) & 255,
			     (peer >> 8) & 255, peer & 255, old_ie_ua);
		w->c.conficker_checkin++;
		break;
	case FAM_CONFICKER_DGA: {
		static const char *const dga_tlds[] = {"com", "net", "org", "info", "biz", "ws", "cn", "cc"};
		for (int i = 0; i < DGA_BURST; i++) {
			char name[16], zone[32];
			uint32_t len = rng_range(r, 5, 11);
			for (uint32_t j = 0; j < len; j++)
				name[j] = (char)('a' + rng_below(r, 26));
			name[len] = 0;
			snprintf(zone, sizeof(zone), "%s.%s", name, dga_tlds[rng_below(r, 8)]);
			dns_exchange(w, s, cl, zone, zone, QT_A, true, NULL);
			w->c.conficker_nxdomain++;
		}
		return;
	}
	default:
		return;
	}
	if (n <= 0 || (size_t)n >= sizeof(req))
		die("family request too long");
	fam_http(w, s, cl, peer, req, (size_t)n);
}

/* --------------------------------------------------------------- driver */

struct options {
	uint64_t seed, size, count;
	const char *out;
	uint64_t max_body;
	unsigned family, slots, alt_port_pct;
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mamori-gen [--seed N] (--size BYTES[k|M|G] | --count SESSIONS) --out FILE\n"
		"                  [--family[=SCALE]] [--alt-ports PCT] [--concurrency N]\n"
		"                  [--max-body BYTES] [--quiet]\n"
		"Writes a deterministic Ethernet pcap of HTTP/1.1, DNS and SMTP sessions.\n"
		"  --seed N          RNG seed (default 1); same options give the same bytes\n"
		"  --size BYTES      stop starting sessions once the file reaches BYTES\n"
		"  --count N         number of ordinary sessions (HTTP connection, DNS lookup\n"
		"                    or SMTP session) instead of --size\n"
		"  --family[=SCALE]  embed inert family-like traffic, SCALE times the base\n"
		"                    counts (storm_post 6, flame_get 4, conficker_checkin 5,\n"
		"                    conficker_dga_burst 2 x %d NXDOMAIN)\n"
		"  --alt-ports PCT   put PCT%% of HTTP connections on port 8080 or 5000\n"
		"  --concurrency N   sessions interleaved on the link (default 8, max %d)\n"
		"  --max-body BYTES  cap HTTP body sizes (default and max 6M), for small files\n"
		"  --quiet           do not print the counts\n"
		"Prints one 'name count' line per kind on stdout.\n",
		DGA_BURST, MAX_SLOTS);
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'M')
		mul = 1000000, end++;
	else if (*end == 'G')
		mul = 1000000000, end++;
	if (*end)
		return false;
	*out = (uint64_t)v * mul;
	return true;
}

static void print_counts(const struct counts *c, bool family)
{
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{"packets", c->packets}, {"bytes", c->bytes}, {"tcp_connections", c->tcp_conns},
		{"http_requests", c->http_requests}, {"http_alt_port_requests", c->http_alt_port},
		{"http_gzip_responses", c->http_gzip}, {"http_chunked_responses", c->http_chunked},
		{"dns_queries", c->dns_queries}, {"dns_nxdomain", c->dns_nxdomain},
		{"dns_queries_a", c->dns_a}, {"dns_queries_aaaa", c->dns_aaaa},
		{"dns_queries_mx", c->dns_mx}, {"dns_queries_txt", c->dns_txt},
		{"smtp_sessions", c->smtp_sessions}, {"smtp_mails", c->smtp_mails},
		{"smtp_rcpts", c->smtp_rcpts},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%s %" PRIu64 "\n", rows[i].name, rows[i].v);
	if (family) {
		printf("family.storm_post %" PRIu64 "\n", c->storm_post);
		printf("family.flame_get %" PRIu64 "\n", c->flame_get);
		printf("family.conficker_checkin %" PRIu64 "\n", c->conficker_checkin);
		printf("family.conficker_nxdomain %" PRIu64 "\n", c->conficker_nxdomain);
	}
}

static int run(const struct options *o)
{
	static struct world w;
	struct slot *slots = calloc(o->slots, sizeof(*slots));
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = pd ? pcap_dump_open(pd, o->out) : NULL;
	if (!slots || !dump) {
		fprintf(stderr, "mamori-gen: cannot open '%s': %s\n", o->out,
			pd ? pcap_geterr(pd) : "pcap_open_dead failed");
		if (pd)
			pcap_close(pd);
		free(slots);
		return 2;
	}
	world_init(&w, o->seed);
	w.alt_port_pct = o->alt_port_pct;
	w.max_body = o->max_body;

	/* Family sessions, shuffled, scheduled at even steps of progress. */
	enum fam_kind plan[FAM_MAX * 6 * 1000];
	size_t nfam = 0;
	for (int k = 0; k < FAM_MAX; k++)
		for (unsigned i = 0; i < fam_table[k].per_scale * o->family; i++)
			plan[nfam++] = (enum fam_kind)k;
	for (size_t i = nfam; i > 1; i--) {
		size_t j = rng_below(&w.rng, (uint32_t)i);
		enum fam_kind t = plan[i - 1];
		plan[i - 1] = plan[j];
		plan[j] = t;
	}
	size_t fam_next = 0;
	uint64_t started = 0, now = START_TS;
	bool stopping = false;
	for (;;) {
		for (unsigned i = 0; i < o->slots; i++) {
			struct slot *s = &slots[i];
			if (s->next < s->nrec)
				continue;
			double progress = o->size ? (double)w.c.bytes / (double)o->size
						  : (double)started / (double)o->count;
			stopping = stopping || progress >= 1.0;
			bool fam_due = fam_next < nfam &&
				       (stopping || progress >= (double)(fam_next + 1) / (double)(nfam + 1));
			if (stopping && !fam_due)
				continue;
			slot_reset(s, now + rng_range(&w.rng, 10, 3000));
			if (fam_due) {
				family_session(&w, s, plan[fam_next++]);
			} else {
				uint32_t x = rng_below(&w.rng, 100);
				if (x < 50)
					http_session(&w, s);
				else if (x < 91)
					dns_session(&w, s);
				else
					smtp_session(&w, s);
				started++;
			}
			w.c.sessions++;
		}
		struct slot *best = NULL;
		for (unsigned i = 0; i < o->slots; i++) {
			struct slot *s = &slots[i];
			if (s->next < s->nrec && (!best || s->recs[s->next].ts < best->recs[best->next].ts))
				best = s;
		}
		if (!best)
			break;
		const struct rec *rc = &best->recs[best->next++];
		struct pcap_pkthdr h = {.ts = {.tv_sec = (time_t)(rc->ts / 1000000),
					       .tv_usec = (suseconds_t)(rc->ts % 1000000)},
					.caplen = rc->len, .len = rc->len};
		pcap_dump((u_char *)dump, &h, best->data.p + rc->off);
		now = rc->ts;
		w.c.packets++;
		w.c.bytes += 16 + rc->len;
	}
	int rc = 0;
	if (pcap_dump_flush(dump) != 0) {
		fprintf(stderr, "mamori-gen: write error on '%s'\n", o->out);
		rc = 2;
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	w.c.bytes += 24;
	if (!rc && !o->quiet)
		print_counts(&w.c, o->family > 0);
	for (unsigned i = 0; i < o->slots; i++) {
		free(slots[i].data.p);
		free(slots[i].recs);
	}
	free(slots);
	world_release(&w);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seed", required_argument, NULL, 's'},
		{"size", required_argument, NULL, 'S'},
		{"count", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{"family", optional_argument, NULL, 'f'},
		{"alt-ports", required_argument, NULL, 'a'},
		{"concurrency", required_argument, NULL, 'j'},
		{"max-body", required_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct options o = {.seed = 1, .slots = 8, .max_body = BODY_CAP};
	uint64_t v;
	int ch;
	while ((ch = getopt_long(argc, argv, "s:S:c:o:f::a:j:b:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!parse_size(optarg, &o.seed))
				goto bad;
			break;
		case 'S':
			if (!parse_size(optarg, &o.size) || !o.size)
				goto bad;
			break;
		case 'c':
			if (!parse_size(optarg, &o.count) || !o.count)
				goto bad;
			break;
		case 'o': o.out = optarg; break;
		case 'f':
			o.family = 1;
			if (optarg && (!parse_size(optarg, &v) || v < 1 || v > 1000))
				goto bad;
			if (optarg)
				o.family = (unsigned)v;
			break;
		case 'a':
			if (!parse_size(optarg, &v) || v > 100)
				goto bad;
			o.alt_port_pct = (unsigned)v;
			break;
		case 'j':
			if (!parse_size(optarg, &v) || v < 1 || v > MAX_SLOTS)
				goto bad;
			o.slots = (unsigned)v;
			break;
		case 'b':
			if (!parse_size(optarg, &o.max_body) || o.max_body < 64 || o.max_body > BODY_CAP)
				goto bad;
			break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc || !o.out || (!o.size == !o.count))
		goto bad;
	return run(&o);
bad:
	usage(stderr);
	return 2;
}
