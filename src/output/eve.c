/*
 * EVE JSON line writer; see eve.h.  Hand-written on top of jw because it
 * runs once per transaction and flow at line rate (see util/jw.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "output/eve.h"

int eve_open(const char *path, struct eve_out **out, struct mamori_diag *diag)
{
	struct eve_out *e = calloc(1, sizeof(*e));
	if (!e)
		return MAMORI_ENOMEM;
	if (!strcmp(path, "-")) {
		e->fp = stdout;
	} else {
		e->fp = fopen(path, "a");
		if (!e->fp) {
			int err = errno;
			mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
					strerror(err));
			free(e);
			return err == ENOENT ? MAMORI_ENOENT :
			       err == EACCES ? MAMORI_EPERM : MAMORI_EIO;
		}
		e->own_fp = 1;
		setvbuf(e->fp, NULL, _IOFBF, 1 << 20);
	}
	buf_init(&e->line, 64u << 20);
	e->tx_id = -1;
	*out = e;
	return 0;
}

int eve_close(struct eve_out *e)
{
	if (!e)
		return 0;
	int rc = e->err;
	if (fflush(e->fp) != 0 && !rc)
		rc = MAMORI_EIO;
	if (e->own_fp && fclose(e->fp) != 0 && !rc)
		rc = MAMORI_EIO;
	buf_release(&e->line);
	free(e);
	return rc;
}

const char *eve_proto_name(uint8_t proto, char tmp[8])
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	default:
		snprintf(tmp, 8, "%03u", proto);
		return tmp;
	}
}

struct jw *eve_begin(struct eve_out *e, const char *event_type, uint64_t ts,
		     const struct flow *f, int dir)
{
	buf_reset(&e->line);
	jw_init(&e->jw, &e->line);
	struct jw *w = &e->jw;
	jw_open_obj(w, NULL);
	jw_timestamp(w, "timestamp", ts);
	if (f)
		jw_u64(w, "flow_id", f->flow_id);
	if (f && e->pcap_cnt && strcmp(event_type, "flow") != 0)
		jw_u64(w, "pcap_cnt", e->pcap_cnt);
	jw_str(w, "event_type", event_type);
	if (f) {
		const struct mamori_addr *s = &f->key.a, *d = &f->key.b;
		uint16_t sp = f->key.pa, dp = f->key.pb;
		if (dir == FLOW_DIR_TOCLIENT) {
			s = &f->key.b;
			d = &f->key.a;
			sp = f->key.pb;
			dp = f->key.pa;
		}
		char a[64], tmp[8];
		if (f->key.vlan) {
			jw_open_arr(w, "vlan");
			jw_u64(w, NULL, f->key.vlan);
			jw_close_arr(w);
		}
		mamori_addr_str(s, a, sizeof(a));
		jw_str(w, "src_ip", a);
		bool ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
		if (ports)
			jw_u64(w, "src_port", sp);
		mamori_addr_str(d, a, sizeof(a));
		jw_str(w, "dest_ip", a);
		if (ports)
			jw_u64(w, "dest_port", dp);
		jw_str(w, "proto", eve_proto_name(f->key.proto, tmp));
		if (e->tx_id >= 0)
			jw_u64(w, "tx_id", (uint64_t)e->tx_id);
		const char *ap = app_proto_name((enum app_proto_id)f->app_proto);
		if (ap)
			jw_str(w, "app_proto", ap);
	}
	return w;
}

void eve_end(struct eve_out *e)
{
	jw_close_obj(&e->jw);
	if (jw_error(&e->jw)) {
		e->err = e->err ? e->err : jw_error(&e->jw);
		return;
	}
	buf_putc(&e->line, '\n');
	if (fwrite(e->line.p, 1, e->line.len, e->fp) != e->line.len && !e->err)
		e->err = MAMORI_EIO;
	e->records++;
	if (e->on_record && !e->in_hook) {
		e->in_hook = 1;
		e->on_record(e->on_record_ctx, (const char *)e->line.p, e->line.len - 1);
		e->in_hook = 0;
	}
}
