/*
 * Hash IOCs (md5 / sha1 / sha256 lines of the IOC lists, see ioc.c).
 * Digests are computed with OpenSSL EVP, and only for the algorithms some
 * loaded list uses: with no hash list loaded this analyzer costs nothing.
 * Entries are kept sorted by (algorithm, digest) and looked up with
 * bsearch; the set is read-only once the scan starts.
 *
 * Finding: <family>.ioc.hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_int.h"

#define HASH_MAX_ENTRIES 1000000

static const char *const hash_algos[] = {"md5", "sha1", "sha256"};
#define N_ALGOS (sizeof(hash_algos) / sizeof(hash_algos[0]))

struct hash_entry {
	unsigned algo;
	char hex[65];		/* lowercase */
	char *family;
	char *indicator;
	char *source;
	unsigned score;
};

struct host_hash_set {
	struct hash_entry *v;
	size_t n, alloc;
	bool have[N_ALGOS];
};

void host_hash_free(struct host_hash_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].family);
		free(s->v[i].indicator);
		free(s->v[i].source);
	}
	free(s->v);
	free(s);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct hash_entry *x = a, *y = b;
	if (x->algo != y->algo)
		return x->algo < y->algo ? -1 : 1;
	return strcmp(x->hex, y->hex);
}

int host_hash_add(struct mamori_host_scanner *sc, const char *algo,
		  const char *hex, const char *family, unsigned score,
		  const char *source)
{
	unsigned a;
	for (a = 0; a < N_ALGOS; a++)
		if (!strcmp(algo, hash_algos[a]))
			break;
	if (a == N_ALGOS)
		return MAMORI_EINVAL;
	if (!sc->hashes && !(sc->hashes = calloc(1, sizeof(*sc->hashes))))
		return MAMORI_ENOMEM;
	struct host_hash_set *s = sc->hashes;
	if (s->n >= HASH_MAX_ENTRIES)
		return MAMORI_ELIMIT;
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 64;
		struct hash_entry *nv = realloc(s->v, na * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		s->v = nv;
		s->alloc = na;
	}
	struct hash_entry *e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	e->algo = a;
	e->score = score;
	size_t i;
	for (i = 0; hex[i] && i < 64; i++)
		e->hex[i] = (char)((hex[i] >= 'A' && hex[i] <= 'Z') ? hex[i] + 32 : hex[i]);
	e->hex[i] = 0;
	char ind[160];
	snprintf(ind, sizeof(ind), "%s.ioc.hash", family);
	e->family = strdup(family);
	e->indicator = strdup(ind);
	e->source = strdup(source);
	if (!e->family || !e->indicator || !e->source) {
		free(e->family);
		free(e->indicator);
		free(e->source);
		return MAMORI_ENOMEM;
	}
	s->n++;
	s->have[a] = true;
	sc->n_hash++;
	return 0;
}

void host_hash_sort(struct host_hash_set *s)
{
	if (s)
		qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
}

int host_hash_run(struct host_file *f)
{
	const struct host_hash_set *s = f->sc->hashes;
	if (!s)
		return 0;
	for (unsigned a = 0; a < N_ALGOS; a++) {
		if (!s->have[a])
			continue;
		struct hash_entry key = {.algo = a};
		if (a == 2 && f->have_sha256) {
			memcpy(key.hex, f->sha256, sizeof(key.hex));
		} else {
			if (host_digest_hex(hash_algos[a], f->data, f->size, key.hex) != 0)
				continue;
			if (a == 2) {
				memcpy(f->sha256, key.hex, sizeof(f->sha256));
				f->have_sha256 = true;
			}
		}
		const struct hash_entry *e = bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_entry);
		if (!e)
			continue;
		int rc = host_emit(f, e->family, e->indicator, host_score_severity(e->score),
				   e->source, "%s %s is a known-bad digest (score %u)",
				   hash_algos[a], e->hex, e->score);
		if (rc)
			return rc;
	}
	return 0;
}
