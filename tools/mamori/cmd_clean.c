/*
 * `mamori clean ROOT`: scans ROOT (files and registry hives, in process),
 * maps the findings through the remediation templates to a plan, prints
 * it (human or --json) and, with --apply, carries it out under a journal
 * in the quarantine folder.  `--undo JOURNAL` (or `--undo all`) reverses.
 * See src/remedy/remedy.h and docs/man/mamori-clean.1.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmds.h"
#include "hive/hive.h"
#include "host/host.h"
#include "mamori/mamori.h"
#include "remedy/remedy.h"
#include "util/buf.h"
#include "util/jw.h"

#define CMD "clean"

static const char usage_text[] =
	"usage: mamori clean [options] ROOT\n"
	"       mamori clean --undo JOURNAL|all [--quarantine DIR] [ROOT]\n"
	"\n"
	"Scans ROOT (a mounted Windows volume or a copy of one: files and registry\n"
	"hives), maps what it finds through the remediation templates and prints\n"
	"the plan.  Nothing is changed without --apply.\n"
	"\n"
	"  --apply             carry the plan out (journaled; reversible)\n"
	"  --json              one JSON line per action\n"
	"  --quarantine DIR    quarantine folder (default: mamori-quarantine beside\n"
	"                      ROOT); never inside ROOT\n"
	"  --templates DIR     remediation templates (default: rules/remedy)\n"
	"  --rules DIR         detection rules folder (as mamori scan)\n"
	"  --threads N         scanner threads (default: CPUs)\n"
	"  --findings FILE     take the findings from `mamori scan --json` output\n"
	"                      (paths must start with ROOT as given) instead of\n"
	"                      scanning; files are still hash-checked before a change\n"
	"  --undo JOURNAL      reverse one journal; 'all' reverses every journal of\n"
	"                      the quarantine folder, newest first\n"
	"\n"
	"exit: 0 nothing to do / all done, 1 plan has actions (dry run), 2 error\n";

struct scan_ctx {
	struct mamori_remedy_plan *plan;
	const struct mamori_remedy_rules *rules;
	int err;
	size_t findings;
};

static int on_finding(const struct mamori_finding *f, void *vctx)
{
	struct scan_ctx *c = vctx;
	c->findings++;
	if (f->severity == MAMORI_SEV_INFO)
		return 0;
	int rc = mamori_remedy_plan_add(c->plan, c->rules, f);
	if (rc < 0) {
		c->err = rc;
		return 1;
	}
	return 0;
}

static void on_error(const char *path, int err, int sys_errno, const char *what, void *ctx)
{
	(void)sys_errno;
	(void)ctx;
	cli_warn(CMD, "%s: %s (%s)", path, what, mamori_strerror(err));
}

static const char *status_of(const struct mamori_remedy_action *a,
			     const struct mamori_remedy_result *r)
{
	if (a->note)
		return "refused";
	if (!r)
		return "planned";
	if (r->rc < 0)
		return "failed";
	return r->done ? "done" : "skipped";
}

static void print_action(const struct mamori_remedy_plan *p, size_t i,
			 const struct mamori_remedy_result *r, bool json, struct buf *b)
{
	const struct mamori_remedy_action *a = &p->v[i];
	const char *st = status_of(a, r);
	if (json) {
		struct jw w;
		buf_reset(b);
		jw_init(&w, b);
		jw_open_obj(&w, NULL);
		jw_timestamp(&w, "timestamp", (uint64_t)time(NULL) * 1000000u);
		jw_str(&w, "event_type", "remedy");
		jw_open_obj(&w, "remedy");
		jw_str(&w, "action", mamori_remedy_op_name(a->op));
		jw_str(&w, "status", st);
		jw_str(&w, "root", p->root);
		jw_str(&w, "path", a->rel);
		if (a->key) {
			jw_str(&w, "key", a->key);
			jw_str(&w, "value", a->value);
		}
		if (a->entry)
			jw_str(&w, "entry", a->entry);
		if (a->string)
			jw_str(&w, "string", a->string);
		if (a->op == MAMORI_RM_SET_DWORD || a->op == MAMORI_RM_RESTORE_START ||
		    a->op == MAMORI_RM_SET_AUTORUN_POLICY)
			jw_u64(&w, "data", a->dword);
		jw_str(&w, "family", a->family);
		jw_str(&w, "indicator", a->indicator);
		jw_str(&w, "evidence", a->evidence);
		if (a->sha256)
			jw_str(&w, "sha256", a->sha256);
		if (a->note)
			jw_str(&w, "message", a->note);
		else if (r && r->msg[0])
			jw_str(&w, "message", r->msg);
		jw_close_obj(&w);
		jw_close_obj(&w);
		if (!jw_error(&w))
			printf("%s\n", buf_str(b));
		return;
	}
	printf("  %-8s %-18s %s", st, mamori_remedy_op_name(a->op), a->rel);
	if (a->key)
		printf("  %s%s%s", a->key, a->value ? "\\" : "", a->value ? a->value : "");
	if (a->entry)
		printf("  (drop '%s')", a->entry);
	if (a->string)
		printf(" = \"%s\"", a->string);
	if (a->op == MAMORI_RM_SET_DWORD || a->op == MAMORI_RM_RESTORE_START ||
	    a->op == MAMORI_RM_SET_AUTORUN_POLICY)
		printf(" = 0x%x", a->dword);
	printf("  [%s]", a->indicator);
	if (a->note)
		printf(": %s", a->note);
	else if (r && r->msg[0])
		printf(": %s", r->msg);
	printf("\n");
}

/* --findings: JSON lines from `mamori scan --json`, and the hives of root
 * (discovered, not analysed) for the autorun policy. */
