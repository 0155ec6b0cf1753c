/*
 * EVE "alert" records for the detection engine's alerts, in Suricata's
 * shape (alert.c).
 */
#ifndef MAMORI_DETECT_ALERT_H
#define MAMORI_DETECT_ALERT_H

#include "detect/engine.h"
#include "output/eve.h"

/*
 * Writes one alert record to e: the common header (timestamp, flow_id,
 * pcap_cnt, src/dest in the packet's direction, proto, tx_id, app_proto),
 * the "alert" object (action, gid, signature_id, rev, signature,
 * category, severity, metadata as an object of arrays), and for a
 * transaction alert the app-layer object of the transaction (the first
 * record's object of the parser's log_tx, e.g. "http":{...}).
 */
void detect_alert_write_eve(struct eve_out *e, const struct detect_alert *a);

#endif
