/*
 * Bidirectional flow table (see flow.h for the lifetime table).
 *
 * Why hand-written: this is the per-packet path; every packet does one hash,
 * one bucket walk and a few list splices, with no allocation except when a
 * flow is created.
 *
 * Layout:
 *   - buckets[hash & mask]: singly linked chains through f->hnext (the
 *     bucket count is hash_size rounded up to a power of two).
 *   - four LRU lists, one per timeout class (NEW, TCP ESTABLISHED, CLOSED,
 *     UDP/other ESTABLISHED).  Each list is ordered by last use, newest at
 *     the head, so expiry walks each list from its tail and stops at the
 *     first flow that has not timed out: every flow is visited once when it
 *     expires plus at most one visit per list per call, i.e. amortised O(1)
 *     per packet.  A flow moves to the head of its class list on each
 *     packet.  Memcap eviction takes the least recently used tail of the
 *     four lists.
 *   - The stream engine changes f->state after flow_table_get() returned
 *     the flow; the table notices at its next call (t->last is re-classed
 *     first thing in get/expire/flush), which keeps each list sorted since
 *     that flow is the most recently used one.  A flow whose state was
 *     changed any other way is re-classed when expiry meets it.
 *
 * Invariants:
 *   - every live flow is in exactly one bucket chain and one LRU list,
 *     the one named by f->lru_class;
 *   - memuse == active * sizeof(struct flow) <= memcap (after eviction);
 *   - on_end runs exactly once per flow, before it is freed.
 *
 * Keys: (proto, vlan, {addr,port} pair).  The hash sorts the two endpoints
 * so both directions give the same value, independent of the table (it is
 * also the worker dispatch hash).  ICMP/ICMPv6 flows are keyed by the two
 * addresses only (ports are 0; the echo identifier is not part of the key),
 * so all ICMP between two hosts is one flow.  QinQ packets are keyed by the
 * outer VLAN id.
 *
 * flow_id: a 64-bit mix of the hash, the first packet's timestamp and
 * capture index, cut to 53 bits so JSON readers keep it exact.  It does not
 * depend on the table or the worker count, so a given capture gives the
 * same ids on every run.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

enum flow_class { FC_NEW, FC_TCP_EST, FC_CLOSED, FC_OTHER_EST, FC_MAX };

struct flow_list {
	struct flow *head, *tail;	/* head = most recently used */
};

struct flow_table {
	struct flow_table_config cfg;
	flow_end_fn on_end;
	void *ctx;
	struct flow **buckets;
	uint32_t mask;
	struct flow_list lru[FC_MAX];
	uint64_t timeout_us[FC_MAX];
	struct flow *last;		/* flow returned by the last get */
	struct flow_stats st;
};

#define USEC 1000000ull

void flow_table_config_defaults(struct flow_table_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = (size_t)128 << 20;
	cfg->hash_size = 65536;
	cfg->timeout_new = 30;
	cfg->timeout_established = 300;
	cfg->timeout_closed = 10;
	cfg->timeout_udp = 60;
	cfg->seed = 0x6d616d6fu;
}

/* ---- hashing ------------------------------------------------------------ */

static inline uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* MurmurHash3 x86_32 body/finaliser over 32-bit words. */
static inline uint32_t mix_word(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5u + 0xe6546b64u;
}

static inline uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t packet_vlan(const struct packet *p)
{
	return p->vlan_count ? p->vlan[0] : 0;
}

/* Symmetric hash: the lower (address, port) endpoint is mixed first. */
static uint32_t hash_tuple(const struct mamori_addr *x, uint16_t px,
			   const struct mamori_addr *y, uint16_t py,
			   uint8_t proto, uint16_t vlan, uint32_t seed)
{
	int c = memcmp(x->a, y->a, sizeof(x->a));
	if (c > 0 || (c == 0 && px > py)) {
		const struct mamori_addr *ta = x;
		uint16_t tp = px;
		x = y;
		px = py;
		y = ta;
		py = tp;
	}
	uint32_t h = seed;
	unsigned words = x->family == 6 ? 4 : 1;
	for (unsigned i = 0; i < words; i++)
		h = mix_word(h, load32(x->a + 4 * i));
	for (unsigned i = 0; i < words; i++)
		h = mix_word(h, load32(y->a + 4 * i));
	h = mix_word(h, ((uint32_t)px << 16) | py);
	h = mix_word(h, ((uint32_t)proto << 24) | ((uint32_t)x->family << 16) | vlan);
	return fmix32(h ^ (words * 8u + 8u));
}

