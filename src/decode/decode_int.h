/*
 * Internal interface between the packet decoder (decode.c) and the IP
 * fragment reassembler (defrag.c).  Not for use outside src/decode.
 */
#ifndef MAMORI_DECODE_DECODE_INT_H
#define MAMORI_DECODE_DECODE_INT_H

#include <stdint.h>

#include "decode/decode.h"

/* Largest IP datagram a reassembly may produce (IPv4 total length, IPv6
 * 40-byte header + payload length). */
#define DEFRAG_MAX_DATAGRAM 65535u
/* Fragments (distinct stored pieces) held per datagram at most. */
#define DEFRAG_MAX_PIECES 1024u

/* One fragment as decode.c hands it to defrag_add.  All pointers borrowed
 * for the call. */
struct frag_info {
	uint8_t ipver;			/* 4 or 6 */
	const struct mamori_addr *src, *dst;
	uint32_t id;			/* IPv4 16-bit id or IPv6 32-bit id */
	uint8_t proto;			/* IPv4 protocol / IPv6 fragment next header */
	uint16_t vlan;
	uint32_t off;			/* byte offset of data in the datagram payload */
	int more;			/* MF flag */
	const uint8_t *data;		/* fragmentable bytes carried */
	uint32_t len;
	/* Unfragmentable part: the IPv4 header (with options), or the IPv6
	 * header with the extension headers before the fragment header. */
	const uint8_t *hdr;
	uint32_t hdr_len;
	uint32_t nh_off;		/* IPv6: offset in hdr of the next-header
					 * byte that names the fragment header */
	uint64_t ts_usec;
};

struct defrag *defrag_new(void);
void defrag_free(struct defrag *df);

/*
 * Stores a fragment (counting events in d->events).  Returns 1 when it
 * completed a datagram: *out (OWNED by the caller, free()) holds the rebuilt
 * datagram of *out_len bytes — the first fragment's header patched to
 * describe an unfragmented packet, then the payload.  Returns 0 when the
 * fragment was held or dropped (the event says why).
 */
int defrag_add(struct decoder *d, const struct frag_info *fi, uint8_t **out,
	       uint32_t *out_len);

/* Drops trains idle for longer than the timeout at now_usec. */
void defrag_expire(struct decoder *d, uint64_t now_usec);

/* Bytes currently held (trains + pieces). */
size_t defrag_inuse(const struct defrag *df);

/* Internet checksum helpers shared by decode.c and defrag.c.
 * decode_csum_add accumulates a ones' complement sum in HOST byte order
 * (pieces of even length but the last); decode_csum_fold folds it to 16
 * bits.  A checksum verifies when the folded sum is 0xffff; a checksum to
 * store is ~fold, written to memory in host order (memcpy). */
uint64_t decode_csum_add(uint64_t acc, const uint8_t *p, size_t n);
uint16_t decode_csum_fold(uint64_t acc);

#endif
