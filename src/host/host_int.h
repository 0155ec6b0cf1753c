/*
 * Host scanner internals shared by the walker and the analyzers.
 *
 * A struct host_file describes one mapped file while the analyzers run; its
 * pointers are valid only for that time.  Analyzers report through
 * host_emit(), which adds the file's SHA-256 (computed once, lazily),
 * serialises the user callback and counts the finding.  Analyzers are
 * called from worker threads concurrently: they may only read the shared
 * scanner state (rules, IOC lists) and write their own file's state.
 */
#ifndef MAMORI_HOST_INT_H
#define MAMORI_HOST_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/host.h"

struct host_ioc_set;
struct host_hash_set;
struct host_yara;

struct host_file {
	const char *path;	/* path as found (for output) */
	const char *mpath;	/* match path: "/windows/system32/x.dll" */
	const char *mname;	/* basename inside mpath (lowercase) */
	const char *ext;	/* lowercase extension without '.', "" if none */
	const uint8_t *data;	/* mapped contents (NULL when size == 0) */
	size_t size;
	bool is_pe;		/* starts with "MZ" and a valid PE header */
	bool have_sha256;
	char sha256[65];
	struct mamori_host_scanner *sc;
	/* indicators already reported for this file (dedupe, capped) */
	char seen[24][96];
	unsigned n_seen;
};

#define HOST_MAX_ROOT_HOOKS 8

struct mamori_host_scanner {
	struct mamori_host_opts opts;
	struct host_ioc_set *ioc;	/* name/path IOCs; never NULL after new */
	struct host_hash_set *hashes;	/* hash IOCs; NULL when none loaded */
	struct host_yara *yara;		/* NULL when no rules */
	struct {
		mamori_host_root_fn fn;
		void *ctx;
	} hooks[HOST_MAX_ROOT_HOOKS];
	unsigned n_hooks;
	uint64_t n_yara_rules, n_ioc, n_hash;

	/* during a scan */
	const struct mamori_host_callbacks *cb;
	pthread_mutex_t out_mu;		/* serialises callbacks and stats */
	struct mamori_host_stats st;
	atomic_bool stop;		/* set under out_mu, read anywhere */
};

/*
 * Reports one finding for f.  indicator and family are borrowed for the
 * call only; evidence is formatted printf-style.
 * The same indicator is reported at most once per file.  Returns 0, or
 * non-zero when the user asked to stop.
 */
int host_emit(struct host_file *f, const char *family, const char *indicator,
	      enum mamori_severity sev, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Reports a per-file problem through the error callback (serialised). */
void host_error(struct mamori_host_scanner *sc, const char *path, int err,
		int sys_errno, const char *what);
/* Severity from a 0..100 score. */
enum mamori_severity host_score_severity(unsigned score);

/* Lowercase hex digest of f's contents with OpenSSL EVP ("md5", "sha1",
 * "sha256"); dst at least 2*64+1. */
int host_digest_hex(const char *algo, const uint8_t *p, size_t n, char *dst);

/* IOC lists (ioc.c): name/path globs and regexes, and hash entries. */
int host_ioc_load_dir(struct mamori_host_scanner *sc, const char *dir,
		      bool must_exist, struct mamori_diag *diag);
int host_ioc_load_file(struct mamori_host_scanner *sc, const char *path,
		       struct mamori_diag *diag);
void host_ioc_free(struct host_ioc_set *s);
void host_hash_free(struct host_hash_set *s);
int host_ioc_run(struct host_file *f);
int host_hash_run(struct host_file *f);
/* Adds one hash entry (hash.c); algo is "md5", "sha1" or "sha256". */
int host_hash_add(struct mamori_host_scanner *sc, const char *algo,
		  const char *hex, const char *family, unsigned score,
		  const char *source);

/* Sorts the hash entries for lookup; called once after loading. */
void host_hash_sort(struct host_hash_set *s);

/* YARA (yara_scan.c): compiled once, scanned per file. */
int host_yara_load(struct mamori_host_scanner *sc, const char *const *dirs,
		   size_t n, struct mamori_diag *diag);
void host_yara_free(struct host_yara *y);
int host_yara_run(struct host_file *f);

/* Per-file analyzers. */
int host_pe_run(struct host_file *f);
int host_autorun_run(struct host_file *f);
int host_job_run(struct host_file *f);
int host_recycler_run(struct host_file *f);

/* Case-insensitive helpers over ASCII. */
bool host_ieq(const char *a, const char *b);
bool host_icontains(const char *hay, const char *needle);
/* True if name looks machine-generated (Conficker-style random letters). */
bool host_name_random(const char *base);
/* The basename of a Windows or POSIX path (after the last '\' or '/'). */
const char *host_basename(const char *p);

#endif
