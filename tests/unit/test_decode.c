/*
 * Unit tests for the packet decoder and IP fragment reassembly
 * (src/decode).  Frames are built in memory by the small builders below,
 * which compute checksums with their own straightforward RFC 1071 loop (not
 * the decoder's), and every decoded frame is handed to the decoder in an
 * exact-size heap copy so ASan flags any read past caplen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pcap/pcap.h>

#include "decode/decode.h"

/* ---- builders ----------------------------------------------------------- */

struct fb {
	uint8_t b[70000];
	size_t n;
};

static void put8(struct fb *f, unsigned v)
{
	assert_true(f->n < sizeof(f->b));
	f->b[f->n++] = (uint8_t)v;
}

static void put16(struct fb *f, unsigned v)
{
	put8(f, (v >> 8) & 0xff);
	put8(f, v & 0xff);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void putbytes(struct fb *f, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, ((const uint8_t *)p)[i]);
}

static void set16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Reference checksum: 16-bit big-endian words, end-around carry. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (n & 1) {
		sum += (uint32_t)p[n - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static unsigned ref_csum(uint32_t sum)
{
	return (~sum) & 0xffff;
}

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 168, 1, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

/* TCP segment (checksum left 0; fixed by the IP builder). */
static void mk_tcp(struct fb *f, unsigned sport, unsigned dport, uint32_t seq,
		   uint32_t ack, unsigned flags, const uint8_t *opt,
		   size_t optlen, const void *pl, size_t plen)
{
	assert_true(optlen % 4 == 0);
	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, ack);
	put8(f, (unsigned)((20 + optlen) / 4) << 4);
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	putbytes(f, opt, optlen);
	putbytes(f, pl, plen);
}

static void mk_udp(struct fb *f, unsigned sport, unsigned dport,
		   const void *pl, size_t plen)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, (unsigned)(8 + plen));
	put16(f, 0);
	putbytes(f, pl, plen);
}

static void mk_icmp(struct fb *f, unsigned type, unsigned code,
		    const void *pl, size_t plen)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, 0x12340001);
	putbytes(f, pl, plen);
}

/* Offset of the checksum inside an L4 header, or -1 for none. */
static int l4_csum_off(unsigned proto)
{
	switch (proto) {
	case 6:
		return 16;
	case 17:
		return 6;
	case 1:
	case 58:
		return 2;
	default:
		return -1;
	}
}

/* Fills the L4 checksum of seg (len bytes) given the pseudo-header sum. */
static void fix_l4(uint8_t *seg, size_t len, unsigned proto, uint32_t pseudo)
{
	int off = l4_csum_off(proto);
	if (off < 0 || len < (size_t)off + 2)
		return;
	set16(seg + off, 0);
	unsigned c = ref_csum(ref_sum(pseudo, seg, len));
	if (proto == 17 && c == 0)
		c = 0xffff;
	set16(seg + off, c);
}

static uint32_t pseudo4(const uint8_t *s, const uint8_t *d, unsigned proto,
			size_t len)
{
	uint32_t sum = ref_sum(0, s, 4);
	sum = ref_sum(sum, d, 4);
	uint8_t t[4] = {0, (uint8_t)proto, (uint8_t)(len >> 8), (uint8_t)len};
	return ref_sum(sum, t, 4);
}

static uint32_t pseudo6(const uint8_t *s, const uint8_t *d, unsigned proto,
			size_t len)
{
	uint32_t sum = ref_sum(0, s, 16);
	sum = ref_sum(sum, d, 16);
	uint8_t t[8] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
			(uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0,
			(uint8_t)proto};
	return ref_sum(sum, t, 8);
}

struct ip4opt {
	unsigned id, frag;	/* frag: flags|offset/8 field */
	const uint8_t *opt;
	size_t optlen;
	int no_l4_fix;
	unsigned ttl;
};

/* Appends an IPv4 header + l4 to f, with correct checksums. */
static void mk_ipv4(struct fb *f, unsigned proto, const uint8_t *l4,
		    size_t l4len, const struct ip4opt *o)
{
	static const struct ip4opt none = {0};
	if (!o)
		o = &none;
	assert_true(o->optlen % 4 == 0);
	size_t h = f->n, hlen = 20 + o->optlen;
	put8(f, 0x40 | (unsigned)(hlen / 4));
	put8(f, 0);
	put16(f, (unsigned)(hlen + l4len));
	put16(f, o->id);
	put16(f, o->frag);
	put8(f, o->ttl ? o->ttl : 64);
	put8(f, proto);
	put16(f, 0);
	putbytes(f, A4, 4);
	putbytes(f, B4, 4);
	putbytes(f, o->opt, o->optlen);
	set16(f->b + h + 10, ref_csum(ref_sum(0, f->b + h, hlen)));
	size_t s = f->n;
	putbytes(f, l4, l4len);
	if (!o->no_l4_fix)	/* ICMPv4 has no pseudo header */
		fix_l4(f->b + s, l4len, proto,
		       proto == 1 ? 0 : pseudo4(A4, B4, proto, l4len));
}

/* Appends an IPv6 header, ext (with its own next headers; first next
 * header is nh0), then l4 whose protocol is proto. */
static void mk_ipv6(struct fb *f, unsigned nh0, const uint8_t *ext,
		    size_t extlen, unsigned proto, const uint8_t *l4,
		    size_t l4len, int fix)
{
	put32(f, 0x60000000);
	put16(f, (unsigned)(extlen + l4len));
	put8(f, nh0);
	put8(f, 64);
	putbytes(f, A6, 16);
	putbytes(f, B6, 16);
	putbytes(f, ext, extlen);
	size_t s = f->n;
	putbytes(f, l4, l4len);
	if (fix)
		fix_l4(f->b + s, l4len, proto, pseudo6(A6, B6, proto, l4len));
}

static void mk_eth(struct fb *f, unsigned type)
{
	static const uint8_t mac[12] = {0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10};
	putbytes(f, mac, 12);
	put16(f, type);
}

/* ---- decoding helpers --------------------------------------------------- */

struct ctx {
	struct decoder d;
	struct packet p;
	uint8_t *copy;
};

static void ctx_init(struct ctx *c, int csum)
{
	struct decode_config cfg;
	decode_config_defaults(&cfg);
	cfg.checksum_validate = csum;
	memset(c, 0, sizeof(*c));
	assert_int_equal(decode_init(&c->d, &cfg), 0);
}

