/*
 * TCP session tracking and per-direction reassembly (see stream.h).
 *
 * Why hand-written: it runs on every TCP packet.  An in-order segment is
 * handed to the callback straight from the packet (no allocation, one
 * memcpy into the retransmission window); only out-of-order data is
 * copied into held segments.
 *
 * Session states use Suricata's names and its point of view (the client is
 * the side that sent the SYN, or the receiver of a first-seen SYN/ACK, or
 * the first sender when picked up midstream).  Transitions:
 *
 *   from         event                                   to            function
 *   none         SYN from client                         syn_sent      st_none
 *   none         SYN/ACK (midstream allowed)             syn_recv      st_none
 *   none         other packet (midstream allowed)        established   st_none
 *   syn_sent     SYN again (other seq: event)            syn_sent      st_syn_sent
 *   syn_sent     SYN/ACK acking ISN+1 (or SYN data)      syn_recv      st_syn_sent
 *   syn_sent     ACK without SYN (SYN/ACK not seen)      established   st_syn_sent
 *   syn_recv     ACK without SYN (either side)           established   st_syn_recv
 *   established  FIN from client                         close_wait    on_fin
 *   established  FIN from server                         fin_wait1     on_fin
 *   fin_wait1    client ACKs server FIN                  fin_wait2     on_fin_acked
 *   fin_wait1    FIN from client, server FIN not acked   closing       on_fin
 *   fin_wait1/2  FIN from client acking server FIN       time_wait     on_fin
 *   closing      server FIN acked                        time_wait     on_fin_acked
 *   time_wait    server ACKs client FIN                  closed        on_fin_acked
 *   close_wait   FIN from server                         last_ack      on_fin
 *   last_ack     client ACKs server FIN                  closed        on_fin_acked
 *   any          RST from either side                    closed        on_rst
 * f->state follows (set_state): established..closing → ESTABLISHED,
 * last_ack, time_wait, closed → CLOSED (as Suricata's flow states).
 *
 * Reassembly invariants, per direction (struct tcp_dir):
 *   - next_seq is the first byte not yet delivered; every held segment
 *     starts at or after next_seq, held segments never overlap and are
 *     sorted by seq; held_bytes <= per_flow_cap and the engine's memuse
 *     <= memcap (a segment that does not fit makes the engine give up
 *     waiting for the oldest hole instead: SEV_MEMCAP then SEV_GAP);
 *   - the window holds the last win_len delivered bytes, ending at next_seq,
 *     so retransmissions of delivered bytes are compared, never re-delivered;
 *   - EOF is delivered exactly once per direction; nothing follows it.
 * Sequence numbers compare modulo 2^32 (SEQ_LT & co).
 *
 * Simplifications (documented choices): data on a SYN (TCP Fast Open) is
 * held until the SYN/ACK acknowledges it (delivered) or only the ISN
 * (dropped: the client sends it again); data on a SYN/ACK is ignored; data
 * from a side is accepted once its starting sequence number is known (from
 * the handshake, or its first packet when the handshake was partly
 * missed); RST is accepted without checking its sequence number; EOF is
 * delivered as soon as all bytes up to a FIN are delivered (an ACK of the
 * FIN also ends a hole before it); keep-alives (0-1 byte at next_seq - 1)
 * are not compared as retransmissions.  When the peer acknowledges bytes
 * that were never seen, the hole is declared lost at once rather than
 * after max_gap_wait segments.
 *
 * Memory: held segments are bounded by per_flow_cap and memcap; windows
 * start at 4 KiB, jump to retrans_window when a direction carries more,
 * and together may use at most half the memcap (a direction that cannot
 * get one is reassembled the same, only without the comparison).  Freed
 * window buffers are pooled per engine (capped) because fresh heap pages
 * for every new flow cost more than the copying.  Insertion into the held
 * list walks it, bounded by max_gap_wait segments.
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/mamori.h"
#include "stream/stream.h"

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* Data further ahead of next_seq than this is treated as bogus. */
#define STREAM_MAX_AHEAD (64u << 20)
#define STREAM_WINDOW_MAX ((size_t)1 << 24)
#define STREAM_WINDOW_MIN 4096u
#define STREAM_WIN_CLASSES 13		/* 4 KiB << 0..12 = 4 KiB..16 MiB */
#define STREAM_WIN_POOL_CAP ((size_t)32 << 20)	/* bytes kept for reuse */

