/*
 * Unit tests of the rule parser (src/detect): header, address and port
 * groups, variables, every keyword with good and bad arguments (exact
 * messages and columns), fast pattern choice, classification.config and
 * the loader (multi-line rules, comments, broken lines, duplicate sids).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/rule.h"

static struct rule_vars *vars;
static struct rule_classes cls;

static const char classes[] =
	"# test classes\n"
	"config classification: trojan-activity,A Network Trojan was detected,1\n"
	"config classification: misc-activity,Misc activity,3\n"
	"\n"
	"config classification: bad-unknown,Potentially Bad Traffic, 2\n";

static int setup(void **state)
{
	(void)state;
	vars = rule_vars_new();
	struct mamori_diag d = {0};
	if (!vars || rule_classes_load_string(&cls, classes, &d) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rule_vars_free(vars);
	rule_classes_release(&cls);
	return 0;
}

static struct rule *ok(const char *text)
{
	struct rule *r = NULL;
	struct mamori_diag d = {0};
	int rc = rule_parse(text, vars, &cls, &r, &d);
	if (rc != 0)
		print_message("unexpected rejection of\n  %s\n  col %u: %s\n", text, d.column, d.msg);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	return r;
}

/* Expects rejection with exactly msg; at (if not NULL) is the text the
 * reported column must point at (first occurrence in the rule). */
static void bad(const char *text, const char *msg, const char *at)
{
	struct rule *r = NULL;
	struct mamori_diag d = {0};
	int rc = rule_parse(text, vars, &cls, &r, &d);
	if (rc != MAMORI_EFORMAT)
		print_message("accepted: %s\n", text);
	assert_int_equal(rc, MAMORI_EFORMAT);
	assert_null(r);
	assert_string_equal(d.msg, msg);
	if (at) {
		const char *p = strstr(text, at);
		assert_non_null(p);
		assert_int_equal(d.column, (unsigned)(p - text) + 1);
	}
}

#define TCP(opts) "alert tcp any any -> any any (" opts " sid:1;)"
#define HTTP(opts) "alert http any any -> any any (" opts " sid:1;)"

static const struct rule_sm *sm_at(const struct rule *r, int list, uint32_t i)
{
	assert_true(i < r->lists[list].n);
	return &r->lists[list].v[i];
}

static const struct rule_content *content_at(const struct rule *r, int list, uint32_t i)
{
	const struct rule_sm *sm = sm_at(r, list, i);
	assert_int_equal(sm->kw, RULE_KW_CONTENT);
	return sm->ctx;
}

/* ---- header ------------------------------------------------------------ */

static void test_header(void **state)
{
	(void)state;
	struct rule *r = ok("drop http $HOME_NET any <> $EXTERNAL_NET $HTTP_PORTS "
			    "(msg:\"a \\\"quoted\\\" \\; msg\"; classtype:trojan-activity; "
			    "sid:2000001; rev:7; gid:3;)");
	assert_int_equal(r->action, RULE_ACT_DROP);
	assert_int_equal(r->ipproto, 6);
	assert_int_equal(r->app, APP_HTTP);
	assert_true(r->bidir);
	assert_string_equal(r->msg, "a \"quoted\" ; msg");
	assert_int_equal(r->sid, 2000001);
	assert_int_equal(r->rev, 7);
	assert_int_equal(r->gid, 3);
	assert_non_null(r->cls);
	assert_string_equal(r->cls->desc, "A Network Trojan was detected");
	assert_int_equal(r->priority, 1);
	assert_true(rule_portset_has(&r->dport, 80));
	assert_false(rule_portset_has(&r->dport, 81));
	assert_true(rule_portset_has(&r->sport, 12345));
	assert_true(rule_addrset_has_v4(&r->src, 0xc0a80101));	/* 192.168.1.1 */
	assert_false(rule_addrset_has_v4(&r->dst, 0xc0a80101));
	assert_true(rule_addrset_has_v4(&r->dst, 0x08080808));
	rule_free(r);

	r = ok("alert ftp any any -> any any (priority:2; classtype:misc-activity; sid:5;)");
	assert_true(r->proto_flags & RULE_PROTO_APP_UNPARSED);
	assert_int_equal(r->priority, 2);	/* explicit beats the class */
	assert_int_equal(r->gid, 1);
	rule_free(r);

	r = ok("pass tcp-pkt any any -> any any (sid:6;)");
	assert_int_equal(r->action, RULE_ACT_PASS);
	assert_true(r->proto_flags & RULE_PROTO_PKT_ONLY);
	assert_int_equal(r->priority, 3);
	rule_free(r);

	bad("alertx tcp any any -> any any (sid:1;)", "unknown action 'alertx'", "alertx");
	bad("alert tcpx any any -> any any (sid:1;)", "unknown protocol 'tcpx'", "tcpx");
	bad("alert tcp any any <- any any (sid:1;)", "direction '<-' is not supported", "<-");
	bad("alert tcp any any >> any any (sid:1;)", "expected '->' or '<>', found '>>'", ">>");
	bad("alert tcp any any -> any (sid:1;)",
	    "rule header needs 7 fields (action proto src sport -> dst dport), found 6", NULL);
	bad("alert tcp any any -> any any sid:1;", "missing '(' before the rule options", NULL);
	bad("alert tcp any any -> any any (sid:1;", "rule options must end with ')'", NULL);
	bad("alert tcp any any -> any any (msg:\"x\";)", "rule has no sid", NULL);
	bad(TCP("sid:0;"), "sid: invalid value '0'", "sid:0");
	bad(TCP("sid:2;"), "duplicate 'sid'", "sid:1");
	bad(TCP("msg:\"x;"), "msg: unterminated string", "msg");
	bad(TCP("classtype:nope;"), "unknown classtype 'nope'", "classtype");
	bad(TCP("priority:0;"), "priority: invalid value '0' (1-255)", "priority");
	bad(TCP("foo:bar;"), "unknown keyword 'foo'", "foo");
	bad(TCP("frame:http.request;"), "unsupported keyword 'frame'", "frame");
	bad(TCP("nocase:1;"), "'nocase' takes no argument", "nocase");
	bad(TCP("content;"), "'content' needs an argument", "content");
}

static void test_meta(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("reference:url,example.com/a,b; reference: cve , 2008-4250;"
				" metadata:created_at 2010_01_01, updated_at 2019_01_01;"
				" metadata:former_category TROJAN; target:dest_ip;"));
	assert_int_equal(r->nrefs, 2);
	assert_string_equal(r->refs[0], "url,example.com/a,b");
	assert_string_equal(r->refs[1], "cve,2008-4250");
	assert_int_equal(r->nmeta, 3);
	assert_string_equal(r->metadata[0], "created_at 2010_01_01");
	assert_string_equal(r->metadata[2], "former_category TROJAN");
	assert_true(r->flags & RULE_F_TARGET_DST);
	rule_free(r);
	bad(TCP("reference:nocomma;"), "reference: expected 'type,value', got 'nocomma'", "reference");
	bad(TCP("target:both;"), "target: expected src_ip or dest_ip, got 'both'", "target");
	bad(TCP("metadata:a,,b;"), "metadata: empty entry", "metadata");
}

/* ---- addresses, ports, variables --------------------------------------- */

static void addr(const char *text, struct rule_addrset *s)
{
	struct mamori_diag d = {0};
	int rc = rule_addrset_parse(s, text, vars, &d);
	if (rc)
		print_message("%s: %s\n", text, d.msg);
	assert_int_equal(rc, 0);
}

