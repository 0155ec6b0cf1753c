/*
 * Remediation: `mamori clean` and `mamori quarantine` (issue 8).
 *
 * Findings from the host scanner and the offline registry analysis are
 * mapped through templates (rules/remedy/<family>.yaml, template.c) to a plan of
 * actions (plan.c); the plan is carried out under a write-ahead journal
 * (journal.c, apply.c) whose every change can be undone byte for byte;
 * quarantined files go to a store of compressed, wrapped blobs with a
 * SQLite manifest (store.c).  The journal's state machine is described in
 * journal.c.
 *
 * Scope invariant: every path the remediation touches is below the volume
 * root (reached with openat and O_NOFOLLOW one component at a time, no
 * "..", no symlink) or inside the quarantine directory, which must not lie
 * inside the root.  The library never prints; problems are returned as
 * MAMORI_E* codes with a message in a struct mamori_diag or in the
 * per-action result.
 */
#ifndef MAMORI_REMEDY_REMEDY_H
#define MAMORI_REMEDY_REMEDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/finding.h"
#include "mamori/mamori.h"

/* ---- templates --------------------------------------------------------- */

enum mamori_remedy_op {
	MAMORI_RM_NONE,
	MAMORI_RM_QUARANTINE,		/* move a file into the quarantine store */
	MAMORI_RM_REMOVE_AUTORUN,	/* quarantine an autorun.inf (USB worm) */
	MAMORI_RM_DELETE_VALUE,
	MAMORI_RM_SET_DWORD,
	MAMORI_RM_REMOVE_LIST_ENTRY,	/* one string out of a REG_MULTI_SZ */
	MAMORI_RM_DELETE_KEY,
	MAMORI_RM_RESTORE_START,	/* a service's default Start value */
	MAMORI_RM_SET_AUTORUN_POLICY,	/* NoDriveTypeAutoRun/NoDriveAutoRun=0xFF */
	MAMORI_RM_SET_STRING,		/* a REG_SZ back to its Windows default */
};

/* "quarantine", "delete_value", ... (the template spelling). */
const char *mamori_remedy_op_name(enum mamori_remedy_op op);

struct mamori_remedy_rules;

/*
 * Loads every *.yaml template of dir (NULL: $MAMORI_RULES_DIR/remedy, else
 * the built-in rules folder's remedy/) (family files in name order, then
 * generic.yaml, so family rules win).  On a bad template returns
 * MAMORI_EFORMAT with "file:line: why" in diag (diag->file borrowed from
 * a static buffer of the loader; may be NULL).  *out is freed with
 * mamori_remedy_rules_free.
 */
int mamori_remedy_rules_load_dir(const char *dir, struct mamori_remedy_rules **out,
				 struct mamori_diag *diag);
/* Parses one template text (name labels errors).  Appends to *rules,
 * creating it when *rules is NULL.  Errors as above. */
int mamori_remedy_rules_parse(struct mamori_remedy_rules **rules, const char *name,
			      const uint8_t *text, size_t len, struct mamori_diag *diag);
void mamori_remedy_rules_free(struct mamori_remedy_rules *r);
size_t mamori_remedy_rules_count(const struct mamori_remedy_rules *r);

/* ---- plan --------------------------------------------------------------- */

struct mamori_remedy_action {
	enum mamori_remedy_op op;
	char *rel;		/* file or hive path below the root, '/'-separated */
	char *key;		/* registry key inside the hive, or NULL */
	char *value;		/* value name, or NULL */
	char *entry;		/* REMOVE_LIST_ENTRY: the string to drop */
	uint32_t dword;		/* SET_DWORD / RESTORE_START */
	char *string;		/* SET_STRING: the REG_SZ text (ASCII) */
	char *family, *indicator, *evidence;
	char *sha256;		/* file findings: hash at scan time, or NULL */
	char *note;		/* why nothing will be done, or NULL */
};

struct mamori_remedy_plan {
	char *root;			/* as given by the caller */
	struct mamori_remedy_action *v;	/* owned */
	size_t n, cap;
	size_t unmatched;		/* findings no template acted on */
	bool usb_worm;			/* a finding asked for autorun hardening */
	char **hives;			/* SOFTWARE + NTUSER hives (rel) for it */
	size_t n_hives;
};

/* Initialises plan for root (copied).  Release with _plan_release. */
int mamori_remedy_plan_init(struct mamori_remedy_plan *plan, const char *root);
void mamori_remedy_plan_release(struct mamori_remedy_plan *plan);
/*
 * Maps one finding through the rules and appends its actions, merging
 * duplicates.  Findings whose path is not below plan->root get an action
 * with note set (never carried out).  Returns 0 or MAMORI_ENOMEM.
 */
int mamori_remedy_plan_add(struct mamori_remedy_plan *plan,
			   const struct mamori_remedy_rules *rules,
			   const struct mamori_finding *f);
/*
 * Reads `mamori scan --json` output (JSON lines; records other than
 * event_type "finding" are skipped) and calls cb for each finding
 * (pointers borrowed for the call).  MAMORI_EFORMAT with the line in diag
 * for bad JSON or a malformed finding, MAMORI_ELIMIT past the caps,
 * MAMORI_ESTATE when cb returned non-zero.
 */