enum tcp_state {
	TS_NONE,
	TS_SYN_SENT,
	TS_SYN_RECV,
	TS_ESTABLISHED,
	TS_FIN_WAIT1,
	TS_FIN_WAIT2,
	TS_TIME_WAIT,
	TS_LAST_ACK,
	TS_CLOSE_WAIT,
	TS_CLOSING,
	TS_CLOSED,
	TS_MAX
};

static const char *const tcp_state_names[TS_MAX] = {
	"none",	     "syn_sent",  "syn_recv", "established",
	"fin_wait1", "fin_wait2", "time_wait", "last_ack",
	"close_wait", "closing",  "closed",
};

struct seg {
	struct seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/* One direction: the bytes sent by one side. */
struct tcp_dir {
	bool init;		/* next_seq known */
	bool fin_seen;
	bool eof_sent;
	bool gap_pending;	/* next delivery carries STREAM_DATA_GAP */
	uint32_t isn;
	uint32_t next_seq;
	uint32_t seen_end;	/* highest seq+len seen (FIN included) */
	uint32_t fin_seq;
	uint64_t span;		/* bytes advanced since the base (delivered or skipped) */
	struct seg *held;
	uint32_t held_count;
	size_t held_bytes;
	uint8_t *win;		/* ring of recently delivered bytes */
	uint32_t win_cap;	/* power of two, 0 when not allocated */
	uint32_t win_len;
	uint32_t win_pos;	/* where the next byte goes */
};

struct tcp_session {
	enum tcp_state state;
	int client;		/* FLOW_DIR_* of the client */
	struct tcp_dir d[2];
};

struct stream_engine {
	struct stream_config cfg;
	stream_data_fn cb;
	void *ctx;
	uint32_t win_max;
	/* Freed window buffers kept for reuse, by size class (the first bytes
	 * of a free buffer link to the next): flows come and go at packet
	 * rate and fresh heap pages cost more than the copy itself. */
	void *win_pool[STREAM_WIN_CLASSES];
	size_t win_pool_bytes;
	struct stream_stats st;
};

static const uint8_t empty_data[1];

void stream_config_defaults(struct stream_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = (size_t)256 << 20;
	cfg->per_flow_cap = (size_t)1 << 20;
	cfg->midstream = 1;
	cfg->policy = STREAM_POLICY_FIRST;
	cfg->max_gap_wait = 64;
	cfg->retrans_window = (size_t)64 << 10;
}

const char *stream_event_name(enum stream_event ev)
{
	static const char *const names[] = {
#define STREAM_EV_NAME(id, name) [SEV_##id] = name,
		STREAM_EVENT_MAP(STREAM_EV_NAME)
#undef STREAM_EV_NAME
	};
	if ((unsigned)ev < SEV_MAX)
		return names[ev];
	return "stream.unknown";
}

struct stream_engine *stream_engine_new(const struct stream_config *cfg,
					stream_data_fn cb, void *ctx)
{
	struct stream_engine *se = calloc(1, sizeof(*se));
	if (!se)
		return NULL;
	if (cfg)
		se->cfg = *cfg;
	else
		stream_config_defaults(&se->cfg);
	se->cb = cb;
	se->ctx = ctx;
	size_t w = se->cfg.retrans_window;
	if (w > STREAM_WINDOW_MAX)
		w = STREAM_WINDOW_MAX;
	uint32_t p2 = 0;
	if (w >= STREAM_WINDOW_MIN) {
		p2 = STREAM_WINDOW_MIN;
		while ((size_t)p2 * 2 <= w)
			p2 *= 2;
	}
	se->win_max = p2;
	return se;
}

void stream_engine_free(struct stream_engine *se)
{
	if (!se)
		return;
	for (int c = 0; c < STREAM_WIN_CLASSES; c++) {
		while (se->win_pool[c]) {
			void *b = se->win_pool[c];
			memcpy(&se->win_pool[c], b, sizeof(void *));
			free(b);
		}
	}
	free(se);
}

void stream_stats(const struct stream_engine *se, struct stream_stats *out)
{
	*out = se->st;
}

/* ---- retransmission window ---------------------------------------------- */

static int win_class(uint32_t cap)
{
	int c = 0;
	while (c < STREAM_WIN_CLASSES - 1 && (STREAM_WINDOW_MIN << c) < cap)
		c++;
	return c;
}

static uint8_t *win_buf_get(struct stream_engine *se, uint32_t cap)
{
	int c = win_class(cap);
	void *b = se->win_pool[c];
	if (!b)
		return malloc(cap);
	memcpy(&se->win_pool[c], b, sizeof(void *));
	se->win_pool_bytes -= cap;
	return b;
}

static void win_buf_put(struct stream_engine *se, uint8_t *b, uint32_t cap)
{
	if (se->win_pool_bytes + cap > STREAM_WIN_POOL_CAP) {
		free(b);
		return;
	}
	int c = win_class(cap);
	memcpy(b, &se->win_pool[c], sizeof(void *));
	se->win_pool[c] = b;
	se->win_pool_bytes += cap;
}

static void win_free(struct stream_engine *se, struct tcp_dir *s)
{
	if (s->win) {
		se->st.memuse -= s->win_cap;
		win_buf_put(se, s->win, s->win_cap);
	}
	s->win = NULL;
	s->win_cap = s->win_len = s->win_pos = 0;
}

/* Grows the ring so it can hold `want` bytes: a small ring first (most
 * directions carry a few hundred bytes), then straight to win_max; keeps
 * the old size when the memcap (half of it is the most windows may use)
 * says no. */
static void win_grow(struct stream_engine *se, struct tcp_dir *s, size_t want)
{
	uint32_t cap = STREAM_WINDOW_MIN;
	if (s->win_cap || want > cap)
		cap = se->win_max;
	if (cap <= s->win_cap)
		return;
	if (se->st.memuse + (cap - s->win_cap) > se->cfg.memcap / 2)
		return;
	uint8_t *nb = win_buf_get(se, cap);
	if (!nb)
		return;
	/* linearise: the oldest kept byte goes to index 0 */
	if (s->win_len) {
		uint32_t start = (s->win_pos - s->win_len) & (s->win_cap - 1);
		uint32_t first = s->win_cap - start;
		if (first > s->win_len)
			first = s->win_len;
		memcpy(nb, s->win + start, first);
		memcpy(nb + first, s->win, s->win_len - first);
	}
	if (s->win) {
		se->st.memuse -= s->win_cap;
		win_buf_put(se, s->win, s->win_cap);
	}
	s->win = nb;
	se->st.memuse += cap;
	s->win_cap = cap;
	s->win_pos = s->win_len & (cap - 1);
}

static void win_append(struct stream_engine *se, struct tcp_dir *s,
		       const uint8_t *data, uint32_t len)
{
	if (!se->win_max || !len)
		return;
	if ((size_t)s->win_len + len > s->win_cap && s->win_cap < se->win_max)
		win_grow(se, s, (size_t)s->win_len + len);
	if (!s->win)
		return;
	uint32_t cap = s->win_cap;
	if (len >= cap) {
		memcpy(s->win, data + (len - cap), cap);
		s->win_pos = 0;
		s->win_len = cap;
		return;
	}
	uint32_t first = cap - s->win_pos;
	if (first > len)
		first = len;
	memcpy(s->win + s->win_pos, data, first);
	memcpy(s->win, data + first, len - first);
	s->win_pos = (s->win_pos + len) & (cap - 1);
	s->win_len = s->win_len + len > cap ? cap : s->win_len + len;
}

/* True when bytes [seq, seq+len), all before next_seq, differ from what was
 * delivered (only the part still in the window can be compared). */
static bool win_differs(const struct tcp_dir *s, uint32_t seq,
			const uint8_t *data, uint32_t len)
{
	uint32_t back = s->next_seq - seq;	/* distance of data[0] */
	uint32_t skip = 0;
	if (back > s->win_len)
		skip = back - s->win_len;
	for (uint32_t i = skip; i < len; i++) {
		uint32_t idx = (s->win_pos - (back - i)) & (s->win_cap - 1);
		if (s->win[idx] != data[i])
			return true;
	}
	return false;
}

/* ---- delivery ----------------------------------------------------------- */

static void deliver(struct stream_engine *se, struct flow *f, int dir,
		    struct tcp_dir *s, const uint8_t *data, uint32_t len)
{
	unsigned fl = 0;
	if (s->gap_pending) {
		fl |= STREAM_DATA_GAP;
		s->gap_pending = false;
	}
	win_append(se, s, data, len);
	s->next_seq += len;
	s->span += len;
	se->st.bytes_delivered += len;
	if (se->cb)
		se->cb(f, dir, data, len, fl, se->ctx);
}

static void seg_free(struct stream_engine *se, struct tcp_dir *s,
		     struct seg *g)
{
	s->held_count--;
	s->held_bytes -= g->len;
	se->st.memuse -= sizeof(*g) + g->len;
	free(g);
}

/* Delivers held segments that now start at next_seq. */
static void drain(struct stream_engine *se, struct flow *f, int dir,
		  struct tcp_dir *s)
{
	struct seg *g;
	while ((g = s->held) != NULL && g->seq == s->next_seq) {
		s->held = g->next;
		deliver(se, f, dir, s, g->data, g->len);
		seg_free(se, s, g);
	}
}

/* Gives up on the bytes before seq (> next_seq): they are lost. */
static void skip_to(struct stream_engine *se, struct tcp_dir *s, uint32_t seq)
{
	s->span += (uint32_t)(seq - s->next_seq);
	s->next_seq = seq;
	s->gap_pending = true;
	/* the window must end at next_seq: start it afresh */
	s->win_len = 0;
	s->win_pos = 0;
	se->st.events[SEV_GAP]++;
}

/* Skips the hole before the first held segment and delivers what follows. */
static void skip_gap(struct stream_engine *se, struct flow *f, int dir,
		     struct tcp_dir *s)
{
	if (!s->held)
		return;
	if (SEQ_LT(s->next_seq, s->held->seq))
		skip_to(se, s, s->held->seq);
	drain(se, f, dir, s);
}

static void free_held(struct stream_engine *se, struct tcp_dir *s)
{
	while (s->held) {
		struct seg *g = s->held;
		s->held = g->next;
		seg_free(se, s, g);
	}
}

/* Delivers EOF once: what is held is flushed across its holes first. */
static void send_eof(struct stream_engine *se, struct flow *f, int dir,
		     struct tcp_dir *s)
{
	if (s->eof_sent)
		return;
	while (s->held && (!s->fin_seen || SEQ_LT(s->held->seq, s->fin_seq)))
		skip_gap(se, f, dir, s);
	free_held(se, s);
	if (s->fin_seen && s->init && SEQ_LT(s->next_seq, s->fin_seq))
		skip_to(se, s, s->fin_seq);
	unsigned fl = STREAM_DATA_EOF;
	if (s->gap_pending)
		fl |= STREAM_DATA_GAP;
	s->gap_pending = false;
	s->eof_sent = true;
	win_free(se, s);
	if (se->cb)
		se->cb(f, dir, empty_data, 0, fl, se->ctx);
}

static void check_eof(struct stream_engine *se, struct flow *f, int dir,
		      struct tcp_dir *s)
{
	if (s->fin_seen && !s->eof_sent && s->init &&
	    SEQ_GEQ(s->next_seq, s->fin_seq))
		send_eof(se, f, dir, s);
}

/* ---- holding out-of-order data ------------------------------------------ */

static bool has_room(const struct stream_engine *se, const struct tcp_dir *s,
		     uint32_t len)
{
	return s->held_bytes + len <= se->cfg.per_flow_cap &&
	       se->st.memuse + sizeof(struct seg) + len <= se->cfg.memcap;
}

static struct seg *seg_new(struct stream_engine *se, struct tcp_dir *s,
			   uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct seg *g = malloc(sizeof(*g) + len);
	if (!g) {
		se->st.events[SEV_MEMCAP]++;
		return NULL;
	}
	g->seq = seq;
	g->len = len;
	memcpy(g->data, data, len);
	s->held_count++;
	s->held_bytes += len;
	se->st.memuse += sizeof(*g) + len;
	return g;
}

/* Stores [seq, seq+len) (> next_seq) around the held segments: bytes
 * already held win under policy FIRST and are overwritten under LAST. */
static void hold(struct stream_engine *se, struct tcp_dir *s, uint32_t seq,
		 const uint8_t *data, uint32_t len, bool *overlap, bool *diff)
{
	struct seg **pp = &s->held;
	while (len) {
		struct seg *cur = *pp;
		if (!cur || SEQ_GEQ(cur->seq, seq + len)) {
			struct seg *g = seg_new(se, s, seq, data, len);
			if (g) {
				g->next = cur;
				*pp = g;
			}
			return;
		}
		if (SEQ_LT(seq, cur->seq)) {
			uint32_t n = cur->seq - seq;
			struct seg *g = seg_new(se, s, seq, data, n);
			if (g) {
				g->next = cur;
				*pp = g;
				pp = &g->next;
			}
			seq += n;
			data += n;
			len -= n;
			continue;
		}
		uint32_t cur_end = cur->seq + cur->len;
		if (SEQ_GEQ(seq, cur_end)) {
			pp = &cur->next;
			continue;
		}
		uint32_t off = seq - cur->seq;
		uint32_t n = cur_end - seq;
		if (n > len)
			n = len;
		*overlap = true;
		if (memcmp(cur->data + off, data, n) != 0) {
			*diff = true;
			if (se->cfg.policy == STREAM_POLICY_LAST)
				memcpy(cur->data + off, data, n);
		}
		seq += n;
		data += n;
		len -= n;
		pp = &cur->next;
	}
}

/*
 * Takes the payload bytes [seq, seq+len) of direction dir: compares the
 * part already delivered, delivers the in-order part, holds the rest.
 * depth stops the retry after a memcap flush from recursing further.
 */
static void stream_data(struct stream_engine *se, struct flow *f, int dir,
			struct tcp_dir *s, uint32_t seq, const uint8_t *data,
			uint32_t len, int depth)
{
	bool overlap = false, diff = false;
	if (!len || s->eof_sent || !s->init)
		return;
	if (s->fin_seen) {
		/* nothing is valid at or after the FIN */
		if (SEQ_GEQ(seq, s->fin_seq))
			return;
		if (SEQ_GT(seq + len, s->fin_seq))
			len = s->fin_seq - seq;
	}
	if (SEQ_LT(seq, s->next_seq)) {
		uint32_t back = s->next_seq - seq;
		if (back > s->span) {
			uint32_t pre = back - (uint32_t)s->span;
			se->st.events[SEV_SEG_BEFORE_BASE]++;
			if (pre >= len)
				return;
			seq += pre;
			data += pre;
			len -= pre;
			back -= pre;
		}
		uint32_t old = back < len ? back : len;
		overlap = true;
		if (s->win && win_differs(s, seq, data, old))
			diff = true;
		seq += old;
		data += old;
		len -= old;
	}
	if (len && (uint32_t)(seq - s->next_seq) > STREAM_MAX_AHEAD) {
		se->st.events[SEV_WINDOW_EXCEEDED]++;
		len = 0;
	}
	if (len && SEQ_GT(seq + len, s->seen_end))
		s->seen_end = seq + len;
	if (len && seq == s->next_seq) {
		while (len) {
			struct seg *h = s->held;
			if (!h || h->seq != s->next_seq) {
				uint32_t n = len;
				if (h && h->seq - s->next_seq < n)
					n = h->seq - s->next_seq;
				deliver(se, f, dir, s, data, n);
				data += n;
				len -= n;
				continue;
			}
			uint32_t n = len < h->len ? len : h->len;
			overlap = true;
			if (memcmp(h->data, data, n) != 0) {
				diff = true;
				if (se->cfg.policy == STREAM_POLICY_LAST)
					memcpy(h->data, data, n);
			}
			data += n;
			len -= n;
			s->held = h->next;
			deliver(se, f, dir, s, h->data, h->len);
			seg_free(se, s, h);
		}
		drain(se, f, dir, s);
	} else if (len) {
		if (!has_room(se, s, len) && depth == 0) {
			se->st.events[SEV_MEMCAP]++;
			while (s->held && !has_room(se, s, len))
				skip_gap(se, f, dir, s);
			if (!has_room(se, s, len) && SEQ_LT(s->next_seq, seq))
				skip_to(se, s, seq);
			stream_data(se, f, dir, s, seq, data, len, depth + 1);
		} else if (!has_room(se, s, len)) {
			/* cannot happen after the flush above; be safe */
			se->st.events[SEV_MEMCAP]++;
		} else {
			hold(se, s, seq, data, len, &overlap, &diff);
			while (s->held_count > se->cfg.max_gap_wait)
				skip_gap(se, f, dir, s);
		}
	}
	if (overlap)
		se->st.events[SEV_OVERLAP]++;
	if (diff)
		se->st.events[SEV_OVERLAP_DIFF]++;
}

/* The peer acknowledged bytes up to ack: what we lack before it was lost
 * by the capture, so stop waiting for it. */
static void ack_advance(struct stream_engine *se, struct flow *f, int dir,
			struct tcp_dir *s, uint32_t ack)
{
	if (!s->init || s->eof_sent)
		return;
	uint32_t target = ack;
	if (SEQ_GT(target, s->seen_end))
		target = s->seen_end;
	if (s->fin_seen && SEQ_GT(target, s->fin_seq))
		target = s->fin_seq;
	if (!SEQ_GT(target, s->next_seq) ||
	    (uint32_t)(target - s->next_seq) > STREAM_MAX_AHEAD)
		return;
	while (SEQ_LT(s->next_seq, target)) {
		struct seg *h = s->held;
		if (h && h->seq == s->next_seq) {
			drain(se, f, dir, s);
			continue;
		}
		uint32_t to = target;
		if (h && SEQ_LT(h->seq, to))
			to = h->seq;
		skip_to(se, s, to);
	}
	drain(se, f, dir, s);
}

/* ---- state machine ------------------------------------------------------ */

static void set_state(struct flow *f, struct tcp_session *ssn,
		      enum tcp_state st)
{
	static const enum flow_state fstate[TS_MAX] = {
		[TS_NONE] = FLOW_STATE_NEW,
		[TS_SYN_SENT] = FLOW_STATE_NEW,
		[TS_SYN_RECV] = FLOW_STATE_NEW,
		[TS_ESTABLISHED] = FLOW_STATE_ESTABLISHED,
		[TS_FIN_WAIT1] = FLOW_STATE_ESTABLISHED,
		[TS_FIN_WAIT2] = FLOW_STATE_ESTABLISHED,
		[TS_TIME_WAIT] = FLOW_STATE_CLOSED,
		[TS_LAST_ACK] = FLOW_STATE_CLOSED,
		[TS_CLOSE_WAIT] = FLOW_STATE_ESTABLISHED,
		[TS_CLOSING] = FLOW_STATE_ESTABLISHED,
		[TS_CLOSED] = FLOW_STATE_CLOSED,
	};
	ssn->state = st;
	f->tcp_state = (uint8_t)st;
	if (st != TS_NONE)
		f->state = fstate[st];
}

static void dir_init(struct tcp_dir *s, uint32_t next_seq)
{
	s->init = true;
	s->next_seq = next_seq;
	s->seen_end = next_seq;
	s->span = 0;
}

static bool acks_fin(const struct tcp_dir *fin_side, const struct packet *p)
{
	return fin_side->fin_seen && (p->tcp_flags & TH_ACK) &&
	       SEQ_GT(p->tcp_ack, fin_side->fin_seq);
}

/* A FIN from dir (the transitions of the table in the opening comment). */
static void on_fin(struct flow *f, struct tcp_session *ssn,
		   const struct packet *p, int dir)
{
	bool from_client = dir == ssn->client;
	const struct tcp_dir *peer = &ssn->d[dir ^ 1];
	switch (ssn->state) {
	case TS_ESTABLISHED:
		set_state(f, ssn, from_client ? TS_CLOSE_WAIT : TS_FIN_WAIT1);
		break;
	case TS_FIN_WAIT1:
		if (from_client)
			set_state(f, ssn, acks_fin(peer, p) ? TS_TIME_WAIT : TS_CLOSING);
		break;
	case TS_FIN_WAIT2:
		if (from_client)
			set_state(f, ssn, TS_TIME_WAIT);
		break;
	case TS_CLOSE_WAIT:
		if (!from_client)
			set_state(f, ssn, TS_LAST_ACK);
		break;
	default:
		break;
	}
}

/* A packet from dir acknowledging the peer's FIN. */
static void on_fin_acked(struct flow *f, struct tcp_session *ssn, int dir)
{
	bool from_client = dir == ssn->client;
	switch (ssn->state) {
	case TS_FIN_WAIT1:
		if (from_client)
			set_state(f, ssn, TS_FIN_WAIT2);
		break;
	case TS_CLOSING:
		if (!from_client)
			set_state(f, ssn, TS_TIME_WAIT);
		break;
	case TS_TIME_WAIT:
		if (!from_client)
			set_state(f, ssn, TS_CLOSED);
		break;
	case TS_LAST_ACK:
		if (from_client)
			set_state(f, ssn, TS_CLOSED);
		break;
	default:
		break;
	}
}

static void on_rst(struct stream_engine *se, struct flow *f,
		   struct tcp_session *ssn)
{
	se->st.events[SEV_RST]++;
	set_state(f, ssn, TS_CLOSED);
	for (int d = 0; d < 2; d++)
		send_eof(se, f, d, &ssn->d[d]);
}

/* Data, FIN and ACK handling once the session is open. */
static void st_open(struct stream_engine *se, struct flow *f,
		    struct tcp_session *ssn, const struct packet *p, int dir)
{
	struct tcp_dir *s = &ssn->d[dir];
	struct tcp_dir *o = &ssn->d[dir ^ 1];
	if (p->tcp_flags & TH_SYN)
		return;		/* late handshake retransmission */
	if (!s->init)
		dir_init(s, p->tcp_seq);
	/* A keep-alive repeats the byte before next_seq with junk (or
	 * nothing): not a retransmission to compare. */
	bool keepalive = p->payload_len <= 1 && s->next_seq - 1 == p->tcp_seq &&
			 !(p->tcp_flags & TH_FIN);
	if (p->payload_len && !keepalive)
		stream_data(se, f, dir, s, p->tcp_seq, p->payload, p->payload_len, 0);
	if ((p->tcp_flags & TH_FIN) && !s->fin_seen && !s->eof_sent) {
		s->fin_seen = true;
		s->fin_seq = p->tcp_seq + p->payload_len;
		if (SEQ_GT(s->fin_seq, s->seen_end))
			s->seen_end = s->fin_seq;
		on_fin(f, ssn, p, dir);
	}
	if (p->tcp_flags & TH_ACK) {
		ack_advance(se, f, dir ^ 1, o, p->tcp_ack);
		if (acks_fin(o, p))
			on_fin_acked(f, ssn, dir);
	}
	check_eof(se, f, dir, s);
	check_eof(se, f, dir ^ 1, o);
}

/* TCP Fast Open: data on the SYN is held at next_seq until the SYN/ACK
 * says whether the server took it. */
static void hold_syn_data(struct stream_engine *se, struct tcp_dir *c,
			  const struct packet *p)
{
	bool overlap = false, diff = false;
	if (p->payload_len && has_room(se, c, p->payload_len))
		hold(se, c, p->tcp_seq + 1, p->payload, p->payload_len, &overlap,
		     &diff);
}

static void st_none(struct stream_engine *se, struct flow *f,
		    struct tcp_session *ssn, const struct packet *p, int dir)
{
	uint8_t fl = p->tcp_flags;
	if (fl & TH_RST)
		return;
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
		ssn->client = dir;
		ssn->d[dir].isn = p->tcp_seq;
		dir_init(&ssn->d[dir], p->tcp_seq + 1);
		set_state(f, ssn, TS_SYN_SENT);
		se->st.sessions++;
		hold_syn_data(se, &ssn->d[dir], p);
		return;
	}
	if (!se->cfg.midstream) {
		se->st.events[SEV_PKT_NO_SESSION]++;
		return;
	}
	se->st.sessions++;
	se->st.midstream++;
	se->st.events[SEV_MIDSTREAM]++;
	if (fl & TH_SYN) {	/* SYN/ACK: the sender is the server */
		ssn->client = dir ^ 1;
		ssn->d[dir].isn = p->tcp_seq;
		dir_init(&ssn->d[dir], p->tcp_seq + 1);
		dir_init(&ssn->d[dir ^ 1], p->tcp_ack);
		set_state(f, ssn, TS_SYN_RECV);
		return;
	}
	ssn->client = dir;
	dir_init(&ssn->d[dir], p->tcp_seq);
	if (fl & TH_ACK)
		dir_init(&ssn->d[dir ^ 1], p->tcp_ack);
	set_state(f, ssn, TS_ESTABLISHED);
	st_open(se, f, ssn, p, dir);
}

