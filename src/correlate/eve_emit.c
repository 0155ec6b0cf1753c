/*
 * The ready-made incident sink for `mamori net`: writes each incident as
 * an EVE record through the sensor's own writer (src/output/eve.h), so
 * incidents land in eve.json next to the events that caused them.
 *
 * Re-entrancy: eve_begin() reuses the writer's line buffer.  The engine has
 * parsed the line it was fed (corr_feed_eve_line copies it into a JSON
 * tree first), so emitting from inside the feed is safe as long as the
 * caller does not read the line buffer after feeding it.  The incident
 * record written here may be fed back; the engine ignores incidents.
 */
#include "correlate/correlate.h"
#include "output/eve.h"

void corr_eve_emit(void *eve_out, const struct corr_incident *inc)
{
	struct eve_out *e = eve_out;
	struct jw *w = eve_begin(e, "incident", inc->last, NULL, -1);
	corr_incident_write(inc, w);
	eve_end(e);
}
