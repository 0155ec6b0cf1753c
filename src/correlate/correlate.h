/*
 * The correlation engine: per-entity incidents from a stream of EVE events.
 *
 * Why: one alert is weak evidence; the Storm and Conficker analyses
 * recommend correlating several suspicious events from one host within a
 * short time (DESIGN.md, Correlation).  The engine consumes events decoded
 * from EVE JSON records (the same path for records `mamori net` produces
 * in-process and for EVE files from any sensor replayed with
 * `mamori correlate`), evaluates the rules of a correlation file
 * (rules/correlation.yaml, format in docs/correlation.md) and emits one
 * incident per rule, entity and window through a callback.
 *
 * Invariants:
 *  - time is event time (EVE "timestamp"), never wall time: the same events
 *    give the same incidents, and feeding the events of different entities
 *    in any interleaving gives the same incidents (each entity's state sees
 *    only its own events, in their order);
 *  - state is bounded: each (rule, entity) state has a fixed maximum size
 *    (counts keep at most `min` entries, rises a fixed bucket ring) and the
 *    engine holds at most limits.memcap bytes / limits.max_entities
 *    states; beyond that the least recently used state is evicted and
 *    counted (stats.evictions);
 *  - a ruleset is read-only once loaded and may be shared by engines;
 *    one engine is used by one thread at a time.
 */
#ifndef MAMORI_CORRELATE_CORRELATE_H
#define MAMORI_CORRELATE_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "mamori/mamori.h"

struct jw;
struct rule_vars;
struct json_t;

/* ---- events ------------------------------------------------------------ */

enum corr_etype {
	CORR_EV_ALERT, CORR_EV_FLOW, CORR_EV_DNS, CORR_EV_HTTP, CORR_EV_SMTP,
	CORR_EV_SMB, CORR_EV_DCERPC, CORR_EV_TLS, CORR_EV_SSH, CORR_EV_FILEINFO,
	CORR_EV_ANOMALY, CORR_EV_INCIDENT, CORR_EV_OTHER,
	CORR_EV_MAX
};
/* "alert", "flow"...; "other" for CORR_EV_OTHER.  Static. */
const char *corr_etype_name(enum corr_etype t);
/* The type for an EVE event_type string (CORR_EV_OTHER if unknown). */
enum corr_etype corr_etype_from_name(const char *s);

/*
 * One EVE record as the engine sees it: the common header typed, the rest
 * reachable by dotted path (corr_event_get) in the JSON object.
 */
struct corr_event {
	enum corr_etype type;
	uint64_t ts;			/* usec since the epoch, UTC */
	uint64_t flow_id;		/* 0 if absent */
	struct mamori_addr src, dst;	/* family 0 if absent */
	uint16_t sport, dport;
	uint8_t proto;			/* IPPROTO_*; 0 if absent/unknown */
	char app_proto[16];		/* "" if absent */
	const struct json_t *json;	/* borrowed: the whole record */
};

/*
 * Parses one EVE line (JSON object; need not be NUL-terminated) into ev.
 * OUT: *root is the parsed JSON (ev->json points into it); release it with
 * corr_event_release(root) when done with ev.  A record without a valid
 * "timestamp" or "event_type" is MAMORI_EFORMAT (diag->msg says why).
 * Returns 0, MAMORI_EFORMAT, MAMORI_ENOMEM.
 */
int corr_event_decode(const char *line, size_t len, struct corr_event *ev,
		      struct json_t **root, struct mamori_diag *diag);
void corr_event_release(struct json_t *root);
/* Parses an EVE timestamp ("2009-11-24T21:27:09.534255+0000", also with
 * "Z" or "+01:00") into usec since the epoch.  Returns 0 or MAMORI_EFORMAT. */
int corr_parse_ts(const char *s, uint64_t *out);

/* ---- rules --------------------------------------------------------------- */

struct corr_ruleset;

/* An address group given outside the correlation file (e.g. the config's
 * vars.address-groups); wins over the file's `groups:`.  Borrowed. */
struct corr_group_def {
	const char *name;
	const char *value;	/* address spec, "" or "[]" = empty group */
};
struct corr_load_opts {
	const struct rule_vars *vars;	/* borrowed; resolves $VARs and groups
					 * neither given nor in the file; NULL:
					 * Suricata's defaults */
	const struct corr_group_def *groups;	/* borrowed overrides */
	size_t ngroups;
	const char *classification;	/* classification.config for
					 * classtype names; NULL = built-in */
};

/* Largest correlation file (bytes) and most rules / requirements. */
#define CORR_MAX_FILE (1024u * 1024u)
#define CORR_MAX_RULES 256u
#define CORR_MAX_REQS 16u
#define CORR_MAX_MIN 256u	/* largest `min` of a count */

/*
 * Loads a correlation file.  OUT: *out, free with corr_ruleset_free.
 * Errors fill diag (file, 1-based line and column of the offending node,
 * message) and return MAMORI_EFORMAT; MAMORI_EIO if unreadable,
 * MAMORI_ELIMIT if too big, MAMORI_ENOMEM.  opts may be NULL.
 */
int corr_ruleset_load(const char *path, const struct corr_load_opts *opts,
		      struct corr_ruleset **out, struct mamori_diag *diag);
