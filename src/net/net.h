/*
 * The packet pipeline of `mamori net` for one worker:
 *   decode → flow → stream (TCP) → app layer → EVE records.
 *
 * A struct net_worker owns every piece of per-packet state (decoder with
 * its defragmenter, flow table, stream engine, app-layer context), so N
 * workers fed by a symmetric flow hash need no locks.  Time is packet
 * time: timeouts advance with the capture, so an offline run gives the same
 * output whatever the wall clock does.
 */
#ifndef MAMORI_NET_NET_H
#define MAMORI_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app_int.h"
#include "decode/decode.h"
#include "detect/engine.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "stream/stream.h"

struct net_config {
	struct decode_config decode;
	struct flow_table_config flow;
	struct stream_config stream;
	struct app_config app;
	bool log_flow;		/* EVE flow records; default true */
	bool log_app;		/* http/dns/smtp records; default true */
	/* Detection: the engine (borrowed, must outlive the worker; NULL = no
	 * detection) and, for the stats record, how loading the rules went. */
	struct detect_engine *detect;
	uint64_t rules_failed;		/* rejected by the parser */
	uint64_t rules_load_usec;	/* parse + engine build */
};

void net_config_defaults(struct net_config *cfg);

struct net_worker;

/* Creates a worker writing to eve (borrowed; may be NULL for no output). */
int net_worker_new(const struct net_config *cfg, struct eve_out *eve,
		   struct net_worker **out);
/* Processes one captured frame (data borrowed for the call). */
void net_worker_packet(struct net_worker *w, int linktype, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, uint64_t ts_usec);
/* Ends every flow (logging them) at end of input. */
void net_worker_finish(struct net_worker *w);
/* Frees the worker (finishing first if needed); NULL ok. */
void net_worker_free(struct net_worker *w);

struct net_summary {
	uint64_t packets, bytes, invalid, flowless;
	uint64_t decode_events, stream_events;
	uint64_t flows, flows_active_max, memcap_hits;
	uint64_t tx[APP_MAX];
	uint64_t records;
	uint64_t first_ts, last_ts;
	uint64_t alerts;
	uint64_t incidents, corr_evictions;	/* filled by the caller (correlation) */
};
/* Totals so far. */
void net_worker_summary(const struct net_worker *w, struct net_summary *s);
/* Writes an EVE "stats" record (Suricata's counter names where they exist). */
void net_worker_write_stats(struct net_worker *w, uint64_t ts,
			    uint64_t kernel_pkts, uint64_t kernel_drops);

#endif
