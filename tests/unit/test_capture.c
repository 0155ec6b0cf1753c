/*
 * Unit tests for capture (src/capture): pcap files written here with
 * libpcap's own pcap_dump for several link types, a pcapng file written
 * byte by byte, truncated/garbage/missing files, BPF filters, the name
 * order of `-r DIR`, and a best-effort live open on loopback.  Each frame
 * read back is also run through decode_packet, so the DLT_* values capture
 * reports are the ones the decoder understands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "decode/decode.h"

static char tmpdir[512];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_capture_XXXXXX", BUILDDIR);
	if (!mkdtemp(tmpdir)) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_capture_XXXXXX");
		if (!mkdtemp(tmpdir))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
	static char buf[4][600];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* An IPv4/UDP packet (checksums zero: -k none in the decode checks). */
static size_t mk_ipv4_udp(uint8_t *b, unsigned dport, unsigned id)
{
	static const uint8_t ip[] = {0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0,
				     10, 0, 0, 1, 10, 0, 0, 2};
	memcpy(b, ip, sizeof(ip));
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	uint8_t udp[10] = {0x30, 0x39, (uint8_t)(dport >> 8), (uint8_t)dport,
			   0, 10, 0, 0, 'h', 'i'};
	memcpy(b + 20, udp, sizeof(udp));
	return 30;
}

/* Frame for a link type around mk_ipv4_udp. */
static size_t mk_frame(int dlt, uint8_t *b, unsigned dport, unsigned id)
{
	size_t h = 0;
	switch (dlt) {
	case DLT_EN10MB:
		memset(b, 0x02, 12);
		b[12] = 0x08;
		b[13] = 0x00;
		h = 14;
		break;
	case DLT_LINUX_SLL:
		memset(b, 0, 16);
		b[14] = 0x08;
		h = 16;
		break;
	case DLT_LINUX_SLL2:
		memset(b, 0, 20);
		b[0] = 0x08;
		h = 20;
		break;
	case DLT_NULL:
		memset(b, 0, 4);
		b[0] = 2;
		h = 4;
		break;
	default:	/* DLT_RAW */
		break;
	}
	return h + mk_ipv4_udp(b + h, dport, id);
}

/* Writes n frames of link type dlt; frame i has ts i+1 seconds + i usec. */
static void write_pcap(const char *path, int dlt, unsigned n, int nano)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(
		dlt, 65535,
		nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	assert_non_null(pd);
	pcap_dumper_t *dp = pcap_dump_open(pd, path);
	assert_non_null(dp);
	for (unsigned i = 0; i < n; i++) {
		uint8_t b[64];
		struct pcap_pkthdr h;
		size_t len = mk_frame(dlt, b, 1000 + i, i);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1 + (time_t)i;
		h.ts.tv_usec = (suseconds_t)(nano ? i * 1000 + 999 : i);
		h.caplen = (bpf_u_int32)len;
		h.len = (bpf_u_int32)len + (i == 2 ? 100 : 0);
		pcap_dump((u_char *)dp, &h, b);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Reads every frame of path, checking the frames write_pcap made. */
static unsigned read_all(const char *path, int dlt, const char *bpf)
{
	struct capture *c = NULL;
	struct mamori_diag diag = {0};
	struct capture_pkt pkt;
	struct decoder d;
	struct packet p = {0};
	struct decode_config cfg;
	decode_config_defaults(&cfg);
	cfg.checksum_validate = 0;
	assert_int_equal(decode_init(&d, &cfg), 0);
	assert_int_equal(capture_open_file(path, bpf, &c, &diag), 0);
	assert_int_equal(capture_linktype(c), dlt);
	assert_string_equal(capture_source(c), path);
	unsigned n = 0;
	int rc;
	while ((rc = capture_next(c, &pkt)) == CAPTURE_PKT) {
		uint8_t want[64];
		unsigned i = (unsigned)(pkt.ts_usec / 1000000u) - 1;
		size_t len = mk_frame(dlt, want, 1000 + i, i);
		assert_int_equal(pkt.ts_usec, (i + 1) * 1000000ull + i);
		assert_int_equal(pkt.caplen, len);
		assert_int_equal(pkt.wirelen, len + (i == 2 ? 100 : 0));
		assert_int_equal(pkt.linktype, dlt);
		assert_memory_equal(pkt.data, want, len);
		assert_int_equal(decode_packet(&d, &p, pkt.linktype, pkt.data,
					       pkt.caplen, pkt.wirelen,
					       pkt.ts_usec),
				 DECODE_OK);
		assert_int_equal(p.flags, PKT_HAS_IP);
		assert_int_equal(p.dport, 1000 + i);
		n++;
	}
	assert_int_equal(rc, CAPTURE_EOF);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_EOF);	/* stays */
	uint64_t recv = 9, drop = 9, ifdrop = 9, done, total;
	capture_stats(c, &recv, &drop, &ifdrop);
	assert_int_equal(recv, n);
	assert_int_equal(drop, 0);
	assert_int_equal(ifdrop, 0);
	capture_progress(c, &done, &total);
	struct stat st;
	if (strcmp(path, "-") == 0) {	/* a stream: size unknown */
		assert_int_equal(total, 0);
	} else {
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(total, (uint64_t)st.st_size);
		assert_int_equal(done, total);
	}
	capture_close(c);
	packet_release(&p);
	decode_release(&d);
	return n;
}

static void test_pcap_link_types(void **state)
{
	(void)state;
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_RAW, DLT_NULL};
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "lt%d.pcap", dlts[i]);
		write_pcap(tpath(name), dlts[i], 4, 0);
		assert_int_equal(read_all(tpath(name), dlts[i], NULL), 4);
		assert_true(decode_linktype_supported(dlts[i]));
	}
	/* nanosecond-resolution files come back in microseconds */
	write_pcap(tpath("nano.pcap"), DLT_EN10MB, 3, 1);
	assert_int_equal(read_all(tpath("nano.pcap"), DLT_EN10MB, NULL), 3);
}

