/* Error strings, diagnostics and the debug-build format-error breakpoint. */
#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

const char *mamori_strerror(int err)
{
	switch (err) {
#define MAMORI_ERR_STR(name, val, msg)                                        \
	case (val):                                                           \
		return (msg);
		MAMORI_ERRNO_MAP(MAMORI_ERR_STR)
#undef MAMORI_ERR_STR
	}
	return "unknown error";
}

const char *mamori_version(void)
{
	return MAMORI_VERSION;
}

void mamori_diag_set(struct mamori_diag *diag, unsigned line, unsigned column,
		     const char *fmt, ...)
{
	if (!diag)
		return;
	diag->line = line;
	diag->column = column;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
}

static _Thread_local char last_site[96];

#ifdef MAMORI_DEBUG
int mamori_format_err_at(const char *file, int line)
{
	snprintf(last_site, sizeof(last_site), "%s:%d", file, line);
	return MAMORI_EFORMAT;
}
#endif

const char *mamori_last_format_site(void)
{
	return last_site;
}
