/*
 * Unit tests for the flow table (src/flow/flow.c): direction and
 * orientation, per-state timeouts driven by packet time, memcap eviction
 * and drops, flush/free ending every flow once, flow ids, and the symmetry
 * of the dispatch hash over random tuples (seeded PRNG, so reproducible).
 * Packets are built directly as struct packet values; no decoder involved.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

#define SEC 1000000ull

/* ---- helpers ------------------------------------------------------------ */

static void set_addr(struct mamori_addr *a, const char *txt)
{
	memset(a, 0, sizeof(*a));
	if (strchr(txt, ':')) {
		a->family = 6;
		assert_int_equal(inet_pton(AF_INET6, txt, a->a), 1);
	} else {
		a->family = 4;
		assert_int_equal(inet_pton(AF_INET, txt, a->a), 1);
	}
}

static struct packet mkpkt(const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint8_t proto, uint8_t tcp_flags,
			   uint64_t ts)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.flags = PKT_HAS_IP;
	set_addr(&p.src, src);
	set_addr(&p.dst, dst);
	p.ipver = p.src.family;
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = tcp_flags;
	p.ts_usec = ts;
	p.wire_len = 60;
	p.raw_len = 60;
	return p;
}

static struct packet reverse(const struct packet *p)
{
	struct packet r = *p;
	r.src = p->dst;
	r.dst = p->src;
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

#define MAX_ENDS 4096
struct ends {
	size_t n;
	uint64_t ids[MAX_ENDS];
	enum flow_end_reason why[MAX_ENDS];
};

static void on_end(struct flow *f, enum flow_end_reason why, void *ctx)
{
	struct ends *e = ctx;
	assert_true(e->n < MAX_ENDS);
	e->ids[e->n] = f->flow_id;
	e->why[e->n] = why;
	e->n++;
}

static bool ended(const struct ends *e, uint64_t id, enum flow_end_reason why)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ids[i] == id)
			return e->why[i] == why;
	return false;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* splitmix64: fixed seed per test, reproducible */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- tests -------------------------------------------------------------- */

static void test_both_directions(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	struct flow_table *t = flow_table_new(&cfg, on_end, &e);
	assert_non_null(t);

	struct packet syn = mkpkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 1 * SEC);
	struct packet sa = reverse(&syn);
	sa.tcp_flags = TH_SYN | TH_ACK;
	sa.ts_usec = 2 * SEC;
	int dir = -1;
	struct flow *f = flow_table_get(t, &syn, &dir);
	assert_non_null(f);
	assert_int_equal(dir, FLOW_DIR_TOSERVER);
	uint64_t id = f->flow_id;
	assert_true(id != 0);
	assert_int_equal(f->key.pa, 40000);
	assert_int_equal(f->key.pb, 80);
	assert_memory_equal(&f->key.a, &syn.src, sizeof(syn.src));

	struct flow *g = flow_table_get(t, &sa, &dir);
	assert_ptr_equal(f, g);
	assert_int_equal(dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(g->flow_id, id);
	assert_int_equal(g->pkts[0], 1);
	assert_int_equal(g->pkts[1], 1);
	assert_int_equal(g->bytes[0], 60);
	assert_int_equal(g->ts_first, 1 * SEC);
	assert_int_equal(g->ts_last, 2 * SEC);
	assert_true(g->flags & FLOW_F_TOSERVER_SEEN);
	assert_true(g->flags & FLOW_F_TOCLIENT_SEEN);
	/* TCP state is the stream engine's business */
	assert_int_equal(g->state, FLOW_STATE_NEW);

	/* a different port is a different flow */
	struct packet other = syn;
	other.sport = 40001;
	struct flow *h = flow_table_get(t, &other, &dir);
	assert_ptr_not_equal(h, f);
	assert_true(h->flow_id != id);
	/* so is a different VLAN */
	struct packet tagged = syn;
	tagged.vlan_count = 1;
	tagged.vlan[0] = 7;
	struct flow *v = flow_table_get(t, &tagged, &dir);
	assert_ptr_not_equal(v, f);
	assert_int_equal(v->key.vlan, 7);

	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.created, 3);
	assert_int_equal(st.active, 3);
	assert_int_equal(st.memuse, 3 * sizeof(struct flow));
	flow_table_free(t);
	assert_int_equal(e.n, 3);
	assert_true(ended(&e, id, FLOW_END_SHUTDOWN));
}