static void test_bpf_filter(void **state)
{
	(void)state;
	write_pcap(tpath("f.pcap"), DLT_EN10MB, 5, 0);
	assert_int_equal(read_all(tpath("f.pcap"), DLT_EN10MB, "udp dst port 1003"),
			 1);
	assert_int_equal(read_all(tpath("f.pcap"), DLT_EN10MB, ""), 5);
	struct capture *c = (struct capture *)1;
	struct mamori_diag diag = {0};
	assert_int_equal(capture_open_file(tpath("f.pcap"), "udp and and", &c,
					   &diag),
			 MAMORI_EINVAL);
	assert_null(c);
	assert_non_null(strstr(diag.msg, "invalid filter 'udp and and'"));
}

static void put_le16(uint8_t *b, size_t *n, unsigned v)
{
	b[(*n)++] = (uint8_t)v;
	b[(*n)++] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *b, size_t *n, uint32_t v)
{
	put_le16(b, n, v & 0xffff);
	put_le16(b, n, v >> 16);
}

/* A pcapng file: SHB, IDB (Ethernet, if_tsresol 6), two EPBs. */
static void test_pcapng(void **state)
{
	(void)state;
	uint8_t b[512];
	size_t n = 0;
	/* Section Header Block */
	put_le32(b, &n, 0x0a0d0d0a);
	put_le32(b, &n, 28);
	put_le32(b, &n, 0x1a2b3c4d);
	put_le16(b, &n, 1);
	put_le16(b, &n, 0);
	put_le32(b, &n, 0xffffffff);	/* section length unknown */
	put_le32(b, &n, 0xffffffff);
	put_le32(b, &n, 28);
	/* Interface Description Block with if_tsresol = 6 (usec) */
	put_le32(b, &n, 1);
	put_le32(b, &n, 32);
	put_le16(b, &n, DLT_EN10MB);
	put_le16(b, &n, 0);
	put_le32(b, &n, 0);		/* snaplen: none */
	put_le16(b, &n, 9);		/* if_tsresol */
	put_le16(b, &n, 1);
	b[n++] = 6;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	put_le16(b, &n, 0);		/* opt_endofopt */
	put_le16(b, &n, 0);
	put_le32(b, &n, 32);
	/* Enhanced Packet Blocks */
	for (unsigned i = 0; i < 2; i++) {
		uint8_t frame[64];
		size_t flen = mk_frame(DLT_EN10MB, frame, 1000 + i, i);
		size_t pad = (4 - flen % 4) % 4;
		uint32_t blen = (uint32_t)(32 + flen + pad);
		uint64_t ts = (i + 1) * 1000000ull + i;
		put_le32(b, &n, 6);
		put_le32(b, &n, blen);
		put_le32(b, &n, 0);	/* interface 0 */
		put_le32(b, &n, (uint32_t)(ts >> 32));
		put_le32(b, &n, (uint32_t)ts);
		put_le32(b, &n, (uint32_t)flen);
		put_le32(b, &n, (uint32_t)flen);
		memcpy(b + n, frame, flen);
		n += flen;
		memset(b + n, 0, pad);
		n += pad;
		put_le32(b, &n, blen);
	}
	write_bytes(tpath("a.pcapng"), b, n);
	assert_int_equal(read_all(tpath("a.pcapng"), DLT_EN10MB, NULL), 2);
}

