/*
 * Packet capture over libpcap: files (pcap, pcapng) and live interfaces.
 *
 * Why: libpcap already reads every savefile variant (byte orders, nanosecond
 * files, pcapng blocks) and drives the Linux TPACKET rings; this file only
 * shapes it for mamori — MAMORI_E* codes and "cannot open 'x': why" texts,
 * microsecond timestamps, a bounded wait for live capture and a stop flag.
 *
 * Invariants:
 *  - files are opened by us with fopen() so a missing/unreadable file gets
 *    the errno text, then handed to pcap_fopen_offline (which owns the FILE
 *    from then on and closes it in pcap_close);
 *  - live handles are non-blocking; capture_next() waits in poll() at most
 *    CAPTURE_POLL_MS, so a stop request is seen within that time;
 *  - `stop` is only written by capture_break() (a sig_atomic_t store plus
 *    pcap_breakloop, both async-signal-safe) and read by capture_next().
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#ifdef __linux__
#include <linux/if_packet.h>
#endif

#include "capture/capture.h"
#include "util/err.h"

/* -r DIR lists at most this many files (every growing buffer has a cap). */
#define CAPTURE_DIR_MAX 1000000u

struct capture {
	pcap_t *pcap;
	char *source;			/* path or interface name (owned) */
	int live;
	int linktype;
	volatile sig_atomic_t stop;
	uint64_t frames;		/* frames returned (files) */
	uint64_t file_size;
	FILE *fp;			/* borrowed view of libpcap's FILE (files) */
	char err[PCAP_ERRBUF_SIZE + 320];
};

static int capture_errno_code(int e)
{
	switch (e) {
	case ENOENT:
		return MAMORI_ENOENT;
	case EACCES:
	case EPERM:
		return MAMORI_EPERM;
	case ENOTDIR:
	case EISDIR:
		return MAMORI_EINVAL;
	case ENOMEM:
		return MAMORI_ENOMEM;
	default:
		return MAMORI_EIO;
	}
}

static struct capture *capture_alloc(const char *source, int live)
{
	struct capture *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->source = strdup(source);
	if (!c->source) {
		free(c);
		return NULL;
	}
	c->live = live;
	return c;
}

/* Compiles and installs bpf (NULL/"" = none).  0 or MAMORI_EINVAL. */
static int capture_filter(struct capture *c, const char *bpf,
			  struct mamori_diag *diag)
{
	if (!bpf || !*bpf)
		return 0;
	struct bpf_program prog;
	if (pcap_compile(c->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		mamori_diag_set(diag, 0, 0, "invalid filter '%s': %s", bpf,
				pcap_geterr(c->pcap));
		return MAMORI_EINVAL;
	}
	int rc = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		mamori_diag_set(diag, 0, 0, "cannot set filter '%s': %s", bpf,
				pcap_geterr(c->pcap));
		return MAMORI_EINVAL;
	}
	return 0;
}

/* fopen()s a regular file for reading; "-" is stdin.  0 or a code with
 * diag set. */
static int capture_fopen(const char *path, FILE **fp, struct stat *st,
			 struct mamori_diag *diag)
{
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "-") == 0) {	/* `-r -`: a pcap stream on stdin */
		*fp = stdin;
		return 0;
	}
	if (stat(path, st) != 0) {
		int e = errno;
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
				strerror(e));
		return capture_errno_code(e);
	}
	if (S_ISDIR(st->st_mode)) {
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
				strerror(EISDIR));
		return MAMORI_EINVAL;
	}
	*fp = fopen(path, "rb");
	if (!*fp) {
		int e = errno;
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
				strerror(e));
		return capture_errno_code(e);
	}
	return 0;
}

int capture_open_file(const char *path, const char *bpf, struct capture **out,
		      struct mamori_diag *diag)
{
	int rc = 0;
	struct capture *c = NULL;
	FILE *fp = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat st;

