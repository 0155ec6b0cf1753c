/*
 * Unit tests for src/config (mamori.yaml): every key is read and mapped onto
 * net_config / detect_config / rule_vars, and every kind of mistake is
 * reported with the line and column of the offending node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "detect/rule.h"

/* Loads text into cfg (fresh defaults) and returns the result code. */
static int load(struct mamori_config *cfg, const char *text, struct mamori_diag *d)
{
	mamori_config_defaults(cfg);
	return mamori_config_load_buffer("t.yaml", text, strlen(text), cfg, d);
}

/* Expects text to fail with rc at line:col and msg containing want. */
static void expect_err(const char *text, int rc, unsigned line, unsigned col, const char *want)
{
	struct mamori_config cfg;
	struct mamori_diag d;
	int got = load(&cfg, text, &d);
	if (got != rc || d.line != line || d.column != col || !strstr(d.msg, want))
		print_error("input:\n%s\n-> rc %d at %u:%u '%s'\n", text, got, d.line, d.column, d.msg);
	assert_int_equal(got, rc);
	assert_int_equal(d.line, line);
	assert_int_equal(d.column, col);
	assert_non_null(strstr(d.msg, want));
	assert_string_equal(d.file, "t.yaml");
	mamori_config_release(&cfg);
}

static void test_defaults(void **state)
{
	(void)state;
	struct mamori_config cfg;
	mamori_config_defaults(&cfg);
	struct net_config def, nc;
	net_config_defaults(&def);
	net_config_defaults(&nc);
	mamori_config_apply_net(&cfg, &nc);
	assert_memory_equal(&nc, &def, sizeof(nc));
	assert_string_equal(mamori_config_eve_filename(&cfg), "eve.json");
	assert_true(cfg.eve_enabled);
	assert_false(cfg.rule_files_set);
	assert_int_equal(cfg.nvars, 0);
	struct detect_config dc, ddef;
	detect_config_defaults(&dc);
	detect_config_defaults(&ddef);
	mamori_config_apply_detect(&cfg, &dc);
	assert_memory_equal(&dc, &ddef, sizeof(dc));
	mamori_config_release(&cfg);
	mamori_config_release(NULL);

	/* an empty file and a comment-only file are the defaults too */
	struct mamori_diag d;
	assert_int_equal(load(&cfg, "", &d), 0);
	assert_int_equal(cfg.net_set, 0);
	mamori_config_release(&cfg);
	assert_int_equal(load(&cfg, "%YAML 1.1\n---\n# nothing\n", &d), 0);
	assert_int_equal(cfg.net_set, 0);
	mamori_config_release(&cfg);
}

static const char full[] =
	"%YAML 1.1\n"
	"---\n"
	"vars:\n"
	"  address-groups:\n"
	"    HOME_NET: \"[10.0.0.0/8,192.168.0.0/16]\"\n"
	"    EXTERNAL_NET: \"!$HOME_NET\"\n"
	"    DNS_SERVERS: \"[10.0.0.53,10.0.0.54]\"\n"
	"    SMTP_SERVERS: 10.0.0.25\n"
	"    HTTP_SERVERS: $HOME_NET\n"
	"  port-groups:\n"
	"    HTTP_PORTS: \"[80,8080]\"\n"
	"    SSH_PORTS: 22\n"
	"default-rule-path: /etc/mamori/rules\n"
	"rule-files:\n"
	"  - mamori.rules\n"
	"  - /opt/et/emerging-all.rules\n"
	"classification-file: /etc/mamori/classification.config\n"
	"outputs:\n"
	"  eve:\n"
	"    enabled: yes\n"
	"    filename: alerts.json\n"
	"    types: [alert, dns]\n"
	"decode:\n"
	"  checksum-validation: no\n"
	"  max-packet-size: 64kb\n"
	"defrag:\n"
	"  memcap: 16mb\n"
	"  timeout: 30\n"
	"flow:\n"
	"  memcap: 1gb\n"
	"  hash-size: 4096\n"
	"  seed: 7\n"
	"  timeouts:\n"
	"    new: 11\n"
	"    established: 600\n"
	"    closed: 0\n"
	"    udp: 45\n"
	"stream:\n"
	"  memcap: 64 MB\n"
	"  per-flow-cap: 2mb\n"
	"  midstream: false\n"
	"  overlap-policy: last\n"
	"  max-gap-wait: 8\n"
	"  retrans-window: 0\n"
	"app-layer:\n"
	"  body-limit: 256kb\n"
	"  decompress-limit: 8mb\n"
	"  max-line: 4096\n"
	"  max-headers: 100\n"
	"  max-tx: 64\n"
	"detect:\n"
	"  stream-window: 8kb\n"
	"  dataset-memcap: 1mb\n"
	"  state-memcap: 2mb\n"
	"  dataset-dir: /etc/mamori/datasets\n";

