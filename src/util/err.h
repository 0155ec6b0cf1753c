/*
 * Internal error helpers.  MAMORI_FORMAT_ERR() is what a parser returns on
 * malformed input: MAMORI_EFORMAT, and in debug builds the source line of
 * the check that fired is recorded (SQLite's CORRUPT_BKPT), so a rejected
 * file or a fuzz finding points at the check.  mamori_last_format_line()
 * reads it back (thread-local; 0 when none or in release builds).
 */
#ifndef MAMORI_UTIL_ERR_H
#define MAMORI_UTIL_ERR_H

#include "mamori/mamori.h"

#ifdef MAMORI_DEBUG
int mamori_format_err_at(const char *file, int line);
#define MAMORI_FORMAT_ERR() mamori_format_err_at(__FILE__, __LINE__)
#else
#define MAMORI_FORMAT_ERR() (MAMORI_EFORMAT)
#endif

/* Debug builds: "file.c:123" of the last MAMORI_FORMAT_ERR on this thread. */
const char *mamori_last_format_site(void);

/* Jump to the single cleanup label with rc set (YARA's FAIL_ON_ERROR). */
#define FAIL(code)                                                            \
	do {                                                                  \
		rc = (code);                                                  \
		goto out;                                                     \
	} while (0)
#define CHECK(expr)                                                           \
	do {                                                                  \
		rc = (expr);                                                  \
		if (rc < 0)                                                   \
			goto out;                                             \
	} while (0)

#endif
