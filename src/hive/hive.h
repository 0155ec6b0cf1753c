/*
 * Offline Windows registry hives: discovery on a mounted volume, read-only
 * access through libhivex, and the registry persistence checks that
 * `mamori scan` runs (checks.c) and `mamori audit` reads from (src/audit).
 *
 * Entry point for the scanner: mamori_hive_scan_root().  It finds
 *   Windows/System32/config/{SYSTEM,SOFTWARE,SAM,SECURITY}
 *   Users/<name>/NTUSER.DAT, Documents and Settings/<name>/NTUSER.DAT
 * matching every path component case-insensitively, opens each hive
 * read-only, notes hives whose two header sequence numbers differ (dirty:
 * the transaction logs hold changes not yet in the file; the file is still
 * analysed as it is), reports a hive that cannot be read with a message
 * naming it and goes on with the others.
 *
 * Memory: hives bigger than MAMORI_HIVE_MAX_BYTES are refused (ELIMIT);
 * at most MAMORI_HIVE_MAX_FILES hives are taken from one root (the rest are
 * counted in rep->skipped).  Thread-safety: no shared state; one opened
 * hive must not be used by two threads at once.
 */
#ifndef MAMORI_HIVE_HIVE_H
#define MAMORI_HIVE_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/finding.h"
#include "util/buf.h"

#define MAMORI_HIVE_MAX_BYTES (512u * 1024 * 1024)
#define MAMORI_HIVE_MAX_FILES 128

enum mamori_hive_kind {
	MAMORI_HIVE_SYSTEM,
	MAMORI_HIVE_SOFTWARE,
	MAMORI_HIVE_SAM,
	MAMORI_HIVE_SECURITY,
	MAMORI_HIVE_NTUSER,
};

/* Returns "SYSTEM", "SOFTWARE", "SAM", "SECURITY" or "NTUSER.DAT". */
const char *mamori_hive_kind_name(enum mamori_hive_kind kind);

/* One hive file found under a root, and what happened when it was read. */
struct mamori_hive_file {
	enum mamori_hive_kind kind;
	char *path;		/* owned by the report: full path on disk */
	char *user;		/* owned: profile folder name (NTUSER), else NULL */
	bool dirty;		/* header sequence numbers differ */
	uint32_t seq1, seq2;	/* header offsets 4 and 8 */
	int err;		/* 0, or MAMORI_E* when the hive could not be read */
	char msg[256];		/* when err: "SYSTEM hive <path>: why" */
	bool salvaged;		/* corrupt (err set) but opened in libhivex's
				 * lenient mode and checked anyway: findings
				 * from it may be incomplete */
	size_t findings;	/* findings reported from this hive */
};

struct mamori_hive_report {
	struct mamori_hive_file *files;	/* owned; n entries */
	size_t n;
	size_t dirty;		/* files with dirty set */
	size_t corrupt;		/* files with err set */
	size_t skipped;		/* hives over MAMORI_HIVE_MAX_FILES */
	size_t findings;	/* total reported */
};

/* Zeroes rep.  Release with mamori_hive_report_release. */
void mamori_hive_report_init(struct mamori_hive_report *rep);
/* Frees what rep owns; rep can be re-initialised.  NULL is a no-op. */
void mamori_hive_report_release(struct mamori_hive_report *rep);

/*
 * Finds the hives under root (a mounted Windows volume or a copy of one)
 * and appends them to rep (OUT), SYSTEM, SOFTWARE, SAM, SECURITY first,
 * then the NTUSER.DAT of Users/ and of Documents and Settings/, each in
 * profile-name order; a profile reached twice (a junction) counts once.
 * Does not open them.
 * Returns 0 (also when none is found), MAMORI_ENOENT when root is not a
 * directory, MAMORI_ENOMEM.
 */
int mamori_hive_discover(const char *root, struct mamori_hive_report *rep);

/*
 * Discovers the hives under root and runs every registry check on them,
 * calling cb for each finding (kind "registry"; pointers borrowed for the
 * call).  A hive that cannot be opened or read gets err/msg in rep and the
 * scan goes on.  rep (OUT) must have been initialised; the caller releases
 * it.  Hives are appended, so one report can collect several roots
 * (dirty, corrupt and findings accumulate).  Returns 0 when the scan ran (look at rep->corrupt for unreadable
 * hives), a negative MAMORI_E* when it could not (root missing, no
 * memory), or the non-zero value cb returned to stop the scan.
 */
int mamori_hive_scan_root(const char *root, mamori_finding_fn cb, void *ctx,
			  struct mamori_hive_report *rep);

