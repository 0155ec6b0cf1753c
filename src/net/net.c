/*
 * Per-worker packet pipeline glue; see net.h.
 *
 * Detection (when cfg.detect is set) hooks in at four places: reassembled
 * stream bytes go to detect_stream as they are delivered, finished
 * transactions to detect_tx (the app layer's on_tx hook, before they are
 * logged), each decoded packet to detect_packet after the stream and app
 * layer have seen it, and flow end to detect_flow_end (before the flow
 * record, so flow.alerted is right).  Alerts become EVE "alert" records.
 *
 * Flow end is the one place where per-flow state is torn down, in this
 * order: the stream engine flushes what it holds (delivering EOF to the
 * app layer), the app layer logs its remaining transactions and frees its
 * state, detection inspects the stream bytes it still holds and frees
 * f->detect, then the flow record is written.  flow_table_expire() is run each
 * time packet time advances by a second, so expiry cost is spread and
 * deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/alert.h"
#include "net/net.h"

struct net_worker {
	struct net_config cfg;
	struct decoder dec;
	struct flow_table *ft;
	struct stream_engine *se;
	struct app_ctx app;
	struct detect_thread *dt;	/* NULL without detection */
	const struct packet *cur_p;	/* packet being processed, or NULL */
	const struct flow *cur_f;	/* its flow, once known */
	struct eve_out *eve;	/* borrowed */
	uint64_t now;		/* time of the current packet */
	uint64_t last_expire;
	uint64_t first_ts;
	uint64_t flowless;
	uint64_t pcap_cnt;	/* frames seen, 1-based index of the current one */
	bool finished;
	/* the app logger currently writing */
	struct app_logger lg;
	const struct flow *lg_flow;
};

void net_config_defaults(struct net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	decode_config_defaults(&cfg->decode);
	flow_table_config_defaults(&cfg->flow);
	stream_config_defaults(&cfg->stream);
	app_config_defaults(&cfg->app);
	cfg->log_flow = true;
	cfg->log_app = true;
}

static struct jw *lg_begin(struct app_logger *lg, const char *event_type,
			   uint64_t ts)
{
	struct net_worker *w = (struct net_worker *)((char *)lg -
						      offsetof(struct net_worker, lg));
	return eve_begin(w->eve, event_type, ts ? ts : w->lg_flow->ts_last,
			 w->lg_flow, -1);
}

static void lg_end(struct app_logger *lg)
{
	struct net_worker *w = (struct net_worker *)((char *)lg -
						      offsetof(struct net_worker, lg));
	eve_end(w->eve);
}

static void on_log(struct flow *f, const struct app_proto *ap, const void *tx,
		   uint64_t tx_id, void *ctx)
{
	struct net_worker *w = ctx;
	if (!w->eve || !w->cfg.log_app || !ap->log_tx)
		return;
	w->lg_flow = f;
	w->eve->tx_id = (int64_t)tx_id;
	ap->log_tx(tx, &w->lg);
	w->eve->tx_id = -1;
	w->lg_flow = NULL;
}

static void on_stream_data(struct flow *f, int dir, const uint8_t *data,
			   size_t len, unsigned flags, void *ctx)
{
	struct net_worker *w = ctx;
	if (w->dt)
		detect_stream(w->dt, f, dir, data, len, flags);
	app_handle_stream(&w->app, f, dir, data, len, flags, w->now);
}

static void on_tx(struct flow *f, const struct app_proto *ap, void *tx,
		  uint64_t tx_id, void *ctx)
{
	struct net_worker *w = ctx;
	/* a flow ended by the table while another packet is processed gets
	 * no packet (its transactions are final, inspected at flow end) */
	const struct packet *p = f == w->cur_f ? w->cur_p : NULL;
	detect_tx(w->dt, f, ap, tx, tx_id, p, p ? w->now : f->ts_last);
}

static void on_alert(const struct detect_alert *a, void *ctx)
{
	struct net_worker *w = ctx;
	if (w->eve)
		detect_alert_write_eve(w->eve, a);
}

