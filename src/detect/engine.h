/*
 * The detection engine of `mamori net`: turns a loaded struct ruleset
 * (detect/rule.h) into rule groups with Hyperscan prefilters, and matches
 * them against packets, reassembled TCP streams and app-layer
 * transactions.
 *
 * Two objects:
 *  - struct detect_engine: built once from a ruleset (grouping, fast
 *    pattern databases, flowbit name table, datasets loaded from their
 *    files).  Read-only afterwards except for the shared state tables
 *    (datasets, xbits/hostbits, thresholds), which sit behind the small
 *    interface of detect/state.h so a lock or sharding can be added when
 *    several workers share an engine.  Today one worker uses it.
 *  - struct detect_thread: per-worker scratch (Hyperscan scratch, match
 *    context, candidate arrays) and the alert callback.  Not shared.
 *
 * What is inspected (see engine.c for the details and the reasons):
 *  - packet rules (no app-layer buffer): every packet of their transport;
 *    a payload rule sees TCP data of a flow through the stream window
 *    (below), and the packet's own payload otherwise (UDP, ICMP,
 *    flowless packets) or when it is packet-only (flow:no_stream, tcp-pkt,
 *    dsize); at most one alert per rule per packet;
 *  - stream: per flow and direction a window of the last
 *    detect_config.stream_window (or up to twice that) bytes of
 *    reassembled data; the new bytes are inspected together with it, a
 *    match is reported once, when the bytes it needs have all arrived
 *    (split across segments, or completed out of order: see engine.c);
 *  - transaction rules (an app-layer buffer such as http.uri, or an app
 *    protocol with no payload list): each finished transaction once; all
 *    buffer lists of the rule must match the same transaction; one alert
 *    per rule per transaction.
 *
 * Time is always packet time (usec), so thresholds and bit expiry give the
 * same result on every run of a pcap.
 */
#ifndef MAMORI_DETECT_ENGINE_H
#define MAMORI_DETECT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "decode/packet.h"
#include "detect/rule.h"
#include "flow/flow.h"
#include "mamori/mamori.h"

struct detect_config {
	size_t stream_window;	/* stream bytes kept per flow and direction for
				 * matches that span packets; default 4096 */
	uint64_t dataset_memcap;	/* default per dataset when the rule gives
					 * none; default 64 MiB */
	uint64_t state_memcap;	/* xbits/hostbits + threshold entries; default
				 * 32 MiB */
	const char *dataset_dir;	/* folder for relative dataset load=
					 * paths; NULL = the rule file's folder
					 * (Suricata's default).  Borrowed for
					 * detect_engine_new only. */
};
void detect_config_defaults(struct detect_config *cfg);

struct detect_engine;
struct detect_thread;

/*
 * Builds the engine from rs (borrowed: must outlive the engine and not
 * change).  cfg may be NULL (defaults).  Rules the engine cannot use (a
 * dataset file that does not load, ...) are skipped and counted in
 * detect_engine_stats.skipped, with the first reason in diag->msg.
 * Returns 0, MAMORI_ENOMEM, MAMORI_EINVAL (Hyperscan refused a database:
 * diag->msg says why).  Free with detect_engine_free (NULL ok).
 */
int detect_engine_new(const struct ruleset *rs, const struct detect_config *cfg,
		      struct detect_engine **out, struct mamori_diag *diag);
void detect_engine_free(struct detect_engine *de);

struct detect_engine_stats {
	uint64_t rules;		/* rules in use */
	uint64_t skipped;	/* rules the engine could not use */
	uint64_t pkt_rules, tx_rules;
	uint64_t prefiltered;	/* rules with a fast pattern in a database */
	uint64_t groups;	/* rule groups */
	uint64_t databases;	/* Hyperscan databases compiled */
	uint64_t patterns;	/* distinct fast patterns */
	uint64_t build_usec;	/* time detect_engine_new took */
	uint64_t memory;	/* bytes of databases */
};
void detect_engine_stats(const struct detect_engine *de, struct detect_engine_stats *out);

/* ---- alerts -------------------------------------------------------------- */

/*
 * One alert, valid for the duration of the callback.  p is the packet
 * that triggered it (NULL at flow end, when buffered stream data or the
 * last transactions are inspected without a packet).  dir is the packet's
 * direction (FLOW_DIR_*) for src/dest in EVE; for transaction alerts the
 * direction of the rule's buffers (to_client buffers: FLOW_DIR_TOCLIENT).
 * ap/tx/tx_id are set for transaction alerts (tx_id -1 otherwise).
 */
struct detect_alert {
	const struct rule *r;
	struct flow *f;			/* may be NULL (flowless packet) */
	const struct packet *p;		/* may be NULL */
	int dir;
	uint64_t ts;			/* usec */
	const struct app_proto *ap;	/* NULL unless a tx alert */
	const void *tx;
	int64_t tx_id;
	bool stream;			/* matched on the stream window */
};
typedef void (*detect_alert_fn)(const struct detect_alert *a, void *ctx);

/*
 * Per-worker context.  de is borrowed (must outlive the thread); cb
 * receives every alert (may be NULL: alerts are only counted).
 * Returns 0 or MAMORI_ENOMEM.  Free with detect_thread_free (NULL ok).
 */
int detect_thread_new(struct detect_engine *de, detect_alert_fn cb, void *ctx,
		      struct detect_thread **out);
void detect_thread_free(struct detect_thread *dt);

/*
 * Reassembled TCP bytes of flow f, direction dir, as the stream engine
 * delivers them (the stream_data_fn of stream.h).  They are appended to
 * the flow's window and inspected at the next detect_packet (or at
 * detect_flow_end).
 */
void detect_stream(struct detect_thread *dt, struct flow *f, int dir,
		   const uint8_t *data, size_t len, unsigned flags);
/*
 * Inspects one decoded packet (after the stream engine and app layer have
 * seen it): header/payload rules and the stream bytes delivered since the
 * last call.  f may be NULL (flowless), dir is FLOW_DIR_*.
 */
void detect_packet(struct detect_thread *dt, const struct packet *p, struct flow *f,
		   int dir);
/*
 * Inspects one finished transaction (the app_tx_fn hook of app_int.h).
 * p is the current packet or NULL (flow end); ts its time.
 */
void detect_tx(struct detect_thread *dt, struct flow *f, const struct app_proto *ap,
	       const void *tx, uint64_t tx_id, const struct packet *p, uint64_t ts);
/*
 * Flow end: inspects stream bytes not yet inspected, then frees f->detect
 * (sets it NULL).  Call before the flow record is written (it may set
 * FLOW_F_ALERTED).
 */
void detect_flow_end(struct detect_thread *dt, struct flow *f, uint64_t ts);

struct detect_thread_stats {
	uint64_t alerts;		/* alerts raised (after thresholds) */
	uint64_t suppressed;		/* matches held back by threshold/noalert */
	uint64_t candidates;		/* rules evaluated after the prefilter */
	uint64_t matches;		/* rules that matched */
	uint64_t passed_flows;		/* flows stopped by a pass rule */
	uint64_t errors;		/* Hyperscan scan errors, unsupported lists */
};
void detect_thread_stats(const struct detect_thread *dt, struct detect_thread_stats *out);

/*
 * Alert ordering inside one packet or transaction: rules are evaluated and
 * reported in the engine's order, which is Suricata's default order
 * simplified: action (pass, drop, reject, alert), then flowbits (rules
 * that set bits before rules that read them), then priority, then sid.
 */

#endif
