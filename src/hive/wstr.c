/*
 * Windows registry string decoding; see wstr.h for why this is not
 * hivex_value_string.  Value data comes from an untrusted hive, so it is
 * read only through a cursor.  Invariant: every function appends to the
 * caller's capped buf and never reads outside [p, p+n).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/wstr.h"
#include "mamori/mamori.h"
#include "util/cursor.h"
#include "util/err.h"

static int put_utf8(struct buf *out, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(out, b, n);
}

/* Decodes from c up to a NUL code unit or the end; leaves c after the NUL. */
static int decode_one(struct cursor *c, struct buf *out, unsigned *flags)
{
	uint16_t u;
	while (cur_u16le(c, &u)) {
		uint32_t cp = u;
		if (u == 0) {
			*flags |= HIVE_WSTR_TERMINATED;
			return 0;
		}
		if (u >= 0xD800 && u <= 0xDBFF) {
			struct cursor peek = *c;
			uint16_t lo;
			if (cur_u16le(&peek, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + (lo - 0xDC00u);
				*c = peek;
			} else {
				cp = 0xFFFD;
				*flags |= HIVE_WSTR_REPLACED;
			}
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			cp = 0xFFFD;
			*flags |= HIVE_WSTR_REPLACED;
		}
		int rc = put_utf8(out, cp);
		if (rc)
			return rc;
	}
	if (cur_len(c) == 1) {
		*flags |= HIVE_WSTR_ODD;
		cur_skip(c, 1);
	}
	return 0;
}

int hive_utf16_decode(const uint8_t *p, size_t n, struct buf *out, unsigned *flags)
{
	unsigned fl = 0;
	struct cursor c;
	cur_init(&c, p, n);
	int rc = decode_one(&c, out, &fl);
	if (!rc && (fl & HIVE_WSTR_TERMINATED)) {
		uint8_t b;
		while (cur_u8(&c, &b))
			if (b) {
				fl |= HIVE_WSTR_TRAILING;
				break;
			}
		if (n % 2)
			fl |= HIVE_WSTR_ODD;
	}
	if (flags)
		*flags |= fl;
	return rc;
}

#define MULTI_MAX_STRINGS 4096
#define MULTI_MAX_BYTES (64 * 1024)

int hive_multi_sz_foreach(const uint8_t *p, size_t n, hive_str_fn fn, void *ctx)
{
	struct buf s;
	struct cursor c;
	int rc = 0;
	unsigned fl = 0;
	buf_init(&s, MULTI_MAX_BYTES);
	cur_init(&c, p, n);
	for (int i = 0; i < MULTI_MAX_STRINGS && cur_len(&c) >= 2; i++) {
		buf_reset(&s);
		rc = decode_one(&c, &s, &fl);
		if (rc == MAMORI_ELIMIT) {
			/* Report the capped prefix and skip to the next NUL. */
			uint16_t u = 1;
			while (u && cur_u16le(&c, &u))
				;
			rc = 0;
		}
		if (rc)
			goto out;
		if (s.len == 0)
			continue;
		rc = fn(buf_str(&s), ctx);
		if (rc)
			goto out;
	}
out:
	buf_release(&s);
	return rc;
}

struct join_ctx {
	struct buf *out;
	size_t count;
	int err;
};

static int join_one(const char *s, void *vctx)
{
	struct join_ctx *j = vctx;
	if (j->count++ && (j->err = buf_puts(j->out, "; ")) != 0)
		return 1;
	if ((j->err = buf_puts(j->out, s)) != 0)
		return 1;
	return 0;
}

/* Control characters would break a one-line rendering; replace them. */
static void sanitise(struct buf *out, size_t from)
{
	for (size_t i = from; i < out->len; i++)
		if (out->p[i] < 0x20 || out->p[i] == 0x7F)
			out->p[i] = '?';
}

#define RENDER_HEX_MAX 256

int hive_render_value(uint32_t type, const uint8_t *p, size_t n, struct buf *out)
{
	size_t from = out->len;
	int rc = 0;
	uint32_t dw;
	switch (type) {
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
	case HIVE_REG_LINK:
		rc = hive_utf16_decode(p, n, out, NULL);
		break;
	case HIVE_REG_MULTI_SZ: {
		struct join_ctx j = {out, 0, 0};
		rc = hive_multi_sz_foreach(p, n, join_one, &j);
		if (j.err)
			rc = j.err;
		break;
	}
	case HIVE_REG_DWORD:
	case HIVE_REG_DWORD_BE:
		if (hive_data_dword(type, p, n, &dw) == 0) {
			rc = buf_printf(out, "0x%08x (%u)", dw, dw);
			break;
		}
		goto hex;
	case HIVE_REG_QWORD: {
		struct cursor c;
		uint64_t q;
		cur_init(&c, p, n);
		if (n == 8 && cur_u64le(&c, &q)) {
			rc = buf_printf(out, "0x%016llx", (unsigned long long)q);
			break;
		}
		goto hex;
	}
	default:
	hex:
		for (size_t i = 0; i < n && i < RENDER_HEX_MAX && !rc; i++)
			rc = buf_printf(out, "%s%02x", i ? " " : "", p[i]);
		if (!rc && n > RENDER_HEX_MAX)
			rc = buf_puts(out, " ...");
		break;
	}
	sanitise(out, from);
	return rc;
}

int hive_data_dword(uint32_t type, const uint8_t *p, size_t n, uint32_t *out)
{
	struct cursor c;
	cur_init(&c, p, n);
	switch (type) {
	case HIVE_REG_DWORD:
	case HIVE_REG_BINARY:
		if (n != 4 && !(type == HIVE_REG_DWORD && n > 4))
			return MAMORI_FORMAT_ERR();
		return cur_u32le(&c, out) ? 0 : MAMORI_FORMAT_ERR();
	case HIVE_REG_DWORD_BE:
		return cur_u32be(&c, out) ? 0 : MAMORI_FORMAT_ERR();
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ: {
		struct buf s;
		int rc;
		buf_init(&s, 64);
		rc = hive_utf16_decode(p, n, &s, NULL);
		if (rc == 0) {
			const char *str = buf_str(&s);
			char *end = NULL;
			unsigned long v = strtoul(str, &end, 0);
			if (!*str || *end || v > UINT32_MAX || str[0] == '-')
				rc = MAMORI_FORMAT_ERR();
			else
				*out = (uint32_t)v;
		} else {
			rc = MAMORI_FORMAT_ERR();
		}
		buf_release(&s);
		return rc;
	}
	default:
		return MAMORI_FORMAT_ERR();
	}
}