static void test_synack_first_orientation(void **state)
{
	(void)state;
	struct flow_table *t = flow_table_new(NULL, NULL, NULL);
	assert_non_null(t);
	/* first packet is the server's SYN/ACK: its receiver is the client */
	struct packet sa = mkpkt("10.0.0.2", 80, "10.0.0.1", 40000, 6,
				 TH_SYN | TH_ACK, SEC);
	int dir = -1;
	struct flow *f = flow_table_get(t, &sa, &dir);
	assert_non_null(f);
	assert_int_equal(dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(f->key.pa, 40000);
	assert_int_equal(f->key.pb, 80);
	assert_memory_equal(&f->key.a, &sa.dst, sizeof(sa.dst));
	assert_int_equal(f->pkts[FLOW_DIR_TOCLIENT], 1);

	struct packet ack = reverse(&sa);
	ack.tcp_flags = TH_ACK;
	assert_ptr_equal(flow_table_get(t, &ack, &dir), f);
	assert_int_equal(dir, FLOW_DIR_TOSERVER);

	/* a plain data packet first: its sender is the client */
	struct packet data = mkpkt("10.0.0.2", 80, "10.0.0.1", 40001, 6,
				   TH_ACK | TH_PSH, SEC);
	f = flow_table_get(t, &data, &dir);
	assert_int_equal(dir, FLOW_DIR_TOSERVER);
	assert_int_equal(f->key.pa, 80);
	flow_table_free(t);
}

static void test_udp_icmp_established(void **state)
{
	(void)state;
	struct flow_table *t = flow_table_new(NULL, NULL, NULL);
	struct packet q = mkpkt("192.168.1.5", 5353, "192.168.1.1", 53, 17, 0, SEC);
	int dir;
	struct flow *f = flow_table_get(t, &q, &dir);
	assert_int_equal(f->state, FLOW_STATE_NEW);
	flow_table_get(t, &q, &dir);
	assert_int_equal(f->state, FLOW_STATE_NEW);
	struct packet r = reverse(&q);
	assert_ptr_equal(flow_table_get(t, &r, &dir), f);
	assert_int_equal(dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);

	/* ICMP: keyed by addresses only, both directions one flow */
	struct packet echo = mkpkt("192.168.1.5", 0, "192.168.1.1", 0, 1, 0, SEC);
	echo.icmp_type = 8;
	struct flow *i = flow_table_get(t, &echo, &dir);
	struct packet reply = reverse(&echo);
	reply.icmp_type = 0;
	assert_ptr_equal(flow_table_get(t, &reply, &dir), i);
	assert_int_equal(dir, FLOW_DIR_TOCLIENT);
	assert_ptr_not_equal(i, f);

	/* no IP: no flow, nothing counted */
	struct packet noip = q;
	noip.flags = 0;
	assert_null(flow_table_get(t, &noip, &dir));
	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.created, 2);
	flow_table_free(t);
}

