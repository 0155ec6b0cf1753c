/*
 * Bidirectional flow table.
 *
 * A flow is keyed by (proto, addresses, ports, vlan) in a direction-free
 * way: the hash is symmetric, so both directions of a conversation land on
 * the same flow and (later) on the same worker.  The side that sent the
 * first packet is the client ("to server" direction), except that for TCP a
 * SYN/ACK seen first makes its receiver the client (midstream pickup).
 * ICMP/ICMPv6 flows are keyed by the two addresses only (ports are 0), and
 * QinQ packets by their outer VLAN id.
 *
 * One table per worker; no locks.  Flows are bounded by a memcap: when it
 * is reached the oldest idle flows are evicted early (counted), and when
 * none can be, the packet is processed without a flow (counted).
 *
 * Lifetime (transitions, function):
 *   none     → NEW          flow_table_get() on the first packet
 *   NEW      → ESTABLISHED  flow_table_get() when both sides have been seen
 *                           (non-TCP); for TCP the stream engine sets f->state
 *                           on the handshake (stream.c set_state)
 *   any      → CLOSED       stream.c set_state on TCP FIN/RST
 *   CLOSED   → (ended)      flow_table_get() when a new SYN reuses the tuple
 *                           (reason FORCED; a new flow is created)
 *   any      → (ended)      flow_table_expire() when idle longer than the
 *                           timeout of its state, flow_table_get() evicting the
 *                           least recently used flow at the memcap, or
 *                           flow_table_flush() at the end; the on_end callback
 *                           runs before the flow is freed.
 * Whoever changes f->state does it between flow_table_get() and the next
 * table call; the table re-files the flow under its new timeout then.
 */
#ifndef MAMORI_FLOW_FLOW_H
#define MAMORI_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"

#define FLOW_DIR_TOSERVER 0
#define FLOW_DIR_TOCLIENT 1

enum flow_state { FLOW_STATE_NEW, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

enum flow_end_reason { FLOW_END_TIMEOUT, FLOW_END_FORCED, FLOW_END_SHUTDOWN, FLOW_END_MEMCAP };

struct flow_key {
	struct mamori_addr a, b;	/* a = client side as first seen */
	uint16_t pa, pb;
	uint16_t vlan;
	uint8_t proto;
};

struct tcp_session;		/* stream/stream.h */

/* Flow flags. */
#define FLOW_F_TOSERVER_SEEN	0x01u
#define FLOW_F_TOCLIENT_SEEN	0x02u
#define FLOW_F_ALERTED		0x04u
#define FLOW_F_APP_DONE		0x08u	/* app layer gave up or finished */

struct flow {
	struct flow_key key;
	uint64_t flow_id;		/* stable non-zero id, EVE "flow_id" */
	uint32_t hash;
	enum flow_state state;
	uint32_t flags;
	uint64_t ts_first, ts_last;	/* usec */
	uint64_t pkts[2], bytes[2];	/* indexed by FLOW_DIR_* */

	/* Owned by later stages; the table frees them through the hooks in
	 * struct flow_table_config when the flow ends. */
	struct tcp_session *tcp;
	/* TCP summary kept by the stream engine in the flow itself so it
	 * outlives f->tcp (freed by stream_session_end before the flow
	 * record is written); read via stream_tcp_flags/stream_state_str. */
	uint8_t tcp_flags[2];		/* OR of flags seen, by FLOW_DIR_* */
	uint8_t tcp_state;		/* stream.c's session state */
	uint16_t app_proto;		/* enum app_proto_id */
	void *app;			/* struct app_flow * (app/app.h) */
	void *detect;			/* per-flow detection state */

	/* table bookkeeping (flow.c) */
	struct flow *hnext;
	struct flow *lru_prev, *lru_next;
	uint8_t lru_class;		/* which timeout list holds the flow */
};

struct flow_table_config {
	size_t memcap;			/* bytes; default 128 MiB */
	uint32_t hash_size;		/* buckets; default 65536 */
	uint32_t timeout_new;		/* seconds; default 30 */
	uint32_t timeout_established;	/* default 300 */
	uint32_t timeout_closed;	/* default 10 */
	uint32_t timeout_udp;		/* default 60 (after both sides seen) */
	uint32_t seed;			/* hash seed (same for all workers) */
};

void flow_table_config_defaults(struct flow_table_config *cfg);

/* Called for every flow that ends, just before it is freed: the caller logs
 * it and frees app/tcp/detect state (and sets those pointers to NULL). */
typedef void (*flow_end_fn)(struct flow *f, enum flow_end_reason why, void *ctx);

struct flow_table;

/* Creates a table.  on_end (may be NULL) receives each flow as it ends.
 * Returns NULL on allocation failure.  Free with flow_table_free(). */
struct flow_table *flow_table_new(const struct flow_table_config *cfg,
				  flow_end_fn on_end, void *ctx);
/* Ends every remaining flow (reason SHUTDOWN) and frees the table; NULL ok. */
void flow_table_free(struct flow_table *t);

/*
 * Finds or creates the flow for a decoded packet (TCP, UDP, ICMP with
 * PKT_HAS_IP).  *dir (OUT) receives FLOW_DIR_TOSERVER or _TOCLIENT.
 * Updates last-seen time and counters.  Returns NULL when no flow could be
 * made (memcap with nothing to evict): the packet is then handled
 * flowless.  The flow is borrowed; it stays valid until the next call of
 * flow_table_get/expire/flush (a later get may evict it under memcap, or
 * end it when a new SYN reuses the tuple of a closed TCP flow).
 */
struct flow *flow_table_get(struct flow_table *t, const struct packet *p,
			    int *dir);

/* Ends flows idle past their timeout at time now_usec; returns how many. */
size_t flow_table_expire(struct flow_table *t, uint64_t now_usec);
/* Ends every flow with the given reason (end of input). */
void flow_table_flush(struct flow_table *t, enum flow_end_reason why);

/* Symmetric hash of a packet's 5-tuple (same for both directions). */
uint32_t flow_hash_packet(const struct packet *p, uint32_t seed);

struct flow_stats {
	uint64_t created, ended, active, active_max;
	uint64_t memcap_evicted, memcap_dropped;	/* evicted early / no flow */
	size_t memuse;
};
void flow_table_stats(const struct flow_table *t, struct flow_stats *out);

const char *flow_end_reason_str(enum flow_end_reason why);
const char *flow_state_str(enum flow_state s);

#endif
