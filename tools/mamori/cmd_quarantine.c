/*
 * `mamori quarantine list|restore|purge`: the quarantine store of
 * `mamori clean --apply` (src/remedy/store.c).  See
 * docs/man/mamori-quarantine.1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "mamori/mamori.h"
#include "remedy/remedy.h"
#include "util/buf.h"
#include "util/jw.h"

#define CMD "quarantine"

static const char usage_text[] =
	"usage: mamori quarantine [--json] --quarantine DIR list\n"
	"       mamori quarantine --quarantine DIR restore ID|--all\n"
	"       mamori quarantine --quarantine DIR purge ID|--all\n"
	"\n"
	"Lists, restores (SHA-256 checked, to the original path, mode, owner and\n"
	"times) or deletes for good the files `mamori clean --apply` quarantined.\n"
	"  --quarantine DIR  the quarantine folder (required)\n"
	"  --json            list as JSON lines\n"
	"  --all             restore or purge every quarantined item\n";

struct list_ctx {
	bool json;
	struct buf b;
	int64_t *ids;
	size_t n, cap;
	bool collect;
};

static int on_item(const struct mamori_quar_item *it, void *vctx)
{
	struct list_ctx *c = vctx;
	if (c->collect) {
		if (strcmp(it->status, "quarantined"))
			return 0;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			int64_t *v = realloc(c->ids, cap * sizeof(*v));
			if (!v)
				return 1;
			c->ids = v;
			c->cap = cap;
		}
		c->ids[c->n++] = it->id;
		return 0;
	}
	if (c->json) {
		struct jw w;
		buf_reset(&c->b);
		jw_init(&w, &c->b);
		jw_open_obj(&w, NULL);
		jw_i64(&w, "id", it->id);
		jw_str(&w, "status", it->status);
		jw_str(&w, "root", it->root);
		jw_str(&w, "path", it->path);
		jw_u64(&w, "size", it->size);
		jw_u64(&w, "mode", it->mode);
		jw_u64(&w, "uid", it->uid);
		jw_u64(&w, "gid", it->gid);
		jw_i64(&w, "mtime_ns", it->mtime_ns);
		jw_i64(&w, "atime_ns", it->atime_ns);
		jw_str(&w, "sha256", it->sha256);
		jw_str(&w, "family", it->family);
		jw_str(&w, "indicator", it->indicator);
		jw_timestamp(&w, "quarantined", (uint64_t)it->qtime * 1000000u);
		jw_str(&w, "journal", it->journal);
		jw_i64(&w, "step", it->step);
		jw_close_obj(&w);
		if (!jw_error(&w))
			printf("%s\n", buf_str(&c->b));
	} else {
		printf("%6lld  %-11s %10llu  %.16s  %-10s %-28s %s/%s\n", (long long)it->id,
		       it->status, (unsigned long long)it->size, it->sha256, it->family,
		       it->indicator, it->root, it->path);
	}
	return 0;
}

int cmd_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"quarantine", required_argument, NULL, 'q'},
		{"all", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct list_ctx lc;
	struct mamori_diag diag;
	const char *qdir = NULL;
	bool all = false;
	int ret = EXIT_ERROR, c, rc;
	memset(&lc, 0, sizeof(lc));
	memset(&diag, 0, sizeof(diag));
	buf_init(&lc.b, 1 << 16);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': lc.json = true; break;
		case 'q': qdir = optarg; break;
		case 'A': all = true; break;
		case 'h':
			fputs(usage_text, stdout);
			ret = EXIT_CLEAN;
			goto out;
		default:
			fputs(usage_text, stderr);
			goto out;
		}
	}
	if (!qdir || optind >= argc) {
		fputs(usage_text, stderr);
		goto out;
	}
	const char *verb = argv[optind];
	if (!strcmp(verb, "list")) {
		if ((rc = mamori_quar_list(qdir, on_item, &lc, &diag)) < 0) {
			cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
			goto out;
		}
		ret = EXIT_CLEAN;
		goto out;
	}
	bool restore = !strcmp(verb, "restore");
	if (!restore && strcmp(verb, "purge")) {
		cli_error(CMD, "unknown verb '%s' (list, restore, purge)", verb);
		goto out;
	}
	if (all == (optind + 1 < argc)) {
		cli_error(CMD, "%s wants one ID or --all", verb);
		goto out;
	}
	if (all) {
		lc.collect = true;
		if ((rc = mamori_quar_list(qdir, on_item, &lc, &diag)) < 0) {
			cli_error(CMD, "%s", diag.msg[0] ? diag.msg : mamori_strerror(rc));
			goto out;
		}
	} else {
		uint64_t id;
		if (!cli_parse_u64(argv[optind + 1], INT64_MAX, &id)) {
			cli_error(CMD, "'%s' is not an item id", argv[optind + 1]);
			goto out;
		}
		lc.ids = malloc(sizeof(*lc.ids));
		if (!lc.ids)
			goto out;
		lc.ids[0] = (int64_t)id;
		lc.n = 1;
	}
	ret = EXIT_CLEAN;
	for (size_t i = lc.n; i-- > 0;) {
		memset(&diag, 0, sizeof(diag));
		rc = restore ? mamori_quar_restore(qdir, lc.ids[i], &diag)
			     : mamori_quar_purge(qdir, lc.ids[i], &diag);
		if (rc < 0) {
			cli_error(CMD, "%s %lld: %s", verb, (long long)lc.ids[i],
				  diag.msg[0] ? diag.msg : mamori_strerror(rc));
			ret = EXIT_ERROR;
		} else if (!lc.json) {
			printf("%s %lld\n", restore ? "restored" : "purged", (long long)lc.ids[i]);
		}
	}
	if (getenv("MAMORI_CRASH_AT"))	/* test hook: how many crash points ran */
		fprintf(stderr, "mamori quarantine: crash points: %u\n",
			mamori_remedy_crash_points());
out:
	free(lc.ids);
	buf_release(&lc.b);
	return ret;
}
