/*
 * Unit tests of the correlation engine (src/correlate): the correlation
 * file loader (every rejection with its line and column), EVE decoding and
 * timestamps, the DGA score, each requirement kind, exclusions, sequences
 * (gaps, previous peer), one incident per window, the client_ip side for
 * both sensors' DNS orientation, and two properties: any interleaving of
 * the entities' events gives the same incidents, and a million distinct
 * entities stay under the memory cap (LRU evictions counted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "correlate/corr_int.h"
#include "correlate/dga.h"
#include "output/eve.h"
#include "util/buf.h"
#include "util/jw.h"

/* ---- helpers ----------------------------------------------------------- */

#define MAX_INC 64
struct sink {
	size_t n;
	char line[MAX_INC][4096];
};

static void sink_emit(void *ctx, const struct corr_incident *inc)
{
	struct sink *s = ctx;
	struct buf b;
	struct jw w;
	assert_true(s->n < MAX_INC);
	buf_init(&b, 0);
	jw_init(&w, &b);
	corr_incident_write_record(inc, &w);
	assert_int_equal(jw_error(&w), 0);
	snprintf(s->line[s->n++], sizeof(s->line[0]), "%s", buf_str(&b));
	buf_release(&b);
}

static struct corr_ruleset *load(const char *yaml, const struct corr_load_opts *o)
{
	struct corr_ruleset *rs = NULL;
	struct mamori_diag d = {0};
	int rc = corr_ruleset_load_buffer("t.yaml", yaml, strlen(yaml), o, &rs, &d);
	if (rc)
		fail_msg("load: %s:%u:%u: %s", d.file, d.line, d.column, d.msg);
	return rs;
}

