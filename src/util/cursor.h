/*
 * Bounds-checked reader over untrusted bytes (BoringSSL's CBS).
 *
 * All outside input is read through a cursor.  Every getter returns false
 * and leaves the cursor unchanged when the bytes are not there, so a parser
 * can never read past its buffer; sub-cursors confine nested records
 * (a DNS name, an SMB PDU, a hive cell) to their declared length.
 * Everything is static inline: this sits on the packet path.
 */
#ifndef MAMORI_UTIL_CURSOR_H
#define MAMORI_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

static inline void cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
}

static inline size_t cur_len(const struct cursor *c)
{
	return c->len;
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (n > c->len)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_u8(struct cursor *c, uint8_t *out)
{
	if (c->len < 1)
		return false;
	*out = c->p[0];
	c->p++;
	c->len--;
	return true;
}

static inline bool cur_u16be(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_u16le(struct cursor *c, uint16_t *out)
{
	if (c->len < 2)
		return false;
	*out = (uint16_t)((c->p[1] << 8) | c->p[0]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_u32be(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
	       ((uint32_t)c->p[2] << 8) | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_u32le(struct cursor *c, uint32_t *out)
{
	if (c->len < 4)
		return false;
	*out = ((uint32_t)c->p[3] << 24) | ((uint32_t)c->p[2] << 16) |
	       ((uint32_t)c->p[1] << 8) | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_u64le(struct cursor *c, uint64_t *out)
{
	if (c->len < 8)
		return false;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | c->p[i];
	*out = v;
	c->p += 8;
	c->len -= 8;
	return true;
}

/* Points *out at the next n bytes (borrowed from the input) and skips them. */
static inline bool cur_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (n > c->len)
		return false;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return true;
}

/* Copies the next n bytes into dst. */
static inline bool cur_copy(struct cursor *c, void *dst, size_t n)
{
	if (n > c->len)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

/* Splits off the next n bytes as a sub-cursor and skips them in c. */
static inline bool cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (n > c->len)
		return false;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

/* A sub-cursor at [off, off+n) of c without moving c; overflow-safe. */
static inline bool cur_at(const struct cursor *c, size_t off, size_t n,
			  struct cursor *sub)
{
	if (off > c->len || n > c->len - off)
		return false;
	sub->p = c->p + off;
	sub->len = n;
	return true;
}

/* True when [off, off+n) lies inside a buffer of len bytes (YARA fits_in). */
static inline bool range_ok(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

#endif
