/*
 * App-layer dispatcher: protocol detection and feeding parsers.
 *
 * Detection looks at the first bytes of each direction.  Protocols whose
 * port hint matches the flow are tried first, then (TCP only) every other
 * protocol, so HTTP on 8080 or 5000 is still HTTP while NBNS/LLMNR/mDNS
 * datagrams on their own ports are not taken for DNS.  A direction whose
 * bytes no protocol recognises within APP_PROBE_CAP bytes fails; when both
 * have failed (or one has and the flow ends) the flow is APP_FAILED.
 * For UDP, a datagram on a protocol's port is given to it even when the
 * probe fails, so malformed DNS on port 53 is parsed (and counted as such).
 *
 * Bytes that arrive before detection are held per direction (capped) and
 * replayed to the parser in arrival order of the directions once the
 * protocol is known.  After that the parser's unconsumed tail is held
 * (APP_PENDING_CAP) and presented again with the next bytes.
 *
 * Transactions are logged in id order as soon as tx_done() says they are
 * final, then freed; at flow end every remaining transaction is final.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

const struct app_proto *const app_protos[] = {
	&app_http,
	&app_dns,
	&app_smtp,
	&app_smb, &app_dcerpc,
	&app_tls, &app_ssh,
	NULL,
};

static const char *const buffer_names[] = {
#define APP_BUF_NAME(id, name) name,
	APP_BUFFER_MAP(APP_BUF_NAME)
#undef APP_BUF_NAME
};

const char *app_buffer_name(enum app_buffer b)
{
	return (unsigned)b < APP_BUF_MAX ? buffer_names[b] : "unknown";
}

int app_buffer_by_name(const char *name)
{
	for (int i = 0; i < APP_BUF_MAX; i++)
		if (!strcmp(buffer_names[i], name))
			return i;
	return -1;
}

void app_config_defaults(struct app_config *cfg)
{
	cfg->max_line = 16 * 1024;
	cfg->max_headers = 256;
	cfg->body_limit = 100 * 1024;
	cfg->decompress_limit = 1024 * 1024;
	cfg->decode_bodies = APP_DECODE_ALL;
	cfg->max_tx = 1024;
}

static const char *const proto_names[APP_MAX] = {
	[APP_UNKNOWN] = NULL,   [APP_HTTP] = "http", [APP_DNS] = "dns",
	[APP_SMTP] = "smtp",    [APP_TLS] = "tls",   [APP_SSH] = "ssh",
	[APP_SMB] = "smb",      [APP_DCERPC] = "dcerpc",
	[APP_FAILED] = "failed",
};

const char *app_proto_name(enum app_proto_id id)
{
	return (unsigned)id < APP_MAX ? proto_names[id] : NULL;
}

enum app_proto_id app_proto_by_name(const char *name)
{
	for (int i = 1; i < APP_MAX; i++)
		if (proto_names[i] && !strcmp(proto_names[i], name))
			return (enum app_proto_id)i;
	return APP_UNKNOWN;
}

const struct app_proto *app_proto_get(enum app_proto_id id)
{
	for (size_t i = 0; app_protos[i]; i++)
		if (app_protos[i]->id == id)
			return app_protos[i];
	return NULL;
}

void app_ctx_init(struct app_ctx *ac, const struct app_config *cfg,
		  app_tx_fn on_tx, app_log_fn on_log, void *cb_ctx)
{
	memset(ac, 0, sizeof(*ac));
	if (cfg)
		ac->cfg = *cfg;
	else
		app_config_defaults(&ac->cfg);
	ac->on_tx = on_tx;
	ac->on_log = on_log;
	ac->cb_ctx = cb_ctx;
}

static struct app_flow *app_flow_get(struct flow *f)
{
	struct app_flow *af = f->app;
	if (af)
		return af;
	af = calloc(1, sizeof(*af));
	if (!af)
		return NULL;
	buf_init(&af->held[0], APP_PENDING_CAP);
	buf_init(&af->held[1], APP_PENDING_CAP);
	af->first_dir = -1;
	f->app = af;
	return af;
}

static bool port_hint(const struct app_proto *ap, const struct flow *f)
{
	if (!ap->ports)
		return false;
	for (const uint16_t *p = ap->ports; *p; p++)
		if (*p == f->key.pb || *p == f->key.pa)
			return true;
	return false;
}

/*
 * Tries the protocols on one direction's first bytes.  Returns the
 * protocol, or NULL with *undecided set when some probe needs more bytes.
 */
