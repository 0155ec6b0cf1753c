/*
 * Unit tests for the tolerant AUTORUN.INF parser (src/host/autorun.c):
 * ordinary files, Conficker-style obfuscation (binary junk, NULs, a broken
 * section header, odd case, comments everywhere), keys outside [autorun],
 * the entry cap, value truncation, multi-megabyte junk, and the launch
 * command splitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/autorun.h"

static struct mamori_autorun ar;

static void parse(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	assert_int_equal(mamori_autorun_parse(c, n, &ar), 0);
	free(c);
}

static void parse_str(const char *s)
{
	parse(s, strlen(s));
}

static void test_plain(void **state)
{
	(void)state;
	parse_str("[autorun]\r\nopen=setup.exe\r\nicon=setup.exe,0\r\nlabel = My Disk \r\n");
	assert_true(ar.has_section);
	assert_int_equal(ar.n, 3);
	assert_int_equal(ar.e[0].kind, MAMORI_AUTORUN_OPEN);
	assert_string_equal(ar.e[0].key, "open");
	assert_string_equal(ar.e[0].value, "setup.exe");
	assert_int_equal(ar.e[0].line, 2);
	assert_int_equal(ar.e[1].kind, MAMORI_AUTORUN_OTHER);
	assert_string_equal(ar.e[2].key, "label");
	assert_string_equal(ar.e[2].value, "My Disk");
	assert_int_equal(ar.junk_bytes, 0);
}

static void test_obfuscated(void **state)
{
	(void)state;
	static const uint8_t f[] =
		";\x93\x01\xfe junk\r\n"
		"[AuToRuN\r\n"			/* no closing bracket */
		"\x8a\x00\x11\x9c\xd0 more junk\x00\x00\r\n"
		"  ; a comment with = in it\r\n"
		"sHeLLexecUTE=RuNdLl32.eXe .\\RECYCLER\\S-5-3-42-1\\x.vmx,ahaez\r\n"
		"\x01\x02=\x03\r\n"		/* junk key */
		"UseAutoPLAY=1\r\n"
		"shell\\oPEn\\coMMand=\"rundll32.exe\" a.vmx,b\r\n"
		"shell\\open\\Default=1\n"
		"=no key\r\n"
		"no equals sign at all\r\n";
	parse(f, sizeof(f) - 1);
	assert_true(ar.has_section);
	assert_true(ar.junk_bytes >= 12);
	size_t se = SIZE_MAX, ua = SIZE_MAX, sc = SIZE_MAX;
	for (size_t i = 0; i < ar.n; i++) {
		if (ar.e[i].kind == MAMORI_AUTORUN_SHELLEXECUTE)
			se = i;
		if (ar.e[i].kind == MAMORI_AUTORUN_USEAUTOPLAY)
			ua = i;
		if (ar.e[i].kind == MAMORI_AUTORUN_SHELL_COMMAND)
			sc = i;
	}
	assert_true(se != SIZE_MAX && ua != SIZE_MAX && sc != SIZE_MAX);
	assert_string_equal(ar.e[se].value, "RuNdLl32.eXe .\\RECYCLER\\S-5-3-42-1\\x.vmx,ahaez");
	assert_string_equal(ar.e[sc].key, "shell\\oPEn\\coMMand");
	assert_string_equal(ar.e[ua].value, "1");
	/* "shell\open\Default" is not a command */
	for (size_t i = 0; i < ar.n; i++)
		if (!strcmp(ar.e[i].key, "shell\\open\\Default"))
			assert_int_equal(ar.e[i].kind, MAMORI_AUTORUN_OTHER);
	/* the junk key was kept with '?' placeholders, not dropped silently */
	int junkkey = 0;
	for (size_t i = 0; i < ar.n; i++)
		if (!strcmp(ar.e[i].key, "??"))
			junkkey = 1;
	assert_true(junkkey);
}