static void ctx_done(struct ctx *c)
{
	packet_release(&c->p);
	free(c->copy);
	c->copy = NULL;
	decode_release(&c->d);
}

/* Decodes the first len bytes of buf from an exact-size copy. */
static int dec_n(struct ctx *c, int lt, const uint8_t *buf, size_t len,
		 uint64_t ts)
{
	free(c->copy);
	c->copy = malloc(len ? len : 1);
	assert_non_null(c->copy);
	if (len)
		memcpy(c->copy, buf, len);
	return decode_packet(&c->d, &c->p, lt, c->copy, (uint32_t)len,
			     (uint32_t)len, ts);
}

static int dec(struct ctx *c, int lt, const struct fb *f)
{
	return dec_n(c, lt, f->b, f->n, 1000000);
}

static uint64_t total_events(const struct decoder *d)
{
	uint64_t n = 0;
	for (int i = 0; i < DEV_MAX; i++)
		n += d->events[i];
	return n;
}

static void assert_addr(const struct mamori_addr *a, const char *want)
{
	char s[64];
	mamori_addr_str(a, s, sizeof(s));
	assert_string_equal(s, want);
}

/* A standard Ethernet/IPv4/TCP SYN with MSS, SACK-permitted, window scale
 * and a small payload. */
static void build_eth_tcp(struct fb *f)
{
	static const uint8_t opt[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 0, 0};
	struct fb l4 = {.n = 0};
	mk_tcp(&l4, 40000, 80, 1000, 0, 0x02, opt, sizeof(opt), "GET /", 5);
	memset(f, 0, sizeof(*f));
	mk_eth(f, 0x0800);
	mk_ipv4(f, 6, l4.b, l4.n, NULL);
}

/* ---- link layers and fields --------------------------------------------- */

static void test_eth_ipv4_tcp(void **state)
{
	(void)state;
	static struct fb f;
	struct ctx c;
	build_eth_tcp(&f);
	ctx_init(&c, 1);
	c.p.pcap_cnt = 7;
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	struct packet *p = &c.p;
	assert_int_equal(p->pcap_cnt, 7);
	assert_int_equal(p->flags, PKT_HAS_IP);
	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->proto, 6);
	assert_int_equal(p->ttl, 64);
	assert_addr(&p->src, "10.0.0.1");
	assert_addr(&p->dst, "192.168.1.2");
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 80);
	assert_int_equal(p->tcp_seq, 1000);
	assert_int_equal(p->tcp_flags, TH_SYN);
	assert_int_equal(p->tcp_win, 65535);
	assert_int_equal(p->tcp_mss, 1460);
	assert_int_equal(p->tcp_wscale, 7);
	assert_true(p->tcp_sack_ok);
	assert_int_equal(p->l3_len, 20 + 32 + 5);
	assert_ptr_equal(p->l3, c.copy + 14);
	assert_int_equal(p->l4_len, 32 + 5);
	assert_int_equal(p->payload_len, 5);
	assert_memory_equal(p->payload, "GET /", 5);
	assert_int_equal(p->raw_len, f.n);
	assert_int_equal(p->ts_usec, 1000000);
	assert_int_equal(c.d.pkts, 1);
	assert_int_equal(c.d.bytes, f.n);
	assert_int_equal(c.d.ipv4, 1);
	assert_int_equal(c.d.tcp, 1);
	assert_int_equal(total_events(&c.d), 0);
	/* IPv4 keys compare with memcmp: the tail of the address is zero */
	for (int i = 4; i < 16; i++)
		assert_int_equal(p->src.a[i], 0);
	ctx_done(&c);
}

static void test_eth_padding_trimmed(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 5353, 53, "ab", 2);
	mk_eth(&f, 0x0800);
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	while (f.n < 60)
		put8(&f, 0xee);	/* Ethernet minimum-size padding */
	ctx_init(&c, 1);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.l3_len, 30);
	assert_int_equal(c.p.l4_len, 10);
	assert_int_equal(c.p.payload_len, 2);
	assert_memory_equal(c.p.payload, "ab", 2);
	assert_int_equal(c.p.sport, 5353);
	assert_int_equal(c.p.dport, 53);
	assert_int_equal(c.d.udp, 1);
	assert_int_equal(total_events(&c.d), 0);
	ctx_done(&c);
}

static void test_vlan(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 1, 2, "x", 1);
	static const unsigned outer[] = {0x8100, 0x88a8, 0x9100};
	ctx_init(&c, 1);
	for (size_t i = 0; i < 3; i++) {
		/* single tag */
		f.n = 0;
		mk_eth(&f, outer[i]);
		put16(&f, 0x2000 | 100);	/* PCP 1, VID 100 */
		put16(&f, 0x0800);
		mk_ipv4(&f, 17, l4.b, l4.n, NULL);
		assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
		assert_int_equal(c.p.vlan_count, 1);
		assert_int_equal(c.p.vlan[0], 100);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.dport, 2);
	}
	/* QinQ: 802.1ad outer, 802.1Q inner */
	f.n = 0;
	mk_eth(&f, 0x88a8);
	put16(&f, 300);
	put16(&f, 0x8100);
	put16(&f, 42);
	put16(&f, 0x86dd);
	mk_ipv6(&f, 17, NULL, 0, 17, l4.b, l4.n, 1);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.vlan_count, 2);
	assert_int_equal(c.p.vlan[0], 300);
	assert_int_equal(c.p.vlan[1], 42);
	assert_int_equal(c.p.ipver, 6);
	assert_int_equal(c.d.vlan, 4);
	assert_int_equal(total_events(&c.d), 0);
	/* three tags are decoded (two recorded), four are too many */
	f.n = 0;
	mk_eth(&f, 0x8100);
	put16(&f, 1);
	put16(&f, 0x8100);
	put16(&f, 2);
	put16(&f, 0x8100);
	put16(&f, 3);
	put16(&f, 0x0800);
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.vlan_count, 2);
	assert_int_equal(c.p.vlan[1], 2);
	assert_int_equal(c.p.dport, 2);
	f.b[16 + 8] = 0x81;	/* the ethertype after tag 3 becomes a tag */
	f.b[17 + 8] = 0x00;
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_VLAN_TOO_MANY], 1);
	/* tag cut short */
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, 16, 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_VLAN_TRUNC], 1);
	ctx_done(&c);
}