static void test_ipv6(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table *t = flow_table_new(NULL, on_end, &e);
	struct packet p = mkpkt("2001:db8::1", 50000, "2001:db8::2", 443, 6, TH_SYN, SEC);
	int dir;
	struct flow *f = flow_table_get(t, &p, &dir);
	assert_non_null(f);
	assert_int_equal(f->key.a.family, 6);
	struct packet r = reverse(&p);
	r.tcp_flags = TH_SYN | TH_ACK;
	assert_ptr_equal(flow_table_get(t, &r, &dir), f);
	assert_int_equal(dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(flow_hash_packet(&p, 1), flow_hash_packet(&r, 1));

	/* an IPv4 tuple whose bytes equal the v6 prefix is another flow */
	struct packet v4 = mkpkt("32.1.13.184", 50000, "32.1.13.184", 443, 6, TH_SYN, SEC);
	struct flow *g = flow_table_get(t, &v4, &dir);
	assert_ptr_not_equal(g, f);
	/* link-local vs global differ only in high bytes */
	struct packet ll = mkpkt("fe80::1", 50000, "2001:db8::2", 443, 6, TH_SYN, SEC);
	assert_ptr_not_equal(flow_table_get(t, &ll, &dir), f);
	flow_table_flush(t, FLOW_END_SHUTDOWN);
	assert_int_equal(e.n, 3);
	flow_table_free(t);
	assert_int_equal(e.n, 3);
}

static void test_timeouts_per_state(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	cfg.timeout_new = 30;
	cfg.timeout_established = 300;
	cfg.timeout_closed = 10;
	cfg.timeout_udp = 60;
	struct flow_table *t = flow_table_new(&cfg, on_end, &e);
	int dir;
	uint64_t t0 = 1700000000ull * SEC;

	/* NEW tcp flow at t0 */
	struct packet pn = mkpkt("10.0.0.1", 1000, "10.0.0.2", 80, 6, TH_SYN, t0);
	uint64_t id_new = flow_table_get(t, &pn, &dir)->flow_id;
	/* established tcp flow at t0 (stream engine sets the state after get) */
	struct packet pe = mkpkt("10.0.0.1", 1001, "10.0.0.2", 80, 6, TH_ACK, t0);
	struct flow *fe = flow_table_get(t, &pe, &dir);
	fe->state = FLOW_STATE_ESTABLISHED;
	uint64_t id_est = fe->flow_id;
	/* closed tcp flow at t0 */
	struct packet pc = mkpkt("10.0.0.1", 1002, "10.0.0.2", 80, 6, TH_ACK, t0);
	struct flow *fc = flow_table_get(t, &pc, &dir);
	fc->state = FLOW_STATE_CLOSED;
	uint64_t id_closed = fc->flow_id;
	/* udp flow, both sides seen, at t0 */
	struct packet pu = mkpkt("10.0.0.1", 5000, "10.0.0.3", 53, 17, 0, t0);
	uint64_t id_udp = flow_table_get(t, &pu, &dir)->flow_id;
	struct packet pur = reverse(&pu);
	flow_table_get(t, &pur, &dir);
	/* udp one-sided: NEW timeout */
	struct packet pu1 = mkpkt("10.0.0.1", 5001, "10.0.0.3", 53, 17, 0, t0);
	uint64_t id_udp1 = flow_table_get(t, &pu1, &dir)->flow_id;

	assert_int_equal(flow_table_expire(t, t0 + 9 * SEC), 0);
	assert_int_equal(flow_table_expire(t, t0 + 10 * SEC), 1);
	assert_true(ended(&e, id_closed, FLOW_END_TIMEOUT));
	assert_int_equal(flow_table_expire(t, t0 + 29 * SEC), 0);
	assert_int_equal(flow_table_expire(t, t0 + 31 * SEC), 2);
	assert_true(ended(&e, id_new, FLOW_END_TIMEOUT));
	assert_true(ended(&e, id_udp1, FLOW_END_TIMEOUT));
	assert_int_equal(flow_table_expire(t, t0 + 59 * SEC), 0);
	assert_int_equal(flow_table_expire(t, t0 + 61 * SEC), 1);
	assert_true(ended(&e, id_udp, FLOW_END_TIMEOUT));
	/* activity keeps a flow alive: touch the established one */
	pe.ts_usec = t0 + 200 * SEC;
	flow_table_get(t, &pe, &dir);
	assert_int_equal(flow_table_expire(t, t0 + 301 * SEC), 0);
	assert_int_equal(flow_table_expire(t, t0 + 499 * SEC), 0);
	assert_int_equal(flow_table_expire(t, t0 + 500 * SEC), 1);
	assert_true(ended(&e, id_est, FLOW_END_TIMEOUT));
	assert_int_equal(e.n, 5);

	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.ended, 5);
	assert_int_equal(st.active_max, 5);
	assert_int_equal(st.memuse, 0);
	flow_table_free(t);
	assert_int_equal(e.n, 5);
}

/* A state change after the flow went quiet (the LRU list it sits in no
 * longer matches) still expires it by the timeout of its new state. */
