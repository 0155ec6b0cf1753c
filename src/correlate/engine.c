/*
 * The correlation engine proper: per-(rule, entity) state, evaluation of
 * requirements and sequences, incident emission, LRU-bounded memory.
 *
 * State of one (rule, entity), struct corr_ent, holds one lazily
 * allocated state per requirement:
 *   alert  the latest matching alert (its evidence);
 *   count  at most `min` items (hash of the distinct value + evidence),
 *          ordered by time; a distinct value seen again moves to the end.
 *          If `min` distinct values occurred within the window, the `min`
 *          most recent ones did, so keeping `min` items is exact;
 *   rise   two bucket rings of event counts: CORR_RISE_FINE buckets of
 *          window/4 (the current window) and CORR_RISE_COARSE buckets of
 *          baseline/24 (the baseline), plus the last CORR_RISE_EVID events.
 *          rate now = fine sum; baseline per window = (coarse sum - fine
 *          sum) * window / span, span = the observed part of the
 *          baseline period before the window (no baseline if shorter than
 *          one window: a first-time talker).  Holds when now >= min and
 *          now >= factor * baseline-per-window.
 * Sequences keep the current step, the time of the previous step and the
 * evidence of the completed steps (copied, capped by the steps' sizes).
 *
 * Transitions of a sequence (corr_seq_event):
 *   step k satisfied by the event     -> seq_advance: k+1, step_ts = now
 *   last step satisfied               -> corr_emit, then seq_reset
 *   now - step_ts > max_gap (k > 0)   -> seq_reset (then the event may
 *                                        start step 0 again)
 * Incidents: when every requirement holds (or the last step completes)
 * at an event's time, one incident is emitted unless one was emitted for
 * the same (rule, entity) less than `window` ago; alert and count states
 * are then cleared so the next incident needs fresh evidence.
 *
 * Memory: every allocation of entity state is added to e->bytes; when it
 * would exceed the memcap or the number of states max_entities, the least
 * recently touched states (oldest tail of the per-rule LRU lists, by a
 * touch counter) are evicted first (stats.evictions), so the
 * total never exceeds the cap (unless one state alone is larger).  The
 * hash table grows only while it fits (at most a quarter of the cap).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "correlate/corr_int.h"
#include "correlate/dga.h"
#include "util/err.h"

struct cnt_item {
	uint64_t hash;
	struct corr_evidence ev;
};
struct st_count {
	uint32_t n;
	struct cnt_item items[];	/* cap: req->min */
};
struct st_rise {
	uint64_t first;			/* time of the first matching event */
	uint64_t fine_cur, coarse_cur;	/* absolute index of newest bucket */
	uint32_t fine[CORR_RISE_FINE], coarse[CORR_RISE_COARSE];
	uint32_t nev, evpos;
	struct corr_evidence ev[CORR_RISE_EVID];
};

struct corr_ent {
	struct corr_ent *hnext, *lprev, *lnext;
	uint64_t last_seen, muted_until, step_ts;
	uint64_t touch;			/* engine clock at the last touch */
	uint64_t hash;
	size_t bytes;
	struct corr_evidence *done;	/* completed steps' evidence */
	uint32_t ndone, done_cap;
	uint16_t rule;
	uint8_t step;
	struct mamori_addr key[2];
	struct mamori_addr prev_peer;	/* other side of the last step's event */
	void *st[];			/* per requirement; NULL until used */
};

struct corr_lru {
	struct corr_ent *head, *tail;	/* head = most recently touched */
};

struct corr_engine {
	const struct corr_ruleset *rs;
	struct corr_limits lim;
	corr_emit_fn emit;
	void *ctx;
	struct corr_ent **tab;
	size_t nbuckets, nent;
	struct corr_lru *lru;		/* one list per rule (same horizon) */
	size_t bytes;
	struct corr_evidence *scratch;	/* incident evidence being built */
	size_t scratch_cap;
	uint64_t uniq;			/* hash for count items without distinct */
	uint64_t clock;			/* touch counter: global LRU order */
	struct corr_stats st;
};

#define CORR_DEFAULT_MEMCAP (64u * 1024u * 1024u)
#define CORR_DEFAULT_MAX_ENT 1000000u
#define CORR_VAL_MAX 512

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t fnv_lower(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = fnv(h, &c, 1);
	}
	return h;
}

/* ---- memory accounting and the LRU -------------------------------- */

