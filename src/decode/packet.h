/*
 * struct packet: one decoded packet as every later stage sees it.
 *
 * A packet borrows the capture buffer (raw) for its lifetime, except a
 * datagram rebuilt from IP fragments, whose bytes the packet owns
 * (owned != NULL, freed by packet_release).  All l3/l4/payload pointers
 * point inside raw or owned.  Addresses are stored in 16 bytes; IPv4 uses
 * the first 4 and zeroes the rest so keys compare with memcmp.
 */
#ifndef MAMORI_DECODE_PACKET_H
#define MAMORI_DECODE_PACKET_H

#include <stdbool.h>
#include <stdint.h>

struct mamori_addr {
	uint8_t family;		/* 4 or 6; 0 = none */
	uint8_t a[16];
};

/* Packet flags. */
#define PKT_HAS_IP		0x0001u
#define PKT_REASSEMBLED		0x0002u	/* rebuilt from IP fragments */
#define PKT_CSUM_BAD		0x0004u	/* IP/L4 checksum wrong (when checked) */
#define PKT_INVALID		0x0008u	/* decode failed; counted as an event */
#define PKT_TRUNCATED		0x0010u	/* caplen < declared length */

struct packet {
	uint64_t ts_usec;	/* capture time, usec since epoch */
	uint64_t pcap_cnt;	/* 1-based index in the capture */
	int linktype;		/* DLT_* */
	const uint8_t *raw;	/* borrowed capture bytes */
	uint32_t raw_len;	/* caplen */
	uint32_t wire_len;
	uint8_t *owned;		/* OWNED: reassembled datagram, or NULL */

	uint32_t flags;
	uint16_t vlan[2];
	uint8_t vlan_count;
	uint8_t ipver;		/* 4, 6 or 0 */
	uint8_t proto;		/* IPPROTO_TCP/UDP/ICMP/ICMPV6, 0 if none */
	uint8_t ttl;
	struct mamori_addr src, dst;
	uint16_t sport, dport;	/* 0 for ICMP (type/code below) */

	const uint8_t *l3;
	uint32_t l3_len;	/* IP header + payload as declared/trimmed */
	const uint8_t *l4;
	uint32_t l4_len;
	const uint8_t *payload;	/* L4 payload */
	uint32_t payload_len;

	/* TCP */
	uint8_t tcp_flags;	/* TH_FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	int8_t tcp_wscale;	/* window scale option, -1 if absent */
	bool tcp_sack_ok;
	uint16_t tcp_mss;	/* 0 if absent */

	/* ICMP / ICMPv6 */
	uint8_t icmp_type, icmp_code;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

/* Frees what the packet owns (reassembled bytes); safe to call twice. */
void packet_release(struct packet *p);

/* Writes the address as text ("10.0.0.1", "2001:db8::1") into dst (>= 46). */
void mamori_addr_str(const struct mamori_addr *a, char *dst, unsigned n);

#endif
