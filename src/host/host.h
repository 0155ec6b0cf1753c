/*
 * Host scanner: walks Windows volumes, USB images and trees and runs every
 * per-file analyzer (IOC names/paths, hash IOCs, YARA, PE checks,
 * AUTORUN.INF, Task Scheduler .job, RECYCLER) over each file, reporting
 * family-tagged findings (include/mamori/finding.h).
 *
 * Why: `mamori scan` (issue 6).  The walk is a thread pool over a shared
 * work stack of directories and files; each file is opened without
 * following symlinks, mapped once and handed to every analyzer in turn.
 *
 * Invariants:
 *  - symlinks below a root are never followed; sockets, FIFOs and device
 *    nodes are skipped and counted;
 *  - files larger than max_filesize are skipped (reported through the error
 *    callback with MAMORI_ELIMIT), never truncated;
 *  - the finding, error and progress callbacks are serialised by the
 *    scanner (never called concurrently), so they need not be thread-safe;
 *  - the scanner never prints; per-file problems go to the error callback
 *    and the scan goes on.
 *
 * Paths use Windows semantics for matching: each file gets a "match path",
 * the path below its scan root lowercased (ASCII) with '\' folded to '/'
 * and a leading '/', e.g. "/windows/system32/mssecmgr.ocx".
 */
#ifndef MAMORI_HOST_HOST_H
#define MAMORI_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/finding.h"
#include "mamori/mamori.h"

#define MAMORI_HOST_DEFAULT_MAX_FILESIZE (64ull << 20)
#define MAMORI_HOST_MAX_THREADS 32	/* libyara's YR_MAX_THREADS */

struct mamori_host_opts {
	unsigned threads;		/* worker threads; 0 = 1; capped at 32 */
	uint64_t max_filesize;		/* bytes; 0 = 64 MiB */
	const char *rules_dir;		/* borrowed; NULL = built-in rules folder
					 * (env MAMORI_RULES_DIR overrides it) */
	bool no_builtin;		/* do not load rules_dir/{yara,ioc} */
	const char *const *yara_dirs;	/* borrowed; extra folders of .yar/.yara */
	size_t n_yara_dirs;
	const char *const *ioc_dirs;	/* borrowed; extra folders of IOC .txt */
	size_t n_ioc_dirs;
};

struct mamori_host_stats {
	uint64_t files;		/* regular files analysed */
	uint64_t bytes;		/* bytes of those files */
	uint64_t dirs;
	uint64_t findings;
	uint64_t errors;	/* per-file I/O errors (unreadable, permission) */
	uint64_t skipped;	/* symlinks, special files, oversized files */
	uint64_t yara_rules;	/* rules compiled */
	uint64_t ioc_entries;	/* name/path IOC entries loaded */
	uint64_t hash_entries;	/* hash IOC entries loaded */
};

/*
 * Per-file problem: err is a MAMORI_E* code (MAMORI_EIO, MAMORI_EPERM,
 * MAMORI_ELIMIT for oversized files, MAMORI_EFORMAT for a parser that
 * rejected a file it expected to understand), sys_errno the errno when one
 * applies (else 0), what a short description.  path is borrowed.
 */
typedef void (*mamori_host_error_fn)(const char *path, int err, int sys_errno,
				     const char *what, void *ctx);
/* Called after each file with the running totals (borrowed). */
typedef void (*mamori_host_progress_fn)(const struct mamori_host_stats *st,
					void *ctx);

struct mamori_host_callbacks {
	mamori_finding_fn on_finding;	/* required; non-zero return stops */
	mamori_host_error_fn on_error;	/* optional */
	mamori_host_progress_fn on_progress;	/* optional */
	void *ctx;			/* passed to all three */
};

/*
 * Extra analyzer run once per scan root that is a directory (e.g. the
 * offline registry analysis over the hives found below root:
 * mamori_hive_scan_root has this shape but for its report argument).
 * Called from the thread that called mamori_host_scan, after the walk of
 * that root, with a finding callback that is already serialised and
 * counted (emit/emit_ctx; return its non-zero result to stop).  Returns 0
 * or a MAMORI_E* code (reported through on_error; the scan goes on).
 */
typedef int (*mamori_host_root_fn)(const char *root, mamori_finding_fn emit,
				   void *emit_ctx, void *hook_ctx);

struct mamori_host_scanner;

/*
 * Loads the IOC lists and compiles the YARA rules once.  On failure
 * returns a MAMORI_E* code and describes the bad file/line in diag (may be
 * NULL).  *out must be released with mamori_host_scanner_free.
 */
int mamori_host_scanner_new(const struct mamori_host_opts *opts,
			    struct mamori_host_scanner **out,
			    struct mamori_diag *diag);
/* Frees the scanner; NULL is a no-op. */
void mamori_host_scanner_free(struct mamori_host_scanner *sc);

/* Registers a per-root hook (at most 8); fn and ctx are borrowed. */
int mamori_host_add_root_hook(struct mamori_host_scanner *sc,
			      mamori_host_root_fn fn, void *ctx);

/*
 * Scans each root (a directory or a single file).  Fills *stats (may be
 * NULL; it also carries rule counts).  Returns 0 when the walk completed
 * (even with per-file errors, which are counted), MAMORI_ESTATE when the
 * finding callback asked to stop, or a MAMORI_E* code for setup failures.
 * One scan at a time per scanner.
 */
int mamori_host_scan(struct mamori_host_scanner *sc, const char *const *roots,
		     size_t n_roots, const struct mamori_host_callbacks *cb,
		     struct mamori_host_stats *stats);

/*
 * Builds the match path of rel (a path below a scan root) into dst (OUT,
 * n bytes): lowercased ASCII, '\' folded to '/', "//" collapsed, one
 * leading '/'.  Returns false if it does not fit.
 */
bool mamori_host_match_path(const char *rel, char *dst, size_t n);

#endif