static void test_full(void **state)
{
	(void)state;
	struct mamori_config cfg;
	struct mamori_diag d;
	int rc = load(&cfg, full, &d);
	if (rc)
		print_error("%u:%u %s\n", d.line, d.column, d.msg);
	assert_int_equal(rc, 0);

	/* vars, in file order, with positions */
	assert_int_equal(cfg.nvars, 7);
	assert_string_equal(cfg.vars[0].name, "HOME_NET");
	assert_string_equal(cfg.vars[0].value, "[10.0.0.0/8,192.168.0.0/16]");
	assert_false(cfg.vars[0].port);
	assert_int_equal(cfg.vars[0].line, 5);
	assert_int_equal(cfg.vars[0].column, 15);
	assert_string_equal(cfg.vars[5].name, "HTTP_PORTS");
	assert_true(cfg.vars[5].port);

	struct rule_vars *rv = rule_vars_new();
	assert_non_null(rv);
	assert_int_equal(mamori_config_apply_vars(&cfg, rv), 0);
	assert_string_equal(rule_vars_get(rv, "DNS_SERVERS"), "[10.0.0.53,10.0.0.54]");
	assert_string_equal(rule_vars_get(rv, "SSH_PORTS"), "22");
	struct rule_addrset as;
	memset(&as, 0, sizeof(as));
	assert_int_equal(rule_addrset_parse(&as, "$HTTP_SERVERS", rv, NULL), 0);
	assert_true(rule_addrset_has_v4(&as, 0xc0a80101u));	/* 192.168.1.1 */
	assert_false(rule_addrset_has_v4(&as, 0xac100001u));	/* 172.16.0.1 */
	rule_addrset_release(&as);
	struct rule_portset ps;
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(rule_portset_parse(&ps, "$HTTP_PORTS", rv, NULL), 0);
	assert_true(rule_portset_has(&ps, 8080));
	assert_false(rule_portset_has(&ps, 443));
	rule_portset_release(&ps);
	rule_vars_free(rv);

	/* rules and outputs */
	assert_true(cfg.rule_files_set);
	assert_int_equal(cfg.nrule_files, 2);
	char path[64];
	assert_int_equal(mamori_config_rule_path(&cfg, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "/etc/mamori/rules/mamori.rules");
	assert_int_equal(mamori_config_rule_path(&cfg, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/opt/et/emerging-all.rules");
	assert_int_equal(mamori_config_rule_path(&cfg, 2, path, sizeof(path)), MAMORI_EINVAL);
	assert_int_equal(mamori_config_rule_path(&cfg, 0, path, 10), MAMORI_ELIMIT);
	assert_string_equal(cfg.classification_file, "/etc/mamori/classification.config");
	assert_string_equal(mamori_config_eve_filename(&cfg), "alerts.json");
	assert_true(cfg.eve_enabled);

	/* net_config mapping */
	struct net_config nc;
	net_config_defaults(&nc);
	mamori_config_apply_net(&cfg, &nc);
	assert_int_equal(nc.decode.checksum_validate, 0);
	assert_int_equal(nc.decode.max_packet, 65536);
	assert_int_equal(nc.decode.defrag_memcap, 16u << 20);
	assert_int_equal(nc.decode.defrag_timeout_sec, 30);
	assert_int_equal(nc.flow.memcap, 1u << 30);
	assert_int_equal(nc.flow.hash_size, 4096);
	assert_int_equal(nc.flow.seed, 7);
	assert_int_equal(nc.flow.timeout_new, 11);
	assert_int_equal(nc.flow.timeout_established, 600);
	assert_int_equal(nc.flow.timeout_closed, 0);
	assert_int_equal(nc.flow.timeout_udp, 45);
	assert_int_equal(nc.stream.memcap, 64u << 20);
	assert_int_equal(nc.stream.per_flow_cap, 2u << 20);
	assert_int_equal(nc.stream.midstream, 0);
	assert_int_equal(nc.stream.policy, STREAM_POLICY_LAST);
	assert_int_equal(nc.stream.max_gap_wait, 8);
	assert_int_equal(nc.stream.retrans_window, 0);
	assert_int_equal(nc.app.body_limit, 256u << 10);
	assert_int_equal(nc.app.decompress_limit, 8u << 20);
	assert_int_equal(nc.app.max_line, 4096);
	assert_int_equal(nc.app.max_headers, 100);
	assert_int_equal(nc.app.max_tx, 64);
	assert_false(nc.log_flow);	/* types: [alert, dns] */
	assert_true(nc.log_app);

	struct detect_config dc;
	detect_config_defaults(&dc);
	mamori_config_apply_detect(&cfg, &dc);
	assert_int_equal(dc.stream_window, 8192);
	assert_int_equal(dc.dataset_memcap, 1u << 20);
	assert_int_equal(dc.state_memcap, 2u << 20);
	assert_string_equal(dc.dataset_dir, "/etc/mamori/datasets");
	mamori_config_release(&cfg);
	assert_int_equal(cfg.nvars, 0);
	assert_null(cfg.rule_files);
}

/* Keys the file does not name keep what the caller had (CLI may set them). */
static void test_partial_and_override(void **state)
{
	(void)state;
	struct mamori_config cfg;
	struct mamori_diag d;
	assert_int_equal(load(&cfg, "flow:\n  memcap: 4096kb\n", &d), 0);
	struct net_config nc;
	net_config_defaults(&nc);
	nc.stream.memcap = 12345;	/* e.g. set before, not in the file */
	mamori_config_apply_net(&cfg, &nc);
	assert_int_equal(nc.flow.memcap, 4u << 20);
	assert_int_equal(nc.stream.memcap, 12345);
	assert_int_equal(cfg.net_set, 1u << MAMORI_CFG_FLOW_MEMCAP);

	/* a second load overrides: same var replaced, rule-files replaced */
	const char a[] = "vars:\n  address-groups:\n    HOME_NET: 10.0.0.0/8\nrule-files: [a.rules, b.rules]\n";
	const char b[] = "vars:\n  address-groups:\n    HOME_NET: 192.168.0.0/16\nrule-files: []\n";
	assert_int_equal(mamori_config_load_buffer("a", a, strlen(a), &cfg, &d), 0);
	assert_int_equal(cfg.nrule_files, 2);
	assert_int_equal(mamori_config_load_buffer("b", b, strlen(b), &cfg, &d), 0);
	assert_int_equal(cfg.nvars, 1);
	assert_string_equal(cfg.vars[0].value, "192.168.0.0/16");
	assert_true(cfg.rule_files_set);
	assert_int_equal(cfg.nrule_files, 0);
	/* no default-rule-path: names are used as written */
	mamori_config_release(&cfg);
	assert_int_equal(load(&cfg, "rule-files: [x.rules]\n", &d), 0);
	char path[32];
	assert_int_equal(mamori_config_rule_path(&cfg, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "x.rules");
	mamori_config_release(&cfg);
	assert_int_equal(load(&cfg, "default-rule-path: rules/\nrule-files: [x.rules]\n", &d), 0);
	assert_int_equal(mamori_config_rule_path(&cfg, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "rules/x.rules");
	mamori_config_release(&cfg);
}

/* Value spellings: size units, booleans, overlap policies, eve types. */
static void test_value_forms(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		size_t want;
	} sizes[] = {{"4096", 4096}, {"4096b", 4096}, {"2kb", 2048}, {"2KB", 2048},
		     {"2k", 2048}, {"3 mb", 3u << 20}, {"1MiB", 1u << 20}, {"1g", 1u << 30}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "app-layer:\n  body-limit: %s\n", sizes[i].v);
		struct mamori_config cfg;
		struct mamori_diag d;
		assert_int_equal(load(&cfg, text, &d), 0);
		assert_int_equal(cfg.net.app.body_limit, sizes[i].want);
		mamori_config_release(&cfg);
	}
	static const struct {
		const char *v;
		int want;
	} bools[] = {{"yes", 1}, {"no", 0}, {"true", 1}, {"False", 0}, {"on", 1},
		     {"off", 0}, {"1", 1}, {"0", 0}, {"\"yes\"", 1}};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "stream:\n  midstream: %s\n", bools[i].v);
		struct mamori_config cfg;
		struct mamori_diag d;
		assert_int_equal(load(&cfg, text, &d), 0);
		assert_int_equal(cfg.net.stream.midstream, bools[i].want);
		mamori_config_release(&cfg);
	}
	static const struct {
		const char *v;
		enum stream_overlap_policy want;
	} pol[] = {{"first", STREAM_POLICY_FIRST}, {"bsd", STREAM_POLICY_FIRST},
		   {"windows", STREAM_POLICY_FIRST}, {"LAST", STREAM_POLICY_LAST},
		   {"linux", STREAM_POLICY_LAST}};
	for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "stream:\n  overlap-policy: %s\n", pol[i].v);
		struct mamori_config cfg;
		struct mamori_diag d;
		assert_int_equal(load(&cfg, text, &d), 0);
		assert_int_equal(cfg.net.stream.policy, pol[i].want);
		mamori_config_release(&cfg);
	}
	struct mamori_config cfg;
	struct mamori_diag d;
	assert_int_equal(load(&cfg, "outputs:\n  eve-log:\n    types: [flow]\n    enabled: no\n", &d), 0);
	struct net_config nc;
	net_config_defaults(&nc);
	mamori_config_apply_net(&cfg, &nc);
	assert_true(nc.log_flow);
	assert_false(nc.log_app);
	assert_false(cfg.eve_enabled);
	mamori_config_release(&cfg);
	/* flow-style mappings and anchors/aliases are plain YAML and work */
	assert_int_equal(load(&cfg, "flow: {memcap: &m 8mb, timeouts: {new: 5}}\nstream: {memcap: *m}\n", &d), 0);
	assert_int_equal(cfg.net.flow.memcap, 8u << 20);
	assert_int_equal(cfg.net.stream.memcap, 8u << 20);
	assert_int_equal(cfg.net.flow.timeout_new, 5);
	mamori_config_release(&cfg);
}

