/*
 * Streaming JSON writer for EVE records and --json output.
 *
 * Hand-written rather than a JSON library because it sits on the packet
 * path: one EVE record per transaction at line rate, written straight into
 * a reusable buffer with no intermediate tree and no allocation after the
 * buffer has grown once.  It tracks nesting so commas are placed for the
 * caller; keys are passed with each value (NULL inside arrays).
 *
 * Strings from the wire go through jw_bytes(), which follows Suricata's
 * JsonBuilder: valid UTF-8 is kept (JSON-escaped), otherwise printable
 * ASCII is kept and every other byte becomes the four characters \xHH.
 */
#ifndef MAMORI_UTIL_JW_H
#define MAMORI_UTIL_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JW_MAX_DEPTH 32

struct jw {
	struct buf *out;	/* borrowed */
	int depth;
	bool first[JW_MAX_DEPTH];
	int err;		/* first error (MAMORI_ELIMIT...), sticky */
};

/* Starts writing into out (appends; does not reset it). */
void jw_init(struct jw *w, struct buf *out);
/* Opens an object or array as value of key (key NULL at top or in arrays). */
void jw_open_obj(struct jw *w, const char *key);
void jw_close_obj(struct jw *w);
void jw_open_arr(struct jw *w, const char *key);
void jw_close_arr(struct jw *w);
/* Values; key is NULL inside arrays.  s may be NULL for jw_str (writes null). */
void jw_str(struct jw *w, const char *key, const char *s);
void jw_bytes(struct jw *w, const char *key, const uint8_t *p, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_double(struct jw *w, const char *key, double v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* Writes already-valid JSON text as the value. */
void jw_raw(struct jw *w, const char *key, const char *json, size_t n);
/* Returns 0, or the first error met (the output is then incomplete). */
int jw_error(const struct jw *w);

/* Writes the EVE timestamp for usec since the epoch in UTC:
 * "2009-11-24T21:27:09.534255+0000" (Suricata's format). */
void jw_timestamp(struct jw *w, const char *key, uint64_t usec);
/* Formats the same timestamp into dst (at least 32 bytes). */
void jw_format_ts(char *dst, size_t n, uint64_t usec);

#endif
