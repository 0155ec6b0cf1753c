/*
 * mamori — public interface of libmamori.
 *
 * Every engine lives in the library; the CLI in tools/mamori is a thin
 * front end.  The library never exits, aborts or prints: functions return 0
 * or a negative MAMORI_E* code, and the rule/config loaders describe what
 * went wrong in an optional struct mamori_diag.
 */
#ifndef MAMORI_MAMORI_H
#define MAMORI_MAMORI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One list generates the error enum and mamori_strerror() (libuv style). */
#define MAMORI_ERRNO_MAP(X)                                                   \
	X(OK, 0, "success")                                                   \
	X(ENOMEM, -1, "out of memory")                                        \
	X(EINVAL, -2, "invalid argument")                                     \
	X(EFORMAT, -3, "malformed input")                                     \
	X(ELIMIT, -4, "memory cap or size limit reached")                     \
	X(EIO, -5, "input/output error")                                      \
	X(ENOENT, -6, "not found")                                            \
	X(EUNSUPPORTED, -7, "not supported")                                  \
	X(EAGAIN, -8, "more data needed")                                     \
	X(EEXIST, -9, "already exists")                                       \
	X(EPERM, -10, "permission denied")                                    \
	X(ESTATE, -11, "invalid state")                                       \
	X(EDEP, -12, "library error")

enum mamori_err {
#define MAMORI_ERR_ENUM(name, val, msg) MAMORI_##name = (val),
	MAMORI_ERRNO_MAP(MAMORI_ERR_ENUM)
#undef MAMORI_ERR_ENUM
};

/* Returns a static string describing a MAMORI_E* code (never NULL). */
const char *mamori_strerror(int err);

/* Returns the library version string, e.g. "0.1.0" (static). */
const char *mamori_version(void);

/*
 * Where and why an input was rejected.  Loaders fill it when given one;
 * file is borrowed from the caller (the path they were given).  line and
 * column are 1-based, 0 when unknown.
 */
struct mamori_diag {
	const char *file;
	unsigned line;
	unsigned column;
	char msg[256];
};

/* Formats into diag->msg (printf style); diag may be NULL. */
void mamori_diag_set(struct mamori_diag *diag, unsigned line, unsigned column,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
