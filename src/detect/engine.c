/*
 * The detection engine; see engine.h for the model.
 *
 * Build (detect_engine_new):
 *  1. every usable rule becomes a struct de_rule: packet rule or
 *     transaction rule, its flowbit/xbit names interned to ids, its
 *     datasets resolved (a rule whose lists hold dataset keywords gets a
 *     shallow "shadow" copy whose lists omit them, so rule_match_list can
 *     evaluate the rest; the engine checks the datasets itself);
 *  2. rules are sorted in the engine order (engine.h) and that index is
 *     their id, so sorting candidate ids sorts alerts;
 *  3. packet rules go to groups by transport (tcp, udp, icmp, other) and
 *     direction (a flow:to_server rule only to the to-server group);
 *     transaction rules to groups by app protocol;
 *  4. per group and inspection buffer one Hyperscan block-mode database of
 *     the rules' fast patterns (literal, hs_compile_lit_multi; caseless for
 *     nocase; the N,M chunk for fast_pattern:N,M).  A rule is put in a
 *     database only when its fast pattern must be present in the buffer
 *     for the rule to match: a non-negated content of that list, the list
 *     not transformed (the prefilter would have to search the transformed
 *     bytes) and not starting with "absent".  Every other rule of the
 *     group is an "always" candidate.
 *
 * Match: candidates = always-rules + rules of the patterns Hyperscan
 * reports, deduplicated with a generation stamp, sorted by id, then each
 * is evaluated exactly: header (protocol, address and port sets, both
 * ways for "<>"), the RULE_LIST_MATCH conditions, the payload or buffer
 * lists through rule_match_list, datasets; on a match the post-match
 * actions run (flowbits/xbits set ...), then noalert, thresholds and pass
 * decide whether an alert is raised.
 *
 * Streams: stream bytes are kept per flow and direction (struct
 * de_flow.win): at least cfg.stream_window bytes already inspected plus
 * the new ones (the window slides when it holds twice that, so the copy
 * is amortised).  The window is inspected at the next packet of the flow.
 * Hyperscan scans only the new bytes plus the longest pattern's overlap;
 * each fast pattern found is also remembered in the window (struct
 * de_hit, up to WIN_HITS_MAX distinct patterns, its latest start), and
 * remembered patterns still inside the window make their rules
 * candidates again, so a rule whose fast pattern arrived in an earlier
 * segment than its other contents still matches.  To report a match once:
 * a rule whose fast pattern was not in the new bytes counts only when its
 * payload list does not already match the old bytes alone.  So a content
 * split over segments, or completed when an out-of-order segment fills a
 * hole, alerts once, when its last byte arrives.  Matches spanning more
 * than the window, or needing a pattern dropped from a full hit list, are
 * missed (documented limits; Suricata has a raw stream depth too).
 * Payload databases are compiled without HS_FLAG_SINGLEMATCH (a first
 * occurrence in the overlap must not hide one in the new bytes; the
 * callback dedupes patterns per scan); app-buffer databases use it.  TCP
 * payload in a flow reaches rules through the stream only; the packet's
 * own payload then serves packet-only rules (flow:no_stream, dsize).
 *
 * Transactions: each finished transaction once (app layer's on_tx hook);
 * a rule's buffer lists must all match that transaction (any instance of
 * a multi-buffer such as dns.query); a payload list of a transaction rule
 * is matched on the flow's stream window of the rule's direction;
 * dcerpc.iface/opnum come from the parser's dcerpc_info (DCERPC rules
 * also run on SMB transactions).
 *
 * Pass: a matching pass rule ends the inspection of the packet or
 * transaction and marks the flow passed: nothing more is inspected on it
 * (Suricata's "the entire flow will be passed").
 *
 * Hand-written glue over Hyperscan and match.c; no untrusted bytes are
 * read here except packet header fields, which are read only within
 * p->l3_len/p->l4_len.
 */
#include <hs/hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_int.h"
#include "detect/engine.h"
#include "detect/state.h"

enum { PK_TCP, PK_UDP, PK_ICMP, PK_OTHER, PK_MAX };
#define MODE_STREAM 0x01u
#define MODE_PKT 0x02u
#define STREAM_NEW_CAP (256u * 1024)	/* uninspected stream bytes held */

struct de_bits {
	uint16_t kw;
	const struct rule_bits *b;
	uint32_t *ids;		/* owned, b->n ids */
};

struct de_ds {
	int list;
	const struct rule_dataset *d;
	struct detect_dataset *ds;	/* borrowed from the engine's sets */
};

struct de_rule {
	const struct rule *r;	/* the rule as loaded */
	const struct rule *ev;	/* what rule_match_list sees (r or shadow) */
	struct rule *shadow;	/* owned shallow copy, or NULL */
	bool tx;
	bool pm_multi;		/* payload list holds more than one entry: its
				 * fast pattern alone is not the whole match */
	uint8_t dirs;		/* packet rules: bit FLOW_DIR_* set = may match
				 * packets of that direction (flow: keyword) */
	uint8_t mode;		/* MODE_* for packet rules with payload */
	int tx_dir;
	int bits_class;
	struct de_bits *bits;	/* owned */
	uint32_t nbits;
	struct de_ds *ds;	/* owned */
	uint32_t nds;
};

struct de_pat {
	const uint8_t *p;	/* borrowed from the rule's content */
	uint32_t len;
	bool nocase;
	bool multi;		/* some rule of it has pm_multi */
	uint32_t *rules;	/* owned rule ids */
	uint32_t n, cap;
};

struct de_db {
	hs_database_t *db;
	struct de_pat *pats;	/* owned, index = Hyperscan id */
	uint32_t npats, cap;
	uint32_t maxlen;
	uint32_t *hash;		/* build only: index+1 */
	uint32_t hcap;
};

struct de_group {
	uint32_t *always;	/* owned rule ids, ascending */
	uint32_t nalways, cap;
	uint32_t *salways;	/* owned: packet groups' always-candidates with a
				 * payload the stream pass may match */
	uint32_t nsalways, scap;
	struct de_db db[APP_BUF_MAX + 1];	/* [0] payload; [1 + buf] app buffers */
	struct de_db txpay[2];	/* tx groups: payload fast patterns of rules
				 * of each direction (searched in that
				 * direction's stream window) */
	bool any_db;
};

struct detect_engine {
	const struct ruleset *rs;
	struct detect_config cfg;
	struct de_rule *rules;	/* owned, engine order */
	uint32_t n;
	struct de_group pg[PK_MAX][2];
	struct de_group tg[APP_MAX];
	char **bitnames;	/* owned interned flowbit/xbit names */
	uint32_t nbitnames;
	struct detect_kv *kv;	/* xbits, hostbits, thresholds */
	struct detect_datasets sets;
	hs_scratch_t *scratch;	/* prototype for detect_thread_new */
	uint32_t max_pats;
	bool want_stream;
	struct detect_engine_stats st;
};

/* A fast pattern seen in a window's bytes: its id in the stream database
 * and where it starts (absolute stream offset). */
struct de_hit {
	uint32_t id;
	uint64_t start;
};
#define WIN_HITS_MAX 256	/* distinct patterns remembered per direction;
				 * past it the oldest is dropped */

struct de_win {
	uint8_t *p;		/* owned */
	size_t len, cap;
	size_t old;		/* bytes [0, old) already inspected */
	uint64_t base;		/* stream offset of p[0] */
	struct de_hit *hits;	/* owned ring of WIN_HITS_MAX, oldest at hit0 */
	uint32_t nhits, hit0;
};

struct de_flow {
	uint64_t sbytes[2];	/* stream bytes delivered per direction */
	uint64_t *bits;		/* flowbits, owned */
	uint32_t nwords;
	struct de_win win[2];
	bool passed;
};

struct detect_thread {
	struct detect_engine *de;
	detect_alert_fn cb;
	void *cb_ctx;
	hs_scratch_t *scratch;
	struct rule_match_ctx m;
	uint32_t *stamp;	/* per rule */
	uint32_t gen;
	uint32_t *cand;		/* candidate rule ids */
	uint32_t ncand;
	uint32_t *astamp;	/* per rule: packet generation it alerted in */
	uint32_t *fstamp;	/* per rule: candidate generation in which its fast
				 * pattern was found in new stream bytes */
	uint32_t agen;
	uint32_t *pstamp;	/* per pattern of the db being scanned */
	uint32_t pgen;
	/* the scan in progress */
	const struct de_db *scan_db;
	unsigned long long min_to;
	int scan_dir;		/* packet direction filter, -1 none */
	struct de_win *scan_win;	/* stream pass: where hits are remembered */
	size_t scan_off;	/* offset of the scanned bytes in scan_win */
	struct detect_thread_stats st;
};

/* What a rule is evaluated against. */
struct ectx {
	const struct packet *p;
	struct flow *f;
	int dir;
	uint64_t ts;
	bool stream;
	bool pkt_only;		/* skip rules the stream pass handles */
	const struct mamori_addr *src, *dst;
	uint16_t sp, dp;
	uint8_t proto;
	const struct app_proto *ap;
	const void *tx;
	int64_t tx_id;
};

