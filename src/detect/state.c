/*
 * Shared state tables of the detection engine; see state.h.
 *
 * The key/value table is a chained hash with a fixed bucket count; each
 * entry stores its key inline (at most DETECT_KV_KEY_MAX bytes), so one
 * allocation per entry and a memcap counted in entry sizes.  Expired
 * entries are unlinked lazily when their chain is walked.
 *
 * A dataset is an open-addressing hash set of byte strings (each entry
 * one allocation: length + bytes), grown by doubling up to its memcap.
 * Both are plain data structures over trusted keys the engine builds;
 * untrusted input only arrives as dataset file lines, which are
 * length-checked and decoded with OpenSSL's base64 decoder.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/state.h"

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;	/* FNV-1a 64 */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* ---- key/value table ---------------------------------------------------- */

#define KV_BUCKETS 65536u

struct kv_ent {
	struct kv_ent *next;
	struct detect_kv_val v;
	uint8_t klen;
	uint8_t key[DETECT_KV_KEY_MAX];
};

struct detect_kv {
	struct kv_ent **b;
	uint64_t memcap, memuse;
	size_t n;
};

struct detect_kv *detect_kv_new(uint64_t memcap)
{
	struct detect_kv *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->b = calloc(KV_BUCKETS, sizeof(*t->b));
	if (!t->b) {
		free(t);
		return NULL;
	}
	t->memcap = memcap;
	return t;
}

void detect_kv_free(struct detect_kv *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < KV_BUCKETS; i++) {
		struct kv_ent *e = t->b[i];
		while (e) {
			struct kv_ent *n = e->next;
			free(e);
			e = n;
		}
	}
	free(t->b);
	free(t);
}

struct detect_kv_val *detect_kv_get(struct detect_kv *t, const void *key, size_t klen,
				    bool create, uint64_t now)
{
	if (klen > DETECT_KV_KEY_MAX)
		return NULL;
	struct kv_ent **pp = &t->b[hash_bytes(key, klen) & (KV_BUCKETS - 1)];
	while (*pp) {
		struct kv_ent *e = *pp;
		if (e->v.expire && e->v.expire <= now) {
			*pp = e->next;
			free(e);
			t->n--;
			t->memuse -= sizeof(*e);
			continue;
		}
		if (e->klen == klen && !memcmp(e->key, key, klen))
			return &e->v;
		pp = &e->next;
	}
	if (!create || t->memuse + sizeof(struct kv_ent) > t->memcap)
		return NULL;
	struct kv_ent *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->klen = (uint8_t)klen;
	memcpy(e->key, key, klen);
	*pp = e;
	t->n++;
	t->memuse += sizeof(*e);
	return &e->v;
}

void detect_kv_del(struct detect_kv *t, const void *key, size_t klen)
{
	if (klen > DETECT_KV_KEY_MAX)
		return;
	struct kv_ent **pp = &t->b[hash_bytes(key, klen) & (KV_BUCKETS - 1)];
	for (; *pp; pp = &(*pp)->next) {
		struct kv_ent *e = *pp;
		if (e->klen == klen && !memcmp(e->key, key, klen)) {
			*pp = e->next;
			free(e);
			t->n--;
			t->memuse -= sizeof(*e);
			return;
		}
	}
}

size_t detect_kv_count(const struct detect_kv *t)
{
	return t->n;
}

/* ---- datasets ------------------------------------------------------------ */

struct ds_ent {
	uint32_t len;
	uint8_t v[];
};

struct detect_dataset {
	char *name;
	uint8_t type;		/* enum rule_ds_type */
	struct ds_ent **slot;	/* open addressing, NULL = empty, TOMB = removed */
	size_t cap, n, used;	/* used counts tombstones too */
	uint64_t memcap, memuse;
};

static struct ds_ent tomb_ent;
#define TOMB (&tomb_ent)
#define DS_MAX_LINE 65536