static void test_sections(void **state)
{
	(void)state;
	parse_str("open=outside.exe\n[other]\nopen=other.exe\n[autorun.amd64]\nopen=a64.exe\n"
		  "[autorunx]\nopen=no.exe\n[ autorun ]\nshellexecute=yes.exe\n");
	assert_int_equal(ar.n, 2);
	assert_string_equal(ar.e[0].value, "a64.exe");
	assert_string_equal(ar.e[1].value, "yes.exe");
	parse_str("[other]\nopen=x.exe\n");
	assert_false(ar.has_section);
	assert_int_equal(ar.n, 0);
	parse(NULL, 0);
	assert_int_equal(ar.n, 0);
	parse_str("[");
	assert_int_equal(ar.n, 0);
	parse_str("[autorun]");
	assert_true(ar.has_section);
	parse_str("[autorun]\nopen=");
	assert_int_equal(ar.n, 1);
	assert_string_equal(ar.e[0].value, "");
	parse_str("[autorun]\nopen=\"quoted path.exe\"\nicon=\"a\" \"b\"\n");
	assert_string_equal(ar.e[0].value, "quoted path.exe");
	assert_string_equal(ar.e[1].value, "\"a\" \"b\"");
}

static void test_caps(void **state)
{
	(void)state;
	char *f = malloc(100000);
	assert_non_null(f);
	size_t o = (size_t)sprintf(f, "[autorun]\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)sprintf(f + o, "key%d=value%d\n", i, i);
	o += (size_t)sprintf(f + o, "open=");
	memset(f + o, 'A', 5000);
	o += 5000;
	parse(f, o);
	assert_int_equal(ar.n, MAMORI_AUTORUN_MAX_ENTRIES);
	assert_int_equal(ar.dropped, 40 + 1 - MAMORI_AUTORUN_MAX_ENTRIES);
	free(f);

	/* one very long value: cut, NUL-terminated */
	f = malloc(6000);
	assert_non_null(f);
	o = (size_t)sprintf(f, "[autorun]\nopen=");
	memset(f + o, 'B', 5000);
	parse(f, o + 5000);
	assert_int_equal(ar.n, 1);
	assert_int_equal(strlen(ar.e[0].value), MAMORI_AUTORUN_VALUE - 1);
	free(f);
}

static void test_megabytes_of_junk(void **state)
{
	(void)state;
	size_t n = 4u << 20;
	uint8_t *f = malloc(n);
	assert_non_null(f);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		uint8_t b = (uint8_t)(x >> 16);
		f[i] = (b == '[' || b == '=') ? 0 : b;
	}
	static const char hdr[] = "[autorun]\n", key[] = "\nopen=rundll32.exe x.vmx,y\n";
	memcpy(f, hdr, sizeof(hdr) - 1);
	memcpy(f + n / 2, key, sizeof(key) - 1);
	parse(f, n);
	assert_true(ar.has_section);
	assert_true(ar.junk_bytes > n / 4);
	int found = 0;
	for (size_t i = 0; i < ar.n; i++)
		if (ar.e[i].kind == MAMORI_AUTORUN_OPEN &&
		    !strcmp(ar.e[i].value, "rundll32.exe x.vmx,y"))
			found = 1;
	assert_true(found);
	free(f);
}

static void test_split_command(void **state)
{
	(void)state;
	char prog[64], target[64];
	assert_true(mamori_autorun_split_command("RuNdLl32.eXe .\\RECYCLER\\S-5\\x.vmx,ahaez",
						 prog, target, sizeof(prog)));
	assert_string_equal(prog, "RuNdLl32.eXe");
	assert_string_equal(target, ".\\RECYCLER\\S-5\\x.vmx");
	assert_true(mamori_autorun_split_command("\"C:\\WINDOWS\\system32\\rundll32.exe\" \"a b.dll\",E",
						 prog, target, sizeof(prog)));
	assert_string_equal(target, "a b.dll");
	assert_false(mamori_autorun_split_command("setup.exe /s", prog, target, sizeof(prog)));
	assert_string_equal(prog, "setup.exe");
	assert_string_equal(target, "");
	assert_false(mamori_autorun_split_command("", prog, target, sizeof(prog)));
	assert_string_equal(prog, "");
	assert_true(mamori_autorun_split_command("rundll32", prog, target, sizeof(prog)));
	assert_string_equal(target, "");
	/* unterminated quote and an over-long token are cut, not overrun */
	assert_false(mamori_autorun_split_command("\"unterminated", prog, target, sizeof(prog)));
	assert_string_equal(prog, "unterminated");
	char longcmd[200];
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	assert_false(mamori_autorun_split_command(longcmd, prog, target, 8));
	assert_string_equal(prog, "xxxxxxx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_obfuscated),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_megabytes_of_junk),
		cmocka_unit_test(test_split_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