static void feed(struct corr_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void feed(struct corr_engine *e, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_int_equal(corr_feed_eve_line(e, line, strlen(line)), 0);
}

/* "2008-11-24T10:MM:SS.000000+0000" for a second offset < 1 day. */
static const char *T(unsigned s)
{
	static char buf[8][40];
	static unsigned k;
	char *b = buf[k++ % 8];
	snprintf(b, 40, "2008-11-24T%02u:%02u:%02u.000000+0000", s / 3600, s / 60 % 60, s % 60);
	return b;
}

#define HDR "\"timestamp\":\"%s\",\"flow_id\":%u,\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":%u,\"proto\":\"%s\""

static void ev_alert(struct corr_engine *e, unsigned t, const char *src, const char *dst,
		     unsigned sid, const char *cat)
{
	feed(e, "{" HDR ",\"event_type\":\"alert\",\"alert\":{\"signature_id\":%u,"
		"\"signature\":\"sig %u\",\"category\":\"%s\"}}",
	     T(t), 100 + t, src, 1025u, dst, 80u, "TCP", sid, sid, cat);
}

static void ev_dns(struct corr_engine *e, unsigned t, const char *src, const char *type,
		   const char *name, const char *rrtype, const char *rcode)
{
	feed(e, "{" HDR ",\"event_type\":\"dns\",\"dns\":{\"type\":\"%s\",\"rrname\":\"%s\","
		"\"rrtype\":\"%s\",\"rcode\":\"%s\"}}",
	     T(t), 200 + t, src, 53000u, "10.0.0.53", 53u, "UDP", type, name, rrtype, rcode);
}

static void ev_flow(struct corr_engine *e, unsigned t, const char *src, const char *dst,
		    unsigned dport)
{
	feed(e, "{" HDR ",\"event_type\":\"flow\",\"flow\":{\"state\":\"closed\"}}",
	     T(t), 300 + t, src, 50000u, dst, dport, "TCP");
}

/* ---- loader ------------------------------------------------------------ */

static void test_load_errors(void **state)
{
	(void)state;
	static const struct {
		const char *yaml;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{"", 0, 0, "empty file"},
		{"[1, 2", 2, 1, "YAML"},
		{"- a\n", 1, 1, "expected a mapping"},
		{"version: 2\ncorrelations: []\n", 1, 10, "version must be between 1 and 1"},
		{"colors: 1\n", 1, 1, "unknown top-level key 'colors'"},
		{"version: 1\n", 1, 1, "correlations: must be a list"},
		{"correlations:\n  - 5\n", 2, 5, "a correlation must be a mapping"},
		{"correlations:\n  - name: x\n    severity: 1\n    window: 5m\n    require: []\n", 2, 5, "needs id"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 0\n", 4, 15, "severity must be between 1 and 4"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5y\n", 5, 13, "window must be a duration"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 40d\n", 5, 13, "between 1s and 30d"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    entity: host\n    require: []\n", 6, 13, "entity must be"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n", 2, 5, "exactly one of require: and sequence:"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require: []\n", 6, 14, "at least one requirement"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - alert: {}\n", 7, 16, "alert needs sid"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - alert: {sid: x}\n", 7, 22, "sid must be a whole number"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - alert: {classtype: nope}\n", 7, 28, "unknown classtype 'nope'"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns}\n", 7, 16, "count needs min"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: mail, min: 1}\n", 7, 24, "unknown event type 'mail'"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 0}\n", 7, 34, "min must be between 1 and 256"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1, distinct: \"a..b\"}\n", 7, 47, "not a dotted field path"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1, where: {dns.rcode: [a, \"!b\"]}}\n", 7, 60, "negates the whole list"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - rise: {event: flow, min: 3}\n", 7, 15, "rise needs factor: and baseline:"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - rise: {event: flow, min: 3, factor: 0.5, baseline: 1d}\n", 7, 45, "factor must be a number between 1"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    exclude: [NOPE]\n    require:\n      - count: {event: dns, min: 1}\n", 6, 15, "unknown address group 'NOPE'"},
		{"groups:\n  G: [10.0.0.0/33]\ncorrelations: []\n", 2, 6, "group G"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1}\n        on: nowhere\n", 8, 13, "on must be"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1}\n        alert: {sid: 1}\n", 8, 9, "exactly one of alert:, count:, rise:"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    sequence: {max_gap: 1m, steps: [{count: {event: dns, min: 1}}]}\n", 6, 36, "at least two steps"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    sequence: {steps: []}\n", 6, 15, "needs max_gap: and steps:"},
		{"correlations:\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1}\n  - id: a\n    name: x\n    severity: 1\n    window: 5m\n    require:\n      - count: {event: dns, min: 1}\n", 8, 5, "duplicate correlation id 'a'"},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct corr_ruleset *rs = NULL;
		struct mamori_diag d = {0};
		int rc = corr_ruleset_load_buffer("bad.yaml", cases[i].yaml, strlen(cases[i].yaml),
						  NULL, &rs, &d);
		if (rc != MAMORI_EFORMAT || d.line != cases[i].line || d.column != cases[i].col ||
		    !strstr(d.msg, cases[i].msg)) {
			print_error("case %zu: rc %d at %u:%u '%s', want %u:%u '%s'\n", i, rc, d.line,
				    d.column, d.msg, cases[i].line, cases[i].col, cases[i].msg);
			bad++;
		}
		assert_null(rs);
		assert_string_equal(d.file, "bad.yaml");
	}
	assert_int_equal(bad, 0);
}

static void test_load_builtin(void **state)
{
	(void)state;
	struct corr_ruleset *rs = NULL;
	struct mamori_diag d = {0};
	int rc = corr_ruleset_load(SRCDIR "/rules/correlation.yaml", NULL, &rs, &d);
	if (rc)
		fail_msg("%s:%u: %s", d.file, d.line, d.msg);
	assert_int_equal(corr_ruleset_count(rs), 4);
	assert_string_equal(corr_ruleset_rule_id(rs, 0), "storm-spam-bot");
	assert_string_equal(corr_ruleset_rule_id(rs, 3), "smb-lateral-movement");
	assert_null(corr_ruleset_rule_id(rs, 4));
	corr_ruleset_free(rs);
	/* Missing and oversized files. */
	assert_int_equal(corr_ruleset_load("/nonexistent/c.yaml", NULL, &rs, &d), MAMORI_EIO);
	static char big[CORR_MAX_FILE + 2];
	memset(big, '#', sizeof(big) - 1);
	assert_int_equal(corr_ruleset_load_buffer("b", big, sizeof(big) - 1, NULL, &rs, &d),
			 MAMORI_ELIMIT);
}

/* ---- events --------------------------------------------------------------- */

static void test_timestamps(void **state)
{
	(void)state;
	uint64_t t;
	assert_int_equal(corr_parse_ts("2009-11-24T21:27:09.534255+0000", &t), 0);
	assert_int_equal(t, 1259098029534255ull);
	assert_int_equal(corr_parse_ts("2009-11-24T22:27:09.5+01:00", &t), 0);
	assert_int_equal(t, 1259098029500000ull);
	assert_int_equal(corr_parse_ts("2009-11-24T21:27:09Z", &t), 0);
	assert_int_equal(t, 1259098029000000ull);
	assert_int_equal(corr_parse_ts("1970-01-01T00:00:00", &t), 0);
	assert_int_equal(t, 0);
	static const char *const bad[] = {
		"", "2009-11-24", "2009-13-24T21:27:09", "2009-11-24T25:27:09",
		"2009-11-24T21:27:09.", "2009-11-24T21:27:09+0", "2009-11-24T21:27:09 junk",
		"1969-12-31T23:59:59", "1970-01-01T00:00:00+0100", "20x9-11-24T21:27:09",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (corr_parse_ts(bad[i], &t) != MAMORI_EFORMAT)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_decode(void **state)
{
	(void)state;
	struct corr_event ev;
	json_t *root;
	struct mamori_diag d = {0};
	const char *l = "{\"timestamp\":\"2008-11-24T10:00:00.000001+0000\",\"flow_id\":77,"
			"\"event_type\":\"dns\",\"src_ip\":\"2001:db8::1\",\"src_port\":5353,"
			"\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\",\"app_proto\":\"dns\","
			"\"dns\":{\"rrname\":\"Example.COM\",\"id\":9,\"aa\":true,\"x\":{\"y\":[1]}}}\n";
	assert_int_equal(corr_event_decode(l, strlen(l), &ev, &root, &d), 0);
	assert_int_equal(ev.type, CORR_EV_DNS);
	assert_int_equal(ev.ts, 1227520800000001ull);
	assert_int_equal(ev.flow_id, 77);
	assert_int_equal(ev.src.family, 6);
	assert_int_equal(ev.dst.family, 4);
	assert_int_equal(ev.dst.a[3], 53);
	assert_int_equal(ev.sport, 5353);
	assert_int_equal(ev.dport, 53);
	assert_int_equal(ev.proto, 17);
	assert_string_equal(ev.app_proto, "dns");
	struct corr_path p = {0};
	char v[8];
	assert_int_equal(corr_path_set(&p, "dns.rrname"), 0);
	assert_int_equal(corr_event_get(&ev, &p, v, sizeof(v)), 11);
	assert_string_equal(v, "Example");	/* truncated to the buffer */
	assert_int_equal(corr_path_set(&p, "dns.id"), 0);
	assert_int_equal(corr_event_get(&ev, &p, v, sizeof(v)), 1);
	assert_string_equal(v, "9");
	assert_int_equal(corr_path_set(&p, "dns.aa"), 0);
	assert_int_equal(corr_event_get(&ev, &p, v, sizeof(v)), 4);
	assert_int_equal(corr_path_set(&p, "dns.x.y"), 0);
	assert_int_equal(corr_event_get(&ev, &p, v, sizeof(v)), -1);	/* not a scalar */
	assert_int_equal(corr_path_set(&p, "dns.nope"), 0);
	assert_int_equal(corr_event_get(&ev, &p, v, sizeof(v)), -1);
	assert_int_equal(corr_path_set(&p, "a..b"), MAMORI_EINVAL);
	assert_int_equal(corr_path_set(&p, "a.b.c.d.e.f.g.h.i"), MAMORI_EINVAL);
	corr_path_release(&p);
	corr_event_release(root);

	static const char *const bad[] = {
		"", "not json", "[1]", "{\"event_type\":\"dns\"}",
		"{\"timestamp\":\"yesterday\",\"event_type\":\"dns\"}",
		"{\"timestamp\":\"2008-11-24T10:00:00Z\"}",
		"{\"timestamp\":\"2008-11-24T10:00:00Z\",\"event_type\":1}",
		"{\"timestamp\":\"2008-11-24T10:00:00Z\",\"event_type\":\"dns\",\"event_type\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (corr_event_decode(bad[i], strlen(bad[i]), &ev, &root, &d) != MAMORI_EFORMAT)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(root);
	}
	/* Unknown types and odd address/port fields decode, typed as absent. */
	l = "{\"timestamp\":\"2008-11-24T10:00:00Z\",\"event_type\":\"stats\",\"src_ip\":\"x\","
	    "\"src_port\":70000,\"proto\":6}";
	assert_int_equal(corr_event_decode(l, strlen(l), &ev, &root, &d), 0);
	assert_int_equal(ev.type, CORR_EV_OTHER);
	assert_int_equal(ev.src.family, 0);
	assert_int_equal(ev.sport, 0);
	assert_int_equal(ev.proto, 6);
	corr_event_release(root);
}

/* ---- DGA score ------------------------------------------------------------- */

static void test_dga_score(void **state)
{
	(void)state;
	/* Conficker.C-style names from published domain lists' shape. */
	static const char *const random_names[] = {
		"qwkfzhxj.com", "zvbxqrtp.net", "xkcvqwpz.info", "jhqzvkxw.biz", "pzqxwvjk.org",
	};
	static const char *const real_names[] = {
		"www.microsoft.com", "mail.example.org", "windowsupdate.com", "en.wikipedia.org",
		"internationalization.net", "download.mozilla.org",
	};
	for (size_t i = 0; i < sizeof(random_names) / sizeof(random_names[0]); i++) {
		double s = corr_dga_score(random_names[i], strlen(random_names[i]));
		if (s < 4.0)
			fail_msg("%s scored %.2f", random_names[i], s);
	}
	for (size_t i = 0; i < sizeof(real_names) / sizeof(real_names[0]); i++) {
		double s = corr_dga_score(real_names[i], strlen(real_names[i]));
		if (s >= 4.0 || s <= 0.0)
			fail_msg("%s scored %.2f", real_names[i], s);
	}
	/* The label judged: the longest but the TLD; case and final dot ignored. */
	double a = corr_dga_score("qwkfzhxj.com", 12);
	assert_true(corr_dga_score("QWKFZHXJ.com.", 13) == a);
	assert_true(corr_dga_score("a.qwkfzhxj.cn", 13) == a);
	assert_true(corr_dga_score("qwkfzhxj", 8) == 0.0);	/* single label: a TLD */
	assert_true(corr_dga_score("abc.com", 7) == 0.0);	/* too short */
	assert_true(corr_dga_score("", 0) == 0.0);
	assert_true(corr_dga_score("....", 4) == 0.0);
}

/* ---- engine semantics -------------------------------------------------- */

static const char storm_yaml[] =
	"version: 1\n"
	"groups:\n"
	"  SMTP_SERVERS: [10.9.9.9/32]\n"
	"correlations:\n"
	"  - id: storm\n"
	"    name: Storm\n"
	"    severity: 1\n"
	"    window: 10m\n"
	"    exclude: [SMTP_SERVERS]\n"
	"    require:\n"
	"      - label: cnc\n"
	"        alert: {sid: 2007742, classtype: trojan-activity}\n"
	"      - label: mx\n"
	"        count: {event: dns, where: {dns.type: query, dns.rrtype: MX}, distinct: dns.rrname, min: 3}\n"
	"      - label: smtp\n"
	"        rise: {event: flow, where: {dest_port: 25}, min: 5, factor: 3, baseline: 2h}\n";

/* The Storm pattern for host at second t0: alert, 3 MX, 5 SMTP flows. */
static void storm_host(struct corr_engine *e, const char *host, unsigned t0, unsigned sid)
{
	char name[32];
	ev_alert(e, t0, host, "81.0.0.1", sid, "x");
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "d%u.example", i);
		ev_dns(e, t0 + 10 + i, host, "query", name, "MX", "NOERROR");
	}
	for (unsigned i = 0; i < 5; i++)
		ev_flow(e, t0 + 20 + i, host, "198.51.100.1", 25);
}

static void test_storm_semantics(void **state)
{
	(void)state;
	struct corr_ruleset *rs = load(storm_yaml, NULL);
	struct corr_engine *e;
	struct sink s = {0};
	struct corr_stats st;
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);

	storm_host(e, "10.0.0.1", 100, 2007742);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.line[0], "\"src_ip\":\"10.0.0.1\""));
	assert_non_null(strstr(s.line[0], "\"first\":\"2008-11-24T00:01:40.000000+0000\""));
	assert_non_null(strstr(s.line[0], "\"last\":\"2008-11-24T00:02:04.000000+0000\""));
	assert_non_null(strstr(s.line[0], "\"requirement\":\"cnc\",\"event_type\":\"alert\""));
	assert_non_null(strstr(s.line[0], "\"signature_id\":2007742"));
	assert_non_null(strstr(s.line[0], "\"field\":\"dns.rrname\",\"value\":\"d2.example\""));
	/* Same host, same window: no second incident even with new evidence. */
	storm_host(e, "10.0.0.1", 200, 2007742);
	assert_int_equal(s.n, 1);
	/* After the window: a new incident. */
	storm_host(e, "10.0.0.1", 900, 2007742);
	assert_int_equal(s.n, 2);

	/* Alert by classtype (EVE category "A Network Trojan was detected"). */
	ev_alert(e, 100, "10.0.0.2", "81.0.0.1", 1, "A Network Trojan was detected");
	ev_alert(e, 100, "10.0.0.3", "81.0.0.1", 1, "Misc activity");
	for (unsigned i = 0; i < 3; i++) {
		ev_dns(e, 110 + i, "10.0.0.2", "query", i ? "a.example" : "b.example", "MX", "NOERROR");
		ev_dns(e, 110 + i, "10.0.0.3", "query", i ? "a.example" : "b.example", "MX", "NOERROR");
	}
	for (unsigned i = 0; i < 5; i++) {
		ev_flow(e, 120 + i, "10.0.0.2", "198.51.100.1", 25);
		ev_flow(e, 120 + i, "10.0.0.3", "198.51.100.1", 25);
	}
	/* Only 2 distinct MX names for .2 (a, b, a): not yet. */
	assert_int_equal(s.n, 2);
	ev_dns(e, 130, "10.0.0.2", "query", "c.example", "MX", "NOERROR");
	ev_dns(e, 130, "10.0.0.3", "query", "c.example", "MX", "NOERROR");
	ev_flow(e, 131, "10.0.0.2", "198.51.100.1", 25);
	ev_flow(e, 131, "10.0.0.3", "198.51.100.1", 25);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.line[2], "\"ip\":\"10.0.0.2\""));

	/* The alert outside the window (11 minutes earlier) does not count. */
	ev_alert(e, 1000, "10.0.0.4", "81.0.0.1", 2007742, "x");
	for (unsigned i = 0; i < 3; i++) {
		char n[16];
		snprintf(n, sizeof(n), "m%u.example", i);
		ev_dns(e, 1660 + i, "10.0.0.4", "query", n, "MX", "NOERROR");
	}
	for (unsigned i = 0; i < 5; i++)
		ev_flow(e, 1670 + i, "10.0.0.4", "198.51.100.1", 25);
	assert_int_equal(s.n, 3);

	/* Excluded mail server: nothing, and counted. */
	storm_host(e, "10.9.9.9", 100, 2007742);
	assert_int_equal(s.n, 3);
	corr_engine_stats(e, &st);
	assert_int_equal(st.excluded, 9);
	assert_int_equal(st.incidents, 3);
	corr_engine_free(e);
	corr_ruleset_free(rs);

	/* A group override (the config's vars) replaces the file's group. */
	struct corr_group_def g = {"SMTP_SERVERS", "[10.0.0.1]"};
	struct corr_load_opts o = {.groups = &g, .ngroups = 1};
	rs = load(storm_yaml, &o);
	s.n = 0;
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);
	storm_host(e, "10.0.0.1", 100, 2007742);
	storm_host(e, "10.9.9.9", 100, 2007742);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.line[0], "\"ip\":\"10.9.9.9\""));
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

