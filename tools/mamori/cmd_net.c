/*
 * mamori net — read pcap files or a live interface through the packet
 * pipeline and write EVE JSON records to LOGDIR/eve.json.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture/capture.h"
#include "cli.h"
#include "cmds.h"
#include "config/config.h"
#include "correlate/correlate.h"
#include "detect/engine.h"
#include "detect/rule.h"
#include "net/net.h"

#define CMD "net"

static const char usage_text[] =
	"usage: mamori net -r PCAP|DIR [-r ...] [options]\n"
	"       mamori net -i IFACE [-f BPF] [options]\n"
	"\n"
	"Decodes packets, tracks flows, reassembles TCP streams, parses HTTP, DNS,\n"
	"SMTP, TLS, SSH, SMB and DCERPC, matches Suricata-syntax rules, correlates\n"
	"events per host, and writes EVE JSON records (alert, incident, flow, http,\n"
	"dns, smtp, tls, ssh, smb, dcerpc, stats) to LOGDIR/eve.json.  A summary\n"
	"goes to stderr.\n"
	"\n"
	"  -r PATH        read a pcap or pcapng file, or every file of a folder in\n"
	"                 name order; repeatable\n"
	"  -i IFACE       capture live from IFACE until interrupted (Ctrl-C)\n"
	"  -f BPF         BPF filter applied to live and file input\n"
	"  -l LOGDIR      output folder (default ./mamori-logs); created if missing\n"
	"  -k all|none    validate IP/TCP/UDP/ICMP checksums (default all)\n"
	"  -c, --config FILE  read mamori.yaml settings (address/port groups, rule\n"
	"                 files, memcaps...); command-line options win\n"
	"  -S FILE        load only this rule file (repeatable; replaces the\n"
	"                 built-in rules, as Suricata's -S)\n"
	"  -s FILE        load this rule file in addition to the built-in rules\n"
	"                 (repeatable)\n"
	"      --rules-dir DIR  folder of the built-in mamori.rules,\n"
	"                 classification.config and correlation.yaml (default:\n"
	"                 $MAMORI_RULES_DIR, else the rules/ folder of the source\n"
	"                 tree this binary was built from)\n"
	"      --no-rules no detection\n"
	"      --correlation FILE  correlation rules (default: correlation.yaml of\n"
	"                 the rules folder); incidents are written to eve.json\n"
	"      --no-correlation  no correlation\n"
	"      --append   append to an existing eve.json instead of replacing it\n"
	"      --json     print the summary as JSON on stdout\n"
	"  -q, --quiet    no summary\n"
	"  -h, --help     this help\n"
	"\n"
	"exit status: 0 success, 2 error (an input could not be opened or read\n"
	"completely; what was read is still processed and logged)\n";

static struct capture *volatile live_cap;

static void on_signal(int sig)
{
	(void)sig;
	if (live_cap)
		capture_break(live_cap);
}

static uint64_t mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* Runs every packet of an open capture through the worker. */
static int pump(struct capture *cap, struct net_worker *w, const char *name,
		uint64_t *kernel_pkts, uint64_t *kernel_drops)
{
	struct capture_pkt pkt;
	for (;;) {
		int r = capture_next(cap, &pkt);
		if (r == 1) {
			net_worker_packet(w, pkt.linktype, pkt.data, pkt.caplen,
					  pkt.wirelen, pkt.ts_usec);
			continue;
		}
		if (r == 2)
			continue;	/* live timeout: nothing arrived */
		if (r == 0)
			break;
		cli_error(CMD, "'%s': %s", name, capture_error(cap));
		return -1;
	}
	uint64_t ifdrop = 0, recv = 0, drop = 0;
	capture_stats(cap, &recv, &drop, &ifdrop);
	*kernel_pkts += recv;
	*kernel_drops += drop + ifdrop;
	return 0;
}