static void test_truncated_file(void **state)
{
	(void)state;
	const char *p = tpath("t.pcap");
	write_pcap(p, DLT_EN10MB, 3, 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(truncate(p, st.st_size - 10), 0);	/* cut frame 3 */

	struct capture *c = NULL;
	struct mamori_diag diag = {0};
	struct capture_pkt pkt;
	assert_int_equal(capture_open_file(p, NULL, &c, &diag), 0);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_PKT);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_PKT);
	assert_string_equal(capture_error(c), "");
	int rc = capture_next(c, &pkt);
	assert_int_equal(rc, MAMORI_EFORMAT);
	assert_non_null(strstr(capture_error(c), "truncated dump file"));
	capture_close(c);

	/* a file header cut short */
	uint8_t hdr[10] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	write_bytes(tpath("h.pcap"), hdr, sizeof(hdr));
	c = (struct capture *)1;
	assert_int_equal(capture_open_file(tpath("h.pcap"), NULL, &c, &diag),
			 MAMORI_EFORMAT);
	assert_null(c);
	assert_non_null(strstr(diag.msg, "cannot open '"));
	assert_non_null(strstr(diag.msg, "truncated"));
	/* an empty file */
	write_bytes(tpath("e.pcap"), hdr, 0);
	assert_int_equal(capture_open_file(tpath("e.pcap"), NULL, &c, &diag),
			 MAMORI_EFORMAT);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct capture *c = (struct capture *)1;
	struct mamori_diag diag = {0};
	char want[700];

	assert_int_equal(capture_open_file(tpath("nope.pcap"), NULL, &c, &diag),
			 MAMORI_ENOENT);
	assert_null(c);
	snprintf(want, sizeof(want),
		 "cannot open '%s': No such file or directory",
		 tpath("nope.pcap"));
	assert_string_equal(diag.msg, want);
	assert_int_equal(capture_open_file(tpath("nope.pcap"), NULL, &c, NULL),
			 MAMORI_ENOENT);

	static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	write_bytes(tpath("junk.pcap"), junk, sizeof(junk) - 1);
	assert_int_equal(capture_open_file(tpath("junk.pcap"), NULL, &c, &diag),
			 MAMORI_EFORMAT);
	snprintf(want, sizeof(want), "cannot open '%s': unknown file format",
		 tpath("junk.pcap"));
	assert_string_equal(diag.msg, want);

	/* "-" reads a pcap stream from stdin */
	write_pcap(tpath("stdin.pcap"), DLT_RAW, 3, 0);
	assert_non_null(freopen(tpath("stdin.pcap"), "rb", stdin));
	assert_int_equal(read_all("-", DLT_RAW, NULL), 3);

	assert_int_equal(capture_open_file(tmpdir, NULL, &c, &diag),
			 MAMORI_EINVAL);
	assert_non_null(strstr(diag.msg, "Is a directory"));
	capture_close(NULL);
	capture_free_list(NULL, 0);
}

