/*
 * Unit tests of the detection engine (src/detect/engine.c, state.c,
 * alert ordering): prefilter correctness against exhaustive evaluation
 * (randomised property test over payload and app-buffer rules),
 * flowbits, xbits/hostbits, thresholds and detection_filter on packet
 * time, datasets (file-backed, set/isset/isnotset, md5 over a
 * transform), pass rules, one alert per transaction, stream matches
 * split across segments, and alert order.
 *
 * Packets and flows are built in memory; transactions come from a small
 * fake app protocol whose get_buffer answers from a struct fake_tx.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/engine.h"
#include "detect/rule.h"
#include "detect/state.h"

/* ---- helpers ------------------------------------------------------------- */

#define MAX_ALERTS 4096
struct sink {
	uint32_t sid[MAX_ALERTS];
	int64_t tx[MAX_ALERTS];
	int dir[MAX_ALERTS];
	size_t n;
};

static void on_alert(const struct detect_alert *a, void *ctx)
{
	struct sink *s = ctx;
	if (s->n < MAX_ALERTS) {
		s->sid[s->n] = a->r->sid;
		s->tx[s->n] = a->tx_id;
		s->dir[s->n] = a->dir;
		s->n++;
	}
}

struct env {
	struct ruleset *rs;
	struct detect_engine *de;
	struct detect_thread *dt;
	struct sink sink;
};

/* Loads rules (one per string, NULL-terminated); every rule must parse. */
static void env_init(struct env *e, const char *const *rules)
{
	memset(e, 0, sizeof(*e));
	e->rs = ruleset_new();
	assert_non_null(e->rs);
	for (unsigned i = 0; rules[i]; i++) {
		struct mamori_diag d = {0};
		int rc = ruleset_add_rule(e->rs, rules[i], "/tmp/test.rules", i + 1, &d);
		if (rc)
			print_message("rejected: %s: %s\n", rules[i], d.msg);
		assert_int_equal(rc, 0);
	}
	struct mamori_diag d = {0};
	int rc = detect_engine_new(e->rs, NULL, &e->de, &d);
	if (rc)
		print_message("engine: %s\n", d.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(detect_thread_new(e->de, on_alert, &e->sink, &e->dt), 0);
}

static void env_free(struct env *e)
{
	detect_thread_free(e->dt);
	detect_engine_free(e->de);
	ruleset_free(e->rs);
}

static void set_ip4(struct mamori_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 10;
	a->a[3] = last;
}

/* A UDP (proto 17) or TCP (6) packet from 10.0.0.<src> to 10.0.0.<dst>. */
static void mkpkt(struct packet *p, uint8_t proto, uint8_t src, uint8_t dst,
		  const char *payload, uint64_t ts)
{
	memset(p, 0, sizeof(*p));
	p->ts_usec = ts;
	p->flags = PKT_HAS_IP;
	p->ipver = 4;
	p->proto = proto;
	p->ttl = 64;
	set_ip4(&p->src, src);
	set_ip4(&p->dst, dst);
	p->sport = 1024;
	p->dport = 80;
	p->payload = (const uint8_t *)payload;
	p->payload_len = (uint32_t)strlen(payload);
	if (proto == 6)
		p->tcp_flags = 0x18;
}

static void mkflow(struct flow *f, uint8_t proto, uint8_t cli, uint8_t srv)
{
	memset(f, 0, sizeof(*f));
	f->key.proto = proto;
	set_ip4(&f->key.a, cli);
	set_ip4(&f->key.b, srv);
	f->key.pa = 1024;
	f->key.pb = 80;
	f->flow_id = 1;
	f->state = FLOW_STATE_ESTABLISHED;
	f->flags = FLOW_F_TOSERVER_SEEN | FLOW_F_TOCLIENT_SEEN;
}

static size_t count_sid(const struct sink *s, uint32_t sid)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->sid[i] == sid;
	return n;
}

/* ---- a fake app protocol -------------------------------------------------- */

struct fake_tx {
	const char *buf[APP_BUF_MAX][3];	/* up to 3 instances per buffer */
};

static bool fake_get_buffer(const void *tx, enum app_buffer which, uint32_t idx,
			    const uint8_t **data, size_t *len)
{
	const struct fake_tx *t = tx;
	if (idx >= 3 || !t->buf[which][idx])
		return false;
	*data = (const uint8_t *)t->buf[which][idx];
	*len = strlen(t->buf[which][idx]);
	return true;
}

static const struct app_proto fake_http = {
	.name = "http", .id = APP_HTTP, .tcp = true, .get_buffer = fake_get_buffer,
};
static const struct app_proto fake_dns = {
	.name = "dns", .id = APP_DNS, .udp = true, .get_buffer = fake_get_buffer,
};