static void st_syn_sent(struct stream_engine *se, struct flow *f,
			struct tcp_session *ssn, const struct packet *p, int dir)
{
	uint8_t fl = p->tcp_flags;
	struct tcp_dir *c = &ssn->d[ssn->client];
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
		if (dir == ssn->client && p->tcp_seq != c->isn) {
			se->st.events[SEV_SYN_RESEND_DIFF_SEQ]++;
			free_held(se, c);
			c->isn = p->tcp_seq;
			dir_init(c, p->tcp_seq + 1);
			hold_syn_data(se, c, p);
		}
		return;
	}
	if (fl & TH_SYN) {
		/* SYN/ACK: acks the ISN, or with TCP Fast Open the SYN data */
		uint32_t syn_len = (uint32_t)c->held_bytes;
		bool tfo = syn_len && p->tcp_ack == c->isn + 1 + syn_len;
		if (dir == ssn->client || (p->tcp_ack != c->isn + 1 && !tfo)) {
			se->st.events[SEV_INVALID_ACK]++;
			return;
		}
		if (tfo)
			drain(se, f, ssn->client, c);
		else
			free_held(se, c);	/* SYN data refused: it comes again */
		ssn->d[dir].isn = p->tcp_seq;
		dir_init(&ssn->d[dir], p->tcp_seq + 1);
		set_state(f, ssn, TS_SYN_RECV);
		return;
	}
	if (!(fl & TH_ACK))
		return;
	/* SYN/ACK not seen: SYN data, if any, is kept (a retransmission of it
	 * compares equal) */
	drain(se, f, ssn->client, c);
	set_state(f, ssn, TS_ESTABLISHED);
	st_open(se, f, ssn, p, dir);
}