static const struct app_proto *probe_all(const struct flow *f, bool tcp,
					 const uint8_t *data, size_t len,
					 int dir, bool *undecided)
{
	*undecided = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; app_protos[i]; i++) {
			const struct app_proto *ap = app_protos[i];
			if ((tcp && !ap->tcp) || (!tcp && !ap->udp) || !ap->probe)
				continue;
			if (port_hint(ap, f) != (pass == 0))
				continue;
			/* UDP protocols are recognised on their ports only, as
			 * Suricata does: NBNS, LLMNR and mDNS share DNS's wire
			 * format but are other protocols.  Over TCP every
			 * protocol is probed on any port. */
			if (pass == 1 && !tcp)
				continue;
			int r = ap->probe(data, len, dir);
			if (r > 0)
				return ap;
			if (r < 0)
				*undecided = true;
		}
	}
	return NULL;
}

static void log_ready(struct app_ctx *ac, struct flow *f, struct app_flow *af,
		      bool eof)
{
	const struct app_proto *ap = af->ap;
	uint64_t total = ap->tx_count(af->state);
	uint64_t start = af->logged;
	while (af->logged < total) {
		void *tx = ap->tx_get(af->state, af->logged);
		if (tx) {
			if (!ap->tx_done(tx, eof))
				break;
			if (ac->on_tx)
				ac->on_tx(f, ap, tx, af->logged, ac->cb_ctx);
			if (ac->on_log)
				ac->on_log(f, ap, tx, af->logged, ac->cb_ctx);
			ac->stats.tx[ap->id]++;
		}
		af->logged++;
	}
	if (af->logged != start)
		ap->tx_free_upto(af->state, af->logged);
}

/* Runs the parser over held bytes + data for one direction. */
static void feed(struct app_ctx *ac, struct flow *f, struct app_flow *af,
		 int dir, const uint8_t *data, size_t len, unsigned flags,
		 uint64_t ts)
{
	const struct app_proto *ap = af->ap;
	struct buf *held = &af->held[dir];
	if (af->error)
		return;
	const uint8_t *p = data;
	size_t n = len;
	if (held->len) {
		if (buf_append(held, data, len) != 0) {
			/* The parser wanted more than we keep: treat as a gap. */
			ac->stats.pending_capped++;
			buf_reset(held);
			flags |= APP_F_GAP;
		} else {
			p = held->p;
			n = held->len;
		}
	}
	struct app_result r = ap->parse(af->state, dir, p, n, flags, ts);
	if (r.status == APP_ERROR) {
		af->error = true;
		ac->stats.parse_errors[ap->id]++;
		buf_reset(held);
		log_ready(ac, f, af, false);
		return;
	}
	size_t used = r.consumed <= n ? r.consumed : n;
	if (p == held->p && held->len) {
		buf_consume(held, used);
	} else if (used < n) {
		if (buf_append(held, p + used, n - used) != 0) {
			ac->stats.pending_capped++;
			buf_reset(held);
		}
	}
	log_ready(ac, f, af, false);
}

static bool start_parser(struct app_ctx *ac, struct flow *f,
			 struct app_flow *af, const struct app_proto *ap)
{
	af->ap = ap;
	af->state = ap->state_new(&ac->cfg);
	f->app_proto = (uint16_t)ap->id;
	if (!af->state) {
		af->error = true;
		return false;
	}
	ac->stats.flows[ap->id]++;
	return true;
}

