/*
 * Packet decoder: link layer → IPv4/IPv6 → TCP/UDP/ICMP/ICMPv6.
 * Link layers: Ethernet with up to 3 VLAN tags (0x8100, 0x88a8, 0x9100),
 * Linux SLL/SLL2, raw IPv4/IPv6 (DLT_RAW, LINKTYPE_RAW, DLT_IPV4/6), BSD
 * loopback (DLT_NULL/DLT_LOOP), PPP and Cisco HDLC.
 *
 * Why hand-written: this runs once per packet at line rate.  A generic
 * dissector (libpcap has none; libwireshark/libtins/libtrace are far too
 * heavy and allocate) would cost more than all the fields we need, and the
 * layouts are small, fixed and stable.  Every untrusted byte is read through
 * the bounds-checked cursor (util/cursor.h); checksums sum over ranges the
 * cursor has already proven to be inside the frame.
 *
 * Invariants:
 *  - nothing here reads past caplen, allocates, or fails the caller, except
 *    the fragment path (defrag.c), which allocates what it stores;
 *  - every malformation increments d->events[DEV_*]; the ones that make a
 *    packet unusable for flow tracking (truncated or contradictory headers,
 *    more than 3 VLAN tags or 8 IPv6 extension headers, unknown link type,
 *    zero-length or oversized frames) also set PKT_INVALID.  Option-level faults (IPv4/TCP
 *    options whose lengths lie) are events only: the packet is kept, as
 *    Suricata does;
 *  - a bad checksum (only checked when cfg.checksum_validate) sets
 *    PKT_CSUM_BAD and an event, not PKT_INVALID: the caller decides.  The
 *    exception is an IPv4 fragment with a bad header checksum, which is
 *    dropped before reassembly as the receiving host would drop it;
 *  - fragments go to defrag.c (policy: first wins, see there); the
 *    datagram it rebuilds is decoded again from its IP header with
 *    PKT_REASSEMBLED set, which stops any second round of reassembly;
 *  - non-IP frames (ARP, LLDP, ...) come back as DECODE_OK without
 *    PKT_HAS_IP; only frames with an ethertype we do not know count
 *    ETHERTYPE_UNKNOWN.  Flow handling wants PKT_HAS_IP && !PKT_INVALID;
 *  - L3 is trimmed to the IP total/payload length (Ethernet padding is not
 *    payload); l3/l4/payload point into the frame or, after reassembly,
 *    into p->owned.
 */
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "decode/decode_int.h"
#include "mamori/mamori.h"
#include "util/cursor.h"

#define VLAN_MAX	3	/* tags decoded (Suricata's limit); 2 are recorded */
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define NULL_HLEN	4
#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define IPV6_EXT_MAX	8	/* extension headers per packet */
#define TCP_HLEN	20
#define LINKTYPE_RAW	101	/* savefile value of DLT_RAW */

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd

typedef int (*decode_fn)(struct decoder *d, struct packet *p,
			 struct cursor *c);

static int decode_ipv4(struct decoder *d, struct packet *p, struct cursor *c);
static int decode_ipv6(struct decoder *d, struct packet *p, struct cursor *c);

const char *decode_event_name(enum decode_event ev)
{
	static const char *const names[DEV_MAX] = {
#define DECODE_EV_NAME(id, name) [DEV_##id] = name,
		DECODE_EVENT_MAP(DECODE_EV_NAME)
#undef DECODE_EV_NAME
	};
	if ((unsigned)ev >= DEV_MAX)
		return "unknown";
	return names[ev];
}

void decode_config_defaults(struct decode_config *cfg)
{
	cfg->checksum_validate = 1;
	cfg->defrag_memcap = 32u << 20;
	cfg->defrag_timeout_sec = 60;
	cfg->max_packet = 262144;
}