/* ---- property test: prefilter + verify == evaluate every rule ------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

static void rnd_str(char *dst, size_t n)
{
	static const char alpha[] = "abcAB|";
	for (size_t i = 0; i < n; i++) {
		char c = alpha[rnd(5)];
		dst[i] = c;
	}
	dst[n] = 0;
}

/* A random content option set into out (appends). */
static bool allow_neg = true;

static void rnd_content(char *out, size_t cap, bool first, bool want_fp)
{
	char pat[8];
	size_t len = 1 + rnd(4);
	rnd_str(pat, len);
	size_t o = strlen(out);
	bool neg = allow_neg && rnd(6) == 0;
	snprintf(out + o, cap - o, " content:%s\"%s\";", neg ? "!" : "", pat);
	o = strlen(out);
	if (rnd(3) == 0)
		snprintf(out + o, cap - o, " nocase;");
	o = strlen(out);
	unsigned m = rnd(6);
	if (m == 1)
		snprintf(out + o, cap - o, " depth:%u;", (unsigned)len + rnd(10));
	else if (m == 2)
		snprintf(out + o, cap - o, " offset:%u;", rnd(5));
	else if (m == 3 && !first)
		snprintf(out + o, cap - o, " distance:%d;", (int)rnd(5) - 1);
	else if (m == 4 && !first)
		snprintf(out + o, cap - o, " within:%u;", (unsigned)len + rnd(6));
	o = strlen(out);
	if (want_fp && !neg) {
		unsigned k = rnd(3);
		if (k == 0)
			snprintf(out + o, cap - o, " fast_pattern;");
		else if (k == 1 && len >= 2)
			snprintf(out + o, cap - o, " fast_pattern:1,%u;", (unsigned)len - 1);
		else if (k == 2 && m == 0)
			snprintf(out + o, cap - o, " fast_pattern:only;");
	}
}

static void run_property(bool tx)
{
	enum { NRULES = 60, NPAYLOADS = 300 };
	struct ruleset *rs = ruleset_new();
	assert_non_null(rs);
	for (unsigned i = 0; i < NRULES; i++) {
		char text[1024];
		snprintf(text, sizeof(text), "alert %s any any -> any any (msg:\"r%u\";%s",
			 tx ? "http" : "udp", i, tx ? " http.uri;" : "");
		unsigned nc = 1 + rnd(3);
		unsigned fp = rnd(nc + 1);
		for (unsigned k = 0; k < nc; k++)
			rnd_content(text, sizeof(text), k == 0, k == fp);
		if (rnd(5) == 0)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 " pcre:\"/[ab]{2}/i\";");
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " sid:%u;)", i + 1);
		struct mamori_diag d = {0};
		(void)ruleset_add_rule(rs, text, "prop", i + 1, &d);	/* some are invalid */
	}
	assert_true(rs->n >= NRULES / 2);
	struct detect_engine *de = NULL;
	struct mamori_diag d = {0};
	assert_int_equal(detect_engine_new(rs, NULL, &de, &d), 0);
	struct detect_engine_stats es;
	detect_engine_stats(de, &es);
	assert_true(es.prefiltered > 0);
	struct sink *sink = calloc(1, sizeof(*sink));
	assert_non_null(sink);
	struct detect_thread *dt = NULL;
	assert_int_equal(detect_thread_new(de, on_alert, sink, &dt), 0);
	struct rule_match_ctx m;
	assert_int_equal(rule_match_ctx_init(&m), 0);
	size_t total = 0;
	for (unsigned i = 0; i < NPAYLOADS; i++) {
		char payload[64];
		rnd_str(payload, rnd(40));
		sink->n = 0;
		struct flow f;
		mkflow(&f, tx ? 6 : 17, 1, 2);
		if (tx) {
			struct fake_tx t;
			memset(&t, 0, sizeof(t));
			t.buf[APP_BUF_HTTP_URI][0] = payload;
			detect_tx(dt, &f, &fake_http, &t, i, NULL, 1000000);
		} else {
			struct packet p;
			mkpkt(&p, 17, 1, 2, payload, 1000000);
			detect_packet(dt, &p, NULL, 0);
		}
		detect_flow_end(dt, &f, 1000000);
		/* reference: every rule, no prefilter */
		bool *want = calloc(rs->n + 1, sizeof(bool));
		assert_non_null(want);
		for (size_t k = 0; k < rs->n; k++) {
			const struct rule *r = rs->rules[k];
			int list = tx ? RULE_LIST_BUF + APP_BUF_HTTP_URI : RULE_LIST_PMATCH;
			int rc = rule_match_list(r, list, (const uint8_t *)payload, strlen(payload), &m);
			assert_true(rc == 0 || rc == 1);
			want[r->sid] = rc == 1;
		}
		for (size_t k = 0; k < rs->n; k++) {
			uint32_t sid = rs->rules[k]->sid;
			size_t got = count_sid(sink, sid);
			if (got != (want[sid] ? 1u : 0u))
				print_message("sid %u payload '%s': got %zu want %d\n  %s\n", sid,
					      payload, got, want[sid], rs->rules[k]->text);
			assert_int_equal(got, want[sid] ? 1 : 0);
			total += got;
		}
		free(want);
	}
	assert_true(total > 0);	/* the test exercised matches */
	rule_match_ctx_release(&m);
	detect_thread_free(dt);
	detect_engine_free(de);
	ruleset_free(rs);
	free(sink);
}

