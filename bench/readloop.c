/*
 * mamori-readloop — the benchmark's baseline: a bare libpcap read loop.
 *
 * What: reads every packet of one or more capture files with
 * pcap_next_ex() and sums every byte, so each byte is really loaded from
 * memory (the sum is printed so the compiler cannot drop the loop).  Prints
 * one line of key=value figures: packets, bytes (captured), seconds,
 * Gbit/s, packets/s, checksum.
 *
 * Why: `make bench` reports mamori's throughput as a ratio of this loop,
 * i.e. of what reading the same file costs with nothing else done.
 *
 * Invariants: single thread, no allocation per packet; the timer covers
 * only the read loop (open to close), like mamori's own measurement.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sums 8 bytes at a time; the tail byte by byte. */
static uint64_t touch(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		s += v;
		p += 8;
		n -= 8;
	}
	while (n--)
		s += *p++;
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout, "usage: mamori-readloop PCAP...\n");
		return argc < 2 ? 2 : 0;
	}
	char err[PCAP_ERRBUF_SIZE];
	uint64_t packets = 0, bytes = 0, sum = 0;
	double t0 = now_sec();
	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], err);
		if (!p) {
			fprintf(stderr, "mamori-readloop: cannot open '%s': %s\n", argv[i], err);
			return 2;
		}
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;
		while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
			packets++;
			bytes += h->caplen;
			sum += touch(data, h->caplen);
		}
		if (rc == PCAP_ERROR)
			fprintf(stderr, "mamori-readloop: '%s': %s\n", argv[i], pcap_geterr(p));
		pcap_close(p);
	}
	double secs = now_sec() - t0;
	if (secs <= 0)
		secs = 1e-9;
	printf("packets=%llu bytes=%llu seconds=%.3f gbps=%.3f pps=%.0f checksum=%016llx\n",
	       (unsigned long long)packets, (unsigned long long)bytes, secs,
	       (double)bytes * 8 / secs / 1e9, (double)packets / secs, (unsigned long long)sum);
	return 0;
}