static void test_rise_baseline(void **state)
{
	(void)state;
	struct corr_ruleset *rs = load(storm_yaml, NULL);
	struct corr_engine *e;
	struct sink s = {0};
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);
	/* A host sending 6 SMTP flows every 10 minutes for two hours... */
	for (unsigned t = 0; t < 7200; t += 100)
		ev_flow(e, t, "10.0.0.7", "198.51.100.1", 25);
	/* ...then alert and MX, with SMTP at its usual rate: no rise. */
	ev_alert(e, 7200, "10.0.0.7", "81.0.0.1", 2007742, "x");
	for (unsigned i = 0; i < 3; i++) {
		char n[16];
		snprintf(n, sizeof(n), "m%u.example", i);
		ev_dns(e, 7210 + i, "10.0.0.7", "query", n, "MX", "NOERROR");
	}
	ev_flow(e, 7250, "10.0.0.7", "198.51.100.1", 25);
	ev_flow(e, 7350, "10.0.0.7", "198.51.100.1", 25);
	assert_int_equal(s.n, 0);
	/* Three times the usual rate is not enough with factor 3 (15 < 18)... */
	for (unsigned t = 7400; t < 7500; t += 10)
		ev_flow(e, t, "10.0.0.7", "198.51.100.1", 25);
	assert_int_equal(s.n, 0);
	/* ...but a burst of 40 more within the window is. */
	for (unsigned t = 7500; t < 7540; t++)
		ev_flow(e, t, "10.0.0.7", "198.51.100.1", 25);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.line[0], "\"requirement\":\"smtp\""));
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