static void write_flow(struct net_worker *w, const struct flow *f,
		       enum flow_end_reason why)
{
	struct jw *j = eve_begin(w->eve, "flow", f->ts_first, f, -1);
	jw_open_obj(j, "flow");
	jw_u64(j, "pkts_toserver", f->pkts[0]);
	jw_u64(j, "pkts_toclient", f->pkts[1]);
	jw_u64(j, "bytes_toserver", f->bytes[0]);
	jw_u64(j, "bytes_toclient", f->bytes[1]);
	jw_timestamp(j, "start", f->ts_first);
	jw_timestamp(j, "end", f->ts_last);
	jw_u64(j, "age", (f->ts_last - f->ts_first) / 1000000u);
	jw_str(j, "state", flow_state_str(f->state));
	jw_str(j, "reason", flow_end_reason_str(why));
	jw_bool(j, "alerted", (f->flags & FLOW_F_ALERTED) != 0);
	jw_close_obj(j);
	if (f->key.proto == 6) {
		static const char *const names[] = {"fin", "syn", "rst", "psh",
						    "ack", "urg"};
		uint8_t all = (uint8_t)(stream_tcp_flags(f, 0) | stream_tcp_flags(f, 1));
		char hx[3];
		jw_open_obj(j, "tcp");
		snprintf(hx, sizeof(hx), "%02x", all);
		jw_str(j, "tcp_flags", hx);
		snprintf(hx, sizeof(hx), "%02x", stream_tcp_flags(f, 0));
		jw_str(j, "tcp_flags_ts", hx);
		snprintf(hx, sizeof(hx), "%02x", stream_tcp_flags(f, 1));
		jw_str(j, "tcp_flags_tc", hx);
		for (unsigned i = 0; i < 6; i++)
			if (all & (1u << i))
				jw_bool(j, names[i], true);
		jw_str(j, "state", stream_state_str(f));
		jw_close_obj(j);
	}
	eve_end(w->eve);
}

static void on_flow_end(struct flow *f, enum flow_end_reason why, void *ctx)
{
	struct net_worker *w = ctx;
	if (f->tcp)
		stream_session_end(w->se, f);
	app_flow_end(&w->app, f);
	if (w->dt)
		detect_flow_end(w->dt, f, f->ts_last);
	if (w->eve && w->cfg.log_flow)
		write_flow(w, f, why);
}

int net_worker_new(const struct net_config *cfg, struct eve_out *eve,
		   struct net_worker **out)
{
	int rc = MAMORI_ENOMEM;
	struct net_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return MAMORI_ENOMEM;
	w->cfg = *cfg;
	w->eve = eve;
	w->lg.begin = lg_begin;
	w->lg.end = lg_end;
	rc = decode_init(&w->dec, &w->cfg.decode);
	if (rc)
		goto out;
	rc = MAMORI_ENOMEM;
	w->ft = flow_table_new(&w->cfg.flow, on_flow_end, w);
	if (!w->ft)
		goto out;
	w->se = stream_engine_new(&w->cfg.stream, on_stream_data, w);
	if (!w->se)
		goto out;
	if (w->cfg.detect) {
		rc = detect_thread_new(w->cfg.detect, on_alert, w, &w->dt);
		if (rc)
			goto out;
		rc = MAMORI_ENOMEM;
	}
	app_ctx_init(&w->app, &w->cfg.app, w->dt ? on_tx : NULL, on_log, w);
	*out = w;
	return 0;
out:
	net_worker_free(w);
	return rc;
}

