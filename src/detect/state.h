/*
 * Shared state tables of the detection engine: a key/value table with
 * expiry and a memcap (xbits, hostbits and thresholds live in it) and the
 * datasets (sets of strings or hashes, optionally loaded from a file).
 *
 * Both are reached only through the functions below so that, when several
 * workers share one engine, a lock (or sharding by key hash) can be added
 * here without touching the matcher.  Today one worker uses them, so there
 * is no locking.  Time is packet time (usec).
 */
#ifndef MAMORI_DETECT_STATE_H
#define MAMORI_DETECT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rule.h"
#include "mamori/mamori.h"

/* ---- key/value table ---------------------------------------------------- */

#define DETECT_KV_KEY_MAX 48	/* bytes of a key */

struct detect_kv_val {
	uint64_t a, b;		/* the user's values (count, window start ...) */
	uint64_t expire;	/* usec; 0 = never.  An entry with
				 * 0 < expire <= now reads as absent. */
};

struct detect_kv;
/* New table holding at most memcap bytes of entries.  NULL on ENOMEM. */
struct detect_kv *detect_kv_new(uint64_t memcap);
void detect_kv_free(struct detect_kv *t);
/*
 * The value of key (klen <= DETECT_KV_KEY_MAX) at time now.  With create,
 * a missing (or expired) entry is made, zeroed; returns NULL when absent
 * and !create, or when the memcap is reached.  The pointer is valid until
 * the next call on the table.
 */
struct detect_kv_val *detect_kv_get(struct detect_kv *t, const void *key, size_t klen,
				    bool create, uint64_t now);
/* Removes key; no-op when absent. */
void detect_kv_del(struct detect_kv *t, const void *key, size_t klen);
/* Entries stored. */
size_t detect_kv_count(const struct detect_kv *t);

/* ---- datasets ------------------------------------------------------------ */

struct detect_dataset;
struct detect_datasets {
	struct detect_dataset **v;	/* owned */
	size_t n;
};

/*
 * The dataset named by d (created on first use).  When d->load is set and
 * the set is new, the file is read: relative paths are taken from dir
 * (NULL = current folder).  Lines are base64 for type string (anything
 * after a ',' is ignored, as Suricata's reputation column), hex for md5
 * and sha256.  Returns 0; MAMORI_EINVAL (type conflicts with an earlier
 * use of the name, or a bad line: diag says which), MAMORI_EIO (cannot
 * read), MAMORI_ELIMIT (memcap), MAMORI_ENOMEM.
 */
int detect_dataset_get(struct detect_datasets *sets, const struct rule_dataset *d,
		       const char *dir, uint64_t default_memcap,
		       struct detect_dataset **out, struct mamori_diag *diag);
/* A standalone empty set (type: enum rule_ds_type string/md5/sha256);
 * free with detect_dataset_free.  Returns 0 or MAMORI_ENOMEM. */
int detect_dataset_new(const char *name, uint8_t type, uint64_t memcap,
		       struct detect_dataset **out);
void detect_dataset_free(struct detect_dataset *ds);
/*
 * Adds the values of a dataset file's text (data[0..len), not
 * NUL-terminated; src names it in messages): one value per line, blank
 * lines and '#' comments skipped, CRLF accepted.  Returns 0,
 * MAMORI_EINVAL (a bad line: diag has its number), MAMORI_ELIMIT,
 * MAMORI_ENOMEM.  Values added before an error stay.
 */
int detect_dataset_parse(struct detect_dataset *ds, const char *src, const char *data,
			 size_t len, struct mamori_diag *diag);
bool detect_dataset_has(const struct detect_dataset *ds, const uint8_t *v, size_t n);
/* Adds v; returns 0, MAMORI_ELIMIT (memcap), MAMORI_ENOMEM. */
int detect_dataset_add(struct detect_dataset *ds, const uint8_t *v, size_t n);
void detect_dataset_remove(struct detect_dataset *ds, const uint8_t *v, size_t n);
/* Entries and the set's type (enum rule_ds_type). */
size_t detect_dataset_count(const struct detect_dataset *ds);
void detect_datasets_release(struct detect_datasets *sets);

#endif