void detect_config_defaults(struct detect_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stream_window = 4096;
	cfg->dataset_memcap = 64u << 20;
	cfg->state_memcap = 32u << 20;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int pk_of(uint8_t proto)
{
	switch (proto) {
	case 6: return PK_TCP;
	case 17: return PK_UDP;
	case 1: case 58: return PK_ICMP;
	default: return PK_OTHER;
	}
}

/* ---- build ---------------------------------------------------------------- */

static int push_u32(uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t x)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 8;
		uint32_t *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static int intern_bit(struct detect_engine *de, const char *name, uint32_t *id)
{
	for (uint32_t i = 0; i < de->nbitnames; i++)
		if (!strcmp(de->bitnames[i], name)) {
			*id = i;
			return 0;
		}
	char **nv = realloc(de->bitnames, (de->nbitnames + 1) * sizeof(*nv));
	if (!nv)
		return MAMORI_ENOMEM;
	de->bitnames = nv;
	nv[de->nbitnames] = strdup(name);
	if (!nv[de->nbitnames])
		return MAMORI_ENOMEM;
	*id = de->nbitnames++;
	return 0;
}

static int add_bits(struct detect_engine *de, struct de_rule *dr, const struct rule_sm *sm)
{
	const struct rule_bits *b = sm->ctx;
	struct de_bits *nv = realloc(dr->bits, (dr->nbits + 1) * sizeof(*nv));
	if (!nv)
		return MAMORI_ENOMEM;
	dr->bits = nv;
	struct de_bits *x = &nv[dr->nbits];
	x->kw = sm->kw;
	x->b = b;
	x->ids = calloc(b->n ? b->n : 1, sizeof(uint32_t));
	if (!x->ids)
		return MAMORI_ENOMEM;
	dr->nbits++;
	for (uint32_t i = 0; i < b->n; i++) {
		int rc = intern_bit(de, b->names[i], &x->ids[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static bool list_has(const struct rule_smlist *l, uint16_t kw)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].kw == kw)
			return true;
	return false;
}

/* Directory of path into dst ("." when none). */
static void dir_of(const char *path, char *dst, size_t n)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	if (!slash) {
		snprintf(dst, n, ".");
		return;
	}
	size_t len = (size_t)(slash - path);
	if (len == 0)
		len = 1;
	if (len >= n)
		len = n - 1;
	memcpy(dst, path, len);
	dst[len] = 0;
}

/* Resolves datasets; builds the shadow rule without dataset entries. */
static int setup_datasets(struct detect_engine *de, struct de_rule *dr,
			  struct mamori_diag *diag)
{
	const struct rule *r = dr->r;
	bool any = false;
	for (int l = RULE_LIST_PMATCH; l < RULE_LIST_MAX && !any; l++)
		any = list_has(&r->lists[l], RULE_KW_DATASET);
	if (!any)
		return 0;
	char dir[4096];
	if (de->cfg.dataset_dir)
		snprintf(dir, sizeof(dir), "%s", de->cfg.dataset_dir);
	else
		dir_of(r->file, dir, sizeof(dir));
	dr->shadow = malloc(sizeof(*dr->shadow));
	if (!dr->shadow)
		return MAMORI_ENOMEM;
	*dr->shadow = *r;
	for (int l = 0; l < RULE_LIST_MAX; l++) {
		const struct rule_smlist *src = &r->lists[l];
		if (!list_has(src, RULE_KW_DATASET))
			continue;
		struct rule_smlist *dst = &dr->shadow->lists[l];
		dst->v = NULL;	/* not owned by r any more: freed in de_rule_release */
		dst->n = dst->cap = 0;
		struct rule_sm *nv = calloc(src->n, sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		dst->v = nv;
		dst->cap = src->n;
		for (uint32_t i = 0; i < src->n; i++) {
			if (src->v[i].kw != RULE_KW_DATASET) {
				nv[dst->n++] = src->v[i];
				continue;
			}
			struct de_ds *nd = realloc(dr->ds, (dr->nds + 1) * sizeof(*nd));
			if (!nd)
				return MAMORI_ENOMEM;
			dr->ds = nd;
			struct de_ds *x = &nd[dr->nds];
			x->list = l;
			x->d = src->v[i].ctx;
			int rc = detect_dataset_get(&de->sets, x->d, dir, de->cfg.dataset_memcap,
						    &x->ds, diag);
			if (rc)
				return rc;
			dr->nds++;
		}
	}
	dr->ev = dr->shadow;
	return 0;
}

static void de_rule_release(struct de_rule *dr)
{
	for (uint32_t i = 0; i < dr->nbits; i++)
		free(dr->bits[i].ids);
	free(dr->bits);
	free(dr->ds);
	if (dr->shadow) {
		for (int l = 0; l < RULE_LIST_MAX; l++)
			if (dr->shadow->lists[l].v != dr->r->lists[l].v)
				free(dr->shadow->lists[l].v);
		free(dr->shadow);
	}
}

static bool is_response_buf(int b)
{
	switch (b) {
	case APP_BUF_HTTP_RESPONSE_BODY: case APP_BUF_HTTP_STAT_CODE:
	case APP_BUF_HTTP_STAT_MSG: case APP_BUF_HTTP_RESPONSE_LINE:
	case APP_BUF_HTTP_SERVER: case APP_BUF_HTTP_LOCATION:
	case APP_BUF_TLS_CERT_SUBJECT: case APP_BUF_TLS_CERT_ISSUER:
	case APP_BUF_TLS_CERT_SERIAL: case APP_BUF_TLS_CERT_FINGERPRINT:
		return true;
	default:
		return false;
	}
}

static uint32_t flow_flags(const struct rule *r)
{
	const struct rule_smlist *l = &r->lists[RULE_LIST_MATCH];
	uint32_t f = 0;
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].kw == RULE_KW_FLOW)
			f |= ((const struct rule_flow *)l->v[i].ctx)->flags;
	return f;
}

/* Classifies r and interns its bits.  Returns 0, 1 (skip the rule), <0. */
static int setup_rule(struct detect_engine *de, struct de_rule *dr, const struct rule *r,
		      struct mamori_diag *diag)
{
	memset(dr, 0, sizeof(*dr));
	dr->r = dr->ev = r;
	if (r->proto_flags & RULE_PROTO_APP_UNPARSED)
		return 1;
	bool bufs = false, resp = false;
	for (int l = RULE_LIST_BUF; l < RULE_LIST_MAX; l++)
		if (r->lists[l].n) {
			bufs = true;
			if (is_response_buf(l - RULE_LIST_BUF))
				resp = true;
		}
	bool payload = r->lists[RULE_LIST_PMATCH].n != 0;
	dr->pm_multi = r->lists[RULE_LIST_PMATCH].n > 1;
	/* dcerpc.iface/opnum look at a transaction: such rules are tx rules
	 * even with only a payload list (matched on the stream window) */
	bool txkw = list_has(&r->lists[RULE_LIST_MATCH], RULE_KW_DCERPC_IFACE) ||
		    list_has(&r->lists[RULE_LIST_MATCH], RULE_KW_DCERPC_OPNUM);
	dr->tx = bufs || txkw || (r->app != APP_UNKNOWN && !payload);
	uint32_t ff = flow_flags(r);
	dr->tx_dir = (ff & RULE_FLOW_TOCLIENT) ? FLOW_DIR_TOCLIENT :
		     (ff & RULE_FLOW_TOSERVER) ? FLOW_DIR_TOSERVER :
		     resp ? FLOW_DIR_TOCLIENT : FLOW_DIR_TOSERVER;
	dr->mode = MODE_PKT;
	if (payload && !dr->tx) {
		dr->mode = MODE_STREAM | MODE_PKT;
		if ((ff & RULE_FLOW_NO_STREAM) || (r->proto_flags & RULE_PROTO_PKT_ONLY) ||
		    list_has(&r->lists[RULE_LIST_MATCH], RULE_KW_DSIZE))
			dr->mode = MODE_PKT;
		else if ((ff & RULE_FLOW_ONLY_STREAM) || (r->proto_flags & RULE_PROTO_STREAM_ONLY))
			dr->mode = MODE_STREAM;
		if (r->ipproto != 0 && r->ipproto != 6)
			dr->mode = MODE_PKT;
	}
	/* bits class (Suricata orders setters before readers; flowbits
	 * unset- and toggle-only rules run after the readers, as the
	 * suricata-verify cases detect-flowbits and detect-hostbits-03 show):
	 * set 0, set+read 1, read 2, flowbits unset/toggle 3, no bits 4 */
	bool sets = false, reads = false, unsets = false;
	for (int l = RULE_LIST_MATCH; l <= RULE_LIST_POSTMATCH; l++) {
		const struct rule_smlist *sl = &r->lists[l];
		for (uint32_t i = 0; i < sl->n; i++) {
			uint16_t kw = sl->v[i].kw;
			if (kw != RULE_KW_FLOWBITS && kw != RULE_KW_XBITS && kw != RULE_KW_HOSTBITS)
				continue;
			const struct rule_bits *b = sl->v[i].ctx;
			if (l == RULE_LIST_MATCH)
				reads = true;
			else if (b->cmd == RULE_BITS_SET || kw != RULE_KW_FLOWBITS)
				sets = true;	/* hostbits/xbits unset/toggle: with the setters */
			else
				unsets = true;
			int rc = add_bits(de, dr, &sl->v[i]);
			if (rc)
				return rc;
		}
	}
	dr->bits_class = sets ? (reads ? 1 : 0) : reads ? 2 : unsets ? 3 : 4;
	int rc = setup_datasets(de, dr, diag);
	if (rc == MAMORI_ENOMEM)
		return rc;
	if (rc)
		return 1;
	return 0;
}

static int action_rank(enum rule_action a)
{
	static const int rank[RULE_ACT_MAX] = {
		[RULE_ACT_PASS] = 0, [RULE_ACT_DROP] = 1, [RULE_ACT_REJECT] = 2,
		[RULE_ACT_ALERT] = 3,
	};
	return (unsigned)a < RULE_ACT_MAX ? rank[a] : 4;
}

static int cmp_rule(const void *pa, const void *pb)
{
	const struct de_rule *a = pa, *b = pb;
	int d = action_rank(a->r->action) - action_rank(b->r->action);
	if (d)
		return d;
	if (a->bits_class != b->bits_class)
		return a->bits_class - b->bits_class;
	if (a->r->priority != b->r->priority)
		return a->r->priority < b->r->priority ? -1 : 1;
	if (a->r->sid != b->r->sid)
		return a->r->sid < b->r->sid ? -1 : 1;
	return a->r->gid < b->r->gid ? -1 : a->r->gid > b->r->gid;
}

/* The prefilter pattern of list `list` of r, or false when the rule must
 * always be a candidate for that list. */