static void test_timeout_state_change_later(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table *t = flow_table_new(NULL, on_end, &e);
	int dir;
	struct packet a = mkpkt("10.0.0.1", 1000, "10.0.0.2", 80, 6, TH_SYN, 0);
	struct flow *fa = flow_table_get(t, &a, &dir);
	fa->state = FLOW_STATE_ESTABLISHED;
	struct packet b = mkpkt("10.0.0.1", 1001, "10.0.0.2", 80, 6, TH_SYN, SEC);
	struct flow *fb = flow_table_get(t, &b, &dir);
	uint64_t idb = fb->flow_id, ida = fa->flow_id;
	/* fa's state changes while fb is the last flow handed out */
	fa->state = FLOW_STATE_CLOSED;
	assert_int_equal(flow_table_expire(t, 10 * SEC), 1);
	assert_true(ended(&e, ida, FLOW_END_TIMEOUT));
	assert_int_equal(flow_table_expire(t, 30 * SEC), 0);
	assert_int_equal(flow_table_expire(t, 31 * SEC), 1);
	assert_true(ended(&e, idb, FLOW_END_TIMEOUT));
	flow_table_free(t);

	/* the oldest flow of a list got a longer timeout: the walk must look
	 * past it at the younger flows of that list */
	e.n = 0;
	t = flow_table_new(NULL, on_end, &e);
	fa = flow_table_get(t, &a, &dir);
	ida = fa->flow_id;
	fb = flow_table_get(t, &b, &dir);
	idb = fb->flow_id;
	fa->state = FLOW_STATE_ESTABLISHED;
	assert_int_equal(flow_table_expire(t, 40 * SEC), 1);
	assert_true(ended(&e, idb, FLOW_END_TIMEOUT));
	assert_int_equal(flow_table_expire(t, 299 * SEC), 0);
	assert_int_equal(flow_table_expire(t, 300 * SEC), 1);
	assert_true(ended(&e, ida, FLOW_END_TIMEOUT));
	flow_table_free(t);

	/* the flow just handed out is closed, then expiry runs at once */
	e.n = 0;
	t = flow_table_new(NULL, on_end, &e);
	fa = flow_table_get(t, &a, &dir);
	ida = fa->flow_id;
	fb = flow_table_get(t, &b, &dir);
	idb = fb->flow_id;
	fb->state = FLOW_STATE_CLOSED;
	assert_int_equal(flow_table_expire(t, 12 * SEC), 1);
	assert_true(ended(&e, idb, FLOW_END_TIMEOUT));
	flow_table_free(t);
	assert_true(ended(&e, ida, FLOW_END_SHUTDOWN));
}

static void test_memcap_eviction(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	cfg.memcap = 3 * sizeof(struct flow);
	struct flow_table *t = flow_table_new(&cfg, on_end, &e);
	int dir;
	uint64_t ids[5];
	struct packet p[5];
	for (int i = 0; i < 3; i++) {
		p[i] = mkpkt("10.0.0.1", (uint16_t)(2000 + i), "10.0.0.2", 80, 6,
			     TH_SYN, (uint64_t)(i + 1) * SEC);
		ids[i] = flow_table_get(t, &p[i], &dir)->flow_id;
	}
	/* touch flow 0 so flow 1 becomes the least recently used */
	p[0].ts_usec = 4 * SEC;
	flow_table_get(t, &p[0], &dir);
	p[3] = mkpkt("10.0.0.1", 2003, "10.0.0.2", 80, 6, TH_SYN, 5 * SEC);
	struct flow *f3 = flow_table_get(t, &p[3], &dir);
	assert_non_null(f3);
	ids[3] = f3->flow_id;
	assert_int_equal(e.n, 1);
	assert_true(ended(&e, ids[1], FLOW_END_MEMCAP));
	p[4] = mkpkt("10.0.0.1", 2004, "10.0.0.2", 80, 17, 0, 6 * SEC);
	ids[4] = flow_table_get(t, &p[4], &dir)->flow_id;
	assert_true(ended(&e, ids[2], FLOW_END_MEMCAP));

	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.memcap_evicted, 2);
	assert_int_equal(st.memcap_dropped, 0);
	assert_int_equal(st.active, 3);
	assert_true(st.memuse <= cfg.memcap);
	assert_string_equal(flow_end_reason_str(FLOW_END_MEMCAP), "forced");
	flow_table_free(t);
	assert_int_equal(e.n, 5);

	/* a memcap smaller than one flow: nothing to evict, packet dropped */
	cfg.memcap = sizeof(struct flow) - 1;
	t = flow_table_new(&cfg, NULL, NULL);
	assert_null(flow_table_get(t, &p[0], &dir));
	assert_null(flow_table_get(t, &p[1], &dir));
	flow_table_stats(t, &st);
	assert_int_equal(st.memcap_dropped, 2);
	assert_int_equal(st.created, 0);
	flow_table_free(t);
}