static void test_list_dir(void **state)
{
	(void)state;
	char *dir = strdup(tpath("d"));
	assert_non_null(dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	static const char *names[] = {"b.pcap", "a.pcap", "c", ".hidden",
				      "B.pcap", "a10.pcap", "a2.pcap"};
	char p[700];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		write_pcap(p, DLT_EN10MB, (unsigned)i + 1, 0);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);

	char **paths = NULL;
	size_t n = 0;
	struct mamori_diag diag = {0};
	assert_int_equal(capture_list_dir(dir, &paths, &n, &diag), 0);
	static const char *want[] = {"B.pcap", "a.pcap", "a10.pcap", "a2.pcap",
				     "b.pcap", "c"};
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, want[i]);
		assert_string_equal(paths[i], p);
	}
	/* read in that order: the frame counts identify the files */
	static const unsigned frames[] = {5, 2, 6, 7, 1, 3};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(read_all(paths[i], DLT_EN10MB, NULL),
				 frames[i]);
	capture_free_list(paths, n);

	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(capture_list_dir(p, &paths, &n, &diag), 0);
	assert_int_equal(n, 0);
	capture_free_list(paths, n);

	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_int_equal(capture_list_dir(p, &paths, &n, &diag), MAMORI_ENOENT);
	assert_null(paths);
	assert_non_null(strstr(diag.msg, "No such file or directory"));
	free(dir);
}

static void test_break(void **state)
{
	(void)state;
	write_pcap(tpath("brk.pcap"), DLT_EN10MB, 5, 0);
	struct capture *c = NULL;
	struct capture_pkt pkt;
	assert_int_equal(capture_open_file(tpath("brk.pcap"), NULL, &c, NULL),
			 0);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_PKT);
	capture_break(c);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_EOF);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_EOF);
	assert_int_equal(capture_set_fanout(c, 1), MAMORI_EINVAL);
	capture_close(c);
}

/* Live capture where the environment allows it (root or CAP_NET_RAW);
 * results that depend on traffic are accepted either way. */
static void test_live(void **state)
{
	(void)state;
	struct capture *c = (struct capture *)1;
	struct mamori_diag diag = {0};
	int rc = capture_open_live("mamori-no-such-if0", NULL, 0, &c, &diag);
	assert_true(rc == MAMORI_ENOENT || rc == MAMORI_EPERM ||
		    rc == MAMORI_EDEP);
	assert_null(c);
	assert_non_null(strstr(diag.msg, "cannot capture on 'mamori-no-such-if0'"));

	rc = capture_open_live("lo", "udp port 9", 0, &c, &diag);
	if (rc != 0) {
		print_message("live capture on lo unavailable: %s\n", diag.msg);
		return;
	}
	assert_int_equal(capture_linktype(c), DLT_EN10MB);
	rc = capture_set_fanout(c, 4242);
	assert_true(rc == 0 || rc == MAMORI_EIO);

	/* send one datagram to 127.0.0.1:9 and see it come through */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, "mamori-live", 11, 0,
				(struct sockaddr *)&to, sizeof(to)),
			 11);
	close(fd);
	struct capture_pkt pkt;
	struct decoder d;
	struct packet p = {0};
	assert_int_equal(decode_init(&d, NULL), 0);
	int seen = 0;
	/* bounded wait: each CAPTURE_TIMEOUT is CAPTURE_POLL_MS */
	for (int i = 0; i < 100 && !seen; i++) {
		rc = capture_next(c, &pkt);
		assert_true(rc == CAPTURE_PKT || rc == CAPTURE_TIMEOUT);
		if (rc != CAPTURE_PKT)
			continue;
		assert_int_equal(decode_packet(&d, &p, pkt.linktype, pkt.data,
					       pkt.caplen, pkt.wirelen,
					       pkt.ts_usec),
				 DECODE_OK);
		if (p.dport == 9 && p.payload_len == 11 &&
		    memcmp(p.payload, "mamori-live", 11) == 0)
			seen = 1;
	}
	assert_true(seen);
	packet_release(&p);
	decode_release(&d);
	uint64_t recv = 0, drop = 9;
	capture_stats(c, &recv, &drop, NULL);
	assert_true(recv >= 1);
	capture_break(c);
	assert_int_equal(capture_next(c, &pkt), CAPTURE_EOF);
	capture_close(c);

	assert_int_equal(capture_open_live("lo", "not a filter(", 0, &c, &diag),
			 MAMORI_EINVAL);
}

/* One decoded packet of a committed capture, reduced to what every link
 * type must agree on. */
struct summary {
	char src[64], dst[64];
	unsigned sport, dport, flags, tcp_flags, vlans;
	uint32_t seq, payload_len;
	uint8_t payload[256];
};

