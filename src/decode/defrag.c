/*
 * IPv4 and IPv6 fragment reassembly, one instance per decoder (worker).
 *
 * Why hand-written: fragments are rare but adversarial (overlaps, floods,
 * oversize trains); the policy and the memory bound must be ours, and no
 * maintained C library does this outside a full IDS.
 *
 * Model.  A train collects the fragments of one datagram, keyed by
 * (IP version, src, dst, id, outer VLAN, and for IPv4 the protocol — the
 * check whose absence was Suricata's CVE-2017-7177; an IPv6 datagram's next
 * header is the first fragment's, RFC 8200 4.5).  It holds
 * the first fragment's unfragmentable part (IPv4 header with options, or
 * IPv6 header + extension headers before the fragment header) and a list of
 * non-overlapping pieces sorted by offset.  When the last fragment (MF=0)
 * has fixed the end and the pieces cover [0, end), the datagram is rebuilt
 * into one malloc'd buffer handed to the caller, and the train is freed.
 *
 * Overlap policy: FIRST WINS (Suricata's "first" policy, not its default
 * "bsd", which lets a later fragment win when it starts earlier; first-wins
 * matches the stream engine's first-data-wins).  A new fragment only
 * fills the holes no earlier fragment covered; any overlap, identical or
 * not, counts FRAG_OVERLAP.  The first end seen (MF=0) is the end; bytes
 * past it are ignored (FRAG_OVERLAP); the first offset-0 fragment's header
 * is the header.
 *
 * Bounds: every train and piece (struct + bytes) counts towards
 * cfg.defrag_memcap; a fragment that would exceed it is dropped with its
 * train (FRAG_MEMCAP).  A train over DEFRAG_MAX_PIECES pieces is dropped
 * (FRAG_TOO_MANY); a datagram that would exceed 65535 bytes is dropped
 * (FRAG_TOO_LARGE).  Trains idle longer than cfg.defrag_timeout_sec are
 * dropped (FRAG_TIMEOUT) by defrag_expire(), which defrag_add() also calls
 * with each fragment's time.  Trains sit on an LRU list ordered by their
 * last fragment, so expiry only looks at the head.  The rebuilt datagram is
 * not counted: it leaves with the packet that owns it.
 *
 * Train lifetime (transition, function):
 *   none    → holding   defrag_add() on a train's first fragment
 *   holding → holding   defrag_add() storing a fragment
 *   holding → complete  defrag_add() → defrag_build(), train freed
 *   holding → dropped   defrag_expire() timeout, or defrag_add() on
 *                       memcap / too large / too many pieces
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "decode/decode_int.h"

#define DEFRAG_BUCKETS 4096u	/* power of two */

struct piece {
	struct piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct defrag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint16_t vlan;
	uint8_t ipver, proto;
};

struct train {
	struct defrag_key key;
	uint32_t hash;
	struct train *hnext;
	struct train *lru_prev, *lru_next;
	uint64_t last_ts;
	struct piece *pieces;	/* sorted by off, non-overlapping */
	uint32_t npieces;
	uint32_t covered;	/* bytes in pieces */
	uint32_t end;		/* valid when has_last */
	bool has_last;
	uint8_t *hdr;		/* unfragmentable part of the first fragment */
	uint32_t hdr_len, nh_off;
	uint8_t proto;		/* IPv6: next header of the first fragment */
};

struct defrag {
	uint32_t seed;		/* per-instance hash key: no chosen collisions */
	struct train *buckets[DEFRAG_BUCKETS];
	struct train *lru_head, *lru_tail;	/* head = idle longest */
	size_t inuse;
};