static int run_file(const char *path, const char *bpf, struct net_worker *w,
		    uint64_t *kp, uint64_t *kd, size_t *nfiles)
{
	struct mamori_diag diag = {0};
	struct capture *cap = NULL;
	int rc = capture_open_file(path, bpf, &cap, &diag);
	if (rc) {
		cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		return -1;
	}
	(*nfiles)++;
	rc = pump(cap, w, path, kp, kd);
	capture_close(cap);
	return rc;
}

static int run_path(const char *path, const char *bpf, struct net_worker *w,
		    uint64_t *kp, uint64_t *kd, size_t *nfiles)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		cli_error(CMD, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, bpf, w, kp, kd, nfiles);
	char **paths = NULL;
	size_t n = 0;
	struct mamori_diag diag = {0};
	int rc = capture_list_dir(path, &paths, &n, &diag);
	if (rc) {
		cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		return -1;
	}
	int result = 0;
	for (size_t i = 0; i < n; i++)
		if (run_file(paths[i], bpf, w, kp, kd, nfiles) != 0)
			result = -1;
	capture_free_list(paths, n);
	return result;
}

/* The built-in rules folder: --rules-dir, $MAMORI_RULES_DIR, or the folder
 * of the built-in classification.config. */
static void rules_dir_of(const char *opt, char *dst, size_t n)
{
	const char *env = getenv("MAMORI_RULES_DIR");
	if (opt || (env && *env)) {
		snprintf(dst, n, "%s", opt ? opt : env);
		return;
	}
	snprintf(dst, n, "%s", rule_classes_default_path());
	char *slash = strrchr(dst, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dst, n, ".");
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Loads the rule files and builds the engine.  Rejected rules are warnings
 * (file:line: reason) and the run goes on, as Suricata does; an unreadable
 * rule file is an error.  Returns 0 or -1 (reported).
 */
static int load_detection(const char **sfiles, size_t nsfiles, const char **xfiles,
			  size_t nxfiles, const char *rules_dir_opt, bool quiet,
			  const struct mamori_config *mc, struct ruleset **rs_out,
			  struct detect_engine **de_out, struct net_config *cfg)
{
	uint64_t t0 = mono_usec();
	char dir[4096], builtin[4200], cls[4200];
	/* Inflating HTTP bodies is the largest cost of the pipeline; do it
	 * only when a loaded rule inspects a decoded body. */
	cfg->app.decode_bodies = 0;
	rules_dir_of(rules_dir_opt, dir, sizeof(dir));
	snprintf(builtin, sizeof(builtin), "%s/mamori.rules", dir);
	snprintf(cls, sizeof(cls), "%s/classification.config", dir);
	const char *files[256];
	char (*cfgfiles)[4096] = NULL;	/* rule files named by the config */
	int result = -1;
	size_t n = 0;
	size_t ncfg = !nsfiles && mc->rule_files_set ? mc->nrule_files : 0;
	if (nsfiles + nxfiles + ncfg > 255) {
		cli_error(CMD, "too many rule files (at most 255)");
		goto out;
	}
	if (nsfiles) {
		for (size_t i = 0; i < nsfiles && n < 256; i++)
			files[n++] = sfiles[i];
	} else if (mc->rule_files_set) {
		/* the config's rule-files replace the built-in rules */
		cfgfiles = calloc(ncfg ? ncfg : 1, sizeof(*cfgfiles));
		if (!cfgfiles) {
			cli_error(CMD, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < ncfg; i++) {
			if (mamori_config_rule_path(mc, i, cfgfiles[i], sizeof(cfgfiles[i])) != 0) {
				cli_error(CMD, "config: rule file path %zu too long", i + 1);
				goto out;
			}
			files[n++] = cfgfiles[i];
		}
	} else if (file_exists(builtin)) {
		files[n++] = builtin;
	}
	for (size_t i = 0; i < nxfiles && n < 256; i++)
		files[n++] = xfiles[i];
	if (!n) {
		result = 0;
		goto out;
	}
	struct ruleset *rs = ruleset_new();
	if (!rs) {
		cli_error(CMD, "out of memory");
		goto out;
	}
	*rs_out = rs;
	struct mamori_diag d = {0};
	const char *cls_path = mc->classification_file ? mc->classification_file :
			       file_exists(cls) ? cls : rule_classes_default_path();
	int rc = rule_classes_load(&rs->classes, cls_path, &d);
	if (rc < 0) {
		cli_error(CMD, "%s: %s", cls_path, d.msg[0] ? d.msg : mamori_strerror(rc));
		goto out;
	}
	rc = mamori_config_apply_vars(mc, rs->vars);
	if (rc < 0) {
		cli_error(CMD, "config: address/port groups: %s", mamori_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&d, 0, sizeof(d));
		rc = ruleset_load_file(rs, files[i], &d);
		if (rc < 0) {
			cli_error(CMD, "%s", d.msg[0] ? d.msg : mamori_strerror(rc));
			goto out;
		}
	}
	if (!quiet) {
		for (size_t i = 0; i < rs->nrejects_kept && i < 50; i++) {
			const struct rule_reject *r = &rs->rejects[i];
			fprintf(stderr, "mamori net: warning: %s:%u: %s\n", r->file, r->line, r->msg);
		}
		if (rs->nrejects > 50)
			fprintf(stderr, "mamori net: warning: ... %zu more rejected rules\n",
				rs->nrejects - 50);
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];
		if (r->lists[RULE_LIST_BUF + APP_BUF_HTTP_REQUEST_BODY].n)
			cfg->app.decode_bodies = (uint8_t)(cfg->app.decode_bodies | APP_DECODE_REQUEST);
		if (r->lists[RULE_LIST_BUF + APP_BUF_HTTP_RESPONSE_BODY].n)
			cfg->app.decode_bodies = (uint8_t)(cfg->app.decode_bodies | APP_DECODE_RESPONSE);
	}
	memset(&d, 0, sizeof(d));
	struct detect_config dc;
	detect_config_defaults(&dc);
	mamori_config_apply_detect(mc, &dc);
	rc = detect_engine_new(rs, &dc, de_out, &d);
	if (rc < 0) {
		cli_error(CMD, "rules: %s", d.msg[0] ? d.msg : mamori_strerror(rc));
		goto out;
	}
	struct detect_engine_stats es;
	detect_engine_stats(*de_out, &es);
	if (!quiet && d.msg[0])
		fprintf(stderr, "mamori net: warning: %s\n", d.msg);
	cfg->detect = *de_out;
	cfg->rules_failed = rs->nrejects;
	cfg->rules_load_usec = mono_usec() - t0;
	if (!quiet)
		fprintf(stderr, "mamori net: %zu rule file%s: %llu rules loaded, %zu rejected, "
				"%llu skipped, in %.2f s (%llu prefilter patterns)\n",
			n, n == 1 ? "" : "s", (unsigned long long)es.rules, rs->nrejects,
			(unsigned long long)es.skipped, (double)cfg->rules_load_usec / 1e6,
			(unsigned long long)es.patterns);
	result = 0;
out:
	free(cfgfiles);
	return result;
}

static void print_summary(const struct net_summary *s, size_t nfiles,
			  const char *iface, double secs, const char *eve_path,
			  bool json)
{
	static const enum app_proto_id shown[] = {APP_HTTP, APP_DNS,  APP_SMTP,  APP_TLS,
						  APP_SSH,  APP_SMB,  APP_DCERPC};
	if (json) {
		struct buf b;
		buf_init(&b, 0);
		struct jw j;
		jw_init(&j, &b);
		jw_open_obj(&j, NULL);
		if (iface)
			jw_str(&j, "interface", iface);
		else
			jw_u64(&j, "files", nfiles);
		jw_u64(&j, "packets", s->packets);
		jw_u64(&j, "bytes", s->bytes);
		jw_u64(&j, "invalid_packets", s->invalid);
		jw_u64(&j, "flows", s->flows);
		jw_open_obj(&j, "transactions");
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
			jw_u64(&j, app_proto_name(shown[i]), s->tx[shown[i]]);
		jw_close_obj(&j);
		jw_u64(&j, "records", s->records);
		jw_u64(&j, "alerts", s->alerts);
		jw_u64(&j, "incidents", s->incidents);
		jw_u64(&j, "decode_events", s->decode_events);
		jw_u64(&j, "stream_events", s->stream_events);
		jw_u64(&j, "memcap_hits", s->memcap_hits);
		jw_double(&j, "seconds", secs);
		jw_str(&j, "eve", eve_path);
		jw_close_obj(&j);
		printf("%s\n", buf_str(&b));
		buf_release(&b);
		return;
	}
	if (iface)
		fprintf(stderr, "mamori net: interface %s: ", iface);
	else
		fprintf(stderr, "mamori net: %zu file%s: ", nfiles, nfiles == 1 ? "" : "s");
	fprintf(stderr, "%llu packets (%.1f MB) in %.2f s, %llu flows\n",
		(unsigned long long)s->packets, (double)s->bytes / 1e6, secs,
		(unsigned long long)s->flows);
	fputs("  transactions:", stderr);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "", app_proto_name(shown[i]),
			(unsigned long long)s->tx[shown[i]]);
	fputc('\n', stderr);
	fprintf(stderr, "  decode events %llu (invalid packets %llu), stream events %llu, "
			"memcap hits %llu\n",
		(unsigned long long)s->decode_events, (unsigned long long)s->invalid,
		(unsigned long long)s->stream_events, (unsigned long long)s->memcap_hits);
	fprintf(stderr, "  %llu alerts, %llu incidents\n", (unsigned long long)s->alerts,
		(unsigned long long)s->incidents);
	fprintf(stderr, "  %llu records written to %s\n", (unsigned long long)s->records,
		eve_path);
}

