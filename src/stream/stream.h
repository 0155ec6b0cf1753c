/*
 * TCP session tracking and reassembly.
 *
 * For each TCP flow the stream engine follows the handshake (or picks the
 * session up midstream), tracks each direction's next expected sequence
 * number, and reassembles each direction's bytes in order: out-of-order
 * segments are held (bounded by a per-flow and a global memcap), overlaps
 * keep the first data received by default (policy "first"), retransmitted
 * bytes that differ from the originals are counted as an event, and holes
 * that are never filled are delivered as a gap so the app layer can
 * resynchronise or give up.  In-order bytes are handed to a callback as
 * soon as they are contiguous: the engine does not wait for ACKs.
 *
 * State per direction lives in struct tcp_session, owned by the flow
 * (flow->tcp) and freed by stream_session_end() from the flow end hook.
 * One struct stream_engine per worker; no globals.
 */
#ifndef MAMORI_STREAM_STREAM_H
#define MAMORI_STREAM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"

#define STREAM_EVENT_MAP(X)                                                   \
	X(MIDSTREAM, "stream.midstream_pickup")                               \
	X(OVERLAP, "stream.reassembly_overlap")                               \
	X(OVERLAP_DIFF, "stream.reassembly_overlap_different_data")           \
	X(GAP, "stream.reassembly_gap")                                       \
	X(MEMCAP, "stream.reassembly_memcap")                                 \
	X(SEG_BEFORE_BASE, "stream.pkt_before_base_seq")                      \
	X(WINDOW_EXCEEDED, "stream.pkt_beyond_window")                        \
	X(INVALID_ACK, "stream.pkt_invalid_ack")                              \
	X(RST, "stream.rst")                                                  \
	X(SYN_RESEND_DIFF_SEQ, "stream.3whs_syn_resend_diff_seq")             \
	X(PKT_NO_SESSION, "stream.pkt_no_session")

enum stream_event {
#define STREAM_EV_ENUM(id, name) SEV_##id,
	STREAM_EVENT_MAP(STREAM_EV_ENUM)
#undef STREAM_EV_ENUM
	SEV_MAX
};
const char *stream_event_name(enum stream_event ev);

enum stream_overlap_policy { STREAM_POLICY_FIRST, STREAM_POLICY_LAST };

struct stream_config {
	size_t memcap;			/* all held out-of-order bytes; default 256 MiB */
	size_t per_flow_cap;		/* held bytes per direction; default 1 MiB */
	int midstream;			/* pick up sessions without handshake; default 1 */
	enum stream_overlap_policy policy;	/* default FIRST */
	uint32_t max_gap_wait;		/* out-of-order segments held before a gap is
					 * declared and skipped; default 64 */
	size_t retrans_window;		/* recently delivered bytes kept per direction
					 * to compare retransmissions with (counted in
					 * memuse, grown on demand); default 64 KiB,
					 * 0 = off */
};
void stream_config_defaults(struct stream_config *cfg);

/* Flags given with delivered data. */
#define STREAM_DATA_GAP	0x01u	/* bytes were lost before this data (data may be empty) */
#define STREAM_DATA_EOF	0x02u	/* the direction ended (FIN/RST/flow end); data may be empty */

/*
 * Receives in-order bytes of one direction.  data is borrowed for the call.
 * dir is FLOW_DIR_*.  The stream engine never calls it re-entrantly.
 */
typedef void (*stream_data_fn)(struct flow *f, int dir, const uint8_t *data,
			       size_t len, unsigned flags, void *ctx);

struct stream_engine;

/* Creates a per-worker engine delivering to cb(ctx).  NULL on ENOMEM. */
struct stream_engine *stream_engine_new(const struct stream_config *cfg,
					stream_data_fn cb, void *ctx);
/* Frees the engine; end every session first (flow_table_free before). */
void stream_engine_free(struct stream_engine *se);

/*
 * Handles one TCP packet of flow f in direction dir: updates the session
 * state (creating f->tcp on first use, updating f->state), stores or
 * delivers its payload.  Returns 0, or a negative code only for ENOMEM.
 */
int stream_packet(struct stream_engine *se, struct flow *f,
		  const struct packet *p, int dir);

/*
 * Flushes what is held for flow f (delivering data after gaps, then EOF for
 * each direction) and frees f->tcp.  Called from the flow end hook.
 */
void stream_session_end(struct stream_engine *se, struct flow *f);

/* TCP session state name for EVE flow.tcp.state ("none", "syn_sent",
 * "established", "fin_wait1", ..., "closed": Suricata's names); static
 * string, still valid after stream_session_end(). */
const char *stream_state_str(const struct flow *f);
/* OR of TCP flags seen in direction dir (FLOW_DIR_*; any other value: both
 * directions), for EVE flow.tcp.  Kept in the flow, so still valid after
 * stream_session_end(). */
uint8_t stream_tcp_flags(const struct flow *f, int dir);

struct stream_stats {
	uint64_t sessions, midstream, segments, bytes_delivered;
	uint64_t events[SEV_MAX];
	size_t memuse;
};
void stream_stats(const struct stream_engine *se, struct stream_stats *out);

#endif