static size_t ds_find(const struct detect_dataset *ds, const uint8_t *v, size_t n, bool *found)
{
	size_t mask = ds->cap - 1, i = (size_t)hash_bytes(v, n) & mask, first_free = SIZE_MAX;
	for (;;) {
		struct ds_ent *e = ds->slot[i];
		if (!e) {
			*found = false;
			return first_free != SIZE_MAX ? first_free : i;
		}
		if (e == TOMB) {
			if (first_free == SIZE_MAX)
				first_free = i;
		} else if (e->len == n && !memcmp(e->v, v, n)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

bool detect_dataset_has(const struct detect_dataset *ds, const uint8_t *v, size_t n)
{
	bool found;
	(void)ds_find(ds, v, n, &found);
	return found;
}

static int ds_grow(struct detect_dataset *ds)
{
	size_t ncap = ds->cap * 2;
	uint64_t extra = (uint64_t)(ncap - ds->cap) * sizeof(void *);
	if (ds->memuse + extra > ds->memcap)
		return MAMORI_ELIMIT;
	struct ds_ent **ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return MAMORI_ENOMEM;
	for (size_t i = 0; i < ds->cap; i++) {
		struct ds_ent *e = ds->slot[i];
		if (!e || e == TOMB)
			continue;
		size_t j = (size_t)hash_bytes(e->v, e->len) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = e;
	}
	free(ds->slot);
	ds->slot = ns;
	ds->memuse += extra;
	ds->cap = ncap;
	ds->used = ds->n;
	return 0;
}

int detect_dataset_add(struct detect_dataset *ds, const uint8_t *v, size_t n)
{
	if ((ds->used + 1) * 4 > ds->cap * 3) {
		int rc = ds_grow(ds);
		if (rc)
			return rc;
	}
	bool found;
	size_t i = ds_find(ds, v, n, &found);
	if (found)
		return 0;
	uint64_t sz = sizeof(struct ds_ent) + n;
	if (ds->memuse + sz > ds->memcap || n > UINT32_MAX)
		return MAMORI_ELIMIT;
	struct ds_ent *e = malloc(sizeof(*e) + n);
	if (!e)
		return MAMORI_ENOMEM;
	e->len = (uint32_t)n;
	memcpy(e->v, v, n);
	if (ds->slot[i] != TOMB)
		ds->used++;
	ds->slot[i] = e;
	ds->n++;
	ds->memuse += sz;
	return 0;
}

void detect_dataset_remove(struct detect_dataset *ds, const uint8_t *v, size_t n)
{
	bool found;
	size_t i = ds_find(ds, v, n, &found);
	if (!found)
		return;
	ds->memuse -= sizeof(struct ds_ent) + ds->slot[i]->len;
	free(ds->slot[i]);
	ds->slot[i] = TOMB;
	ds->n--;
}

size_t detect_dataset_count(const struct detect_dataset *ds)
{
	return ds->n;
}

static void ds_free(struct detect_dataset *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->cap; i++)
		if (ds->slot[i] && ds->slot[i] != TOMB)
			free(ds->slot[i]);
	free(ds->slot);
	free(ds->name);
	free(ds);
}

void detect_datasets_release(struct detect_datasets *sets)
{
	for (size_t i = 0; i < sets->n; i++)
		ds_free(sets->v[i]);
	free(sets->v);
	sets->v = NULL;
	sets->n = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one file line into out (cap bytes); returns its length or -1. */
static long ds_decode_line(uint8_t type, char *line, uint8_t *out, size_t cap)
{
	char *comma = strchr(line, ',');
	if (comma)
		*comma = 0;
	size_t n = strlen(line);
	if (type == RULE_DS_MD5 || type == RULE_DS_SHA256) {
		size_t want = type == RULE_DS_MD5 ? 16 : 32;
		if (n != want * 2)
			return -1;
		for (size_t i = 0; i < want; i++) {
			int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			out[i] = (uint8_t)(hi << 4 | lo);
		}
		return (long)want;
	}
	if (type != RULE_DS_STRING)
		return -1;
	if (n % 4 || n / 4 * 3 > cap)
		return -1;
	if (n == 0)
		return 0;
	int r = EVP_DecodeBlock(out, (const unsigned char *)line, (int)n);
	if (r < 0)
		return -1;
	size_t pad = 0;
	if (line[n - 1] == '=')
		pad++;
	if (n > 1 && line[n - 2] == '=')
		pad++;
	return (long)((size_t)r - pad);
}

int detect_dataset_parse(struct detect_dataset *ds, const char *src, const char *data,
			 size_t len, struct mamori_diag *diag)
{
	int rc = 0;
	char *line = malloc(DS_MAX_LINE);
	uint8_t *dec = malloc(DS_MAX_LINE);
	if (!line || !dec) {
		rc = MAMORI_ENOMEM;
		goto out;
	}
	unsigned lineno = 0;
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : len - off;
		lineno++;
		if (n >= DS_MAX_LINE) {
			mamori_diag_set(diag, lineno, 0, "dataset '%s': %s:%u: line too long",
					ds->name, src, lineno);
			rc = MAMORI_EINVAL;
			goto out;
		}
		memcpy(line, data + off, n);
		line[n] = 0;
		off += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			line[--n] = 0;
		if (n == 0 || line[0] == '#')
			continue;
		if (memchr(line, 0, n)) {
			mamori_diag_set(diag, lineno, 0, "dataset '%s': %s:%u: bad value",
					ds->name, src, lineno);
			rc = MAMORI_EINVAL;
			goto out;
		}
		long dl = ds_decode_line(ds->type, line, dec, DS_MAX_LINE);
		if (dl < 0) {
			mamori_diag_set(diag, lineno, 0, "dataset '%s': %s:%u: bad value",
					ds->name, src, lineno);
			rc = MAMORI_EINVAL;
			goto out;
		}
		rc = detect_dataset_add(ds, dec, (size_t)dl);
		if (rc) {
			mamori_diag_set(diag, lineno, 0, "dataset '%s': %s:%u: %s", ds->name,
					src, lineno, mamori_strerror(rc));
			goto out;
		}
	}
out:
	free(line);
	free(dec);
	return rc;
}

/* Reads the whole file, refusing one larger than twice the set's memcap
 * (its values would not fit anyway), then parses it. */
static int ds_load(struct detect_dataset *ds, const char *path, struct mamori_diag *diag)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		mamori_diag_set(diag, 0, 0, "dataset '%s': cannot read '%s'", ds->name, path);
		return MAMORI_EIO;
	}
	int rc = 0;
	size_t cap = 0, len = 0, max = (size_t)(ds->memcap > (1ull << 32) ? (1ull << 32)
								    : ds->memcap * 2 + 4096);
	char *buf = NULL;
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				mamori_diag_set(diag, 0, 0, "dataset '%s': '%s' exceeds the memcap",
						ds->name, path);
				rc = MAMORI_ELIMIT;
				goto out;
			}
			size_t nc = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, nc);
			if (!nb) {
				rc = MAMORI_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		size_t r = fread(buf + len, 1, cap - len, fp);
		if (r == 0)
			break;
		len += r;
	}
	if (ferror(fp)) {
		mamori_diag_set(diag, 0, 0, "dataset '%s': error reading '%s'", ds->name, path);
		rc = MAMORI_EIO;
		goto out;
	}
	rc = detect_dataset_parse(ds, path, buf ? buf : "", len, diag);