static void test_sll_sll2(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 53, 33000, "resp", 4);
	ctx_init(&c, 1);
	/* SLL: type, ARPHRD, addr len, addr[8], protocol */
	put16(&f, 0);
	put16(&f, 1);
	put16(&f, 6);
	putbytes(&f, "\x00\x11\x22\x33\x44\x55\x00\x00", 8);
	put16(&f, 0x86dd);
	mk_ipv6(&f, 17, NULL, 0, 17, l4.b, l4.n, 1);
	assert_int_equal(dec(&c, DLT_LINUX_SLL, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_addr(&c.p.src, "2001:db8::1");
	assert_addr(&c.p.dst, "2001:db8::ab02");
	assert_int_equal(c.p.sport, 53);
	assert_int_equal(c.p.payload_len, 4);
	/* SLL2: protocol, reserved, ifindex, ARPHRD, type, addr len, addr[8] */
	f.n = 0;
	put16(&f, 0x0800);
	put16(&f, 0);
	put32(&f, 3);
	put16(&f, 1);
	put8(&f, 4);
	put8(&f, 6);
	putbytes(&f, "\x00\x11\x22\x33\x44\x55\x00\x00", 8);
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	assert_int_equal(dec(&c, DLT_LINUX_SLL2, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.ipver, 4);
	assert_int_equal(c.p.dport, 33000);
	assert_int_equal(total_events(&c.d), 0);
	/* truncated SLL headers */
	assert_int_equal(dec_n(&c, DLT_LINUX_SLL, f.b, 15, 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(dec_n(&c, DLT_LINUX_SLL2, f.b, 19, 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_SLL_TRUNC], 2);
	ctx_done(&c);
}

static void test_raw_and_null(void **state)
{
	(void)state;
	static struct fb v4, v6, f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_icmp(&l4, 8, 0, "ping", 4);
	mk_ipv4(&v4, 1, l4.b, l4.n, NULL);
	l4.n = 0;
	mk_icmp(&l4, 128, 0, "ping", 4);
	mk_ipv6(&v6, 58, NULL, 0, 58, l4.b, l4.n, 1);
	ctx_init(&c, 1);

	static const int raw4[] = {DLT_RAW, 101, DLT_IPV4};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dec(&c, raw4[i], &v4), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.proto, 1);
		assert_int_equal(c.p.icmp_type, 8);
		assert_int_equal(c.p.sport, 0);
		assert_int_equal(c.p.payload_len, 4);
	}
	static const int raw6[] = {DLT_RAW, 101, DLT_IPV6};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dec(&c, raw6[i], &v6), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.proto, 58);
		assert_int_equal(c.p.icmp_type, 128);
	}
	assert_int_equal(c.d.icmpv4, 3);
	assert_int_equal(c.d.icmpv6, 3);
	assert_int_equal(total_events(&c.d), 0);
	/* DLT_IPV6 holds the frame to its word */
	uint8_t bad[40] = {0x45};
	assert_int_equal(dec_n(&c, DLT_IPV6, bad, sizeof(bad), 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_IPV6_WRONG_VERSION], 1);
	/* raw with a version that is neither */
	bad[0] = 0x50;
	assert_int_equal(dec_n(&c, DLT_RAW, bad, sizeof(bad), 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);

	/* BSD loopback: both byte orders, the three AF_INET6 values */
	struct {
		int dlt;
		uint8_t af[4];
		const struct fb *ip;
	} cases[] = {
		{DLT_NULL, {2, 0, 0, 0}, &v4},	{DLT_NULL, {0, 0, 0, 2}, &v4},
		{DLT_LOOP, {0, 0, 0, 2}, &v4},	{DLT_LOOP, {2, 0, 0, 0}, &v4},
		{DLT_NULL, {24, 0, 0, 0}, &v6}, {DLT_NULL, {28, 0, 0, 0}, &v6},
		{DLT_NULL, {30, 0, 0, 0}, &v6}, {DLT_LOOP, {0, 0, 0, 30}, &v6},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.n = 0;
		putbytes(&f, cases[i].af, 4);
		putbytes(&f, cases[i].ip->b, cases[i].ip->n);
		assert_int_equal(dec(&c, cases[i].dlt, &f), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.ipver, cases[i].ip == &v4 ? 4 : 6);
	}
	assert_int_equal(dec_n(&c, DLT_NULL, f.b, 3, 1), DECODE_OK);
	assert_int_equal(c.d.events[DEV_NULL_TRUNC], 1);
	ctx_done(&c);
}

static void test_ppp_chdlc(void **state)
{
	(void)state;
	static struct fb v4, v6, f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 68, 67, "dhcp", 4);
	mk_ipv4(&v4, 17, l4.b, l4.n, NULL);
	mk_ipv6(&v6, 17, NULL, 0, 17, l4.b, l4.n, 1);
	ctx_init(&c, 1);
	struct {
		int dlt;
		uint8_t hdr[4];
		size_t hlen;
		const struct fb *ip;
	} cases[] = {
		{DLT_PPP, {0xff, 0x03, 0x00, 0x21}, 4, &v4},	/* full */
		{DLT_PPP, {0x00, 0x57}, 2, &v6},		/* no addr/ctl */
		{DLT_PPP, {0x21}, 1, &v4},			/* compressed */
		{DLT_PPP, {0xff, 0x03, 0x57}, 3, &v6},
		{DLT_C_HDLC, {0x0f, 0x00, 0x08, 0x00}, 4, &v4},
		{DLT_C_HDLC, {0x8f, 0x00, 0x86, 0xdd}, 4, &v6},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.n = 0;
		putbytes(&f, cases[i].hdr, cases[i].hlen);
		putbytes(&f, cases[i].ip->b, cases[i].ip->n);
		assert_int_equal(dec(&c, cases[i].dlt, &f), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.dport, 67);
		assert_int_equal(c.p.ipver, cases[i].ip == &v4 ? 4 : 6);
	}
	assert_int_equal(total_events(&c.d), 0);
	/* LCP is control traffic: no event; an unknown data protocol is one */
	static const uint8_t lcp[] = {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4};
	assert_int_equal(dec_n(&c, DLT_PPP, lcp, sizeof(lcp), 1), DECODE_OK);
	assert_int_equal(c.p.flags, 0);
	assert_int_equal(total_events(&c.d), 0);
	static const uint8_t other[] = {0x00, 0x3d, 1, 2};
	assert_int_equal(dec_n(&c, DLT_PPP, other, sizeof(other), 1), DECODE_OK);
	assert_int_equal(c.d.events[DEV_ETHERTYPE_UNKNOWN], 1);
	/* cut short */
	assert_int_equal(dec_n(&c, DLT_PPP, lcp, 2, 1), DECODE_OK);
	assert_int_equal(dec_n(&c, DLT_PPP, other, 1, 1), DECODE_OK);
	assert_int_equal(c.d.events[DEV_PPP_TRUNC], 2);
	assert_int_equal(dec_n(&c, DLT_C_HDLC, lcp, 3, 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_CHDLC_TRUNC], 1);
	ctx_done(&c);
}