static void feed_correlation(void *ctx, const char *line, size_t len)
{
	(void)corr_feed_eve_line(ctx, line, len);
}

/*
 * Loads the correlation rules (path, or correlation.yaml of the rules
 * folder when it exists) and hooks the engine to the EVE writer, so every
 * record written is also correlated and incidents land in the same
 * eve.json.  Address groups come from the loaded rule set's variables
 * (config applied), else from the config.  Returns 0 (also when there is
 * no correlation file to load) or -1 after printing the error.
 */
static int start_correlation(const char *path, const char *rules_dir_opt,
			     const struct mamori_config *mc, const struct ruleset *rs,
			     struct eve_out *eve, struct rule_vars **vars_out,
			     struct corr_ruleset **crs_out, struct corr_engine **ce_out)
{
	char dir[4096], deflt[4200];
	if (!path) {
		rules_dir_of(rules_dir_opt, dir, sizeof(dir));
		snprintf(deflt, sizeof(deflt), "%s/correlation.yaml", dir);
		if (!file_exists(deflt))
			return 0;
		path = deflt;
	}
	const struct rule_vars *vars = rs ? rs->vars : NULL;
	if (!vars) {
		*vars_out = rule_vars_new();
		if (!*vars_out || mamori_config_apply_vars(mc, *vars_out) < 0) {
			cli_error(CMD, "correlation: cannot set up address groups");
			return -1;
		}
		vars = *vars_out;
	}
	struct corr_load_opts lo = {.vars = vars};
	struct mamori_diag d = {0};
	int rc = corr_ruleset_load(path, &lo, crs_out, &d);
	if (rc < 0) {
		if (d.line)
			cli_error(CMD, "%s:%u:%u: %s", path, d.line, d.column, d.msg);
		else
			cli_error(CMD, "%s: %s", path, d.msg[0] ? d.msg : mamori_strerror(rc));
		return -1;
	}
	rc = corr_engine_new(*crs_out, NULL, corr_eve_emit, eve, ce_out);
	if (rc < 0) {
		cli_error(CMD, "correlation: %s", mamori_strerror(rc));
		return -1;
	}
	eve->on_record = feed_correlation;
	eve->on_record_ctx = *ce_out;
	return 0;
}