static void acct(struct corr_engine *e, size_t add, size_t sub)
{
	e->bytes = e->bytes + add - sub;
	e->st.state_bytes = e->bytes;
	if (e->bytes > e->st.state_bytes_peak)
		e->st.state_bytes_peak = e->bytes;
}

static void lru_unlink(struct corr_engine *e, struct corr_ent *x)
{
	struct corr_lru *l = &e->lru[x->rule];
	if (x->lprev)
		x->lprev->lnext = x->lnext;
	else
		l->head = x->lnext;
	if (x->lnext)
		x->lnext->lprev = x->lprev;
	else
		l->tail = x->lprev;
	x->lprev = x->lnext = NULL;
}

static void lru_push(struct corr_engine *e, struct corr_ent *x)
{
	struct corr_lru *l = &e->lru[x->rule];
	x->touch = ++e->clock;
	x->lnext = l->head;
	x->lprev = NULL;
	if (l->head)
		l->head->lprev = x;
	l->head = x;
	if (!l->tail)
		l->tail = x;
}

/* The least recently touched state of all rules other than keep, or NULL. */
static struct corr_ent *lru_oldest(const struct corr_engine *e, const struct corr_ent *keep)
{
	struct corr_ent *best = NULL;
	for (size_t r = 0; r < e->rs->n; r++) {
		struct corr_ent *t = e->lru[r].tail;
		if (t && t == keep)
			t = t->lprev;
		if (t && (!best || t->touch < best->touch))
			best = t;
	}
	return best;
}

static void ent_free_states(struct corr_engine *e, struct corr_ent *x, size_t nreqs)
{
	for (size_t i = 0; i < nreqs; i++) {
		if (!x->st[i])
			continue;
		free(x->st[i]);
		x->st[i] = NULL;
	}
	(void)e;
}

/* Frees the state of requirement i and its accounting. */
static void st_drop(struct corr_engine *e, struct corr_ent *x, size_t i, size_t size)
{
	if (!x->st[i])
		return;
	free(x->st[i]);
	x->st[i] = NULL;
	x->bytes -= size;
	acct(e, 0, size);
}

static void ent_destroy(struct corr_engine *e, struct corr_ent *x)
{
	const struct corr_rule *ru = &e->rs->rules[x->rule];
	struct corr_ent **pp = &e->tab[x->hash & (e->nbuckets - 1)];
	while (*pp != x)
		pp = &(*pp)->hnext;
	*pp = x->hnext;
	lru_unlink(e, x);
	ent_free_states(e, x, ru->nreqs);
	free(x->done);
	acct(e, 0, x->bytes);
	free(x);
	e->nent--;
	e->st.entities = e->nent;
}

/* Evicts least recently used states (never keep) until `add` more bytes
 * and `add_ent` more states fit under the caps. */
static void make_room(struct corr_engine *e, size_t add, size_t add_ent,
		      const struct corr_ent *keep)
{
	struct corr_ent *x;
	while ((e->bytes + add > e->lim.memcap || e->nent + add_ent > e->lim.max_entities) &&
	       (x = lru_oldest(e, keep)) != NULL) {
		ent_destroy(e, x);
		e->st.evictions++;
	}
}

static int tab_grow(struct corr_engine *e)
{
	size_t nb = e->nbuckets * 2;
	/* The table itself counts against the memcap: never outgrow it. */
	if (nb * sizeof(void *) > e->lim.memcap / 4 ||
	    e->bytes + e->nbuckets * sizeof(void *) > e->lim.memcap)
		return 0;
	struct corr_ent **t = calloc(nb, sizeof(*t));
	if (!t)
		return 0;	/* longer chains, still correct */
	for (size_t i = 0; i < e->nbuckets; i++) {
		struct corr_ent *x = e->tab[i], *nx;
		for (; x; x = nx) {
			nx = x->hnext;
			x->hnext = t[x->hash & (nb - 1)];
			t[x->hash & (nb - 1)] = x;
		}
	}
	free(e->tab);
	acct(e, nb * sizeof(void *), e->nbuckets * sizeof(void *));
	e->tab = t;
	e->nbuckets = nb;
	return 0;
}

