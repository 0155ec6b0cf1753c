/*
 * Growable byte buffer with a hard cap (curl's dynbuf "toobig").
 *
 * Every buffer that grows from outside input has a cap: appending past
 * `max` fails with MAMORI_ELIMIT and leaves the contents unchanged, so the
 * caller can count the event and carry on.  The bytes are always followed
 * by a NUL (not counted in len) so text users can treat them as a string.
 */
#ifndef MAMORI_UTIL_BUF_H
#define MAMORI_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;	/* owned; NULL until the first append */
	size_t len;
	size_t alloc;
	size_t max;	/* 0 = SIZE_MAX */
};

/* Initialises an empty buffer capped at max bytes (0: no cap). */
void buf_init(struct buf *b, size_t max);
/* Frees the storage; b can be reused after buf_init. */
void buf_release(struct buf *b);
/* Empties without freeing. */
void buf_reset(struct buf *b);
/* Appends n bytes; MAMORI_ELIMIT past the cap, MAMORI_ENOMEM. */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_putc(struct buf *b, char c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Makes room for n more bytes; returns a pointer to write them, then call
 * buf_commit(b, written).  NULL on cap/alloc failure. */
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);
/* Hands the storage to the caller (free() it); b becomes empty. */
uint8_t *buf_detach(struct buf *b, size_t *len);
/* NUL-terminated view (never NULL). */
const char *buf_str(const struct buf *b);

#endif
