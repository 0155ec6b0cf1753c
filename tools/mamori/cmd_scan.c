/*
 * mamori scan — walk Windows volumes, USB images or trees and report
 * infection artefacts (IOC names/paths/hashes, YARA, PE anomalies,
 * AUTORUN.INF, .job, RECYCLER) as a table or EVE "finding" JSON lines.
 * The engine is src/host/host.h; this file parses options and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmds.h"
#include "hive/hive.h"
#include "host/host.h"
#include "output/finding.h"
#include "util/buf.h"
#include "util/jw.h"

#define CMD "scan"

static const char usage_text[] =
	"usage: mamori scan [options] PATH...\n"
	"\n"
	"Walks each PATH (a mounted Windows volume, an extracted USB image, a\n"
	"folder or a file) and runs every analyzer on every file: IOC names and\n"
	"paths, hash IOCs, YARA rules, PE anomalies, AUTORUN.INF, Task Scheduler\n"
	".job files and RECYCLER folders.  Symlinks below PATH are not followed;\n"
	"special files are skipped.  Registry hives found under a folder PATH\n"
	"(Windows/System32/config/*, Users/*/NTUSER.DAT, ...) are analysed for\n"
	"persistence and for the settings these families break.\n"
	"\n"
	"  --yara DIR          also compile the YARA rules (*.yar, *.yara) of DIR;\n"
	"                      repeatable\n"
	"  --ioc DIR           also load the IOC lists (*.txt) of DIR; repeatable\n"
	"  --rules DIR         built-in rules folder (default: $MAMORI_RULES_DIR,\n"
	"                      else the rules/ folder of the source tree this\n"
	"                      binary was built from)\n"
	"  --no-builtin        do not load the built-in YARA rules and IOC lists\n"
	"  --json              write EVE-style JSON lines instead of a table\n"
	"  -o FILE             write the findings to FILE instead of stdout\n"
	"  --threads N         worker threads (default: number of CPUs, max 32)\n"
	"  --max-filesize N    skip files larger than N bytes; K, M, G suffixes\n"
	"                      (default 64M)\n"
	"  --no-registry       do not analyse registry hives\n"
	"  -q, --quiet         no summary on stderr\n"
	"  -h, --help          this help\n"
	"\n"
	"exit status: 0 nothing found, 1 findings, 2 error (bad option or rules,\n"
	"or files that could not be read and no findings)\n";

struct scan_out {
	FILE *out;
	bool json;
	bool header_done;
	struct buf b;
	struct progress pg;
	bool quiet;
};

static void clear_progress(struct scan_out *so)
{
	if (so->pg.enabled && so->pg.drawn)
		fputs("\r\033[K", stderr);
}

static int on_finding(const struct mamori_finding *f, void *ctx)
{
	static const char *const sev[] = {"?", "high", "medium", "low", "info"};
	struct scan_out *so = ctx;
	if (so->out == stdout)
		clear_progress(so);	/* both may be the same terminal */
	if (so->json) {
		struct jw w;
		buf_reset(&so->b);
		jw_init(&w, &so->b);
		mamori_finding_write_json(&w, f);
		buf_putc(&so->b, '\n');
		fwrite(so->b.p, 1, so->b.len, so->out);
	} else {
		if (!so->header_done) {
			fprintf(so->out, "%-7s %-10s %-34s %s\n", "SEV", "FAMILY", "INDICATOR", "PATH");
			so->header_done = true;
		}
		unsigned s = f->severity >= 1 && f->severity <= 4 ? f->severity : 0;
		fprintf(so->out, "%-7s %-10s %-34s %s\n        %s\n", sev[s],
			f->family ? f->family : "generic", f->indicator, f->path,
			f->evidence ? f->evidence : "");
	}
	if (so->out == stdout)
		fflush(stdout);
	return 0;
}

