/*
 * Shared body of the TLS and SSH fuzz targets (fuzz_tls.c, fuzz_ssh.c):
 * drives one app_proto over a two-sided conversation taken from the input.
 *
 * Input layout: byte 0 selects the chunk size ((b % 32) + 1 bytes per
 * parse() call; b >= 128 also raises a gap on the server side half-way);
 * bytes 1-2 (big endian) are the length of the client part, clamped to
 * what is there; the rest is the server part.  Both sides are fed
 * alternately in chunks through per-side pending buffers (as the
 * dispatcher keeps unconsumed tails), then both sides end.  Every
 * transaction is inspected (each buffer, instances 0-2), logged and freed
 * as the dispatcher does; probes run on both sides first.
 */
#ifndef MAMORI_FUZZ_APP_TWO_SIDES_H
#define MAMORI_FUZZ_APP_TWO_SIDES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/jw.h"

struct flog {
	struct app_logger lg;
	struct buf out;
	struct jw w;
};

static struct jw *fl_begin(struct app_logger *lg, const char *type, uint64_t ts)
{
	struct flog *f = (struct flog *)lg;
	(void)ts;
	buf_reset(&f->out);
	jw_init(&f->w, &f->out);
	jw_open_obj(&f->w, NULL);
	jw_str(&f->w, "event_type", type);
	return &f->w;
}

static void fl_end(struct app_logger *lg)
{
	struct flog *f = (struct flog *)lg;
	jw_close_obj(&f->w);
}

static void drain(const struct app_proto *ap, void *st, uint64_t *next,
		  struct flog *fl, bool eof)
{
	uint64_t total = ap->tx_count(st);
	while (*next < total) {
		void *tx = ap->tx_get(st, *next);
		if (tx) {
			if (!ap->tx_done(tx, eof))
				break;
			for (int b = 0; b < APP_BUF_MAX; b++)
				for (uint32_t i = 0; i < 3; i++) {
					const uint8_t *p;
					size_t n;
					if (ap->get_buffer(tx, (enum app_buffer)b, i, &p, &n) && n)
						(void)p[n - 1];
				}
			ap->log_tx(tx, &fl->lg);
		}
		(*next)++;
	}
	ap->tx_free_upto(st, *next);
}

static bool feed(const struct app_proto *ap, void *st, struct buf *pend,
		 int dir, const uint8_t *p, size_t k, unsigned flags)
{
	if (flags & APP_F_GAP)
		buf_reset(pend);
	if (buf_append(pend, p, k) != 0)
		return false;
	struct app_result r = ap->parse(st, dir, pend->p ? pend->p : p,
					pend->len, flags, 1);
	if (r.status == APP_ERROR)
		return false;
	buf_consume(pend, r.consumed <= pend->len ? r.consumed : pend->len);
	return true;
}

static int fuzz_two_sides(const struct app_proto *ap, const uint8_t *data,
			  size_t size)
{
	if (size < 3)
		return 0;
	struct app_config cfg = {256, 64, 4096, 4096, 16, true};
	unsigned b = data[0];
	size_t split = ((size_t)data[1] << 8) | data[2];
	data += 3;
	size -= 3;
	if (split > size)
		split = size;
	const uint8_t *side[2] = {data, data + split};
	size_t left[2] = {split, size - split};
	size_t gap_at = b >= 128 ? left[1] / 2 : SIZE_MAX;
	size_t chunk = (b % 32) + 1;
	(void)ap->probe(side[0], left[0], APP_DIR_TOSERVER);
	(void)ap->probe(side[1], left[1], APP_DIR_TOCLIENT);

	void *st = ap->state_new(&cfg);
	if (!st)
		return 0;
	struct flog fl = {{fl_begin, fl_end}, {0}, {0}};
	buf_init(&fl.out, 1 << 20);
	struct buf pend[2];
	buf_init(&pend[0], 1 << 20);
	buf_init(&pend[1], 1 << 20);
	uint64_t next = 0;
	bool alive = true;
	size_t sent1 = 0;
	while (alive && (left[0] || left[1])) {
		for (int d = 0; d < 2 && alive; d++) {
			size_t k = left[d] < chunk ? left[d] : chunk;
			if (!k)
				continue;
			unsigned fl_gap = 0;
			if (d == 1 && sent1 <= gap_at && sent1 + k > gap_at) {
				fl_gap = APP_F_GAP;
				gap_at = SIZE_MAX;
			}
			alive = feed(ap, st, &pend[d], d, side[d], k, fl_gap);
			if (d == 1)
				sent1 += k;
			side[d] += k;
			left[d] -= k;
			drain(ap, st, &next, &fl, false);
		}
	}
	for (int d = 0; d < 2 && alive; d++)
		alive = feed(ap, st, &pend[d], d, (const uint8_t *)"", 0, APP_F_EOF);
	drain(ap, st, &next, &fl, true);
	(void)ap->counters(st);
	ap->state_free(st);
	buf_release(&pend[0]);
	buf_release(&pend[1]);
	buf_release(&fl.out);
	return 0;
}

#endif