int decode_init(struct decoder *d, const struct decode_config *cfg)
{
	memset(d, 0, sizeof(*d));
	struct decode_config def;
	decode_config_defaults(&def);
	d->cfg = cfg ? *cfg : def;
	if (!d->cfg.defrag_memcap)
		d->cfg.defrag_memcap = def.defrag_memcap;
	if (!d->cfg.defrag_timeout_sec)
		d->cfg.defrag_timeout_sec = def.defrag_timeout_sec;
	d->defrag = defrag_new();
	return d->defrag ? 0 : MAMORI_ENOMEM;
}

void decode_release(struct decoder *d)
{
	defrag_free(d->defrag);
	d->defrag = NULL;
}

void decode_timeout(struct decoder *d, uint64_t now_usec)
{
	defrag_expire(d, now_usec);
}

size_t decode_defrag_inuse(const struct decoder *d)
{
	return d->defrag ? defrag_inuse(d->defrag) : 0;
}

/* Counts an event that leaves the packet usable. */
static inline void decode_event(struct decoder *d, enum decode_event ev)
{
	d->events[ev]++;
}

/* Counts an event that makes the packet unusable; returns DECODE_OK. */
static inline int decode_invalid(struct decoder *d, struct packet *p,
				 enum decode_event ev)
{
	d->events[ev]++;
	p->flags |= PKT_INVALID;
	return DECODE_OK;
}

/* ---- checksums ---------------------------------------------------------- */

/*
 * Ones' complement partial sum in host byte order (RFC 1071 2(B): the sum is
 * byte-order independent up to a final swap, and a checksum verifies when
 * the folded sum is 0xffff, which reads the same in both orders).  64-bit
 * loads through memcpy (no alignment needed), their 32-bit halves summed
 * into 64 bits, which cannot overflow for any frame.  Every piece of one sum
 * but the last must have an even length; an odd last byte counts as the
 * word [byte, 0], as RFC 1071 pads it.
 */
static inline uint64_t csum_host(uint64_t acc, const uint8_t *b, size_t n)
{
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, b, 8);
		acc += (v & 0xffffffffu) + (v >> 32);
		b += 8;
		n -= 8;
	}
	if (n >= 4) {
		uint32_t v;
		memcpy(&v, b, 4);
		acc += v;
		b += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t v;
		memcpy(&v, b, 2);
		acc += v;
		b += 2;
		n -= 2;
	}
	if (n) {
		uint8_t pad[2] = {b[0], 0};
		uint16_t v;
		memcpy(&v, pad, 2);
		acc += v;
	}
	return acc;
}

uint64_t decode_csum_add(uint64_t acc, const uint8_t *b, size_t n)
{
	return csum_host(acc, b, n);
}

uint16_t decode_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* True when the L4 segment's checksum verifies, with the IPv4/IPv6 pseudo
 * header when pseudo (all but ICMPv4). */
static bool decode_l4_csum_ok(const struct packet *p, bool pseudo)
{
	uint64_t acc = 0;
	if (pseudo) {
		uint32_t len = p->l4_len;
		size_t alen = p->ipver == 4 ? 4 : 16;
		/* v4: zero, proto, 16-bit length; v6: 32-bit length, 3 zeros,
		 * next header — the same sum once the zeros are dropped */
		uint8_t tail[6] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
				   (uint8_t)(len >> 8), (uint8_t)len, 0,
				   p->proto};
		acc = csum_host(acc, p->src.a, alen);
		acc = csum_host(acc, p->dst.a, alen);
		acc = csum_host(acc, tail, sizeof(tail));
	}
	acc = csum_host(acc, p->l4, p->l4_len);
	return decode_csum_fold(acc) == 0xffff;
}

static void decode_csum_bad(struct decoder *d, struct packet *p,
			    enum decode_event ev)
{
	p->flags |= PKT_CSUM_BAD;
	decode_event(d, ev);
}

/* ---- L4 ----------------------------------------------------------------- */

/* TCP options: kind → exact length (0 = variable, checked by the caller). */
static const uint8_t tcp_opt_len[256] = {
	[2] = 4,	/* MSS */
	[3] = 3,	/* window scale */
	[4] = 2,	/* SACK permitted */
	[8] = 10,	/* timestamps */
};