static void test_errors_keys(void **state)
{
	(void)state;
	expect_err("flow:\n  memcap: 1mb\nfloww:\n  x: 1\n", MAMORI_EFORMAT, 3, 1, "floww: unknown key");
	expect_err("flow:\n  timeouts:\n    neww: 3\n", MAMORI_EFORMAT, 3, 5,
		   "flow.timeouts.neww: unknown key");
	expect_err("stream:\n  reassembly: {depth: 1mb}\n", MAMORI_EFORMAT, 2, 3,
		   "stream.reassembly: unknown key");
	expect_err("vars:\n  groups: {}\n", MAMORI_EFORMAT, 2, 3, "vars.groups: unknown key");
	expect_err("outputs:\n  fast: {}\n", MAMORI_EFORMAT, 2, 3, "unknown output");
	expect_err("outputs:\n  eve:\n    level: 3\n", MAMORI_EFORMAT, 3, 5, "outputs.eve.level: unknown key");
	expect_err("flow:\n  memcap: 1mb\n  memcap: 2mb\n", MAMORI_EFORMAT, 3, 3,
		   "duplicate key 'memcap' (first at line 2)");
	expect_err("? [a, b]\n: 1\n", MAMORI_EFORMAT, 1, 3, "keys must be plain names");
}

static void test_errors_types(void **state)
{
	(void)state;
	expect_err("- a\n- b\n", MAMORI_EFORMAT, 1, 1, "expected a mapping, got a list");
	expect_err("just a string\n", MAMORI_EFORMAT, 1, 1, "expected a mapping, got a scalar");
	expect_err("flow: 5\n", MAMORI_EFORMAT, 1, 7, "flow: expected a mapping, got a scalar");
	expect_err("flow:\n  memcap: [1, 2]\n", MAMORI_EFORMAT, 2, 11,
		   "flow.memcap: expected a value, got a list");
	expect_err("flow:\n  memcap:\n", MAMORI_EFORMAT, 2, 10, "flow.memcap: missing value");
	expect_err("flow:\n  memcap: ~\n", MAMORI_EFORMAT, 2, 11, "missing value");
	expect_err("rule-files: a.rules\n", MAMORI_EFORMAT, 1, 13, "rule-files: expected a list");
	expect_err("rule-files:\n  - {a: 1}\n", MAMORI_EFORMAT, 2, 5, "expected a value, got a mapping");
	expect_err("default-rule-path: [a]\n", MAMORI_EFORMAT, 1, 20, "expected a value");
	expect_err("classification-file: \"a\\0b\"\n", MAMORI_EFORMAT, 1, 22, "NUL byte");
	expect_err("vars:\n  address-groups: [a]\n", MAMORI_EFORMAT, 2, 19, "expected a mapping");
	expect_err("outputs:\n  eve:\n    types: alert\n", MAMORI_EFORMAT, 3, 12, "expected a list");
}