static const char seq_yaml[] =
	"correlations:\n"
	"  - id: chain\n"
	"    name: chain\n"
	"    severity: 1\n"
	"    window: 1h\n"
	"    exclude: [BACKUP]\n"
	"    sequence:\n"
	"      max_gap: 5m\n"
	"      steps:\n"
	"        - {label: exploit, on: dest_ip, alert: {sid: 2008691}}\n"
	"        - label: download\n"
	"          from_previous_peer: true\n"
	"          peer_in: PEERS\n"
	"          count: {event: http, min: 1, key: http.url}\n"
	"        - {label: scan, count: {event: flow, where: {dest_port: 445}, distinct: dest_ip, min: 3}}\n"
	"groups:\n"
	"  BACKUP: \"10.2.0.10\"\n"
	"  PEERS: [10.2.0.0/24, \"!10.2.0.66\"]\n";

static void ev_http(struct corr_engine *e, unsigned t, const char *src, const char *dst)
{
	feed(e, "{" HDR ",\"event_type\":\"http\",\"http\":{\"url\":\"/x\",\"http_method\":\"GET\"}}",
	     T(t), 400 + t, src, 50001u, dst, 4444u, "TCP");
}

static void chain(struct corr_engine *e, const char *v, unsigned t, const char *dl_from,
		  unsigned gap)
{
	ev_alert(e, t, "10.2.0.66", v, 2008691, "x");
	ev_http(e, t + gap, v, dl_from);
	ev_flow(e, t + gap + 1, v, "10.2.1.1", 445);
	ev_flow(e, t + gap + 2, v, "10.2.1.1", 445);	/* not distinct */
	ev_flow(e, t + gap + 3, v, "10.2.1.2", 445);
	ev_flow(e, t + gap + 4, v, "10.2.1.3", 445);
}