int cmd_net(int argc, char **argv)
{
	enum { OPT_APPEND = 256, OPT_JSON, OPT_RULES_DIR, OPT_NO_RULES, OPT_CORR,
	       OPT_NO_CORR };
	struct mamori_config mc;
	mamori_config_defaults(&mc);
	const char *config_path = NULL;
	int checksum_opt = -1;	/* -k, applied over the config file */
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"quiet", no_argument, NULL, 'q'},
		{"append", no_argument, NULL, OPT_APPEND},
		{"json", no_argument, NULL, OPT_JSON},
		{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
		{"config", required_argument, NULL, 'c'},
		{"no-rules", no_argument, NULL, OPT_NO_RULES},
		{"correlation", required_argument, NULL, OPT_CORR},
		{"no-correlation", no_argument, NULL, OPT_NO_CORR},
		{NULL, 0, NULL, 0},
	};
	const char **reads = NULL;
	size_t nreads = 0;
	const char **sfiles = NULL, **xfiles = NULL;
	size_t nsfiles = 0, nxfiles = 0;
	const char *rules_dir = NULL;
	bool no_rules = false, no_corr = false;
	const char *corr_path = NULL;
	struct corr_ruleset *crs = NULL;
	struct corr_engine *ce = NULL;
	struct rule_vars *cvars = NULL;
	struct ruleset *rs = NULL;
	struct detect_engine *de = NULL;
	const char *iface = NULL, *bpf = NULL, *logdir = "mamori-logs";
	bool quiet = false, append = false, json = false;
	struct net_config cfg;
	net_config_defaults(&cfg);
	int result = EXIT_ERROR;
	struct eve_out *eve = NULL;
	struct net_worker *w = NULL;

	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "r:i:f:l:k:S:s:c:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': {
			const char **nr = realloc(reads, (nreads + 1) * sizeof(*reads));
			if (!nr)
				goto out;
			reads = nr;
			reads[nreads++] = optarg;
			break;
		}
		case 'S':
		case 's': {
			const char ***v = c == 'S' ? &sfiles : &xfiles;
			size_t *nv = c == 'S' ? &nsfiles : &nxfiles;
			const char **nr = realloc(*v, (*nv + 1) * sizeof(**v));
			if (!nr)
				goto out;
			*v = nr;
			nr[(*nv)++] = optarg;
			break;
		}
		case OPT_RULES_DIR: rules_dir = optarg; break;
		case 'c': config_path = optarg; break;
		case OPT_NO_RULES: no_rules = true; break;
		case OPT_CORR: corr_path = optarg; break;
		case OPT_NO_CORR: no_corr = true; break;
		case 'i': iface = optarg; break;
		case 'f': bpf = optarg; break;
		case 'l': logdir = optarg; break;
		case 'k':
			if (!strcmp(optarg, "all"))
				checksum_opt = 1;
			else if (!strcmp(optarg, "none"))
				checksum_opt = 0;
			else {
				cli_error(CMD, "-k takes 'all' or 'none', not '%s'", optarg);
				goto out;
			}
			break;
		case 'q': quiet = true; break;
		case OPT_APPEND: append = true; break;
		case OPT_JSON: json = true; break;
		case 'h':
			fputs(usage_text, stdout);
			result = EXIT_CLEAN;
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (optind < argc) {
		cli_error(CMD, "unexpected argument '%s' (input files go after -r)", argv[optind]);
		goto out;
	}
	if ((nreads == 0) == (iface == NULL)) {
		cli_error(CMD, "give -r PCAP|DIR or -i IFACE (not both); see 'mamori net --help'");
		goto out;
	}
	if (config_path) {
		struct mamori_diag cd = {0};
		int crc = mamori_config_load(config_path, &mc, &cd);
		if (crc) {
			if (cd.line)
				cli_error(CMD, "%s:%u:%u: %s", config_path, cd.line, cd.column, cd.msg);
			else
				cli_error(CMD, "%s", cd.msg[0] ? cd.msg : mamori_strerror(crc));
			goto out;
		}
		mamori_config_apply_net(&mc, &cfg);
	}
	if (checksum_opt >= 0)
		cfg.decode.checksum_validate = checksum_opt;
	if (mkdir_p(logdir) != 0) {
		cli_error(CMD, "cannot create log folder '%s': %s", logdir, strerror(errno));
		goto out;
	}
	char eve_path[4096];
	if ((size_t)snprintf(eve_path, sizeof(eve_path), "%s/%s", logdir,
			     mamori_config_eve_filename(&mc)) >= sizeof(eve_path)) {
		cli_error(CMD, "log folder path too long");
		goto out;
	}
	if (!append)
		(void)remove(eve_path);
	struct mamori_diag diag = {0};
	int rc = eve_open(eve_path, &eve, &diag);
	if (rc) {
		cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		goto out;
	}
	if (no_rules)
		cfg.app.decode_bodies = 0;
	else if (load_detection(sfiles, nsfiles, xfiles, nxfiles, rules_dir,
				quiet || json, &mc, &rs, &de, &cfg) != 0)
		goto out;
	if (!no_corr && start_correlation(corr_path, rules_dir, &mc, rs, eve, &cvars, &crs,
					  &ce) != 0)
		goto out;
	rc = net_worker_new(&cfg, eve, &w);
	if (rc) {
		cli_error(CMD, "cannot start: %s", mamori_strerror(rc));
		goto out;
	}

	uint64_t t0 = mono_usec(), kp = 0, kd = 0;
	size_t nfiles = 0;
	int failed = 0;
	if (iface) {
		struct capture *cap = NULL;
		rc = capture_open_live(iface, bpf, 262144, &cap, &diag);
		if (rc) {
			cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
			goto out;
		}
		live_cap = cap;
		/* Said once the capture is active, so a caller (or a test) knows
		 * from when on packets are seen. */
		if (!quiet)
			fprintf(stderr, "mamori net: capturing on %s\n", iface);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (pump(cap, w, iface, &kp, &kd) != 0)
			failed = 1;
		live_cap = NULL;
		capture_close(cap);
	} else {
		for (size_t i = 0; i < nreads; i++)
			if (run_path(reads[i], bpf, w, &kp, &kd, &nfiles) != 0)
				failed = 1;
	}
	net_worker_finish(w);
	struct net_summary s;
	net_worker_summary(w, &s);
	uint64_t stats_ts = s.last_ts;
	if (!stats_ts) {	/* nothing read: stamp the stats with the wall clock */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		stats_ts = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	}
	net_worker_write_stats(w, stats_ts, kp, kd);
	net_worker_summary(w, &s);
	if (ce) {
		struct corr_stats cs;
		corr_engine_stats(ce, &cs);
		s.incidents = cs.incidents;
		s.corr_evictions = cs.evictions;
		eve->on_record = NULL;
	}
	double secs = (double)(mono_usec() - t0) / 1e6;
	rc = eve_close(eve);
	eve = NULL;
	if (rc) {
		cli_error(CMD, "writing '%s': %s", eve_path, mamori_strerror(rc));
		failed = 1;
	}
	if (!quiet || json)
		print_summary(&s, nfiles, iface, secs, eve_path, json);
	result = failed ? EXIT_ERROR : EXIT_CLEAN;
out:
	net_worker_free(w);
	if (eve)
		eve->on_record = NULL;
	corr_engine_free(ce);
	corr_ruleset_free(crs);
	rule_vars_free(cvars);
	detect_engine_free(de);
	ruleset_free(rs);
	eve_close(eve);
	free(reads);
	free(sfiles);
	free(xfiles);
	mamori_config_release(&mc);
	return result;
}
