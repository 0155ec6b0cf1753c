/* Unit tests for src/util: capped buffer, JSON writer, cursor, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mamori/mamori.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/jw.h"

static void test_buf_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_puts(&b, "efgh"), 0);
	assert_int_equal(buf_putc(&b, 'x'), MAMORI_ELIMIT);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_str(&b), "abcdefgh");
	buf_consume(&b, 3);
	assert_string_equal(buf_str(&b), "defgh");
	assert_int_equal(buf_printf(&b, "%d", 123), 0);
	assert_string_equal(buf_str(&b), "defgh123");
	assert_int_equal(buf_printf(&b, "%d", 4), MAMORI_ELIMIT);
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	size_t n;
	uint8_t *p = buf_detach(&b, &n);
	assert_int_equal(n, 0);
	free(p);
	buf_release(&b);
}

static void test_buf_printf_long(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(buf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 601);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[600], '>');
	buf_release(&b);
}

static const char *render(struct buf *b, void (*fn)(struct jw *))
{
	buf_reset(b);
	struct jw w;
	jw_init(&w, b);
	fn(&w);
	assert_int_equal(jw_error(&w), 0);
	return buf_str(b);
}

static void nested(struct jw *w)
{
	jw_open_obj(w, NULL);
	jw_str(w, "a", "x");
	jw_open_arr(w, "l");
	jw_u64(w, NULL, 1);
	jw_i64(w, NULL, -2);
	jw_open_obj(w, NULL);
	jw_close_obj(w);
	jw_close_arr(w);
	jw_bool(w, "t", true);
	jw_null(w, "n");
	jw_str(w, "s", NULL);
	jw_open_obj(w, "o");
	jw_double(w, "d", 1.5);
	jw_close_obj(w);
	jw_close_obj(w);
}

static void escapes(struct jw *w)
{
	static const uint8_t utf8[] = "caf\xc3\xa9 \"q\" \\ \n\t\x01";
	static const uint8_t bad[] = {'a', 0xff, 'b', 0x00, 0xc3};
	jw_open_obj(w, NULL);
	jw_bytes(w, "u", utf8, sizeof(utf8) - 1);
	jw_bytes(w, "b", bad, sizeof(bad));
	jw_close_obj(w);
}

static void test_jw(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_string_equal(render(&b, nested),
			    "{\"a\":\"x\",\"l\":[1,-2,{}],\"t\":true,\"n\":null,"
			    "\"s\":null,\"o\":{\"d\":1.5}}");
	/* Valid UTF-8 is kept and JSON-escaped; invalid input follows
	 * Suricata: printable ASCII kept, other bytes as the text \xHH. */
	assert_string_equal(render(&b, escapes),
			    "{\"u\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\\t\\u0001\","
			    "\"b\":\"a\\\\xFFb\\\\x00\\\\xC3\"}");
	buf_release(&b);
}

static void test_jw_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 16);
	struct jw w;
	jw_init(&w, &b);
	jw_open_obj(&w, NULL);
	jw_str(&w, "key", "a value that is far too long for the cap");
	jw_close_obj(&w);
	assert_int_equal(jw_error(&w), MAMORI_ELIMIT);
	assert_true(b.len <= 16);
	buf_release(&b);
}

static void test_timestamp(void **state)
{
	(void)state;
	char ts[48];
	jw_format_ts(ts, sizeof(ts), 1259098029534255ull);
	assert_string_equal(ts, "2009-11-24T21:27:09.534255+0000");
	jw_format_ts(ts, sizeof(ts), 0);
	assert_string_equal(ts, "1970-01-01T00:00:00.000000+0000");
}

static void test_cursor(void **state)
{
	(void)state;
	static const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct cursor c, sub;
	cur_init(&c, d, sizeof(d));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	assert_true(cur_u8(&c, &u8));
	assert_int_equal(u8, 1);
	assert_true(cur_u16be(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(cur_u16le(&c, &u16));
	assert_int_equal(u16, 0x0504);
	assert_true(cur_u32be(&c, &u32));
	assert_int_equal(u32, 0x06070809);
	assert_int_equal(cur_len(&c), 0);
	/* failures leave the cursor unchanged */
	assert_false(cur_u8(&c, &u8));
	cur_init(&c, d, 3);
	assert_false(cur_u32le(&c, &u32));
	assert_false(cur_u64le(&c, &u64));
	assert_int_equal(cur_len(&c), 3);
	assert_false(cur_skip(&c, 4));
	assert_true(cur_sub(&c, 2, &sub));
	assert_int_equal(cur_len(&sub), 2);
	assert_int_equal(cur_len(&c), 1);
	cur_init(&c, d, sizeof(d));
	assert_true(cur_at(&c, 7, 2, &sub));
	assert_false(cur_at(&c, 8, 2, &sub));
	assert_false(cur_at(&c, SIZE_MAX, 2, &sub));
	assert_false(cur_at(&c, 2, SIZE_MAX, &sub));
	assert_true(range_ok(10, 10, 0));
	assert_false(range_ok(10, 11, 0));
	assert_false(range_ok(10, 5, SIZE_MAX));
	cur_init(&c, d, sizeof(d));
	assert_true(cur_u64le(&c, &u64));
	assert_true(u64 == 0x0807060504030201ull);
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(mamori_strerror(MAMORI_EFORMAT), "malformed input");
	assert_string_equal(mamori_strerror(0), "success");
	assert_string_equal(mamori_strerror(-999), "unknown error");
	struct mamori_diag d = {0};
	mamori_diag_set(&d, 3, 7, "unknown keyword '%s'", "foo");
	assert_int_equal(d.line, 3);
	assert_int_equal(d.column, 7);
	assert_string_equal(d.msg, "unknown keyword 'foo'");
	mamori_diag_set(NULL, 1, 1, "ignored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_printf_long),
		cmocka_unit_test(test_jw),
		cmocka_unit_test(test_jw_cap),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