static void test_sequence(void **state)
{
	(void)state;
	struct corr_ruleset *rs = load(seq_yaml, NULL);
	struct corr_engine *e;
	struct sink s = {0};
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);

	chain(e, "10.2.0.50", 100, "10.2.0.66", 5);	/* from the attacker */
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.line[0], "\"ip\":\"10.2.0.50\""));
	assert_non_null(strstr(s.line[0], "\"requirement\":\"download\",\"event_type\":\"http\""));
	chain(e, "10.2.0.51", 100, "10.2.0.7", 5);	/* from another peer */
	assert_int_equal(s.n, 2);
	chain(e, "10.2.0.52", 100, "8.8.8.8", 5);	/* from the Internet: no */
	assert_int_equal(s.n, 2);
	chain(e, "10.2.0.53", 100, "10.2.0.66", 400);	/* gap 400 s > 5 min */
	assert_int_equal(s.n, 2);
	chain(e, "10.2.0.10", 100, "10.2.0.66", 5);	/* excluded */
	assert_int_equal(s.n, 2);
	/* Out of order: download and scan before the alert do not count. */
	ev_http(e, 100, "10.2.0.54", "10.2.0.66");
	for (unsigned i = 0; i < 3; i++) {
		char d[16];
		snprintf(d, sizeof(d), "10.2.1.%u", i + 1);
		ev_flow(e, 101 + i, "10.2.0.54", d, 445);
	}
	ev_alert(e, 110, "10.2.0.66", "10.2.0.54", 2008691, "x");
	assert_int_equal(s.n, 2);
	/* A failed chain restarts: a new exploit after the gap, then the rest. */
	chain(e, "10.2.0.53", 1000, "10.2.0.66", 5);
	assert_int_equal(s.n, 3);
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

