/* Serialises host findings as EVE-style JSON objects. */
#include "output/finding.h"

void mamori_finding_write_json(struct jw *w, const struct mamori_finding *f)
{
	static const char *const sev[] = {"", "high", "medium", "low", "info"};
	jw_open_obj(w, NULL);
	jw_timestamp(w, "timestamp", f->ts_usec);
	jw_str(w, "event_type", "finding");
	jw_open_obj(w, "finding");
	jw_str(w, "kind", f->kind ? f->kind : "file");
	jw_str(w, "path", f->path);
	jw_str(w, "family", f->family ? f->family : "generic");
	jw_str(w, "indicator", f->indicator);
	jw_u64(w, "severity", (uint64_t)f->severity);
	if (f->severity >= MAMORI_SEV_HIGH && f->severity <= MAMORI_SEV_INFO)
		jw_str(w, "severity_name", sev[f->severity]);
	if (f->evidence)
		jw_str(w, "evidence", f->evidence);
	if (f->sha256)
		jw_str(w, "sha256", f->sha256);
	if (f->hive)
		jw_str(w, "hive", f->hive);
	if (f->key)
		jw_str(w, "key", f->key);
	if (f->value)
		jw_str(w, "value", f->value);
	if (f->data)
		jw_str(w, "data", f->data);
	if (f->source)
		jw_str(w, "source", f->source);
	if (f->remedy)
		jw_str(w, "remedy", f->remedy);
	jw_close_obj(w);
	jw_close_obj(w);
}
