/*
 * mamori correlate -r EVE.json [-r ...] [-c correlation.yaml] [--config
 * mamori.yaml] [--group NAME=CIDRS]... [-l LOGDIR | -o FILE] [--json]
 * [--memcap BYTES] [--check]
 *
 * Replays EVE files (from mamori net or Suricata; plain or gzip-compressed)
 * through the correlation engine and writes one EVE "incident" record per rule, entity and window:
 * to FILE with -o ("-" = stdout), to LOGDIR/incident.json with -l, as JSON
 * lines on stdout with --json, else as one readable line per incident.
 * Address groups (SMTP_SERVERS, DNS_SERVERS, BACKUP_SERVERS...) come from
 * --group, then the config's vars.address-groups, then the correlation
 * file.  --check only loads the correlation file (errors as file:line).
 * Input lines longer than MAX_LINE or not EVE records are skipped with a
 * warning (the first five) and counted.
 * Exit 0 no incident, 1 incidents, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "cmds.h"
#include "config/config.h"
#include "correlate/correlate.h"
#include "detect/rule.h"
#include "util/buf.h"
#include "util/jw.h"

#define CMD "correlate"
#define MAX_INPUTS 256
#define MAX_GROUPS 256
#define FLUSH_EVERY_USEC (60ull * 1000000ull)
#define MAX_LINE (1024u * 1024u)	/* longest EVE record read */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mamori correlate -r EVE.json [-r ...] [-c CORRELATION.yaml]\n"
		"                        [--config mamori.yaml] [--group NAME=CIDRS]...\n"
		"                        [-l LOGDIR | -o FILE] [--json] [--memcap BYTES] [--check]\n\n"
		"Replays EVE JSON (mamori net or Suricata) through the correlation rules\n"
		"and reports one incident per rule, entity and window.\n\n"
		"  -r FILE        EVE JSON lines, plain or .gz ('-' = stdin); repeatable,\n"
		"                 read in order\n"
		"  -c FILE        correlation rules (default: built-in correlation.yaml)\n"
		"  --config FILE  mamori.yaml: vars.address-groups define SMTP_SERVERS...\n"
		"  --group N=V    address group N (e.g. SMTP_SERVERS=[192.0.2.25/32]);\n"
		"                 wins over the config and the correlation file\n"
		"  -l DIR         write incidents to DIR/incident.json\n"
		"  -o FILE        write incidents to FILE ('-' = stdout)\n"
		"  --json         incidents as EVE JSON lines on stdout\n"
		"  --memcap N     bytes of per-entity state (default 64 MiB)\n"
		"  --check        only load and check the correlation file\n\n"
		"exit: 0 no incident, 1 incidents, 2 error\n");
}

struct out_ctx {
	FILE *fp;		/* EVE lines, or NULL for text */
	struct buf line;
	uint64_t n;
	int err;
};

static void on_incident(void *vctx, const struct corr_incident *inc)
{
	struct out_ctx *c = vctx;
	c->n++;
	if (!c->fp) {
		char ip[64], ip2[64], t0[40], t1[40];
		mamori_addr_str(&inc->entity[0], ip, sizeof(ip));
		jw_format_ts(t0, sizeof(t0), inc->first);
		jw_format_ts(t1, sizeof(t1), inc->last);
		if (inc->entity[1].family) {
			mamori_addr_str(&inc->entity[1], ip2, sizeof(ip2));
			printf("incident %s (%s) severity %d pair %s -> %s  %s .. %s  %zu evidence\n",
			       inc->rule_id, inc->name, inc->severity, ip, ip2, t0, t1, inc->nevidence);
		} else {
			printf("incident %s (%s) severity %d %s %s  %s .. %s  %zu evidence\n",
			       inc->rule_id, inc->name, inc->severity, inc->entity_kind, ip, t0, t1,
			       inc->nevidence);
		}
		return;
	}
	struct jw w;
	buf_reset(&c->line);
	jw_init(&w, &c->line);
	corr_incident_write_record(inc, &w);
	if (jw_error(&w) || buf_putc(&c->line, '\n') < 0) {
		c->err = MAMORI_ELIMIT;
		return;
	}
	if (fwrite(c->line.p, 1, c->line.len, c->fp) != c->line.len)
		c->err = MAMORI_EIO;
}

/*
 * Reads lines of at most MAX_LINE bytes into buf (cap: a longer line is
 * skipped whole and reported as too long).  Returns the length, 0 at EOF,
 * -1 on a read error, -2 for a skipped over-long line.
 */