static bool prefilter_pattern(const struct rule *r, int list, const uint8_t **p,
			      uint32_t *len, bool *nocase)
{
	const struct rule_content *c = rule_fast_pattern(r);
	if (!c || r->fp_list != list || (c->flags & RULE_CF_NEGATED) || !c->len)
		return false;
	const struct rule_smlist *l = &r->lists[list];
	if (l->n && (l->v[0].kw == RULE_KW_TRANSFORM || l->v[0].kw == RULE_KW_ABSENT))
		return false;
	*p = c->pat;
	*len = c->len;
	if (c->flags & RULE_CF_FP_CHOP) {
		if ((uint32_t)c->fp_off + c->fp_len > c->len || !c->fp_len)
			return false;
		*p = c->pat + c->fp_off;
		*len = c->fp_len;
	}
	*nocase = (c->flags & RULE_CF_NOCASE) != 0;
	return true;
}

static uint32_t pat_hash(const uint8_t *p, uint32_t len, bool nocase)
{
	uint32_t h = 2166136261u ^ (nocase ? 0x9e3779b9u : 0);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (nocase && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static bool pat_eq(const struct de_pat *x, const uint8_t *p, uint32_t len, bool nocase)
{
	if (x->len != len || x->nocase != nocase)
		return false;
	if (!nocase)
		return !memcmp(x->p, p, len);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t a = x->p[i], b = p[i];
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b + 32);
		if (a != b)
			return false;
	}
	return true;
}

static int db_add(struct de_db *db, const uint8_t *p, uint32_t len, bool nocase, uint32_t rule)
{
	if ((db->npats + 1) * 2 > db->hcap) {
		uint32_t nc = db->hcap ? db->hcap * 2 : 64;
		uint32_t *nh = calloc(nc, sizeof(*nh));
		if (!nh)
			return MAMORI_ENOMEM;
		for (uint32_t i = 0; i < db->npats; i++) {
			struct de_pat *x = &db->pats[i];
			uint32_t j = pat_hash(x->p, x->len, x->nocase) & (nc - 1);
			while (nh[j])
				j = (j + 1) & (nc - 1);
			nh[j] = i + 1;
		}
		free(db->hash);
		db->hash = nh;
		db->hcap = nc;
	}
	uint32_t j = pat_hash(p, len, nocase) & (db->hcap - 1);
	while (db->hash[j]) {
		struct de_pat *x = &db->pats[db->hash[j] - 1];
		if (pat_eq(x, p, len, nocase))
			return push_u32(&x->rules, &x->n, &x->cap, rule);
		j = (j + 1) & (db->hcap - 1);
	}
	if (db->npats == db->cap) {
		uint32_t nc = db->cap ? db->cap * 2 : 16;
		struct de_pat *nv = realloc(db->pats, nc * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		db->pats = nv;
		db->cap = nc;
	}
	struct de_pat *x = &db->pats[db->npats];
	memset(x, 0, sizeof(*x));
	x->p = p;
	x->len = len;
	x->nocase = nocase;
	db->hash[j] = ++db->npats;
	if (len > db->maxlen)
		db->maxlen = len;
	return push_u32(&x->rules, &x->n, &x->cap, rule);
}

/* Compiles one database (thread-safe: touches only db).  On a Hyperscan
 * error the message goes to err. */
static int db_compile(struct de_db *db, bool single, char *err, size_t errlen)
{
	free(db->hash);
	db->hash = NULL;
	if (!db->npats)
		return 0;
	int rc = MAMORI_ENOMEM;
	const char **exprs = calloc(db->npats, sizeof(*exprs));
	unsigned *flags = calloc(db->npats, sizeof(*flags));
	unsigned *ids = calloc(db->npats, sizeof(*ids));
	size_t *lens = calloc(db->npats, sizeof(*lens));
	if (!exprs || !flags || !ids || !lens)
		goto out;
	for (uint32_t i = 0; i < db->npats; i++) {
		exprs[i] = (const char *)db->pats[i].p;
		lens[i] = db->pats[i].len;
		ids[i] = i;
		flags[i] = (db->pats[i].nocase ? HS_FLAG_CASELESS : 0u) |
			   (single ? HS_FLAG_SINGLEMATCH : 0u);
	}
	hs_compile_error_t *e = NULL;
	if (hs_compile_lit_multi(exprs, flags, ids, lens, db->npats, HS_MODE_BLOCK, NULL,
				 &db->db, &e) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: %s", e && e->message ? e->message : "?");
		hs_free_compile_error(e);
		db->db = NULL;
		rc = MAMORI_EINVAL;
		goto out;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

/* Grows the engine's prototype scratch for db and counts it (serial). */
static int db_finish(struct detect_engine *de, struct de_db *db)
{
	if (!db->db)
		return 0;
	if (hs_alloc_scratch(db->db, &de->scratch) != HS_SUCCESS)
		return MAMORI_ENOMEM;
	size_t sz = 0;
	if (hs_database_size(db->db, &sz) == HS_SUCCESS)
		de->st.memory += sz;
	de->st.databases++;
	de->st.patterns += db->npats;
	if (db->npats > de->max_pats)
		de->max_pats = db->npats;
	return 0;
}

/*
 * The databases are independent, so they are compiled by DB_THREADS
 * threads taking the largest first (Hyperscan compilation is the bulk of
 * the build time for a large ruleset and is thread-safe).
 */
#define DB_THREADS 2
struct db_job {
	struct de_db *db;
	bool single;
	int rc;
	char err[160];
};
struct db_jobs {
	struct db_job *v;
	size_t n, next;
	pthread_mutex_t mu;
};

static void *db_worker(void *arg)
{
	struct db_jobs *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->n)
			return NULL;
		j->v[i].rc = db_compile(j->v[i].db, j->v[i].single, j->v[i].err,
					sizeof(j->v[i].err));
	}
}

static int cmp_job(const void *a, const void *b)
{
	const struct db_job *x = a, *y = b;
	return x->db->npats > y->db->npats ? -1 : x->db->npats < y->db->npats;
}

static int add_job(struct db_jobs *j, size_t *cap, struct de_db *db, bool single)
{
	if (!db->npats)
		return 0;
	if (j->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct db_job *nv = realloc(j->v, nc * sizeof(*nv));
		if (!nv)
			return MAMORI_ENOMEM;
		j->v = nv;
		*cap = nc;
	}
	memset(&j->v[j->n], 0, sizeof(j->v[0]));
	j->v[j->n].db = db;
	j->v[j->n].single = single;
	j->n++;
	return 0;
}

static int compile_all(struct detect_engine *de, struct mamori_diag *diag)
{
	struct db_jobs j = {0};
	size_t cap = 0;
	int rc = 0;
	/* payload databases: no SINGLEMATCH (see the file comment) */
	for (int k = 0; k < PK_MAX && !rc; k++)
		for (int i = 0; i < 2 && !rc; i++)
			rc = add_job(&j, &cap, &de->pg[k][0].db[i], false);
	for (int a = 1; a < APP_MAX && !rc; a++) {
		for (int b = 0; b <= APP_BUF_MAX && !rc; b++)
			rc = add_job(&j, &cap, &de->tg[a].db[b], true);
		for (int d = 0; d < 2 && !rc; d++)
			rc = add_job(&j, &cap, &de->tg[a].txpay[d], true);
	}
	if (rc) {
		free(j.v);
		return rc;
	}
	if (j.n > 1)
		qsort(j.v, j.n, sizeof(*j.v), cmp_job);
	pthread_mutex_init(&j.mu, NULL);
	pthread_t th[DB_THREADS - 1];
	int started = 0;
	for (int t = 0; t < DB_THREADS - 1 && j.n > 1; t++)
		if (pthread_create(&th[t], NULL, db_worker, &j) == 0)
			started++;
	db_worker(&j);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&j.mu);
	for (size_t i = 0; i < j.n; i++) {
		if (j.v[i].rc && !rc) {
			rc = j.v[i].rc;
			if (j.v[i].err[0])
				mamori_diag_set(diag, 0, 0, "%s", j.v[i].err);
		}
		if (!rc)
			rc = db_finish(de, j.v[i].db);
	}
	free(j.v);
	return rc;
}

static void db_release(struct de_db *db)
{
	if (db->db)
		hs_free_database(db->db);
	for (uint32_t i = 0; i < db->npats; i++)
		free(db->pats[i].rules);
	free(db->pats);
	free(db->hash);
	memset(db, 0, sizeof(*db));
}

/* Adds rule id to group g for list slot (0 payload, 1 + buffer). */
static int group_add(struct de_group *g, const struct rule *r, uint32_t id, int list,
		     int slot, bool *prefiltered)
{
	const uint8_t *p;
	uint32_t len;
	bool nocase;
	if (prefilter_pattern(r, list, &p, &len, &nocase)) {
		*prefiltered = true;
		g->any_db = true;
		return db_add(&g->db[slot], p, len, nocase, id);
	}
	return push_u32(&g->always, &g->nalways, &g->cap, id);
}