static void addr_bad(const char *text, const char *msg, unsigned col)
{
	struct rule_addrset s;
	struct mamori_diag d = {0};
	assert_int_equal(rule_addrset_parse(&s, text, vars, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, msg);
	assert_int_equal(d.column, col);
}

static void test_addresses(void **state)
{
	(void)state;
	struct rule_addrset s;
	addr("[10.0.0.0/8,!10.1.0.0/16,![10.2.0.0/16,!10.2.3.4]]", &s);
	assert_true(rule_addrset_has_v4(&s, 0x0a000001));
	assert_false(rule_addrset_has_v4(&s, 0x0a010203));
	assert_false(rule_addrset_has_v4(&s, 0x0a020001));
	assert_true(rule_addrset_has_v4(&s, 0x0a020304));	/* !! inside */
	assert_false(rule_addrset_has_v4(&s, 0x0b000001));
	assert_int_equal(s.n6, 0);
	assert_false(s.any);
	rule_addrset_release(&s);

	addr("any", &s);
	assert_true(s.any);
	rule_addrset_release(&s);

	addr("$EXTERNAL_NET", &s);
	assert_false(rule_addrset_has_v4(&s, 0xac100001));	/* 172.16.0.1 */
	assert_true(rule_addrset_has_v4(&s, 0xac200001));	/* 172.32.0.1 */
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	assert_true(rule_addrset_has_v6(&s, v6));
	rule_addrset_release(&s);

	addr("[2001:db8::/32, 1.2.3.4-1.2.3.9, 192.168.1.0/255.255.255.0]", &s);
	assert_true(rule_addrset_has_v6(&s, v6));
	v6[3] = 0xb9;
	assert_false(rule_addrset_has_v6(&s, v6));
	assert_true(rule_addrset_has_v4(&s, 0x01020309));
	assert_false(rule_addrset_has_v4(&s, 0x0102030a));
	assert_true(rule_addrset_has_v4(&s, 0xc0a801ff));
	assert_false(rule_addrset_has_v4(&s, 0xc0a80200));
	rule_addrset_release(&s);

	addr("!$HOME_NET", &s);
	assert_false(rule_addrset_has_v4(&s, 0x0a000001));
	rule_addrset_release(&s);

	addr_bad("[1.2.3.4,$NOPE]", "unknown address variable '$NOPE'", 10);
	addr_bad("$HTTP_PORTS", "unknown address variable '$HTTP_PORTS'", 1);
	addr_bad("!any", "address group '!any' matches no address", 1);
	addr_bad("1.2.3.4/33", "prefix length out of range in '1.2.3.4/33'", 1);
	addr_bad("[1.2.3.4,1.2.3.300]", "invalid address '1.2.3.300'", 10);
	addr_bad("1.2.3.9-1.2.3.4", "address range '1.2.3.9-1.2.3.4' is reversed", 1);
	addr_bad("[1.2.3.4", "missing ']'", 9);
	addr_bad("1.2.3.4]", "unbalanced ']'", 8);
	addr_bad("1.2.3.4/255.0.255.0", "non-contiguous netmask in '1.2.3.4/255.0.255.0'", 1);

	/* errors in the header carry the column of the token */
	bad("alert tcp [1.2.3.4,nope] any -> any any (sid:1;)", "invalid address 'nope'", "nope");
}

static void test_ports(void **state)
{
	(void)state;
	struct rule_portset s;
	struct mamori_diag d = {0};
	assert_int_equal(rule_portset_parse(&s, "[1024:,!2000:2010,80, 443]", vars, &d), 0);
	assert_true(rule_portset_has(&s, 80));
	assert_true(rule_portset_has(&s, 443));
	assert_true(rule_portset_has(&s, 1024));
	assert_true(rule_portset_has(&s, 65535));
	assert_false(rule_portset_has(&s, 2005));
	assert_false(rule_portset_has(&s, 1023));
	rule_portset_release(&s);
	assert_int_equal(rule_portset_parse(&s, "$SHELLCODE_PORTS", vars, &d), 0);
	assert_false(rule_portset_has(&s, 80));
	assert_true(rule_portset_has(&s, 81));
	rule_portset_release(&s);
	assert_int_equal(rule_portset_parse(&s, "[$FILE_DATA_PORTS,:20]", vars, &d), 0);
	assert_true(rule_portset_has(&s, 143));
	assert_true(rule_portset_has(&s, 0));
	assert_false(rule_portset_has(&s, 21));
	rule_portset_release(&s);

	assert_int_equal(rule_portset_parse(&s, "70000", vars, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "invalid port '70000'");
	assert_int_equal(rule_portset_parse(&s, "[80,90:85]", vars, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "port range '90:85' is reversed");
	assert_int_equal(d.column, 5);
	assert_int_equal(rule_portset_parse(&s, "!any", vars, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "port group '!any' matches no port");
	assert_int_equal(rule_portset_parse(&s, "$HOME_NET", vars, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "unknown port variable '$HOME_NET'");
}

static void test_vars(void **state)
{
	(void)state;
	struct rule_vars *v = rule_vars_new();
	assert_non_null(v);
	assert_string_equal(rule_vars_get(v, "HTTP_PORTS"), "80");
	assert_string_equal(rule_vars_get(v, "$EXTERNAL_NET"), "!$HOME_NET");
	assert_int_equal(rule_vars_set(v, "HOME_NET", "[192.0.2.0/24]"), 0);
	assert_int_equal(rule_vars_set(v, "HTTP_PORTS", "[80,8080]"), 0);
	assert_int_equal(rule_vars_set(v, "bad name", "1"), MAMORI_EINVAL);
	assert_int_equal(rule_vars_set(v, "LOOP", "[1.1.1.1,$LOOP]"), 0);
	struct rule *r = NULL;
	struct mamori_diag d = {0};
	assert_int_equal(rule_parse("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (sid:1;)",
				    v, &cls, &r, &d), 0);
	assert_true(rule_addrset_has_v4(&r->dst, 0xc0000201));
	assert_false(rule_addrset_has_v4(&r->dst, 0x0a000001));
	assert_true(rule_addrset_has_v4(&r->src, 0x0a000001));
	assert_true(rule_portset_has(&r->dport, 8080));
	rule_free(r);
	const char *loop = "alert tcp $LOOP any -> any any (sid:1;)";
	assert_int_equal(rule_parse(loop, v, &cls, &r, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "in $LOOP: variables nested too deep at '$LOOP'");
	assert_int_equal(d.column, 11);
	rule_vars_free(v);
}

/* ---- content ----------------------------------------------------------- */

static void test_content(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("content:\"a|0d 0A|b\\;\\\"\\\\\\:\"; content:! \"neg\";"));
	const struct rule_content *c = content_at(r, RULE_LIST_PMATCH, 0);
	assert_int_equal(c->len, 8);
	assert_memory_equal(c->pat, "a\r\nb;\"\\:", 8);
	c = content_at(r, RULE_LIST_PMATCH, 1);
	assert_true(c->flags & RULE_CF_NEGATED);
	assert_memory_equal(c->pat, "neg", 3);
	rule_free(r);

	bad(TCP("content:abc;"), "content: the pattern must be enclosed in double quotes", "content");
	bad(TCP("content:\"|0d 0|\";"), "content: odd number of hex digits", "content");
	bad(TCP("content:\"|zz|\";"), "content: invalid hex character 'z'", "content");
	bad(TCP("content:\"|0d\";"), "content: unterminated hex block '|'", "content");
	bad(TCP("content:\"a\\x\";"), "content: invalid escape '\\x'", "content");
	bad(TCP("content:\"a\"b\";"), "content: unescaped '\"' in pattern", "content");
	bad(TCP("content:\"\";"), "content: empty pattern", "content");
}

static void test_content_modifiers(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("content:\"abc\"; nocase; offset:2; depth:10; content:\"de\";"
				" distance:-1; within:5; content:\"fg\"; startswith; endswith;"
				" rawbytes;"));
	const struct rule_content *a = content_at(r, RULE_LIST_PMATCH, 0);
	const struct rule_content *b = content_at(r, RULE_LIST_PMATCH, 1);
	const struct rule_content *c = content_at(r, RULE_LIST_PMATCH, 2);
	assert_true(a->flags & RULE_CF_NOCASE);
	assert_int_equal(a->offset, 2);
	assert_int_equal(a->depth, 10);
	assert_true(a->flags & RULE_CF_RELATIVE_NEXT);
	assert_int_equal(b->distance, -1);
	assert_int_equal(b->within, 5);
	assert_false(b->flags & RULE_CF_RELATIVE_NEXT);
	assert_true(c->flags & RULE_CF_STARTSWITH);
	assert_true(c->flags & RULE_CF_ENDSWITH);
	assert_true(c->flags & RULE_CF_RAWBYTES);
	assert_int_equal(c->depth, 2);
	rule_free(r);

	r = ok(TCP("byte_extract:2,0,len; content:\"x\"; distance:len; within:len;"));
	c = content_at(r, RULE_LIST_PMATCH, 1);
	assert_true(c->flags & RULE_CF_DISTANCE_VAR);
	assert_int_equal(c->distance, 0);
	rule_free(r);

	bad(TCP("nocase;"), "'nocase' needs a preceding content", "nocase");
	bad(TCP("content:\"a\"; nocase; nocase;"), "nocase already set for this content", "nocase; sid");
	bad(TCP("content:\"abcd\"; depth:3;"), "depth 3 is smaller than the content length 4", "depth");
	bad(TCP("content:\"abcd\"; within:3;"), "within 3 is smaller than the content length 4", "within");
	bad(TCP("content:\"a\"; content:\"b\"; distance:0; depth:4;"),
	    "'depth' cannot be mixed with distance/within on the same content", "depth");
	bad(TCP("content:\"a\"; offset:1; distance:1;"),
	    "'distance' cannot be mixed with depth/offset on the same content", "distance");
	bad(TCP("content:\"a\"; depth:x;"), "depth: unknown variable 'x'", "depth");
	bad(TCP("content:\"a\"; depth:-1;"), "depth: invalid number '-1'", "depth");
	bad(TCP("content:\"a\"; startswith; offset:1;"), "'offset' cannot be used with startswith", "offset");
	bad(TCP("content:\"a\"; depth:2; depth:3;"), "depth already set for this content", "depth:3");
}

static void test_fast_pattern_keyword(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("content:\"abcdef\"; fast_pattern:1,3; content:\"x\";"));
	const struct rule_content *c = content_at(r, RULE_LIST_PMATCH, 0);
	assert_true(c->flags & RULE_CF_FP_CHOP);
	assert_int_equal(c->fp_off, 1);
	assert_int_equal(c->fp_len, 3);
	assert_ptr_equal(rule_fast_pattern(r), c);
	rule_free(r);
	r = ok(TCP("content:\"a\"; content:\"bb\"; fast_pattern:only;"));
	assert_true(content_at(r, RULE_LIST_PMATCH, 1)->flags & RULE_CF_FP_ONLY);
	rule_free(r);
	bad(TCP("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;"),
	    "fast_pattern can be used only once per rule", "fast_pattern; sid");
	bad(TCP("content:\"abc\"; fast_pattern:2,2;"),
	    "fast_pattern: 2,2 is outside the content (length 3)", "fast_pattern");
	bad(TCP("content:!\"abc\"; fast_pattern:only;"),
	    "fast_pattern:only cannot be used on a negated content", "fast_pattern");
	bad(TCP("content:\"abc\"; fast_pattern:only; depth:5;"),
	    "'depth' cannot be used with fast_pattern:only", "depth");
	bad(TCP("content:\"abc\"; fast_pattern:x;"),
	    "fast_pattern: expected 'only' or 'offset,length', got 'x'", "fast_pattern");
}

/* The choice documented in parse.c. */
static void test_fast_pattern_choice(void **state)
{
	(void)state;
	/* app buffers (priority 2) beat the longer payload content */
	struct rule *r = ok(TCP("content:\"a long payload pattern\"; content:\"/x.php\"; http_uri;"));
	assert_int_equal(r->fp_list, RULE_LIST_BUF + APP_BUF_HTTP_URI);
	rule_free(r);
	/* http.method has the payload's priority: the longest wins */
	r = ok(HTTP("content:\"POST\"; http_method; content:\"longer one\";"));
	assert_int_equal(r->fp_list, RULE_LIST_PMATCH);
	rule_free(r);
	/* negated contents only when nothing else */
	r = ok(TCP("content:!\"very long negated\"; content:\"ab\";"));
	assert_memory_equal(rule_fast_pattern(r)->pat, "ab", 2);
	rule_free(r);
	r = ok(TCP("content:!\"nn\"; content:!\"mmm\";"));
	assert_memory_equal(rule_fast_pattern(r)->pat, "mmm", 3);
	assert_true(rule_fast_pattern(r)->flags & RULE_CF_MPM);
	rule_free(r);
	/* same length: higher pattern strength (|00 01| beats "aa") */
	r = ok(TCP("content:\"aa\"; content:\"|00 01|\";"));
	assert_int_equal(rule_fast_pattern(r)->pat[0], 0);
	rule_free(r);
	/* same length and strength: first in the rule */
	r = ok(TCP("content:\"ab\"; content:\"cd\";"));
	assert_memory_equal(rule_fast_pattern(r)->pat, "ab", 2);
	rule_free(r);
	/* explicit wins over everything */
	r = ok(TCP("content:\"a\"; fast_pattern; content:\"/long/uri\"; http_uri;"));
	assert_int_equal(r->fp_list, RULE_LIST_PMATCH);
	rule_free(r);
	/* chop counts its length */
	r = ok(TCP("content:\"abcdefgh\"; fast_pattern:0,2; content:\"xyz\";"));
	assert_memory_equal(rule_fast_pattern(r)->pat, "abcdefgh", 8);
	rule_free(r);
	/* no content: no fast pattern; base64_data is never prefiltered */
	r = ok(TCP("flow:established; base64_decode; base64_data; content:\"zz\";"));
	assert_int_equal(r->fp_list, -1);
	assert_null(rule_fast_pattern(r));
	rule_free(r);
}

/* ---- buffers ----------------------------------------------------------- */

static void test_buffers(void **state)
{
	(void)state;
	struct rule *r = ok("alert tcp any any -> any any (content:\"GET\"; http_method;"
			    " content:\"/a\"; http_uri; content:\"b\"; distance:0; http_uri;"
			    " uricontent:\"c\"; http.user_agent; content:\"Mozilla\";"
			    " pkt_data; content:\"raw\"; sid:1;)");
	assert_int_equal(r->app, APP_HTTP);	/* bound by the buffers */
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_METHOD].n, 1);
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_URI].n, 3);
	assert_true(content_at(r, RULE_LIST_BUF + APP_BUF_HTTP_URI, 0)->flags & RULE_CF_RELATIVE_NEXT);
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_USER_AGENT].n, 1);
	assert_int_equal(r->lists[RULE_LIST_PMATCH].n, 1);
	assert_memory_equal(content_at(r, RULE_LIST_PMATCH, 0)->pat, "raw", 3);
	rule_free(r);

	r = ok("alert dns any any -> any any (dns_query; content:\"evil\"; nocase;"
	       " dataset:isset,bad-domains,type string,load bad.lst,memcap 10mb; sid:1;)");
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_DNS_QUERY].n, 2);
	const struct rule_dataset *ds = sm_at(r, RULE_LIST_BUF + APP_BUF_DNS_QUERY, 1)->ctx;
	assert_int_equal(ds->cmd, RULE_DS_ISSET);
	assert_string_equal(ds->name, "bad-domains");
	assert_string_equal(ds->load, "bad.lst");
	assert_null(ds->save);
	assert_int_equal(ds->memcap, 10u << 20);
	rule_free(r);

	r = ok("alert tcp any any -> any any (file_data; content:\"x\"; http_header_names;"
	       " content:!\"Referer\"; sid:1;)");
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_RESPONSE_BODY].n, 1);
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_HEADER_NAMES].n, 1);
	rule_free(r);

	bad(HTTP("http.uri; content:\"a\"; http_uri;"),
	    "'http_uri' cannot be used while the sticky buffer http.uri is set", "http_uri");
	bad(HTTP("content:\"a\"; http_uri; http_header;"),
	    "'http_header' cannot be used on a content already in http.uri", "http_header");
	bad(HTTP("content:\"a\"; http_uri; http_uri;"),
	    "'http_uri' already applies to this content", "http_uri; sid");
	bad(HTTP("tls.sni; content:\"a\";"), "'tls.sni' cannot be used in a 'http' rule", "tls.sni");
	bad("alert icmp any any -> any any (http_uri; sid:1;)",
	    "'http_uri' needs a preceding content", "http_uri");
	bad(HTTP("content:\"a\"; rawbytes; http_uri;"),
	    "'http_uri' cannot be used with rawbytes", "http_uri");
	bad("alert smtp any any -> any any (file_data; content:\"a\"; sid:1;)",
	    "file_data in smtp rules is not supported yet (only HTTP bodies)", "file_data");
	bad(TCP("dataset:set,x,type string;"), "dataset needs a sticky buffer", "dataset");
	bad("alert dns any any -> any any (dns.query; dataset:set,x; sid:1;)",
	    "dataset: 'type' is required", "dataset");
	bad("alert dns any any -> any any (dns.query; dataset:add,x,type string; sid:1;)",
	    "dataset: unknown command 'add'", "dataset");
	bad("alert dns any any -> any any (dns.query; dataset:set,x,type sha1; sid:1;)",
	    "dataset: unknown type 'sha1'", "dataset");
	bad(TCP("bsize:10;"), "bsize needs a sticky buffer", "bsize");
}