static void test_errors_values(void **state)
{
	(void)state;
	expect_err("flow:\n  memcap: lots\n", MAMORI_EFORMAT, 2, 11,
		   "flow.memcap: expected a size (bytes, or with kb/mb/gb), got 'lots'");
	expect_err("flow:\n  memcap: 12tb\n", MAMORI_EFORMAT, 2, 11, "expected a size");
	expect_err("flow:\n  memcap: -1\n", MAMORI_EFORMAT, 2, 11, "expected a size");
	expect_err("flow:\n  memcap: 99999999999999999999999\n", MAMORI_EFORMAT, 2, 11, "expected a size");
	expect_err("flow:\n  memcap: 1kb\n", MAMORI_EFORMAT, 2, 11, "out of range [65536,");
	expect_err("flow:\n  hash-size: 0x100\n", MAMORI_EFORMAT, 2, 14, "expected a whole number");
	expect_err("flow:\n  hash-size: 8\n", MAMORI_EFORMAT, 2, 14, "8 is out of range [16, 67108864]");
	expect_err("flow:\n  timeouts:\n    new: 0\n", MAMORI_EFORMAT, 3, 10, "out of range [1, 86400]");
	expect_err("stream:\n  midstream: maybe\n", MAMORI_EFORMAT, 2, 14,
		   "stream.midstream: expected yes or no, got 'maybe'");
	expect_err("stream:\n  overlap-policy: vista\n", MAMORI_EFORMAT, 2, 19,
		   "expected first or last, got 'vista'");
	expect_err("decode:\n  max-packet-size: 5gb\n", MAMORI_EFORMAT, 2, 20, "out of range");
	expect_err("detect:\n  state-memcap: 1\n", MAMORI_EFORMAT, 2, 17, "out of range");
	expect_err("outputs:\n  eve:\n    types: [alert, pcap]\n", MAMORI_EFORMAT, 3, 20,
		   "unknown record type 'pcap'");
	expect_err("outputs:\n  eve:\n    filename: ../eve.json\n", MAMORI_EFORMAT, 3, 15, "not a path");
	expect_err("outputs:\n  eve:\n    enabled: sometimes\n", MAMORI_EFORMAT, 3, 14, "expected yes or no");
}

