/*
 * Shared helpers of the mamori CLI: error printing in one format
 * ("mamori: net: cannot open 'x.pcap': No such file or directory"), the
 * exit codes, the progress bar and option parsing helpers.  Only the CLI
 * prints or exits; the library reports through return codes and diags.
 */
#ifndef MAMORI_CLI_H
#define MAMORI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, the same for every command (see docs/man/mamori.1). */
#define EXIT_CLEAN 0	/* success; nothing found */
#define EXIT_FOUND 1	/* success; something was found (findings, FAIL, rejected rules) */
#define EXIT_ERROR 2	/* error: bad input, I/O failure, usage error */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command name */
	const char *summary;
};

/* Prints "mamori: <cmd>: <message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "mamori: <cmd>: warning: <message>\n" to stderr. */
void cli_warn(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses a whole non-negative decimal number; false if not one or > max. */
bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Number of online CPUs (at least 1). */
unsigned cli_ncpu(void);

/*
 * Progress bar on stderr, drawn only when stderr is a terminal and at most
 * ten times a second.  total may be 0 (unknown: shows a counter).
 */
struct progress {
	const char *label;
	uint64_t total, done;
	uint64_t last_draw_ms;
	bool enabled, drawn;
};
void progress_init(struct progress *pg, const char *label, uint64_t total);
void progress_update(struct progress *pg, uint64_t done);
void progress_finish(struct progress *pg);

#endif