out:
	free(buf);
	fclose(fp);
	return rc;
}

int detect_dataset_new(const char *name, uint8_t type, uint64_t memcap,
		       struct detect_dataset **out)
{
	struct detect_dataset *ds = calloc(1, sizeof(*ds));
	if (!ds)
		return MAMORI_ENOMEM;
	ds->name = strdup(name);
	ds->type = type;
	ds->cap = 64;
	ds->slot = calloc(ds->cap, sizeof(*ds->slot));
	ds->memcap = memcap;
	ds->memuse = ds->cap * sizeof(void *);
	if (!ds->name || !ds->slot) {
		ds_free(ds);
		return MAMORI_ENOMEM;
	}
	*out = ds;
	return 0;
}

void detect_dataset_free(struct detect_dataset *ds)
{
	ds_free(ds);
}

int detect_dataset_get(struct detect_datasets *sets, const struct rule_dataset *d,
		       const char *dir, uint64_t default_memcap,
		       struct detect_dataset **out, struct mamori_diag *diag)
{
	for (size_t i = 0; i < sets->n; i++) {
		if (strcmp(sets->v[i]->name, d->name))
			continue;
		if (sets->v[i]->type != d->type) {
			mamori_diag_set(diag, 0, 0, "dataset '%s': type differs from an earlier rule",
					d->name);
			return MAMORI_EINVAL;
		}
		*out = sets->v[i];
		return 0;
	}
	if (d->type != RULE_DS_STRING && d->type != RULE_DS_MD5 && d->type != RULE_DS_SHA256) {
		mamori_diag_set(diag, 0, 0, "dataset '%s': type not supported", d->name);
		return MAMORI_EUNSUPPORTED;
	}
	struct detect_dataset *ds = NULL;
	int rc = detect_dataset_new(d->name, d->type, d->memcap ? d->memcap : default_memcap, &ds);
	if (rc)
		return rc;
	if (d->load) {
		char path[4096];
		if (d->load[0] == '/' || !dir || !dir[0])
			snprintf(path, sizeof(path), "%s", d->load);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, d->load);
		rc = ds_load(ds, path, diag);
		if (rc)
			goto fail;
	}
	struct detect_dataset **nv = realloc(sets->v, (sets->n + 1) * sizeof(*nv));
	if (!nv) {
		rc = MAMORI_ENOMEM;
		goto fail;
	}
	sets->v = nv;
	sets->v[sets->n++] = ds;
	*out = ds;
	return 0;
fail:
	ds_free(ds);
	return rc;
}