uint32_t flow_hash_packet(const struct packet *p, uint32_t seed)
{
	return hash_tuple(&p->src, p->sport, &p->dst, p->dport, p->proto,
			  packet_vlan(p), seed);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t make_flow_id(uint32_t hash, const struct packet *p)
{
	uint64_t id = mix64(((uint64_t)hash << 32) ^ mix64(p->ts_usec) ^
			    mix64(p->pcap_cnt + 0x9e3779b97f4a7c15ull));
	id &= (1ull << 53) - 1;
	return id ? id : 1;
}

/* ---- lists -------------------------------------------------------------- */

static enum flow_class flow_class_of(const struct flow *f)
{
	switch (f->state) {
	case FLOW_STATE_NEW:
		return FC_NEW;
	case FLOW_STATE_CLOSED:
		return FC_CLOSED;
	case FLOW_STATE_ESTABLISHED:
	default:
		return f->key.proto == 6 ? FC_TCP_EST : FC_OTHER_EST;
	}
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	struct flow_list *l = &t->lru[f->lru_class];
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push_head(struct flow_table *t, struct flow *f,
			  enum flow_class c)
{
	struct flow_list *l = &t->lru[c];
	f->lru_class = (uint8_t)c;
	f->lru_prev = NULL;
	f->lru_next = l->head;
	if (l->head)
		l->head->lru_prev = f;
	else
		l->tail = f;
	l->head = f;
}

/* Moves f to the head of the list of its current class. */
static void lru_touch(struct flow_table *t, struct flow *f)
{
	enum flow_class c = flow_class_of(f);
	if (t->lru[c].head == f && f->lru_class == c)
		return;
	lru_unlink(t, f);
	lru_push_head(t, f, c);
}

/* Re-classes the flow handed out by the last get (its state may have been
 * changed by the stream engine since). */
static void reclass_last(struct flow_table *t)
{
	struct flow *f = t->last;
	if (f && flow_class_of(f) != f->lru_class) {
		lru_unlink(t, f);
		lru_push_head(t, f, flow_class_of(f));
	}
	t->last = NULL;
}

static void bucket_unlink(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & t->mask];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* Removes f from the table, runs on_end and frees it. */
static void flow_end(struct flow_table *t, struct flow *f,
		     enum flow_end_reason why)
{
	if (t->last == f)
		t->last = NULL;
	bucket_unlink(t, f);
	lru_unlink(t, f);
	if (t->on_end)
		t->on_end(f, why, t->ctx);
	t->st.ended++;
	t->st.active--;
	t->st.memuse -= sizeof(struct flow);
	free(f);
}

/* ---- table -------------------------------------------------------------- */

struct flow_table *flow_table_new(const struct flow_table_config *cfg,
				  flow_end_fn on_end, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	else
		flow_table_config_defaults(&t->cfg);
	uint32_t n = 1;
	uint32_t want = t->cfg.hash_size ? t->cfg.hash_size : 65536;
	if (want > (1u << 24))
		want = 1u << 24;
	while (n < want)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->on_end = on_end;
	t->ctx = ctx;
	t->timeout_us[FC_NEW] = t->cfg.timeout_new * USEC;
	t->timeout_us[FC_TCP_EST] = t->cfg.timeout_established * USEC;
	t->timeout_us[FC_CLOSED] = t->cfg.timeout_closed * USEC;
	t->timeout_us[FC_OTHER_EST] = t->cfg.timeout_udp * USEC;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	flow_table_flush(t, FLOW_END_SHUTDOWN);
	free(t->buckets);
	free(t);
}

/* Evicts the least recently used flow; false when the table is empty. */
static bool evict_lru(struct flow_table *t)
{
	struct flow *victim = NULL;
	for (int c = 0; c < FC_MAX; c++) {
		struct flow *f = t->lru[c].tail;
		if (f && (!victim || f->ts_last < victim->ts_last))
			victim = f;
	}
	if (!victim)
		return false;
	flow_end(t, victim, FLOW_END_MEMCAP);
	t->st.memcap_evicted++;
	return true;
}

static struct flow *flow_create(struct flow_table *t, const struct packet *p,
				uint32_t hash)
{
	while (t->st.memuse + sizeof(struct flow) > t->cfg.memcap) {
		if (!evict_lru(t)) {
			t->st.memcap_dropped++;
			return NULL;
		}
	}
	struct flow *f = calloc(1, sizeof(*f));
	if (!f) {
		t->st.memcap_dropped++;
		return NULL;
	}
	/* The sender of a first-seen SYN/ACK is the server. */
	bool swap = p->proto == 6 &&
		    (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
	f->key.a = swap ? p->dst : p->src;
	f->key.b = swap ? p->src : p->dst;
	f->key.pa = swap ? p->dport : p->sport;
	f->key.pb = swap ? p->sport : p->dport;
	f->key.vlan = packet_vlan(p);
	f->key.proto = p->proto;
	f->hash = hash;
	f->flow_id = make_flow_id(hash, p);
	f->state = FLOW_STATE_NEW;
	f->ts_first = f->ts_last = p->ts_usec;

	struct flow **b = &t->buckets[hash & t->mask];
	f->hnext = *b;
	*b = f;
	lru_push_head(t, f, FC_NEW);
	t->st.created++;
	t->st.active++;
	if (t->st.active > t->st.active_max)
		t->st.active_max = t->st.active;
	t->st.memuse += sizeof(struct flow);
	return f;
}

static inline bool addr_eq(const struct mamori_addr *x,
			   const struct mamori_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

/* Returns FLOW_DIR_* when f matches the packet, -1 otherwise. */
static int key_match(const struct flow *f, const struct packet *p,
		     uint16_t vlan)
{
	const struct flow_key *k = &f->key;
	if (k->proto != p->proto || k->vlan != vlan)
		return -1;
	if (k->pa == p->sport && k->pb == p->dport && addr_eq(&k->a, &p->src) &&
	    addr_eq(&k->b, &p->dst))
		return FLOW_DIR_TOSERVER;
	if (k->pa == p->dport && k->pb == p->sport && addr_eq(&k->a, &p->dst) &&
	    addr_eq(&k->b, &p->src))
		return FLOW_DIR_TOCLIENT;
	return -1;
}

struct flow *flow_table_get(struct flow_table *t, const struct packet *p,
			    int *dir)
{
	reclass_last(t);
	if (!(p->flags & PKT_HAS_IP))
		return NULL;
	uint16_t vlan = packet_vlan(p);
	uint32_t hash = flow_hash_packet(p, t->cfg.seed);
	struct flow *f = t->buckets[hash & t->mask];
	int d = -1;
	for (; f; f = f->hnext) {
		if (f->hash == hash && (d = key_match(f, p, vlan)) >= 0)
			break;
	}
	/* A new SYN on a closed TCP flow starts a new connection. */
	if (f && f->state == FLOW_STATE_CLOSED && p->proto == 6 &&
	    (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		flow_end(t, f, FLOW_END_FORCED);
		f = NULL;
	}
	if (!f) {
		f = flow_create(t, p, hash);
		if (!f)
			return NULL;
		d = key_match(f, p, vlan);
	}
	if (p->ts_usec > f->ts_last)
		f->ts_last = p->ts_usec;
	f->pkts[d]++;
	f->bytes[d] += p->wire_len ? p->wire_len : p->raw_len;
	f->flags |= d == FLOW_DIR_TOSERVER ? FLOW_F_TOSERVER_SEEN
					   : FLOW_F_TOCLIENT_SEEN;
	/* TCP state belongs to the stream engine; others are established
	 * once both sides spoke. */
	if (f->key.proto != 6 && f->state == FLOW_STATE_NEW &&
	    (f->flags & (FLOW_F_TOSERVER_SEEN | FLOW_F_TOCLIENT_SEEN)) ==
		    (FLOW_F_TOSERVER_SEEN | FLOW_F_TOCLIENT_SEEN))
		f->state = FLOW_STATE_ESTABLISHED;
	lru_touch(t, f);
	t->last = f;
	*dir = d;
	return f;
}

size_t flow_table_expire(struct flow_table *t, uint64_t now_usec)
{
	size_t n = 0;
	reclass_last(t);
	for (int c = 0; c < FC_MAX; c++) {
		struct flow *f;
		while ((f = t->lru[c].tail) != NULL) {
			enum flow_class real = flow_class_of(f);
			if (f->ts_last + t->timeout_us[real] > now_usec) {
				if ((int)real == c)
					break;
				/* State changed behind our back: file it
				 * under its class and look at the next. */
				lru_unlink(t, f);
				lru_push_head(t, f, real);
				continue;
			}
			flow_end(t, f, FLOW_END_TIMEOUT);
			n++;
		}
	}
	return n;
}

void flow_table_flush(struct flow_table *t, enum flow_end_reason why)
{
	reclass_last(t);
	/* Oldest first, so the end records come out in a stable order. */
	for (;;) {
		struct flow *victim = NULL;
		for (int c = 0; c < FC_MAX; c++) {
			struct flow *f = t->lru[c].tail;
			if (f && (!victim || f->ts_last < victim->ts_last ||
				  (f->ts_last == victim->ts_last &&
				   f->flow_id < victim->flow_id)))
				victim = f;
		}
		if (!victim)
			break;
		flow_end(t, victim, why);
	}
}

void flow_table_stats(const struct flow_table *t, struct flow_stats *out)
{
	*out = t->st;
}

const char *flow_end_reason_str(enum flow_end_reason why)
{
	/* EVE knows timeout/forced/shutdown; memcap evictions are reported
	 * as forced (and counted in the stats). */
	static const char *const names[] = {
		[FLOW_END_TIMEOUT] = "timeout",
		[FLOW_END_FORCED] = "forced",
		[FLOW_END_SHUTDOWN] = "shutdown",
		[FLOW_END_MEMCAP] = "forced",
	};
	if ((unsigned)why < sizeof(names) / sizeof(names[0]))
		return names[why];
	return "unknown";
}

const char *flow_state_str(enum flow_state s)
{
	static const char *const names[] = {
		[FLOW_STATE_NEW] = "new",
		[FLOW_STATE_ESTABLISHED] = "established",
		[FLOW_STATE_CLOSED] = "closed",
	};
	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}