static void test_prefilter_property_payload(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 8; seed++) {
		rng_state = seed * 7919u;
		run_property(false);
	}
}

static void test_prefilter_property_tx(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 8; seed++) {
		rng_state = seed * 104729u;
		run_property(true);
	}
}

/*
 * Streams: random positive rules (no negation, so a match in a prefix of
 * the stream stays a match of the whole) over random payloads cut into
 * random segments.  A rule must alert (at least once) exactly when it
 * matches the whole stream: contents split across segments are found, and
 * nothing fires that the stream does not hold.
 */
static void run_stream_property(void)
{
	enum { NRULES = 50, NSTREAMS = 150 };
	allow_neg = false;
	struct ruleset *rs = ruleset_new();
	assert_non_null(rs);
	for (unsigned i = 0; i < NRULES; i++) {
		char text[1024];
		snprintf(text, sizeof(text), "alert tcp any any -> any any (msg:\"s%u\";", i);
		unsigned nc = 1 + rnd(3);
		unsigned fp = rnd(nc + 1);
		for (unsigned k = 0; k < nc; k++)
			rnd_content(text, sizeof(text), k == 0, k == fp);
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " sid:%u;)", i + 1);
		struct mamori_diag d = {0};
		(void)ruleset_add_rule(rs, text, "sprop", i + 1, &d);
	}
	allow_neg = true;
	struct detect_engine *de = NULL;
	struct mamori_diag d = {0};
	assert_int_equal(detect_engine_new(rs, NULL, &de, &d), 0);
	struct sink *sink = calloc(1, sizeof(*sink));
	assert_non_null(sink);
	struct detect_thread *dt = NULL;
	assert_int_equal(detect_thread_new(de, on_alert, sink, &dt), 0);
	struct rule_match_ctx m;
	assert_int_equal(rule_match_ctx_init(&m), 0);
	size_t total = 0;
	for (unsigned i = 0; i < NSTREAMS; i++) {
		char data[200];
		size_t n = rnd(sizeof(data) - 1);
		rnd_str(data, n);
		sink->n = 0;
		struct flow f;
		mkflow(&f, 6, 1, 2);
		size_t off = 0;
		while (off < n) {
			size_t seg = 1 + rnd(12);
			if (seg > n - off)
				seg = n - off;
			char part[16];
			memcpy(part, data + off, seg);
			part[seg] = 0;
			detect_stream(dt, &f, 0, (const uint8_t *)part, seg, 0);
			struct packet p;
			mkpkt(&p, 6, 1, 2, part, 1000 + off);
			detect_packet(dt, &p, &f, 0);
			off += seg;
		}
		detect_flow_end(dt, &f, 5000);
		for (size_t k = 0; k < rs->n; k++) {
			const struct rule *r = rs->rules[k];
			int rc = rule_match_list(r, RULE_LIST_PMATCH, (const uint8_t *)data, n, &m);
			bool fired = count_sid(sink, r->sid) > 0;
			if (fired != (rc == 1))
				print_message("sid %u stream '%s': fired %d match %d\n  %s\n", r->sid,
					      data, fired, rc, r->text);
			assert_int_equal(fired, rc == 1);
			total += fired;
		}
	}
	assert_true(total > 0);
	rule_match_ctx_release(&m);
	detect_thread_free(dt);
	detect_engine_free(de);
	ruleset_free(rs);
	free(sink);
}

static void test_prefilter_property_stream(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 6; seed++) {
		rng_state = seed * 15485863u;
		run_stream_property();
	}
}

/* ---- grouping ---------------------------------------------------------------- */