struct defrag *defrag_new(void)
{
	struct defrag *df = calloc(1, sizeof(*df));
	if (!df)
		return NULL;
	/* Only lookup speed depends on the seed, never the output, so runs
	 * stay deterministic. */
	if (getrandom(&df->seed, sizeof(df->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(df->seed))
		df->seed = (uint32_t)((uintptr_t)df >> 4) ^ (uint32_t)time(NULL);
	return df;
}

size_t defrag_inuse(const struct defrag *df)
{
	return df->inuse;
}

static uint32_t defrag_hash(const struct defrag *df,
			    const struct defrag_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u ^ df->seed;	/* FNV-1a, keyed */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h ^ (h >> 15);
}

static void defrag_lru_unlink(struct defrag *df, struct train *t)
{
	if (t->lru_prev)
		t->lru_prev->lru_next = t->lru_next;
	else
		df->lru_head = t->lru_next;
	if (t->lru_next)
		t->lru_next->lru_prev = t->lru_prev;
	else
		df->lru_tail = t->lru_prev;
	t->lru_prev = t->lru_next = NULL;
}

static void defrag_lru_append(struct defrag *df, struct train *t)
{
	t->lru_prev = df->lru_tail;
	t->lru_next = NULL;
	if (df->lru_tail)
		df->lru_tail->lru_next = t;
	else
		df->lru_head = t;
	df->lru_tail = t;
}

static void defrag_piece_free(struct defrag *df, struct piece *pc)
{
	df->inuse -= sizeof(*pc) + pc->len;
	free(pc);
}

/* Unlinks t from the hash and LRU and frees it with everything it holds. */
static void defrag_train_free(struct defrag *df, struct train *t)
{
	struct train **link = &df->buckets[t->hash & (DEFRAG_BUCKETS - 1)];
	while (*link && *link != t)
		link = &(*link)->hnext;
	if (*link)
		*link = t->hnext;
	defrag_lru_unlink(df, t);
	struct piece *pc = t->pieces;
	while (pc) {
		struct piece *next = pc->next;
		defrag_piece_free(df, pc);
		pc = next;
	}
	if (t->hdr) {
		df->inuse -= t->hdr_len;
		free(t->hdr);
	}
	df->inuse -= sizeof(*t);
	free(t);
}

void defrag_free(struct defrag *df)
{
	if (!df)
		return;
	while (df->lru_head)
		defrag_train_free(df, df->lru_head);
	free(df);
}

void defrag_expire(struct decoder *d, uint64_t now_usec)
{
	struct defrag *df = d->defrag;
	uint64_t tmo = (uint64_t)d->cfg.defrag_timeout_sec * 1000000u;
	while (df->lru_head && now_usec > df->lru_head->last_ts &&
	       now_usec - df->lru_head->last_ts > tmo) {
		d->events[DEV_FRAG_TIMEOUT]++;
		defrag_train_free(df, df->lru_head);
	}
}

static struct train *defrag_lookup(struct defrag *df,
				   const struct defrag_key *k, uint32_t hash)
{
	struct train *t = df->buckets[hash & (DEFRAG_BUCKETS - 1)];
	for (; t; t = t->hnext)
		if (t->hash == hash && memcmp(&t->key, k, sizeof(*k)) == 0)
			return t;
	return NULL;
}

/* Fixes the end of the datagram; drops or cuts pieces beyond it. */
static void defrag_set_end(struct decoder *d, struct train *t, uint32_t end)
{
	struct defrag *df = d->defrag;
	bool cut = false;
	t->has_last = true;
	t->end = end;
	for (struct piece **link = &t->pieces; *link;) {
		struct piece *pc = *link;
		if (pc->off >= end) {
			*link = pc->next;
			t->covered -= pc->len;
			t->npieces--;
			defrag_piece_free(df, pc);
			cut = true;
			continue;
		}
		if (pc->off + pc->len > end) {
			uint32_t drop = pc->off + pc->len - end;
			pc->len -= drop;	/* the tail stays allocated */
			df->inuse -= drop;
			t->covered -= drop;
			cut = true;
		}
		link = &pc->next;
	}
	if (cut)
		d->events[DEV_FRAG_OVERLAP]++;
}

/*
 * Walks the holes of [s, e) not covered by t's pieces.  With insert false it
 * only counts them (*gaps, *bytes); with insert true it stores them from
 * data (data[0] is offset s).  Returns true when [s, e) overlapped a piece.
 */
static bool defrag_fill(struct defrag *df, struct train *t, uint32_t s,
			uint32_t e, const uint8_t *data, bool insert,
			uint32_t *gaps, uint32_t *bytes)
{
	bool overlap = false;
	uint32_t pos = s;
	struct piece **link = &t->pieces;
	*gaps = *bytes = 0;
	while (pos < e) {
		struct piece *pc = *link;
		uint32_t hole_end = e;
		if (pc && pc->off + pc->len <= pos) {
			link = &pc->next;
			continue;
		}
		if (pc && pc->off < e) {
			overlap = true;
			hole_end = pc->off > pos ? pc->off : pos;
		}
		if (hole_end > pos) {
			uint32_t n = hole_end - pos;
			(*gaps)++;
			*bytes += n;
			if (insert) {
				struct piece *np = malloc(sizeof(*np) + n);
				if (!np)	/* checked by the caller's dry run */
					return overlap;
				np->off = pos;
				np->len = n;
				memcpy(np->data, data + (pos - s), n);
				np->next = pc;
				*link = np;
				link = &np->next;
				df->inuse += sizeof(*np) + n;
				t->npieces++;
				t->covered += n;
			}
			pos = hole_end;
		}
		if (pc && pc->off < e) {
			/* skip over the existing piece: first wins */
			uint32_t pend = pc->off + pc->len;
			pos = pend > pos ? pend : pos;
			link = &pc->next;
		}
	}
	return overlap;
}

/* Rebuilds the datagram of a complete train into a new buffer. */
static uint8_t *defrag_build(const struct train *t, uint32_t *out_len)
{
	uint32_t total = t->hdr_len + t->end;
	uint8_t *buf = malloc(total ? total : 1);
	if (!buf)
		return NULL;
	memcpy(buf, t->hdr, t->hdr_len);
	for (const struct piece *pc = t->pieces; pc; pc = pc->next)
		memcpy(buf + t->hdr_len + pc->off, pc->data, pc->len);
	if (t->key.ipver == 4) {
		buf[2] = (uint8_t)(total >> 8);
		buf[3] = (uint8_t)total;
		buf[6] &= 0x40;		/* keep DF, clear MF and the offset */
		buf[7] = 0;
		buf[10] = buf[11] = 0;
		/* host-order sum, stored in host order: the right bytes */
		uint16_t sum = (uint16_t)~decode_csum_fold(
			decode_csum_add(0, buf, t->hdr_len));
		memcpy(buf + 10, &sum, 2);
	} else {
		uint32_t plen = total - 40;
		buf[4] = (uint8_t)(plen >> 8);
		buf[5] = (uint8_t)plen;
		buf[t->nh_off] = t->proto;
	}
	*out_len = total;
	return buf;
}

int defrag_add(struct decoder *d, const struct frag_info *fi, uint8_t **out,
	       uint32_t *out_len)
{
	struct defrag *df = d->defrag;
	struct defrag_key k;
	uint32_t gaps, bytes;

	*out = NULL;
	*out_len = 0;
	defrag_expire(d, fi->ts_usec);

	memset(&k, 0, sizeof(k));
	memcpy(k.src, fi->src->a, 16);
	memcpy(k.dst, fi->dst->a, 16);
	k.id = fi->id;
	k.vlan = fi->vlan;
	k.ipver = fi->ipver;
	/* IPv6 fragments after the first may name any next header (only the
	 * first's counts, RFC 8200 4.5), so it is not part of the v6 key. */
	k.proto = fi->ipver == 4 ? fi->proto : 0;
	uint32_t hash = defrag_hash(df, &k);
	struct train *t = defrag_lookup(df, &k, hash);

	/* Largest end this fragment's header allows (IPv6 counts from the
	 * payload length, which excludes the fixed 40-byte header). */
	uint32_t fixed = fi->ipver == 6 ? 40 : 0;
	uint32_t max_end = DEFRAG_MAX_DATAGRAM - (fi->hdr_len - fixed);
	uint32_t s = fi->off;
	uint32_t e = fi->off + fi->len;
	if (e > max_end) {
		d->events[DEV_FRAG_TOO_LARGE]++;
		goto drop;
	}
	if (!t) {
		if (df->inuse + sizeof(*t) > d->cfg.defrag_memcap) {
			d->events[DEV_FRAG_MEMCAP]++;
			return 0;
		}
		t = calloc(1, sizeof(*t));
		if (!t) {
			d->events[DEV_FRAG_MEMCAP]++;
			return 0;
		}
		t->key = k;
		t->hash = hash;
		t->hnext = df->buckets[hash & (DEFRAG_BUCKETS - 1)];
		df->buckets[hash & (DEFRAG_BUCKETS - 1)] = t;
		df->inuse += sizeof(*t);
		defrag_lru_append(df, t);
	} else {
		defrag_lru_unlink(df, t);
		defrag_lru_append(df, t);
	}
	t->last_ts = fi->ts_usec;

	if (!fi->more) {
		if (!t->has_last)
			defrag_set_end(d, t, e);
		else if (e != t->end)
			d->events[DEV_FRAG_OVERLAP]++;	/* second end: ignored */
	}
	if (t->has_last && e > t->end) {
		d->events[DEV_FRAG_OVERLAP]++;
		e = s < t->end ? t->end : s;
	}

	bool need_hdr = s == 0 && !t->hdr;
	defrag_fill(df, t, s, e, fi->data, false, &gaps, &bytes);
	if (t->npieces + gaps > DEFRAG_MAX_PIECES) {
		d->events[DEV_FRAG_TOO_MANY]++;
		goto drop;
	}
	size_t need = (size_t)bytes + (size_t)gaps * sizeof(struct piece) +
		      (need_hdr ? fi->hdr_len : 0);
	if (df->inuse + need > d->cfg.defrag_memcap) {
		d->events[DEV_FRAG_MEMCAP]++;
		goto drop;
	}
	if (need_hdr) {
		t->hdr = malloc(fi->hdr_len ? fi->hdr_len : 1);
		if (!t->hdr) {
			d->events[DEV_FRAG_MEMCAP]++;
			goto drop;
		}
		memcpy(t->hdr, fi->hdr, fi->hdr_len);
		t->hdr_len = fi->hdr_len;
		t->nh_off = fi->nh_off;
		t->proto = fi->proto;
		df->inuse += fi->hdr_len;
	}
	uint32_t stored_gaps, stored;
	if (defrag_fill(df, t, s, e, fi->data, true, &stored_gaps, &stored))
		d->events[DEV_FRAG_OVERLAP]++;
	if (!t->has_last || !t->hdr || t->covered != t->end)
		return 0;

	/* Complete.  The first fragment's header decides the size. */
	if (t->hdr_len - (t->key.ipver == 6 ? 40u : 0u) + (uint64_t)t->end >
	    DEFRAG_MAX_DATAGRAM) {
		d->events[DEV_FRAG_TOO_LARGE]++;
		goto drop;
	}
	*out = defrag_build(t, out_len);
	defrag_train_free(df, t);
	if (!*out) {
		d->events[DEV_FRAG_MEMCAP]++;
		return 0;
	}
	return 1;
drop:
	if (t)
		defrag_train_free(df, t);
	return 0;
}