static void decode_tcp_options(struct decoder *d, struct packet *p,
			       struct cursor *o)
{
	uint8_t kind, len;
	while (cur_u8(o, &kind)) {
		if (kind == 0)		/* end of list */
			return;
		if (kind == 1)		/* NOP */
			continue;
		if (!cur_u8(o, &len) || len < 2 || len - 2u > cur_len(o)) {
			decode_event(d, DEV_TCP_OPT_INVALID);
			return;
		}
		struct cursor v;
		cur_sub(o, len - 2u, &v);
		if (tcp_opt_len[kind] && len != tcp_opt_len[kind]) {
			decode_event(d, DEV_TCP_OPT_INVALID);
			continue;
		}
		if (kind == 5 && (len < 10 || (len - 2) % 8 != 0)) {	/* SACK */
			decode_event(d, DEV_TCP_OPT_INVALID);
			continue;
		}
		uint16_t mss;
		uint8_t ws;
		switch (kind) {
		case 2:
			if (cur_u16be(&v, &mss))
				p->tcp_mss = mss;
			break;
		case 3:
			if (cur_u8(&v, &ws))	/* RFC 7323 2.3: cap at 14 */
				p->tcp_wscale = (int8_t)(ws > 14 ? 14 : ws);
			break;
		case 4:
			p->tcp_sack_ok = true;
			break;
		default:
			break;
		}
	}
}

static int decode_tcp(struct decoder *d, struct packet *p, struct cursor *c)
{
	struct cursor h = *c;
	uint16_t sport, dport, win, sum, urp;
	uint32_t seq, ack;
	uint8_t off, flags;

	if (!cur_u16be(&h, &sport) || !cur_u16be(&h, &dport) ||
	    !cur_u32be(&h, &seq) || !cur_u32be(&h, &ack) ||
	    !cur_u8(&h, &off) || !cur_u8(&h, &flags) ||
	    !cur_u16be(&h, &win) || !cur_u16be(&h, &sum) ||
	    !cur_u16be(&h, &urp))
		return decode_invalid(d, p, DEV_TCP_TRUNC);
	size_t hlen = (size_t)(off >> 4) * 4;
	if (hlen < TCP_HLEN)
		return decode_invalid(d, p, DEV_TCP_HLEN_TOO_SMALL);
	struct cursor opts;
	if (!cur_sub(&h, hlen - TCP_HLEN, &opts))
		return decode_invalid(d, p, DEV_TCP_TRUNC);
	d->tcp++;
	p->sport = sport;
	p->dport = dport;
	p->tcp_seq = seq;
	p->tcp_ack = ack;
	p->tcp_flags = flags;
	p->tcp_win = win;
	p->tcp_wscale = -1;
	decode_tcp_options(d, p, &opts);
	p->payload = h.p;
	p->payload_len = (uint32_t)h.len;
	if (d->cfg.checksum_validate && !decode_l4_csum_ok(p, true))
		decode_csum_bad(d, p, DEV_TCP_CSUM_BAD);
	return DECODE_OK;
}

static int decode_udp(struct decoder *d, struct packet *p, struct cursor *c)
{
	struct cursor h = *c;
	uint16_t sport, dport, ulen, sum;

	if (!cur_u16be(&h, &sport) || !cur_u16be(&h, &dport) ||
	    !cur_u16be(&h, &ulen) || !cur_u16be(&h, &sum))
		return decode_invalid(d, p, DEV_UDP_TRUNC);
	if (ulen > c->len)
		return decode_invalid(d, p, DEV_UDP_TRUNC);
	if (ulen != c->len)	/* includes ulen < 8 */
		return decode_invalid(d, p, DEV_UDP_HLEN_INVALID);
	d->udp++;
	p->sport = sport;
	p->dport = dport;
	p->payload = h.p;
	p->payload_len = (uint32_t)h.len;
	if (d->cfg.checksum_validate) {
		/* IPv4 may omit the checksum (0); IPv6 must not (RFC 8200 8.1). */
		bool skip = sum == 0 && p->ipver == 4;
		if (!skip && (sum == 0 || !decode_l4_csum_ok(p, true)))
			decode_csum_bad(d, p, DEV_UDP_CSUM_BAD);
	}
	return DECODE_OK;
}

