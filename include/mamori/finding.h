/*
 * Host findings: what `mamori scan` reports and `mamori clean` acts on.
 *
 * A finding is produced by an analyzer (IOC names, hashes, YARA, PE checks,
 * autorun.inf, .job, RECYCLER, registry checks) and handed to a callback;
 * every pointer in it is borrowed for the duration of the call only.
 * Written out as an EVE-style JSON line with event_type "finding"
 * (mamori_finding_write_json, src/output/finding.c).
 */
#ifndef MAMORI_FINDING_H
#define MAMORI_FINDING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mamori_severity {
	MAMORI_SEV_HIGH = 1,	/* Suricata's scale: 1 is the most severe */
	MAMORI_SEV_MEDIUM = 2,
	MAMORI_SEV_LOW = 3,
	MAMORI_SEV_INFO = 4,
};

struct mamori_finding {
	const char *kind;	/* "file" or "registry" */
	const char *path;	/* file path as found, or the hive file path */
	const char *family;	/* "conficker", "flame", "storm", or "generic" */
	const char *indicator;	/* stable id, e.g. "conficker.autorun.rundll32" */
	enum mamori_severity severity;
	const char *evidence;	/* human-readable why, one line */
	const char *sha256;	/* lowercase hex of the file, or NULL */
	const char *remedy;	/* suggested action id ("quarantine", ...) or NULL */
	/* registry findings */
	const char *hive;	/* "SYSTEM", "SOFTWARE", "NTUSER.DAT", ... */
	const char *key;	/* key path inside the hive, '\'-separated */
	const char *value;	/* value name ("" = default value), or NULL */
	const char *data;	/* value data rendered as text, or NULL */
	const char *source;	/* rule name / IOC list line, or NULL */
	uint64_t ts_usec;	/* when found */
};

/* Receives each finding; return non-zero to stop the scan. */
typedef int (*mamori_finding_fn)(const struct mamori_finding *f, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