static ssize_t read_line(gzFile f, char *buf, size_t cap)
{
	int err;
	if (!gzgets(f, buf, (int)cap)) {
		gzerror(f, &err);
		return err != Z_OK && err != Z_BUF_ERROR ? -1 : 0;
	}
	size_t n = strlen(buf);
	if (n == cap - 1 && buf[n - 1] != '\n') {
		int c;
		while ((c = gzgetc(f)) != -1 && c != '\n')
			;
		return -2;
	}
	return (ssize_t)n;
}

static int replay(struct corr_engine *eng, const char *path, char *line, uint64_t *bad)
{
	/* zlib reads plain and gzip-compressed (rotated) logs alike. */
	gzFile f = strcmp(path, "-") ? gzopen(path, "rb") : gzdopen(dup(0), "rb");
	ssize_t n;
	uint64_t lineno = 0, last_flush = 0;
	int rc = 0;

	if (!f) {
		cli_error(CMD, "cannot open '%s': %s", path, strerror(errno));
		return MAMORI_EIO;
	}
	while ((n = read_line(f, line, MAX_LINE)) != 0 && n != -1) {
		struct corr_event ev;
		struct json_t *root;
		struct mamori_diag d = {0};
		lineno++;
		if (n == -2) {
			if (++*bad <= 5)
				cli_warn(CMD, "%s:%llu: skipped: longer than %u bytes", path,
					 (unsigned long long)lineno, MAX_LINE);
			continue;
		}
		if (n == 1 && line[0] == '\n')
			continue;
		rc = corr_event_decode(line, (size_t)n, &ev, &root, &d);
		if (rc == MAMORI_EFORMAT) {
			if (++*bad <= 5)
				cli_warn(CMD, "%s:%llu: skipped: %s", path,
					 (unsigned long long)lineno, d.msg);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		rc = corr_feed_event(eng, &ev);
		corr_event_release(root);
		if (rc)
			break;
		if (ev.ts > last_flush + FLUSH_EVERY_USEC) {
			corr_flush(eng, ev.ts);
			last_flush = ev.ts;
		}
	}
	if (!rc && n == -1) {
		int err;
		cli_error(CMD, "read error on '%s': %s", path, gzerror(f, &err));
		rc = MAMORI_EIO;
	}
	gzclose(f);
	return rc;
}

int cmd_correlate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"config", required_argument, NULL, 'C'},
		{"group", required_argument, NULL, 'g'},
		{"memcap", required_argument, NULL, 'm'},
		{"check", no_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	const char *inputs[MAX_INPUTS], *rules = NULL, *config = NULL, *logdir = NULL,
		   *outpath = NULL;
	struct corr_group_def groups[MAX_GROUPS];
	char *group_text[MAX_GROUPS];
	size_t ninputs = 0, ngroups = 0, nfixed = 0;
	bool json = false, check = false;
	uint64_t memcap = 0, bad = 0;
	struct mamori_config cfg;
	struct rule_vars *vars = NULL;
	struct corr_ruleset *rs = NULL;
	struct corr_engine *eng = NULL;
	struct out_ctx oc = {0};
	struct mamori_diag d = {0};
	char *line = NULL;
	int opt, rc = 0, ret = EXIT_ERROR;

	mamori_config_defaults(&cfg);
	buf_init(&oc.line, 1u << 20);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hr:c:l:o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			ret = EXIT_CLEAN;
			goto out;
		case 'r':
			if (ninputs == MAX_INPUTS) {
				cli_error(CMD, "more than %d inputs", MAX_INPUTS);
				goto out;
			}
			inputs[ninputs++] = optarg;
			break;
		case 'c':
			rules = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'l':
			logdir = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'k':
			check = true;
			break;
		case 'm':
			if (!cli_parse_u64(optarg, UINT64_MAX / 2, &memcap) || memcap < 4096) {
				cli_error(CMD, "--memcap needs a number of bytes >= 4096");
				goto out;
			}
			break;
		case 'g': {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || ngroups == MAX_GROUPS) {
				cli_error(CMD, "--group needs NAME=ADDRESSES");
				goto out;
			}
			group_text[ngroups] = strndup(optarg, (size_t)(eq - optarg));
			if (!group_text[ngroups]) {
				cli_error(CMD, "out of memory");
				goto out;
			}
			groups[ngroups].name = group_text[ngroups];
			groups[ngroups].value = eq + 1;
			nfixed = ++ngroups;
			break;
		}
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		cli_error(CMD, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!ninputs && !check) {
		cli_error(CMD, "no input: give -r EVE.json");
		goto out;
	}
	if (logdir && outpath) {
		cli_error(CMD, "-l and -o exclude each other");
		goto out;
	}
	if (!(vars = rule_vars_new())) {
		cli_error(CMD, "out of memory");
		goto out;
	}
	if (config) {
		rc = mamori_config_load(config, &cfg, &d);
		if (rc < 0) {
			cli_error(CMD, "%s:%u: %s", config, d.line, d.msg);
			goto out;
		}
		if ((rc = mamori_config_apply_vars(&cfg, vars)) < 0) {
			cli_error(CMD, "%s: %s", config, mamori_strerror(rc));
			goto out;
		}
		for (size_t i = 0; i < cfg.nvars && ngroups < MAX_GROUPS; i++) {
			if (cfg.vars[i].port)
				continue;
			groups[ngroups].name = cfg.vars[i].name;
			groups[ngroups].value = cfg.vars[i].value;
			group_text[ngroups] = NULL;
			ngroups++;
		}
	}
	struct corr_load_opts lo = {.vars = vars, .groups = groups, .ngroups = ngroups};
	rc = corr_ruleset_load(rules ? rules : corr_default_path(), &lo, &rs, &d);
	if (rc < 0) {
		if (d.line)
			cli_error(CMD, "%s:%u:%u: %s", d.file, d.line, d.column, d.msg);
		else
			cli_error(CMD, "%s: %s", d.file ? d.file : "correlation", d.msg[0] ? d.msg : mamori_strerror(rc));
		goto out;
	}
	if (check) {
		printf("%s: %zu correlations loaded\n", rules ? rules : corr_default_path(),
		       corr_ruleset_count(rs));
		ret = EXIT_CLEAN;
		goto out;
	}
	if (logdir) {
		char path[4096];
		if (mkdir(logdir, 0755) < 0 && errno != EEXIST) {
			cli_error(CMD, "cannot create '%s': %s", logdir, strerror(errno));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/incident.json", logdir);
		if (!(oc.fp = fopen(path, "a"))) {
			cli_error(CMD, "cannot open '%s': %s", path, strerror(errno));
			goto out;
		}
	} else if (outpath && strcmp(outpath, "-")) {
		if (!(oc.fp = fopen(outpath, "a"))) {
			cli_error(CMD, "cannot open '%s': %s", outpath, strerror(errno));
			goto out;
		}
	} else if (outpath || json) {
		oc.fp = stdout;
	}
	struct corr_limits lim = {.memcap = (size_t)memcap};
	if ((rc = corr_engine_new(rs, &lim, on_incident, &oc, &eng)) < 0) {
		cli_error(CMD, "%s", mamori_strerror(rc));
		goto out;
	}
	if (!(line = malloc(MAX_LINE))) {
		cli_error(CMD, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ninputs; i++) {
		if ((rc = replay(eng, inputs[i], line, &bad)) < 0) {
			if (rc != MAMORI_EIO)
				cli_error(CMD, "%s: %s", inputs[i], mamori_strerror(rc));
			goto out;
		}
	}
	if (oc.err) {
		cli_error(CMD, "writing incidents: %s", mamori_strerror(oc.err));
		goto out;
	}
	struct corr_stats st;
	corr_engine_stats(eng, &st);
	fprintf(stderr,
		"correlate: %llu events, %llu skipped, %llu incidents, %llu excluded matches, "
		"%llu entities peak, %llu evictions, %llu bytes state peak\n",
		(unsigned long long)st.events, (unsigned long long)bad,
		(unsigned long long)st.incidents, (unsigned long long)st.excluded,
		(unsigned long long)st.entities_peak, (unsigned long long)st.evictions,
		(unsigned long long)st.state_bytes_peak);
	ret = st.incidents ? EXIT_FOUND : EXIT_CLEAN;
out:
	if (oc.fp && oc.fp != stdout && fclose(oc.fp) != 0 && ret != EXIT_ERROR) {
		cli_error(CMD, "writing incidents: %s", strerror(errno));
		ret = EXIT_ERROR;
	}
	if (oc.fp == stdout)
		fflush(stdout);
	corr_engine_free(eng);
	corr_ruleset_free(rs);
	rule_vars_free(vars);
	mamori_config_release(&cfg);
	for (size_t i = 0; i < nfixed; i++)
		free(group_text[i]);
	buf_release(&oc.line);
	free(line);
	return ret;
}