static void test_non_ip_and_link(void **state)
{
	(void)state;
	static struct fb f;
	struct ctx c;
	ctx_init(&c, 1);
	mk_eth(&f, 0x0806);	/* ARP: known, not IP, no event */
	for (int i = 0; i < 28; i++)
		put8(&f, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.flags, 0);
	assert_int_equal(total_events(&c.d), 0);
	set16(f.b + 12, 0x1234);	/* unknown ethertype */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.flags, 0);
	assert_int_equal(c.d.events[DEV_ETHERTYPE_UNKNOWN], 1);
	/* unknown link type */
	assert_false(decode_linktype_supported(DLT_IEEE802_11));
	assert_true(decode_linktype_supported(DLT_LINUX_SLL2));
	assert_int_equal(dec(&c, DLT_IEEE802_11, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_LINK_UNKNOWN], 1);
	/* zero length and oversized frames */
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, 0, 1), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_PKT_ZERO_LEN], 1);
	c.d.cfg.max_packet = 30;
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_PKT_TOO_BIG], 1);
	assert_int_equal(c.d.invalid, 3);
	/* Ethernet header cut short */
	c.d.cfg.max_packet = 0;
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, 13, 1), DECODE_OK);
	assert_int_equal(c.d.events[DEV_ETH_TRUNC], 1);
	ctx_done(&c);
}

/* ---- IPv4 ---------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 7, 9, "opt", 3);
	ctx_init(&c, 1);
	/* NOP, record route (len 7, one slot), EOL */
	static const uint8_t good[] = {1, 7, 7, 4, 0, 0, 0, 0};
	struct ip4opt o = {.opt = good, .optlen = sizeof(good)};
	mk_eth(&f, 0x0800);
	mk_ipv4(&f, 17, l4.b, l4.n, &o);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.dport, 9);
	assert_int_equal(c.p.l4_len, 11);
	assert_int_equal(total_events(&c.d), 0);

	/* option lengths that lie: kept, counted, L4 still decoded */
	static const uint8_t lie[][8] = {
		{7, 40, 4, 0, 0, 0, 0, 0},	/* RR past the header */
		{7, 1, 0, 0, 0, 0, 0, 0},	/* length below 2 */
		{68, 3, 5, 0, 0, 0, 0, 0},	/* timestamp below its minimum */
		{148, 6, 0, 0, 0, 0, 0, 0},	/* router alert must be 4 */
		{1, 1, 1, 1, 1, 1, 1, 130},	/* length byte missing */
	};
	for (size_t i = 0; i < sizeof(lie) / sizeof(lie[0]); i++) {
		struct ip4opt ob = {.opt = lie[i], .optlen = 8};
		f.n = 0;
		mk_eth(&f, 0x0800);
		mk_ipv4(&f, 17, l4.b, l4.n, &ob);
		assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.dport, 9);
		assert_int_equal(c.d.events[DEV_IPV4_OPT_INVALID], i + 1);
	}
	ctx_done(&c);
}

static void test_ipv4_malformed(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct ctx c;
	mk_udp(&l4, 7, 9, "data", 4);
	ctx_init(&c, 0);
	struct {
		size_t off;
		uint8_t val;
		enum decode_event ev;
	} cases[] = {
		{14, 0x44, DEV_IPV4_HLEN_TOO_SMALL},		/* IHL 4 */
		{14, 0x4f, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN},	/* IHL 60 > total */
		{14, 0x55, DEV_IPV4_WRONG_VERSION},
		{17, 10, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN},	/* total 10 */
		{17, 200, DEV_IPV4_TRUNC_PKT},			/* total > frame */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.n = 0;
		mk_eth(&f, 0x0800);
		mk_ipv4(&f, 17, l4.b, l4.n, NULL);
		f.b[cases[i].off] = cases[i].val;
		memset(c.d.events, 0, sizeof(c.d.events));
		assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
		assert_true(c.p.flags & PKT_INVALID);
		assert_int_equal(c.d.events[cases[i].ev], 1);
		assert_int_equal(total_events(&c.d), 1);
	}
	assert_true(c.p.flags & PKT_TRUNCATED);
	/* the IP length shorter than the frame: trailing bytes are not payload */
	f.n = 0;
	mk_eth(&f, 0x0800);
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	put16(&f, 0xdead);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.p.payload_len, 4);
	ctx_done(&c);
}

/* Every prefix of a valid frame decodes without reading past its end and
 * is flagged invalid with exactly one event. */
static void check_prefixes(int lt, const struct fb *f, enum decode_event first)
{
	struct ctx c;
	ctx_init(&c, 1);
	for (size_t n = 1; n < f->n; n++) {
		memset(c.d.events, 0, sizeof(c.d.events));
		assert_int_equal(dec_n(&c, lt, f->b, n, 1), DECODE_OK);
		assert_true(c.p.flags & PKT_INVALID);
		assert_int_equal(total_events(&c.d), 1);
		if (n == 1)
			assert_int_equal(c.d.events[first], 1);
	}
	memset(c.d.events, 0, sizeof(c.d.events));
	assert_int_equal(dec_n(&c, lt, f->b, f->n, 1), DECODE_OK);
	assert_false(c.p.flags & PKT_INVALID);
	assert_int_equal(total_events(&c.d), 0);
	ctx_done(&c);
}

