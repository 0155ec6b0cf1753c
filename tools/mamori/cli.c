/* CLI helpers: errors, number parsing, progress bar.  See cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void vmsg(const char *cmd, const char *prefix, const char *fmt, va_list ap)
{
	fputs("mamori: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	if (prefix)
		fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, NULL, fmt, ap);
	va_end(ap);
}

void cli_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, "warning: ", fmt, ap);
	va_end(ap);
}

bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

unsigned cli_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void progress_init(struct progress *pg, const char *label, uint64_t total)
{
	memset(pg, 0, sizeof(*pg));
	pg->label = label;
	pg->total = total;
	pg->enabled = isatty(STDERR_FILENO) && !getenv("MAMORI_NO_PROGRESS");
}

static void draw(struct progress *pg)
{
	if (pg->total) {
		unsigned pct = (unsigned)(pg->done * 100 / pg->total);
		if (pct > 100)
			pct = 100;
		char bar[31];
		unsigned fill = pct * 30 / 100;
		for (unsigned i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = 0;
		fprintf(stderr, "\r%s [%s] %3u%%", pg->label, bar, pct);
	} else {
		fprintf(stderr, "\r%s %llu", pg->label, (unsigned long long)pg->done);
	}
	pg->drawn = true;
}

void progress_update(struct progress *pg, uint64_t done)
{
	pg->done = done;
	if (!pg->enabled)
		return;
	uint64_t t = now_ms();
	if (pg->drawn && t - pg->last_draw_ms < 100)
		return;
	pg->last_draw_ms = t;
	draw(pg);
}

void progress_finish(struct progress *pg)
{
	if (!pg->enabled || !pg->drawn)
		return;
	if (pg->total)
		pg->done = pg->total;
	draw(pg);
	fputc('\n', stderr);
}
