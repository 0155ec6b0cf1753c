/*
 * The app-layer dispatcher's per-flow state and per-worker context
 * (app.c).  Seen by the pipeline glue (src/net) and the detection engine,
 * not by protocol parsers.
 */
#ifndef MAMORI_APP_APP_INT_H
#define MAMORI_APP_APP_INT_H

#include "app/app.h"
#include "flow/flow.h"
#include "util/buf.h"

#define APP_PROBE_CAP 4096	/* bytes looked at per direction to detect */
#define APP_PENDING_CAP (256u * 1024u)	/* unconsumed bytes kept for a parser */

struct app_flow {
	const struct app_proto *ap;	/* NULL until detected */
	void *state;			/* owned: ap->state_free */
	struct buf held[2];		/* bytes seen before detection / unconsumed */
	uint8_t probe_failed[2];
	int8_t first_dir;		/* direction of the first bytes, -1 none */
	bool error;			/* parser gave up: nothing more is parsed */
	bool eof[2];
	uint64_t logged;		/* next tx id to log */
};

/*
 * Called for each finished transaction before it is logged and freed
 * (the detection engine hooks in here).  tx is borrowed.
 */
typedef void (*app_tx_fn)(struct flow *f, const struct app_proto *ap,
			  void *tx, uint64_t tx_id, void *ctx);
/* Writes the records of one transaction (the EVE output hooks in here). */
typedef void (*app_log_fn)(struct flow *f, const struct app_proto *ap,
			   const void *tx, uint64_t tx_id, void *ctx);

struct app_stats {
	uint64_t flows[APP_MAX];	/* flows per detected protocol */
	uint64_t tx[APP_MAX];		/* transactions per protocol */
	uint64_t pending_capped;	/* parser asked for more than APP_PENDING_CAP */
	uint64_t parse_errors[APP_MAX];
	uint64_t anomalies[APP_MAX];	/* sum of parser counters at flow end */
};

struct app_ctx {
	struct app_config cfg;
	app_tx_fn on_tx;		/* may be NULL */
	app_log_fn on_log;		/* may be NULL */
	void *cb_ctx;
	struct app_stats stats;
};

void app_ctx_init(struct app_ctx *ac, const struct app_config *cfg,
		  app_tx_fn on_tx, app_log_fn on_log, void *cb_ctx);

/* Feeds reassembled TCP bytes of flow f (STREAM_DATA_* flags). */
void app_handle_stream(struct app_ctx *ac, struct flow *f, int dir,
		       const uint8_t *data, size_t len, unsigned flags,
		       uint64_t ts);
/* Feeds one UDP datagram of flow f. */
void app_handle_datagram(struct app_ctx *ac, struct flow *f, int dir,
			 const uint8_t *data, size_t len, uint64_t ts);
/* Flow end: logs what is left (as final) and frees f->app. */
void app_flow_end(struct app_ctx *ac, struct flow *f);

#endif