void app_handle_stream(struct app_ctx *ac, struct flow *f, int dir,
		       const uint8_t *data, size_t len, unsigned flags,
		       uint64_t ts)
{
	if (f->app_proto == APP_FAILED)
		return;
	struct app_flow *af = app_flow_get(f);
	if (!af)
		return;
	unsigned pf = 0;
	if (flags & 0x01u)	/* STREAM_DATA_GAP */
		pf |= APP_F_GAP;
	if (flags & 0x02u) {	/* STREAM_DATA_EOF */
		pf |= APP_F_EOF;
		af->eof[dir] = true;
	}

	if (af->ap) {
		feed(ac, f, af, dir, data, len, pf, ts);
		return;
	}

	/* Detection. */
	if (pf & APP_F_GAP) {
		/* Bytes were lost before detection: give up, as Suricata does. */
		f->app_proto = APP_FAILED;
		return;
	}
	if (len && af->first_dir < 0)
		af->first_dir = (int8_t)dir;
	struct buf *hb = &af->held[dir];
	if (len && !af->probe_failed[dir]) {
		size_t room = APP_PROBE_CAP > hb->len ? APP_PROBE_CAP - hb->len : 0;
		if (buf_append(hb, data, len) != 0) {
			f->app_proto = APP_FAILED;
			return;
		}
		bool undecided;
		const struct app_proto *ap =
			probe_all(f, true, hb->p, hb->len, dir, &undecided);
		if (ap) {
			if (!start_parser(ac, f, af, ap))
				return;
			/* Replay held bytes in the order the directions began. */
			int order[2] = {af->first_dir, !af->first_dir};
			for (int k = 0; k < 2; k++) {
				int d = order[k];
				struct buf *h = &af->held[d];
				if (!h->len && !af->eof[d])
					continue;
				struct buf tmp = *h;
				buf_init(h, APP_PENDING_CAP);
				feed(ac, f, af, d, tmp.p ? tmp.p : (const uint8_t *)"",
				     tmp.len, af->eof[d] ? APP_F_EOF : 0, ts);
				buf_release(&tmp);
			}
			return;
		}
		if (!undecided || len >= room)
			af->probe_failed[dir] = 1;
	} else if (len) {
		/* Keep the other direction's bytes only up to the probe cap. */
		if (hb->len < APP_PROBE_CAP)
			(void)buf_append(hb, data, len);
	}
	/* Both directions failed, or one failed and the other ended silent. */
	for (int d = 0; d < 2; d++)
		if (af->probe_failed[d] &&
		    (af->probe_failed[!d] || (af->eof[!d] && !af->held[!d].len)))
			f->app_proto = APP_FAILED;
}

void app_handle_datagram(struct app_ctx *ac, struct flow *f, int dir,
			 const uint8_t *data, size_t len, uint64_t ts)
{
	if (f->app_proto == APP_FAILED)
		return;
	struct app_flow *af = app_flow_get(f);
	if (!af)
		return;
	if (!af->ap) {
		bool undecided;
		const struct app_proto *ap = probe_all(f, false, data, len, dir, &undecided);
		if (!ap) {
			for (size_t i = 0; app_protos[i]; i++)
				if (app_protos[i]->udp && port_hint(app_protos[i], f)) {
					ap = app_protos[i];
					break;
				}
		}
		if (!ap) {
			f->app_proto = APP_FAILED;
			return;
		}
		if (!start_parser(ac, f, af, ap))
			return;
	}
	if (af->error)
		return;
	struct app_result r = af->ap->parse(af->state, dir, data, len,
					    APP_F_DATAGRAM, ts);
	if (r.status == APP_ERROR)
		ac->stats.parse_errors[af->ap->id]++;
	log_ready(ac, f, af, false);
}

void app_flow_end(struct app_ctx *ac, struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af)
		return;
	if (af->ap && af->state) {
		log_ready(ac, f, af, true);
		if (af->ap->counters && af->ap->counter_names) {
			const uint64_t *c = af->ap->counters(af->state);
			for (size_t i = 0; c && af->ap->counter_names[i]; i++)
				ac->stats.anomalies[af->ap->id] += c[i];
		}
		af->ap->state_free(af->state);
	} else if (af->first_dir >= 0 && f->app_proto == APP_UNKNOWN)
		f->app_proto = APP_FAILED;	/* data seen, nothing recognised */
	buf_release(&af->held[0]);
	buf_release(&af->held[1]);
	free(af);
	f->app = NULL;
}