	*out = NULL;
	CHECK(capture_fopen(path, &fp, &st, diag));
	c = capture_alloc(path, 0);
	if (!c) {
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
				strerror(ENOMEM));
		FAIL(MAMORI_ENOMEM);
	}
	errbuf[0] = '\0';
	c->pcap = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!c->pcap) {
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path,
				errbuf[0] ? errbuf : "unknown file format");
		FAIL(MAMORI_EFORMAT);
	}
	c->fp = fp;
	fp = NULL;	/* libpcap owns it now */
	c->file_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	c->linktype = pcap_datalink(c->pcap);
	CHECK(capture_filter(c, bpf, diag));
	*out = c;
	c = NULL;
out:
	if (fp && fp != stdin)
		fclose(fp);
	capture_close(c);
	return rc;
}

static int capture_activate_code(int status)
{
	switch (status) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return MAMORI_ENOENT;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return MAMORI_EPERM;
	default:
		return MAMORI_EDEP;
	}
}

int capture_open_live(const char *iface, const char *bpf, int snaplen,
		      struct capture **out, struct mamori_diag *diag)
{
	int rc = 0;
	struct capture *c = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];

	*out = NULL;
	c = capture_alloc(iface, 1);
	if (!c) {
		mamori_diag_set(diag, 0, 0, "cannot capture on '%s': %s",
				iface, strerror(ENOMEM));
		FAIL(MAMORI_ENOMEM);
	}
	errbuf[0] = '\0';
	c->pcap = pcap_create(iface, errbuf);
	if (!c->pcap) {
		mamori_diag_set(diag, 0, 0, "cannot capture on '%s': %s",
				iface, errbuf);
		FAIL(MAMORI_EDEP);
	}
	pcap_set_snaplen(c->pcap, snaplen > 0 ? snaplen : CAPTURE_SNAPLEN);
	pcap_set_promisc(c->pcap, 1);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_buffer_size(c->pcap, (int)CAPTURE_BUFFER_BYTES);
	pcap_set_timeout(c->pcap, CAPTURE_POLL_MS);
	pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	int status = pcap_activate(c->pcap);
	if (status < 0) {
		const char *why = pcap_geterr(c->pcap);
		if (!why || !*why || status == PCAP_ERROR_NO_SUCH_DEVICE ||
		    status == PCAP_ERROR_PERM_DENIED)
			why = pcap_statustostr(status);
		mamori_diag_set(diag, 0, 0, "cannot capture on '%s': %s",
				iface, why);
		FAIL(capture_activate_code(status));
	}
	if (pcap_setnonblock(c->pcap, 1, errbuf) != 0) {
		mamori_diag_set(diag, 0, 0, "cannot capture on '%s': %s",
				iface, errbuf);
		FAIL(MAMORI_EDEP);
	}
	c->linktype = pcap_datalink(c->pcap);
	CHECK(capture_filter(c, bpf, diag));
	*out = c;
	c = NULL;
out:
	capture_close(c);
	return rc;
}

int capture_set_fanout(struct capture *c, uint16_t group_id)
{
	if (!c->live)
		return MAMORI_EINVAL;
#if defined(__linux__) && defined(PACKET_FANOUT)
	int fd = pcap_fileno(c->pcap);
	uint32_t arg = (uint32_t)group_id |
		       ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG)
			<< 16);
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
		snprintf(c->err, sizeof(c->err),
			 "cannot join fanout group %u: %s", (unsigned)group_id,
			 strerror(errno));
		return MAMORI_EIO;
	}
	return 0;
#else
	(void)group_id;
	return MAMORI_EUNSUPPORTED;
#endif
}

static void capture_fill(struct capture *c, const struct pcap_pkthdr *h,
			 const u_char *data, struct capture_pkt *pkt)
{
	uint64_t sec = h->ts.tv_sec > 0 ? (uint64_t)h->ts.tv_sec : 0;
	uint64_t usec = h->ts.tv_usec > 0 ? (uint64_t)h->ts.tv_usec : 0;
	pkt->ts_usec = sec * 1000000u + usec;
	pkt->caplen = h->caplen;
	pkt->wirelen = h->len;
	pkt->data = data;
	pkt->linktype = c->linktype;
	c->frames++;
}

