/*
 * Internals of src/remedy shared by its files: the parsed journal, the
 * confined file-system helpers (fsafe.c), the store (store.c) and the
 * crash hook.  Not a public interface.
 */
#ifndef MAMORI_REMEDY_INT_H
#define MAMORI_REMEDY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "remedy/remedy.h"

#define RM_MAX_FILE (512ull << 20)	/* biggest file or hive handled */
#define RM_JOURNAL_MAX (16u << 20)	/* biggest journal read */
#define RM_JOURNAL_STEPS 100000		/* steps per journal */
#define RM_JOURNAL_LINE 8192		/* longest journal line */

/* ---- crash hook ---- */
void rm_crash_point(void);

/* ---- journal (journal.c) ---- */
struct rm_step {
	int step;
	char kind;		/* 'f' file, 'h' hive */
	char *rel;		/* below the root */
	char *blob;		/* 'f': store blob name; 'h': backup file name */
	char *sha_old, *sha_new;	/* 'h': hive before/after; 'f': sha_old */
	int64_t qid;		/* 'f': manifest row */
	uint32_t mode;
	bool prepared, applied, dropped, undone;
};

struct rm_journal {
	char *root;		/* absolute, as resolved when written */
	char *qdir;
	struct rm_step *v;
	size_t n, cap;
	bool complete;		/* 'C' seen: apply finished */
	bool reverted;		/* 'R' seen: every step undone */
	bool usb_worm;		/* 'W' seen: the run hardens the autorun policy */
	size_t good_len;	/* bytes of whole, checked lines */
};

/* Parses journal text; a torn last line (no newline) is ignored.
 * MAMORI_EFORMAT with "line N: why" in diag for anything else wrong. */
int rm_journal_parse(const uint8_t *p, size_t n, struct rm_journal *j,
		     struct mamori_diag *diag);
void rm_journal_release(struct rm_journal *j);
struct rm_step *rm_journal_step(struct rm_journal *j, int step);

/* Appends one record (fields joined by tabs, escaped, CRC added) and
 * fsyncs.  fd is the journal opened O_APPEND. */
int rm_journal_append(int fd, const char *const *fields, size_t n);
/* Escapes s into dst (n bytes); false if it does not fit. */
bool rm_escape(const char *s, char *dst, size_t n);

/* ---- confined file access (fsafe.c) ---- */

/* Opens the directory holding rel below rootfd without following
 * symlinks or "..": *dirfd (OUT, close it), base (OUT, n bytes) the last
 * component.  mkdirs creates missing directories (0755).
 * MAMORI_EINVAL (bad path), MAMORI_EPERM (a symlink or non-directory on
 * the way), MAMORI_ENOENT, MAMORI_EIO. */
int rm_open_parent(int rootfd, const char *rel, bool mkdirs, int *dirfd,
		   char *base, size_t n);
/* Reads a whole regular file (no symlink) at dirfd/name; *data malloc'd.
 * st (OUT, may be NULL). */
int rm_read_at(int dirfd, const char *name, uint8_t **data, size_t *len,
	       struct stat *st);
/* Writes data to dirfd/tmpname (O_EXCL after removing a stale one),
 * fsyncs it, renames it over dirfd/name and fsyncs dirfd.  mode applied. */
int rm_replace_at(int dirfd, const char *name, const uint8_t *data, size_t len,
		  mode_t mode, const struct stat *attrs);
/* Whole-file helpers for paths inside the quarantine directory. */
int rm_read_path(const char *path, uint8_t **data, size_t *len);
int rm_write_path(const char *path, const uint8_t *data, size_t len);
int rm_fsync_dir(const char *dir);
/* SHA-256 of data as 64 hex chars + NUL into hex. */
int rm_sha256(const uint8_t *data, size_t len, char hex[65]);
/* snprintf that reports truncation (false) instead of warning about it. */
bool rm_fmt(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Maps an errno to a MAMORI_E*. */
int rm_errno(int e);

/* ---- store (store.c) ---- */
struct sqlite3;
int rm_store_open(const char *qdir, struct sqlite3 **db, struct mamori_diag *diag);
void rm_store_close(struct sqlite3 *db);
/* Compresses data into qdir/store/blob (header + zlib), durable. */
int rm_store_put(const char *qdir, const char *blob, const uint8_t *data, size_t len);
/* Reads and inflates a blob; checks header and size. */
int rm_store_get(const char *qdir, const char *blob, uint8_t **data, size_t *len,
		 struct mamori_diag *diag);
int rm_store_insert(struct sqlite3 *db, const struct mamori_quar_item *it,
		    const char *blob, int64_t *id);
int rm_store_set_status(struct sqlite3 *db, int64_t id, const char *status);
/* Sets status only when the row is in state from (NULL: any). */
int rm_store_move(struct sqlite3 *db, int64_t id, const char *from, const char *status);
int rm_store_get_item(struct sqlite3 *db, int64_t id, struct mamori_quar_item *it,
		      char *blob, size_t blobn);
int rm_store_drop_pending(struct sqlite3 *db, const char *qdir, const char *journal);

/* Restores one quarantined file step (used by undo and quarantine restore). */
int rm_undo_file(int rootfd, const char *qdir, struct sqlite3 *db,
		 const struct rm_step *s, struct mamori_diag *diag);

#endif
