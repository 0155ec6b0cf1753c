/*
 * bench_correlate: throughput of the correlation engine with many active
 * entities, and bytes of state per entity.
 *
 *   bench_correlate [RULES.yaml] [ENTITIES=100000] [EVENTS=2000000]
 *
 * Builds the built-in rules (or RULES), then
 *  1. warm-up: every entity sends one event of each kind that creates
 *     state (MX query, TCP/25 flow, NXDOMAIN answer for a random name,
 *     TCP/445 flow, failed SMB logon), so ENTITIES hosts are active in
 *     every rule that tracks them;
 *  2. engine: EVENTS pre-decoded events (struct corr_event over prebuilt
 *     JSON objects) spread uniformly over the entities at 10,000 events
 *     per second of event time (so windows roll and counts expire);
 *  3. end to end: the same number of EVE lines through corr_feed_eve_line
 *     (libjansson decoding included), as `mamori net` and `mamori
 *     correlate` feed it.
 * Prints events/s for 2 and 3, live states, bytes of state in total and
 * per entity (host), evictions (0 unless the memcap is hit) and incidents.
 * Deterministic workload (fixed LCG); times are process CPU time.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate/correlate.h"

/* CPU time of this process: the machine may be shared, wall time lies. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t lcg = 88172645463325252ull;
static uint32_t rnd(void)
{
	lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(lcg >> 33);
}

static uint64_t incidents;
static void sink(void *ctx, const struct corr_incident *inc)
{
	(void)ctx;
	(void)inc;
	incidents++;
}

enum { K_MX, K_SMTP, K_NX, K_SMB445, K_LOGON, K_HTTP, K_NKINDS };

/* EVE line of kind k for host h at time t (usec); returns its length. */
static int line_for(char *buf, size_t n, int k, uint32_t h, uint64_t t, uint32_t r)
{
	static const char *const fmt[K_NKINDS] = {
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"dns\",\"src_ip\":\"%s\",\"src_port\":5353,\"dest_ip\":\"10.255.0.53\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"type\":\"query\",\"rrname\":\"m%u.example\",\"rrtype\":\"MX\"}}",
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"flow\",\"src_ip\":\"%s\",\"src_port\":40000,\"dest_ip\":\"198.51.100.%u\",\"dest_port\":25,\"proto\":\"TCP\"}",
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"dns\",\"src_ip\":\"%s\",\"src_port\":5353,\"dest_ip\":\"10.255.0.53\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"type\":\"answer\",\"rrname\":\"qx%ukzv.com\",\"rrtype\":\"A\",\"rcode\":\"NXDOMAIN\"}}",
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"flow\",\"src_ip\":\"%s\",\"src_port\":40001,\"dest_ip\":\"10.254.0.%u\",\"dest_port\":445,\"proto\":\"TCP\"}",
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"smb\",\"src_ip\":\"%s\",\"src_port\":1139,\"dest_ip\":\"10.254.1.%u\",\"dest_port\":445,\"proto\":\"TCP\",\"smb\":{\"status\":\"STATUS_LOGON_FAILURE\"}}",
		"{\"timestamp\":\"%s\",\"flow_id\":%u,\"event_type\":\"http\",\"src_ip\":\"%s\",\"src_port\":40002,\"dest_ip\":\"93.184.216.%u\",\"dest_port\":80,\"proto\":\"TCP\",\"http\":{\"url\":\"/\",\"http_method\":\"GET\"}}",
	};
	char ts[40], ip[20];
	time_t s = (time_t)(t / 1000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t l = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + l, sizeof(ts) - l, ".%06u+0000", (unsigned)(t % 1000000u));
	snprintf(ip, sizeof(ip), "10.%u.%u.%u", (h >> 16) & 255, (h >> 8) & 255, h & 255);
	/* Every template takes the same arguments: ts, flow_id, src, number. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return snprintf(buf, n, fmt[k], ts, r, ip, r % 250 + 1);
#pragma GCC diagnostic pop
}

int main(int argc, char **argv)
{
	const char *rules = argc > 1 ? argv[1] : corr_default_path();
	uint32_t nent = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 100000u;
	uint32_t nev = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 2000000u;
	struct corr_ruleset *rs;
	struct corr_engine *e;
	struct mamori_diag d = {0};
	struct corr_stats st;
	char line[1024];
	uint64_t t = 1227520800000000ull;	/* 2008-11-24 10:00 UTC */

	if (nent == 0 || nent > (1u << 24) || nev == 0) {
		fprintf(stderr, "usage: bench_correlate [RULES] [ENTITIES<=16M] [EVENTS]\n");
		return 2;
	}
	if (corr_ruleset_load(rules, NULL, &rs, &d)) {
		fprintf(stderr, "%s:%u: %s\n", d.file, d.line, d.msg);
		return 2;
	}
	struct corr_limits lim = {.memcap = (size_t)4 << 30, .max_entities = 16u << 20};
	if (corr_engine_new(rs, &lim, sink, NULL, &e))
		return 2;

	/* 1. warm-up: every kind for every entity. */
	for (uint32_t h = 0; h < nent; h++)
		for (int k = 0; k < K_NKINDS; k++) {
			int n = line_for(line, sizeof(line), k, h, t, rnd());
			corr_feed_eve_line(e, line, (size_t)n);
		}
	corr_engine_stats(e, &st);
	printf("rules %s: %zu correlations\n", rules, corr_ruleset_count(rs));
	printf("entities (hosts) %u: %llu live (rule, host) states, %llu bytes of state, "
	       "%.0f bytes per host\n", nent, (unsigned long long)st.entities,
	       (unsigned long long)st.state_bytes, (double)st.state_bytes / nent);

	/* 2. engine only: pre-decoded events over prebuilt JSON objects. */
	json_t *tmpl[K_NKINDS];
	struct corr_event evs[K_NKINDS];
	for (int k = 0; k < K_NKINDS; k++) {
		json_t *root;
		int n = line_for(line, sizeof(line), k, 0, t, 7);
		if (corr_event_decode(line, (size_t)n, &evs[k], &root, &d))
			return 2;
		tmpl[k] = root;
	}
	/* Vary the distinct fields through dest address (flows) and names: the
	 * name varies per template only, so MX/NX counts stay per host. */
	double t0 = now_s();
	for (uint32_t i = 0; i < nev; i++) {
		uint32_t h = rnd() % nent, k = rnd() % K_NKINDS;
		struct corr_event ev = evs[k];
		t += 100;	/* 10,000 events per second of event time */
		ev.ts = t;
		ev.src.a[0] = 10;
		ev.src.a[1] = (uint8_t)(h >> 16);
		ev.src.a[2] = (uint8_t)(h >> 8);
		ev.src.a[3] = (uint8_t)h;
		ev.dst.a[3] = (uint8_t)(rnd() % 250 + 1);
		corr_feed_event(e, &ev);
	}
	double t1 = now_s();
	printf("engine only:  %u events in %.2f s = %.0f events/s\n", nev, t1 - t0,
	       nev / (t1 - t0));

	/* 3. end to end from EVE lines (formatting excluded from the time). */
	size_t cap = (size_t)nev < 1000000u ? nev : 1000000u;
	char **lines = malloc(cap * sizeof(*lines));
	size_t *lens = malloc(cap * sizeof(*lens));
	if (!lines || !lens)
		return 2;
	double spent = 0;
	uint32_t done = 0;
	while (done < nev) {
		size_t batch = nev - done < cap ? nev - done : cap;
		for (size_t i = 0; i < batch; i++) {
			uint32_t h = rnd() % nent, k = rnd() % K_NKINDS;
			t += 100;
			int n = line_for(line, sizeof(line), (int)k, h, t, rnd());
			lines[i] = strdup(line);
			lens[i] = (size_t)n;
		}
		double a = now_s();
		for (size_t i = 0; i < batch; i++)
			corr_feed_eve_line(e, lines[i], lens[i]);
		spent += now_s() - a;
		for (size_t i = 0; i < batch; i++)
			free(lines[i]);
		done += (uint32_t)batch;
	}
	printf("from EVE lines (jansson + engine): %u events in %.2f s = %.0f events/s\n",
	       nev, spent, nev / spent);
	corr_engine_stats(e, &st);
	printf("after: %llu live states, %llu bytes (%.0f per host), peak %llu bytes, "
	       "%llu evictions, %llu incidents\n", (unsigned long long)st.entities,
	       (unsigned long long)st.state_bytes, (double)st.state_bytes / nent,
	       (unsigned long long)st.state_bytes_peak, (unsigned long long)st.evictions,
	       (unsigned long long)incidents);
	free(lines);
	free(lens);
	for (int k = 0; k < K_NKINDS; k++)
		corr_event_release(tmpl[k]);
	corr_engine_free(e);
	corr_ruleset_free(rs);
	return 0;
}
