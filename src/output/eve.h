/*
 * EVE JSON output: one JSON object per line, Suricata's field names, so
 * jq, Filebeat or EveBox read mamori's log like Suricata's.
 *
 * A record is built in the writer's line buffer (eve_begin writes the
 * common header: timestamp, flow_id, event_type, addresses, ports, proto)
 * and written whole by eve_end, so a record is never interleaved with
 * another.  One struct eve_out is used by one thread at a time.
 */
#ifndef MAMORI_OUTPUT_EVE_H
#define MAMORI_OUTPUT_EVE_H

#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "mamori/mamori.h"
#include "util/buf.h"
#include "util/jw.h"

struct eve_out {
	FILE *fp;		/* owned unless it is stdout */
	int own_fp;
	struct buf line;
	struct jw jw;
	uint64_t records;
	uint64_t pcap_cnt;	/* index of the packet being processed (0: none);
				 * written as "pcap_cnt" in transaction records */
	int64_t tx_id;		/* transaction being logged, -1 none: "tx_id" */
	/* Called with each record written (the line, without its newline,
	 * borrowed for the call), e.g. to feed the correlation engine.  A
	 * record written from inside the hook does not call it again. */
	void (*on_record)(void *ctx, const char *line, size_t len);
	void *on_record_ctx;
	int in_hook;
	int err;		/* first write error (MAMORI_EIO) */
};

/* Opens path for appending ("-" = stdout).  OUT: *out, free with eve_close. */
int eve_open(const char *path, struct eve_out **out, struct mamori_diag *diag);
/* Flushes and closes; returns the first write error, if any.  NULL ok. */
int eve_close(struct eve_out *e);

/*
 * Starts a record of event_type at time ts (usec).  With a flow, writes
 * flow_id, src/dest (the flow's client as src when dir is FLOW_DIR_TOSERVER
 * or -1, the server as src for FLOW_DIR_TOCLIENT), ports and proto.
 * Returns the writer positioned inside the top-level object.
 */
struct jw *eve_begin(struct eve_out *e, const char *event_type, uint64_t ts,
		     const struct flow *f, int dir);
/* Finishes the record and writes it as one line. */
void eve_end(struct eve_out *e);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP" or the protocol number as text. */
const char *eve_proto_name(uint8_t proto, char tmp[8]);

#endif