/* ---- pcre -------------------------------------------------------------- */

static void test_pcre(void **state)
{
	(void)state;
	struct rule *r = ok(HTTP("content:\"/x\"; http_uri; pcre:\"/^\\/x\\d+$/URi\";"
				 " pcre:!\"/evil/smxAEGBO\"; pcre:/Java/\\d/Vi\";"));
	const struct rule_sm *sm = sm_at(r, RULE_LIST_BUF + APP_BUF_HTTP_URI, 1);
	assert_int_equal(sm->kw, RULE_KW_PCRE);
	const struct rule_pcre *p = sm->ctx;
	assert_true(p->flags & RULE_PF_RELATIVE);
	assert_non_null(p->code);
	assert_true(content_at(r, RULE_LIST_BUF + APP_BUF_HTTP_URI, 0)->flags & RULE_CF_RELATIVE_NEXT);
	p = sm_at(r, RULE_LIST_PMATCH, 0)->ctx;
	assert_true(p->flags & RULE_PF_NEGATED);
	assert_true(p->flags & RULE_PF_RAWBYTES);
	assert_true(p->flags & RULE_PF_MATCH_LIMIT);
	assert_int_equal(r->lists[RULE_LIST_BUF + APP_BUF_HTTP_USER_AGENT].n, 1);
	rule_free(r);

	r = ok(TCP("pcre:\"/uid=(\\d+)/, pkt:uid\";"));
	p = sm_at(r, RULE_LIST_PMATCH, 0)->ctx;
	assert_int_equal(p->ncapture, 1);
	assert_string_equal(p->capture[0], "pkt:uid");
	rule_free(r);

	bad(TCP("pcre:\"/a/q\";"), "pcre: unknown flag 'q'", "pcre");
	bad(TCP("pcre:\"abc\";"), "pcre: expected \"/regex/flags\"", "pcre");
	bad(TCP("pcre:\"/a/UH\";"), "pcre: flag 'H' conflicts with another buffer flag", "pcre");
	bad(TCP("pcre:\"/(a/\";"), "pcre: missing closing parenthesis at offset 2 of /(a/", "pcre");
	bad(HTTP("http.cookie; pcre:\"/a/U\";"),
	    "pcre: buffer flag for http.uri while the sticky buffer http.cookie is set", "pcre");
	bad(TCP("pcre:\"/(a)/, pkt:x, pkt:y\";"), "pcre: 2 capture variables but only 1 groups", "pcre");
}

/* ---- numeric, byte and payload keywords -------------------------------- */

static const struct rule_cmp *cmp_of(const struct rule *r, int list, uint32_t i, uint16_t kw)
{
	const struct rule_sm *sm = sm_at(r, list, i);
	assert_int_equal(sm->kw, kw);
	return sm->ctx;
}