static void test_client_side_and_dga(void **state)
{
	(void)state;
	static const char y[] =
		"correlations:\n"
		"  - id: dga\n"
		"    name: dga\n"
		"    severity: 2\n"
		"    window: 10m\n"
		"    require:\n"
		"      - on: client_ip\n"
		"        count: {event: dns, where: {dns.type: answer, dns.rcode: NXDOMAIN}, distinct: dns.rrname,"
		" score: {field: dns.rrname, min: 4.0}, min: 3}\n";
	static const char *const names[] = {"qwkfzhxj.com", "zvbxqrtp.net", "xkcvqwpz.info",
					     "windowsupdate.com", "mail.example.org"};
	struct corr_ruleset *rs = load(y, NULL);
	struct corr_engine *e;
	struct sink s = {0};
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);
	/* Suricata logs answers server -> client; mamori client -> server. */
	for (unsigned i = 0; i < 3; i++) {
		feed(e, "{" HDR ",\"event_type\":\"dns\",\"dns\":{\"type\":\"answer\",\"rrname\":\"%s\",\"rcode\":\"NXDOMAIN\"}}",
		     T(10 + i), 1u, "10.0.0.53", 53u, "10.3.0.1", 40000u, "UDP", names[i]);
		ev_dns(e, 10 + i, "10.3.0.2", "answer", names[i], "A", "NXDOMAIN");
	}
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.line[0], "\"ip\":\"10.3.0.1\""));
	assert_non_null(strstr(s.line[1], "\"ip\":\"10.3.0.2\""));
	/* Non-random names and NOERROR answers do not count. */
	ev_dns(e, 10, "10.3.0.3", "answer", names[3], "A", "NXDOMAIN");
	ev_dns(e, 11, "10.3.0.3", "answer", names[4], "A", "NXDOMAIN");
	ev_dns(e, 12, "10.3.0.3", "answer", names[0], "A", "NOERROR");
	ev_dns(e, 13, "10.3.0.3", "answer", names[1], "A", "NXDOMAIN");
	assert_int_equal(s.n, 2);
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

static void test_glob_and_negation(void **state)
{
	(void)state;
	static const char y[] =
		"correlations:\n"
		"  - id: g\n"
		"    name: g\n"
		"    severity: 3\n"
		"    window: 1m\n"
		"    entity: pair\n"
		"    require:\n"
		"      - count: {event: smb, where: {smb.share: \"*\\\\ADMIN$\", smb.status: \"!STATUS_ACCESS_DENIED\"}, min: 2}\n";
	struct corr_ruleset *rs = load(y, NULL);
	struct corr_engine *e;
	struct sink s = {0};
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, &s, &e), 0);
	static const char fmt[] = "{" HDR ",\"event_type\":\"smb\",\"smb\":{\"share\":\"%s\",\"status\":\"%s\"}}";
	feed(e, fmt, T(1), 1u, "10.4.0.9", 1139u, "10.4.0.20", 445u, "TCP", "\\\\\\\\10.4.0.20\\\\admin$", "STATUS_SUCCESS");
	feed(e, fmt, T(2), 1u, "10.4.0.9", 1139u, "10.4.0.20", 445u, "TCP", "\\\\\\\\10.4.0.20\\\\C$", "STATUS_SUCCESS");
	feed(e, fmt, T(3), 1u, "10.4.0.9", 1139u, "10.4.0.20", 445u, "TCP", "\\\\\\\\10.4.0.20\\\\ADMIN$", "STATUS_ACCESS_DENIED");
	feed(e, fmt, T(4), 1u, "10.4.0.9", 1139u, "10.4.0.21", 445u, "TCP", "\\\\\\\\10.4.0.21\\\\ADMIN$", "STATUS_SUCCESS");
	assert_int_equal(s.n, 0);	/* one per pair so far */
	feed(e, fmt, T(5), 1u, "10.4.0.9", 1139u, "10.4.0.20", 445u, "TCP", "\\\\\\\\10.4.0.20\\\\ADMIN$", "STATUS_SUCCESS");
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.line[0], "\"kind\":\"pair\",\"src_ip\":\"10.4.0.9\",\"dest_ip\":\"10.4.0.20\""));
	/* Incident records and bad lines are not fed back / are counted. */
	const char *inc = s.line[0];
	assert_int_equal(corr_feed_eve_line(e, inc, strlen(inc)), 0);
	assert_int_equal(corr_feed_eve_line(e, "junk", 4), MAMORI_EFORMAT);
	struct corr_stats st;
	corr_engine_stats(e, &st);
	assert_int_equal(st.bad_records, 1);
	assert_int_equal(st.events, 6);
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

/* corr_flush drops each rule's idle states by its own horizon; eviction
 * takes the least recently touched state over all rules. */