static void test_errors_vars(void **state)
{
	(void)state;
	/* a group that does not parse: reported at its value, with the reason */
	expect_err("vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8,300.1.1.1]\"\n",
		   MAMORI_EFORMAT, 3, 15, "vars.address-groups.HOME_NET: ");
	expect_err("vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/33]\"\n",
		   MAMORI_EFORMAT, 3, 15, "HOME_NET");
	expect_err("vars:\n  port-groups:\n    HTTP_PORTS: \"[80,70000]\"\n",
		   MAMORI_EFORMAT, 3, 17, "vars.port-groups.HTTP_PORTS: ");
	expect_err("vars:\n  address-groups:\n    DNS_SERVERS: $NOT_DEFINED\n",
		   MAMORI_EFORMAT, 3, 18, "vars.address-groups.DNS_SERVERS");
	/* self-reference must not loop */
	expect_err("vars:\n  address-groups:\n    HOME_NET: $HOME_NET\n",
		   MAMORI_EFORMAT, 3, 15, "HOME_NET");
	expect_err("vars:\n  address-groups:\n    HTTP_PORTS: 80\n", MAMORI_EFORMAT, 3, 5,
		   "ends in _PORTS: put it under port-groups");
	expect_err("vars:\n  port-groups:\n    WEB: 80\n", MAMORI_EFORMAT, 3, 5,
		   "port group names end in _PORTS");
	expect_err("vars:\n  address-groups:\n    HOME-NET: 10.0.0.0/8\n", MAMORI_EFORMAT, 3, 5,
		   "invalid group name 'HOME-NET'");
	expect_err("vars:\n  address-groups:\n    HOME_NET:\n", MAMORI_EFORMAT, 3, 14,
		   "vars.address-groups.HOME_NET: missing value");
	expect_err("vars:\n  address-groups:\n    A: 1.1.1.1\n    A: 2.2.2.2\n", MAMORI_EFORMAT, 4, 5,
		   "duplicate key 'A'");
	/* EXTERNAL_NET redefined in terms of the user's HOME_NET is fine */
	struct mamori_config cfg;
	struct mamori_diag d;
	assert_int_equal(load(&cfg, "vars:\n  address-groups:\n    HOME_NET: 172.16.0.0/12\n"
				    "    EXTERNAL_NET: \"!$HOME_NET\"\n", &d), 0);
	mamori_config_release(&cfg);
}