static void test_truncated_each_layer(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	build_eth_tcp(&f);
	check_prefixes(DLT_EN10MB, &f, DEV_ETH_TRUNC);
	f.n = 0;
	mk_udp(&l4, 1, 2, "hello", 5);
	mk_eth(&f, 0x8100);
	put16(&f, 5);
	put16(&f, 0x86dd);
	mk_ipv6(&f, 17, NULL, 0, 17, l4.b, l4.n, 1);
	check_prefixes(DLT_EN10MB, &f, DEV_ETH_TRUNC);
	f.n = 0;
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	check_prefixes(DLT_RAW, &f, DEV_IPV4_TRUNC);

	/* With the IP length shrunk to match, a cut TCP/UDP header is the L4
	 * decoder's event. */
	struct ctx c;
	ctx_init(&c, 0);
	build_eth_tcp(&f);
	set16(f.b + 16, 20 + 19);	/* 19 bytes of TCP */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_TCP_TRUNC], 1);
	set16(f.b + 16, 20 + 25);	/* header says 32 bytes */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_TCP_TRUNC], 2);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.p.ipver, 4);	/* the layers it read are kept */
	ctx_done(&c);
}

/* ---- TCP / UDP / ICMP ----------------------------------------------------- */

static void test_tcp_options_malformed(void **state)
{
	(void)state;
	static struct fb f;
	struct ctx c;
	ctx_init(&c, 1);
	struct {
		uint8_t opt[8];
		int events;
		int mss, ws;
	} cases[] = {
		{{2, 4, 1, 0, 3, 3, 20, 0}, 0, 256, 14},	/* wscale capped */
		{{2, 0, 1, 0, 0, 0, 0, 0}, 1, 0, -1},		/* length 0 */
		{{2, 20, 5, 0, 0, 0, 0, 0}, 1, 0, -1},		/* past header */
		{{2, 3, 5, 3, 3, 2, 0, 0}, 1, 0, 2},		/* wrong MSS len */
		{{1, 1, 1, 1, 1, 1, 1, 3}, 1, 0, -1},		/* len byte missing */
		{{5, 4, 0, 0, 1, 1, 0, 0}, 1, 0, -1},		/* SACK len 4 */
		{{0, 2, 4, 0, 0, 0, 0, 0}, 0, 0, -1},		/* EOL stops */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb l4 = {.n = 0};
		mk_tcp(&l4, 1, 2, 3, 4, 0x12, cases[i].opt, 8, "z", 1);
		f.n = 0;
		mk_ipv4(&f, 6, l4.b, l4.n, NULL);
		memset(c.d.events, 0, sizeof(c.d.events));
		assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
		assert_int_equal(c.p.flags, PKT_HAS_IP);
		assert_int_equal(c.p.tcp_flags, TH_SYN | TH_ACK);
		assert_int_equal(c.p.payload_len, 1);
		assert_int_equal(total_events(&c.d), cases[i].events);
		assert_int_equal(c.d.events[DEV_TCP_OPT_INVALID],
				 cases[i].events);
		assert_int_equal(c.p.tcp_mss, cases[i].mss);
		assert_int_equal(c.p.tcp_wscale, cases[i].ws);
		assert_false(c.p.tcp_sack_ok);
	}
	/* data offset below 5 */
	struct fb l4 = {.n = 0};
	mk_tcp(&l4, 1, 2, 3, 4, 0x10, NULL, 0, NULL, 0);
	l4.b[12] = 0x40;
	f.n = 0;
	mk_ipv4(&f, 6, l4.b, l4.n, NULL);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_TCP_HLEN_TOO_SMALL], 1);
	ctx_done(&c);
}

static void test_udp_icmp_malformed(void **state)
{
	(void)state;
	static struct fb f;
	struct ctx c;
	ctx_init(&c, 0);
	struct {
		unsigned ulen;
		enum decode_event ev;
	} cases[] = {
		{100, DEV_UDP_TRUNC},
		{4, DEV_UDP_HLEN_INVALID},
		{9, DEV_UDP_HLEN_INVALID},
	};
	for (size_t i = 0; i < 3; i++) {
		struct fb l4 = {.n = 0};
		mk_udp(&l4, 1, 2, "abcd", 4);
		set16(l4.b + 4, cases[i].ulen);
		f.n = 0;
		mk_ipv4(&f, 17, l4.b, l4.n, NULL);
		memset(c.d.events, 0, sizeof(c.d.events));
		assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
		assert_true(c.p.flags & PKT_INVALID);
		assert_int_equal(c.d.events[cases[i].ev], 1);
	}
	/* 6 bytes of UDP, 4 of ICMP, 7 of ICMPv6 */
	uint8_t six[6] = {0};
	f.n = 0;
	mk_ipv4(&f, 17, six, 6, NULL);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_UDP_TRUNC], 1);
	f.n = 0;
	mk_ipv4(&f, 1, six, 4, NULL);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_ICMPV4_TRUNC], 1);
	f.n = 0;
	mk_ipv6(&f, 58, NULL, 0, 58, six, 6, 0);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_ICMPV6_TRUNC], 1);
	assert_true(c.p.flags & PKT_INVALID);
	/* other protocols: IP layer only, no event */
	f.n = 0;
	mk_ipv4(&f, 47, six, 6, NULL);	/* GRE */
	memset(c.d.events, 0, sizeof(c.d.events));
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.proto, 47);
	assert_int_equal(c.p.l4_len, 6);
	assert_int_equal(total_events(&c.d), 0);
	ctx_done(&c);
}

/* ---- IPv6 extension headers ---------------------------------------------- */