static void on_error(const char *path, int err, int sys_errno, const char *what,
		     void *ctx)
{
	struct scan_out *so = ctx;
	clear_progress(so);
	if (err == MAMORI_ELIMIT || err == MAMORI_EFORMAT) {
		if (!so->quiet)
			cli_warn(CMD, "'%s': %s", path, what);
		return;
	}
	if (sys_errno)
		cli_error(CMD, "'%s': %s: %s", path, what, strerror(sys_errno));
	else
		cli_error(CMD, "'%s': %s: %s", path, what, mamori_strerror(err));
}

static void on_progress(const struct mamori_host_stats *st, void *ctx)
{
	struct scan_out *so = ctx;
	progress_update(&so->pg, st->files);
}

/* "64M", "4096", "1G" */
static bool parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t l = strlen(s);
	uint64_t mul = 1;
	if (l == 0 || l >= sizeof(num))
		return false;
	memcpy(num, s, l + 1);
	char last = num[l - 1];
	if (last == 'k' || last == 'K')
		mul = 1ull << 10;
	else if (last == 'm' || last == 'M')
		mul = 1ull << 20;
	else if (last == 'g' || last == 'G')
		mul = 1ull << 30;
	if (mul != 1)
		num[l - 1] = 0;
	uint64_t v;
	if (!cli_parse_u64(num, UINT64_MAX / mul, &v) || v == 0)
		return false;
	*out = v * mul;
	return true;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int cmd_scan(int argc, char **argv)
{
	enum { OPT_YARA = 256, OPT_IOC, OPT_RULES, OPT_NOBUILTIN, OPT_JSON, OPT_THREADS,
	       OPT_MAXSIZE, OPT_NOREG };
	static const struct option longopts[] = {
		{"yara", required_argument, NULL, OPT_YARA},
		{"ioc", required_argument, NULL, OPT_IOC},
		{"rules", required_argument, NULL, OPT_RULES},
		{"no-builtin", no_argument, NULL, OPT_NOBUILTIN},
		{"json", no_argument, NULL, OPT_JSON},
		{"output", required_argument, NULL, 'o'},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"max-filesize", required_argument, NULL, OPT_MAXSIZE},
		{"quiet", no_argument, NULL, 'q'},
		{"no-registry", no_argument, NULL, OPT_NOREG},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ret = EXIT_ERROR;
	bool no_hives = false;
	struct mamori_hive_report hrep;
	mamori_hive_report_init(&hrep);
	const char **yara = calloc((size_t)argc, sizeof(*yara));
	const char **ioc = calloc((size_t)argc, sizeof(*ioc));
	const char *outfile = NULL;
	struct mamori_host_opts opts = {.threads = cli_ncpu()};
	struct scan_out so = {.out = stdout};
	struct mamori_host_scanner *sc = NULL;
	struct mamori_diag diag = {0};
	buf_init(&so.b, 1u << 20);
	if (!yara || !ioc) {
		cli_error(CMD, "out of memory");
		goto out;
	}
	optind = 1;
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_YARA:
			yara[opts.n_yara_dirs++] = optarg;
			break;
		case OPT_IOC:
			ioc[opts.n_ioc_dirs++] = optarg;
			break;
		case OPT_RULES:
			opts.rules_dir = optarg;
			break;
		case OPT_NOBUILTIN:
			opts.no_builtin = true;
			break;
		case OPT_JSON:
			so.json = true;
			break;
		case 'o':
			outfile = optarg;
			break;
		case OPT_THREADS:
			if (!cli_parse_u64(optarg, MAMORI_HOST_MAX_THREADS, &v) || v == 0) {
				cli_error(CMD, "--threads wants 1..%d, not '%s'",
					  MAMORI_HOST_MAX_THREADS, optarg);
				goto out;
			}
			opts.threads = (unsigned)v;
			break;
		case OPT_NOREG:
			no_hives = true;
			break;
		case OPT_MAXSIZE:
			if (!parse_size(optarg, &opts.max_filesize)) {
				cli_error(CMD, "--max-filesize wants a size like 64M, not '%s'", optarg);
				goto out;
			}
			break;
		case 'q':
			so.quiet = true;
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
	if (optind >= argc) {
		cli_error(CMD, "no PATH to scan; see 'mamori scan --help'");
		goto out;
	}
	if (opts.threads > MAMORI_HOST_MAX_THREADS)
		opts.threads = MAMORI_HOST_MAX_THREADS;
	opts.yara_dirs = yara;
	opts.ioc_dirs = ioc;

	int rc = mamori_host_scanner_new(&opts, &sc, &diag);
	if (rc < 0) {
		if (diag.file && diag.line)
			cli_error(CMD, "%s:%u: %s", diag.file, diag.line, diag.msg);
		else if (diag.file)
			cli_error(CMD, "%s: %s", diag.file, diag.msg[0] ? diag.msg : mamori_strerror(rc));
		else
			cli_error(CMD, "cannot load rules: %s", mamori_strerror(rc));
		goto out;
	}
	/* Registry analysis runs on every scan root that holds hives. */
	if (!no_hives && mamori_host_add_root_hook(sc, mamori_hive_root_hook, &hrep) < 0) {
		cli_error(CMD, "cannot set up the registry analysis: out of memory");
		goto out;
	}
	if (outfile && !(so.out = fopen(outfile, "w"))) {
		cli_error(CMD, "cannot open '%s': %s", outfile, strerror(errno));
		so.out = stdout;
		goto out;
	}
	progress_init(&so.pg, "scanning", 0);
	if (so.quiet)
		so.pg.enabled = false;
	struct mamori_host_callbacks cb = {
		.on_finding = on_finding,
		.on_error = on_error,
		.on_progress = on_progress,
		.ctx = &so,
	};
	struct mamori_host_stats st;
	uint64_t t0 = mono_usec();
	rc = mamori_host_scan(sc, (const char *const *)argv + optind, (size_t)(argc - optind),
			      &cb, &st);
	double secs = (double)(mono_usec() - t0) / 1e6;
	progress_finish(&so.pg);
	if (rc < 0 && rc != MAMORI_ESTATE) {
		cli_error(CMD, "scan failed: %s", mamori_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < hrep.n; i++) {
		const struct mamori_hive_file *hf = &hrep.files[i];
		if (hf->err)
			cli_warn(CMD, "%s", hf->msg[0] ? hf->msg : hf->path);
		else if (hf->dirty)
			cli_warn(CMD, "hive '%s' is dirty (sequence numbers %u and %u differ: "
				      "pending transaction logs); analysed as it is on disk",
				 hf->path, (unsigned)hf->seq1, (unsigned)hf->seq2);
	}
	if (!so.quiet && hrep.n)
		fprintf(stderr, "mamori scan: %zu registry hives analysed (%zu dirty, %zu unreadable), "
				"%zu registry findings\n",
			hrep.n, hrep.dirty, hrep.corrupt, hrep.findings);
	if (hrep.corrupt)
		st.errors += hrep.corrupt;
	if (!so.quiet) {
		fprintf(stderr,
			"mamori scan: %llu files, %.1f MiB in %.2f s (%.0f files/s, %.1f MiB/s); "
			"%llu findings, %llu errors, %llu skipped; %llu YARA rules, %llu IOC "
			"entries, %llu hash IOCs\n",
			(unsigned long long)st.files, (double)st.bytes / 1048576.0, secs,
			secs > 0 ? (double)st.files / secs : 0.0,
			secs > 0 ? (double)st.bytes / 1048576.0 / secs : 0.0,
			(unsigned long long)st.findings, (unsigned long long)st.errors,
			(unsigned long long)st.skipped, (unsigned long long)st.yara_rules,
			(unsigned long long)st.ioc_entries, (unsigned long long)st.hash_entries);
	}
	if (st.findings)
		ret = EXIT_FOUND;
	else if (st.errors)
		ret = EXIT_ERROR;
	else
		ret = EXIT_CLEAN;
out:
	if (so.out && so.out != stdout && fclose(so.out) != 0) {
		cli_error(CMD, "error writing '%s': %s", outfile, strerror(errno));
		ret = EXIT_ERROR;
	}
	mamori_host_scanner_free(sc);
	mamori_hive_report_release(&hrep);
	buf_release(&so.b);
	free(yara);
	free(ioc);
	return ret;
}