static void test_flush_and_lru(void **state)
{
	(void)state;
	static const char y[] =
		"correlations:\n"
		"  - {id: short, name: s, severity: 3, window: 1m, require: [{count: {event: dns, min: 100}}]}\n"
		"  - {id: long, name: l, severity: 3, window: 1h, require: [{count: {event: dns, min: 100}}]}\n";
	struct corr_ruleset *rs = load(y, NULL);
	struct corr_engine *e;
	struct corr_stats st;
	struct corr_limits lim = {.max_entities = 3};
	assert_int_equal(corr_engine_new(rs, &lim, NULL, NULL, &e), 0);
	ev_dns(e, 0, "10.5.0.1", "query", "a.example", "A", "NOERROR");
	ev_dns(e, 30, "10.5.0.2", "query", "a.example", "A", "NOERROR");
	corr_engine_stats(e, &st);
	/* The 4th state evicted the least recently touched: 10.5.0.1 short. */
	assert_int_equal(st.entities, 3);
	assert_int_equal(st.evictions, 1);
	/* Horizon of "short" = 2 min: nothing idle that long at 0:02:01... */
	corr_flush(e, 1227484800000000ull + 121ull * 1000000u);
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 3);
	/* ...at 0:02:31 10.5.0.2's short state goes, its long state stays. */
	corr_flush(e, 1227484800000000ull + 151ull * 1000000u);
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 2);
	assert_int_equal(st.expired, 1);
	/* New host: its long state evicts the oldest, 10.5.0.1 long. */
	ev_dns(e, 60, "10.5.0.3", "query", "a.example", "A", "NOERROR");
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 3);
	assert_int_equal(st.evictions, 2);
	corr_flush(e, 1227484800000000ull + 3600ull * 1000000u);
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 2);	/* the short states are gone */
	assert_int_equal(st.expired, 2);
	corr_flush(e, 1227484800000000ull + 10000ull * 1000000u);
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 0);
	corr_engine_free(e);
	corr_ruleset_free(rs);
}

/* The in-process path of mamori net: the EVE writer's sink. */
static void test_eve_emit(void **state)
{
	(void)state;
	char path[] = "/tmp/mamori-corr-eve-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct eve_out *out;
	struct mamori_diag d = {0};
	assert_int_equal(eve_open(path, &out, &d), 0);
	struct corr_ruleset *rs = load(storm_yaml, NULL);
	struct corr_engine *e;
	assert_int_equal(corr_engine_new(rs, NULL, corr_eve_emit, out, &e), 0);
	storm_host(e, "10.0.0.1", 100, 2007742);
	corr_engine_free(e);
	corr_ruleset_free(rs);
	assert_int_equal(eve_close(out), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[8192];
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "{\"timestamp\":\"2008-11-24T00:02:04.000000+0000\",\"event_type\":\"incident\",\"src_ip\":\"10.0.0.1\",\"incident\":{\"id\":\"storm\""));
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
}

/* ---- properties ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Per-entity event scripts, merged in a random interleaving that keeps
 * each entity's own order; the sorted incidents must not change. */
#define NHOSTS 12
static void run_interleaved(const struct corr_ruleset *rs, unsigned seed, struct sink *s)
{
	struct corr_engine *e;
	unsigned pos[NHOSTS] = {0};
	/* Host h: Storm pattern (3 MX, then SMTP) for even h, missing the
	 * alert for h % 3 == 1, chain for h >= 8. */
	enum { STEPS = 10 };
	s->n = 0;
	assert_int_equal(corr_engine_new(rs, NULL, sink_emit, s, &e), 0);
	srand(seed);
	for (;;) {
		unsigned live[NHOSTS], nl = 0;
		for (unsigned h = 0; h < NHOSTS; h++)
			if (pos[h] < STEPS)
				live[nl++] = h;
		if (!nl)
			break;
		unsigned h = live[(unsigned)rand() % nl], k = pos[h]++;
		char host[16], name[16];
		snprintf(host, sizeof(host), "10.0.1.%u", h + 1);
		unsigned t = 100 + h * 37 + k * 5;
		if (k == 0) {
			if (h % 3 != 1)
				ev_alert(e, t, host, "81.0.0.1", 2007742, "x");
		} else if (k <= 3) {
			snprintf(name, sizeof(name), "x%u.example", k);
			ev_dns(e, t, host, "query", name, "MX", "NOERROR");
		} else if (k <= 8 || h % 2 == 0) {
			ev_flow(e, t, host, "198.51.100.1", 25);
		}
	}
	corr_engine_free(e);
	qsort(s->line, s->n, sizeof(s->line[0]), cmp_str);
}

static void test_property_interleaving(void **state)
{
	(void)state;
	struct corr_ruleset *rs = load(storm_yaml, NULL);
	static struct sink ref, other;
	run_interleaved(rs, 1, &ref);
	assert_int_equal(ref.n, 8);	/* hosts with the alert: h % 3 != 1 */
	for (unsigned seed = 2; seed < 40; seed++) {
		run_interleaved(rs, seed, &other);
		assert_int_equal(other.n, ref.n);
		for (size_t i = 0; i < ref.n; i++)
			assert_string_equal(other.line[i], ref.line[i]);
	}
	corr_ruleset_free(rs);
}

/* The same with the realistic fixtures of tests/data/correlate: the files
 * hold different hosts, so any merge of them that keeps each file's order
 * keeps each entity's order. */
struct lines {
	char **v;
	size_t n;
};

static void read_lines(const char *name, struct lines *l)
{
	char path[512], buf[16384];
	snprintf(path, sizeof(path), "%s/tests/data/correlate/%s.gz", SRCDIR, name);
	gzFile f = gzopen(path, "rb");
	assert_non_null(f);
	l->n = 0;
	l->v = NULL;
	while (gzgets(f, buf, sizeof(buf))) {
		l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
		assert_non_null(l->v);
		l->v[l->n] = strdup(buf);
		assert_non_null(l->v[l->n]);
		l->n++;
	}
	gzclose(f);
}