static void test_ipv6_ext_headers(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0}, ext = {.n = 0};
	struct ctx c;
	mk_tcp(&l4, 443, 50000, 9, 10, 0x18, NULL, 0, "tls", 3);
	/* hop-by-hop (8) → routing (24) → AH (12+4=16) → dest opts (8) → TCP */
	put8(&ext, 43);
	put8(&ext, 0);
	putbytes(&ext, "\x01\x04\x00\x00\x00\x00", 6);
	put8(&ext, 51);
	put8(&ext, 2);
	for (int i = 0; i < 22; i++)
		put8(&ext, 0);
	put8(&ext, 60);
	put8(&ext, 2);	/* AH: (2+2)*4 = 16 bytes */
	for (int i = 0; i < 14; i++)
		put8(&ext, 0);
	put8(&ext, 6);
	put8(&ext, 0);
	putbytes(&ext, "\x01\x04\x00\x00\x00\x00", 6);
	mk_ipv6(&f, 0, ext.b, ext.n, 6, l4.b, l4.n, 1);
	ctx_init(&c, 1);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.proto, 6);
	assert_int_equal(c.p.sport, 443);
	assert_int_equal(c.p.payload_len, 3);
	assert_int_equal(c.p.l3_len, 40 + ext.n + l4.n);
	assert_int_equal(total_events(&c.d), 0);

	/* atomic fragment header (offset 0, M=0) is just skipped */
	ext.n = 0;
	put8(&ext, 6);
	put8(&ext, 0);
	put16(&ext, 0);
	put32(&ext, 77);
	f.n = 0;
	mk_ipv6(&f, 44, ext.b, ext.n, 6, l4.b, l4.n, 1);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	assert_int_equal(c.p.dport, 50000);

	/* nine destination-options headers: too many */
	ext.n = 0;
	for (int i = 0; i < 9; i++) {
		put8(&ext, i == 8 ? 6 : 60);
		put8(&ext, 0);
		putbytes(&ext, "\x01\x04\x00\x00\x00\x00", 6);
	}
	f.n = 0;
	mk_ipv6(&f, 60, ext.b, ext.n, 6, l4.b, l4.n, 1);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_IPV6_EXTHDR_TOO_MANY], 1);

	/* extension header length past the payload */
	ext.n = 0;
	put8(&ext, 6);
	put8(&ext, 9);	/* 80 bytes */
	putbytes(&ext, "\x01\x04\x00\x00\x00\x00", 6);
	f.n = 0;
	mk_ipv6(&f, 60, ext.b, ext.n, 6, l4.b, l4.n, 1);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_INVALID);
	assert_int_equal(c.d.events[DEV_IPV6_TRUNC_EXTHDR], 1);

	/* payload length beyond the frame; and a short header */
	f.n = 0;
	mk_ipv6(&f, 6, NULL, 0, 6, l4.b, l4.n, 1);
	set16(f.b + 4, 1000);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_IPV6_TRUNC_PKT], 1);
	assert_int_equal(dec_n(&c, DLT_IPV6, f.b, 39, 1), DECODE_OK);
	assert_int_equal(c.d.events[DEV_IPV6_TRUNC], 1);
	ctx_done(&c);
}

/* ---- checksums ------------------------------------------------------------ */

static void test_checksums(void **state)
{
	(void)state;
	static struct fb f;
	struct fb l4 = {.n = 0};
	struct {
		unsigned ver, proto;
		size_t csum_at;	/* from the start of L4, or SIZE_MAX: IP hdr */
		enum decode_event ev;
	} cases[] = {
		{4, 6, 16, DEV_TCP_CSUM_BAD},
		{4, 17, 6, DEV_UDP_CSUM_BAD},
		{4, 1, 2, DEV_ICMPV4_CSUM_BAD},
		{4, 17, SIZE_MAX, DEV_IPV4_CSUM_BAD},
		{6, 6, 16, DEV_TCP_CSUM_BAD},
		{6, 17, 6, DEV_UDP_CSUM_BAD},
		{6, 58, 2, DEV_ICMPV6_CSUM_BAD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l4.n = 0;
		if (cases[i].proto == 6)
			mk_tcp(&l4, 1, 2, 3, 4, 0x10, NULL, 0, "odd", 3);
		else if (cases[i].proto == 17)
			mk_udp(&l4, 1, 2, "odd", 3);
		else
			mk_icmp(&l4, cases[i].ver == 4 ? 8 : 128, 0, "odd", 3);
		f.n = 0;
		size_t l4off = cases[i].ver == 4 ? 20 : 40;
		if (cases[i].ver == 4)
			mk_ipv4(&f, cases[i].proto, l4.b, l4.n, NULL);
		else
			mk_ipv6(&f, cases[i].proto, NULL, 0, cases[i].proto,
				l4.b, l4.n, 1);
		for (int k = 0; k < 2; k++) {	/* -k all, then -k none */
			struct ctx c;
			ctx_init(&c, k == 0);
			assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
			assert_int_equal(c.p.flags, PKT_HAS_IP);
			size_t at = cases[i].csum_at == SIZE_MAX
					    ? 10
					    : l4off + cases[i].csum_at;
			f.b[at] ^= 0x5a;
			assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
			f.b[at] ^= 0x5a;
			if (k == 0) {
				assert_int_equal(c.p.flags,
						 PKT_HAS_IP | PKT_CSUM_BAD);
				assert_int_equal(c.d.events[cases[i].ev], 1);
			} else {
				assert_int_equal(c.p.flags, PKT_HAS_IP);
			}
			assert_int_equal(total_events(&c.d), k == 0 ? 1 : 0);
			ctx_done(&c);
		}
	}
	/* a zero UDP checksum means "none" over IPv4, is wrong over IPv6 */
	struct ctx c;
	ctx_init(&c, 1);
	l4.n = 0;
	mk_udp(&l4, 1, 2, "z", 1);
	f.n = 0;
	mk_ipv4(&f, 17, l4.b, l4.n, NULL);
	set16(f.b + 26, 0);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP);
	f.n = 0;
	mk_ipv6(&f, 17, NULL, 0, 17, l4.b, l4.n, 1);
	set16(f.b + 46, 0);
	assert_int_equal(dec(&c, DLT_RAW, &f), DECODE_OK);
	assert_int_equal(c.p.flags, PKT_HAS_IP | PKT_CSUM_BAD);
	ctx_done(&c);
}

/* ---- fragment reassembly -------------------------------------------------- */

#define DGRAM_PAY 3000

/* A UDP datagram of DGRAM_PAY payload bytes (pattern) over IPv4. */
static void build_udp_datagram(struct fb *l4)
{
	static uint8_t pay[DGRAM_PAY];
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7 + 3);
	l4->n = 0;
	mk_udp(l4, 1234, 53, pay, sizeof(pay));
	/* checksum as the full datagram would carry it */
	fix_l4(l4->b, l4->n, 17, pseudo4(A4, B4, 17, l4->n));
}

/* Ethernet+IPv4 fragment carrying l4[off, off+len). */
static void frag4(struct fb *f, const struct fb *l4, size_t off, size_t len,
		  int more, unsigned id, unsigned vlan)
{
	struct ip4opt o = {.id = id,
			   .frag = (unsigned)((more ? 0x2000 : 0) | (off / 8)),
			   .no_l4_fix = 1};
	f->n = 0;
	if (vlan) {
		mk_eth(f, 0x8100);
		put16(f, vlan);
		put16(f, 0x0800);
	} else {
		mk_eth(f, 0x0800);
	}
	mk_ipv4(f, 17, l4->b + off, len, &o);
}