/* Finds (and with create, makes) the state of rule ri for key. */
static struct corr_ent *ent_get(struct corr_engine *e, size_t ri,
				const struct mamori_addr key[2], uint64_t now,
				bool create, int *rc)
{
	const struct corr_rule *ru = &e->rs->rules[ri];
	uint64_t h = fnv(1469598103934665603ull, &ri, sizeof(ri));
	h = fnv(h, key, 2 * sizeof(*key));
	struct corr_ent *x = e->tab[h & (e->nbuckets - 1)];

	for (; x; x = x->hnext)
		if (x->hash == h && x->rule == ri && !memcmp(x->key, key, 2 * sizeof(*key)))
			break;
	if (!x && create) {
		size_t sz = sizeof(*x) + ru->nreqs * sizeof(void *);
		make_room(e, sz, 1, NULL);
		if (!(x = calloc(1, sz))) {
			*rc = MAMORI_ENOMEM;
			return NULL;
		}
		x->hash = h;
		x->rule = (uint16_t)ri;
		memcpy(x->key, key, 2 * sizeof(*key));
		x->bytes = sz;
		x->hnext = e->tab[h & (e->nbuckets - 1)];
		e->tab[h & (e->nbuckets - 1)] = x;
		lru_push(e, x);
		e->nent++;
		e->st.entities = e->nent;
		if (e->nent > e->st.entities_peak)
			e->st.entities_peak = e->nent;
		acct(e, sz, 0);
		if (e->nent > e->nbuckets)
			tab_grow(e);
	} else if (x) {
		lru_unlink(e, x);
		lru_push(e, x);
	}
	if (x && now > x->last_seen)
		x->last_seen = now;
	return x;
}

/* ---- matching -------------------------------------------------------- */

static bool val_match(const char *pat, const char *v)
{
	if (strpbrk(pat, "*?["))
		return fnmatch(pat, v, FNM_CASEFOLD | FNM_NOESCAPE) == 0;
	return strcasecmp(pat, v) == 0;
}

static bool filters_match(const struct corr_req *r, const struct corr_event *ev)
{
	char v[CORR_VAL_MAX];
	for (size_t i = 0; i < r->nfilters; i++) {
		const struct corr_filter *f = &r->filters[i];
		if (corr_event_get(ev, &f->path, v, sizeof(v)) < 0)
			return false;
		bool any = false;
		for (size_t k = 0; k < f->nvals && !any; k++)
			any = val_match(f->vals[k], v);
		if (any == f->neg)
			return false;
	}
	return true;
}

static uint32_t alert_sid(const struct corr_event *ev)
{
	json_int_t v = json_integer_value(json_object_get(json_object_get(ev->json, "alert"),
							  "signature_id"));
	return v > 0 && v <= (json_int_t)UINT32_MAX ? (uint32_t)v : 0;
}

static bool req_match(const struct corr_req *r, const struct corr_event *ev)
{
	if (r->etypes && !(r->etypes & (1u << ev->type)))
		return false;
	if (r->kind == CORR_REQ_ALERT) {
		bool ok = false;
		uint32_t sid = alert_sid(ev);
		for (size_t i = 0; i < r->nsids && !ok; i++)
			ok = r->sids[i] == sid;
		if (!ok && r->ncategories) {
			const char *cat = json_string_value(
				json_object_get(json_object_get(ev->json, "alert"), "category"));
			for (size_t i = 0; cat && i < r->ncategories && !ok; i++)
				ok = !strcasecmp(cat, r->categories[i]);
		}
		if (!ok)
			return false;
	}
	if (!filters_match(r, ev))
		return false;
	if (r->score_field.n) {
		char v[CORR_VAL_MAX];
		int n = corr_event_get(ev, &r->score_field, v, sizeof(v));
		if (n < 0 || corr_dga_score(v, strlen(v)) < r->score_min)
			return false;
	}
	return true;
}

/* The entity address of an event for side s, and the other one. */
static void ev_side(const struct corr_event *ev, enum corr_side s,
		    struct mamori_addr *ent, struct mamori_addr *peer)
{
	bool src_is_server = ev->sport && ev->sport < 1024 && ev->dport >= 1024;
	bool src;
	switch (s) {
	case CORR_SIDE_DST:
		src = false;
		break;
	case CORR_SIDE_CLIENT:
		src = !src_is_server;
		break;
	case CORR_SIDE_SERVER:
		src = src_is_server;
		break;
	default:
		src = true;
		break;
	}
	*ent = src ? ev->src : ev->dst;
	*peer = src ? ev->dst : ev->src;
}

