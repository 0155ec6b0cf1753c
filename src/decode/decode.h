/*
 * Packet decoder: link layer → IPv4/IPv6 (with fragment reassembly) →
 * TCP/UDP/ICMP/ICMPv6 → struct packet.
 *
 * One struct decoder per worker; it owns the defragmentation state and the
 * decode event counters, so nothing here is shared between threads.
 * Malformed input never fails the caller: it becomes a counted decode
 * event and a packet with PKT_INVALID (or with the layers it could read).
 */
#ifndef MAMORI_DECODE_DECODE_H
#define MAMORI_DECODE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"

/* Decode events, named as Suricata's stats counters ("decoder.<name>"). */
#define DECODE_EVENT_MAP(X)                                                   \
	X(ETH_TRUNC, "ethernet.pkt_too_small")                                \
	X(VLAN_TRUNC, "vlan.pkt_too_small")                                   \
	X(VLAN_TOO_MANY, "vlan.too_many_layers")                              \
	X(SLL_TRUNC, "sll.pkt_too_small")                                     \
	X(NULL_TRUNC, "null.pkt_too_small")                                   \
	X(LINK_UNKNOWN, "link.unsupported_type")                              \
	X(ETHERTYPE_UNKNOWN, "ethernet.unknown_ethertype")                    \
	X(IPV4_TRUNC, "ipv4.pkt_too_small")                                   \
	X(IPV4_HLEN_TOO_SMALL, "ipv4.hlen_too_small")                         \
	X(IPV4_IPLEN_SMALLER_THAN_HLEN, "ipv4.iplen_smaller_than_hlen")       \
	X(IPV4_TRUNC_PKT, "ipv4.trunc_pkt")                                   \
	X(IPV4_OPT_INVALID, "ipv4.opt_invalid")                               \
	X(IPV4_WRONG_VERSION, "ipv4.wrong_ip_version")                        \
	X(IPV4_CSUM_BAD, "ipv4.csum_bad")                                     \
	X(IPV6_TRUNC, "ipv6.pkt_too_small")                                   \
	X(IPV6_TRUNC_PKT, "ipv6.trunc_pkt")                                   \
	X(IPV6_TRUNC_EXTHDR, "ipv6.trunc_exthdr")                             \
	X(IPV6_WRONG_VERSION, "ipv6.wrong_ip_version")                        \
	X(IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many")                       \
	X(TCP_TRUNC, "tcp.pkt_too_small")                                     \
	X(TCP_HLEN_TOO_SMALL, "tcp.hlen_too_small")                           \
	X(TCP_OPT_INVALID, "tcp.opt_invalid_len")                             \
	X(TCP_CSUM_BAD, "tcp.csum_bad")                                       \
	X(UDP_TRUNC, "udp.pkt_too_small")                                     \
	X(UDP_HLEN_INVALID, "udp.hlen_invalid")                               \
	X(UDP_CSUM_BAD, "udp.csum_bad")                                       \
	X(ICMPV4_TRUNC, "icmpv4.pkt_too_small")                               \
	X(ICMPV6_TRUNC, "icmpv6.pkt_too_small")                               \
	X(FRAG_OVERLAP, "defrag.overlap")                                     \
	X(FRAG_TOO_LARGE, "defrag.too_large")                                 \
	X(FRAG_MEMCAP, "defrag.memcap")                                       \
	X(FRAG_TIMEOUT, "defrag.timeout")                                     \
	X(FRAG_REASSEMBLED, "defrag.reassembled")                             \
	X(PKT_ZERO_LEN, "pkt.zero_length")                                    \
	X(PKT_TOO_BIG, "pkt.too_big")                                         \
	X(ICMPV4_CSUM_BAD, "icmpv4.csum_bad")                                 \
	X(ICMPV6_CSUM_BAD, "icmpv6.csum_bad")                                 \
	X(FRAG_TOO_MANY, "defrag.too_many_fragments")                         \
	X(PPP_TRUNC, "ppp.pkt_too_small")                                     \
	X(CHDLC_TRUNC, "chdlc.pkt_too_small")

enum decode_event {
#define DECODE_EV_ENUM(id, name) DEV_##id,
	DECODE_EVENT_MAP(DECODE_EV_ENUM)
#undef DECODE_EV_ENUM
	DEV_MAX
};

/* Returns "ipv4.trunc_pkt" etc. for an event id. */
const char *decode_event_name(enum decode_event ev);

struct decode_config {
	int checksum_validate;		/* -k all (1) | none (0); default 1 */
	size_t defrag_memcap;		/* bytes held for fragments; default 32 MiB (0: default) */
	uint32_t defrag_timeout_sec;	/* idle time of a fragment train; default 60 (0: default) */
	uint32_t max_packet;		/* larger caplen → PKT_TOO_BIG; default 262144 (0: no limit) */
};

/* Default configuration values. */
void decode_config_defaults(struct decode_config *cfg);

struct defrag;			/* defrag.c */

struct decoder {
	struct decode_config cfg;
	struct defrag *defrag;			/* owned */
	uint64_t events[DEV_MAX];		/* decode event counters */
	uint64_t pkts, bytes, invalid;
	uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, vlan, frag;
};

/* Initialises a decoder (owned by one worker).  0 or MAMORI_ENOMEM. */
int decode_init(struct decoder *d, const struct decode_config *cfg);
void decode_release(struct decoder *d);

/* Result of decode_packet. */
enum decode_result {
	DECODE_OK = 0,		/* p is a packet to process */
	DECODE_HELD = 1,	/* a fragment was stored; nothing to process yet */
};

/*
 * Decodes one captured frame into *p (which the caller zeroes or reuses).
 * data is borrowed for as long as p is used.  Returns DECODE_OK (p may
 * carry PKT_INVALID: count it, then skip flow handling) or DECODE_HELD.
 * When the frame completes a fragmented datagram, p describes the
 * reassembled datagram and owns its bytes (call packet_release).
 *
 * Details: p is reset first (p->pcap_cnt is kept; a still-owned datagram
 * from the previous use is freed).  Non-IP frames (ARP, LLDP...) return
 * DECODE_OK without PKT_HAS_IP: flow handling wants PKT_HAS_IP and not
 * PKT_INVALID.  DECODE_HELD is also returned for a fragment that was
 * dropped (memcap, too large...; the event says why).  A bad checksum sets
 * PKT_CSUM_BAD, not PKT_INVALID.  Never allocates except for fragments.
 */
int decode_packet(struct decoder *d, struct packet *p, int linktype,
		  const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		  uint64_t ts_usec);

/* Expires fragment trains older than the timeout at time now_usec. */
void decode_timeout(struct decoder *d, uint64_t now_usec);

/* True when decode_packet understands this DLT_* link type. */
int decode_linktype_supported(int linktype);

/* Bytes the decoder's fragment reassembly holds now (<= defrag_memcap). */
size_t decode_defrag_inuse(const struct decoder *d);

#endif