static void assert_reassembled_udp(struct ctx *c, const struct fb *l4)
{
	assert_int_equal(c->p.flags & ~PKT_CSUM_BAD,
			 PKT_HAS_IP | PKT_REASSEMBLED);
	assert_non_null(c->p.owned);
	assert_int_equal(c->p.proto, 17);
	assert_int_equal(c->p.sport, 1234);
	assert_int_equal(c->p.dport, 53);
	assert_int_equal(c->p.l3_len, 20 + l4->n);
	assert_int_equal(c->p.payload_len, DGRAM_PAY);
	assert_ptr_equal(c->p.l3, c->p.owned);
}

static void test_defrag_in_order_and_reverse(void **state)
{
	(void)state;
	static struct fb l4, f[3];
	struct ctx c;
	build_udp_datagram(&l4);
	frag4(&f[0], &l4, 0, 1480, 1, 99, 0);
	frag4(&f[1], &l4, 1480, 1480, 1, 99, 0);
	frag4(&f[2], &l4, 2960, l4.n - 2960, 0, 99, 0);

	ctx_init(&c, 1);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[0]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[1]), DECODE_HELD);
	assert_true(decode_defrag_inuse(&c.d) > 2960);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_OK);
	assert_reassembled_udp(&c, &l4);
	assert_memory_equal(c.p.l4, l4.b, l4.n);
	assert_false(c.p.flags & PKT_CSUM_BAD);	/* UDP checksum verified */
	assert_int_equal(c.d.events[DEV_FRAG_REASSEMBLED], 1);
	assert_int_equal(total_events(&c.d), 1);
	assert_int_equal(c.d.frag, 3);
	assert_int_equal(c.d.ipv4, 3);
	assert_int_equal(c.d.udp, 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	/* reusing p frees the datagram it owned */
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_HELD);
	assert_null(c.p.owned);
	ctx_done(&c);

	ctx_init(&c, 1);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[1]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[0]), DECODE_OK);
	assert_reassembled_udp(&c, &l4);
	assert_memory_equal(c.p.l4, l4.b, l4.n);
	assert_false(c.p.flags & PKT_CSUM_BAD);
	ctx_done(&c);

	/* with -k all a fragment with a bad header checksum is dropped, as a
	 * host would: it cannot complete (or seed) the datagram */
	ctx_init(&c, 1);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[0]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[1]), DECODE_HELD);
	f[2].b[14 + 10] ^= 0xff;
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_HELD);
	f[2].b[14 + 10] ^= 0xff;
	assert_int_equal(c.d.events[DEV_IPV4_CSUM_BAD], 1);
	assert_int_equal(c.d.events[DEV_FRAG_REASSEMBLED], 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_OK);
	assert_reassembled_udp(&c, &l4);
	assert_false(c.p.flags & PKT_CSUM_BAD);
	ctx_done(&c);

	/* same id on another VLAN is another datagram */
	ctx_init(&c, 1);
	frag4(&f[1], &l4, 1480, 1480, 1, 99, 7);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[0]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[1]), DECODE_HELD);
	assert_int_equal(dec(&c, DLT_EN10MB, &f[2]), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_REASSEMBLED], 0);
	ctx_done(&c);	/* frees the held trains: ASan checks for leaks */
}

static void test_defrag_overlap_first_wins(void **state)
{
	(void)state;
	static struct fb l4, alt, f;
	struct ctx c;
	build_udp_datagram(&l4);
	alt = l4;
	memset(alt.b + 1000, 0xbb, 1500);	/* different bytes, same span */

	ctx_init(&c, 0);
	frag4(&f, &l4, 0, 1480, 1, 5, 0);	/* first: original bytes */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	frag4(&f, &alt, 1000, 1600, 1, 5, 0);	/* overlaps [1000,1480) */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 1);
	frag4(&f, &l4, 2000, l4.n - 2000, 0, 5, 0);	/* overlaps [2000,2600) */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 2);
	assert_true(c.p.flags & PKT_REASSEMBLED);
	/* expected: original up to 1480, alt's bytes for [1480,2600), then
	 * original (the overlap from the last fragment lost to alt) */
	static uint8_t want[4000];
	memcpy(want, l4.b, l4.n);
	memcpy(want + 1480, alt.b + 1480, 2600 - 1480);
	assert_int_equal(c.p.l4_len, l4.n);
	assert_memory_equal(c.p.l4, want, l4.n);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	ctx_done(&c);

	/* a duplicate first fragment with other bytes does not replace it */
	ctx_init(&c, 1);
	frag4(&f, &l4, 0, 1480, 1, 6, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	frag4(&f, &alt, 0, 1480, 1, 6, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	frag4(&f, &l4, 1480, l4.n - 1480, 0, 6, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_memory_equal(c.p.l4, l4.b, l4.n);
	assert_false(c.p.flags & PKT_CSUM_BAD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 1);
	ctx_done(&c);
}

/* The first MF=0 fragment fixes the end: pieces past it are cut, a second
 * end is ignored, data past the end is dropped; all counted as overlaps. */
static void test_defrag_end_conflicts(void **state)
{
	(void)state;
	static struct fb l4, alt, f;
	struct ctx c;
	build_udp_datagram(&l4);
	alt = l4;
	memset(alt.b, 0xcc, alt.n);

	ctx_init(&c, 0);
	frag4(&f, &l4, 1480, 1520, 1, 8, 0);	/* [1480,3000) */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	frag4(&f, &l4, 2400, 80, 1, 8, 0);	/* inside the previous one */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 1);
	frag4(&f, &l4, 3200, 80, 1, 8, 0);	/* past the end to come */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	size_t before = decode_defrag_inuse(&c.d);
	frag4(&f, &alt, 1480, 500, 0, 8, 0);	/* last: end = 1980 */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 3);	/* cut + overlap */
	assert_true(decode_defrag_inuse(&c.d) < before);
	frag4(&f, &alt, 1600, 800, 0, 8, 0);	/* second end (2400): ignored */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 6);
	frag4(&f, &alt, 2000, 16, 1, 8, 0);	/* wholly past the end */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_OVERLAP], 7);
	frag4(&f, &l4, 0, 1480, 1, 8, 0);	/* the missing start */
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_OK);
	assert_true(c.p.flags & PKT_REASSEMBLED);
	assert_int_equal(c.p.l3_len, 20 + 1980);
	assert_memory_equal(c.p.owned + 20, l4.b, 1980);	/* first won */
	/* the UDP header still claims the full 3008 bytes */
	assert_int_equal(c.d.events[DEV_UDP_TRUNC], 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	ctx_done(&c);
}