static void fill_evidence(const struct corr_req *r, size_t ri, const struct corr_event *ev,
			  struct corr_evidence *out)
{
	memset(out, 0, sizeof(*out));
	out->ts = ev->ts;
	out->flow_id = ev->flow_id;
	out->etype = (uint8_t)ev->type;
	out->req = (uint8_t)ri;
	if (ev->type == CORR_EV_ALERT) {
		out->sid = alert_sid(ev);
		const char *sig = json_string_value(
			json_object_get(json_object_get(ev->json, "alert"), "signature"));
		if (sig && !r->key.n) {
			out->key_kind = CORR_KEY_SIGNATURE;
			snprintf(out->key, sizeof(out->key), "%s", sig);
		}
	}
	if (r->key.n && corr_event_get(ev, &r->key, out->key, sizeof(out->key)) >= 0)
		out->key_kind = CORR_KEY_FIELD;
}

/* ---- requirement states --------------------------------------------- */

static size_t st_size(const struct corr_req *r)
{
	switch (r->kind) {
	case CORR_REQ_ALERT:
		return sizeof(struct corr_evidence);
	case CORR_REQ_COUNT:
		return sizeof(struct st_count) + r->min * sizeof(struct cnt_item);
	default:
		return sizeof(struct st_rise);
	}
}

static void *st_get(struct corr_engine *e, struct corr_ent *x, const struct corr_req *r,
		    size_t i, int *rc)
{
	if (!x->st[i]) {
		size_t sz = st_size(r);
		make_room(e, sz, 0, x);
		if (!(x->st[i] = calloc(1, sz))) {
			*rc = MAMORI_ENOMEM;
			return NULL;
		}
		x->bytes += sz;
		acct(e, sz, 0);
	}
	return x->st[i];
}

static void count_expire(struct st_count *c, uint64_t now, uint64_t window)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->n; i++)
		if (c->items[i].ev.ts + window >= now)
			c->items[k++] = c->items[i];
	c->n = k;
}

static void count_add(struct corr_engine *e, const struct corr_req *r, struct st_count *c,
		      const struct corr_event *ev, const struct corr_evidence *evd)
{
	uint64_t h;
	uint32_t at = c->n;
	if (r->distinct.n) {
		char v[CORR_VAL_MAX];
		int n = corr_event_get(ev, &r->distinct, v, sizeof(v));
		if (n < 0)
			return;
		h = fnv_lower(v, strlen(v));
		for (uint32_t i = 0; i < c->n; i++)
			if (c->items[i].hash == h)
				at = i;
	} else {
		h = ++e->uniq;
	}
	if (at == c->n && c->n == r->min)
		at = 0;		/* full: the oldest goes */
	else if (at == c->n)
		c->n++;
	/* Keep time order: move the slot to the end. */
	memmove(&c->items[at], &c->items[at + 1], (c->n - 1 - at) * sizeof(c->items[0]));
	c->items[c->n - 1].hash = h;
	c->items[c->n - 1].ev = *evd;
}

/* Advances a ring so that bucket `b` is the newest. */
static void ring_advance(uint32_t *c, unsigned n, uint64_t *cur, uint64_t b)
{
	if (b <= *cur)
		return;
	if (b - *cur >= n) {
		memset(c, 0, n * sizeof(*c));
	} else {
		for (uint64_t k = *cur + 1; k <= b; k++)
			c[k % n] = 0;
	}
	*cur = b;
}

static void ring_add(uint32_t *c, unsigned n, uint64_t *cur, uint64_t b)
{
	ring_advance(c, n, cur, b);
	if (b + n <= *cur)
		return;		/* older than the ring */
	if (c[b % n] < UINT32_MAX)
		c[b % n]++;
}

static uint64_t ring_sum(const uint32_t *c, unsigned n)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < n; i++)
		s += c[i];
	return s;
}

static uint64_t rise_fine_w(const struct corr_rule *ru)
{
	uint64_t w = ru->window / CORR_RISE_FINE;
	return w ? w : 1;
}

static uint64_t rise_coarse_w(const struct corr_req *r)
{
	uint64_t w = r->baseline / CORR_RISE_COARSE;
	return w ? w : 1;
}