static void test_errors_yaml(void **state)
{
	(void)state;
	struct mamori_config cfg;
	struct mamori_diag d;
	assert_int_equal(load(&cfg, "flow:\n  memcap: [1mb\n", &d), MAMORI_EFORMAT);
	assert_int_equal(d.line, 3);
	assert_non_null(strstr(d.msg, "YAML: "));
	mamori_config_release(&cfg);
	assert_int_equal(load(&cfg, "flow:\n\tmemcap: 1mb\n", &d), MAMORI_EFORMAT);
	assert_int_equal(d.line, 2);
	mamori_config_release(&cfg);
	expect_err("flow: {}\n---\nstream: {}\n", MAMORI_EFORMAT, 3, 1, "only one YAML document");
	assert_int_equal(load(&cfg, "a: *nothing\n", &d), MAMORI_EFORMAT);
	assert_non_null(strstr(d.msg, "YAML: "));
	mamori_config_release(&cfg);
	/* an alias cycle is accepted by libyaml; the walk must not follow it */
	expect_err("flow: &a {timeouts: *a}\n", MAMORI_EFORMAT, 1, 11,
		   "flow.timeouts.timeouts: unknown key");
}

static void test_limits(void **state)
{
	(void)state;
	struct mamori_config cfg;
	struct mamori_diag d;
	size_t n = MAMORI_CONFIG_MAX_SIZE + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	mamori_config_defaults(&cfg);
	assert_int_equal(mamori_config_load_buffer("big", big, n, &cfg, &d), MAMORI_ELIMIT);
	free(big);

	/* more variables than MAMORI_CONFIG_MAX_VARS */
	size_t cap = 64 + (MAMORI_CONFIG_MAX_VARS + 1) * 32;
	char *t = malloc(cap);
	assert_non_null(t);
	size_t len = (size_t)snprintf(t, cap, "vars:\n  address-groups:\n");
	for (unsigned i = 0; i <= MAMORI_CONFIG_MAX_VARS; i++)
		len += (size_t)snprintf(t + len, cap - len, "    V%u: 10.0.0.1\n", i);
	assert_int_equal(mamori_config_load_buffer("many", t, len, &cfg, &d), MAMORI_ELIMIT);
	assert_int_equal(d.line, 3 + MAMORI_CONFIG_MAX_VARS);
	free(t);
	mamori_config_release(&cfg);

	/* deep flow nesting is refused before libyaml (quadratic there) */
	size_t depth = 5000;
	char *deep = malloc(2 * depth + 16);
	assert_non_null(deep);
	memcpy(deep, "flow: ", 6);
	memset(deep + 6, '[', depth);
	memset(deep + 6 + depth, ']', depth);
	mamori_config_defaults(&cfg);
	assert_int_equal(mamori_config_load_buffer("deep", deep, 6 + 2 * depth, &cfg, &d), MAMORI_ELIMIT);
	assert_int_equal(d.line, 1);
	assert_int_equal(d.column, 6 + 64 + 1);
	assert_non_null(strstr(d.msg, "nested deeper than 64"));
	/* 64 levels are fine (libyaml then sees a list where a mapping goes) */
	memset(deep + 6, '[', 64);
	memset(deep + 6 + 64, ']', 64);
	assert_int_equal(mamori_config_load_buffer("deep", deep, 6 + 128, &cfg, &d), MAMORI_EFORMAT);
	assert_non_null(strstr(d.msg, "expected a mapping"));
	free(deep);
	/* deep block nesting (indentation) stays linear enough: ~1400 levels
	 * fit in the size cap; 1000 here */
	size_t cap2 = 1000 * 1004;
	char *blk = malloc(cap2);
	assert_non_null(blk);
	size_t bl = 0;
	for (int i = 0; i < 1000; i++) {
		memset(blk + bl, ' ', (size_t)i);
		bl += (size_t)i;
		memcpy(blk + bl, "a:\n", 3);
		bl += 3;
	}
	assert_int_equal(mamori_config_load_buffer("blk", blk, bl, &cfg, &d), MAMORI_EFORMAT);
	assert_string_equal(d.msg, "a: unknown key");
	free(blk);
	mamori_config_release(&cfg);
}