static void test_flush_all(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	cfg.hash_size = 16;	/* long chains */
	struct flow_table *t = flow_table_new(&cfg, on_end, &e);
	int dir;
	rng_state = 11;
	for (int i = 0; i < 1000; i++) {
		struct packet p = mkpkt("10.1.0.1", (uint16_t)(1024 + i), "10.2.0.1",
					80, (i % 3) ? 6 : 17, TH_SYN,
					(uint64_t)(rnd() % 100) * SEC);
		struct flow *f = flow_table_get(t, &p, &dir);
		assert_non_null(f);
		f->state = (enum flow_state)(i % 3);
	}
	flow_table_flush(t, FLOW_END_FORCED);
	assert_int_equal(e.n, 1000);
	for (size_t i = 0; i < e.n; i++)
		assert_int_equal(e.why[i], FLOW_END_FORCED);
	/* ids are unique */
	for (size_t i = 0; i < e.n; i++)
		for (size_t j = i + 1; j < e.n; j++)
			assert_true(e.ids[i] != e.ids[j]);
	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.ended, 1000);
	/* the table still works after a flush */
	struct packet p = mkpkt("10.1.0.1", 1, "10.2.0.1", 2, 6, TH_SYN, 0);
	assert_non_null(flow_table_get(t, &p, &dir));
	flow_table_free(t);
	assert_int_equal(e.n, 1001);
	assert_int_equal(e.why[1000], FLOW_END_SHUTDOWN);
	flow_table_free(NULL);
}

static void test_flow_id_deterministic(void **state)
{
	(void)state;
	uint64_t first[64];
	for (int run = 0; run < 2; run++) {
		struct flow_table *t = flow_table_new(NULL, NULL, NULL);
		for (int i = 0; i < 64; i++) {
			int dir;
			struct packet p = mkpkt("172.16.0.1", (uint16_t)(3000 + i),
						"172.16.0.2", 25, 6, TH_SYN,
						(uint64_t)i * 1000);
			p.pcap_cnt = (uint64_t)i + 1;
			struct flow *f = flow_table_get(t, &p, &dir);
			assert_true(f->flow_id != 0);
			assert_true(f->flow_id < (1ull << 53));
			if (run == 0)
				first[i] = f->flow_id;
			else
				assert_int_equal(f->flow_id, first[i]);
		}
		flow_table_free(t);
	}
}

static void test_syn_reuses_closed_tuple(void **state)
{
	(void)state;
	struct ends e = {0};
	struct flow_table *t = flow_table_new(NULL, on_end, &e);
	int dir;
	struct packet syn = mkpkt("10.0.0.1", 1234, "10.0.0.2", 80, 6, TH_SYN, SEC);
	struct flow *f = flow_table_get(t, &syn, &dir);
	uint64_t old = f->flow_id;
	f->state = FLOW_STATE_CLOSED;
	syn.ts_usec = 2 * SEC;
	syn.pcap_cnt = 9;
	struct flow *g = flow_table_get(t, &syn, &dir);
	assert_non_null(g);
	assert_true(g->flow_id != old);
	assert_int_equal(g->state, FLOW_STATE_NEW);
	assert_int_equal(e.n, 1);
	assert_true(ended(&e, old, FLOW_END_FORCED));
	/* an ACK on the open flow does not */
	struct packet ack = syn;
	ack.tcp_flags = TH_ACK;
	assert_ptr_equal(flow_table_get(t, &ack, &dir), g);
	flow_table_free(t);
}

static void random_addr(struct mamori_addr *a, int fam)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)fam;
	int n = fam == 4 ? 4 : 16;
	for (int i = 0; i < n; i++)
		a->a[i] = (uint8_t)rnd();
}