static bool rise_holds(const struct corr_rule *ru, const struct corr_req *r,
		       struct st_rise *s, uint64_t now)
{
	ring_advance(s->fine, CORR_RISE_FINE, &s->fine_cur, now / rise_fine_w(ru));
	ring_advance(s->coarse, CORR_RISE_COARSE, &s->coarse_cur, now / rise_coarse_w(r));
	uint64_t cur = ring_sum(s->fine, CORR_RISE_FINE);
	uint64_t all = ring_sum(s->coarse, CORR_RISE_COARSE);
	uint64_t base = all > cur ? all - cur : 0;
	/* The baseline covers what was observed of the baseline period before
	 * the window; less than one window of history is no baseline (a host
	 * that never did this before: the rise is judged on min alone). */
	uint64_t bend = now > ru->window ? now - ru->window : 0;
	uint64_t bstart = bend > r->baseline ? bend - r->baseline : 0;
	if (s->first > bstart)
		bstart = s->first;
	uint64_t span = bend > bstart ? bend - bstart : 0;
	double per_window = span >= ru->window
		? (double)base * (double)ru->window / (double)span : 0.0;
	return cur >= r->min && (double)cur >= r->factor * per_window;
}

static bool req_holds(const struct corr_rule *ru, size_t i, struct corr_ent *x, uint64_t now)
{
	const struct corr_req *r = &ru->reqs[i];
	if (!x->st[i])
		return false;
	switch (r->kind) {
	case CORR_REQ_ALERT: {
		const struct corr_evidence *a = x->st[i];
		uint64_t d = a->ts > now ? a->ts - now : now - a->ts;
		return d <= ru->window;
	}
	case CORR_REQ_COUNT: {
		struct st_count *c = x->st[i];
		count_expire(c, now, r->within ? r->within : ru->window);
		return c->n >= r->min;
	}
	default:
		return rise_holds(ru, r, x->st[i], now);
	}
}

/* Updates requirement i's state with a matching event. */
static int req_update(struct corr_engine *e, const struct corr_rule *ru, size_t i,
		      struct corr_ent *x, const struct corr_event *ev)
{
	const struct corr_req *r = &ru->reqs[i];
	struct corr_evidence evd;
	int rc = 0;
	void *s = st_get(e, x, r, i, &rc);
	if (!s)
		return rc;
	fill_evidence(r, i, ev, &evd);
	switch (r->kind) {
	case CORR_REQ_ALERT:
		*(struct corr_evidence *)s = evd;
		break;
	case CORR_REQ_COUNT:
		count_expire(s, ev->ts, r->within ? r->within : ru->window);
		count_add(e, r, s, ev, &evd);
		break;
	default: {
		struct st_rise *q = s;
		if (!q->first || ev->ts < q->first)
			q->first = ev->ts;
		ring_add(q->fine, CORR_RISE_FINE, &q->fine_cur, ev->ts / rise_fine_w(ru));
		ring_add(q->coarse, CORR_RISE_COARSE, &q->coarse_cur, ev->ts / rise_coarse_w(r));
		q->ev[q->evpos] = evd;
		q->evpos = (q->evpos + 1) % CORR_RISE_EVID;
		if (q->nev < CORR_RISE_EVID)
			q->nev++;
		break;
	}
	}
	return 0;
}

/* Appends requirement i's evidence to out (capacity from scratch_cap). */
static size_t req_evidence(const struct corr_rule *ru, size_t i, struct corr_ent *x,
			   struct corr_evidence *out, uint64_t now)
{
	const struct corr_req *r = &ru->reqs[i];
	size_t n = 0;
	if (!x->st[i])
		return 0;
	switch (r->kind) {
	case CORR_REQ_ALERT:
		out[n++] = *(struct corr_evidence *)x->st[i];
		break;
	case CORR_REQ_COUNT: {
		struct st_count *c = x->st[i];
		count_expire(c, now, r->within ? r->within : ru->window);
		for (uint32_t k = 0; k < c->n; k++)
			out[n++] = c->items[k].ev;
		break;
	}
	default: {
		struct st_rise *q = x->st[i];
		for (uint32_t k = 0; k < q->nev; k++)
			out[n++] = q->ev[(q->evpos + CORR_RISE_EVID - q->nev + k) % CORR_RISE_EVID];
		break;
	}
	}
	return n;
}

static const char *const entity_kinds[] = {"src_ip", "dest_ip", "pair"};