/* Decodes a committed capture (tests/data/decode) with -k all; returns the
 * number of packets to process (DECODE_OK) stored in out. */
static size_t summarize(const char *name, struct summary *out, size_t max)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/tests/data/decode/%s", SRCDIR, name);
	struct capture *c = NULL;
	struct mamori_diag diag = {0};
	assert_int_equal(capture_open_file(path, NULL, &c, &diag), 0);
	struct decoder d;
	assert_int_equal(decode_init(&d, NULL), 0);
	struct packet p = {0};
	struct capture_pkt k;
	size_t n = 0;
	while (capture_next(c, &k) == CAPTURE_PKT) {
		if (decode_packet(&d, &p, k.linktype, k.data, k.caplen,
				  k.wirelen, k.ts_usec) != DECODE_OK)
			continue;
		assert_true(n < max);
		struct summary *s = &out[n++];
		memset(s, 0, sizeof(*s));
		mamori_addr_str(&p.src, s->src, sizeof(s->src));
		mamori_addr_str(&p.dst, s->dst, sizeof(s->dst));
		s->sport = p.sport;
		s->dport = p.dport;
		s->flags = p.flags & ~PKT_REASSEMBLED;
		s->tcp_flags = p.tcp_flags;
		s->vlans = p.vlan_count;
		s->seq = p.tcp_seq;
		s->payload_len = p.payload_len;
		assert_true(p.payload_len <= sizeof(s->payload));
		if (p.payload_len)
			memcpy(s->payload, p.payload, p.payload_len);
	}
	for (int e = 0; e < DEV_MAX; e++)
		if (e != DEV_FRAG_REASSEMBLED)
			assert_int_equal(d.events[e], 0);
	packet_release(&p);
	decode_release(&d);
	capture_close(c);
	return n;
}

static void assert_same_session(const struct summary *a, size_t na,
				const struct summary *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].src, b[i].src);
		assert_string_equal(a[i].dst, b[i].dst);
		assert_int_equal(a[i].sport, b[i].sport);
		assert_int_equal(a[i].dport, b[i].dport);
		assert_int_equal(a[i].flags, b[i].flags);
		assert_int_equal(a[i].tcp_flags, b[i].tcp_flags);
		assert_int_equal(a[i].seq, b[i].seq);
		assert_int_equal(a[i].payload_len, b[i].payload_len);
		assert_memory_equal(a[i].payload, b[i].payload, a[i].payload_len);
	}
}

/* The committed captures (gen_pcaps.py) carry one HTTP session framed every
 * supported way; all must decode to the same packets, and the fragmented
 * ones to the unfragmented session. */
static void test_committed_captures(void **state)
{
	(void)state;
	static struct summary ref[16], got[16];
	size_t nref = summarize("http-eth.pcap", ref, 16);
	assert_int_equal(nref, 10);
	assert_int_equal(ref[0].flags, PKT_HAS_IP);
	assert_string_equal(ref[0].src, "10.0.0.1");
	assert_int_equal(ref[0].dport, 80);
	assert_int_equal(ref[3].payload_len, 90);
	assert_memory_equal(ref[3].payload, "GET /index.html HTTP/1.1\r\n", 26);
	static const char *same[] = {
		"http-eth.pcapng", "http-vlan.pcap", "http-qinq.pcap",
		"http-sll.pcap",   "http-sll2.pcap", "http-raw.pcap",
		"http-null.pcap",  "http-loop.pcap", "http-frag4.pcap",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		size_t n = summarize(same[i], got, 16);
		assert_same_session(ref, nref, got, n);
		if (strstr(same[i], "vlan"))
			assert_int_equal(got[0].vlans, 1);
		if (strstr(same[i], "qinq"))
			assert_int_equal(got[0].vlans, 2);
	}
	nref = summarize("http-ipv6.pcap", ref, 16);
	assert_int_equal(nref, 10);
	assert_string_equal(ref[0].src, "2001:db8::1");
	size_t n = summarize("http-frag6.pcap", got, 16);
	assert_same_session(ref, nref, got, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_link_types),
		cmocka_unit_test(test_bpf_filter),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_list_dir),
		cmocka_unit_test(test_break),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_committed_captures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