static int decode_icmp_common(struct decoder *d, struct packet *p,
			      struct cursor *c, enum decode_event trunc)
{
	struct cursor h = *c;
	uint8_t type, code;
	uint16_t sum;
	uint32_t rest;

	if (!cur_u8(&h, &type) || !cur_u8(&h, &code) ||
	    !cur_u16be(&h, &sum) || !cur_u32be(&h, &rest))
		return decode_invalid(d, p, trunc);
	p->icmp_type = type;
	p->icmp_code = code;
	p->payload = h.p;
	p->payload_len = (uint32_t)h.len;
	return 1;
}

static int decode_icmpv4(struct decoder *d, struct packet *p, struct cursor *c)
{
	if (decode_icmp_common(d, p, c, DEV_ICMPV4_TRUNC) != 1)
		return DECODE_OK;
	d->icmpv4++;
	if (d->cfg.checksum_validate && !decode_l4_csum_ok(p, false))
		decode_csum_bad(d, p, DEV_ICMPV4_CSUM_BAD);
	return DECODE_OK;
}

static int decode_icmpv6(struct decoder *d, struct packet *p, struct cursor *c)
{
	if (decode_icmp_common(d, p, c, DEV_ICMPV6_TRUNC) != 1)
		return DECODE_OK;
	d->icmpv6++;
	if (d->cfg.checksum_validate &&
	    !decode_l4_csum_ok(p, p->ipver == 6))
		decode_csum_bad(d, p, DEV_ICMPV6_CSUM_BAD);
	return DECODE_OK;
}

/* Transport decoders by IP protocol number (others: l4 set, no ports). */
static const decode_fn l4_table[256] = {
	[1] = decode_icmpv4,
	[6] = decode_tcp,
	[17] = decode_udp,
	[58] = decode_icmpv6,
};

/* c is exactly the IP payload. */
static int decode_l4(struct decoder *d, struct packet *p, uint8_t proto,
		     struct cursor *c)
{
	p->proto = proto;
	p->l4 = c->p;
	p->l4_len = (uint32_t)c->len;
	p->payload = c->p;
	p->payload_len = (uint32_t)c->len;
	decode_fn fn = l4_table[proto];
	return fn ? fn(d, p, c) : DECODE_OK;
}

/* ---- fragments ---------------------------------------------------------- */

/* Decodes a datagram defrag_add just rebuilt; p takes ownership of buf. */
static int decode_reassembled(struct decoder *d, struct packet *p,
			      uint8_t *buf, uint32_t len, uint8_t ipver)
{
	struct cursor c;
	p->owned = buf;
	p->flags |= PKT_REASSEMBLED;
	p->flags &= ~PKT_CSUM_BAD;	/* the datagram is checked afresh */
	decode_event(d, DEV_FRAG_REASSEMBLED);
	cur_init(&c, buf, len);
	return ipver == 4 ? decode_ipv4(d, p, &c) : decode_ipv6(d, p, &c);
}

/* ---- IPv4 --------------------------------------------------------------- */

/* IPv4 option type → minimum length (0: unknown, any length >= 2). */
static const uint8_t ipv4_opt_min[256] = {
	[7] = 3,	/* record route */
	[68] = 4,	/* timestamp */
	[130] = 3,	/* security (RFC 1108) */
	[131] = 3,	/* loose source route */
	[133] = 3,	/* extended security */
	[134] = 10,	/* CIPSO */
	[136] = 4,	/* stream id: exactly 4 */
	[137] = 3,	/* strict source route */
	[148] = 4,	/* router alert: exactly 4 */
};

static void decode_ipv4_options(struct decoder *d, struct cursor *o)
{
	uint8_t type, len;
	while (cur_u8(o, &type)) {
		if (type == 0)		/* end of options */
			return;
		if (type == 1)		/* NOP */
			continue;
		if (!cur_u8(o, &len) || len < 2 || len - 2u > cur_len(o) ||
		    len < ipv4_opt_min[type] ||
		    ((type == 136 || type == 148) && len != 4)) {
			decode_event(d, DEV_IPV4_OPT_INVALID);
			return;
		}
		cur_skip(o, len - 2u);
	}
}