static void st_syn_recv(struct stream_engine *se, struct flow *f,
			struct tcp_session *ssn, const struct packet *p, int dir)
{
	uint8_t fl = p->tcp_flags;
	if ((fl & TH_SYN) || !(fl & TH_ACK))
		return;		/* handshake retransmissions */
	struct tcp_dir *srv = &ssn->d[ssn->client ^ 1];
	if (dir == ssn->client && SEQ_LT(p->tcp_ack, srv->next_seq))
		se->st.events[SEV_INVALID_ACK]++;
	set_state(f, ssn, TS_ESTABLISHED);
	st_open(se, f, ssn, p, dir);
}

static void st_closed(struct stream_engine *se, struct flow *f,
		      struct tcp_session *ssn, const struct packet *p, int dir)
{
	(void)se;
	(void)f;
	(void)ssn;
	(void)p;
	(void)dir;
}

typedef void (*state_fn)(struct stream_engine *se, struct flow *f,
			 struct tcp_session *ssn, const struct packet *p, int dir);

static const state_fn state_handlers[TS_MAX] = {
	[TS_NONE] = st_none,
	[TS_SYN_SENT] = st_syn_sent,
	[TS_SYN_RECV] = st_syn_recv,
	[TS_ESTABLISHED] = st_open,
	[TS_FIN_WAIT1] = st_open,
	[TS_FIN_WAIT2] = st_open,
	[TS_TIME_WAIT] = st_open,
	[TS_LAST_ACK] = st_open,
	[TS_CLOSE_WAIT] = st_open,
	[TS_CLOSING] = st_open,
	[TS_CLOSED] = st_closed,
};