void net_worker_packet(struct net_worker *w, int linktype, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, uint64_t ts_usec)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	if (!w->first_ts)
		w->first_ts = ts_usec;
	w->pcap_cnt++;
	if (w->eve)
		w->eve->pcap_cnt = w->pcap_cnt;
	if (ts_usec > w->now)
		w->now = ts_usec;
	int r = decode_packet(&w->dec, &p, linktype, data, caplen, wirelen, ts_usec);
	if (r == DECODE_OK && !(p.flags & PKT_INVALID) && (p.flags & PKT_HAS_IP) &&
	    p.proto != 0) {
		int dir = 0;
		p.pcap_cnt = w->pcap_cnt;
		w->cur_p = &p;
		struct flow *f = flow_table_get(w->ft, &p, &dir);
		w->cur_f = f;
		if (!f) {
			w->flowless++;
		} else if (p.proto == 6) {
			(void)stream_packet(w->se, f, &p, dir);
		} else if (p.proto == 17 && p.payload_len) {
			app_handle_datagram(&w->app, f, dir, p.payload, p.payload_len,
					    ts_usec);
		}
		if (w->dt)
			detect_packet(w->dt, &p, f, dir);
		w->cur_p = NULL;
		w->cur_f = NULL;
	}
	packet_release(&p);
	if (w->now - w->last_expire >= 1000000u) {
		w->last_expire = w->now;
		flow_table_expire(w->ft, w->now);
		decode_timeout(&w->dec, w->now);
	}
}

void net_worker_finish(struct net_worker *w)
{
	if (w->finished)
		return;
	w->finished = true;
	if (w->eve)
		w->eve->pcap_cnt = 0;
	flow_table_flush(w->ft, FLOW_END_SHUTDOWN);
}

void net_worker_free(struct net_worker *w)
{
	if (!w)
		return;
	if (w->ft) {
		net_worker_finish(w);
		flow_table_free(w->ft);
	}
	stream_engine_free(w->se);
	detect_thread_free(w->dt);
	decode_release(&w->dec);
	free(w);
}

void net_worker_summary(const struct net_worker *w, struct net_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->packets = w->dec.pkts;
	s->bytes = w->dec.bytes;
	s->invalid = w->dec.invalid;
	s->flowless = w->flowless;
	for (int i = 0; i < DEV_MAX; i++)
		if (i != DEV_FRAG_REASSEMBLED)	/* a success, not an anomaly */
			s->decode_events += w->dec.events[i];
	struct stream_stats ss;
	stream_stats(w->se, &ss);
	for (int i = 0; i < SEV_MAX; i++)
		s->stream_events += ss.events[i];
	struct flow_stats fs;
	flow_table_stats(w->ft, &fs);
	s->flows = fs.created;
	s->flows_active_max = fs.active_max;
	s->memcap_hits = fs.memcap_evicted + fs.memcap_dropped +
			 w->dec.events[DEV_FRAG_MEMCAP] + ss.events[SEV_MEMCAP] +
			 w->app.stats.pending_capped;
	memcpy(s->tx, w->app.stats.tx, sizeof(s->tx));
	s->records = w->eve ? w->eve->records : 0;
	s->first_ts = w->first_ts;
	s->last_ts = w->now;
	if (w->dt) {
		struct detect_thread_stats ds;
		detect_thread_stats(w->dt, &ds);
		s->alerts = ds.alerts;
	}
}