static void test_groups(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert udp any any -> any any (msg:\"u\"; content:\"abc\"; sid:1;)",
		"alert tcp any any -> any any (msg:\"t\"; content:\"abc\"; flow:to_client; sid:2;)",
		"alert udp any any -> any 53 (msg:\"port\"; content:\"abc\"; sid:3;)",
		"alert udp any any <> 10.0.0.1 any (msg:\"bidir\"; content:\"abc\"; sid:4;)",
		"alert icmp any any -> any any (msg:\"icmp\"; content:\"abc\"; sid:5;)",
		"alert udp any any -> any any (msg:\"neg\"; content:!\"zzz\"; sid:6;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct packet p;
	mkpkt(&p, 17, 1, 2, "xxabcxx", 1000);
	detect_packet(e.dt, &p, NULL, 0);
	/* udp rule, bidir rule (10.0.0.1 is the source, matched reversed), neg */
	assert_int_equal(e.sink.n, 3);
	assert_int_equal(e.sink.sid[0], 1);
	assert_int_equal(e.sink.sid[1], 4);
	assert_int_equal(e.sink.sid[2], 6);
	e.sink.n = 0;
	p.dport = 53;
	mkpkt(&p, 17, 7, 8, "abc zzz", 1000);
	p.dport = 53;
	detect_packet(e.dt, &p, NULL, 0);
	assert_int_equal(e.sink.n, 2);	/* 1 and 3; not 4 (addresses), not 6 */
	assert_int_equal(e.sink.sid[0], 1);
	assert_int_equal(e.sink.sid[1], 3);
	env_free(&e);
}

/* ---- flowbits ------------------------------------------------------------------ */

static void test_flowbits(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert udp any any -> any any (msg:\"login\"; content:\"login\"; "
		"flowbits:set,logged; flowbits:noalert; sid:1;)",
		"alert udp any any -> any any (msg:\"secret\"; content:\"secret\"; "
		"flowbits:isset,logged; sid:2;)",
		"alert udp any any -> any any (msg:\"or\"; content:\"either\"; "
		"flowbits:isset,nope|logged; sid:3;)",
		"alert udp any any -> any any (msg:\"notset\"; content:\"anon\"; "
		"flowbits:isnotset,logged; sid:4;)",
		"alert udp any any -> any any (msg:\"logout\"; content:\"logout\"; "
		"flowbits:unset,logged; flowbits:noalert; sid:5;)",
		"alert udp any any -> any any (msg:\"toggle\"; content:\"flip\"; "
		"flowbits:toggle,logged; flowbits:noalert; sid:6;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct flow f, g;
	mkflow(&f, 17, 1, 2);
	mkflow(&g, 17, 3, 4);
	struct packet p;
	static const struct {
		struct flow *f;
		const char *data;
		int sid;	/* expected alert, 0 none */
	} steps[] = {
		{NULL, "secret", 0},
		{NULL, "anon", 4},
		{NULL, "login", 0},
		{NULL, "secret", 2},
		{NULL, "either", 3},
		{NULL, "anon", 0},
		{NULL, "logout", 0},
		{NULL, "secret", 0},
		{NULL, "flip", 0},
		{NULL, "secret", 2},
		{NULL, "flip", 0},
		{NULL, "secret", 0},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		e.sink.n = 0;
		mkpkt(&p, 17, 1, 2, steps[i].data, 1000 + i);
		detect_packet(e.dt, &p, &f, 0);
		if (steps[i].sid) {
			assert_int_equal(e.sink.n, 1);
			assert_int_equal(e.sink.sid[0], (uint32_t)steps[i].sid);
		} else {
			assert_int_equal(e.sink.n, 0);
		}
	}
	/* bits are per flow: set on f, not on g */
	mkpkt(&p, 17, 1, 2, "login", 5000);
	detect_packet(e.dt, &p, &f, 0);
	e.sink.n = 0;
	mkpkt(&p, 17, 3, 4, "secret", 5001);
	detect_packet(e.dt, &p, &g, 0);
	assert_int_equal(e.sink.n, 0);
	/* set and read in the same packet: setter is ordered first */
	mkpkt(&p, 17, 3, 4, "login secret", 5002);
	detect_packet(e.dt, &p, &g, 0);
	assert_int_equal(e.sink.n, 1);
	assert_int_equal(e.sink.sid[0], 2);
	assert_true(g.flags & FLOW_F_ALERTED);
	detect_flow_end(e.dt, &f, 6000);
	detect_flow_end(e.dt, &g, 6000);
	assert_null(f.detect);
	env_free(&e);
}

/* ---- hostbits / xbits ------------------------------------------------------------- */

static void test_hostbits(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert udp any any -> any any (msg:\"mark\"; content:\"mark\"; "
		"hostbits:set,bad,track ip_src,expire 10; noalert; sid:1;)",
		"alert udp any any -> any any (msg:\"check\"; content:\"check\"; "
		"hostbits:isset,bad,track ip_src; sid:2;)",
		"alert udp any any -> any any (msg:\"pair\"; content:\"pset\"; "
		"xbits:set,p,track ip_pair; noalert; sid:3;)",
		"alert udp any any -> any any (msg:\"pcheck\"; content:\"pcheck\"; "
		"xbits:isset,p,track ip_pair; sid:4;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct packet p;
	uint64_t t0 = 1000000000;
	mkpkt(&p, 17, 1, 2, "mark", t0);
	detect_packet(e.dt, &p, NULL, 0);
	mkpkt(&p, 17, 1, 9, "check", t0 + 5000000);	/* same host, other peer */
	detect_packet(e.dt, &p, NULL, 0);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	mkpkt(&p, 17, 5, 9, "check", t0 + 5000000);	/* other host */
	detect_packet(e.dt, &p, NULL, 0);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	mkpkt(&p, 17, 1, 9, "check", t0 + 11000000);	/* expired (packet time) */
	detect_packet(e.dt, &p, NULL, 0);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	/* ip_pair is direction-free */
	mkpkt(&p, 17, 1, 2, "pset", t0);
	detect_packet(e.dt, &p, NULL, 0);
	mkpkt(&p, 17, 2, 1, "pcheck", t0 + 1);
	detect_packet(e.dt, &p, NULL, 0);
	mkpkt(&p, 17, 2, 3, "pcheck", t0 + 2);
	detect_packet(e.dt, &p, NULL, 0);
	assert_int_equal(count_sid(&e.sink, 4), 1);
	env_free(&e);
}

/* ---- thresholds ------------------------------------------------------------------------ */

static size_t fire(struct env *e, uint8_t src, const char *data, uint64_t ts)
{
	struct packet p;
	size_t before = e->sink.n;
	mkpkt(&p, 17, src, 2, data, ts);
	detect_packet(e->dt, &p, NULL, 0);
	return e->sink.n - before;
}

static void test_thresholds(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert udp any any -> any any (msg:\"limit\"; content:\"L\"; "
		"threshold:type limit,track by_src,count 2,seconds 60; sid:1;)",
		"alert udp any any -> any any (msg:\"threshold\"; content:\"T\"; "
		"threshold:type threshold,track by_src,count 3,seconds 60; sid:2;)",
		"alert udp any any -> any any (msg:\"both\"; content:\"B\"; "
		"threshold:type both,track by_dst,count 2,seconds 60; sid:3;)",
		"alert udp any any -> any any (msg:\"df\"; content:\"D\"; "
		"detection_filter:track by_src,count 2,seconds 60; sid:4;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	uint64_t s = 1000000, t0 = 1700000000 * s;
	/* limit 2 per 60 s per source */
	size_t n = 0;
	for (int i = 0; i < 5; i++)
		n += fire(&e, 1, "L", t0 + (uint64_t)i * s);
	assert_int_equal(n, 2);
	assert_int_equal(fire(&e, 3, "L", t0 + 6 * s), 1);	/* other source */
	assert_int_equal(fire(&e, 1, "L", t0 + 61 * s), 1);	/* new window */
	/* threshold: every 3rd */
	int got[7];
	for (int i = 0; i < 7; i++)
		got[i] = (int)fire(&e, 1, "T", t0 + (uint64_t)i * s);
	int want_t[7] = {0, 0, 1, 0, 0, 1, 0};
	assert_memory_equal(got, want_t, sizeof(got));
	/* both: once per window when count reached */
	for (int i = 0; i < 5; i++)
		got[i] = (int)fire(&e, (uint8_t)(10 + i), "B", t0 + (uint64_t)i * s);
	int want_b[5] = {0, 1, 0, 0, 0};
	assert_memory_equal(got, want_b, sizeof(int) * 5);
	assert_int_equal(fire(&e, 1, "B", t0 + 100 * s), 0);
	assert_int_equal(fire(&e, 1, "B", t0 + 101 * s), 1);
	/* detection_filter: from the (count+1)-th on */
	for (int i = 0; i < 5; i++)
		got[i] = (int)fire(&e, 1, "D", t0 + (uint64_t)i * s);
	int want_d[5] = {0, 0, 1, 1, 1};
	assert_memory_equal(got, want_d, sizeof(int) * 5);
	struct detect_thread_stats st;
	detect_thread_stats(e.dt, &st);
	assert_true(st.suppressed > 0);
	env_free(&e);
}

/* ---- datasets ---------------------------------------------------------------------------- */

static void test_datasets(void **state)
{
	(void)state;
	char dir[] = "/tmp/mamori-ds-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char f1[256], f2[256];
	snprintf(f1, sizeof(f1), "%s/bad.lst", dir);
	snprintf(f2, sizeof(f2), "%s/md5.lst", dir);
	FILE *fp = fopen(f1, "w");
	assert_non_null(fp);
	/* "evil.example" and "c2.test" in base64 */
	fputs("ZXZpbC5leGFtcGxl\nYzIudGVzdA==\n", fp);
	fclose(fp);
	fp = fopen(f2, "w");
	assert_non_null(fp);
	/* md5("/x") */
	fputs("cc8755609ad61864910f145119713de9\n", fp);
	fclose(fp);
	char r1[512], r2[512];
	snprintf(r1, sizeof(r1), "alert dns any any -> any any (msg:\"ds\"; dns.query; "
		 "dataset:isset,bad,type string,load %s; sid:1;)", f1);
	snprintf(r2, sizeof(r2), "alert http any any -> any any (msg:\"md5\"; http.uri; "
		 "to_md5; dataset:isset,urls,type md5,load %s; sid:4;)", f2);
	const char *rules[] = {
		r1,
		"alert dns any any -> any any (msg:\"new\"; dns.query; "
		"dataset:set,seen,type string; sid:2;)",
		"alert dns any any -> any any (msg:\"unknown\"; dns.query; content:\".test\"; "
		"dataset:isnotset,bad,type string; sid:3;)",
		r2,
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct flow f;
	mkflow(&f, 17, 1, 2);
	struct fake_tx t;
	memset(&t, 0, sizeof(t));
	t.buf[APP_BUF_DNS_QUERY][0] = "evil.example";
	detect_tx(e.dt, &f, &fake_dns, &t, 0, NULL, 1000);
	assert_int_equal(count_sid(&e.sink, 1), 1);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	t.buf[APP_BUF_DNS_QUERY][0] = "evil.example";	/* seen: set no longer matches */
	detect_tx(e.dt, &f, &fake_dns, &t, 1, NULL, 1000);
	assert_int_equal(count_sid(&e.sink, 1), 2);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	t.buf[APP_BUF_DNS_QUERY][0] = "good.test";
	detect_tx(e.dt, &f, &fake_dns, &t, 2, NULL, 1000);
	t.buf[APP_BUF_DNS_QUERY][0] = "c2.test";
	detect_tx(e.dt, &f, &fake_dns, &t, 3, NULL, 1000);
	assert_int_equal(count_sid(&e.sink, 3), 1);	/* good.test only */
	assert_int_equal(count_sid(&e.sink, 1), 3);	/* c2.test */
	struct flow h;	/* http runs over tcp */
	mkflow(&h, 6, 1, 2);
	memset(&t, 0, sizeof(t));
	t.buf[APP_BUF_HTTP_URI][0] = "/x";
	detect_tx(e.dt, &h, &fake_http, &t, 4, NULL, 1000);
	t.buf[APP_BUF_HTTP_URI][0] = "/y";
	detect_tx(e.dt, &h, &fake_http, &t, 5, NULL, 1000);
	detect_flow_end(e.dt, &h, 2000);
	assert_int_equal(count_sid(&e.sink, 4), 1);
	detect_flow_end(e.dt, &f, 2000);
	env_free(&e);

	/* a dataset file that does not load: the rule is skipped, reported */
	struct ruleset *rs = ruleset_new();
	struct mamori_diag d = {0};
	assert_int_equal(ruleset_add_rule(rs, "alert dns any any -> any any (msg:\"x\"; "
					  "dns.query; dataset:isset,zz,type string,"
					  "load /nonexistent/zz.lst; sid:9;)", "t", 1, &d), 0);
	struct detect_engine *de = NULL;
	assert_int_equal(detect_engine_new(rs, NULL, &de, &d), 0);
	struct detect_engine_stats es;
	detect_engine_stats(de, &es);
	assert_int_equal(es.skipped, 1);
	assert_int_equal(es.rules, 0);
	assert_non_null(strstr(d.msg, "zz"));
	detect_engine_free(de);
	ruleset_free(rs);
	unlink(f1);
	unlink(f2);
	rmdir(dir);
}

/* Dataset file text: comments, CRLF, reputation column, bad lines. */
static void test_dataset_parse(void **state)
{
	(void)state;
	struct detect_dataset *ds = NULL;
	assert_int_equal(detect_dataset_new("t", RULE_DS_STRING, 1u << 20, &ds), 0);
	static const char ok[] = "# c\r\n\r\nZXZpbC5leGFtcGxl\r\nYzIudGVzdA==,100\nYQ==";
	struct mamori_diag d = {0};
	assert_int_equal(detect_dataset_parse(ds, "f", ok, strlen(ok), &d), 0);
	assert_int_equal(detect_dataset_count(ds), 3);
	assert_true(detect_dataset_has(ds, (const uint8_t *)"evil.example", 12));
	assert_true(detect_dataset_has(ds, (const uint8_t *)"c2.test", 7));
	assert_true(detect_dataset_has(ds, (const uint8_t *)"a", 1));
	assert_false(detect_dataset_has(ds, (const uint8_t *)"evil", 4));
	static const char bad[] = "YWJj\nnot base64!\nYWJk\n";
	assert_int_equal(detect_dataset_parse(ds, "f", bad, strlen(bad), &d), MAMORI_EINVAL);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "f:2"));
	detect_dataset_remove(ds, (const uint8_t *)"a", 1);
	assert_false(detect_dataset_has(ds, (const uint8_t *)"a", 1));
	detect_dataset_free(ds);

	/* hex sets: exact digest length, hex digits only */
	assert_int_equal(detect_dataset_new("h", RULE_DS_MD5, 1u << 20, &ds), 0);
	static const char h1[] = "CC8755609AD61864910F145119713DE9\n";
	assert_int_equal(detect_dataset_parse(ds, "m", h1, strlen(h1), &d), 0);
	assert_int_equal(detect_dataset_count(ds), 1);
	static const char h2[] = "cc8755609ad61864910f145119713de\n";
	assert_int_equal(detect_dataset_parse(ds, "m", h2, strlen(h2), &d), MAMORI_EINVAL);
	static const char h3[] = "zz8755609ad61864910f145119713de9\n";
	assert_int_equal(detect_dataset_parse(ds, "m", h3, strlen(h3), &d), MAMORI_EINVAL);
	detect_dataset_free(ds);

	/* memcap */
	assert_int_equal(detect_dataset_new("c", RULE_DS_STRING, 1024, &ds), 0);
	char big[8192];
	size_t o = 0;
	for (int i = 0; i < 400 && o + 16 < sizeof(big); i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "QUFB%04d\n", i);
	assert_int_equal(detect_dataset_parse(ds, "c", big, o, &d), MAMORI_ELIMIT);
	assert_true(detect_dataset_count(ds) < 400);
	detect_dataset_free(ds);
}

/* ---- pass rules --------------------------------------------------------------------------- */

static void test_pass(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert udp any any -> any any (msg:\"o\"; content:\"o\"; sid:11;)",
		"pass udp any any -> any any (msg:\"ok\"; content:\"ok\"; sid:10;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct flow f, g;
	mkflow(&f, 17, 1, 2);
	mkflow(&g, 17, 3, 4);
	struct packet p;
	mkpkt(&p, 17, 1, 2, "ok", 1000);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(e.sink.n, 0);
	mkpkt(&p, 17, 1, 2, "o", 1001);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(e.sink.n, 0);	/* the flow is passed */
	mkpkt(&p, 17, 3, 4, "o", 1002);
	detect_packet(e.dt, &p, &g, 0);
	assert_int_equal(e.sink.n, 1);
	assert_false(f.flags & FLOW_F_ALERTED);
	detect_flow_end(e.dt, &f, 2000);
	detect_flow_end(e.dt, &g, 2000);
	env_free(&e);
}

/* ---- transactions -------------------------------------------------------------------------- */

static void test_tx(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert dns any any -> any any (msg:\"q\"; dns.query; content:\"evil\"; sid:1;)",
		"alert http any any -> any any (msg:\"two\"; http.method; content:\"POST\"; "
		"http.uri; content:\".jpg\"; endswith; sid:2;)",
		"alert http any any -> any any (msg:\"resp\"; http.stat_code; content:\"404\"; sid:3;)",
		"alert dns any any -> any any (msg:\"any dns\"; sid:4;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct flow f;
	mkflow(&f, 17, 1, 2);
	struct fake_tx t;
	memset(&t, 0, sizeof(t));
	t.buf[APP_BUF_DNS_QUERY][0] = "evil.one";
	t.buf[APP_BUF_DNS_QUERY][1] = "evil.two";
	detect_tx(e.dt, &f, &fake_dns, &t, 7, NULL, 1000);
	/* two matching instances: one alert; sorted by sid */
	assert_int_equal(e.sink.n, 2);
	assert_int_equal(e.sink.sid[0], 1);
	assert_int_equal(e.sink.sid[1], 4);
	assert_int_equal(e.sink.tx[0], 7);
	e.sink.n = 0;
	detect_flow_end(e.dt, &f, 2000);
	mkflow(&f, 6, 1, 2);	/* http runs over tcp */
	memset(&t, 0, sizeof(t));
	t.buf[APP_BUF_HTTP_METHOD][0] = "POST";
	t.buf[APP_BUF_HTTP_URI][0] = "/a.jpg?x";
	detect_tx(e.dt, &f, &fake_http, &t, 0, NULL, 1000);
	assert_int_equal(e.sink.n, 0);
	t.buf[APP_BUF_HTTP_URI][0] = "/a.jpg";
	t.buf[APP_BUF_HTTP_STAT_CODE][0] = "404";
	detect_tx(e.dt, &f, &fake_http, &t, 1, NULL, 1000);
	assert_int_equal(e.sink.n, 2);
	assert_int_equal(e.sink.sid[0], 2);
	assert_int_equal(e.sink.dir[0], FLOW_DIR_TOSERVER);
	assert_int_equal(e.sink.sid[1], 3);
	assert_int_equal(e.sink.dir[1], FLOW_DIR_TOCLIENT);
	e.sink.n = 0;
	t.buf[APP_BUF_HTTP_METHOD][0] = "GET";	/* both lists must match the same tx */
	detect_tx(e.dt, &f, &fake_http, &t, 2, NULL, 1000);
	assert_int_equal(count_sid(&e.sink, 2), 0);
	detect_flow_end(e.dt, &f, 2000);
	env_free(&e);
}

/* ---- streams -------------------------------------------------------------------------------- */

static void test_stream_split(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"alert tcp any any -> any any (msg:\"ua\"; flow:to_server,established; "
		"content:\"Windoss\"; sid:1;)",
		"alert tcp any any -> any any (msg:\"pkt only\"; flow:no_stream; "
		"content:\"Windoss\"; sid:2;)",
		"alert tcp any any -> any any (msg:\"two parts\"; content:\"GET\"; "
		"content:\"Agent\"; distance:0; sid:3;)",
		"alert tcp any any -> any any (msg:\"fp first\"; content:\"GET /\"; fast_pattern; "
		"content:\"doss\"; distance:0; sid:4;)",
		NULL,
	};
	struct env e;
	env_init(&e, rules);
	struct flow f;
	mkflow(&f, 6, 1, 2);
	struct packet p;
	/* segment 1 */
	static const char s1[] = "GET / HTTP/1.1\r\nUser-Agent: Win";
	static const char s2[] = "doss\r\n\r\n";
	detect_stream(e.dt, &f, 0, (const uint8_t *)s1, strlen(s1), 0);
	mkpkt(&p, 6, 1, 2, s1, 1000);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(count_sid(&e.sink, 1), 0);
	assert_int_equal(count_sid(&e.sink, 3), 1);
	detect_stream(e.dt, &f, 0, (const uint8_t *)s2, strlen(s2), 0);
	mkpkt(&p, 6, 1, 2, s2, 1001);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(count_sid(&e.sink, 1), 1);	/* across segments */
	assert_int_equal(count_sid(&e.sink, 2), 0);	/* not in one packet */
	/* its fast pattern came with the first segment, the rest now */
	assert_int_equal(count_sid(&e.sink, 4), 1);
	/* later data: no repeated alert for the old match */
	static const char s3[] = "more bytes";
	detect_stream(e.dt, &f, 0, (const uint8_t *)s3, strlen(s3), 0);
	mkpkt(&p, 6, 1, 2, s3, 1002);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(count_sid(&e.sink, 1), 1);
	assert_int_equal(count_sid(&e.sink, 3), 1);
	assert_int_equal(count_sid(&e.sink, 4), 1);
	/* the whole word in one packet: stream and payload give one alert each rule */
	static const char s4[] = "Windoss";
	detect_stream(e.dt, &f, 0, (const uint8_t *)s4, strlen(s4), 0);
	mkpkt(&p, 6, 1, 2, s4, 1003);
	detect_packet(e.dt, &p, &f, 0);
	assert_int_equal(count_sid(&e.sink, 1), 2);
	assert_int_equal(count_sid(&e.sink, 2), 1);
	/* bytes delivered at flow end are inspected too */
	detect_stream(e.dt, &f, 0, (const uint8_t *)"Windoss", 7, 0);
	detect_flow_end(e.dt, &f, 2000);
	assert_int_equal(count_sid(&e.sink, 1), 3);
	env_free(&e);
}

static void test_empty_engine(void **state)
{
	(void)state;
	struct ruleset *rs = ruleset_new();
	struct detect_engine *de = NULL;
	struct mamori_diag d = {0};
	assert_int_equal(detect_engine_new(rs, NULL, &de, &d), 0);
	struct detect_thread *dt = NULL;
	assert_int_equal(detect_thread_new(de, NULL, NULL, &dt), 0);
	struct packet p;
	mkpkt(&p, 17, 1, 2, "abc", 1);
	detect_packet(dt, &p, NULL, 0);
	struct detect_thread_stats st;
	detect_thread_stats(dt, &st);
	assert_int_equal(st.alerts, 0);
	detect_thread_free(dt);
	detect_engine_free(de);
	ruleset_free(rs);
	detect_engine_free(NULL);
	detect_thread_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefilter_property_payload),
		cmocka_unit_test(test_prefilter_property_tx),
		cmocka_unit_test(test_prefilter_property_stream),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_flowbits),
		cmocka_unit_test(test_hostbits),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_datasets),
		cmocka_unit_test(test_dataset_parse),
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_stream_split),
		cmocka_unit_test(test_empty_engine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