static void test_files(void **state)
{
	(void)state;
	struct mamori_config cfg;
	struct mamori_diag d;
	mamori_config_defaults(&cfg);
	assert_int_equal(mamori_config_load("/nonexistent/mamori.yaml", &cfg, &d), MAMORI_EIO);
	assert_string_equal(d.file, "/nonexistent/mamori.yaml");
	assert_non_null(strstr(d.msg, "cannot open"));

	char path[] = "/tmp/mamori-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "flow:\n  hash-size: 1024\n  bogus: 1\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(mamori_config_load(path, &cfg, &d), MAMORI_EFORMAT);
	assert_string_equal(d.file, path);
	assert_int_equal(d.line, 3);
	assert_int_equal(d.column, 3);
	assert_string_equal(d.msg, "flow.bogus: unknown key");
	unlink(path);
	mamori_config_release(&cfg);

	/* the documented example loads as it is */
	mamori_config_defaults(&cfg);
	int rc = mamori_config_load(SRCDIR "/mamori.yaml.example", &cfg, &d);
	if (rc)
		print_error("%s:%u:%u: %s\n", d.file, d.line, d.column, d.msg);
	assert_int_equal(rc, 0);
	assert_true(cfg.nvars >= 5);
	assert_true(cfg.rule_files_set);
	mamori_config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_partial_and_override),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_types),
		cmocka_unit_test(test_errors_values),
		cmocka_unit_test(test_errors_vars),
		cmocka_unit_test(test_errors_yaml),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