static int read_findings(const char *file, const char *root, struct scan_ctx *sctx,
			 struct mamori_hive_report *hrep)
{
	struct mamori_diag diag;
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	struct buf b;
	char chunk[65536];
	size_t n;
	int rc = 0;
	memset(&diag, 0, sizeof(diag));
	if (!f) {
		cli_error(CMD, "cannot open '%s': %s", file, strerror(errno));
		return MAMORI_EIO;
	}
	buf_init(&b, 256u << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = buf_append(&b, chunk, n)) < 0) {
			cli_error(CMD, "%s: too big (%s)", file, mamori_strerror(rc));
			goto out;
		}
	if (ferror(f)) {
		cli_error(CMD, "cannot read '%s'", file);
		rc = MAMORI_EIO;
		goto out;
	}
	rc = mamori_remedy_findings_read(b.p, b.len, on_finding, sctx,
					 &diag);
	if (rc < 0 && rc != MAMORI_ESTATE) {
		cli_error(CMD, "%s:%u: %s", file, diag.line, diag.msg);
		goto out;
	}
	if (sctx->err) {
		rc = sctx->err;
		cli_error(CMD, "%s", mamori_strerror(rc));
		goto out;
	}
	if ((rc = mamori_hive_discover(root, hrep)) < 0)
		cli_error(CMD, "cannot look for hives under %s: %s", root, mamori_strerror(rc));
out:
	buf_release(&b);
	if (f != stdin)
		fclose(f);
	return rc;
}

static void default_qdir(const char *root, char *out, size_t n)
{
	char rp[PATH_MAX];
	if (!realpath(root, rp))
		snprintf(rp, sizeof(rp), "%s", root);
	snprintf(out, n, "%s/mamori-quarantine", dirname(rp));
}

