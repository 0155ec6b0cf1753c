/*
 * Fuzz target for the flow table and the TCP stream engine together.
 *
 * Input: byte 0 picks the config (overlap policy, midstream, tiny caps so
 * the memcap and gap paths run); then records of
 *   dir:1 flags:1 seq:2 ack:2 len:1 payload:len
 * where seq/ack are offsets from fixed ISNs near 2^32 (so wraparound is
 * always in play) and the last record may be short.  The callback checks
 * that nothing is delivered after a direction's EOF and that EOF comes
 * once; the end of input flushes the table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "stream/stream.h"

struct fz {
	struct stream_engine *se;
	unsigned eof[2];
};

static void on_data(struct flow *f, int dir, const uint8_t *data, size_t len,
		    unsigned flags, void *ctx)
{
	struct fz *z = ctx;
	(void)f;
	if (dir < 0 || dir > 1 || (len && !data) || z->eof[dir])
		__builtin_trap();
	if (flags & STREAM_DATA_EOF)
		z->eof[dir]++;
}

static void on_end(struct flow *f, enum flow_end_reason why, void *ctx)
{
	struct fz *z = ctx;
	(void)why;
	if (f->tcp)
		stream_session_end(z->se, f);
	z->eof[0] = z->eof[1] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	struct fz z = {0};
	struct stream_config sc;
	stream_config_defaults(&sc);
	sc.policy = (mode & 1) ? STREAM_POLICY_LAST : STREAM_POLICY_FIRST;
	sc.midstream = (mode & 2) ? 0 : 1;
	if (mode & 4) {
		sc.per_flow_cap = 64;
		sc.memcap = 512;
		sc.max_gap_wait = 3;
	}
	if (mode & 8)
		sc.retrans_window = 0;
	z.se = stream_engine_new(&sc, on_data, &z);
	struct flow_table_config fc;
	flow_table_config_defaults(&fc);
	fc.hash_size = 4;
	struct flow_table *ft = flow_table_new(&fc, on_end, &z);
	if (!z.se || !ft)
		goto out;

	const uint32_t isn[2] = {0xfffffc00u, 0xffffff00u};
	size_t off = 1;
	uint64_t ts = 1000000;
	while (off + 7 <= size) {
		const uint8_t *r = data + off;
		int dir = r[0] & 1;
		struct packet p;
		memset(&p, 0, sizeof(p));
		p.flags = PKT_HAS_IP;
		p.proto = 6;
		p.ipver = 4;
		p.src.family = p.dst.family = 4;
		p.src.a[0] = 10;
		p.src.a[3] = (uint8_t)(1 + dir);
		p.dst.a[0] = 10;
		p.dst.a[3] = (uint8_t)(2 - dir);
		p.sport = dir ? 80 : 40000;
		p.dport = dir ? 40000 : 80;
		p.tcp_flags = r[1];
		p.tcp_seq = isn[dir] + (uint32_t)((r[2] << 8) | r[3]);
		p.tcp_ack = isn[dir ^ 1] + (uint32_t)((r[4] << 8) | r[5]);
		size_t len = r[6];
		off += 7;
		if (len > size - off)
			len = size - off;
		p.payload = data + off;
		p.payload_len = (uint32_t)len;
		off += len;
		ts += (r[0] & 0x80) ? 20000000u : 1000u;	/* sometimes a long pause */
		p.ts_usec = ts;
		int fdir;
		struct flow *f = flow_table_get(ft, &p, &fdir);
		if (f && stream_packet(z.se, f, &p, fdir) < 0)
			break;
		flow_table_expire(ft, ts);
	}
out:
	flow_table_free(ft);
	stream_engine_free(z.se);
	return 0;
}