static void test_hash_symmetry_property(void **state)
{
	(void)state;
	rng_state = 0x5eed;
	unsigned buckets[256] = {0};
	const int n = 20000;
	for (int i = 0; i < n; i++) {
		struct packet p;
		memset(&p, 0, sizeof(p));
		int fam = (rnd() & 1) ? 4 : 6;
		random_addr(&p.src, fam);
		if (rnd() % 8 == 0)
			p.dst = p.src;	/* same host both ends */
		else
			random_addr(&p.dst, fam);
		p.flags = PKT_HAS_IP;
		static const uint8_t protos[] = {6, 17, 1, 58};
		p.proto = protos[rnd() % 4];
		p.sport = (uint16_t)rnd();
		p.dport = (rnd() % 4 == 0) ? p.sport : (uint16_t)rnd();
		if (rnd() & 1) {
			p.vlan_count = 1;
			p.vlan[0] = (uint16_t)(rnd() & 0xfff);
		}
		uint32_t seed = (uint32_t)rnd();
		struct packet r = reverse(&p);
		uint32_t h = flow_hash_packet(&p, seed);
		assert_int_equal(h, flow_hash_packet(&r, seed));
		/* the seed and each field matter */
		assert_true(h != flow_hash_packet(&p, seed + 1) ||
			    flow_hash_packet(&p, seed + 2) != h);
		struct packet q = p;
		q.sport = (uint16_t)(q.sport + 1);
		struct packet q2 = p;
		q2.proto = (uint8_t)(p.proto ^ 0x40);
		assert_true(flow_hash_packet(&q, seed) != h ||
			    flow_hash_packet(&q2, seed) != h);
		buckets[flow_hash_packet(&p, 42) & 255]++;
	}
	/* roughly uniform: every bucket within 50% of the mean (78) */
	for (int b = 0; b < 256; b++) {
		assert_true(buckets[b] > (unsigned)(n / 256) * 5 / 10);
		assert_true(buckets[b] < (unsigned)(n / 256) * 15 / 10);
	}
}

static void test_table_lookup_property(void **state)
{
	(void)state;
	/* random tuples, random direction of each packet: every packet finds
	 * its flow with the direction of its first packet's sender */
	rng_state = 77;
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	cfg.hash_size = 64;
	struct flow_table *t = flow_table_new(&cfg, NULL, NULL);
	enum { N = 300 };
	static struct packet first[N];
	static struct flow *fl[N];
	for (int i = 0; i < N; i++) {
		struct packet p;
		memset(&p, 0, sizeof(p));
		int fam = (i & 1) ? 4 : 6;
		random_addr(&p.src, fam);
		random_addr(&p.dst, fam);
		p.flags = PKT_HAS_IP;
		p.proto = (i % 3) ? 17 : 6;
		p.sport = (uint16_t)rnd();
		p.dport = (uint16_t)rnd();
		first[i] = p;
		int dir;
		fl[i] = flow_table_get(t, &p, &dir);
		assert_int_equal(dir, FLOW_DIR_TOSERVER);
	}
	for (int k = 0; k < 5000; k++) {
		int i = (int)(rnd() % N);
		bool rev = rnd() & 1;
		struct packet p = rev ? reverse(&first[i]) : first[i];
		int dir;
		assert_ptr_equal(flow_table_get(t, &p, &dir), fl[i]);
		assert_int_equal(dir, rev ? FLOW_DIR_TOCLIENT : FLOW_DIR_TOSERVER);
	}
	struct flow_stats st;
	flow_table_stats(t, &st);
	assert_int_equal(st.created, N);
	flow_table_free(t);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(flow_state_str(FLOW_STATE_NEW), "new");
	assert_string_equal(flow_state_str(FLOW_STATE_ESTABLISHED), "established");
	assert_string_equal(flow_state_str(FLOW_STATE_CLOSED), "closed");
	assert_string_equal(flow_end_reason_str(FLOW_END_TIMEOUT), "timeout");
	assert_string_equal(flow_end_reason_str(FLOW_END_FORCED), "forced");
	assert_string_equal(flow_end_reason_str(FLOW_END_SHUTDOWN), "shutdown");
	struct flow_table_config cfg;
	flow_table_config_defaults(&cfg);
	assert_int_equal(cfg.timeout_new, 30);
	assert_int_equal(cfg.timeout_established, 300);
	assert_int_equal(cfg.timeout_closed, 10);
	assert_int_equal(cfg.timeout_udp, 60);
	assert_int_equal(cfg.hash_size, 65536);
	assert_int_equal(cfg.memcap, 128u << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_synack_first_orientation),
		cmocka_unit_test(test_udp_icmp_established),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_timeouts_per_state),
		cmocka_unit_test(test_timeout_state_change_later),
		cmocka_unit_test(test_memcap_eviction),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_flow_id_deterministic),
		cmocka_unit_test(test_syn_reuses_closed_tuple),
		cmocka_unit_test(test_hash_symmetry_property),
		cmocka_unit_test(test_table_lookup_property),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
