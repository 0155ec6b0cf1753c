/*
 * Packet capture: frames from pcap/pcapng files and live interfaces.
 *
 * A thin layer over libpcap (which reads both file formats and drives
 * TPACKET_V3 on Linux), so the rest of mamori sees one loop:
 *
 *	capture_open_file()/capture_open_live() → capture_next()… → capture_close()
 *
 * It adds what the CLI needs around libpcap: errors in mamori's form
 * ("cannot open 'x.pcap': No such file or directory") with MAMORI_E* codes,
 * timestamps in microseconds, a poll()-based timeout for live capture so
 * the caller can stop, an async-signal-safe stop, file progress, and the
 * name-ordered listing used by `mamori net -r DIR`.
 *
 * Invariants: a struct capture belongs to one thread (only capture_break
 * may be called from another thread or a signal handler); the bytes a
 * packet points at stay valid until the next capture_next() or
 * capture_close() on the same handle.
 */
#ifndef MAMORI_CAPTURE_CAPTURE_H
#define MAMORI_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "mamori/mamori.h"

struct capture;

/* One captured frame.  data is borrowed from libpcap: valid until the next
 * capture_next() or capture_close() on the same handle. */
struct capture_pkt {
	uint64_t ts_usec;	/* capture time, microseconds since the epoch */
	uint32_t caplen;	/* bytes at data */
	uint32_t wirelen;	/* length on the wire (>= caplen normally) */
	const uint8_t *data;
	int linktype;		/* DLT_* (as pcap_datalink() maps it) */
};

/* capture_next() results besides negative MAMORI_E* errors. */
#define CAPTURE_EOF	0	/* end of file, or stopped by capture_break() */
#define CAPTURE_PKT	1	/* *pkt holds a frame */
#define CAPTURE_TIMEOUT	2	/* live: no frame within the poll timeout */

/* Defaults of live capture (CAPTURE_SNAPLEN also when snaplen <= 0). */
#define CAPTURE_SNAPLEN		262144
#define CAPTURE_BUFFER_BYTES	(64u << 20)	/* kernel ring per socket */
#define CAPTURE_POLL_MS		100		/* capture_next() timeout */

/*
 * Opens a pcap or pcapng file ("-" reads the stream from stdin), optionally
 * with a BPF filter (NULL or "" for none).  Returns 0 and *out (OWNED: capture_close), or a negative code with
 * diag->msg set (diag may be NULL):
 *   MAMORI_ENOENT / MAMORI_EPERM / MAMORI_EIO  "cannot open 'x.pcap': <strerror>"
 *   MAMORI_EFORMAT  "cannot open 'x.pcap': unknown file format" (or libpcap's
 *                   text, e.g. a truncated file header)
 *   MAMORI_EINVAL   "invalid filter '...': <libpcap text>"
 * path is borrowed for the call only.
 */
int capture_open_file(const char *path, const char *bpf, struct capture **out,
		      struct mamori_diag *diag);

/*
 * Opens live capture on iface: promiscuous, immediate mode (no batching
 * delay), a CAPTURE_BUFFER_BYTES kernel buffer, non-blocking with a poll()
 * timeout of CAPTURE_POLL_MS so capture_next() returns CAPTURE_TIMEOUT when
 * idle.  snaplen <= 0 means CAPTURE_SNAPLEN.  Returns 0 and *out (OWNED), or
 * MAMORI_EPERM (needs CAP_NET_RAW), MAMORI_ENOENT (no such device),
 * MAMORI_EINVAL (bad filter), MAMORI_EDEP (other libpcap failure) with
 * diag->msg set.  Nothing here prevents PACKET_FANOUT: see capture_set_fanout.
 */
int capture_open_live(const char *iface, const char *bpf, int snaplen,
		      struct capture **out, struct mamori_diag *diag);

/*
 * Live only: joins this socket to the kernel fanout group group_id with a
 * flow hash (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG; the kernel hash
 * is symmetric, so both directions of a flow reach the same socket).  Open
 * one capture per worker on the same iface and call this on each.
 * 0, MAMORI_EINVAL (file capture), MAMORI_EUNSUPPORTED (not Linux) or
 * MAMORI_EIO (setsockopt failed; capture_error() says why).
 */
int capture_set_fanout(struct capture *c, uint16_t group_id);

/*
 * Reads the next frame into *pkt.  Returns CAPTURE_PKT, CAPTURE_EOF (end of
 * file, or capture_break() was called), CAPTURE_TIMEOUT (live, nothing
 * within CAPTURE_POLL_MS), or a negative code: MAMORI_EFORMAT for a
 * truncated/corrupt file (after all its good frames were returned), MAMORI_EIO
 * for other errors; capture_error() then says why, without the file name
 * (see capture_source), e.g. "truncated dump file; tried to read 60 captured
 * bytes, only got 20".
 */
int capture_next(struct capture *c, struct capture_pkt *pkt);

/* Why the last capture_next/capture_set_fanout on c failed (borrowed, valid
 * until the next call on c; "" when none).  The caller adds the source:
 * "mamori: net: 'x.pcap': truncated dump file; ...". */
const char *capture_error(const struct capture *c);

/* DLT_* link type of the capture (pcap_datalink). */
int capture_linktype(const struct capture *c);

/* The path or interface name the capture was opened on (borrowed). */
const char *capture_source(const struct capture *c);

/* Asks a running capture_next() loop to stop: the next call returns
 * CAPTURE_EOF.  Async-signal-safe (sets a flag and pcap_breakloop()), may be
 * called from a signal handler or another thread. */
void capture_break(struct capture *c);

/* Packet counters: for live capture the kernel's (pcap_stats: received,
 * dropped for lack of buffer, dropped by the interface); for files, frames
 * read and 0, 0.  Any out pointer may be NULL. */
void capture_stats(struct capture *c, uint64_t *recv, uint64_t *drop,
		   uint64_t *ifdrop);

/* Files only: bytes consumed so far and the file size (both 0 for live
 * capture or when unknown), for a progress bar. */
void capture_progress(struct capture *c, uint64_t *done, uint64_t *total);

/* Closes the capture and frees it; NULL is a no-op. */
void capture_close(struct capture *c);

/*
 * Lists the regular files directly inside dir (no recursion, dotfiles
 * skipped, symlinks to regular files included) sorted by name with strcmp,
 * as "dir/name".  Returns 0 and *paths (OWNED: capture_free_list) with *n
 * entries (0 entries is not an error), or MAMORI_ENOENT/MAMORI_EPERM/
 * MAMORI_EIO/MAMORI_ENOMEM with diag->msg ("cannot open 'dir': ...").
 */
int capture_list_dir(const char *dir, char ***paths, size_t *n,
		     struct mamori_diag *diag);

/* Frees a list from capture_list_dir; NULL is a no-op. */
void capture_free_list(char **paths, size_t n);

#endif