static void test_numeric(void **state)
{
	(void)state;
	struct rule *r = ok(HTTP("dsize:>10; urilen:5<>9,raw; ttl:!64; itype:8; icode:<3;"
				 " id:1234; seq:0; window:!1024; http.host; bsize:<=20;"
				 " stream_size:server,>=,100;"));
	const struct rule_cmp *c = cmp_of(r, RULE_LIST_MATCH, 0, RULE_KW_DSIZE);
	assert_true(rule_cmp_eval(c, 11));
	assert_false(rule_cmp_eval(c, 10));
	c = cmp_of(r, RULE_LIST_BUF + APP_BUF_HTTP_URI_RAW, 0, RULE_KW_URILEN);
	assert_int_equal(c->op, RULE_CMP_RANGE);
	assert_true(rule_cmp_eval(c, 6));
	assert_false(rule_cmp_eval(c, 9));
	c = cmp_of(r, RULE_LIST_MATCH, 1, RULE_KW_TTL);
	assert_false(rule_cmp_eval(c, 64));
	assert_true(rule_cmp_eval(c, 63));
	c = cmp_of(r, RULE_LIST_BUF + APP_BUF_HTTP_HOST, 0, RULE_KW_BSIZE);
	assert_true(rule_cmp_eval(c, 20));
	assert_false(rule_cmp_eval(c, 21));
	c = cmp_of(r, RULE_LIST_MATCH, 7, RULE_KW_STREAM_SIZE);
	assert_int_equal(c->flags, RULE_CMPF_SERVER);
	assert_true(rule_cmp_eval(c, 100));
	rule_free(r);

	bad(TCP("dsize:abc;"), "dsize: invalid value 'abc'", "dsize");
	bad(TCP("dsize:70000;"), "dsize: invalid value '70000'", "dsize");
	bad(TCP("dsize:9<>3;"), "dsize: range '9<>3' is empty", "dsize");
	bad(TCP("dsize:<0;"), "dsize: '<0' can never match", "dsize");
	bad(TCP("ttl:256;"), "ttl: invalid value '256'", "ttl");
	bad(TCP("urilen:5,foo;"), "urilen: expected 'norm' or 'raw', got 'foo'", "urilen");
	bad(TCP("stream_size:middle,<,5;"), "stream_size: unknown side 'middle'", "stream_size");
	bad(TCP("stream_size:both,~,5;"), "stream_size: unknown operator '~'", "stream_size");
}

static void test_byte_keywords(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("content:\"x\"; byte_test:4,!&,0x10,2,relative,little,bitmask 0xff;"
				" byte_extract:2,0,len,relative,multiplier 2,align 4;"
				" byte_jump:len,0,relative,post_offset -2,from_beginning;"
				" byte_test:0,>,99,0,string,dec;"
				" byte_math:bytes 2,offset 0,oper <<,rvalue len,result res,relative;"
				" isdataat:!res,relative; byte_jump:8,4,string,hex,little;"));
	const struct rule_byte *b = sm_at(r, RULE_LIST_PMATCH, 1)->ctx;
	assert_int_equal(b->nbytes, 4);
	assert_int_equal(b->op, RULE_BOP_AND);
	assert_true(b->flags & RULE_BF_NEGATED);
	assert_true(b->flags & RULE_BF_LITTLE);
	assert_int_equal(b->value, 16);
	assert_int_equal(b->bitmask, 0xff);
	assert_true(content_at(r, RULE_LIST_PMATCH, 0)->flags & RULE_CF_RELATIVE_NEXT);
	b = sm_at(r, RULE_LIST_PMATCH, 2)->ctx;
	assert_int_equal(b->var, 0);
	assert_int_equal(b->multiplier, 2);
	assert_int_equal(b->align, 4);
	b = sm_at(r, RULE_LIST_PMATCH, 3)->ctx;
	assert_true(b->flags & RULE_BF_NBYTES_VAR);
	assert_int_equal(b->post_offset, -2);
	b = sm_at(r, RULE_LIST_PMATCH, 4)->ctx;
	assert_int_equal(b->nbytes, 0);
	assert_int_equal(b->base, 10);
	b = sm_at(r, RULE_LIST_PMATCH, 5)->ctx;
	assert_int_equal(b->op, RULE_MOP_SHL);
	assert_true(b->flags & RULE_BF_RVALUE_VAR);
	assert_int_equal(b->var, 1);
	const struct rule_isdataat *d = sm_at(r, RULE_LIST_PMATCH, 6)->ctx;
	assert_true(d->flags & RULE_IF_VAR);
	assert_true(d->flags & RULE_IF_NEGATED);
	assert_int_equal(d->n, 1);
	b = sm_at(r, RULE_LIST_PMATCH, 7)->ctx;
	assert_false(b->flags & RULE_BF_LITTLE);	/* ignored with string */
	assert_int_equal(b->base, 16);
	assert_int_equal(r->nvars, 2);
	rule_free(r);

	bad(TCP("byte_test:4,~,1,0;"), "byte_test: unknown operator '~'", "byte_test");
	bad(TCP("byte_test:9,=,1,0;"), "byte_test: at most 8 bytes can be converted", "byte_test");
	bad(TCP("byte_test:0,=,1,0;"), "byte_test: 0 bytes can only be used with string", "byte_test");
	bad(TCP("byte_test:4,=,1;"), "byte_test: expected 'bytes,operator,value,offset[,options]'", "byte_test");
	bad(TCP("byte_test:4,=,nope,0;"), "byte_test: unknown variable 'nope'", "byte_test");
	bad(TCP("byte_test:4,=,1,0,big,little;"), "byte_test: both big and little endian given", "byte_test");
	bad(TCP("byte_test:4,=,1,0,hex;"), "byte_test: a number base needs 'string'", "byte_test");
	bad(TCP("byte_test:4,=,1,0,sideways;"), "byte_test: unknown option 'sideways'", "byte_test");
	bad(TCP("byte_jump:4,0,from_beginning,from_end;"),
	    "byte_jump: from_beginning and from_end both given", "byte_jump");
	bad(TCP("byte_jump:4,0,multiplier 0;"), "byte_jump: invalid multiplier '0'", "byte_jump");
	bad(TCP("byte_extract:2,0,v; byte_extract:2,0,v;"),
	    "byte_extract: variable 'v' already defined", "byte_extract:2,0,v; sid");
	bad(TCP("byte_extract:2,0,1v;"), "byte_extract: invalid variable name '1v'", "byte_extract");
	bad(TCP("byte_extract:2,0,v,align 3;"), "byte_extract: align must be 2 or 4, got '3'", "byte_extract");
	bad(TCP("byte_math:bytes 2,offset 0,oper +,rvalue 1;"),
	    "byte_math: bytes, offset, oper, rvalue and result are required", "byte_math");
	bad(TCP("byte_math:bytes 2,offset 0,oper /,rvalue 0,result r;"),
	    "byte_math: division by zero", "byte_math");
	bad(TCP("byte_math:bytes 2,offset 0,oper %,rvalue 1,result r;"),
	    "byte_math: unknown operator '%'", "byte_math");
	bad(TCP("isdataat:5,sideways;"), "isdataat: unknown option 'sideways'", "isdataat");
	bad(TCP("isdataat:-1;"), "isdataat: invalid number '-1'", "isdataat");

	r = ok(TCP("content:\"x\"; base64_decode:bytes 10,offset 2,relative; base64_data;"
		   " content:\"y\"; bsize:1;"));
	const struct rule_b64 *b64 = sm_at(r, RULE_LIST_PMATCH, 1)->ctx;
	assert_int_equal(b64->bytes, 10);
	assert_int_equal(b64->offset, 2);
	assert_true(b64->relative);
	assert_int_equal(r->lists[RULE_LIST_BASE64].n, 2);
	rule_free(r);
	bad(TCP("base64_data;"), "base64_data needs a preceding base64_decode", "base64_data");
	bad(TCP("base64_decode:bytes x;"), "base64_decode: invalid bytes 'x'", "base64_decode");
	bad(TCP("base64_decode:size 1;"), "base64_decode: unknown option 'size'", "base64_decode");
}

/* ---- flow, bits, thresholds -------------------------------------------- */