static int build_groups(struct detect_engine *de)
{
	for (uint32_t id = 0; id < de->n; id++) {
		struct de_rule *dr = &de->rules[id];
		const struct rule *r = dr->r;
		bool pf = false;
		int rc = 0;
		if (dr->tx) {
			/* one prefilter list per rule: its fast pattern's buffer,
			 * or the payload (searched in the flow's stream windows) */
			int list = r->fp_list >= RULE_LIST_BUF || r->fp_list == RULE_LIST_PMATCH
					   ? r->fp_list : -1;
			for (int a = 1; a < APP_MAX && !rc; a++) {
				/* DCERPC also runs inside SMB transactions */
				if (r->app != APP_UNKNOWN && r->app != (enum app_proto_id)a &&
				    !(r->app == APP_DCERPC && a == APP_SMB))
					continue;
				if (a == APP_FAILED)
					continue;
				const uint8_t *pp;
				uint32_t pl;
				bool pn;
				if (list == RULE_LIST_PMATCH &&
				    prefilter_pattern(r, list, &pp, &pl, &pn)) {
					pf = true;
					rc = db_add(&de->tg[a].txpay[dr->tx_dir], pp, pl, pn, id);
					continue;
				}
				if (list == RULE_LIST_PMATCH)
					list = -1;
				rc = list >= 0 ? group_add(&de->tg[a], r, id, list,
							   1 + list - RULE_LIST_BUF, &pf)
					       : push_u32(&de->tg[a].always, &de->tg[a].nalways,
							  &de->tg[a].cap, id);
			}
			if (r->lists[RULE_LIST_PMATCH].n)
				de->want_stream = true;
		} else {
			/* One payload database per transport, shared by both
			 * directions (compiled once); the always-candidates are
			 * kept per direction and database hits are filtered by
			 * the rule's direction bits. */
			uint32_t ff = flow_flags(r);
			dr->dirs = (uint8_t)(((ff & RULE_FLOW_TOCLIENT) ? 0u : 1u) |
					     ((ff & RULE_FLOW_TOSERVER) ? 0u : 2u));
			for (int k = 0; k < PK_MAX && !rc; k++) {
				if (r->ipproto && pk_of(r->ipproto) != k)
					continue;
				const uint8_t *p;
				uint32_t len;
				bool nocase;
				if (prefilter_pattern(r, RULE_LIST_PMATCH, &p, &len, &nocase)) {
					/* db[0]: rules the stream pass may match;
					 * db[1]: packet-only rules (no_stream, dsize) */
					pf = true;
					de->pg[k][0].any_db = true;
					rc = db_add(&de->pg[k][0].db[(dr->mode & MODE_STREAM) ? 0 : 1],
						    p, len, nocase, id);
					continue;
				}
				bool st = (dr->mode & MODE_STREAM) && r->lists[RULE_LIST_PMATCH].n;
				for (int d = 0; d < 2 && !rc; d++) {
					struct de_group *g = &de->pg[k][d];
					if (!(dr->dirs & (1u << d)))
						continue;
					rc = st ? push_u32(&g->salways, &g->nsalways, &g->scap, id)
						: push_u32(&g->always, &g->nalways, &g->cap, id);
				}
			}
			if (((dr->mode & MODE_STREAM) && r->lists[RULE_LIST_PMATCH].n) ||
			    list_has(&r->lists[RULE_LIST_MATCH], RULE_KW_STREAM_SIZE))
				de->want_stream = true;	/* stream_size counts stream bytes */
		}
		if (rc)
			return rc;
		if (pf)
			de->st.prefiltered++;
	}
	return 0;
}

int detect_engine_new(const struct ruleset *rs, const struct detect_config *cfg,
		      struct detect_engine **out, struct mamori_diag *diag)
{
	uint64_t t0 = mono_usec();
	int rc = MAMORI_ENOMEM;
	struct detect_engine *de = calloc(1, sizeof(*de));
	if (!de)
		return MAMORI_ENOMEM;
	de->rs = rs;
	if (cfg)
		de->cfg = *cfg;
	else
		detect_config_defaults(&de->cfg);
	de->cfg.dataset_dir = NULL;	/* borrowed for the build only */
	de->kv = detect_kv_new(de->cfg.state_memcap);
	de->rules = calloc(rs->n ? rs->n : 1, sizeof(*de->rules));
	if (!de->kv || !de->rules)
		goto out;
	if (cfg)
		de->cfg.dataset_dir = cfg->dataset_dir;
	for (size_t i = 0; i < rs->n; i++) {
		struct mamori_diag d2 = {0};
		rc = setup_rule(de, &de->rules[de->n], rs->rules[i], &d2);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			de_rule_release(&de->rules[de->n]);
			de->st.skipped++;
			if (d2.msg[0] && diag && !diag->msg[0])
				mamori_diag_set(diag, 0, 0, "%s:%u: %s", rs->rules[i]->file,
						rs->rules[i]->line, d2.msg);
			continue;
		}
		de->n++;
	}
	de->cfg.dataset_dir = NULL;
	qsort(de->rules, de->n, sizeof(*de->rules), cmp_rule);
	rc = build_groups(de);
	if (rc)
		goto out;
	de->st.groups = PK_MAX * 2 + (APP_MAX - 1);
	for (int k = 0; k < PK_MAX; k++)
		for (int i = 0; i < 2; i++) {
			struct de_db *db = &de->pg[k][0].db[i];
			for (uint32_t q = 0; q < db->npats; q++)
				for (uint32_t z = 0; z < db->pats[q].n; z++)
					if (de->rules[db->pats[q].rules[z]].pm_multi)
						db->pats[q].multi = true;
		}
	rc = compile_all(de, diag);
	if (rc)
		goto out;
	for (uint32_t i = 0; i < de->n; i++) {
		if (de->rules[i].tx)
			de->st.tx_rules++;
		else
			de->st.pkt_rules++;
	}
	de->st.rules = de->n;
	de->st.build_usec = mono_usec() - t0;
	*out = de;
	return 0;
out:
	detect_engine_free(de);
	return rc;
}

static void group_release(struct de_group *g)
{
	free(g->always);
	free(g->salways);
	for (int i = 0; i <= APP_BUF_MAX; i++)
		db_release(&g->db[i]);
	db_release(&g->txpay[0]);
	db_release(&g->txpay[1]);
}

void detect_engine_free(struct detect_engine *de)
{
	if (!de)
		return;
	for (uint32_t i = 0; i < de->n; i++)
		de_rule_release(&de->rules[i]);
	free(de->rules);
	for (int k = 0; k < PK_MAX; k++)
		for (int d = 0; d < 2; d++)
			group_release(&de->pg[k][d]);
	for (int a = 0; a < APP_MAX; a++)
		group_release(&de->tg[a]);
	for (uint32_t i = 0; i < de->nbitnames; i++)
		free(de->bitnames[i]);
	free(de->bitnames);
	detect_kv_free(de->kv);
	detect_datasets_release(&de->sets);
	if (de->scratch)
		hs_free_scratch(de->scratch);
	free(de);
}

void detect_engine_stats(const struct detect_engine *de, struct detect_engine_stats *out)
{
	*out = de->st;
}

/* ---- thread ---------------------------------------------------------------- */

int detect_thread_new(struct detect_engine *de, detect_alert_fn cb, void *ctx,
		      struct detect_thread **out)
{
	struct detect_thread *dt = calloc(1, sizeof(*dt));
	if (!dt)
		return MAMORI_ENOMEM;
	dt->de = de;
	dt->cb = cb;
	dt->cb_ctx = ctx;
	size_t n = de->n ? de->n : 1;
	dt->stamp = calloc(n, sizeof(*dt->stamp));
	dt->cand = calloc(n, sizeof(*dt->cand));
	dt->astamp = calloc(n, sizeof(*dt->astamp));
	dt->fstamp = calloc(n, sizeof(*dt->fstamp));
	dt->pstamp = calloc(de->max_pats ? de->max_pats : 1, sizeof(*dt->pstamp));
	if (!dt->stamp || !dt->cand || !dt->astamp || !dt->fstamp || !dt->pstamp || rule_match_ctx_init(&dt->m) != 0)
		goto fail;
	if (de->scratch && hs_clone_scratch(de->scratch, &dt->scratch) != HS_SUCCESS)
		goto fail;
	*out = dt;
	return 0;
fail:
	detect_thread_free(dt);
	return MAMORI_ENOMEM;
}

void detect_thread_free(struct detect_thread *dt)
{
	if (!dt)
		return;
	if (dt->scratch)
		hs_free_scratch(dt->scratch);
	rule_match_ctx_release(&dt->m);
	free(dt->stamp);
	free(dt->cand);
	free(dt->astamp);
	free(dt->fstamp);
	free(dt->pstamp);
	free(dt);
}

void detect_thread_stats(const struct detect_thread *dt, struct detect_thread_stats *out)
{
	*out = dt->st;
}

/* ---- candidates ------------------------------------------------------------ */

/* A new packet (or packet-less inspection): rules may alert again. */
static void packet_begin(struct detect_thread *dt)
{
	if (++dt->agen == 0) {
		memset(dt->astamp, 0, (dt->de->n ? dt->de->n : 1) * sizeof(*dt->astamp));
		dt->agen = 1;
	}
}

static void cand_begin(struct detect_thread *dt)
{
	dt->ncand = 0;
	if (++dt->gen == 0) {
		memset(dt->stamp, 0, (dt->de->n ? dt->de->n : 1) * sizeof(*dt->stamp));
		memset(dt->fstamp, 0, (dt->de->n ? dt->de->n : 1) * sizeof(*dt->fstamp));
		dt->gen = 1;
	}
}

static void cand_add(struct detect_thread *dt, uint32_t id)
{
	if (dt->stamp[id] == dt->gen)
		return;
	dt->stamp[id] = dt->gen;
	dt->cand[dt->ncand++] = id;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
		       unsigned int flags, void *ctx)
{
	(void)from;
	(void)flags;
	struct detect_thread *dt = ctx;
	if (to <= dt->min_to || dt->pstamp[id] == dt->pgen)
		return 0;
	dt->pstamp[id] = dt->pgen;
	const struct de_pat *x = &dt->scan_db->pats[id];
	struct de_win *w = dt->scan_win;
	if (w && w->hits && x->multi) {
		/* remember it: later packets of the stream need it as long as
		 * its bytes are in the window (a rule's other contents may
		 * arrive later) */
		uint64_t start = w->base + dt->scan_off + to - x->len;
		uint32_t h = 0;
		for (; h < w->nhits; h++) {
			struct de_hit *e = &w->hits[(w->hit0 + h) % WIN_HITS_MAX];
			if (e->id == id) {
				e->start = start;	/* the latest occurrence lives longest */
				break;
			}
		}
		if (h == w->nhits) {
			uint32_t slot = (w->hit0 + w->nhits) % WIN_HITS_MAX;
			if (w->nhits == WIN_HITS_MAX)
				w->hit0 = (w->hit0 + 1) % WIN_HITS_MAX;
			else
				w->nhits++;
			w->hits[slot].id = id;
			w->hits[slot].start = start;
		}
	}
	if (dt->scan_dir < 0) {
		for (uint32_t i = 0; i < x->n; i++)
			cand_add(dt, x->rules[i]);
		return 0;
	}
	uint8_t bit = (uint8_t)(1u << dt->scan_dir);
	for (uint32_t i = 0; i < x->n; i++)
		if (dt->de->rules[x->rules[i]].dirs & bit) {
			cand_add(dt, x->rules[i]);
			dt->fstamp[x->rules[i]] = dt->gen;
		}
	return 0;
}