static void test_defrag_timeout_memcap_limits(void **state)
{
	(void)state;
	static struct fb l4, f;
	struct ctx c;
	build_udp_datagram(&l4);

	/* the middle fragment never comes: the train times out */
	ctx_init(&c, 1);
	frag4(&f, &l4, 0, 1480, 1, 1, 0);
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, f.n, 1000000), DECODE_HELD);
	frag4(&f, &l4, 2960, l4.n - 2960, 0, 1, 0);
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, f.n, 2000000), DECODE_HELD);
	decode_timeout(&c.d, 2000000 + 60 * 1000000ull);	/* not yet */
	assert_true(decode_defrag_inuse(&c.d) > 0);
	assert_int_equal(c.d.events[DEV_FRAG_TIMEOUT], 0);
	decode_timeout(&c.d, 2000001 + 60 * 1000000ull);
	assert_int_equal(c.d.events[DEV_FRAG_TIMEOUT], 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	/* the late fragment starts a new train rather than completing */
	frag4(&f, &l4, 1480, 1480, 1, 1, 0);
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, f.n, 63000000), DECODE_HELD);
	/* and a fragment much later expires it on arrival */
	frag4(&f, &l4, 0, 1480, 1, 2, 0);
	assert_int_equal(dec_n(&c, DLT_EN10MB, f.b, f.n, 999000000),
			 DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_TIMEOUT], 2);
	ctx_done(&c);

	/* memcap: 2 KiB holds one 1480-byte fragment, not a second */
	struct decode_config cfg;
	decode_config_defaults(&cfg);
	cfg.defrag_memcap = 2048;
	memset(&c, 0, sizeof(c));
	assert_int_equal(decode_init(&c.d, &cfg), 0);
	frag4(&f, &l4, 0, 1480, 1, 3, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_true(decode_defrag_inuse(&c.d) <= 2048);
	frag4(&f, &l4, 1480, 1480, 1, 3, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_MEMCAP], 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);	/* train dropped */
	ctx_done(&c);

	/* a fragment ending past 65535 bytes */
	ctx_init(&c, 1);
	frag4(&f, &l4, 65528, 100, 0, 4, 0);
	assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	assert_int_equal(c.d.events[DEV_FRAG_TOO_LARGE], 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	/* too many pieces: 1025 disjoint 8-byte fragments */
	for (unsigned i = 0; i <= 1024; i++) {
		frag4(&f, &l4, (size_t)i * 16 + 8, 8, 1, 5, 0);
		assert_int_equal(dec(&c, DLT_EN10MB, &f), DECODE_HELD);
	}
	assert_int_equal(c.d.events[DEV_FRAG_TOO_MANY], 1);
	assert_int_equal(decode_defrag_inuse(&c.d), 0);
	ctx_done(&c);
}

static void test_defrag_ipv6(void **state)
{
	(void)state;
	static struct fb l4, f, ext;
	struct ctx c;
	static uint8_t pay[2000];
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i ^ 0x55);
	l4.n = 0;
	mk_tcp(&l4, 8080, 51000, 1, 2, 0x18, NULL, 0, pay, sizeof(pay));
	fix_l4(l4.b, l4.n, 6, pseudo6(A6, B6, 6, l4.n));

	ctx_init(&c, 1);
	size_t cut[] = {0, 1232, l4.n};
	for (int k = 1; k >= 0; k--) {	/* last fragment first */
		/* dest opts (8 bytes, unfragmentable here) → fragment → TCP */
		ext.n = 0;
		put8(&ext, 44);
		put8(&ext, 0);
		putbytes(&ext, "\x01\x04\x00\x00\x00\x00", 6);
		/* only the first fragment's next header counts (RFC 8200) */
		put8(&ext, k == 0 ? 6 : 59);
		put8(&ext, 0);
		put16(&ext, (unsigned)cut[k] | (k == 0 ? 1u : 0u));
		put32(&ext, 0xabcdef01);
		f.n = 0;
		mk_eth(&f, 0x86dd);
		mk_ipv6(&f, 60, ext.b, ext.n, 6, l4.b + cut[k],
			cut[k + 1] - cut[k], 0);
		int rc = dec(&c, DLT_EN10MB, &f);
		assert_int_equal(rc, k == 0 ? DECODE_OK : DECODE_HELD);
	}
	assert_int_equal(c.p.flags, PKT_HAS_IP | PKT_REASSEMBLED);
	assert_int_equal(c.p.ipver, 6);
	assert_int_equal(c.p.proto, 6);
	assert_int_equal(c.p.sport, 8080);
	assert_int_equal(c.p.l3_len, 40 + 8 + l4.n);
	assert_int_equal(c.p.payload_len, sizeof(pay));
	assert_memory_equal(c.p.payload, pay, sizeof(pay));
	assert_int_equal(c.p.owned[6], 60);	/* base header still names DO */
	assert_int_equal(c.p.owned[40], 6);	/* DO now names TCP */
	assert_int_equal(c.d.frag, 2);
	assert_int_equal(c.d.ipv6, 2);
	assert_int_equal(total_events(&c.d), 1);	/* reassembled */
	ctx_done(&c);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(decode_event_name(DEV_IPV4_TRUNC_PKT),
			    "ipv4.trunc_pkt");
	assert_string_equal(decode_event_name(DEV_FRAG_OVERLAP),
			    "defrag.overlap");
	assert_string_equal(decode_event_name(DEV_MAX), "unknown");
	for (int i = 0; i < DEV_MAX; i++)
		assert_true(strchr(decode_event_name((enum decode_event)i),
				   '.') != NULL);
	struct mamori_addr none = {0};
	char s[64] = "x";
	mamori_addr_str(&none, s, sizeof(s));
	assert_string_equal(s, "");
	struct packet p = {0};
	packet_release(&p);
	packet_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_eth_padding_trimmed),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_sll_sll2),
		cmocka_unit_test(test_raw_and_null),
		cmocka_unit_test(test_ppp_chdlc),
		cmocka_unit_test(test_non_ip_and_link),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_truncated_each_layer),
		cmocka_unit_test(test_tcp_options_malformed),
		cmocka_unit_test(test_udp_icmp_malformed),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_defrag_in_order_and_reverse),
		cmocka_unit_test(test_defrag_overlap_first_wins),
		cmocka_unit_test(test_defrag_end_conflicts),
		cmocka_unit_test(test_defrag_timeout_memcap_limits),
		cmocka_unit_test(test_defrag_ipv6),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