static int do_undo(const char *what, const char *qdir)
{
	struct mamori_diag diag;
	char **v = NULL;
	size_t n = 0, total = 0;
	int rc = 0, ret = EXIT_CLEAN;
	memset(&diag, 0, sizeof(diag));
	if (strcmp(what, "all")) {
		rc = mamori_remedy_undo(what, &total, &diag);
		if (rc < 0) {
			cli_error(CMD, "undo %s: %s", what, diag.msg[0] ? diag.msg : mamori_strerror(rc));
			return EXIT_ERROR;
		}
		fprintf(stderr, "mamori clean: %zu steps of %s reversed\n", total, what);
		if (getenv("MAMORI_CRASH_AT"))
			fprintf(stderr, "mamori clean: crash points: %u\n",
				mamori_remedy_crash_points());
		return EXIT_CLEAN;
	}
	if (!qdir) {
		cli_error(CMD, "--undo all needs --quarantine DIR or ROOT");
		return EXIT_ERROR;
	}
	if ((rc = mamori_remedy_journals(qdir, &v, &n)) < 0) {
		cli_error(CMD, "cannot list journals of %s: %s", qdir, mamori_strerror(rc));
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		memset(&diag, 0, sizeof(diag));
		rc = mamori_remedy_undo(v[i], &k, &diag);
		total += k;
		if (rc < 0) {
			cli_error(CMD, "undo %s: %s", v[i], diag.msg[0] ? diag.msg : mamori_strerror(rc));
			ret = EXIT_ERROR;
			break;	/* older journals depend on this one being undone */
		}
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	fprintf(stderr, "mamori clean: %zu steps reversed\n", total);
	if (getenv("MAMORI_CRASH_AT"))
		fprintf(stderr, "mamori clean: crash points: %u\n", mamori_remedy_crash_points());
	return ret;
}

int cmd_clean(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"apply", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"quarantine", required_argument, NULL, 'q'},
		{"templates", required_argument, NULL, 't'},
		{"rules", required_argument, NULL, 'r'},
		{"threads", required_argument, NULL, 'T'},
		{"undo", required_argument, NULL, 'u'},
		{"findings", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	bool apply = false, json = false;
	const char *qdir = NULL, *tdir = NULL, *undo = NULL, *ffile = NULL;
	struct mamori_host_opts opts;
	struct mamori_diag diag;
	struct mamori_remedy_rules *rules = NULL;
	struct mamori_remedy_plan plan;
	struct mamori_remedy_report rep;
	struct mamori_hive_report hrep;
	struct mamori_host_scanner *sc = NULL;
	struct buf b;
	char qbuf[PATH_MAX + 32];
	int ret = EXIT_ERROR, rc, c;
	memset(&opts, 0, sizeof(opts));
	memset(&diag, 0, sizeof(diag));
	memset(&plan, 0, sizeof(plan));
	memset(&rep, 0, sizeof(rep));
	mamori_hive_report_init(&hrep);
	buf_init(&b, 1 << 20);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'a': apply = true; break;
		case 'j': json = true; break;
		case 'q': qdir = optarg; break;
		case 't': tdir = optarg; break;
		case 'r': opts.rules_dir = optarg; break;
		case 'u': undo = optarg; break;
		case 'F': ffile = optarg; break;
		case 'T':
			if (!cli_parse_u64(optarg, MAMORI_HOST_MAX_THREADS, &v) || !v) {
				cli_error(CMD, "--threads wants 1..%d", MAMORI_HOST_MAX_THREADS);
				goto out;
			}
			opts.threads = (unsigned)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			ret = EXIT_CLEAN;
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (undo) {
		if (!qdir && optind < argc) {
			default_qdir(argv[optind], qbuf, sizeof(qbuf));
			qdir = qbuf;
		}
		ret = do_undo(undo, qdir);
		goto out;
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		goto out;
	}
	const char *root = argv[optind];
	if (!qdir) {
		default_qdir(root, qbuf, sizeof(qbuf));
		qdir = qbuf;
	}
	if ((rc = mamori_remedy_rules_load_dir(tdir, &rules, &diag)) < 0) {
		if (diag.file)
			cli_error(CMD, "%s:%u: %s", diag.file, diag.line, diag.msg);
		else
			cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		goto out;
	}
	if (apply && (rc = mamori_remedy_check_qdir(root, qdir, &diag)) < 0) {
		cli_error(CMD, "%s", diag.msg);
		goto out;
	}
	if (mamori_remedy_plan_init(&plan, root) < 0)
		goto out;
	struct scan_ctx sctx = {.plan = &plan, .rules = rules};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ffile) {
		if ((rc = read_findings(ffile, root, &sctx, &hrep)) < 0)
			goto out;
		goto planned;
	}
	if (!opts.threads)
		opts.threads = cli_ncpu();
	if ((rc = mamori_host_scanner_new(&opts, &sc, &diag)) < 0) {
		cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		goto out;
	}
	if (mamori_host_add_root_hook(sc, mamori_hive_root_hook, &hrep) < 0)
		goto out;
	struct mamori_host_callbacks cb = {.on_finding = on_finding, .on_error = on_error,
					   .ctx = &sctx};
	const char *roots[] = {root};
	rc = mamori_host_scan(sc, roots, 1, &cb, NULL);
	if (sctx.err || (rc < 0 && rc != MAMORI_ESTATE)) {
		cli_error(CMD, "scan of %s failed: %s", root, mamori_strerror(sctx.err ? sctx.err : rc));
		goto out;
	}
planned:
	for (size_t i = 0; i < hrep.n; i++) {
		const struct mamori_hive_file *hf = &hrep.files[i];
		if (hf->kind == MAMORI_HIVE_SOFTWARE || hf->kind == MAMORI_HIVE_NTUSER)
			if (mamori_remedy_plan_add_hive(&plan, hf->path,
							hf->kind == MAMORI_HIVE_SOFTWARE) < 0)
				goto out;
		if (hf->dirty)
			cli_warn(CMD, "hive '%s' is dirty (sequence numbers %u and %u differ): "
				 "it will not be edited", hf->path, hf->seq1, hf->seq2);
	}
	if (!plan.usb_worm && mamori_remedy_history_usb_worm(qdir, root))
		plan.usb_worm = true;	/* an earlier run found the worm */
	if (mamori_remedy_plan_finish(&plan) < 0 || mamori_remedy_plan_prune(&plan) < 0)
		goto out;
	if (!apply) {
		if (!json)
			printf("mamori clean: plan for %s: %zu actions from %zu findings "
			       "(dry run, nothing changed; --apply carries it out)\n",
			       root, plan.n, sctx.findings);
		for (size_t i = 0; i < plan.n; i++)
			print_action(&plan, i, NULL, json, &b);
		ret = plan.n ? EXIT_FOUND : EXIT_CLEAN;
		goto out;
	}
	rc = mamori_remedy_apply(&plan, qdir, &rep, &diag);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc < 0 && !rep.v) {
		cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
		goto out;
	}
	if (rep.recovered)
		cli_warn(CMD, "%zu unfinished journal(s) from an interrupted run were settled "
			 "first", rep.recovered);
	for (size_t i = 0; i < plan.n; i++)
		print_action(&plan, i, &rep.v[i], json, &b);
	fprintf(stderr, "mamori clean: %zu done, %zu already done, %zu failed in %.2f s; "
		"journal %s\n", rep.done, rep.skipped, rep.failed,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		rep.journal[0] ? rep.journal : "(none: nothing to change)");
	ret = rep.failed ? EXIT_ERROR : EXIT_CLEAN;
	if (getenv("MAMORI_CRASH_AT"))	/* test hook: how many crash points ran */
		fprintf(stderr, "mamori clean: crash points: %u\n", mamori_remedy_crash_points());
out:
	mamori_host_scanner_free(sc);
	mamori_hive_report_release(&hrep);
	mamori_remedy_rules_free(rules);
	mamori_remedy_plan_release(&plan);
	mamori_remedy_report_release(&rep);
	buf_release(&b);
	return ret;
}
