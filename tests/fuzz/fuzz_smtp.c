/*
 * libFuzzer target for the SMTP parser (src/app/smtp.c).
 * First byte b: the rest of the input is split at (len * b / 256) into a
 * client part and a server part, fed alternately in chunks of (b % 16) + 1
 * bytes through per-side pending buffers (as the dispatcher keeps
 * unconsumed tails), then both sides end.  Small line and body limits make
 * the over-long-line and truncation paths reachable.  Every transaction is
 * inspected, logged and freed as the dispatcher does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/jw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	static const enum app_buffer bufs[] = {APP_BUF_SMTP_HELO,
					       APP_BUF_SMTP_MAIL_FROM,
					       APP_BUF_SMTP_RCPT_TO};
	uint64_t total = ap->tx_count(st);
	while (*next < total) {
		void *tx = ap->tx_get(st, *next);
		if (tx) {
			if (!ap->tx_done(tx, eof))
				break;
			for (size_t b = 0; b < 3; b++)
				for (uint32_t i = 0; i < 3; i++) {
					const uint8_t *p;
					size_t n;
					if (ap->get_buffer(tx, bufs[b], i, &p, &n) && n)
						(void)p[n - 1];
				}
			ap->log_tx(tx, &fl->lg);
		}
		(*next)++;
	}
	ap->tx_free_upto(st, *next);
}

/* Feeds k more bytes of one side; false once the parser gave up. */
static bool feed(const struct app_proto *ap, void *st, struct buf *pend,
		 int dir, const uint8_t *p, size_t k, unsigned flags)
{
	if (buf_append(pend, p, k) != 0)
		return false;
	struct app_result r = ap->parse(st, dir, pend->p ? pend->p : p,
					pend->len, flags, 1);
	if (r.status == APP_ERROR)
		return false;
	buf_consume(pend, r.consumed <= pend->len ? r.consumed : pend->len);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct app_proto *ap = &app_smtp;
	struct app_config cfg = {256, 64, 4096, 4096, 16, true};
	unsigned b = data[0];
	data++;
	size--;
	size_t split = size * b / 256;
	const uint8_t *side[2] = {data, data + split};
	size_t left[2] = {split, size - split};
	size_t chunk = (b % 16) + 1;
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
	while (alive && (left[0] || left[1])) {
		for (int d = 0; d < 2 && alive; d++) {
			size_t k = left[d] < chunk ? left[d] : chunk;
			if (!k)
				continue;
			alive = feed(ap, st, &pend[d], d, side[d], k, 0);
			side[d] += k;
			left[d] -= k;
			drain(ap, st, &next, &fl, false);
		}
	}
	for (int d = 0; d < 2 && alive; d++)
		alive = feed(ap, st, &pend[d], d, (const uint8_t *)"", 0, APP_F_EOF);
	drain(ap, st, &next, &fl, true);
	ap->counters(st);
	ap->state_free(st);
	buf_release(&pend[0]);
	buf_release(&pend[1]);
	buf_release(&fl.out);
	return 0;
}