static void emit(struct corr_engine *e, const struct corr_rule *ru, const struct corr_ent *x,
		 size_t nev, uint64_t now)
{
	struct corr_incident inc = {
		.rule_id = ru->id, .name = ru->name, .severity = ru->severity,
		.entity_kind = entity_kinds[ru->entity],
		.first = now, .last = now,
		.evidence = e->scratch, .nevidence = nev, .req_labels = ru->labels,
		.req_keys = ru->keys,
	};
	inc.entity[0] = x->key[0];
	inc.entity[1] = x->key[1];
	for (size_t i = 0; i < nev; i++) {
		if (e->scratch[i].ts < inc.first)
			inc.first = e->scratch[i].ts;
		if (e->scratch[i].ts > inc.last)
			inc.last = e->scratch[i].ts;
	}
	e->st.incidents++;
	if (e->emit)
		e->emit(e->ctx, &inc);
}

/* ---- rule evaluation ------------------------------------------------- */

static void all_check(struct corr_engine *e, size_t ri, struct corr_ent *x, uint64_t now)
{
	const struct corr_rule *ru = &e->rs->rules[ri];
	size_t n = 0;

	if (now < x->muted_until)
		return;
	for (size_t i = 0; i < ru->nreqs; i++)
		if (!req_holds(ru, i, x, now))
			return;
	for (size_t i = 0; i < ru->nreqs; i++)
		n += req_evidence(ru, i, x, e->scratch + n, now);
	emit(e, ru, x, n, now);
	x->muted_until = now + ru->window;
	for (size_t i = 0; i < ru->nreqs; i++)
		if (ru->reqs[i].kind != CORR_REQ_RISE)
			st_drop(e, x, i, st_size(&ru->reqs[i]));
}

static void seq_reset(struct corr_engine *e, const struct corr_rule *ru, struct corr_ent *x)
{
	for (size_t i = 0; i < ru->nreqs; i++)
		st_drop(e, x, i, st_size(&ru->reqs[i]));
	x->step = 0;
	x->ndone = 0;
}

static int seq_advance(struct corr_engine *e, const struct corr_rule *ru, struct corr_ent *x,
		       uint64_t now)
{
	size_t k = x->step;
	size_t need = x->ndone + (ru->reqs[k].kind == CORR_REQ_COUNT ? ru->reqs[k].min : 1);
	if (need > x->done_cap) {
		size_t cap = ru->evcap;		/* enough for every step */
		make_room(e, (cap - x->done_cap) * sizeof(*x->done), 0, x);
		struct corr_evidence *d = realloc(x->done, cap * sizeof(*d));
		if (!d)
			return MAMORI_ENOMEM;
		acct(e, (cap - x->done_cap) * sizeof(*d), 0);
		x->bytes += (cap - x->done_cap) * sizeof(*d);
		x->done = d;
		x->done_cap = (uint32_t)cap;
	}
	x->ndone += (uint32_t)req_evidence(ru, k, x, x->done + x->ndone, now);
	st_drop(e, x, k, st_size(&ru->reqs[k]));
	x->step++;
	x->step_ts = now;
	if (x->step == ru->nreqs) {
		if (now >= x->muted_until) {
			memcpy(e->scratch, x->done, x->ndone * sizeof(*x->done));
			emit(e, ru, x, x->ndone, now);
			x->muted_until = now + ru->window;
		}
		seq_reset(e, ru, x);
	}
	return 0;
}