static void test_flow_state(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("flow:established,to_server,no_stream;"
				" flowbits:isset,a|b; flowbits:set,c; flowbits:noalert;"
				" xbits:set,x,track ip_pair,expire 60; hostbits:isset,h,dst;"
				" flowint:cnt,+,1; flowint:cnt,>,5;"
				" threshold:type both, track by_src, count 10, seconds 60;"
				" tag:host,10,seconds,src;"));
	const struct rule_flow *f = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	assert_int_equal(f->flags, RULE_FLOW_ESTABLISHED | RULE_FLOW_TOSERVER | RULE_FLOW_NO_STREAM);
	const struct rule_bits *b = sm_at(r, RULE_LIST_MATCH, 1)->ctx;
	assert_int_equal(b->cmd, RULE_BITS_ISSET);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->names[1], "b");
	b = sm_at(r, RULE_LIST_POSTMATCH, 0)->ctx;
	assert_int_equal(b->cmd, RULE_BITS_SET);
	assert_true(r->flags & RULE_F_NOALERT);
	b = sm_at(r, RULE_LIST_POSTMATCH, 1)->ctx;
	assert_int_equal(b->track, RULE_TRACK_PAIR);
	assert_int_equal(b->expire, 60);
	b = sm_at(r, RULE_LIST_MATCH, 2)->ctx;
	assert_int_equal(b->track, RULE_TRACK_DST);
	const struct rule_flowint *fi = sm_at(r, RULE_LIST_POSTMATCH, 2)->ctx;
	assert_int_equal(fi->op, RULE_FI_ADD);
	fi = sm_at(r, RULE_LIST_MATCH, 3)->ctx;
	assert_int_equal(fi->op, RULE_FI_GT);
	assert_int_equal(fi->value, 5);
	const struct rule_threshold *t = sm_at(r, RULE_LIST_THRESHOLD, 0)->ctx;
	assert_int_equal(t->type, RULE_THR_BOTH);
	assert_int_equal(t->track, RULE_TRACK_SRC);
	assert_int_equal(t->count, 10);
	assert_int_equal(t->seconds, 60);
	const struct rule_tag *tg = sm_at(r, RULE_LIST_POSTMATCH, 3)->ctx;
	assert_true(tg->host);
	assert_int_equal(tg->metric, 1);
	rule_free(r);

	r = ok(TCP("detection_filter:track by_dst, count 5, seconds 1;"));
	t = sm_at(r, RULE_LIST_THRESHOLD, 0)->ctx;
	assert_int_equal(t->type, RULE_THR_DETECTION_FILTER);
	rule_free(r);

	bad(TCP("flow:to_server,to_client;"), "flow: conflicting options in 'to_server,to_client'", "flow");
	bad(TCP("flow:sideways;"), "flow: unknown option 'sideways'", "flow");
	bad(TCP("flow:established,established;"), "flow: 'established' given twice", "flow");
	bad(TCP("flowbits:set,a|b;"), "flowbits: OR lists ('|') work only with isset and isnotset", "flowbits");
	bad(TCP("flowbits:sett,a;"), "flowbits: unknown command 'sett'", "flowbits");
	bad(TCP("flowbits:set;"), "flowbits: 'set' needs a name", "flowbits");
	bad(TCP("xbits:set,x;"), "xbits: 'track ip_src|ip_dst|ip_pair' is required", "xbits");
	bad(TCP("xbits:set,x,track ip_all;"), "xbits: unknown track 'ip_all'", "xbits");
	bad(TCP("flowint:c,isset,3;"), "flowint: 'isset' takes no value", "flowint");
	bad(TCP("flowint:c,+;"), "flowint: '+' needs a value", "flowint");
	bad(TCP("threshold:type limit, track by_src, count 1;"),
	    "threshold: type, track, count and seconds are required", "threshold");
	bad(TCP("threshold:type often, track by_src, count 1, seconds 1;"),
	    "threshold: unknown type 'often'", "threshold");
	bad(TCP("threshold:type limit, track by_src, count 1, seconds 1;"
		" detection_filter:track by_src, count 1, seconds 1;"),
	    "detection_filter: threshold and detection_filter cannot be used in the same rule",
	    "detection_filter");
	bad(TCP("tag:session,5;"), "tag: expected 'session|host[,count,metric[,src|dst]]'", "tag");
}