static int decode_ipv4(struct decoder *d, struct packet *p, struct cursor *c)
{
	struct cursor h = *c;
	uint8_t vhl, tos, ttl, proto;
	uint16_t tot, id, frag, sum;
	const bool again = (p->flags & PKT_REASSEMBLED) != 0;

	if (!cur_u8(&h, &vhl) || !cur_u8(&h, &tos) || !cur_u16be(&h, &tot) ||
	    !cur_u16be(&h, &id) || !cur_u16be(&h, &frag) ||
	    !cur_u8(&h, &ttl) || !cur_u8(&h, &proto) ||
	    !cur_u16be(&h, &sum))
		return decode_invalid(d, p, DEV_IPV4_TRUNC);
	if (h.len < 8)
		return decode_invalid(d, p, DEV_IPV4_TRUNC);
	if (vhl >> 4 != 4)
		return decode_invalid(d, p, DEV_IPV4_WRONG_VERSION);
	size_t hlen = (size_t)(vhl & 0x0f) * 4;
	if (hlen < IPV4_HLEN)
		return decode_invalid(d, p, DEV_IPV4_HLEN_TOO_SMALL);
	if (tot < hlen)
		return decode_invalid(d, p, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (tot > c->len) {
		p->flags |= PKT_TRUNCATED;
		return decode_invalid(d, p, DEV_IPV4_TRUNC_PKT);
	}
	if (!again)
		d->ipv4++;
	p->flags |= PKT_HAS_IP;
	p->ipver = 4;
	p->ttl = ttl;
	p->proto = proto;
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	p->src.family = p->dst.family = 4;
	cur_copy(&h, p->src.a, 4);
	cur_copy(&h, p->dst.a, 4);
	p->l3 = c->p;
	p->l3_len = tot;

	struct cursor opts = {c->p, 0}, pay = {c->p, 0};
	(void)cur_at(c, IPV4_HLEN, hlen - IPV4_HLEN, &opts);	/* hlen, tot checked */
	(void)cur_at(c, hlen, tot - hlen, &pay);
	if (hlen > IPV4_HLEN)
		decode_ipv4_options(d, &opts);
	if (d->cfg.checksum_validate &&
	    decode_csum_fold(csum_host(0, c->p, hlen)) != 0xffff)
		decode_csum_bad(d, p, DEV_IPV4_CSUM_BAD);

	uint32_t foff = (uint32_t)(frag & 0x1fff) * 8;
	int more = (frag & 0x2000) != 0;
	if ((foff || more) && !again) {
		d->frag++;
		/* A host drops a fragment whose header checksum is wrong; so do
		 * we when checking (-k all), so it cannot seed a reassembly. */
		if (p->flags & PKT_CSUM_BAD)
			return DECODE_HELD;
		struct frag_info fi = {
			.ipver = 4, .src = &p->src, .dst = &p->dst, .id = id,
			.proto = proto, .vlan = p->vlan[0], .off = foff,
			.more = more, .data = pay.p, .len = (uint32_t)pay.len,
			.hdr = c->p, .hdr_len = (uint32_t)hlen,
			.ts_usec = p->ts_usec,
		};
		uint8_t *buf;
		uint32_t len;
		if (defrag_add(d, &fi, &buf, &len) == 1)
			return decode_reassembled(d, p, buf, len, 4);
		return DECODE_HELD;
	}
	if (foff || more)	/* cannot happen: the rebuilt header is clean */
		return DECODE_OK;
	return decode_l4(d, p, proto, &pay);
}

/* ---- IPv6 --------------------------------------------------------------- */

#define IP6_HOPOPTS	0
#define IP6_ROUTING	43
#define IP6_FRAGMENT	44
#define IP6_AH		51
#define IP6_DSTOPTS	60

static const uint8_t ipv6_is_ext[256] = {
	[IP6_HOPOPTS] = 1, [IP6_ROUTING] = 1, [IP6_FRAGMENT] = 1,
	[IP6_AH] = 1, [IP6_DSTOPTS] = 1,
};

static int decode_ipv6(struct decoder *d, struct packet *p, struct cursor *c)
{
	struct cursor h = *c;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	const bool again = (p->flags & PKT_REASSEMBLED) != 0;

	if (!cur_u32be(&h, &vtcfl) || !cur_u16be(&h, &plen) ||
	    !cur_u8(&h, &nh) || !cur_u8(&h, &hlim) || h.len < 32)
		return decode_invalid(d, p, DEV_IPV6_TRUNC);
	if (vtcfl >> 28 != 6)
		return decode_invalid(d, p, DEV_IPV6_WRONG_VERSION);
	if ((size_t)plen + IPV6_HLEN > c->len) {
		p->flags |= PKT_TRUNCATED;
		return decode_invalid(d, p, DEV_IPV6_TRUNC_PKT);
	}
	if (!again)
		d->ipv6++;
	p->flags |= PKT_HAS_IP;
	p->ipver = 6;
	p->ttl = hlim;
	p->src.family = p->dst.family = 6;
	cur_copy(&h, p->src.a, 16);
	cur_copy(&h, p->dst.a, 16);
	p->l3 = c->p;
	p->l3_len = IPV6_HLEN + (uint32_t)plen;

	struct cursor pay = {c->p, 0};
	(void)cur_at(c, IPV6_HLEN, plen, &pay);	/* plen checked above */
	uint32_t nh_off = 6;	/* where the byte naming the next header is */
	unsigned count = 0;
	while (ipv6_is_ext[nh]) {
		if (++count > IPV6_EXT_MAX)
			return decode_invalid(d, p, DEV_IPV6_EXTHDR_TOO_MANY);
		uint32_t here = (uint32_t)(pay.p - c->p);
		uint8_t next, hl8;
		if (nh == IP6_FRAGMENT) {
			uint16_t offlg;
			uint32_t id;
			if (!cur_u8(&pay, &next) || !cur_u8(&pay, &hl8) ||
			    !cur_u16be(&pay, &offlg) || !cur_u32be(&pay, &id))
				return decode_invalid(d, p,
						      DEV_IPV6_TRUNC_EXTHDR);
			uint32_t foff = offlg & 0xfff8u;
			int more = offlg & 1;
			if (foff || more) {
				if (again)	/* nested fragmentation: stop */
					break;
				d->frag++;
				p->proto = next;
				struct frag_info fi = {
					.ipver = 6, .src = &p->src,
					.dst = &p->dst, .id = id,
					.proto = next, .vlan = p->vlan[0],
					.off = foff, .more = more,
					.data = pay.p,
					.len = (uint32_t)pay.len,
					.hdr = c->p, .hdr_len = here,
					.nh_off = nh_off,
					.ts_usec = p->ts_usec,
				};
				uint8_t *buf;
				uint32_t len;
				if (defrag_add(d, &fi, &buf, &len) == 1)
					return decode_reassembled(d, p, buf,
								  len, 6);
				return DECODE_HELD;
			}
			/* atomic fragment (RFC 6946): just a header */
		} else {
			if (!cur_u8(&pay, &next) || !cur_u8(&pay, &hl8))
				return decode_invalid(d, p,
						      DEV_IPV6_TRUNC_EXTHDR);
			size_t hl = nh == IP6_AH ? ((size_t)hl8 + 2) * 4
						 : ((size_t)hl8 + 1) * 8;
			if (!cur_skip(&pay, hl - 2))
				return decode_invalid(d, p,
						      DEV_IPV6_TRUNC_EXTHDR);
		}
		nh_off = here;
		nh = next;
	}
	return decode_l4(d, p, nh, &pay);
}

/* ---- link layers -------------------------------------------------------- */

/* Ethertypes that are not IP but are known and legitimately seen; they are
 * skipped without an ETHERTYPE_UNKNOWN event. */
static bool decode_ethertype_known(uint16_t t)
{
	static const uint16_t known[] = {
		0x0806, /* ARP */	0x8035, /* RARP */
		0x88cc, /* LLDP */	0x888e, /* EAPOL */
		0x8809, /* slow */	0x88f7, /* PTP */
		0x8847, 0x8848,	/* MPLS */
		0x8863, 0x8864,	/* PPPoE */
		0x9000, /* loop */	0x88e5, /* MACsec */
		0x893a, /* 1905.1 */	0x22f0, /* AVTP */
	};
	if (t < 0x0600)		/* 802.3 length: LLC/SNAP (STP, CDP ...) */
		return true;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == t)
			return true;
	return false;
}

