/*
 * Streaming JSON writer; see jw.h for why it is hand-written.
 * Invariant: first[depth] is true until the first member of the innermost
 * open container has been written.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mamori/mamori.h"
#include "util/jw.h"

static inline void put(struct jw *w, const void *p, size_t n)
{
	struct buf *b = w->out;
	/* Fast path: room already there (the line buffer is reused, so after
	 * the first records this is the only branch taken). */
	if (b->alloc && n < b->alloc - b->len && n <= b->max - b->len) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = 0;
		return;
	}
	if (w->err)
		return;
	int rc = buf_append(b, p, n);
	if (rc)
		w->err = rc;
}

static inline void putc1(struct jw *w, char c)
{
	struct buf *b = w->out;
	if (b->alloc && b->len + 1 < b->alloc && b->len < b->max) {
		b->p[b->len++] = (uint8_t)c;
		b->p[b->len] = 0;
		return;
	}
	put(w, &c, 1);
}

static const char hexd[] = "0123456789abcdef";

/* JSON-escapes bytes that are known to be valid UTF-8 (or plain ASCII). */
static void put_escaped(struct jw *w, const uint8_t *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		char esc[7];
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		case '\b': put(w, "\\b", 2); break;
		case '\f': put(w, "\\f", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			put(w, esc, 6);
		}
	}
	put(w, s + run, n - run);
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp;
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* Byte class for strings: 1 = must be escaped, 2 = non-ASCII, 0 = as is. */
static inline uint8_t byte_class(uint8_t c)
{
	if (c >= 0x80)
		return 2;
	return c < 0x20 || c == '"' || c == '\\';
}

static void put_string(struct jw *w, const uint8_t *s, size_t n)
{
	/* Most wire strings are plain ASCII: one scan, one copy. */
	uint8_t cls = 0;
	for (size_t i = 0; i < n; i++)
		cls |= byte_class(s[i]);
	putc1(w, '"');
	if (cls == 0) {
		put(w, s, n);
	} else if (!(cls & 2) || valid_utf8(s, n)) {
		put_escaped(w, s, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			uint8_t c = s[i];
			if (c >= 0x20 && c < 0x7f) {
				put_escaped(w, &c, 1);
			} else {
				char esc[5] = {'\\', '\\', 'x', 0, 0};
				put(w, esc, 3);
				char hx[2] = {"0123456789ABCDEF"[c >> 4],
					      "0123456789ABCDEF"[c & 15]};
				put(w, hx, 2);
			}
		}
	}
	putc1(w, '"');
}

static void member(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			putc1(w, ',');
		w->first[w->depth] = false;
	}
	if (key) {
		/* Keys are short and almost always plain ASCII (most come from
		 * the program; a few, like rule metadata keys, from content):
		 * copy them with their quotes and colon in one piece unless a
		 * byte needs escaping. */
		size_t n = strlen(key);
		char tmp[64];
		uint8_t cls = 0;
		for (size_t i = 0; i < n && n + 3 <= sizeof(tmp); i++)
			cls |= byte_class((uint8_t)key[i]);
		if (n + 3 <= sizeof(tmp) && cls == 0) {
			tmp[0] = '"';
			memcpy(tmp + 1, key, n);
			tmp[n + 1] = '"';
			tmp[n + 2] = ':';
			put(w, tmp, n + 3);
		} else {
			put_string(w, (const uint8_t *)key, n);
			putc1(w, ':');
		}
	}
}

void jw_init(struct jw *w, struct buf *out)
{
	w->out = out;
	w->depth = 0;
	w->first[0] = true;
	w->err = 0;
}

static void open_c(struct jw *w, const char *key, char c)
{
	member(w, key);
	putc1(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->err = MAMORI_ELIMIT;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void close_c(struct jw *w, char c)
{
	putc1(w, c);
	if (w->depth > 0)
		w->depth--;
}

void jw_open_obj(struct jw *w, const char *key) { open_c(w, key, '{'); }
void jw_close_obj(struct jw *w) { close_c(w, '}'); }
void jw_open_arr(struct jw *w, const char *key) { open_c(w, key, '['); }
void jw_close_arr(struct jw *w) { close_c(w, ']'); }

void jw_str(struct jw *w, const char *key, const char *s)
{
	if (!s) {
		jw_null(w, key);
		return;
	}
	member(w, key);
	put_string(w, (const uint8_t *)s, strlen(s));
}

void jw_bytes(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
	member(w, key);
	put_string(w, p, n);
}

/* Decimal digits of v, written backwards from end; returns the start.
 * (snprintf was a visible cost: several numbers per EVE record.) */
static char *u64_digits(uint64_t v, char *end)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	char tmp[24];
	char *p = u64_digits(v, tmp + sizeof(tmp));
	member(w, key);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	char tmp[24];
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = u64_digits(mag, tmp + sizeof(tmp));
	if (v < 0)
		*--p = '-';
	member(w, key);
	put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jw_double(struct jw *w, const char *key, double v)
{
	char tmp[40];
	int n;
	if (!isfinite(v))
		n = snprintf(tmp, sizeof(tmp), "null");
	else
		n = snprintf(tmp, sizeof(tmp), "%.6g", v);
	member(w, key);
	put(w, tmp, (size_t)n);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	member(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *key, const char *json, size_t n)
{
	member(w, key);
	put(w, json, n);
}

int jw_error(const struct jw *w)
{
	return w->err;
}

/*
 * The date and time to the second change rarely from one record to the
 * next, so the formatted prefix is cached per thread; only the
 * microseconds are formatted for each record.
 */
static _Thread_local struct {
	uint64_t secs;
	bool valid;
	char base[24];
} ts_cache;

void jw_format_ts(char *dst, size_t n, uint64_t usec)
{
	uint64_t secs = usec / 1000000u;
	if (!ts_cache.valid || ts_cache.secs != secs) {
		time_t t = (time_t)secs;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts_cache.base, sizeof(ts_cache.base), "%Y-%m-%dT%H:%M:%S", &tm);
		ts_cache.secs = secs;
		ts_cache.valid = true;
	}
	char tail[16];
	unsigned us = (unsigned)(usec % 1000000u);
	tail[0] = '.';
	for (int i = 6; i >= 1; i--) {
		tail[i] = (char)('0' + us % 10);
		us /= 10;
	}
	memcpy(tail + 7, "+0000", 6);
	size_t bl = strlen(ts_cache.base);
	if (n < bl + 13)
		return;
	memcpy(dst, ts_cache.base, bl);
	memcpy(dst + bl, tail, 13);	/* with the NUL */
}

void jw_timestamp(struct jw *w, const char *key, uint64_t usec)
{
	char ts[48];
	jw_format_ts(ts, sizeof(ts), usec);
	jw_str(w, key, ts);
}
