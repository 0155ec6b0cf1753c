/*
 * Fuzz target for the HTTP/1.x parser (app_http).
 *
 * Input layout: byte 0-1 = where to split the rest into the to-server and
 * to-client streams (little endian, modulo length + 1), byte 2 = feeding
 * step (0: whole streams), byte 3 = flags (bit 0: mark a gap on the
 * second to-server piece, bit 1: small limits).  The streams are fed in
 * alternating pieces the way app.c does (unconsumed bytes presented
 * again), every finished tx has all its inspection buffers read and is
 * logged into a buffer, then both directions end and the rest is logged.
 */
#include <stdbool.h>
#include <stdint.h>
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

static struct jw *flog_begin(struct app_logger *lg, const char *type, uint64_t ts)
{
	struct flog *f = (struct flog *)lg;
	(void)ts;
	buf_reset(&f->out);
	jw_init(&f->w, &f->out);
	jw_open_obj(&f->w, NULL);
	jw_str(&f->w, "event_type", type);
	return &f->w;
}

static void flog_end(struct app_logger *lg)
{
	struct flog *f = (struct flog *)lg;
	jw_close_obj(&f->w);
}

static void drain(void *st, uint64_t *logged, bool eof, struct flog *lg)
{
	uint64_t n = app_http.tx_count(st);
	while (*logged < n) {
		void *tx = app_http.tx_get(st, *logged);
		if (!tx || !app_http.tx_done(tx, eof))
			break;
		for (int b = 0; b < APP_BUF_MAX; b++) {
			for (uint32_t idx = 0; idx < 3; idx++) {
				const uint8_t *p = NULL;
				size_t len = 0;
				if (app_http.get_buffer(tx, (enum app_buffer)b, idx, &p, &len) &&
				    len)
					(void)*(volatile const uint8_t *)(p + len - 1);
			}
		}
		app_http.log_tx(tx, &lg->lg);
		(*logged)++;
		app_http.tx_free_upto(st, *logged);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t split = (size_t)(data[0] | (data[1] << 8));
	size_t step = data[2];
	unsigned opts = data[3];
	data += 4;
	size -= 4;
	split %= size + 1;
	const uint8_t *s[2] = {data, data + split};
	size_t len[2] = {split, size - split};

	struct app_config cfg = {
		.max_line = 16384, .max_headers = 256, .body_limit = 1u << 20,
		.decompress_limit = 4u << 20, .max_tx = 1024, .decode_bodies = APP_DECODE_ALL,
	};
	if (opts & 2) {
		cfg = (struct app_config){.max_line = 64, .max_headers = 4,
					  .body_limit = 512, .decompress_limit = 4096,
					  .max_tx = 3, .decode_bodies = APP_DECODE_ALL};
	}
	void *st = app_http.state_new(&cfg);
	if (!st)
		return 0;
	struct flog lg = {.lg = {flog_begin, flog_end}};
	buf_init(&lg.out, 1u << 20);
	struct buf pend[2];
	buf_init(&pend[0], 1u << 20);
	buf_init(&pend[1], 1u << 20);
	size_t off[2] = {0, 0};
	bool dead[2] = {false, false};
	uint64_t logged = 0;
	unsigned piece = 0;
	while (off[0] < len[0] || off[1] < len[1]) {
		for (int d = 0; d < 2; d++) {
			if (off[d] >= len[d])
				continue;
			size_t n = step ? step : len[d];
			if (n > len[d] - off[d])
				n = len[d] - off[d];
			const uint8_t *p = s[d] + off[d];
			off[d] += n;
			if (dead[d])
				continue;
			unsigned fl = (d == 0 && piece == 1 && (opts & 1)) ? APP_F_GAP : 0;
			if (buf_append(&pend[d], p, n) != 0) {
				dead[d] = true;
				continue;
			}
			struct app_result r = app_http.parse(st, d, pend[d].p, pend[d].len,
							     fl, 1);
			if (r.status == APP_ERROR || r.consumed > pend[d].len) {
				dead[d] = true;
				continue;
			}
			buf_consume(&pend[d], r.consumed);
			drain(st, &logged, false, &lg);
		}
		piece++;
	}
	for (int d = 0; d < 2; d++)
		if (!dead[d])
			app_http.parse(st, d, NULL, 0, APP_F_EOF, 2);
	drain(st, &logged, false, &lg);
	drain(st, &logged, true, &lg);
	(void)app_http.counters(st);
	app_http.state_free(st);
	buf_release(&lg.out);
	buf_release(&pend[0]);
	buf_release(&pend[1]);
	return 0;
}