static bool decode_is_vlan(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

/* Handles VLAN tags then IPv4/IPv6 for an ethertype-framed payload. */
static int decode_ethertype(struct decoder *d, struct packet *p,
			    struct cursor *c, uint16_t type)
{
	unsigned depth = 0;
	while (decode_is_vlan(type)) {
		uint16_t tci;
		if (depth >= VLAN_MAX)
			return decode_invalid(d, p, DEV_VLAN_TOO_MANY);
		if (!cur_u16be(c, &tci) || !cur_u16be(c, &type))
			return decode_invalid(d, p, DEV_VLAN_TRUNC);
		if (depth++ == 0)
			d->vlan++;
		if (p->vlan_count < sizeof(p->vlan) / sizeof(p->vlan[0]))
			p->vlan[p->vlan_count++] = tci & 0x0fff;
	}
	if (type == ETHERTYPE_IPV4)
		return decode_ipv4(d, p, c);
	if (type == ETHERTYPE_IPV6)
		return decode_ipv6(d, p, c);
	if (!decode_ethertype_known(type))
		decode_event(d, DEV_ETHERTYPE_UNKNOWN);
	return DECODE_OK;
}

static int decode_ether(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint16_t type;
	if (!cur_skip(c, 12) || !cur_u16be(c, &type))	/* after two MACs */
		return decode_invalid(d, p, DEV_ETH_TRUNC);
	return decode_ethertype(d, p, c, type);
}

static int decode_sll(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint16_t type;
	/* packet type, ARPHRD, address length, address[8], then protocol */
	if (!cur_skip(c, SLL_HLEN - 2) || !cur_u16be(c, &type))
		return decode_invalid(d, p, DEV_SLL_TRUNC);
	return decode_ethertype(d, p, c, type);
}

static int decode_sll2(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint16_t type;	/* SLL2 starts with the protocol */
	if (!cur_u16be(c, &type) || !cur_skip(c, SLL2_HLEN - 2))
		return decode_invalid(d, p, DEV_SLL_TRUNC);
	return decode_ethertype(d, p, c, type);
}

/* Raw IP: the version nibble says which. */
static int decode_raw(struct decoder *d, struct packet *p, struct cursor *c)
{
	if (c->len == 0)
		return decode_invalid(d, p, DEV_IPV4_TRUNC);
	switch (c->p[0] >> 4) {
	case 4:
		return decode_ipv4(d, p, c);
	case 6:
		return decode_ipv6(d, p, c);
	default:
		return decode_invalid(d, p, DEV_IPV4_WRONG_VERSION);
	}
}

/* BSD loopback: a 4-byte address family in the writer's byte order
 * (DLT_NULL) or network order (DLT_LOOP, though some writers get it wrong),
 * so both orders are accepted; AF_INET6 is 24, 28 or 30 depending on BSD. */
static int decode_null(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint32_t af;
	struct cursor peek = *c;
	if (!cur_u32le(&peek, &af))
		return decode_invalid(d, p, DEV_NULL_TRUNC);
	if (af > 0xffff)
		cur_u32be(c, &af);
	else
		cur_skip(c, NULL_HLEN);
	switch (af) {
	case 2:
		return decode_ipv4(d, p, c);
	case 24:
	case 28:
	case 30:
		return decode_ipv6(d, p, c);
	default:
		decode_event(d, DEV_ETHERTYPE_UNKNOWN);
		return DECODE_OK;
	}
}

/* PPP (DLT_PPP): optional 0xff 0x03 address/control, then a protocol of
 * two bytes, or one when compressed (RFC 1661: an odd first byte ends it). */
static int decode_ppp(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint8_t b0, b1;
	uint16_t proto;
	if (c->len >= 2 && c->p[0] == 0xff && c->p[1] == 0x03)
		cur_skip(c, 2);
	if (!cur_u8(c, &b0))
		return decode_invalid(d, p, DEV_PPP_TRUNC);
	if (b0 & 1) {
		proto = b0;
	} else {
		if (!cur_u8(c, &b1))
			return decode_invalid(d, p, DEV_PPP_TRUNC);
		proto = (uint16_t)(b0 << 8 | b1);
	}
	if (proto == 0x0021)
		return decode_ipv4(d, p, c);
	if (proto == 0x0057)
		return decode_ipv6(d, p, c);
	if (proto < 0x8000)	/* 0x8xxx NCP, 0xcxxx LCP/auth: control traffic */
		decode_event(d, DEV_ETHERTYPE_UNKNOWN);
	return DECODE_OK;
}

/* Cisco HDLC (DLT_C_HDLC): address, control, then an ethertype. */
static int decode_chdlc(struct decoder *d, struct packet *p, struct cursor *c)
{
	uint16_t type;
	if (!cur_skip(c, 2) || !cur_u16be(c, &type))
		return decode_invalid(d, p, DEV_CHDLC_TRUNC);
	return decode_ethertype(d, p, c, type);
}

static const struct {
	int dlt;
	decode_fn fn;
} link_table[] = {
	{DLT_EN10MB, decode_ether},
	{DLT_LINUX_SLL, decode_sll},
	{DLT_LINUX_SLL2, decode_sll2},
	{DLT_RAW, decode_raw},
	{LINKTYPE_RAW, decode_raw},
	{DLT_IPV4, decode_raw},
	{DLT_IPV6, decode_raw},
	{DLT_NULL, decode_null},
	{DLT_LOOP, decode_null},
	{DLT_PPP, decode_ppp},
	{DLT_C_HDLC, decode_chdlc},
};

static decode_fn decode_link_fn(int linktype)
{
	for (size_t i = 0; i < sizeof(link_table) / sizeof(link_table[0]); i++)
		if (link_table[i].dlt == linktype)
			return link_table[i].fn;
	return NULL;
}

int decode_linktype_supported(int linktype)
{
	return decode_link_fn(linktype) != NULL;
}

int decode_packet(struct decoder *d, struct packet *p, int linktype,
		  const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		  uint64_t ts_usec)
{
	uint64_t cnt = p->pcap_cnt;
	packet_release(p);
	memset(p, 0, sizeof(*p));
	p->pcap_cnt = cnt;
	p->ts_usec = ts_usec;
	p->linktype = linktype;
	p->raw = data;
	p->raw_len = caplen;
	p->wire_len = wirelen;
	p->tcp_wscale = -1;

	d->pkts++;
	d->bytes += caplen;
	int rc = DECODE_OK;
	decode_fn fn = decode_link_fn(linktype);
	if (caplen == 0 || !data)
		decode_invalid(d, p, DEV_PKT_ZERO_LEN);
	else if (d->cfg.max_packet && caplen > d->cfg.max_packet)
		decode_invalid(d, p, DEV_PKT_TOO_BIG);
	else if (!fn)
		decode_invalid(d, p, DEV_LINK_UNKNOWN);
	else {
		struct cursor c;
		cur_init(&c, data, caplen);
		/* DLT_IPV4/DLT_IPV6 promise the version; hold them to it. */
		if (linktype == DLT_IPV4)
			rc = decode_ipv4(d, p, &c);
		else if (linktype == DLT_IPV6)
			rc = decode_ipv6(d, p, &c);
		else
			rc = fn(d, p, &c);
	}
	if (p->flags & PKT_INVALID)
		d->invalid++;
	return rc;
}