/* Scans data with db; patterns ending at or before min_to are ignored. */
static void scan(struct detect_thread *dt, const struct de_db *db, const uint8_t *data,
		 size_t len, size_t min_to, int dir)
{
	if (!db->db || !len || len > UINT32_MAX)
		return;
	if (++dt->pgen == 0) {
		memset(dt->pstamp, 0, dt->de->max_pats * sizeof(*dt->pstamp));
		dt->pgen = 1;
	}
	dt->scan_db = db;
	dt->min_to = min_to;
	dt->scan_dir = dir;
	dt->scan_win = NULL;
	if (hs_scan(db->db, (const char *)data, (unsigned)len, 0, dt->scratch, on_hs_match,
		    dt) != HS_SUCCESS)
		dt->st.errors++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void cand_always(struct detect_thread *dt, const struct de_group *g)
{
	for (uint32_t i = 0; i < g->nalways; i++)
		cand_add(dt, g->always[i]);
}

static void cand_sort(struct detect_thread *dt)
{
	uint32_t *v = dt->cand, n = dt->ncand;
	if (n > 32) {
		qsort(v, n, sizeof(*v), cmp_u32);
	} else {
		for (uint32_t i = 1; i < n; i++) {	/* few: insertion sort */
			uint32_t x = v[i], j = i;
			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	}
	dt->st.candidates += dt->ncand;
}

/* ---- per-flow state -------------------------------------------------------- */

static struct de_flow *flow_state(struct detect_thread *dt, struct flow *f)
{
	if (!f)
		return NULL;
	struct de_flow *df = f->detect;
	if (df)
		return df;
	df = calloc(1, sizeof(*df));
	if (!df)
		return NULL;
	df->nwords = (dt->de->nbitnames + 63) / 64;
	if (df->nwords) {
		df->bits = calloc(df->nwords, sizeof(uint64_t));
		if (!df->bits) {
			free(df);
			return NULL;
		}
	}
	f->detect = df;
	return df;
}

static bool fbit_get(const struct de_flow *df, uint32_t id)
{
	return df && id / 64 < df->nwords && (df->bits[id / 64] >> (id % 64)) & 1u;
}

static void fbit_put(struct de_flow *df, uint32_t id, int how)	/* 1 set, 0 unset, 2 toggle */
{
	if (!df || id / 64 >= df->nwords)
		return;
	uint64_t m = 1ull << (id % 64);
	if (how == 1)
		df->bits[id / 64] |= m;
	else if (how == 0)
		df->bits[id / 64] &= ~m;
	else
		df->bits[id / 64] ^= m;
}

/* ---- header and match list ------------------------------------------------ */

static bool addr_in(const struct rule_addrset *s, const struct mamori_addr *a)
{
	if (s->any)
		return true;
	if (a->family == 4)
		return rule_addrset_has_v4(s, (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 |
					       (uint32_t)a->a[2] << 8 | a->a[3]);
	if (a->family == 6)
		return rule_addrset_has_v6(s, a->a);
	return false;
}

static bool header_way(const struct rule *r, const struct ectx *c, bool swap)
{
	const struct mamori_addr *s = swap ? c->dst : c->src, *d = swap ? c->src : c->dst;
	uint16_t sp = swap ? c->dp : c->sp, dp = swap ? c->sp : c->dp;
	if (!addr_in(&r->src, s) || !addr_in(&r->dst, d))
		return false;
	if (c->proto == 6 || c->proto == 17 || c->proto == 132)
		return rule_portset_has(&r->sport, sp) && rule_portset_has(&r->dport, dp);
	return true;
}

static bool header_match(const struct rule *r, const struct ectx *c)
{
	if (r->ipproto && r->ipproto != c->proto)
		return false;
	if ((r->proto_flags & RULE_PROTO_V4_ONLY) && c->src->family != 4)
		return false;
	if ((r->proto_flags & RULE_PROTO_V6_ONLY) && c->src->family != 6)
		return false;
	return header_way(r, c, false) || (r->bidir && header_way(r, c, true));
}

static bool bm_eval(const struct rule_bitmask *b, uint32_t v)
{
	bool ok;
	switch (b->mode) {
	case RULE_BM_ALL: ok = (v & b->want) == b->want; break;
	case RULE_BM_ANY: ok = (v & b->want) != 0; break;
	case RULE_BM_NOT: ok = (v & b->want) == 0; break;
	default: ok = (v & ~b->ignore) == b->want; break;
	}
	return b->negated ? !ok : ok;
}

/* Key of an xbits/hostbits entry: 'x', id, and one or two addresses. */
static size_t xbit_key(uint8_t key[DETECT_KV_KEY_MAX], uint32_t id, int track,
		       const struct mamori_addr *a, const struct mamori_addr *b)
{
	size_t n = 0;
	key[n++] = 'x';
	memcpy(key + n, &id, 4);
	n += 4;
	key[n++] = (uint8_t)track;
	memcpy(key + n, a->a, 16);
	n += 16;
	if (b) {
		memcpy(key + n, b->a, 16);
		n += 16;
	}
	return n;
}

/* Which addresses an xbit/hostbit with this track applies to (up to 2 keys). */
static int xbit_keys(uint8_t keys[2][DETECT_KV_KEY_MAX], size_t klen[2], uint32_t id,
		     const struct rule_bits *b, uint16_t kw, const struct ectx *c)
{
	int track = b->track;
	if (kw == RULE_KW_HOSTBITS && track == RULE_TRACK_NONE)
		track = RULE_TRACK_SRC;
	switch (track) {
	case RULE_TRACK_DST:
		klen[0] = xbit_key(keys[0], id, RULE_TRACK_SRC, c->dst, NULL);
		return 1;
	case RULE_TRACK_PAIR: {
		const struct mamori_addr *a = c->src, *z = c->dst;
		if (memcmp(a->a, z->a, 16) > 0) {
			a = c->dst;
			z = c->src;
		}
		klen[0] = xbit_key(keys[0], id, RULE_TRACK_PAIR, a, z);
		return 1;
	}
	case RULE_TRACK_BOTH:
		klen[0] = xbit_key(keys[0], id, RULE_TRACK_SRC, c->src, NULL);
		klen[1] = xbit_key(keys[1], id, RULE_TRACK_SRC, c->dst, NULL);
		return 2;
	default:
		klen[0] = xbit_key(keys[0], id, RULE_TRACK_SRC, c->src, NULL);
		return 1;
	}
}

static bool xbit_isset(struct detect_thread *dt, const struct de_bits *x, uint32_t i,
		       const struct ectx *c)
{
	uint8_t keys[2][DETECT_KV_KEY_MAX];
	size_t klen[2];
	int nk = xbit_keys(keys, klen, x->ids[i], x->b, x->kw, c);
	for (int k = 0; k < nk; k++)
		if (detect_kv_get(dt->de->kv, keys[k], klen[k], false, c->ts))
			return true;
	return false;
}

static bool bits_check(struct detect_thread *dt, const struct de_rule *dr,
		       const struct rule_sm *sm, const struct ectx *c)
{
	const struct de_bits *x = NULL;
	for (uint32_t i = 0; i < dr->nbits; i++)
		if (dr->bits[i].b == sm->ctx)
			x = &dr->bits[i];
	if (!x)
		return false;
	struct de_flow *df = c->f ? c->f->detect : NULL;
	bool want = x->b->cmd == RULE_BITS_ISSET;
	for (uint32_t i = 0; i < x->b->n; i++) {
		bool set = x->kw == RULE_KW_FLOWBITS ? fbit_get(df, x->ids[i])
						     : xbit_isset(dt, x, i, c);
		if (set == want)
			return true;	/* OR list: any name decides */
	}
	return false;
}

static bool flow_est(const struct flow *f)
{
	if (!f)
		return false;
	if (f->key.proto == 6)
		return f->state == FLOW_STATE_ESTABLISHED ||
		       (f->state == FLOW_STATE_CLOSED &&
			(f->flags & (FLOW_F_TOSERVER_SEEN | FLOW_F_TOCLIENT_SEEN)) ==
				(FLOW_F_TOSERVER_SEEN | FLOW_F_TOCLIENT_SEEN));
	return f->state != FLOW_STATE_NEW;
}

static bool flow_check(const struct rule_flow *rf, const struct ectx *c, bool tx)
{
	uint32_t fl = rf->flags;
	if ((fl & RULE_FLOW_ESTABLISHED) && !flow_est(c->f))
		return false;
	if ((fl & RULE_FLOW_NOT_ESTABLISHED) && flow_est(c->f))
		return false;
	if (!tx) {
		if ((fl & RULE_FLOW_TOSERVER) && c->dir != FLOW_DIR_TOSERVER)
			return false;
		if ((fl & RULE_FLOW_TOCLIENT) && c->dir != FLOW_DIR_TOCLIENT)
			return false;
		if ((fl & RULE_FLOW_ONLY_STREAM) && !c->stream)
			return false;
		if ((fl & RULE_FLOW_NO_STREAM) && c->stream)
			return false;
	}
	if ((fl & RULE_FLOW_ONLY_FRAG) && !(c->p && (c->p->flags & PKT_REASSEMBLED)))
		return false;
	if ((fl & RULE_FLOW_NO_FRAG) && c->p && (c->p->flags & PKT_REASSEMBLED))
		return false;
	return true;
}

/* IPv4 header byte at off, or -1. */
static int ip4_byte(const struct packet *p, uint32_t off)
{
	if (!p || p->ipver != 4 || !p->l3 || off >= p->l3_len)
		return -1;
	return p->l3[off];
}

static bool cmp_pkt(const struct rule_sm *sm, const struct packet *p, uint64_t v, bool have)
{
	(void)p;
	return have && rule_cmp_eval(sm->ctx, v);
}

/* The IPv4 options of p as rule_ipopt bits (0 when none or not IPv4). */
static uint32_t ip4_opts(const struct packet *p)
{
	static const struct {
		uint8_t type;
		uint8_t bit;
	} map[] = {
		{7, RULE_IPOPT_RR}, {0, RULE_IPOPT_EOL}, {1, RULE_IPOPT_NOP},
		{68, RULE_IPOPT_TS}, {130, RULE_IPOPT_SEC}, {133, RULE_IPOPT_ESEC},
		{131, RULE_IPOPT_LSRR}, {137, RULE_IPOPT_SSRR}, {136, RULE_IPOPT_SATID},
	};
	int v = ip4_byte(p, 0);
	if (v < 0)
		return 0;
	uint32_t hl = (uint32_t)(v & 0x0f) * 4, bits = 0;
	for (uint32_t off = 20; off < hl && off < p->l3_len;) {
		uint8_t t = p->l3[off];
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].type == t)
				bits |= 1u << map[i].bit;
		if (t == 0)
			break;
		if (t == 1) {
			off++;
			continue;
		}
		if (off + 1 >= p->l3_len || p->l3[off + 1] < 2)
			break;
		off += p->l3[off + 1];
	}
	if (bits)
		bits |= 1u << RULE_IPOPT_ANY;
	return bits;
}

/* stream_size: bytes seen by sequence numbers on each side (+1: the SYN). */
static bool stream_size_ok(const struct rule_cmp *rc, const struct ectx *c)
{
	const struct de_flow *df = c->f ? c->f->detect : NULL;
	if (!df || c->proto != 6)
		return false;
	bool srv = rule_cmp_eval(rc, df->sbytes[FLOW_DIR_TOCLIENT] + 1);
	bool cli = rule_cmp_eval(rc, df->sbytes[FLOW_DIR_TOSERVER] + 1);
	if (rc->flags & RULE_CMPF_EITHER)
		return srv || cli;
	if ((rc->flags & RULE_CMPF_SERVER) && (rc->flags & RULE_CMPF_CLIENT))
		return srv && cli;
	return (rc->flags & RULE_CMPF_SERVER) ? srv : cli;
}

/* Evaluates RULE_LIST_MATCH; returns false on any failing or unsupported entry. */
static bool match_list(struct detect_thread *dt, const struct de_rule *dr, const struct ectx *c,
		       bool tx)
{
	const struct rule_smlist *l = &dr->r->lists[RULE_LIST_MATCH];
	const struct packet *p = c->p;
	for (uint32_t i = 0; i < l->n; i++) {
		const struct rule_sm *sm = &l->v[i];
		bool ok;
		switch (sm->kw) {
		case RULE_KW_FLOW:
			ok = flow_check(sm->ctx, c, tx);
			break;
		case RULE_KW_FLOWBITS:
		case RULE_KW_XBITS:
		case RULE_KW_HOSTBITS:
			ok = bits_check(dt, dr, sm, c);
			break;
		case RULE_KW_DSIZE:
			ok = cmp_pkt(sm, p, p ? p->payload_len : 0, p && !c->stream);
			break;
		case RULE_KW_TTL:
			ok = cmp_pkt(sm, p, p ? p->ttl : 0, p != NULL);
			break;
		case RULE_KW_ITYPE:
			ok = cmp_pkt(sm, p, p ? p->icmp_type : 0,
				     p && (p->proto == 1 || p->proto == 58));
			break;
		case RULE_KW_ICODE:
			ok = cmp_pkt(sm, p, p ? p->icmp_code : 0,
				     p && (p->proto == 1 || p->proto == 58));
			break;
		case RULE_KW_ICMP_ID:
		case RULE_KW_ICMP_SEQ: {
			uint32_t off = sm->kw == RULE_KW_ICMP_ID ? 4 : 6;
			bool have = p && (p->proto == 1 || p->proto == 58) && p->l4 &&
				    p->l4_len >= off + 2;
			uint64_t v = have ? (uint64_t)p->l4[off] << 8 | p->l4[off + 1] : 0;
			ok = cmp_pkt(sm, p, v, have);
			break;
		}
		case RULE_KW_IP_PROTO:
			ok = cmp_pkt(sm, p, c->proto, true);
			break;
		case RULE_KW_FLAGS:
			ok = p && p->proto == 6 && bm_eval(sm->ctx, p->tcp_flags);
			break;
		case RULE_KW_SEQ:
			ok = cmp_pkt(sm, p, p ? p->tcp_seq : 0, p && p->proto == 6);
			break;
		case RULE_KW_ACK:
			ok = cmp_pkt(sm, p, p ? p->tcp_ack : 0, p && p->proto == 6);
			break;
		case RULE_KW_WINDOW:
			ok = cmp_pkt(sm, p, p ? p->tcp_win : 0, p && p->proto == 6);
			break;
		case RULE_KW_ID: {
			int hi = ip4_byte(p, 4), lo = ip4_byte(p, 5);
			ok = cmp_pkt(sm, p, (uint64_t)(hi << 8 | lo), hi >= 0 && lo >= 0);
			break;
		}
		case RULE_KW_TOS: {
			int t = ip4_byte(p, 1);
			ok = cmp_pkt(sm, p, (uint64_t)t, t >= 0);
			break;
		}
		case RULE_KW_FRAGBITS: {
			int fb = ip4_byte(p, 6);
			uint32_t v = 0;
			if (fb >= 0) {
				if (fb & 0x20)
					v |= 1u << RULE_FRAG_MF;
				if (fb & 0x40)
					v |= 1u << RULE_FRAG_DF;
				if (fb & 0x80)
					v |= 1u << RULE_FRAG_RSV;
			}
			ok = fb >= 0 && bm_eval(sm->ctx, v);
			break;
		}
		case RULE_KW_FRAGOFFSET: {
			int hi = ip4_byte(p, 6), lo = ip4_byte(p, 7);
			ok = cmp_pkt(sm, p, (uint64_t)((hi & 0x1f) << 8 | lo), hi >= 0 && lo >= 0);
			break;
		}
		case RULE_KW_SAMEIP:
			ok = c->src->family == c->dst->family &&
			     !memcmp(c->src->a, c->dst->a, 16);
			break;
		case RULE_KW_APP_LAYER_PROTOCOL: {
			const struct rule_str *s = sm->ctx;
			/* unknown yet: neither "x" nor "!x" matches (Suricata) */
			uint16_t ap = c->f ? c->f->app_proto : APP_UNKNOWN;
			const char *name = app_proto_name((enum app_proto_id)ap);
			const char *want = !strcmp(s->s, "http1") ? "http" : s->s;
			bool eq = name && !strcmp(name, want);
			ok = ap != APP_UNKNOWN && (s->negated ? !eq : eq);
			break;
		}
		case RULE_KW_FLOW_AGE:
			ok = c->f && rule_cmp_eval(sm->ctx, (c->ts - c->f->ts_first) / 1000000u);
			break;
		case RULE_KW_DCERPC_IFACE:
		case RULE_KW_DCERPC_OPNUM: {
			struct app_dcerpc_info di;
			memset(&di, 0, sizeof(di));
			if (!c->ap || !c->tx || !c->ap->dcerpc_info ||
			    !c->ap->dcerpc_info(c->tx, &di)) {
				ok = false;
			} else if (sm->kw == RULE_KW_DCERPC_IFACE) {
				const struct rule_dce_iface *d = sm->ctx;
				ok = di.iface_known && di.iface_acked &&
				     !memcmp(di.iface_uuid, d->uuid, 16);
				if (ok && d->has_version) {
					struct rule_cmp vc = {.op = d->op, .lo = d->version};
					ok = rule_cmp_eval(&vc, di.iface_ver_major);
				}
			} else {
				const struct rule_ranges *rg = sm->ctx;
				ok = false;
				for (uint32_t k = 0; di.has_request && k < rg->n; k++)
					if (di.opnum >= rg->v[k][0] && di.opnum <= rg->v[k][1])
						ok = true;
			}
			break;
		}
		case RULE_KW_IPOPTS:
			ok = p && p->ipver == 4 && bm_eval(sm->ctx, ip4_opts(p));
			break;
		case RULE_KW_STREAM_SIZE:
			ok = stream_size_ok(sm->ctx, c);
			break;
		case RULE_KW_VLAN_LAYERS:
			ok = cmp_pkt(sm, p, p ? p->vlan_count : 0, p != NULL);
			break;
		case RULE_KW_VLAN_ID: {
			const struct rule_vlan *v = sm->ctx;
			ok = false;
			for (int k = 0; p && k < p->vlan_count && k < 2; k++) {
				bool hit = rule_cmp_eval(&v->id, p->vlan[k]);
				if (v->mode == RULE_VLAN_INDEX) {
					int want = v->layer >= 0 ? v->layer : p->vlan_count + v->layer;
					if (k == want)
						ok = hit;
				} else if (hit) {
					ok = true;
				}
			}
			break;
		}
		default:
			dt->st.errors++;
			ok = false;	/* unsupported condition: never matches */
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Datasets of list `list` over the (untransformed) buffer. */
static bool ds_check(struct detect_thread *dt, const struct de_rule *dr, int list,
		     const uint8_t *buf, size_t len)
{
	bool have = false;
	const uint8_t *t = NULL;
	size_t tl = 0;
	for (uint32_t i = 0; i < dr->nds; i++) {
		const struct de_ds *x = &dr->ds[i];
		if (x->list != list)
			continue;
		if (!have) {
			if (!rule_list_transform(dr->r, list, buf, len, &t, &tl, &dt->m))
				return false;
			have = true;
		}
		bool ok;
		switch (x->d->cmd) {
		case RULE_DS_ISSET: ok = detect_dataset_has(x->ds, t, tl); break;
		case RULE_DS_ISNOTSET: ok = !detect_dataset_has(x->ds, t, tl); break;
		case RULE_DS_SET:
			ok = !detect_dataset_has(x->ds, t, tl) &&
			     detect_dataset_add(x->ds, t, tl) == 0;
			break;
		default:
			ok = detect_dataset_has(x->ds, t, tl);
			if (ok)
				detect_dataset_remove(x->ds, t, tl);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool has_ds(const struct de_rule *dr, int list)
{
	for (uint32_t i = 0; i < dr->nds; i++)
		if (dr->ds[i].list == list)
			return true;
	return false;
}

/* One list over one buffer: 1 match, 0 not. */
static bool list_match(struct detect_thread *dt, const struct de_rule *dr, int list,
		       const uint8_t *buf, size_t len)
{
	int rc = rule_match_list(dr->ev, list, buf, len, &dt->m);
	if (rc < 0) {
		dt->st.errors++;
		return false;
	}
	if (rc != 1)
		return false;
	return !has_ds(dr, list) || ds_check(dt, dr, list, buf, len);
}

/* ---- after a match ----------------------------------------------------------- */

static void postmatch(struct detect_thread *dt, const struct de_rule *dr, const struct ectx *c)
{
	struct de_flow *df = NULL;
	for (uint32_t i = 0; i < dr->nbits; i++) {
		const struct de_bits *x = &dr->bits[i];
		int cmd = x->b->cmd;
		if (cmd != RULE_BITS_SET && cmd != RULE_BITS_UNSET && cmd != RULE_BITS_TOGGLE)
			continue;
		int how = cmd == RULE_BITS_SET ? 1 : cmd == RULE_BITS_UNSET ? 0 : 2;
		if (x->kw == RULE_KW_FLOWBITS) {
			if (!df)
				df = flow_state(dt, c->f);
			for (uint32_t k = 0; k < x->b->n; k++)
				fbit_put(df, x->ids[k], how);
			continue;
		}
		for (uint32_t k = 0; k < x->b->n; k++) {
			uint8_t keys[2][DETECT_KV_KEY_MAX];
			size_t klen[2];
			int nk = xbit_keys(keys, klen, x->ids[k], x->b, x->kw, c);
			for (int j = 0; j < nk; j++) {
				bool cur = detect_kv_get(dt->de->kv, keys[j], klen[j], false,
							 c->ts) != NULL;
				bool want = how == 1 || (how == 2 && !cur);
				if (!want) {
					detect_kv_del(dt->de->kv, keys[j], klen[j]);
					continue;
				}
				struct detect_kv_val *v =
					detect_kv_get(dt->de->kv, keys[j], klen[j], true, c->ts);
				if (v)
					v->expire = x->b->expire ?
						c->ts + (uint64_t)x->b->expire * 1000000u : 0;
			}
		}
	}
}

/* Threshold / detection_filter: true when the alert may be raised. */
static bool threshold_ok(struct detect_thread *dt, const struct rule *r, const struct ectx *c)
{
	const struct rule_smlist *l = &r->lists[RULE_LIST_THRESHOLD];
	bool ok = true;
	for (uint32_t i = 0; i < l->n; i++) {
		const struct rule_threshold *t = l->v[i].ctx;
		uint8_t key[DETECT_KV_KEY_MAX];
		size_t n = 0;
		key[n++] = 't';
		key[n++] = t->type;
		memcpy(key + n, &r->gid, 4);
		n += 4;
		memcpy(key + n, &r->sid, 4);
		n += 4;
		key[n++] = t->track;
		if (t->track == RULE_TRACK_DST) {
			memcpy(key + n, c->dst->a, 16);
			n += 16;
		} else if (t->track == RULE_TRACK_BOTH) {
			const struct mamori_addr *a = c->src, *z = c->dst;
			if (memcmp(a->a, z->a, 16) > 0) {
				a = c->dst;
				z = c->src;
			}
			memcpy(key + n, a->a, 16);
			n += 16;
			memcpy(key + n, z->a, 16);
			n += 16;
		} else if (t->track != RULE_TRACK_RULE) {
			memcpy(key + n, c->src->a, 16);
			n += 16;
		}
		struct detect_kv_val *v = detect_kv_get(dt->de->kv, key, n, true, c->ts);
		if (!v)
			continue;	/* table full: let the alert through */
		uint64_t win = (uint64_t)t->seconds * 1000000u;
		if (v->a == 0 || c->ts - v->b >= win) {
			v->a = 0;
			v->b = c->ts;
		}
		v->expire = v->b + win + 1;
		v->a++;
		switch (t->type) {
		case RULE_THR_LIMIT:
			ok = ok && v->a <= t->count;
			break;
		case RULE_THR_THRESHOLD:
			/* every count-th match in the window alerts; the count restarts */
			if (v->a >= t->count)
				v->a = 0;
			else
				ok = false;
			break;
		case RULE_THR_BOTH:
			ok = ok && v->a == t->count;
			break;
		default:	/* detection_filter */
			ok = ok && v->a > t->count;
			break;
		}
	}
	return ok;
}

static void raise_alert(struct detect_thread *dt, const struct de_rule *dr, const struct ectx *c)
{
	dt->st.alerts++;
	if (c->f)
		c->f->flags |= FLOW_F_ALERTED;
	if (!dt->cb)
		return;
	struct detect_alert a = {
		.r = dr->r, .f = c->f, .p = c->p, .dir = c->dir, .ts = c->ts,
		.ap = c->ap, .tx = c->tx, .tx_id = c->tx_id, .stream = c->stream,
	};
	dt->cb(&a, dt->cb_ctx);
}

/* A rule matched: post-match actions, pass, noalert, thresholds.
 * Returns true when inspection of this packet/tx must stop (pass). */
static bool on_rule_match(struct detect_thread *dt, const struct de_rule *dr,
			  const struct ectx *c)
{
	dt->st.matches++;
	postmatch(dt, dr, c);
	if (dr->r->action == RULE_ACT_PASS) {
		struct de_flow *df = flow_state(dt, c->f);
		if (df && !df->passed) {
			df->passed = true;
			dt->st.passed_flows++;
		}
		return true;
	}
	if ((dr->r->flags & RULE_F_NOALERT) || !threshold_ok(dt, dr->r, c)) {
		dt->st.suppressed++;
		return false;
	}
	raise_alert(dt, dr, c);
	return false;
}

/* ---- packets and streams ----------------------------------------------------- */

static void ctx_from_packet(struct ectx *c, const struct packet *p, struct flow *f, int dir)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->f = f;
	c->dir = dir;
	c->ts = p->ts_usec;
	c->src = &p->src;
	c->dst = &p->dst;
	c->sp = p->sport;
	c->dp = p->dport;
	c->proto = p->proto;
	c->tx_id = -1;
}

static void ctx_from_flow(struct ectx *c, struct flow *f, int dir, uint64_t ts)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->dir = dir;
	c->ts = ts;
	bool rev = dir == FLOW_DIR_TOCLIENT;
	c->src = rev ? &f->key.b : &f->key.a;
	c->dst = rev ? &f->key.a : &f->key.b;
	c->sp = rev ? f->key.pb : f->key.pa;
	c->dp = rev ? f->key.pa : f->key.pb;
	c->proto = f->key.proto;
	c->tx_id = -1;
}

/* Adds the rules of a remembered pattern hit (packet direction dir). */
static void cand_pattern(struct detect_thread *dt, const struct de_db *db, uint32_t id, int dir)
{
	if (id >= db->npats)
		return;
	const struct de_pat *x = &db->pats[id];
	uint8_t bit = (uint8_t)(1u << dir);
	for (uint32_t i = 0; i < x->n; i++) {
		/* a single-entry rule matched, or not, when its pattern arrived */
		const struct de_rule *dr = &dt->de->rules[x->rules[i]];
		if ((dr->dirs & bit) && dr->pm_multi)
			cand_add(dt, x->rules[i]);
	}
}

/*
 * Collects the candidates of transport k, direction dir for buf.  For a
 * stream window (w set) only the new bytes (plus the longest pattern's
 * overlap) are scanned: patterns ending in the new bytes are found there
 * and remembered in w, and the patterns remembered from earlier packets
 * whose bytes are still in the window are added too.
 */
static void collect(struct detect_thread *dt, int k, int dir, const uint8_t *buf,
		    size_t len, size_t old, const struct ectx *c, struct de_win *w)
{
	const struct de_group *g = &dt->de->pg[k][dir];
	if (!c->stream)
		cand_always(dt, g);
	if (!c->pkt_only)
		for (uint32_t i = 0; i < g->nsalways; i++)
			cand_add(dt, g->salways[i]);
	for (int i = 0; i < 2; i++) {
		/* the stream pass needs stream rules only; a TCP packet whose
		 * payload the stream pass covers needs packet-only rules only */
		if ((i == 1 && c->stream) || (i == 0 && c->pkt_only))
			continue;
		const struct de_db *db = &dt->de->pg[k][0].db[i];
		if (w && w->hits) {
			for (uint32_t h = 0; h < w->nhits; h++) {
				const struct de_hit *x = &w->hits[(w->hit0 + h) % WIN_HITS_MAX];
				if (x->start >= w->base)
					cand_pattern(dt, db, x->id, dir);
			}
		}
		size_t start = 0;
		if (old > db->maxlen)
			start = old - db->maxlen + 1;
		if (len > start) {
			if (!db->db || len - start > UINT32_MAX)
				continue;
			if (++dt->pgen == 0) {
				memset(dt->pstamp, 0, dt->de->max_pats * sizeof(*dt->pstamp));
				dt->pgen = 1;
			}
			dt->scan_db = db;
			dt->min_to = old - start;
			dt->scan_dir = dir;
			dt->scan_win = w;
			dt->scan_off = start;
			if (hs_scan(db->db, (const char *)buf + start, (unsigned)(len - start), 0,
				    dt->scratch, on_hs_match, dt) != HS_SUCCESS)
				dt->st.errors++;
			dt->scan_win = NULL;
		}
	}
}

/*
 * Inspects a payload (packet: old = 0; stream window: old = bytes already
 * inspected) with the packet rules of c's group.  done[] marks rules that
 * already alerted for this packet (so stream + payload give one alert).
 */
static void inspect_payload(struct detect_thread *dt, const uint8_t *buf, size_t len,
			    size_t old, struct ectx *c, struct de_win *w)
{
	const struct detect_engine *de = dt->de;
	cand_begin(dt);
	collect(dt, pk_of(c->proto), c->dir ? 1 : 0, buf, len, old, c, w);
	cand_sort(dt);
	uint8_t need = c->stream ? MODE_STREAM : MODE_PKT;
	for (uint32_t i = 0; i < dt->ncand; i++) {
		const struct de_rule *dr = &de->rules[dt->cand[i]];
		const struct rule *r = dr->r;
		bool payload = r->lists[RULE_LIST_PMATCH].n != 0;
		if (!(dr->mode & need) || (c->stream && !payload) ||
		    (c->pkt_only && payload && (dr->mode & MODE_STREAM)) ||
		    dt->astamp[dt->cand[i]] == dt->agen)
			continue;
		if (r->app != APP_UNKNOWN &&
		    (!c->f || c->f->app_proto != (uint16_t)r->app))
			continue;
		if (!header_match(r, c) || !match_list(dt, dr, c, false))
			continue;
		if (payload && !list_match(dt, dr, RULE_LIST_PMATCH, buf, len))
			continue;
		/* stream: a rule whose fast pattern is not in the new bytes (it
		 * is a candidate through a remembered hit, or has none) counts
		 * only when its match needs the new bytes: one that the bytes
		 * already inspected hold on their own was reported with them */
		if (c->stream && old && payload && dt->fstamp[dt->cand[i]] != dt->gen &&
		    rule_match_list(dr->ev, RULE_LIST_PMATCH, buf, old, &dt->m) == 1)
			continue;
		dt->astamp[dt->cand[i]] = dt->agen;	/* once per packet */
		if (on_rule_match(dt, dr, c))
			return;
		if (c->f && c->f->detect && ((struct de_flow *)c->f->detect)->passed)
			return;
	}
}

static void win_append(struct de_win *w, const uint8_t *data, size_t len)
{
	if (w->len + len > w->cap) {
		size_t nc = w->cap ? w->cap : 4096;
		while (nc < w->len + len)
			nc *= 2;
		uint8_t *np = realloc(w->p, nc);
		if (!np)
			return;	/* bytes are skipped for detection */
		w->p = np;
		w->cap = nc;
	}
	memcpy(w->p + w->len, data, len);
	w->len += len;
}

/* Inspects the window's new bytes and slides it. */
static void win_inspect(struct detect_thread *dt, struct flow *f, int dir,
			const struct packet *p, uint64_t ts)
{
	struct de_flow *df = f->detect;
	if (!df)
		return;
	struct de_win *w = &df->win[dir];
	if (w->len <= w->old)
		return;
	if (!df->passed) {
		struct ectx c;
		if (p)
			ctx_from_packet(&c, p, f, dir);
		else
			ctx_from_flow(&c, f, dir, ts);
		c.stream = true;
		if (!w->hits)
			w->hits = calloc(WIN_HITS_MAX, sizeof(*w->hits));	/* NULL: no memory */
		inspect_payload(dt, w->p, w->len, w->old, &c, w);
	}
	/* keep at least stream_window bytes; slide only past twice that, so
	 * the copy is amortised over several packets */
	size_t keep = dt->de->cfg.stream_window;
	if (w->len > 2 * keep) {
		w->base += w->len - keep;
		memmove(w->p, w->p + w->len - keep, keep);
		w->len = keep;
	}
	w->old = w->len;
}

void detect_stream(struct detect_thread *dt, struct flow *f, int dir,
		   const uint8_t *data, size_t len, unsigned flags)
{
	(void)flags;
	if (!dt->de->want_stream || !len || !f)
		return;
	struct de_flow *df = flow_state(dt, f);
	if (!df || df->passed)
		return;
	struct de_win *w = &df->win[dir & 1];
	df->sbytes[dir & 1] += len;
	if (w->len - w->old + len > STREAM_NEW_CAP) {
		packet_begin(dt);
		win_inspect(dt, f, dir & 1, NULL, f->ts_last);
	}
	while (len > STREAM_NEW_CAP) {
		win_append(w, data, STREAM_NEW_CAP);
		packet_begin(dt);
		win_inspect(dt, f, dir & 1, NULL, f->ts_last);
		data += STREAM_NEW_CAP;
		len -= STREAM_NEW_CAP;
	}
	win_append(w, data, len);
}

void detect_packet(struct detect_thread *dt, const struct packet *p, struct flow *f, int dir)
{
	if (!dt->de->n)
		return;
	struct de_flow *df = f ? f->detect : NULL;
	if (df && df->passed)
		return;
	packet_begin(dt);
	if (df) {
		/* the stream first (as Suricata), then the packet's own payload;
		 * a rule alerts at most once for the packet (astamp) */
		win_inspect(dt, f, dir, p, p->ts_usec);
		win_inspect(dt, f, !dir, NULL, p->ts_usec);
		df = f->detect;
		if (df && df->passed)
			return;
	}
	struct ectx c;
	ctx_from_packet(&c, p, f, dir);
	/* TCP payload in a flow reaches the rules through the stream (above),
	 * so a match is reported once, when its bytes are in order; the
	 * packet pass then only serves packet-only rules (no_stream, dsize) */
	c.pkt_only = f && p->proto == 6 && dt->de->want_stream;
	inspect_payload(dt, p->payload ? p->payload : (const uint8_t *)"", p->payload_len, 0, &c,
			NULL);
}

/* ---- transactions -------------------------------------------------------------- */

static bool tx_list_match(struct detect_thread *dt, const struct de_rule *dr, int list,
			  const struct app_proto *ap, const void *tx)
{
	enum app_buffer b = (enum app_buffer)(list - RULE_LIST_BUF);
	const uint8_t *data;
	size_t len;
	bool any = false;
	for (uint32_t idx = 0; idx < 4096; idx++) {
		if (!ap->get_buffer || !ap->get_buffer(tx, b, idx, &data, &len))
			break;
		any = true;
		if (list_match(dt, dr, list, data, len))
			return true;
	}
	if (!any) {
		const struct rule_smlist *l = &dr->r->lists[list];
		if (l->n && l->v[0].kw == RULE_KW_ABSENT)
			return rule_match_list(dr->ev, list, NULL, 0, &dt->m) == 1;
	}
	return false;
}

void detect_tx(struct detect_thread *dt, struct flow *f, const struct app_proto *ap,
	       const void *tx, uint64_t tx_id, const struct packet *p, uint64_t ts)
{
	const struct detect_engine *de = dt->de;
	if (!de->n || !f || !ap || (unsigned)ap->id >= APP_MAX)
		return;
	struct de_flow *df = f->detect;
	if (df && df->passed)
		return;
	const struct de_group *g = &de->tg[ap->id];
	cand_begin(dt);
	cand_always(dt, g);
	for (int d = 0; d < 2 && df; d++)	/* fast pattern in the payload */
		scan(dt, &g->txpay[d], df->win[d].p, df->win[d].len, 0, -1);
	if (g->any_db && ap->get_buffer) {
		for (int b = 0; b < APP_BUF_MAX; b++) {
			const struct de_db *db = &g->db[1 + b];
			if (!db->db)
				continue;
			const uint8_t *data;
			size_t len;
			for (uint32_t idx = 0; idx < 4096; idx++) {
				if (!ap->get_buffer(tx, (enum app_buffer)b, idx, &data, &len))
					break;
				scan(dt, db, data, len, 0, -1);
			}
		}
	}
	cand_sort(dt);
	for (uint32_t i = 0; i < dt->ncand; i++) {
		const struct de_rule *dr = &de->rules[dt->cand[i]];
		const struct rule *r = dr->r;
		struct ectx c;
		ctx_from_flow(&c, f, dr->tx_dir, ts);
		c.p = p;
		c.ap = ap;
		c.tx = tx;
		c.tx_id = (int64_t)tx_id;
		if (!header_match(r, &c) || !match_list(dt, dr, &c, true))
			continue;
		bool ok = true;
		for (int l = RULE_LIST_BUF; l < RULE_LIST_MAX && ok; l++)
			if (r->lists[l].n)
				ok = tx_list_match(dt, dr, l, ap, tx);
		if (ok && r->lists[RULE_LIST_PMATCH].n) {
			struct de_flow *d2 = f->detect;
			const struct de_win *w = d2 ? &d2->win[dr->tx_dir] : NULL;
			ok = w && w->len && list_match(dt, dr, RULE_LIST_PMATCH, w->p, w->len);
		}
		if (!ok)
			continue;
		if (on_rule_match(dt, dr, &c))
			return;
	}
}

void detect_flow_end(struct detect_thread *dt, struct flow *f, uint64_t ts)
{
	struct de_flow *df = f->detect;
	if (!df)
		return;
	packet_begin(dt);
	for (int d = 0; d < 2; d++)
		win_inspect(dt, f, d, NULL, ts);
	free(df->win[0].p);
	free(df->win[1].p);
	free(df->win[0].hits);
	free(df->win[1].hits);
	free(df->bits);
	free(df);
	f->detect = NULL;
}
