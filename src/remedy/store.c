/*
 * The quarantine store: QDIR/store/<blob> holds each quarantined file
 * zlib-compressed behind a header ("MAMORIQ\1", original size, CRC-32), so
 * a stored copy is never an executable image that could be run or
 * scanned by accident; QDIR/manifest.db (SQLite, synchronous=FULL) holds
 * one row per item: root, path below it, size, mode, owner, timestamps,
 * SHA-256, family, indicator, time quarantined, journal step and status
 * (pending -> quarantined -> restored | purged).
 *
 * Invariants: a blob is durable (fsynced, renamed, directory fsynced)
 * before its row exists; a row read back is checked (hash shape, path
 * shape) before anything acts on it; decompression is capped at the size
 * the header declares (at most RM_MAX_FILE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "remedy/remedy_int.h"
#include "util/err.h"

#define BLOB_MAGIC "MAMORIQ\1"
#define BLOB_HDR 20

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS items("
	" id INTEGER PRIMARY KEY, journal TEXT NOT NULL, step INTEGER NOT NULL,"
	" root TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,"
	" mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,"
	" mtime_ns INTEGER NOT NULL, atime_ns INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL, family TEXT NOT NULL, indicator TEXT NOT NULL,"
	" qtime INTEGER NOT NULL, blob TEXT NOT NULL, status TEXT NOT NULL);";

int rm_store_open(const char *qdir, sqlite3 **db, struct mamori_diag *diag)
{
	char path[4096];
	int rc = 0;
	snprintf(path, sizeof(path), "%s/manifest.db", qdir);
	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		mamori_diag_set(diag, 0, 0, "cannot open manifest %s: %s", path,
				*db ? sqlite3_errmsg(*db) : "out of memory");
		FAIL(MAMORI_EIO);
	}
	sqlite3_busy_timeout(*db, 5000);
	if (sqlite3_exec(*db, "PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, "SELECT count(*) FROM items;", NULL, NULL, NULL) != SQLITE_OK) {
		mamori_diag_set(diag, 0, 0, "manifest %s is damaged: %s", path,
				sqlite3_errmsg(*db));
		FAIL(MAMORI_EFORMAT);
	}
	return 0;
out:
	sqlite3_close(*db);
	*db = NULL;
	return rc;
}

void rm_store_close(sqlite3 *db)
{
	sqlite3_close(db);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int rm_store_put(const char *qdir, const char *blob, const uint8_t *data, size_t len)
{
	char path[4096];
	uLongf clen = compressBound((uLong)len);
	uint8_t *out = malloc(BLOB_HDR + clen);
	int rc = 0;
	if (!out)
		return MAMORI_ENOMEM;
	memcpy(out, BLOB_MAGIC, 8);
	put_le(out + 8, len, 8);
	put_le(out + 16, crc32(0L, data, (uInt)len), 4);
	if (compress2(out + BLOB_HDR, &clen, data, (uLong)len, 6) != Z_OK)
		FAIL(MAMORI_EDEP);
	snprintf(path, sizeof(path), "%s/store", qdir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		FAIL(rm_errno(errno));
	snprintf(path, sizeof(path), "%s/store/%s", qdir, blob);
	rc = rm_write_path(path, out, BLOB_HDR + clen);
out:
	free(out);
	return rc;
}

int rm_store_get(const char *qdir, const char *blob, uint8_t **data, size_t *len,
		 struct mamori_diag *diag)
{
	char path[4096];
	uint8_t *raw = NULL, *d = NULL;
	size_t rawn = 0;
	int rc;
	snprintf(path, sizeof(path), "%s/store/%s", qdir, blob);
	if ((rc = rm_read_path(path, &raw, &rawn)) < 0) {
		mamori_diag_set(diag, 0, 0, "quarantined copy %s: %s", path, mamori_strerror(rc));
		return rc;
	}
	if (rawn < BLOB_HDR || memcmp(raw, BLOB_MAGIC, 8)) {
		mamori_diag_set(diag, 0, 0, "quarantined copy %s: not a mamori store blob", path);
		FAIL(MAMORI_FORMAT_ERR());
	}
	uint64_t n = get_le(raw + 8, 8);
	if (n > RM_MAX_FILE) {
		mamori_diag_set(diag, 0, 0, "quarantined copy %s: size %llu too big", path,
				(unsigned long long)n);
		FAIL(MAMORI_FORMAT_ERR());
	}
	d = malloc(n ? (size_t)n : 1);
	if (!d)
		FAIL(MAMORI_ENOMEM);
	uLongf dn = (uLongf)n;
	if (uncompress(d, &dn, raw + BLOB_HDR, (uLong)(rawn - BLOB_HDR)) != Z_OK || dn != n ||
	    crc32(0L, d, (uInt)dn) != get_le(raw + 16, 4)) {
		mamori_diag_set(diag, 0, 0, "quarantined copy %s is damaged (bad compressed data "
				"or checksum)", path);
		FAIL(MAMORI_FORMAT_ERR());
	}
	*data = d;
	*len = (size_t)n;
	d = NULL;
out:
	free(raw);
	free(d);
	return rc;
}

int rm_store_insert(sqlite3 *db, const struct mamori_quar_item *it, const char *blob,
		    int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO items(journal,step,root,path,size,mode,uid,gid,"
			       "mtime_ns,atime_ns,sha256,family,indicator,qtime,blob,status)"
			       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'pending')",
			       -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EIO;
	sqlite3_bind_text(st, 1, it->journal, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, it->step);
	sqlite3_bind_text(st, 3, it->root, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)it->size);
	sqlite3_bind_int64(st, 6, it->mode);
	sqlite3_bind_int64(st, 7, it->uid);
	sqlite3_bind_int64(st, 8, it->gid);
	sqlite3_bind_int64(st, 9, it->mtime_ns);
	sqlite3_bind_int64(st, 10, it->atime_ns);
	sqlite3_bind_text(st, 11, it->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, it->family, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, it->indicator, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, it->qtime);
	sqlite3_bind_text(st, 15, blob, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		FAIL(MAMORI_EIO);
	*id = sqlite3_last_insert_rowid(db);
	rm_crash_point();
out:
	sqlite3_finalize(st);
	return rc;
}

int rm_store_set_status(sqlite3 *db, int64_t id, const char *status)
{
	return rm_store_move(db, id, NULL, status);
}

int rm_store_move(sqlite3 *db, int64_t id, const char *from, const char *status)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db, "UPDATE items SET status=?1 WHERE id=?2 AND "
			       "(?3 IS NULL OR status=?3)", -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EIO;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (from)
		sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = MAMORI_EIO;
	sqlite3_finalize(st);
	if (!rc)
		rm_crash_point();
	return rc;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static bool row_ok(const struct mamori_quar_item *it, const char *blob)
{
	if (strlen(it->sha256) != 64 || strspn(it->sha256, "0123456789abcdef") != 64)
		return false;
	if (!*it->path || it->path[0] == '/' || strstr(it->path, "..") || it->root[0] != '/')
		return false;
	if (!*blob || strchr(blob, '/'))
		return false;
	return true;
}

static int read_row(sqlite3_stmt *st, struct mamori_quar_item *it, char *blob, size_t blobn)
{
	char b[256];
	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, it->journal, sizeof(it->journal));
	it->step = sqlite3_column_int(st, 2);
	col_text(st, 3, it->root, sizeof(it->root));
	col_text(st, 4, it->path, sizeof(it->path));
	it->size = (uint64_t)sqlite3_column_int64(st, 5);
	it->mode = (uint32_t)sqlite3_column_int64(st, 6);
	it->uid = (uint32_t)sqlite3_column_int64(st, 7);
	it->gid = (uint32_t)sqlite3_column_int64(st, 8);
	it->mtime_ns = sqlite3_column_int64(st, 9);
	it->atime_ns = sqlite3_column_int64(st, 10);
	col_text(st, 11, it->sha256, sizeof(it->sha256));
	col_text(st, 12, it->family, sizeof(it->family));
	col_text(st, 13, it->indicator, sizeof(it->indicator));
	it->qtime = sqlite3_column_int64(st, 14);
	col_text(st, 15, b, sizeof(b));
	col_text(st, 16, it->status, sizeof(it->status));
	if (blob)
		snprintf(blob, blobn, "%s", b);
	return row_ok(it, b) ? 0 : MAMORI_EFORMAT;
}

#define ROW_COLS "id,journal,step,root,path,size,mode,uid,gid,mtime_ns,atime_ns," \
		 "sha256,family,indicator,qtime,blob,status"

int rm_store_get_item(sqlite3 *db, int64_t id, struct mamori_quar_item *it, char *blob,
		      size_t blobn)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db, "SELECT " ROW_COLS " FROM items WHERE id=?", -1, &st,
			       NULL) != SQLITE_OK)
		return MAMORI_EFORMAT;
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	if (s == SQLITE_DONE)
		FAIL(MAMORI_ENOENT);
	if (s != SQLITE_ROW)
		FAIL(MAMORI_EFORMAT);
	rc = read_row(st, it, blob, blobn);
out:
	sqlite3_finalize(st);
	return rc;
}

int rm_store_drop_pending(sqlite3 *db, const char *qdir, const char *journal)
{
	sqlite3_stmt *st = NULL;
	char path[4096];
	int rc = 0;
	if (sqlite3_prepare_v2(db, "SELECT blob FROM items WHERE journal=? AND status='pending'",
			       -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EFORMAT;
	sqlite3_bind_text(st, 1, journal, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *b = sqlite3_column_text(st, 0);
		if (b && *b && !strchr((const char *)b, '/')) {
			snprintf(path, sizeof(path), "%s/store/%s", qdir, (const char *)b);
			unlink(path);
		}
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "DELETE FROM items WHERE journal=? AND status='pending'", -1,
			       &st, NULL) != SQLITE_OK)
		return MAMORI_EFORMAT;
	sqlite3_bind_text(st, 1, journal, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = MAMORI_EIO;
	sqlite3_finalize(st);
	return rc;
}

int mamori_quar_list(const char *qdir, mamori_quar_item_fn fn, void *ctx,
		     struct mamori_diag *diag)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc;
	snprintf(path, sizeof(path), "%s/manifest.db", qdir);
	if (stat(path, &sb) < 0) {
		mamori_diag_set(diag, 0, 0, "no quarantine manifest at %s", path);
		return MAMORI_ENOENT;
	}
	CHECK(rm_store_open(qdir, &db, diag));
	if (sqlite3_prepare_v2(db, "SELECT " ROW_COLS " FROM items ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		mamori_diag_set(diag, 0, 0, "manifest %s: %s", path, sqlite3_errmsg(db));
		FAIL(MAMORI_EFORMAT);
	}
	for (;;) {
		struct mamori_quar_item it;
		int s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			mamori_diag_set(diag, 0, 0, "manifest %s: %s", path, sqlite3_errmsg(db));
			FAIL(MAMORI_EFORMAT);
		}
		if (read_row(st, &it, NULL, 0) < 0) {
			mamori_diag_set(diag, 0, 0, "manifest %s: row %lld is damaged", path,
					(long long)it.id);
			FAIL(MAMORI_EFORMAT);
		}
		if (fn(&it, ctx))
			break;
	}
out:
	sqlite3_finalize(st);
	rm_store_close(db);
	return rc;
}

int mamori_quar_purge(const char *qdir, int64_t id, struct mamori_diag *diag)
{
	struct mamori_quar_item it;
	char blob[256], path[4096];
	sqlite3 *db = NULL;
	int rc;
	CHECK(rm_store_open(qdir, &db, diag));
	rc = rm_store_get_item(db, id, &it, blob, sizeof(blob));
	if (rc == MAMORI_ENOENT)
		mamori_diag_set(diag, 0, 0, "no quarantined item %lld", (long long)id);
	else if (rc < 0)
		mamori_diag_set(diag, 0, 0, "manifest row %lld is damaged", (long long)id);
	if (rc < 0)
		goto out;
	if (strcmp(it.status, "quarantined")) {
		mamori_diag_set(diag, 0, 0, "item %lld is %s, not quarantined", (long long)id,
				it.status);
		FAIL(MAMORI_ESTATE);
	}
	CHECK(rm_store_set_status(db, id, "purged"));
	snprintf(path, sizeof(path), "%s/store/%s", qdir, blob);
	if (unlink(path) < 0 && errno != ENOENT)
		FAIL(rm_errno(errno));
out:
	rm_store_close(db);
	return rc;
}