/* Same from a buffer; name (borrowed) goes into diag->file. */
int corr_ruleset_load_buffer(const char *name, const void *data, size_t len,
			     const struct corr_load_opts *opts,
			     struct corr_ruleset **out, struct mamori_diag *diag);
void corr_ruleset_free(struct corr_ruleset *rs);
size_t corr_ruleset_count(const struct corr_ruleset *rs);
/* Id of rule i (borrowed from rs). */
const char *corr_ruleset_rule_id(const struct corr_ruleset *rs, size_t i);
/* Path of the built-in rules/correlation.yaml (static string). */
const char *corr_default_path(void);

/* ---- incidents ------------------------------------------------------------ */

#define CORR_KEY_MAX 64		/* key text kept per evidence item */

/* What evidence.key holds. */
enum corr_key_kind {
	CORR_KEY_NONE,
	CORR_KEY_FIELD,		/* the requirement's key field (req_keys[req]) */
	CORR_KEY_SIGNATURE	/* alert.signature */
};

/* One event that contributed to an incident. */
struct corr_evidence {
	uint64_t ts, flow_id;
	uint32_t sid;			/* alerts; 0 otherwise */
	uint8_t etype;			/* enum corr_etype */
	uint8_t req;			/* index of the requirement / step */
	uint8_t key_kind;		/* enum corr_key_kind */
	char key[CORR_KEY_MAX];		/* the key's value, truncated */
};

struct corr_incident {
	const char *rule_id, *name;	/* borrowed from the ruleset */
	int severity;
	const char *entity_kind;	/* "src_ip", "dest_ip", "pair" */
	struct mamori_addr entity[2];	/* [1] only for pairs */
	uint64_t first, last;		/* usec */
	const struct corr_evidence *evidence;	/* borrowed, valid during
						 * the callback only */
	size_t nevidence;
	const char *const *req_labels;	/* labels by evidence.req */
	const char *const *req_keys;	/* key field paths by evidence.req */
};

/* Called for each incident, in the order the deciding events arrive. */
typedef void (*corr_emit_fn)(void *ctx, const struct corr_incident *inc);

/*
 * Writes the incident as the body of an EVE record: src_ip/dest_ip of the
 * entity and the "incident" object.  The caller has opened the record
 * (timestamp, event_type "incident"), e.g. with eve_begin(), and closes it.
 */
void corr_incident_write(const struct corr_incident *inc, struct jw *w);
/* Writes a whole EVE incident line (no newline) into w (at top level). */
void corr_incident_write_record(const struct corr_incident *inc, struct jw *w);
/*
 * A corr_emit_fn for `mamori net`: ctx is the sensor's struct eve_out
 * (borrowed); writes the incident as one EVE record with eve_begin /
 * corr_incident_write / eve_end (see eve_emit.c on re-entrancy).
 */
void corr_eve_emit(void *eve_out, const struct corr_incident *inc);

/* ---- engine -------------------------------------------------------------- */

struct corr_limits {
	size_t memcap;		/* bytes of entity state; 0 = 64 MiB */
	size_t max_entities;	/* states; 0 = 1,000,000 */
};

struct corr_stats {
	uint64_t events;	/* fed */
	uint64_t bad_records;	/* corr_feed_eve_line: not a usable record */
	uint64_t matched;	/* event x requirement matches */
	uint64_t excluded;	/* matches dropped: entity in an exclude group */
	uint64_t incidents;
	uint64_t evictions;	/* LRU evictions (memcap or max_entities) */
	uint64_t expired;	/* states dropped by corr_flush as idle */
	uint64_t entities;	/* live (rule, entity) states */
	uint64_t entities_peak;
	uint64_t state_bytes;	/* bytes held by live states (incl. table) */
	uint64_t state_bytes_peak;
};

struct corr_engine;

/*
 * New engine over rs (borrowed; must outlive the engine).  emit (with ctx,
 * borrowed) receives incidents.  lim may be NULL (defaults).
 * OUT: *out, free with corr_engine_free.  Returns 0 or MAMORI_ENOMEM.
 */
int corr_engine_new(const struct corr_ruleset *rs, const struct corr_limits *lim,
		    corr_emit_fn emit, void *ctx, struct corr_engine **out);
void corr_engine_free(struct corr_engine *e);

/* Feeds one decoded event (borrowed for the call).  Returns 0 or
 * MAMORI_ENOMEM (the event is then only partly accounted). */
int corr_feed_event(struct corr_engine *e, const struct corr_event *ev);
/*
 * The in-process hook for `mamori net` and the path of `mamori correlate`:
 * decodes one EVE line (as written by eve_end, without the newline or with
 * it) and feeds it.  Records the engine cannot use (not JSON, no
 * timestamp) are counted in stats.bad_records and return MAMORI_EFORMAT;
 * the engine stays usable.  Incident records are ignored (no feedback).
 */
int corr_feed_eve_line(struct corr_engine *e, const char *line, size_t len);
/*
 * Drops the state of entities idle since before now - (their rule's
 * horizon: window, or baseline for rises), counted in stats.expired.
 * Incidents are emitted when their deciding event arrives, never here, so
 * flushing changes memory, not results.  now is event time (usec).
 */
void corr_flush(struct corr_engine *e, uint64_t now);
void corr_engine_stats(const struct corr_engine *e, struct corr_stats *out);

#endif
