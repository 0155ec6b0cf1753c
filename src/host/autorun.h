/*
 * AUTORUN.INF reader, tolerant the way Windows' profile-string reader is:
 * binary junk, NUL bytes, missing ']' on a section header, odd case and
 * ';' comments anywhere are accepted (Conficker pads its autorun.inf with
 * junk to defeat strict parsers).  Only the [autorun] section (and the
 * [autorun.<arch>] variants) is read.  No allocation; the result is a
 * fixed-size struct, entries past the cap are counted, long values cut.
 * Thread-safe.
 */
#ifndef MAMORI_HOST_AUTORUN_H
#define MAMORI_HOST_AUTORUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAMORI_AUTORUN_MAX_ENTRIES 32
#define MAMORI_AUTORUN_KEY 96
#define MAMORI_AUTORUN_VALUE 512

enum mamori_autorun_kind {
	MAMORI_AUTORUN_OPEN,		/* open= */
	MAMORI_AUTORUN_SHELLEXECUTE,	/* shellexecute= */
	MAMORI_AUTORUN_SHELL_COMMAND,	/* shell\<verb>\command= */
	MAMORI_AUTORUN_USEAUTOPLAY,	/* useautoplay= */
	MAMORI_AUTORUN_OTHER,		/* icon=, label=, action=, ... */
};

struct mamori_autorun_entry {
	enum mamori_autorun_kind kind;
	char key[MAMORI_AUTORUN_KEY];		/* as written, trimmed */
	char value[MAMORI_AUTORUN_VALUE];	/* trimmed, junk bytes kept as '?' */
	unsigned line;				/* 1-based */
};

struct mamori_autorun {
	size_t n;			/* entries stored */
	size_t dropped;			/* entries past the cap */
	size_t junk_bytes;		/* control / non-ASCII bytes seen */
	size_t lines;
	bool has_section;		/* an [autorun] header was seen */
	struct mamori_autorun_entry e[MAMORI_AUTORUN_MAX_ENTRIES];
};

/* Parses p[0..n) into *out (OUT).  Always returns 0 (every byte string is
 * some autorun.inf); out->has_section tells whether it looked like one. */
int mamori_autorun_parse(const uint8_t *p, size_t n, struct mamori_autorun *out);

/*
 * Splits a launch command into the program and, for "rundll32[.exe]
 * path,entry", the DLL path.  prog/target (OUT, size cap bytes each) get
 * "" when absent.  Returns true if the program is rundll32.
 */
bool mamori_autorun_split_command(const char *cmd, char *prog, char *target,
				  size_t cap);

#endif
