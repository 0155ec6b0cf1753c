/*
 * mamori rules check FILE... [--json] [-c classification.config]
 *
 * Loads Suricata-syntax rule files the way "mamori net" will and reports
 * every rule that does not load as "file:line:column: reason" on stdout,
 * then "N loaded, N rejected".  Exit 0 when everything loaded, 1 when a
 * rule was rejected, 2 on a usage or I/O error.  The classification file
 * is, in order: -c, classification.config next to the first rule file,
 * the built-in rules/classification.config.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "detect/rule.h"
#include "util/buf.h"
#include "util/jw.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mamori rules check FILE... [--json] [-c CLASSIFICATION]\n\n"
		"Loads Suricata-syntax rule files and reports each rule that does not\n"
		"load as 'file:line:column: reason', then 'N loaded, N rejected'.\n\n"
		"  -c FILE   classification.config (default: the one next to the\n"
		"            first rule file, else the built-in one)\n"
		"  --json    one JSON object with the counts and every rejection\n\n"
		"exit: 0 all loaded, 1 some rejected, 2 error\n");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* classification.config in the folder of path, if it exists (malloc'd). */
static char *sibling_classification(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
	static const char name[] = "classification.config";
	char *c = malloc(dir + sizeof(name));
	if (!c)
		return NULL;
	memcpy(c, path, dir);
	memcpy(c + dir, name, sizeof(name));
	if (access(c, R_OK) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void print_json(const struct ruleset *rs, double secs)
{
	struct buf out;
	struct jw w;
	buf_init(&out, 0);
	jw_init(&w, &out);
	jw_open_obj(&w, NULL);
	jw_u64(&w, "loaded", rs->n);
	jw_u64(&w, "rejected", rs->nrejects);
	jw_u64(&w, "unparsed_app_proto", rs->n_unparsed_app);
	jw_double(&w, "seconds", secs);
	jw_open_arr(&w, "rejects");
	for (size_t i = 0; i < rs->nrejects_kept; i++) {
		const struct rule_reject *r = &rs->rejects[i];
		jw_open_obj(&w, NULL);
		jw_str(&w, "file", r->file);
		jw_u64(&w, "line", r->line);
		jw_u64(&w, "column", r->column);
		jw_str(&w, "reason", r->msg);
		jw_close_obj(&w);
	}
	jw_close_arr(&w);
	jw_close_obj(&w);
	fwrite(out.p, 1, out.len, stdout);
	fputc('\n', stdout);
	buf_release(&out);
}

static int rules_check(int argc, char **argv)
{
	const char *cls_path = NULL;
	bool json = false;
	int nfiles = 0;
	char **files = calloc((size_t)argc, sizeof(*files));
	char *sibling = NULL;
	struct ruleset *rs = NULL;
	int ret = EXIT_ERROR;
	if (!files) {
		cli_error("rules", "out of memory");
		return EXIT_ERROR;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-c")) {
			if (i + 1 >= argc) {
				cli_error("rules", "-c needs a file");
				goto out;
			}
			cls_path = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			ret = EXIT_CLEAN;
			goto out;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("rules", "unknown option '%s'", argv[i]);
			usage(stderr);
			goto out;
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (!nfiles) {
		usage(stderr);
		goto out;
	}
	rs = ruleset_new();
	if (!rs) {
		cli_error("rules", "out of memory");
		goto out;
	}
	if (!cls_path) {
		sibling = sibling_classification(files[0]);
		cls_path = sibling ? sibling : rule_classes_default_path();
	}
	double t0 = now_s();
	struct mamori_diag d = {0};
	int rc = rule_classes_load(&rs->classes, cls_path, &d);
	if (rc < 0) {
		if (d.line)
			cli_error("rules", "%s:%u: %s", cls_path, d.line, d.msg);
		else
			cli_error("rules", "%s", d.msg[0] ? d.msg : mamori_strerror(rc));
		goto out;
	}
	bool io_error = false;
	for (int i = 0; i < nfiles; i++) {
		memset(&d, 0, sizeof(d));
		rc = ruleset_load_file(rs, files[i], &d);
		if (rc == MAMORI_ENOMEM) {
			cli_error("rules", "out of memory");
			goto out;
		}
		if (rc < 0) {
			cli_error("rules", "%s", d.msg[0] ? d.msg : mamori_strerror(rc));
			io_error = true;
		}
	}
	double secs = now_s() - t0;
	if (json) {
		print_json(rs, secs);
	} else {
		for (size_t i = 0; i < rs->nrejects_kept; i++) {
			const struct rule_reject *r = &rs->rejects[i];
			if (r->column)
				printf("%s:%u:%u: %s\n", r->file, r->line, r->column, r->msg);
			else
				printf("%s:%u: %s\n", r->file, r->line, r->msg);
		}
		if (rs->nrejects > rs->nrejects_kept)
			printf("(%zu more rejections not listed)\n",
			       rs->nrejects - rs->nrejects_kept);
		printf("%zu loaded, %zu rejected\n", rs->n, rs->nrejects);
		if (rs->n_unparsed_app)
			fprintf(stderr, "note: %zu loaded rules are for app protocols mamori "
					"does not parse yet; they cannot match\n",
				rs->n_unparsed_app);
		fprintf(stderr, "load time: %.2f s (classification: %s)\n", secs, cls_path);
	}
	fflush(stdout);
	ret = io_error ? EXIT_ERROR : rs->nrejects ? EXIT_FOUND : EXIT_CLEAN;
out:
	ruleset_free(rs);
	free(sibling);
	free(files);
	return ret;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_CLEAN;
	}
	if (!strcmp(argv[1], "check"))
		return rules_check(argc - 1, argv + 1);
	cli_error("rules", "unknown subcommand '%s'; see 'mamori rules --help'", argv[1]);
	return EXIT_ERROR;
}
