/*
 * mamori audit — hardening checks on a mounted Windows volume: MS08-067
 * patch level, autorun policy, update services, hidden-files policy, LSA
 * packages.  Prints a table (default) or one JSON object (--json).
 * Exit: 0 every check passed (UNKNOWN does not fail), 1 any FAIL, 2 error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli.h"
#include "cmds.h"
#include "mamori/mamori.h"
#include "util/buf.h"
#include "util/jw.h"

#define CMD "audit"

static const char usage_text[] =
	"usage: mamori audit ROOT [--json]\n"
	"\n"
	"Audits the Windows installation mounted at ROOT (its hives under\n"
	"Windows/System32/config, Users/*/NTUSER.DAT and Documents and\n"
	"Settings/*/NTUSER.DAT, and Windows/System32/netapi32.dll; names are\n"
	"matched case-insensitively).  Each check is PASS, FAIL or UNKNOWN:\n"
	"  ms08-067      netapi32.dll at or above the KB958644 fix of its branch\n"
	"  autorun       NoDriveTypeAutoRun and NoDriveAutoRun = 0xFF (HKLM, each user)\n"
	"  update        wuauserv and BITS not disabled\n"
	"  hidden-files  SHOWALL CheckedValue not forced to 0\n"
	"  lsa           LSA packages are the Windows defaults\n"
	"\n"
	"      --json     one JSON object on stdout instead of the table\n"
	"  -h, --help     this help\n"
	"\n"
	"exit status: 0 all checks pass, 1 a check failed, 2 error\n";

static void print_table(const char *root, const struct mamori_audit_result *r)
{
	const struct mamori_audit_windows *w = &r->win;
	printf("Windows at %s: ", root);
	if (w->known || w->product[0])
		printf("%s (version %s, build %s%s%s)\n", w->product[0] ? w->product : "?",
		       w->version[0] ? w->version : "?", w->build[0] ? w->build : "?",
		       w->csd[0] ? ", " : "", w->csd);
	else
		printf("version unknown (no readable SOFTWARE hive)\n");
	if (r->has_netapi)
		printf("netapi32.dll: %u.%u.%u.%u\n", r->netapi_ver[0], r->netapi_ver[1],
		       r->netapi_ver[2], r->netapi_ver[3]);
	printf("\n%-8s %-13s %-22s %s\n", "STATUS", "CHECK", "SUBJECT", "DETAIL");
	for (size_t i = 0; i < r->n; i++) {
		const struct mamori_audit_check *c = &r->checks[i];
		printf("%-8s %-13s %-22s %s\n", mamori_audit_status_name(c->status), c->id,
		       c->subject, c->detail);
		if (c->advice[0])
			printf("%-8s %-13s %-22s advice: %s\n", "", "", "", c->advice);
	}
	printf("\n%zu passed, %zu failed, %zu unknown\n", r->pass, r->fail, r->unknown);
}

static void write_json(const char *root, const struct mamori_audit_result *r,
		       struct jw *w)
{
	char ver[32];
	jw_open_obj(w, NULL);
	jw_str(w, "root", root);
	jw_open_obj(w, "windows");
	jw_bool(w, "known", r->win.known);
	jw_str(w, "product_name", r->win.product);
	jw_str(w, "current_version", r->win.version);
	jw_str(w, "current_build", r->win.build);
	jw_str(w, "csd_version", r->win.csd);
	jw_u64(w, "major", r->win.major);
	jw_u64(w, "minor", r->win.minor);
	jw_close_obj(w);
	jw_open_obj(w, "netapi32");
	jw_str(w, "path", r->netapi_path);
	if (r->has_netapi) {
		snprintf(ver, sizeof(ver), "%u.%u.%u.%u", r->netapi_ver[0], r->netapi_ver[1],
			 r->netapi_ver[2], r->netapi_ver[3]);
		jw_str(w, "file_version", ver);
	} else {
		jw_null(w, "file_version");
	}
	jw_close_obj(w);
	jw_open_arr(w, "hives");
	for (size_t i = 0; i < r->hives.n; i++) {
		const struct mamori_hive_file *f = &r->hives.files[i];
		jw_open_obj(w, NULL);
		jw_str(w, "hive", mamori_hive_kind_name(f->kind));
		jw_str(w, "path", f->path);
		if (f->user)
			jw_str(w, "user", f->user);
		jw_bool(w, "dirty", f->dirty);
		if (f->err)
			jw_str(w, "error", f->msg);
		jw_close_obj(w);
	}
	jw_close_arr(w);
	jw_open_arr(w, "checks");
	for (size_t i = 0; i < r->n; i++) {
		const struct mamori_audit_check *c = &r->checks[i];
		jw_open_obj(w, NULL);
		jw_str(w, "id", c->id);
		jw_str(w, "subject", c->subject);
		jw_str(w, "status", mamori_audit_status_name(c->status));
		jw_str(w, "detail", c->detail);
		if (c->advice[0])
			jw_str(w, "advice", c->advice);
		jw_close_obj(w);
	}
	jw_close_arr(w);
	jw_open_obj(w, "summary");
	jw_u64(w, "pass", r->pass);
	jw_u64(w, "fail", r->fail);
	jw_u64(w, "unknown", r->unknown);
	jw_close_obj(w);
	jw_close_obj(w);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mamori_audit_result res;
	bool json = false;
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_CLEAN;
		default:
			fputs(usage_text, stderr);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return EXIT_ERROR;
	}
	const char *root = argv[optind];
	rc = mamori_audit_run(root, &res);
	if (rc) {
		if (rc == MAMORI_ENOENT)
			cli_error(CMD, "'%s': no Windows installation found (no hives, no "
				       "System32/netapi32.dll)", root);
		else
			cli_error(CMD, "'%s': %s", root, mamori_strerror(rc));
		mamori_audit_result_release(&res);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < res.hives.n; i++) {
		const struct mamori_hive_file *f = &res.hives.files[i];
		if (f->err)
			cli_warn(CMD, "%s", f->msg);
		else if (f->dirty)
			cli_warn(CMD, "%s hive %s is dirty (sequence numbers %u and %u "
				      "differ; its transaction logs were not replayed)",
				 mamori_hive_kind_name(f->kind), f->path, f->seq1, f->seq2);
	}
	if (json) {
		struct buf out;
		struct jw w;
		buf_init(&out, 16u * 1024 * 1024);
		jw_init(&w, &out);
		write_json(root, &res, &w);
		if (jw_error(&w)) {
			cli_error(CMD, "JSON output: %s", mamori_strerror(jw_error(&w)));
			buf_release(&out);
			mamori_audit_result_release(&res);
			return EXIT_ERROR;
		}
		fwrite(out.p, 1, out.len, stdout);
		fputc('\n', stdout);
		buf_release(&out);
	} else {
		print_table(root, &res);
	}
	rc = res.fail ? EXIT_FOUND : EXIT_CLEAN;
	mamori_audit_result_release(&res);
	return rc;
}