static void test_packet_keywords(void **state)
{
	(void)state;
	struct rule *r = ok(TCP("flags:SA+,12; fragbits:!D; ipopts:lsrr; ip_proto:!udp;"
				" sameip; ftpbounce; app-layer-event:http.gzip_failed;"
				" stream-event:3whs_ack_in_wrong_dir;"));
	const struct rule_bitmask *m = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	assert_int_equal(m->want, RULE_TCP_SYN | RULE_TCP_ACK);
	assert_int_equal(m->mode, RULE_BM_ALL);
	assert_int_equal(m->ignore, RULE_TCP_CWR | RULE_TCP_ECE);
	m = sm_at(r, RULE_LIST_MATCH, 1)->ctx;
	assert_int_equal(m->mode, RULE_BM_NOT);
	const struct rule_cmp *c = cmp_of(r, RULE_LIST_MATCH, 3, RULE_KW_IP_PROTO);
	assert_int_equal(c->op, RULE_CMP_NE);
	assert_int_equal(c->lo, 17);
	assert_true(r->flags & RULE_F_SAMEIP);
	rule_free(r);

	r = ok("alert tls any any -> any any (ssl_state:client_hello|!server_hello;"
	       " ssl_version:tls1.2,!sslv3; tls.version:1.3; tls_sni; content:\"x\"; sid:1;)");
	m = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	assert_int_equal(m->want, 1);
	assert_int_equal(m->ignore, 2);
	c = cmp_of(r, RULE_LIST_MATCH, 2, RULE_KW_TLS_VERSION);
	assert_int_equal(c->lo, 0x0304);
	rule_free(r);

	r = ok("alert smb any any -> any any (dce_iface:4b324fc8-1670-01d3-1278-5a47bf6ee188;"
	       " dcerpc.opnum:31-32,40; dce_stub_data; content:\"|5c 00|\"; sid:1;)");
	const struct rule_dce_iface *di = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	static const uint8_t srvsvc[16] = {0x4b, 0x32, 0x4f, 0xc8, 0x16, 0x70, 0x01, 0xd3,
					   0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
	assert_memory_equal(di->uuid, srvsvc, 16);
	assert_false(di->has_version);
	const struct rule_ranges *op = sm_at(r, RULE_LIST_MATCH, 1)->ctx;
	assert_int_equal(op->n, 2);
	assert_int_equal(op->v[0][0], 31);
	assert_int_equal(op->v[0][1], 32);
	rule_free(r);

	bad(TCP("flags:SX;"), "flags: unknown flag 'X'", "flags");
	bad(TCP("flags:0S;"), "flags: '0' cannot be combined with other flags", "flags");
	bad(TCP("flags:+*S;"), "flags: conflicting modifiers in '+*S'", "flags");
	bad(TCP("ipopts:foo;"), "ipopts: unknown option 'foo'", "ipopts");
	bad(TCP("ssl_state:hello;"), "ssl_state: unknown state 'hello'", "ssl_state");
	bad(TCP("ssl_version:tls9;"), "ssl_version: unknown version 'tls9'", "ssl_version");
	bad(TCP("tls.version:2.0;"), "tls.version: unknown version '2.0'", "tls.version");
	bad(HTTP("ssl_state:client_hello;"), "'ssl_state' cannot be used in a 'http' rule", "ssl_state");
	bad(TCP("dce_iface:4b324fc8-1670;"),
	    "dcerpc.iface: invalid interface uuid in '4b324fc8-1670'", "dce_iface");
	bad(TCP("dcerpc.opnum:5-2;"), "dcerpc.opnum: invalid value in '5-2'", "dcerpc.opnum");
	bad(TCP("asn1:oversize_length x;"), "asn1: invalid value 'x' for oversize_length", "asn1");
	bad(TCP("asn1:absolute_offset 1,relative_offset 2;"),
	    "asn1: absolute_offset and relative_offset both given", "asn1");
	bad(TCP("dce_iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,3;"),
	    "dcerpc.iface: invalid version '3'", "dce_iface");
	r = ok(TCP("asn1:bitstring_overflow,oversize_length 500,relative_offset -3;"
		   " dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,!2,any_frag;"));
	const struct rule_asn1 *a1 = sm_at(r, RULE_LIST_PMATCH, 0)->ctx;
	assert_int_equal(a1->flags, RULE_ASN1_BITSTRING_OVERFLOW | RULE_ASN1_OVERSIZE_LENGTH |
					RULE_ASN1_RELATIVE_OFFSET);
	assert_int_equal(a1->oversize_length, 500);
	assert_int_equal(a1->relative_offset, -3);
	const struct rule_dce_iface *d2 = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	assert_true(d2->any_frag);
	assert_true(d2->has_version);
	assert_int_equal(d2->op, RULE_CMP_NE);
	assert_int_equal(d2->version, 2);
	rule_free(r);
	bad(TCP("app-layer-event:bad event;"), "app-layer-event: invalid event 'bad event'", "app-layer-event");
	bad("alert tcp any any => any any (sid:1;)", "transactional rules ('=>') are not supported", "=>");

	r = ok(TCP("vlan.id:100-600,2; vlan.id:>=0xC8; vlan.id:!500,all; vlan.layers:>1;"));
	const struct rule_vlan *vl = sm_at(r, RULE_LIST_MATCH, 0)->ctx;
	assert_int_equal(vl->mode, RULE_VLAN_INDEX);
	assert_int_equal(vl->layer, 2);
	assert_true(rule_cmp_eval(&vl->id, 101));
	assert_false(rule_cmp_eval(&vl->id, 600));
	vl = sm_at(r, RULE_LIST_MATCH, 1)->ctx;
	assert_int_equal(vl->mode, RULE_VLAN_ANY);
	assert_true(rule_cmp_eval(&vl->id, 200));
	vl = sm_at(r, RULE_LIST_MATCH, 2)->ctx;
	assert_int_equal(vl->mode, RULE_VLAN_ALL);
	assert_true(rule_cmp_eval(cmp_of(r, RULE_LIST_MATCH, 3, RULE_KW_VLAN_LAYERS), 2));
	rule_free(r);
	bad(TCP("vlan.id:4096;"), "vlan.id: invalid value '4096'", "vlan.id");
	bad(TCP("vlan.id:1,5;"), "vlan.id: invalid layer '5'", "vlan.id");

	r = ok(HTTP("http.request_body; absent: or_else; content:!\"abc\"; http.method; content:\"POST\";"));
	const struct rule_absent *ab = sm_at(r, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, 0)->ctx;
	assert_true(ab->or_else);
	rule_free(r);
	bad(TCP("absent;"), "absent needs a sticky buffer", "absent");
	bad(HTTP("http.uri; absent:sometimes;"), "absent: expected no argument or 'or_else', got 'sometimes'", "absent");
	bad(HTTP("http.uri; content:\"a\"; absent;"), "absent must come first in its buffer", "absent");
	bad(HTTP("http.uri; absent; content:\"a\";"),
	    "absent cannot be combined with other keywords on http.uri (use absent:or_else)", NULL);
}

/* Every keyword once with a good argument and once with a bad one. */
static void test_keyword_table(void **state)
{
	(void)state;
	static const char *const good[] = {
		"msg:no quotes;", "rev:0;", "gid:7;", "priority:255;", "target:src_ip;",
		"uricontent:\"/x\"; nocase;", "content:\"a\"; rawbytes;", "content:\"a\"; offset:0;",
		"content:\"ab\"; fast_pattern;", "dsize:1<>3;", "dsize:!5;", "dsize:5-9;",
		"icmp_id:7;", "icmp_seq:>1;", "ip_proto:6;", "ip_proto:<tcp;", "fragoffset:>=8;",
		"fragbits:M+;", "tos:0x10;", "id:1;", "ack:>=0;", "seq:4294967295;",
		"window:65535;", "ttl:<=64;", "itype:>3;", "icode:0<>3;",
		"flags:0;", "flags:*AU;", "flags:!R;", "flow:stateless;", "flow:only_stream,from_server;",
		"flowbits:toggle,x;", "flowbits:unset,x;", "flowbits:isnotset,a|b;",
		"hostbits:set,h,track ip_dst,expire 30;", "hostbits:toggle,h;", "xbits:noalert;",
		"xbits:isset,x,track ip_src;", "flowint:a,=,b;", "flowint:a,notset;",
		"flowint:a,isnotset;", "noalert;", "sameip;", "prefilter;", "ftpbounce;",
		"tag:session;", "tag:session,100,bytes;",
		"threshold:type threshold,track by_dst,count 2,seconds 3;",
		"threshold:type limit,track by_rule,count 1,seconds 3;",
		"detection_filter:track by_both,count 2,seconds 3;",
		"app-layer-protocol:!http;", "app-layer-protocol:tls,final;",
		"decode-event:ipv4.trunc_pkt;", "asn1:bitstring_overflow, relative_offset -4;",
		"isdataat:10,relative,rawbytes;", "base64_decode;", "pkt_data; content:\"a\";",
		"content:\"a\"; http_raw_uri;", "content:\"a\"; http_raw_header;",
		"content:\"a\"; http_cookie;", "content:\"a\"; http_host;", "content:\"a\"; http_raw_host;",
		"content:\"a\"; http_client_body;", "content:\"a\"; http_server_body;",
		"content:\"200\"; http_stat_code;", "content:\"OK\"; http_stat_msg;",
		"http.request_line; content:\"GET\";", "http_start; content:\"GET\";",
		"http.response_body; bsize:>0;", "dns.query; bsize:1;",
		"byte_jump:0,0,relative,post_offset -10;", "byte_jump:4,0,align,dce;",
		"byte_extract:4,0,v,dce; byte_test:4,<=,v,v,relative;",
		"byte_extract:3,0,v,string,oct;", "flow.age:0x13;", "flow.age:>=3600;",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", good[i]);
		rule_free(ok(text));
	}
	static const char *const badkw[][2] = {
		{"rev:-1;", "rev: invalid value '-1'"},
		{"gid:x;", "gid: invalid value 'x'"},
		{"msg:\"a\"; msg:\"b\";", "duplicate 'msg'"},
		{"classtype:misc-activity; classtype:misc-activity;", "duplicate 'classtype'"},
		{"uricontent:\"\";", "uricontent: empty pattern"},
		{"dns.query; uricontent:\"a\";", "uricontent cannot be used with a sticky buffer set"},
		{"http.uri; content:\"a\"; rawbytes;", "rawbytes cannot be used with content in http.uri"},
		{"content:\"a\"; offset:1; offset:2;", "offset already set for this content"},
		{"content:\"a\"; distance:1; distance:2;", "distance already set for this content"},
		{"content:\"a\"; within:1; within:2;", "within already set for this content"},
		{"content:\"a\"; endswith; endswith;", "endswith already set for this content"},
		{"content:\"a\"; depth:1; startswith;",
		 "startswith cannot be mixed with depth, offset, distance or within"},
		{"content:\"a\"; startswith:1;", "'startswith' takes no argument"},
		{"icmp_id:65536;", "icmp_id: invalid value '65536'"},
		{"icmp_seq:x;", "icmp_seq: invalid value 'x'"},
		{"ip_proto:bogus;", "ip_proto: invalid value 'bogus'"},
		{"fragoffset:70000;", "fragoffset: invalid value '70000'"},
		{"fragbits:Q;", "fragbits: unknown flag 'Q'"},
		{"fragbits:M,D;", "fragbits: invalid value 'M,D'"},
		{"flags:S,X;", "flags: unknown mask flag 'X'"},
		{"flags:+;", "flags: no flag given"},
		{"tos:256;", "tos: invalid value '256'"},
		{"seq:4294967296;", "seq: invalid value '4294967296'"},
		{"window:>65535;", "window: '>65535' can never match"},
		{"itype:1<>;", "itype: invalid range '1<>'"},
		{"hostbits:set,h,track ip_pair;", "hostbits: unknown track 'ip_pair'"},
		{"hostbits:set,h,expire 0;", "hostbits: invalid expire '0'"},
		{"hostbits:set,h,left;", "hostbits: unknown option 'left'"},
		{"xbits:set,a b,track ip_src;", "xbits: invalid name 'a b'"},
		{"flowbits:noalert,x;", "flowbits: noalert takes no name"},
		{"flowint:1a,=,1;", "flowint: invalid name '1a'"},
		{"flowint:a,**,1;", "flowint: unknown operator '**'"},
		{"flowint:a;", "flowint: expected 'name,operator[,value]'"},
		{"flowint:a,=,-1;", "flowint: invalid value '-1'"},
		{"threshold:type limit,track by_host,count 1,seconds 1;", "threshold: unknown track 'by_host'"},
		{"threshold:type limit,track by_src,count 0,seconds 1;", "threshold: invalid count '0'"},
		{"threshold:type limit,track by_src,count 1,seconds x;", "threshold: invalid seconds 'x'"},
		{"threshold:limit;", "threshold: expected 'name value', got 'limit'"},
		{"detection_filter:type limit,track by_src,count 1,seconds 1;",
		 "detection_filter: unknown option 'type'"},
		{"detection_filter:track by_src,count 1,seconds 1; detection_filter:track by_src,count 1,seconds 1;",
		 "detection_filter: used twice in one rule"},
		{"tag:flow;", "tag: unknown type 'flow'"},
		{"tag:session,1,minutes;", "tag: unknown metric 'minutes'"},
		{"tag:session,1,packets,src;", "tag: direction only applies to host tags"},
		{"tag:host,1,packets,up;", "tag: unknown direction 'up'"},
		{"app-layer-protocol:ht tp;", "app-layer-protocol: invalid protocol 'ht tp'"},
		{"app-layer-protocol:http,sometimes;", "app-layer-protocol: unknown mode 'sometimes'"},
		{"decode-event:a b;", "decode-event: invalid event 'a b'"},
		{"asn1:frobnicate;", "asn1: unknown option 'frobnicate'"},
		{"noalert:1;", "'noalert' takes no argument"},
		{"sameip:yes;", "'sameip' takes no argument"},
		{"pkt_data:1;", "'pkt_data' takes no argument"},
		{"http.uri:1;", "'http.uri' takes no argument"},
		{"content:\"a\"; http_stat_msg; tls.sni;", "'tls.sni' cannot be used in a 'tcp' rule"},
		{"base64_decode; base64_data; base64_decode;", "base64_decode cannot be used after base64_data"},
		{"byte_extract:2,0;", "byte_extract: expected 'bytes,offset,name[,options]'"},
		{"byte_extract:24,0,v,string;", "byte_extract: invalid byte count '24'"},
		{"byte_extract:2,x,v;", "byte_extract: invalid offset 'x'"},
		{"byte_extract:2,0,v,multiplier x;", "byte_extract: invalid multiplier 'x'"},
		{"byte_extract:2,0,v,string hexa;", "byte_extract: unknown number base 'hexa'"},
		{"byte_jump:4;", "byte_jump: expected 'bytes,offset[,options]'"},
		{"byte_jump:4,0,post_offset x;", "byte_jump: invalid post_offset 'x'"},
		{"byte_jump:4,0,little,dce;", "byte_jump: dce cannot be used with an explicit endianness"},
		{"byte_test:4,=,1,0,bitmask x;", "byte_test: invalid bitmask 'x'"},
		{"byte_test:4,=,1,0,endian middle;", "byte_test: unknown endian 'middle'"},
		{"byte_math:bytes 11,offset 0,oper +,rvalue 1,result r;", "byte_math: invalid bytes '11'"},
		{"byte_math:bytes 1,offset x,oper +,rvalue 1,result r;", "byte_math: invalid offset 'x'"},
		{"byte_math:bytes 1,offset 0,oper +,rvalue q,result r;", "byte_math: unknown variable 'q'"},
		{"byte_math:relative;", "byte_math: bytes, offset, oper, rvalue and result are required"},
		{"byte_math:bytes;", "byte_math: unknown option 'bytes'"},
		{"flow.age:old;", "flow.age: invalid value 'old'"},
	};
	for (size_t i = 0; i < sizeof(badkw) / sizeof(badkw[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", badkw[i][0]);
		bad(text, badkw[i][1], NULL);
	}
}

/* ---- classification ---------------------------------------------------- */

static void test_classification(void **state)
{
	(void)state;
	struct rule_classes c = {0};
	struct mamori_diag d = {0};
	assert_int_equal(rule_classes_load_string(&c,
		"config classification: A-b,First,2\n"
		"config classification: a-B,Second, 3\n", &d), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(rule_classes_find(&c, "a-b")->desc, "Second");
	assert_int_equal(rule_classes_find(&c, "A-B")->priority, 3);
	assert_null(rule_classes_find(&c, "other"));
	assert_int_equal(rule_classes_load_string(&c, "\n\nconfig classification: x,y\n", &d),
			 MAMORI_EFORMAT);
	assert_int_equal(d.line, 3);
	assert_string_equal(d.msg, "expected 'name,description,priority'");
	assert_int_equal(rule_classes_load_string(&c, "config classification: x,y,0\n", &d),
			 MAMORI_EFORMAT);
	assert_string_equal(d.msg, "invalid classification 'x'");
	assert_int_equal(rule_classes_load_string(&c, "classification: x,y,1\n", &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "expected 'config classification:'");
	rule_classes_release(&c);
	assert_int_equal(rule_classes_load(&c, "/nonexistent/classification.config", &d), MAMORI_EIO);
	char path[512];
	snprintf(path, sizeof(path), "%s/rules/classification.config", SRCDIR);
	assert_int_equal(rule_classes_load(&c, path, &d), 0);
	assert_non_null(rule_classes_find(&c, "trojan-activity"));
	rule_classes_release(&c);
}

/* ---- loader ------------------------------------------------------------ */

static const char rules_file[] =
	"# a comment\n"
	"\n"
	"alert tcp any any -> any any (msg:\"one\"; \\\n"
	"   content:\"abc\"; sid:1;)\n"
	"   # indented comment\n"
	"alert tcp any any -> any any (msg:\"broken\"; nosuch; sid:2;)\n"
	"alert udp any any -> any 53 (msg:\"three\"; sid:3; rev:1;)\r\n"
	"alert udp any any -> any 53 (msg:\"dup\"; sid:3; rev:2;)\n"
	"alert tcp any any -> any any (msg:\"four\"; \\\n"
	"   content:\"x\"; \\\n"
	"   sid:4;)";

static void test_loader(void **state)
{
	(void)state;
	struct ruleset *rs = ruleset_new();
	assert_non_null(rs);
	assert_int_equal(rule_classes_load_string(&rs->classes, classes, NULL), 0);
	assert_int_equal(ruleset_load_buffer(rs, "t.rules", rules_file, strlen(rules_file)), 0);
	assert_int_equal(rs->n, 3);
	assert_int_equal(rs->nrejects, 2);
	assert_int_equal(rs->rules[0]->sid, 1);
	assert_int_equal(rs->rules[0]->line, 3);
	assert_int_equal(rs->rules[0]->lists[RULE_LIST_PMATCH].n, 1);
	assert_int_equal(rs->rules[2]->sid, 4);
	assert_int_equal(rs->rules[2]->line, 9);
	assert_string_equal(rs->rejects[0].file, "t.rules");
	assert_int_equal(rs->rejects[0].line, 6);
	assert_string_equal(rs->rejects[0].msg, "unknown keyword 'nosuch'");
	assert_int_equal(rs->rejects[0].column, 45);
	assert_int_equal(rs->rejects[1].line, 8);
	assert_string_equal(rs->rejects[1].msg,
			    "duplicate signature 1:3 (already loaded from t.rules:7)");

	/* a gid makes a different signature */
	struct mamori_diag d = {0};
	assert_int_equal(ruleset_add_rule(rs, "alert ip any any -> any any (sid:3; gid:2;)",
					  "x", 1, &d), 0);
	assert_int_equal(ruleset_add_rule(rs, "alert ip any any -> any any (sid:3; gid:2;)",
					  "x", 2, &d), MAMORI_EEXIST);
	assert_int_equal(ruleset_load_file(rs, "/nonexistent.rules", &d), MAMORI_EIO);

	/* a file on disk, and many rules (exercises the sid hash growth) */
	char path[512];
	snprintf(path, sizeof(path), "%s/test_rules_tmp.rules", BUILDDIR);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "alert tcp any any -> any any (content:\"r%d\"; sid:%d;)\n", i, 100 + i);
	fprintf(f, "alert tcp any any -> any any (content:\"again\"; sid:150;)\n");
	fclose(f);
	assert_int_equal(ruleset_load_file(rs, path, &d), 0);
	assert_int_equal(rs->n, 3 + 1 + 3000);
	assert_int_equal(rs->nrejects, 3);
	assert_int_equal(rs->rejects[2].line, 3001);
	remove(path);
	ruleset_free(rs);
	ruleset_free(NULL);
}

/* An over-long rule and a NUL byte are rejected, the rest still loads. */
static void test_loader_limits(void **state)
{
	(void)state;
	struct ruleset *rs = ruleset_new();
	assert_non_null(rs);
	size_t big = RULESET_MAX_RULE_LEN + 100;
	char *data = malloc(big + 200);
	assert_non_null(data);
	memcpy(data, "alert tcp any any -> any any (content:\"", 39);
	memset(data + 39, 'a', big);
	size_t n = 39 + big;
	n += (size_t)sprintf(data + n, "\"; sid:1;)\nalert tcp any any -> any any (sid:2;)\n");
	data[n++] = 'a';
	data[n++] = 0;
	data[n++] = '\n';
	assert_int_equal(ruleset_load_buffer(rs, "big", data, n), 0);
	assert_int_equal(rs->n, 1);
	assert_int_equal(rs->nrejects, 2);
	assert_string_equal(rs->rejects[0].msg, "rule longer than 65536 bytes");
	assert_string_equal(rs->rejects[1].msg, "NUL byte in rule file");
	assert_int_equal(rs->rejects[1].line, 3);
	free(data);
	ruleset_free(rs);
}


/* ---- exact evaluation (match.c) ---------------------------------------- */

static struct rule_match_ctx mctx;

/* Parses opts into a tcp rule and evaluates list over s. */
static int eval_list(const char *rule_text, int list, const void *buf, size_t len)
{
	struct rule *r = ok(rule_text);
	int rc = rule_match_list(r, list, buf, len, &mctx);
	rule_free(r);
	return rc;
}

static int ev(const char *opts, const char *buf)
{
	char text[1024];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	return eval_list(text, RULE_LIST_PMATCH, buf, strlen(buf));
}

static int evb(const char *opts, const void *buf, size_t len)
{
	char text[1024];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	return eval_list(text, RULE_LIST_PMATCH, buf, len);
}

static void test_match_content(void **state)
{
	(void)state;
	assert_int_equal(rule_match_ctx_init(&mctx), 0);
	assert_int_equal(ev("content:\"abc\";", "xxabcxx"), 1);
	assert_int_equal(ev("content:\"abc\";", "xxabxcx"), 0);
	assert_int_equal(ev("content:\"ABC\"; nocase;", "xxabcxx"), 1);
	assert_int_equal(ev("content:\"ABC\";", "xxabcxx"), 0);
	assert_int_equal(ev("content:\"abc\"; offset:2; depth:3;", "xxabc"), 1);
	assert_int_equal(ev("content:\"abc\"; offset:2; depth:3;", "xxxabc"), 0);
	assert_int_equal(ev("content:\"abc\"; offset:3;", "xxabc"), 0);
	/* backtracking: the first 'a' has no 'b' in its window, the second has */
	assert_int_equal(ev("content:\"a\"; content:\"b\"; distance:1; within:2;", "aXXXXa.b"), 1);
	assert_int_equal(ev("content:\"a\"; content:\"b\"; distance:1; within:2;", "aXXXXa...b"), 0);
	assert_int_equal(ev("content:\"b\"; content:\"a\"; distance:-2; within:1;", "xab"), 1);
	/* negation, absolute and relative */
	assert_int_equal(ev("content:!\"evil\";", "good"), 1);
	assert_int_equal(ev("content:!\"evil\";", "so evil"), 0);
	assert_int_equal(ev("content:\"a\"; content:!\"b\"; within:1;", "ab"), 0);
	assert_int_equal(ev("content:\"a\"; content:!\"b\"; within:1;", "acb"), 1);
	assert_int_equal(ev("content:\"GET\"; startswith;", "GET /"), 1);
	assert_int_equal(ev("content:\"GET\"; startswith;", " GET /"), 0);
	assert_int_equal(ev("content:\".exe\"; endswith;", "a.exe.b.exe"), 1);
	assert_int_equal(ev("content:\".exe\"; endswith;", "a.exe?"), 0);
	assert_int_equal(ev("content:\"x\";", ""), 0);
	/* pathological backtracking ends (budget) and does not match */
	char *many = malloc(20001);
	assert_non_null(many);
	memset(many, 'a', 20000);
	many[20000] = 0;
	assert_int_equal(ev("content:\"a\"; content:\"a\"; distance:0; content:\"a\"; distance:0;"
			    " content:\"b\"; distance:0;", many), 0);
	free(many);
	rule_match_ctx_release(&mctx);
}

static void test_match_pcre_isdataat(void **state)
{
	(void)state;
	assert_int_equal(rule_match_ctx_init(&mctx), 0);
	assert_int_equal(ev("pcre:\"/^ab+c$/\";", "abbbc"), 1);
	assert_int_equal(ev("pcre:\"/^ab+c$/\";", "abbbcd"), 0);
	assert_int_equal(ev("pcre:\"/ABC/i\";", "xabcx"), 1);
	assert_int_equal(ev("content:\"id=\"; pcre:\"/^\\d+/R\";", "x id=123"), 1);
	assert_int_equal(ev("content:\"id=\"; pcre:\"/^\\d+/R\";", "id=x id=1"), 1);
	assert_int_equal(ev("content:\"id=\"; pcre:\"/^\\d+/R\";", "id=x1"), 0);
	assert_int_equal(ev("pcre:!\"/evil/\";", "good"), 1);
	assert_int_equal(ev("pcre:!\"/evil/\";", "evil"), 0);
	assert_int_equal(ev("pcre:\"/a/\"; content:\"b\"; within:1;", "axab"), 1);
	assert_int_equal(ev("content:\"a\"; isdataat:2,relative;", "abc"), 1);
	assert_int_equal(ev("content:\"a\"; isdataat:2,relative;", "ab"), 0);
	assert_int_equal(ev("content:\"a\"; isdataat:!1,relative;", "a"), 1);
	assert_int_equal(ev("isdataat:3;", "abcd"), 1);
	assert_int_equal(ev("isdataat:3;", "abc"), 0);
	/* catastrophic backtracking stops at Suricata's match limit; 'O' lifts it */
	char evil[40];
	memset(evil, 'a', 30);
	strcpy(evil + 30, "!");
	assert_int_equal(ev("pcre:\"/^(a+)+$/\";", evil), 0);
	assert_int_equal(ev("pcre:\"/^(a+)+!$/\";", evil), 1);
	rule_match_ctx_release(&mctx);
}

static void test_match_bytes(void **state)
{
	(void)state;
	assert_int_equal(rule_match_ctx_init(&mctx), 0);
	assert_int_equal(evb("byte_test:2,>,0x100,0;", "\x01\x01", 2), 1);
	assert_int_equal(evb("byte_test:2,>,0x100,0;", "\x00\xff", 2), 0);
	assert_int_equal(evb("byte_test:2,=,0x0201,0,little;", "\x01\x02", 2), 1);
	assert_int_equal(evb("byte_test:2,!=,0x0201,0,little;", "\x01\x02", 2), 0);
	assert_int_equal(evb("byte_test:2,&,0x10,0;", "\x00\x30", 2), 1);
	assert_int_equal(evb("byte_test:1,=,3,0,bitmask 0xf0;", "\x3f", 1), 1);
	assert_int_equal(evb("byte_test:4,=,1,0;", "\x00\x00\x01", 3), 0);	/* short */
	assert_int_equal(ev("byte_test:0,>,99,0,string,dec;", "120abc"), 1);
	assert_int_equal(ev("byte_test:0,>,99,0,string,dec;", "42"), 0);
	assert_int_equal(ev("byte_test:2,=,255,0,string,hex;", "ff"), 1);
	/* byte_jump: reads 1 byte after "L" and jumps that far from its end */
	assert_int_equal(evb("content:\"L\"; byte_jump:1,0,relative; content:\"Z\"; within:1;",
			     "L\x03xxxZ", 6), 1);
	assert_int_equal(evb("content:\"L\"; byte_jump:1,0,relative; content:\"Z\"; within:1;",
			     "L\x02xxxZ", 6), 0);
	assert_int_equal(evb("byte_jump:1,0,from_beginning,post_offset 1; content:\"Q\"; within:1;",
			     "\x02xxQ", 4), 1);
	assert_int_equal(evb("byte_jump:1,0; content:\"Q\"; within:1;", "\x09xxQ", 4), 0);
	/* byte_extract feeds distance; byte_math feeds byte_test */
	assert_int_equal(evb("byte_extract:1,0,len; content:\"A\"; distance:len; within:1;",
			     "\x02..A", 4), 1);
	assert_int_equal(evb("byte_extract:1,0,len; content:\"A\"; distance:len; within:1;",
			     "\x01..A", 4), 0);
	assert_int_equal(evb("byte_math:bytes 1,offset 0,oper *,rvalue 3,result r;"
			     " byte_test:1,=,r,1;", "\x02\x06", 2), 1);
	rule_match_ctx_release(&mctx);
}

static void test_match_buffers(void **state)
{
	(void)state;
	assert_int_equal(rule_match_ctx_init(&mctx), 0);
	/* base64_data after base64_decode */
	assert_int_equal(ev("content:\"b64=\"; base64_decode:relative; base64_data;"
			    " content:\"secret\";", "b64=dGhlIHNlY3JldA=="), 1);
	assert_int_equal(ev("content:\"b64=\"; base64_decode:relative; base64_data;"
			    " content:\"secret\";", "b64=dGhlIHB1YmxpYw=="), 0);
	const char *uri = "alert http any any -> any any (http.uri; content:\"/a\"; bsize:<5; sid:1;)";
	assert_int_equal(eval_list(uri, RULE_LIST_BUF + APP_BUF_HTTP_URI, "/abc", 4), 1);
	assert_int_equal(eval_list(uri, RULE_LIST_BUF + APP_BUF_HTTP_URI, "/abcdef", 7), 0);
	const char *ds = "alert dns any any -> any any (dns.query; dataset:isset,d,type string; sid:1;)";
	assert_int_equal(eval_list(ds, RULE_LIST_BUF + APP_BUF_DNS_QUERY, "a", 1), MAMORI_EUNSUPPORTED);
	assert_int_equal(eval_list(uri, RULE_LIST_MATCH, "a", 1), MAMORI_EINVAL);
	const char *ab = "alert http any any -> any any (http.request_body; absent; sid:1;)";
	assert_int_equal(eval_list(ab, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, NULL, 0), 1);
	assert_int_equal(eval_list(ab, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, "", 0), 0);
	const char *oe = "alert http any any -> any any (http.request_body; absent:or_else;"
			 " content:!\"abc\"; sid:1;)";
	assert_int_equal(eval_list(oe, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, NULL, 0), 1);
	assert_int_equal(eval_list(oe, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, "xyz", 3), 1);
	assert_int_equal(eval_list(oe, RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY, "xabc", 4), 0);
	/* transforms run before the rest of the list */
	static const struct {
		const char *opts;
		const char *buf;
		int want;
	} xf[] = {
		{"strip_whitespace; content:\"abc\"; bsize:3;", " a b\tc\r\n", 1},
		{"compress_whitespace; content:\"a b c\"; bsize:5;", "a  b\t\tc", 1},
		{"to_lowercase; content:\"abc\";", "xABCx", 1},
		{"to_uppercase; content:\"abc\";", "xabcx", 0},
		{"to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|\"; bsize:16;", "abc", 1},
		{"to_sha1; content:\"|a9 99 3e 36|\"; startswith; bsize:20;", "abc", 1},
		{"to_sha256; content:\"|ba 78 16 bf|\"; startswith; bsize:32;", "abc", 1},
		{"url_decode; content:\"mail=a@b c\";", "mail=a%40b+c", 1},
		{"url_decode; content:\"%4\";", "%4", 1},
		{"dotprefix; content:\".example.com\"; endswith;", "www.example.com", 1},
		{"dotprefix; content:\".example.com\"; endswith;", "wwwexample.com", 0},
		{"from_base64; content:\"secret\";", "c2VjcmV0", 1},
		{"from_base64: offset 2, mode rfc2045; content:\"secret\";", "xxc2Vj\ncmV0", 1},
		{"from_base64: mode strict; content:\"secret\";", "c2Vj*cmV0", 0},
		{"header_lowercase; content:\"user-agent: Mozilla\";", "User-Agent: Mozilla\r\n", 1},
		{"strip_pseudo_headers; content:!\":path\";", ":path: /\r\nhost: x\r\n", 1},
		{"pcrexform:\"id=([0-9]+)\"; content:\"42\"; bsize:2;", "a id=42&b", 1},
		{"xor:\"0102\"; content:\"abc\";", "\x60\x60\x62", 1},
		{"strip_whitespace; to_uppercase; content:\"AB\"; bsize:2;", " a b ", 1},
	};
	for (size_t i = 0; i < sizeof(xf) / sizeof(xf[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "alert http any any -> any any (http.uri; %s sid:1;)", xf[i].opts);
		int got = eval_list(text, RULE_LIST_BUF + APP_BUF_HTTP_URI, xf[i].buf, strlen(xf[i].buf));
		if (got != xf[i].want)
			print_message("transform case %zu: %s\n", i, xf[i].opts);
		assert_int_equal(got, xf[i].want);
	}
	bad(HTTP("strip_whitespace;"), "strip_whitespace needs a sticky buffer", "strip_whitespace");
	bad(HTTP("http.uri; content:\"a\"; to_md5;"),
	    "to_md5 must directly follow the sticky buffer http.uri", "to_md5");
	bad(HTTP("http.uri; pcrexform:\"abc\";"), "pcrexform: the expression needs a capture group",
	    "pcrexform");
	bad(HTTP("http.uri; xor:\"abc\";"), "xor: the key must be an even number of hex digits", "xor");
	bad(HTTP("http.uri; xor:\"zz\";"), "xor: invalid hex key 'zz'", "xor");
	bad(HTTP("http.uri; from_base64: mode lax;"), "from_base64: unknown mode 'lax'", "from_base64");
	bad(HTTP("http.uri; dotprefix:1;"), "'dotprefix' takes no argument", "dotprefix");

	/* an empty list matches anything, an empty buffer fails a content */
	assert_int_equal(eval_list(uri, RULE_LIST_PMATCH, "", 0), 1);
	assert_int_equal(eval_list(uri, RULE_LIST_BUF + APP_BUF_HTTP_URI, NULL, 0), 0);
	rule_match_ctx_release(&mctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_content_modifiers),
		cmocka_unit_test(test_fast_pattern_keyword),
		cmocka_unit_test(test_fast_pattern_choice),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_pcre),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_byte_keywords),
		cmocka_unit_test(test_flow_state),
		cmocka_unit_test(test_packet_keywords),
		cmocka_unit_test(test_keyword_table),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_loader),
		cmocka_unit_test(test_loader_limits),
		cmocka_unit_test(test_match_content),
		cmocka_unit_test(test_match_pcre_isdataat),
		cmocka_unit_test(test_match_bytes),
		cmocka_unit_test(test_match_buffers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