int mamori_remedy_findings_read(const uint8_t *text, size_t n, mamori_finding_fn cb,
				void *ctx, struct mamori_diag *diag);

/* Notes a hive (full path as discovered) that can take the autorun policy
 * (SOFTWARE or NTUSER.DAT).  Returns 0 or MAMORI_ENOMEM. */
int mamori_remedy_plan_add_hive(struct mamori_remedy_plan *plan, const char *path,
				bool software);
/* Adds the once-per-volume autorun policy actions and orders the plan
 * (files, then per hive: values, then keys).  Returns 0 or MAMORI_ENOMEM. */
int mamori_remedy_plan_finish(struct mamori_remedy_plan *plan);

/* Drops the autorun policy actions already in place (read from the hives,
 * read-only), so a volume cleaned before has an empty plan.  Returns 0 or
 * MAMORI_ENOMEM. */
int mamori_remedy_plan_prune(struct mamori_remedy_plan *plan);

/* ---- apply / undo ------------------------------------------------------- */

struct mamori_remedy_result {
	size_t action;		/* index in the plan */
	int rc;			/* 0, or MAMORI_E* */
	bool done;		/* changed something */
	bool skipped;		/* already in the wanted state */
	char msg[320];
};

struct mamori_remedy_report {
	struct mamori_remedy_result *v;	/* owned; one per plan action */
	size_t n;
	size_t done, skipped, failed;
	char journal[512];	/* journal file written ("" when none) */
	size_t recovered;	/* unfinished journals completed first */
};

void mamori_remedy_report_release(struct mamori_remedy_report *rep);

/*
 * Checks qdir for the root (creates it, 0700; refuses it inside root or
 * root inside it).  Returns 0, MAMORI_EINVAL with a message in diag.
 */
int mamori_remedy_check_qdir(const char *root, const char *qdir, struct mamori_diag *diag);

/*
 * Finishes any unfinished journal in qdir (crash recovery), then carries
 * out the plan under a new journal.  rep (OUT) gets one result per action.
 * Returns 0 when every action succeeded or was already done, MAMORI_EIO
 * (or another code) when at least one failed (each failure left nothing
 * half-done), or a setup error with diag filled.
 */
int mamori_remedy_apply(const struct mamori_remedy_plan *plan, const char *qdir,
			struct mamori_remedy_report *rep, struct mamori_diag *diag);

/*
 * Finishes unfinished journals of qdir (roll forward what reached the
 * disk, drop what did not).  *n (OUT, may be NULL) counts them.
 */
int mamori_remedy_recover(const char *qdir, size_t *n, struct mamori_diag *diag);

/*
 * Reverses one journal (path), newest step first; resumes an undo that
 * was interrupted.  Returns 0, or a MAMORI_E* with diag set (a corrupt
 * journal is refused before anything is touched).  *restored (OUT, may
 * be NULL) counts the steps reversed by this call.
 */
int mamori_remedy_undo(const char *journal, size_t *restored, struct mamori_diag *diag);

/* True when a journal of qdir for root (not reverted) recorded a USB worm:
 * the autorun policy stays part of the plan after the worm is gone (a run
 * resumed after a crash).  False when qdir has none or cannot be read. */
bool mamori_remedy_history_usb_worm(const char *qdir, const char *root);

/* Lists qdir's journal files newest first; *out is a malloc'd array of
 * malloc'd full paths (free each and the array). */
int mamori_remedy_journals(const char *qdir, char ***out, size_t *n);

/* ---- quarantine store ----------------------------------------------------- */

struct mamori_quar_item {
	int64_t id;
	char root[512], path[1024];	/* root and path below it */
	uint64_t size;
	uint32_t mode, uid, gid;
	int64_t mtime_ns, atime_ns, qtime;
	char sha256[65];
	char family[32], indicator[96];
	char status[16];		/* quarantined | restored | purged | pending */
	char journal[256];
	int step;
};

typedef int (*mamori_quar_item_fn)(const struct mamori_quar_item *it, void *ctx);

/* Calls fn for each manifest row (id order).  MAMORI_ENOENT when qdir has
 * no manifest, MAMORI_EFORMAT for a corrupt one (diag says what). */
int mamori_quar_list(const char *qdir, mamori_quar_item_fn fn, void *ctx,
		     struct mamori_diag *diag);
/* Restores item id to where it came from (verifying SHA-256) and records
 * the undo in its journal; an item already restored is a no-op (0), so an
 * interrupted restore can be run again.  MAMORI_ENOENT (no such id),
 * MAMORI_ESTATE (purged), MAMORI_EEXIST (a different file is there now). */
int mamori_quar_restore(const char *qdir, int64_t id, struct mamori_diag *diag);
/* Deletes item id's stored copy for good (status purged). */
int mamori_quar_purge(const char *qdir, int64_t id, struct mamori_diag *diag);

/* ---- test hook ------------------------------------------------------------ */

/* Debug builds: the step counter of MAMORI_CRASH_AT (_exit(86) at step k).
 * Returns the number of crash points passed so far. */
unsigned mamori_remedy_crash_points(void);

#endif