void net_worker_write_stats(struct net_worker *w, uint64_t ts,
			    uint64_t kernel_pkts, uint64_t kernel_drops)
{
	if (!w->eve)
		return;
	struct jw *j = eve_begin(w->eve, "stats", ts, NULL, -1);
	jw_open_obj(j, "stats");
	jw_u64(j, "uptime", w->now > w->first_ts ? (w->now - w->first_ts) / 1000000u : 0);
	jw_open_obj(j, "capture");
	jw_u64(j, "kernel_packets", kernel_pkts);
	jw_u64(j, "kernel_drops", kernel_drops);
	jw_close_obj(j);

	jw_open_obj(j, "decoder");
	jw_u64(j, "pkts", w->dec.pkts);
	jw_u64(j, "bytes", w->dec.bytes);
	jw_u64(j, "invalid", w->dec.invalid);
	jw_u64(j, "ipv4", w->dec.ipv4);
	jw_u64(j, "ipv6", w->dec.ipv6);
	jw_u64(j, "tcp", w->dec.tcp);
	jw_u64(j, "udp", w->dec.udp);
	jw_u64(j, "icmpv4", w->dec.icmpv4);
	jw_u64(j, "icmpv6", w->dec.icmpv6);
	jw_u64(j, "vlan", w->dec.vlan);
	jw_u64(j, "fragments", w->dec.frag);
	jw_open_obj(j, "event");
	for (int i = 0; i < DEV_MAX; i++)
		if (w->dec.events[i])
			jw_u64(j, decode_event_name((enum decode_event)i), w->dec.events[i]);
	jw_close_obj(j);
	jw_close_obj(j);

	struct flow_stats fs;
	flow_table_stats(w->ft, &fs);
	jw_open_obj(j, "flow");
	jw_u64(j, "total", fs.created);
	jw_u64(j, "active", fs.active);
	jw_u64(j, "active_max", fs.active_max);
	jw_u64(j, "memcap_evicted", fs.memcap_evicted);
	jw_u64(j, "memcap_dropped", fs.memcap_dropped);
	jw_u64(j, "flowless_packets", w->flowless);
	jw_close_obj(j);

	struct stream_stats ss;
	stream_stats(w->se, &ss);
	jw_open_obj(j, "tcp");
	jw_u64(j, "sessions", ss.sessions);
	jw_u64(j, "midstream_pickups", ss.midstream);
	jw_u64(j, "segments", ss.segments);
	jw_u64(j, "reassembled_bytes", ss.bytes_delivered);
	jw_u64(j, "memuse", ss.memuse);
	jw_open_obj(j, "event");
	for (int i = 0; i < SEV_MAX; i++)
		if (ss.events[i])
			jw_u64(j, stream_event_name((enum stream_event)i), ss.events[i]);
	jw_close_obj(j);
	jw_close_obj(j);

	jw_open_obj(j, "app_layer");
	jw_open_obj(j, "flow");
	for (int i = 1; i < APP_MAX; i++)
		if (app_proto_name((enum app_proto_id)i) && i != APP_FAILED)
			jw_u64(j, app_proto_name((enum app_proto_id)i), w->app.stats.flows[i]);
	jw_close_obj(j);
	jw_open_obj(j, "tx");
	for (int i = 1; i < APP_MAX; i++)
		if (app_proto_name((enum app_proto_id)i) && i != APP_FAILED)
			jw_u64(j, app_proto_name((enum app_proto_id)i), w->app.stats.tx[i]);
	jw_close_obj(j);
	jw_open_obj(j, "anomalies");
	for (int i = 1; i < APP_MAX; i++)
		if (w->app.stats.anomalies[i] || w->app.stats.parse_errors[i]) {
			jw_open_obj(j, app_proto_name((enum app_proto_id)i));
			jw_u64(j, "parser_counters", w->app.stats.anomalies[i]);
			jw_u64(j, "parse_errors", w->app.stats.parse_errors[i]);
			jw_close_obj(j);
		}
	jw_close_obj(j);
	jw_u64(j, "pending_capped", w->app.stats.pending_capped);
	jw_close_obj(j);

	if (w->dt) {
		struct detect_thread_stats ds;
		struct detect_engine_stats es;
		detect_thread_stats(w->dt, &ds);
		detect_engine_stats(w->cfg.detect, &es);
		jw_open_obj(j, "detect");
		jw_open_arr(j, "engines");
		jw_open_obj(j, NULL);
		jw_u64(j, "id", 0);
		jw_u64(j, "rules_loaded", es.rules);
		jw_u64(j, "rules_failed", w->cfg.rules_failed + es.skipped);
		jw_u64(j, "rules_load_usec", w->cfg.rules_load_usec);
		jw_u64(j, "engine_build_usec", es.build_usec);
		jw_u64(j, "prefilter_databases", es.databases);
		jw_u64(j, "prefilter_patterns", es.patterns);
		jw_close_obj(j);
		jw_close_arr(j);
		jw_u64(j, "alert", ds.alerts);
		jw_u64(j, "alerts_suppressed", ds.suppressed);
		jw_u64(j, "candidates", ds.candidates);
		jw_u64(j, "passed_flows", ds.passed_flows);
		jw_close_obj(j);
	}
	jw_close_obj(j);
	eve_end(w->eve);
}
