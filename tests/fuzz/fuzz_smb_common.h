/*
 * Shared driver of fuzz_smb.c and fuzz_dcerpc.c (owned with them): replays a two-direction
 * TCP conversation into a stream parser the way the dispatcher (app.c)
 * does -- held tails, NEED_MORE, APP_ERROR stops the flow -- and after
 * every call inspects (get_buffer, dcerpc_info), logs and frees the
 * finished transactions.  Static functions only: included by one target.
 */
#ifndef MAMORI_FUZZ_SMB_COMMON_H
#define MAMORI_FUZZ_SMB_COMMON_H

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

static void fuzz_drain(const struct app_proto *ap, void *st, uint64_t *next,
		       struct flog *fl, bool eof)
{
	uint64_t total = ap->tx_count(st);
	while (*next < total) {
		void *tx = ap->tx_get(st, *next);
		if (tx) {
			if (!ap->tx_done(tx, eof))
				break;
			for (int b = 0; b < APP_BUF_MAX; b++) {
				const uint8_t *p;
				size_t n;
				for (uint32_t i = 0; i < 2; i++)
					if (ap->get_buffer(tx, (enum app_buffer)b, i, &p, &n) && n)
						(void)p[n - 1];
			}
			struct app_dcerpc_info info;
			if (ap->dcerpc_info)
				(void)ap->dcerpc_info(tx, &info);
			ap->log_tx(tx, &fl->lg);
		}
		(*next)++;
	}
	ap->tx_free_upto(st, *next);
}

static int fuzz_app_run(const struct app_proto *ap, const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct app_config cfg = {16384, 256, 1 << 16, 4 << 20, 64, true};
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	(void)ap->probe(data, size, 0);
	void *st = ap->state_new(&cfg);
	if (!st)
		return 0;
	struct flog fl = {{fl_begin, fl_end}, {0}, {0}};
	buf_init(&fl.out, 1 << 20);
	struct buf pend[2];
	buf_init(&pend[0], 1 << 20);
	buf_init(&pend[1], 1 << 20);
	bool dead = false;
	uint64_t next = 0;
	size_t off = 0;
	while (off + 3 <= size && !dead) {
		int dir = data[off] & 1;
		size_t l = ((size_t)data[off + 1] << 8) | data[off + 2];
		off += 3;
		if (l > size - off)
			l = size - off;
		for (size_t k = 0; k < l && !dead;) {
			size_t c = l - k < chunk ? l - k : chunk;
			if (buf_append(&pend[dir], data + off + k, c) != 0)
				buf_reset(&pend[dir]);
			k += c;
			struct app_result r = ap->parse(st, dir, pend[dir].p ? pend[dir].p : (const uint8_t *)"",
							pend[dir].len, 0, off + k);
			if (r.status == APP_ERROR)
				dead = true;
			else
				buf_consume(&pend[dir], r.consumed <= pend[dir].len ? r.consumed : pend[dir].len);
			fuzz_drain(ap, st, &next, &fl, false);
		}
		off += l;
	}
	for (int d = 0; d < 2 && !dead; d++) {
		struct app_result r = ap->parse(st, d, pend[d].p ? pend[d].p : (const uint8_t *)"",
						pend[d].len, APP_F_EOF, size);
		dead = r.status == APP_ERROR;
	}
	fuzz_drain(ap, st, &next, &fl, true);
	(void)ap->counters(st);
	ap->state_free(st);
	buf_release(&pend[0]);
	buf_release(&pend[1]);
	buf_release(&fl.out);
	return 0;
}

#endif