static void test_property_interleaving_fixtures(void **state)
{
	(void)state;
	static const char *const files[] = {"storm.json", "conficker_chain.json", "dga.json",
					    "lateral.json", "dga_typos.json"};
	enum { NF = sizeof(files) / sizeof(files[0]) };
	struct lines in[NF];
	struct corr_group_def g = {"SMTP_SERVERS", "[10.1.1.25]"};
	struct corr_load_opts o = {.groups = &g, .ngroups = 1};
	struct corr_ruleset *rs = NULL;
	struct mamori_diag d = {0};
	static struct sink ref, other;
	assert_int_equal(corr_ruleset_load(SRCDIR "/rules/correlation.yaml", &o, &rs, &d), 0);
	for (int i = 0; i < NF; i++)
		read_lines(files[i], &in[i]);
	for (unsigned seed = 0; seed < 4; seed++) {
		struct sink *s = seed ? &other : &ref;
		struct corr_engine *e;
		size_t pos[NF] = {0};
		s->n = 0;
		assert_int_equal(corr_engine_new(rs, NULL, sink_emit, s, &e), 0);
		srand(seed);
		for (;;) {
			int live[NF], nl = 0;
			for (int i = 0; i < NF; i++)
				if (pos[i] < in[i].n)
					live[nl++] = i;
			if (!nl)
				break;
			/* seed 0: the files one after the other; else random bursts. */
			int f = seed ? live[rand() % nl] : live[0];
			unsigned burst = seed ? 1u + (unsigned)rand() % 50u : 1u;
			for (unsigned b = 0; b < burst && pos[f] < in[f].n; b++, pos[f]++)
				assert_int_equal(corr_feed_eve_line(e, in[f].v[pos[f]], strlen(in[f].v[pos[f]])), 0);
		}
		corr_engine_free(e);
		qsort(s->line, s->n, sizeof(s->line[0]), cmp_str);
		if (seed) {
			assert_int_equal(other.n, ref.n);
			for (size_t i = 0; i < ref.n; i++)
				assert_string_equal(other.line[i], ref.line[i]);
		}
	}
	/* Storm bot, chain victim, DGA host, lateral source: nothing else. */
	assert_int_equal(ref.n, 4);
	for (int i = 0; i < NF; i++) {
		for (size_t k = 0; k < in[i].n; k++)
			free(in[i].v[k]);
		free(in[i].v);
	}
	corr_ruleset_free(rs);
}

static void test_property_million_entities(void **state)
{
	(void)state;
	struct corr_ruleset *rs = load(storm_yaml, NULL);
	struct corr_engine *e;
	struct corr_limits lim = {.memcap = 8u << 20, .max_entities = 0};
	struct corr_stats st;
	json_t *j = json_pack("{s:s, s:i, s:s}", "event_type", "flow", "dest_port", 25, "proto", "TCP");
	assert_non_null(j);
	assert_int_equal(corr_engine_new(rs, &lim, NULL, NULL, &e), 0);
	struct corr_event ev = {.type = CORR_EV_FLOW, .dport = 25, .proto = 6, .json = j};
	ev.src.family = 4;
	ev.dst.family = 4;
	for (uint32_t i = 0; i < 1000000u; i++) {
		ev.ts = 1227520800000000ull + (uint64_t)i * 1000u;
		ev.src.a[0] = 10;
		ev.src.a[1] = (uint8_t)(i >> 16);
		ev.src.a[2] = (uint8_t)(i >> 8);
		ev.src.a[3] = (uint8_t)i;
		assert_int_equal(corr_feed_event(e, &ev), 0);
		corr_engine_stats(e, &st);
		if (st.state_bytes > lim.memcap)
			fail_msg("state %llu bytes > cap at entity %u", (unsigned long long)st.state_bytes, i);
	}
	corr_engine_stats(e, &st);
	assert_true(st.state_bytes_peak <= lim.memcap);
	assert_true(st.evictions > 900000u);
	/* Every address made a state except 10.9.9.9 (SMTP_SERVERS). */
	assert_int_equal(st.excluded, 1);
	if (st.entities + st.evictions != 1000000u - 1u)
		fail_msg("entities %llu evictions %llu matched %llu", (unsigned long long)st.entities,
			 (unsigned long long)st.evictions, (unsigned long long)st.matched);
	/* Flushing long after: everything idle goes. */
	corr_flush(e, 1227520800000000ull + 30ull * 86400 * 1000000);
	corr_engine_stats(e, &st);
	assert_int_equal(st.entities, 0);
	corr_engine_free(e);
	json_decref(j);
	corr_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_builtin),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_dga_score),
		cmocka_unit_test(test_storm_semantics),
		cmocka_unit_test(test_rise_baseline),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_client_side_and_dga),
		cmocka_unit_test(test_glob_and_negation),
		cmocka_unit_test(test_flush_and_lru),
		cmocka_unit_test(test_eve_emit),
		cmocka_unit_test(test_property_interleaving),
		cmocka_unit_test(test_property_interleaving_fixtures),
		cmocka_unit_test(test_property_million_entities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
