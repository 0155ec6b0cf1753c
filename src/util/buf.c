/* Capped growable buffer; see buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/mamori.h"
#include "util/buf.h"

void buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max ? max : SIZE_MAX - 1;
}

void buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

static int grow(struct buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return MAMORI_ELIMIT;
	size_t need = b->len + n + 1;
	if (need <= b->alloc)
		return 0;
	size_t na = b->alloc ? b->alloc : 64;
	while (na < need)
		na = na > SIZE_MAX / 2 ? need : na * 2;
	uint8_t *np = realloc(b->p, na);
	if (!np)
		return MAMORI_ENOMEM;
	b->p = np;
	b->alloc = na;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	int rc = grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return MAMORI_EINVAL;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	int rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = 0;
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
	if (grow(b, n))
		return NULL;
	return b->p + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = 0;
}

uint8_t *buf_detach(struct buf *b, size_t *len)
{
	uint8_t *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

const char *buf_str(const struct buf *b)
{
	return b->p ? (const char *)b->p : "";
}
