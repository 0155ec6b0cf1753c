/*
 * Windows registry strings: UTF-16LE to UTF-8, REG_MULTI_SZ splitting and
 * rendering any value's data as one line of text for a finding.
 *
 * Why not hivex_value_string / hivex_value_multiple_strings: they hand the
 * bytes to iconv, and one unpaired surrogate makes the whole value fail
 * (NULL, EILSEQ; checked in tests/unit/test_hive.c), so a Run entry with a
 * deliberately broken name would vanish from the scan.  hivex also drops
 * an odd trailing byte silently and stops at the first NUL without saying
 * that bytes followed.  These decoders never fail on content: an odd
 * trailing byte is dropped and flagged, an unpaired surrogate becomes
 * U+FFFD and is flagged, junk after the terminator is flagged, a missing
 * terminator is fine.  Output is capped by the caller's buf.
 */
#ifndef MAMORI_HIVE_WSTR_H
#define MAMORI_HIVE_WSTR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Registry value types (winnt.h REG_*). */
enum hive_reg_type {
	HIVE_REG_NONE = 0,
	HIVE_REG_SZ = 1,
	HIVE_REG_EXPAND_SZ = 2,
	HIVE_REG_BINARY = 3,
	HIVE_REG_DWORD = 4,
	HIVE_REG_DWORD_BE = 5,
	HIVE_REG_LINK = 6,
	HIVE_REG_MULTI_SZ = 7,
	HIVE_REG_QWORD = 11,
};

/* What the decoder met; OR-ed into *flags. */
#define HIVE_WSTR_ODD 0x1		/* odd byte count: last byte dropped */
#define HIVE_WSTR_TERMINATED 0x2	/* a NUL code unit ended the string */
#define HIVE_WSTR_REPLACED 0x4	/* unpaired surrogate(s) -> U+FFFD */
#define HIVE_WSTR_TRAILING 0x8	/* non-NUL bytes after the terminator */

/*
 * Decodes n bytes of UTF-16LE at p into UTF-8 appended to out, stopping at
 * the first NUL code unit.  flags (may be NULL) receives HIVE_WSTR_* bits.
 * Returns 0, or MAMORI_ELIMIT / MAMORI_ENOMEM from out (out then holds a
 * prefix).  p is borrowed.
 */
int hive_utf16_decode(const uint8_t *p, size_t n, struct buf *out, unsigned *flags);

/*
 * Calls fn for each non-empty string of a REG_MULTI_SZ (UTF-8, borrowed for
 * the call).  Empty strings are skipped rather than ending the list, so an
 * entry hidden after an empty one is still seen; the last string needs no
 * terminator; an odd trailing byte is dropped.  Stops early when fn returns
 * non-zero and returns that value; else 0 or a buf error.  At most 4096
 * strings of at most 64 KiB each are decoded.
 */
typedef int (*hive_str_fn)(const char *s, void *ctx);
int hive_multi_sz_foreach(const uint8_t *p, size_t n, hive_str_fn fn, void *ctx);

/*
 * Renders value data as one line of text appended to out: strings decoded
 * (REG_EXPAND_SZ kept unexpanded), REG_MULTI_SZ joined with "; ", DWORDs
 * as "0x%08x (%u)", QWORDs in hex, anything else as hex bytes (the first
 * 256, then "...").  Control characters become '?'.  Returns 0 or a buf
 * error.
 */
int hive_render_value(uint32_t type, const uint8_t *p, size_t n, struct buf *out);

/*
 * Reads a DWORD-like value: REG_DWORD (LE), REG_DWORD_BIG_ENDIAN, or
 * REG_BINARY of exactly 4 bytes (XP stores NoDriveTypeAutoRun that way),
 * or a decimal/0x-hex REG_SZ.  Returns 0 or MAMORI_EFORMAT.
 */
int hive_data_dword(uint32_t type, const uint8_t *p, size_t n, uint32_t *out);

#endif