static int rule_event(struct corr_engine *e, size_t ri, const struct corr_event *ev)
{
	const struct corr_rule *ru = &e->rs->rules[ri];
	int rc = 0;

	for (size_t i = 0; i < ru->nreqs; i++) {
		const struct corr_req *r = &ru->reqs[i];
		struct mamori_addr key[2], peer;
		if (!req_match(r, ev))
			continue;
		memset(key, 0, sizeof(key));
		if (ru->entity == CORR_ENT_PAIR) {
			key[0] = ev->src;
			key[1] = ev->dst;
			peer = ev->dst;
		} else {
			ev_side(ev, r->side, &key[0], &peer);
		}
		if (!key[0].family || (ru->entity == CORR_ENT_PAIR && !key[1].family))
			continue;
		if (r->peer && !r->peer_prev && !corr_group_has(r->peer, &peer))
			continue;
		e->st.matched++;
		bool excluded = false;
		for (size_t g = 0; g < ru->nexcl && !excluded; g++)
			excluded = corr_group_has(ru->excl[g], &key[0]) ||
				   (key[1].family && corr_group_has(ru->excl[g], &key[1]));
		if (excluded) {
			e->st.excluded++;
			continue;
		}
		bool seq = ru->kind == CORR_RULE_SEQ;
		struct corr_ent *x = ent_get(e, ri, key, ev->ts, !seq || i == 0, &rc);
		if (!x) {
			if (rc)
				return rc;
			continue;
		}
		if (!seq) {
			if ((rc = req_update(e, ru, i, x, ev)))
				return rc;
			all_check(e, ri, x, ev->ts);
			continue;
		}
		if (x->step > 0 && ev->ts > x->step_ts + ru->max_gap)
			seq_reset(e, ru, x);
		if (x->step != i)
			continue;
		if (r->peer_prev && memcmp(&peer, &x->prev_peer, sizeof(peer)) &&
		    !(r->peer && corr_group_has(r->peer, &peer)))
			continue;
		if ((rc = req_update(e, ru, i, x, ev)))
			return rc;
		if (req_holds(ru, i, x, ev->ts)) {
			x->prev_peer = peer;
			if ((rc = seq_advance(e, ru, x, ev->ts)))
				return rc;
			break;	/* one event completes at most one step */
		}
	}
	return 0;
}

int corr_feed_event(struct corr_engine *e, const struct corr_event *ev)
{
	e->st.events++;
	if (ev->type == CORR_EV_INCIDENT)
		return 0;
	for (size_t ri = 0; ri < e->rs->n; ri++) {
		if (!(e->rs->rules[ri].etypes & (1u << ev->type)))
			continue;
		int rc = rule_event(e, ri, ev);
		if (rc)
			return rc;
	}
	return 0;
}

int corr_feed_eve_line(struct corr_engine *e, const char *line, size_t len)
{
	struct corr_event ev;
	json_t *root;
	int rc = corr_event_decode(line, len, &ev, &root, NULL);
	if (rc == MAMORI_EFORMAT) {
		e->st.bad_records++;
		return rc;
	}
	if (rc)
		return rc;
	rc = corr_feed_event(e, &ev);
	corr_event_release(root);
	return rc;
}

/*
 * Each rule's list is in touch order, which follows event time, and all
 * its states share one horizon: walking from the tail until a state is
 * still useful costs what it frees.
 */
void corr_flush(struct corr_engine *e, uint64_t now)
{
	for (size_t r = 0; r < e->rs->n; r++) {
		uint64_t h = e->rs->rules[r].horizon;
		struct corr_ent *x;
		while ((x = e->lru[r].tail) != NULL && x->last_seen + h < now) {
			ent_destroy(e, x);
			e->st.expired++;
		}
	}
}

int corr_engine_new(const struct corr_ruleset *rs, const struct corr_limits *lim,
		    corr_emit_fn emit_fn, void *ctx, struct corr_engine **out)
{
	struct corr_engine *e = calloc(1, sizeof(*e));
	*out = NULL;
	if (!e)
		return MAMORI_ENOMEM;
	e->rs = rs;
	e->emit = emit_fn;
	e->ctx = ctx;
	e->lim.memcap = lim && lim->memcap ? lim->memcap : CORR_DEFAULT_MEMCAP;
	e->lim.max_entities = lim && lim->max_entities ? lim->max_entities : CORR_DEFAULT_MAX_ENT;
	e->nbuckets = 1024;
	size_t cap = 1;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i].evcap > cap)
			cap = rs->rules[i].evcap;
	e->scratch_cap = cap;
	e->tab = calloc(e->nbuckets, sizeof(*e->tab));
	e->scratch = calloc(cap, sizeof(*e->scratch));
	e->lru = calloc(rs->n ? rs->n : 1, sizeof(*e->lru));
	if (!e->tab || !e->scratch || !e->lru) {
		corr_engine_free(e);
		return MAMORI_ENOMEM;
	}
	acct(e, e->nbuckets * sizeof(void *), 0);
	*out = e;
	return 0;
}

void corr_engine_free(struct corr_engine *e)
{
	if (!e)
		return;
	for (size_t r = 0; e->lru && r < e->rs->n; r++)
		while (e->lru[r].head)
			ent_destroy(e, e->lru[r].head);
	free(e->lru);
	free(e->tab);
	free(e->scratch);
	free(e);
}

void corr_engine_stats(const struct corr_engine *e, struct corr_stats *out)
{
	*out = e->st;
}
