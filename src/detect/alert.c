/*
 * EVE alert records; see alert.h.
 *
 * The app-layer object comes from the parser's own log_tx through a
 * capturing struct app_logger: its first begin() returns the alert
 * record's writer, so the parser writes "http":{...} straight into the
 * alert; every further record (DNS answers ...) goes to a scratch writer
 * and is dropped.  Metadata entries ("key value") are grouped by key in
 * first-seen order into {"key":["value",...]} as Suricata logs them.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/alert.h"

struct cap_logger {
	struct app_logger lg;	/* first member: the callbacks get it back */
	struct jw *main;
	struct buf sbuf;
	struct jw scratch;
	unsigned n;
};

static struct jw *cap_begin(struct app_logger *lg, const char *event_type, uint64_t ts)
{
	(void)event_type;
	(void)ts;
	struct cap_logger *c = (struct cap_logger *)lg;
	if (c->n++ == 0)
		return c->main;
	buf_reset(&c->sbuf);
	jw_init(&c->scratch, &c->sbuf);
	jw_open_obj(&c->scratch, NULL);
	return &c->scratch;
}

static void cap_end(struct app_logger *lg)
{
	(void)lg;
}

static void write_metadata(struct jw *w, const struct rule *r)
{
	if (!r->nmeta)
		return;
	bool *done = calloc(r->nmeta, sizeof(*done));
	if (!done)
		return;
	jw_open_obj(w, "metadata");
	for (uint32_t i = 0; i < r->nmeta; i++) {
		if (done[i])
			continue;
		const char *e = r->metadata[i];
		size_t kl = strcspn(e, " ");
		char key[128];
		if (kl >= sizeof(key))
			kl = sizeof(key) - 1;
		memcpy(key, e, kl);
		key[kl] = 0;
		jw_open_arr(w, key);
		for (uint32_t j = i; j < r->nmeta; j++) {
			const char *x = r->metadata[j];
			if (strncmp(x, key, kl) || (x[kl] != ' ' && x[kl] != 0))
				continue;
			done[j] = true;
			const char *v = x + kl;
			while (*v == ' ')
				v++;
			jw_str(w, NULL, v);
		}
		jw_close_arr(w);
	}
	jw_close_obj(w);
	free(done);
}

void detect_alert_write_eve(struct eve_out *e, const struct detect_alert *a)
{
	const struct rule *r = a->r;
	int64_t saved = e->tx_id;
	e->tx_id = a->tx_id;
	struct jw *w = eve_begin(e, "alert", a->ts, a->f, a->dir);
	e->tx_id = saved;
	if (!a->f && a->p) {
		char s[64], tmp[8];
		mamori_addr_str(&a->p->src, s, sizeof(s));
		jw_str(w, "src_ip", s);
		if (a->p->proto == 6 || a->p->proto == 17)
			jw_u64(w, "src_port", a->p->sport);
		mamori_addr_str(&a->p->dst, s, sizeof(s));
		jw_str(w, "dest_ip", s);
		if (a->p->proto == 6 || a->p->proto == 17)
			jw_u64(w, "dest_port", a->p->dport);
		jw_str(w, "proto", eve_proto_name(a->p->proto, tmp));
	}
	if (a->f && a->f->key.proto)
		jw_str(w, "direction", a->dir == FLOW_DIR_TOCLIENT ? "to_client" : "to_server");
	jw_open_obj(w, "alert");
	jw_str(w, "action", "allowed");
	jw_u64(w, "gid", r->gid);
	jw_u64(w, "signature_id", r->sid);
	jw_u64(w, "rev", r->rev);
	jw_str(w, "signature", r->msg ? r->msg : "");
	jw_str(w, "category", r->cls && r->cls->desc ? r->cls->desc : "");
	jw_u64(w, "severity", (uint64_t)(r->priority > 0 ? r->priority : 3));
	write_metadata(w, r);
	jw_close_obj(w);
	if (a->ap && a->tx && a->ap->log_tx) {
		struct cap_logger c;
		memset(&c, 0, sizeof(c));
		c.lg.begin = cap_begin;
		c.lg.end = cap_end;
		c.main = w;
		buf_init(&c.sbuf, 16u << 20);
		a->ap->log_tx(a->tx, &c.lg);
		buf_release(&c.sbuf);
	}
	if (a->f) {
		jw_open_obj(w, "flow");
		jw_u64(w, "pkts_toserver", a->f->pkts[0]);
		jw_u64(w, "pkts_toclient", a->f->pkts[1]);
		jw_u64(w, "bytes_toserver", a->f->bytes[0]);
		jw_u64(w, "bytes_toclient", a->f->bytes[1]);
		jw_timestamp(w, "start", a->f->ts_first);
		jw_close_obj(w);
	}
	eve_end(e);
}
