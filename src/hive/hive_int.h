/*
 * Internals shared by hive.c (open, lookup, discovery) and checks.c (the
 * registry checks).  Not part of the library's interface.
 *
 * Invariant: a struct mamori_hive wraps one libhivex handle opened without
 * HIVEX_OPEN_WRITE; nothing here can change a hive.  hivex reports errors
 * through errno with a 0/NULL return, so every walk clears errno first and
 * tells "missing" (errno 0) from "unreadable" (errno set).
 */
#ifndef MAMORI_HIVE_HIVE_INT_H
#define MAMORI_HIVE_HIVE_INT_H

#include <hivex.h>

#include "hive/hive.h"
#include "util/buf.h"

struct mamori_hive {
	hive_h *h;
	char name[32];	/* "SYSTEM", "NTUSER.DAT" for messages */
	int read_err;	/* first unreadable key met during checks, sticky */
	char read_msg[200];
};

/* Resolves a '\'-separated key path below the root (case-insensitive).
 * Returns 0 and *out, MAMORI_ENOENT, or MAMORI_EFORMAT (unreadable; the
 * first such error is recorded in h->read_err/read_msg). */
int hive_lookup(struct mamori_hive *h, const char *path, hive_node_h *out);
/* Same, relative to a node. */
int hive_lookup_from(struct mamori_hive *h, hive_node_h from, const char *path,
		     hive_node_h *out);
/* Records an unreadable spot (first one wins). */
void hive_note_error(struct mamori_hive *h, const char *where);

/* Raw value data of a node's value (name "" = default).  *data malloc'd. */
int hive_node_value_raw(struct mamori_hive *h, hive_node_h node, const char *value,
			uint32_t *type, uint8_t **data, size_t *len);

/* What a check emits through. */
struct hive_scan {
	mamori_finding_fn cb;
	void *ctx;
	int stop;			/* non-zero value cb returned */
	const char *path;		/* hive file path (finding.path) */
	const char *hive_name;		/* finding.hive */
	size_t emitted;
	uint64_t ts_usec;
	char ccs[32];			/* SYSTEM's current control set */
};

/*
 * Emits one registry finding.  data may be NULL.  evidence is printf-style.
 * Returns s->stop (non-zero means stop scanning).
 */
int hive_emit(struct hive_scan *s, const char *family, const char *indicator,
	      enum mamori_severity sev, const char *key, const char *value,
	      const char *data, const char *remedy, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* The checks, one per hive kind (checks.c).  software may be NULL.
 * Return 0, a cb stop value, or MAMORI_ENOMEM. */
int hive_check_system(struct hive_scan *s, struct mamori_hive *sys,
		      struct mamori_hive *software);
int hive_check_software(struct hive_scan *s, struct mamori_hive *sw);
int hive_check_ntuser(struct hive_scan *s, struct mamori_hive *u);

/* Heuristic: does a file base name (without extension) look randomly
 * generated?  Documented in checks.c. */
bool hive_random_name(const char *name);

#endif