/*
 * mamori_hive_scan_root in the shape of the scanner's per-root hook
 * (mamori_host_root_fn in src/host/host.h):
 *   mamori_host_add_root_hook(sc, mamori_hive_root_hook, &report);
 * hook_ctx is a struct mamori_hive_report * (initialised by the caller,
 * borrowed; the hives of every root are appended to it so the caller can
 * name dirty and corrupt hives afterwards), or NULL: then a report is kept
 * only for the call and MAMORI_EFORMAT is returned when a hive was
 * corrupt.  Return values otherwise as mamori_hive_scan_root.
 */
int mamori_hive_root_hook(const char *root, mamori_finding_fn emit, void *emit_ctx,
			  void *hook_ctx);

/*
 * Runs the checks for one hive file of the given kind (SOFTWARE-dependent
 * SYSTEM checks, such as netsvcs membership, are skipped).  info (OUT,
 * may be NULL) receives the header state and any error; its path/user
 * are left NULL.  Return values as mamori_hive_scan_root.
 */
int mamori_hive_scan_file(const char *path, enum mamori_hive_kind kind,
			  mamori_finding_fn cb, void *ctx,
			  struct mamori_hive_file *info);

/*
 * Reads the regf base block from the first 4 KiB of a hive image: checks
 * the "regf" magic and the header checksum, returns the sequence numbers.
 * Returns 0 or MAMORI_EFORMAT (with a reason in why, which may be NULL).
 */
int mamori_hive_header(const uint8_t *p, size_t n, uint32_t *seq1,
		       uint32_t *seq2, const char **why);

/*
 * Resolves a '/'-separated path below root, matching each component
 * case-insensitively ("Windows/System32/netapi32.dll").  *out is malloc'd
 * (free it).  Returns 0, MAMORI_ENOENT, MAMORI_EINVAL, MAMORI_ENOMEM.
 */
int mamori_hive_find_path(const char *root, const char *rel, char **out);

/* ---- read access for the checks and the audit ------------------------ */

struct mamori_hive;	/* an opened hive (libhivex handle, read-only) */

/*
 * Opens a hive read-only.  name labels error messages ("SYSTEM").  info
 * (OUT, may be NULL) receives dirty/seq and, on failure, err and msg.
 * *out must be closed with mamori_hive_close.  Returns 0, MAMORI_ENOENT,
 * MAMORI_EIO, MAMORI_ELIMIT (too big), MAMORI_EFORMAT (not a hive or
 * corrupt beyond use), MAMORI_ENOMEM.  A hive whose base block is sound
 * but whose bins are damaged is reopened in libhivex's lenient mode: the
 * call then returns 0 with info->err/msg describing the damage and
 * info->salvaged set.
 */
int mamori_hive_open(const char *path, const char *name, struct mamori_hive **out,
		     struct mamori_hive_file *info);
/* Closes h; NULL is a no-op. */
void mamori_hive_close(struct mamori_hive *h);

/*
 * Reads a value under a '\'-separated key path (relative to the hive root,
 * case-insensitive; "" is the root; value "" is the default value).
 * get_raw: *data is malloc'd (free it), *type and *len set.  get_string:
 * decoded text appended to out (REG_SZ/EXPAND_SZ/LINK; MULTI_SZ joined).
 * get_dword: see hive_data_dword.  Return 0, MAMORI_ENOENT (key or value
 * missing), MAMORI_EFORMAT (wrong type or unreadable), MAMORI_ENOMEM.
 */
int mamori_hive_get_raw(struct mamori_hive *h, const char *key, const char *value,
			uint32_t *type, uint8_t **data, size_t *len);
int mamori_hive_get_string(struct mamori_hive *h, const char *key,
			   const char *value, struct buf *out);
int mamori_hive_get_dword(struct mamori_hive *h, const char *key,
			  const char *value, uint32_t *out);
/* True when the key exists. */
bool mamori_hive_has_key(struct mamori_hive *h, const char *key);

/*
 * The current control set of a SYSTEM hive, from Select\Current
 * ("ControlSet001"), written to out (at least 16 bytes).  Falls back to
 * CurrentControlSet, then ControlSet001, when Select is missing.
 * Returns 0 or MAMORI_ENOENT.
 */
int mamori_hive_control_set(struct mamori_hive *h, char *out, size_t n);

/*
 * Runs only the LSA package check on an opened SYSTEM hive (what `mamori
 * audit` judges): cb gets one finding per non-default package.  Returns
 * 0, MAMORI_ENOENT (no control set), MAMORI_ENOMEM or cb's stop value.
 */
int mamori_hive_check_lsa(struct mamori_hive *sys, const char *path,
			  mamori_finding_fn cb, void *ctx);

#endif
