/*
 * Unit tests for the Task Scheduler 1.0 .job parser (src/host/job.c): the
 * real plaso-wintask.job from ../shared/data/job, .job images built here
 * field by field after [MS-TSCH] 2.4, and wrong lengths: every truncation,
 * a lying AppNameLenOffset / TriggerOffset, string counts past the end or
 * without a terminator, trigger sizes other than 48, missing triggers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/job.h"
#include "mamori/mamori.h"

static struct mamori_job job;

struct jb {
	uint8_t p[4096];
	size_t n;
};

static void put16(struct jb *b, uint16_t v)
{
	b->p[b->n++] = (uint8_t)v;
	b->p[b->n++] = (uint8_t)(v >> 8);
}

static void put32(struct jb *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static void putstr(struct jb *b, const char *s)
{
	if (!s) {
		put16(b, 0);
		return;
	}
	put16(b, (uint16_t)(strlen(s) + 1));
	for (; *s; s++)
		put16(b, (uint16_t)(unsigned char)*s);
	put16(b, 0);
}

/* Builds a .job; returns the offset of the trigger count. */
static size_t build(struct jb *b, const char *app, const char *params, int ntrig)
{
	memset(b, 0, sizeof(*b));
	put16(b, 0x0501);
	put16(b, 1);
	for (int i = 0; i < 16; i++)
		b->p[b->n++] = (uint8_t)i;
	put16(b, 70);
	size_t trig_off_field = b->n;
	put16(b, 0);		/* patched below */
	put16(b, 0);
	put16(b, 0);
	put16(b, 60);
	put16(b, 10);
	put32(b, 0x100);
	put32(b, 259200000);
	put32(b, 0);
	put32(b, 0x41303);
	put32(b, 0);
	for (int i = 0; i < 8; i++)
		put16(b, 0);
	assert_int_equal(b->n, 68);
	put16(b, 0);		/* running instances */
	putstr(b, app);
	putstr(b, params);
	putstr(b, "C:\\WINDOWS");
	putstr(b, "mamori");
	putstr(b, NULL);
	put16(b, 0);		/* user data */
	put16(b, 8);		/* reserved data */
	put32(b, 0);
	put32(b, 0);
	size_t trig = b->n;
	b->p[trig_off_field] = (uint8_t)trig;
	b->p[trig_off_field + 1] = (uint8_t)(trig >> 8);
	put16(b, (uint16_t)ntrig);
	for (int t = 0; t < ntrig; t++) {
		put16(b, 48);
		put16(b, 0);
		put16(b, 2009);
		put16(b, 1);
		put16(b, (uint16_t)(t + 1));
		put16(b, 0);
		put16(b, 0);
		put16(b, 0);
		put16(b, 9);
		put16(b, 30);
		put32(b, 0);
		put32(b, 0);
		put32(b, 0);
		put32(b, 1);
		for (int i = 0; i < 6; i++)
			put16(b, 0);
	}
	return trig;
}

static int parse_exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	memcpy(c, p, n);
	int rc = mamori_job_parse(c, n, &job);
	free(c);
	return rc;
}

static void test_plaso(void **state)
{
	(void)state;
	char path[1024];
	static uint8_t buf[65536];
	snprintf(path, sizeof(path), "%s/data/job/plaso-wintask.job", SHARED);
	FILE *f = fopen(path, "rb");
	if (!f) {
		print_message("skipping: %s not readable\n", path);
		return;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(parse_exact(buf, n), 0);
	assert_string_equal(job.application,
			    "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe");
	assert_string_equal(job.parameters, "/ua /installsource scheduler");
	assert_string_equal(job.author, "Brian");
	assert_int_equal(job.n_triggers, 1);
	assert_int_equal(job.n_stored, 1);
	assert_int_equal(job.trig[0].begin_year, 2013);
	assert_int_equal(job.app_name_offset, 70);
}

static void test_built(void **state)
{
	(void)state;
	static struct jb b;
	build(&b, "rundll32.exe", "jwgkvsq.vn,ahaezedrn", 2);
	assert_int_equal(parse_exact(b.p, b.n), 0);
	assert_string_equal(job.application, "rundll32.exe");
	assert_string_equal(job.parameters, "jwgkvsq.vn,ahaezedrn");
	assert_string_equal(job.working_dir, "C:\\WINDOWS");
	assert_string_equal(job.comment, "");
	assert_int_equal(job.reserved_len, 8);
	assert_int_equal(job.n_triggers, 2);
	assert_int_equal(job.trig[1].begin_day, 2);
	assert_int_equal(job.trig[1].start_hour, 9);
	assert_int_equal(job.trig[1].type, 1);
	assert_int_equal(job.status, 0x41303);

	/* more triggers than stored: counted, all validated */
	build(&b, "a.exe", NULL, MAMORI_JOB_MAX_TRIGGERS + 3);
	assert_int_equal(parse_exact(b.p, b.n), 0);
	assert_int_equal(job.n_triggers, MAMORI_JOB_MAX_TRIGGERS + 3);
	assert_int_equal(job.n_stored, MAMORI_JOB_MAX_TRIGGERS);

	/* zero triggers, trailing job signature bytes are ignored */
	build(&b, "a.exe", NULL, 0);
	b.n += 16;
	assert_int_equal(parse_exact(b.p, b.n), 0);
}

static void test_truncated(void **state)
{
	(void)state;
	static struct jb b;
	build(&b, "C:\\WINDOWS\\system32\\rundll32.exe", "x.dll,E", 1);
	for (size_t len = 0; len < b.n; len++)
		assert_int_equal(parse_exact(b.p, len), MAMORI_EFORMAT);
	assert_int_equal(parse_exact(b.p, b.n), 0);
}

static void test_wrong_lengths(void **state)
{
	(void)state;
	static struct jb b;
	size_t trig;

	trig = build(&b, "a.exe", "p", 1);
	b.p[20] = 72;				/* AppNameLenOffset */
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	b.p[22] = (uint8_t)(trig + 2);		/* TriggerOffset */
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	b.p[70] = 0xff;				/* app name count past the end */
	b.p[71] = 0x7f;
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	b.p[72 + 10] = 'X';			/* app name loses its terminator */
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	b.p[trig + 2] = 32;			/* trigger size 32, not 48 */
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	b.p[trig] = 5;				/* 5 triggers declared, 1 present */
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);

	trig = build(&b, "a.exe", "p", 1);
	size_t ud = trig - 12;			/* user data size lies */
	b.p[ud] = 0xff;
	b.p[ud + 1] = 0xff;
	assert_int_equal(parse_exact(b.p, b.n), MAMORI_EFORMAT);
	(void)trig;
}

static void test_long_strings_cut(void **state)
{
	(void)state;
	static struct jb b;
	char app[1500];
	memset(app, 'a', sizeof(app) - 1);
	app[sizeof(app) - 1] = 0;
	build(&b, app, "p", 0);
	assert_int_equal(parse_exact(b.p, b.n), 0);
	assert_int_equal(strlen(job.application), sizeof(job.application) - 1);
	assert_string_equal(job.parameters, "p");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plaso),
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_long_strings_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
