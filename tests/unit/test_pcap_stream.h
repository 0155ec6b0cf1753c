/*
 * Test helper for the TLS and SSH unit tests: reads the TCP payloads of one
 * loopback capture (tests/data/tls, tests/data/ssh) with libpcap, in
 * capture order, each tagged with its direction (to the given server port
 * = APP_DIR_TOSERVER).  The fixtures are single clean connections on lo
 * (Ethernet framing, IPv4, no loss or retransmission), so capture order is
 * stream order; anything else in the file fails the test.
 *
 * Ownership: pcap_segs_load() fills a struct the caller releases with
 * pcap_segs_free(); segment data points into it.
 */
#ifndef MAMORI_TEST_PCAP_STREAM_H
#define MAMORI_TEST_PCAP_STREAM_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_SEGS_MAX 256

struct pcap_seg {
	int dir;
	uint8_t *p;	/* owned */
	size_t n;
};

struct pcap_segs {
	struct pcap_seg seg[PCAP_SEGS_MAX];
	size_t nseg;
};

static void pcap_segs_free(struct pcap_segs *s)
{
	for (size_t i = 0; i < s->nseg; i++)
		free(s->seg[i].p);
	s->nseg = 0;
}

/* Loads the payloads of TCP segments to or from server_port; 0 or -1. */
static int pcap_segs_load(struct pcap_segs *s, const char *path,
			  uint16_t server_port)
{
	char err[PCAP_ERRBUF_SIZE];
	memset(s, 0, sizeof(*s));
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc)
		return -1;
	int rc = pcap_datalink(pc) == DLT_EN10MB ? 0 : -1;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	while (rc == 0 && pcap_next_ex(pc, &h, &pkt) == 1) {
		size_t n = h->caplen;
		if (n < 14 + 20 || pkt[12] != 0x08 || pkt[13] != 0x00)
			continue;
		const u_char *ip = pkt + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		size_t tot = ((size_t)ip[2] << 8) | ip[3];
		if (ip[9] != 6 || ihl < 20 || tot > n - 14 || tot < ihl + 20)
			continue;
		const u_char *tcp = ip + ihl;
		size_t thl = (size_t)(tcp[12] >> 4) * 4;
		if (thl < 20 || ihl + thl > tot)
			continue;
		uint16_t sport = (uint16_t)((tcp[0] << 8) | tcp[1]);
		uint16_t dport = (uint16_t)((tcp[2] << 8) | tcp[3]);
		size_t plen = tot - ihl - thl;
		if (!plen || (sport != server_port && dport != server_port))
			continue;
		if (s->nseg == PCAP_SEGS_MAX) {
			rc = -1;
			break;
		}
		struct pcap_seg *g = &s->seg[s->nseg++];
		g->dir = dport == server_port ? 0 : 1;
		g->n = plen;
		g->p = malloc(plen);
		if (!g->p) {
			rc = -1;
			break;
		}
		memcpy(g->p, tcp + thl, plen);
	}
	pcap_close(pc);
	if (rc != 0)
		pcap_segs_free(s);
	return rc;
}

/* Concatenates every payload of one direction into out (malloc'd). */
static size_t pcap_segs_dir(const struct pcap_segs *s, int dir, uint8_t **out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nseg; i++)
		if (s->seg[i].dir == dir)
			n += s->seg[i].n;
	uint8_t *p = malloc(n ? n : 1);
	size_t o = 0;
	for (size_t i = 0; p && i < s->nseg; i++)
		if (s->seg[i].dir == dir) {
			memcpy(p + o, s->seg[i].p, s->seg[i].n);
			o += s->seg[i].n;
		}
	*out = p;
	return o;
}

/*
 * An app_logger that writes a parser's EVE records into a buffer
 * ({"event_type":...,<object>}), for tests comparing the JSON text.
 * Needs app/app.h, util/jw.h and cmocka before this header.
 */
struct tlog {
	struct app_logger lg;
	struct buf out;
	struct jw w;
};

static struct jw *tl_begin(struct app_logger *lg, const char *type, uint64_t ts)
{
	struct tlog *t = (struct tlog *)lg;
	(void)ts;
	jw_init(&t->w, &t->out);
	jw_open_obj(&t->w, NULL);
	jw_str(&t->w, "event_type", type);
	return &t->w;
}

static void tl_end(struct app_logger *lg)
{
	struct tlog *t = (struct tlog *)lg;
	jw_close_obj(&t->w);
	assert_int_equal(jw_error(&t->w), 0);
}

#endif
