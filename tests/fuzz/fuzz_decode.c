/*
 * libFuzzer target for the packet decoder and IP fragment reassembly.
 *
 * Input: byte 0 picks the link type (low 4 bits, table below) and -k
 * (bit 4); the rest is a sequence of frames, each a big-endian u16 length
 * then that many bytes (the last frame takes what remains).  All frames go
 * through one decoder with a small defrag memcap and timeout, one second
 * apart, so fragment trains, overlaps, memcap and timeouts carry state
 * across calls.  Each frame is decoded from its own exact-size copy (ASan
 * sees any read past caplen), and the pointers of every decoded packet
 * must stay inside the frame or the reassembled datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "decode/decode.h"

static const int fuzz_linktypes[16] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
	101,	    DLT_IPV4,	   DLT_IPV6,	   DLT_NULL,
	DLT_LOOP,   DLT_EN10MB,	   DLT_EN10MB,	   DLT_RAW,
	DLT_EN10MB, DLT_C_HDLC,	   DLT_PPP,	   DLT_IEEE802_11,
};

static int inside(const uint8_t *p, uint32_t n, const uint8_t *base,
		  uint32_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void check_packet(const struct packet *p)
{
	const uint8_t *base = p->owned ? p->owned : p->raw;
	uint32_t len = p->owned ? 65535u + 65535u : p->raw_len;
	if (p->l3 && !inside(p->l3, p->l3_len, base, len))
		abort();
	if (p->l4 && !inside(p->l4, p->l4_len, p->l3, p->l3_len))
		abort();
	if (p->payload && !inside(p->payload, p->payload_len, p->l4, p->l4_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct decode_config cfg;
	decode_config_defaults(&cfg);
	cfg.checksum_validate = (data[0] >> 4) & 1;
	cfg.defrag_memcap = 16 * 1024;
	cfg.defrag_timeout_sec = 2;
	cfg.max_packet = 65535;
	int lt = fuzz_linktypes[data[0] & 15];

	struct decoder d;
	if (decode_init(&d, &cfg) != 0)
		return 0;
	struct packet p;
	memset(&p, 0, sizeof(p));
	uint64_t ts = 1000000;
	size_t off = 1;
	while (off < size) {
		size_t n = size - off;
		if (n >= 2) {
			size_t want = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
			n -= 2;
			if (want < n)
				n = want;
		}
		uint8_t *frame = malloc(n ? n : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, n);
		off += n;
		int rc = decode_packet(&d, &p, lt, frame, (uint32_t)n,
				       (uint32_t)n, ts);
		if (rc == DECODE_OK)
			check_packet(&p);
		packet_release(&p);
		free(frame);
		ts += 1000000;
		decode_timeout(&d, ts);
	}
	if (decode_defrag_inuse(&d) > cfg.defrag_memcap)
		abort();
	decode_release(&d);
	return 0;
}
