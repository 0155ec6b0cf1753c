/*
 * EVE "incident" records: the output of the correlation engine.
 *
 * Shape (one JSON object per line, next to Suricata's records):
 *   {"timestamp": <last>, "event_type": "incident", "src_ip": <entity>,
 *    "incident": {"id", "name", "severity", "entity": {"kind", "ip" |
 *    "src_ip"+"dest_ip"}, "first", "last", "evidence": [{"requirement",
 *    "event_type", "timestamp", "flow_id", "signature_id", "field",
 *    "value"}, ...]}}
 * The entity is written under its kind (src_ip or dest_ip; both for a
 * pair) so jq filters on src_ip keep working for the usual case.
 */
#include <string.h>

#include "correlate/correlate.h"
#include "util/jw.h"

static void inc_ip(struct jw *w, const char *key, const struct mamori_addr *a)
{
	char s[64];
	mamori_addr_str(a, s, sizeof(s));
	jw_str(w, key, s);
}

void corr_incident_write(const struct corr_incident *inc, struct jw *w)
{
	bool pair = inc->entity[1].family != 0;
	if (pair) {
		inc_ip(w, "src_ip", &inc->entity[0]);
		inc_ip(w, "dest_ip", &inc->entity[1]);
	} else {
		inc_ip(w, inc->entity_kind, &inc->entity[0]);
	}
	jw_open_obj(w, "incident");
	jw_str(w, "id", inc->rule_id);
	jw_str(w, "name", inc->name);
	jw_i64(w, "severity", inc->severity);
	jw_open_obj(w, "entity");
	jw_str(w, "kind", inc->entity_kind);
	if (pair) {
		inc_ip(w, "src_ip", &inc->entity[0]);
		inc_ip(w, "dest_ip", &inc->entity[1]);
	} else {
		inc_ip(w, "ip", &inc->entity[0]);
	}
	jw_close_obj(w);
	jw_timestamp(w, "first", inc->first);
	jw_timestamp(w, "last", inc->last);
	jw_open_arr(w, "evidence");
	for (size_t i = 0; i < inc->nevidence; i++) {
		const struct corr_evidence *ev = &inc->evidence[i];
		jw_open_obj(w, NULL);
		jw_str(w, "requirement", inc->req_labels[ev->req]);
		jw_str(w, "event_type", corr_etype_name((enum corr_etype)ev->etype));
		jw_timestamp(w, "timestamp", ev->ts);
		if (ev->flow_id)
			jw_u64(w, "flow_id", ev->flow_id);
		if (ev->sid)
			jw_u64(w, "signature_id", ev->sid);
		const char *field = ev->key_kind == CORR_KEY_FIELD ? inc->req_keys[ev->req]
				    : ev->key_kind == CORR_KEY_SIGNATURE ? "alert.signature" : NULL;
		if (field) {
			jw_str(w, "field", field);
			jw_bytes(w, "value", (const uint8_t *)ev->key, strlen(ev->key));
		}
		jw_close_obj(w);
	}
	jw_close_arr(w);
	jw_close_obj(w);
}

void corr_incident_write_record(const struct corr_incident *inc, struct jw *w)
{
	jw_open_obj(w, NULL);
	jw_timestamp(w, "timestamp", inc->last);
	jw_str(w, "event_type", "incident");
	corr_incident_write(inc, w);
	jw_close_obj(w);
}
