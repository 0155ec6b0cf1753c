/*
 * libFuzzer target for the DNS parser (src/app/dns.c).
 * First byte: bit 0 picks the mode, the rest a chunk size.
 *   mode 0 (UDP): the input is a list of [u16 length][message] records,
 *     each message handed over as one datagram (the last may be short);
 *   mode 1 (TCP): the input is a TCP byte stream fed in chunks, with the
 *     unconsumed tail kept as the dispatcher keeps it, then EOF.
 * Every transaction is logged, inspected and freed as the dispatcher does.
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
	uint64_t total = ap->tx_count(st);
	while (*next < total) {
		void *tx = ap->tx_get(st, *next);
		if (tx) {
			if (!ap->tx_done(tx, eof))
				break;
			const uint8_t *p;
			size_t n;
			for (uint32_t i = 0; i < 4; i++)
				if (ap->get_buffer(tx, APP_BUF_DNS_QUERY, i, &p, &n) && n)
					(void)p[n - 1];
			ap->log_tx(tx, &fl->lg);
		}
		(*next)++;
	}
	ap->tx_free_upto(st, *next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct app_proto *ap = &app_dns;
	struct app_config cfg = {16384, 256, 1 << 20, 4 << 20, 64, true};
	unsigned mode = data[0];
	data++;
	size--;
	(void)ap->probe(data, size, 0);
	void *st = ap->state_new(&cfg);
	if (!st)
		return 0;
	struct flog fl = {{fl_begin, fl_end}, {0}, {0}};
	buf_init(&fl.out, 1 << 20);
	uint64_t next = 0;
	if (!(mode & 1)) {
		size_t off = 0;
		while (off + 2 <= size) {
			size_t l = ((size_t)data[off] << 8) | data[off + 1];
			off += 2;
			if (l > size - off)
				l = size - off;
			uint8_t *dg = malloc(l ? l : 1);
			if (!dg)
				break;
			memcpy(dg, data + off, l);
			ap->parse(st, (int)(off & 1), dg, l, APP_F_DATAGRAM, off);
			free(dg);
			off += l;
			drain(ap, st, &next, &fl, false);
		}
	} else {
		size_t chunk = (mode >> 1) + 1;
		struct buf pend;
		buf_init(&pend, 1 << 20);
		bool dead = false;
		for (size_t off = 0; off < size && !dead;) {
			size_t k = size - off < chunk ? size - off : chunk;
			buf_append(&pend, data + off, k);
			off += k;
			struct app_result r = ap->parse(st, 0, pend.p, pend.len,
							off == size ? APP_F_EOF : 0, off);
			if (r.status == APP_ERROR)
				dead = true;
			else
				buf_consume(&pend, r.consumed <= pend.len ? r.consumed : pend.len);
			drain(ap, st, &next, &fl, false);
		}
		buf_release(&pend);
	}
	drain(ap, st, &next, &fl, true);
	ap->counters(st);
	ap->state_free(st);
	buf_release(&fl.out);
	return 0;
}