int capture_next(struct capture *c, struct capture_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int polled = 0;

	c->err[0] = '\0';
	for (;;) {
		if (c->stop)
			return CAPTURE_EOF;
		int rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 1) {
			capture_fill(c, h, data, pkt);
			return CAPTURE_PKT;
		}
		if (rc == PCAP_ERROR_BREAK)
			return CAPTURE_EOF;	/* end of file or breakloop */
		if (rc == PCAP_ERROR) {
			const char *why = pcap_geterr(c->pcap);
			snprintf(c->err, sizeof(c->err), "%s", why);
			if (c->live)
				return MAMORI_EIO;
			return strstr(why, "truncated") || strstr(why, "invalid")
				       ? MAMORI_EFORMAT
				       : MAMORI_EIO;
		}
		/* rc == 0: live, nothing buffered; wait once, then report. */
		if (!c->live || polled)
			return CAPTURE_TIMEOUT;
		struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->pcap),
				     .events = POLLIN};
		if (pfd.fd < 0)
			return CAPTURE_TIMEOUT;
		if (poll(&pfd, 1, CAPTURE_POLL_MS) <= 0)
			return CAPTURE_TIMEOUT;	/* timeout or EINTR */
		polled = 1;
	}
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}

int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

const char *capture_source(const struct capture *c)
{
	return c->source;
}

void capture_break(struct capture *c)
{
	c->stop = 1;
	pcap_breakloop(c->pcap);
}

void capture_stats(struct capture *c, uint64_t *recv, uint64_t *drop,
		   uint64_t *ifdrop)
{
	uint64_t r = c->frames, d = 0, i = 0;
	struct pcap_stat ps;
	if (c->live && pcap_stats(c->pcap, &ps) == 0) {
		r = ps.ps_recv;
		d = ps.ps_drop;
		i = ps.ps_ifdrop;
	}
	if (recv)
		*recv = r;
	if (drop)
		*drop = d;
	if (ifdrop)
		*ifdrop = i;
}

void capture_progress(struct capture *c, uint64_t *done, uint64_t *total)
{
	uint64_t d = 0, t = 0;
	if (!c->live && c->fp && c->file_size) {
		long pos = ftell(c->fp);
		t = c->file_size;
		d = pos > 0 ? (uint64_t)pos : 0;
		if (d > t)
			d = t;
	}
	if (done)
		*done = d;
	if (total)
		*total = t;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->pcap)
		pcap_close(c->pcap);
	free(c->source);
	free(c);
}

static int capture_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void capture_free_list(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int capture_list_dir(const char *dir, char ***paths, size_t *n,
		     struct mamori_diag *diag)
{
	int rc = 0;
	DIR *d = NULL;
	char **list = NULL;
	size_t count = 0, cap = 0;

	*paths = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		int e = errno;
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", dir,
				strerror(e));
		FAIL(capture_errno_code(e));
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				int e = errno;
				mamori_diag_set(diag, 0, 0,
						"cannot read '%s': %s", dir,
						strerror(e));
				FAIL(capture_errno_code(e));
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		char *p = malloc(len);
		if (!p)
			FAIL(MAMORI_ENOMEM);
		snprintf(p, len, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (count == cap) {
			if (cap >= CAPTURE_DIR_MAX) {
				free(p);
				mamori_diag_set(diag, 0, 0,
						"'%s': more than %u files", dir,
						CAPTURE_DIR_MAX);
				FAIL(MAMORI_ELIMIT);
			}
			size_t ncap = cap ? cap * 2 : 16;
			char **nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				free(p);
				FAIL(MAMORI_ENOMEM);
			}
			list = nl;
			cap = ncap;
		}
		list[count++] = p;
	}
	/* Same "dir/" prefix on every entry: strcmp on paths orders by name. */
	if (count > 1)
		qsort(list, count, sizeof(*list), capture_cmp);
	*paths = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	if (rc == MAMORI_ENOMEM)
		mamori_diag_set(diag, 0, 0, "cannot list '%s': %s", dir,
				strerror(ENOMEM));
	if (d)
		closedir(d);
	capture_free_list(list, count);
	return rc;
}