int stream_packet(struct stream_engine *se, struct flow *f,
		  const struct packet *p, int dir)
{
	if (!f || (dir != FLOW_DIR_TOSERVER && dir != FLOW_DIR_TOCLIENT)) {
		se->st.events[SEV_PKT_NO_SESSION]++;
		return 0;
	}
	struct tcp_session *ssn = f->tcp;
	if (!ssn) {
		ssn = calloc(1, sizeof(*ssn));
		if (!ssn)
			return MAMORI_ENOMEM;
		f->tcp = ssn;
	}
	se->st.segments++;
	f->tcp_flags[dir] |= p->tcp_flags;
	if ((p->tcp_flags & TH_RST) && ssn->state != TS_NONE) {
		if (ssn->state != TS_CLOSED)
			on_rst(se, f, ssn);
		return 0;
	}
	state_handlers[ssn->state](se, f, ssn, p, dir);
	return 0;
}

void stream_session_end(struct stream_engine *se, struct flow *f)
{
	struct tcp_session *ssn = f ? f->tcp : NULL;
	if (!ssn)
		return;
	for (int d = 0; d < 2; d++)
		send_eof(se, f, d, &ssn->d[d]);
	for (int d = 0; d < 2; d++) {
		free_held(se, &ssn->d[d]);
		win_free(se, &ssn->d[d]);
	}
	free(ssn);
	f->tcp = NULL;
}

const char *stream_state_str(const struct flow *f)
{
	if (!f || f->tcp_state >= TS_MAX)
		return "none";
	return tcp_state_names[f->tcp_state];
}

uint8_t stream_tcp_flags(const struct flow *f, int dir)
{
	if (!f)
		return 0;
	if (dir == FLOW_DIR_TOSERVER || dir == FLOW_DIR_TOCLIENT)
		return f->tcp_flags[dir];
	return (uint8_t)(f->tcp_flags[0] | f->tcp_flags[1]);
}
