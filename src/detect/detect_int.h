/*
 * Internals of the rule parser shared by parse.c (tokenizer, header,
 * loader) and keywords.c (the keyword table and each keyword's setup).
 *
 * The parse state says where content-like keywords go: cur_list starts at
 * RULE_LIST_PMATCH; a sticky buffer keyword (http.uri, dns_query,
 * file_data) switches it to that buffer's list, base64_data to
 * RULE_LIST_BASE64, pkt_data back to the payload.  Content modifiers
 * (nocase, depth, distance, http_uri ...) act on the last content of the
 * rule, wherever it is.
 */
#ifndef MAMORI_DETECT_INT_H
#define MAMORI_DETECT_INT_H

#include "detect/rule.h"

struct rule_parse {
	struct rule *r;
	const struct rule_vars *vars;
	const struct rule_classes *cls;
	struct mamori_diag *diag;
	unsigned col;		/* 1-based column of the current option */
	int cur_list;		/* where content/pcre/byte_* go */
	uint32_t order;		/* next sigmatch order */
	bool have_sid;
	bool explicit_priority;
};

/* Keyword flags. */
#define KWF_NOOPT	0x01u	/* takes no argument */
#define KWF_OPTARG	0x02u	/* argument optional */

struct rule_kw_def {
	const char *name;
	uint16_t id;		/* enum rule_kw */
	uint16_t flags;		/* KWF_* */
	int buffer;		/* sticky/modifier: enum app_buffer; transform:
				 * enum rule_xform_kind; -1 none */
	/* Parses arg (NULL when absent; trimmed) and records it in ps->r. */
	int (*setup)(struct rule_parse *ps, const struct rule_kw_def *kw,
		     const char *arg);
	void (*free)(void *ctx);
};

/* Looks a keyword up by name; NULL if unknown. */
const struct rule_kw_def *rule_kw_lookup(const char *name);
/* True for Suricata keywords mamori knows of but does not implement
 * ("unsupported keyword" rather than "unknown keyword"). */
bool rule_kw_unsupported(const char *name);
/* Frees a sigmatch argument with its keyword's free function. */
void rule_sm_free(struct rule_sm *sm);

/* Sets ps->diag (at ps->col) and returns MAMORI_EFORMAT. */
int rule_perr(struct rule_parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends a sigmatch (takes ctx; on failure frees it with kw's free). */
int rule_sm_append(struct rule_parse *ps, int list, uint16_t kw, void *ctx);

/* The app protocol implied by a buffer ("http." -> APP_HTTP). */
enum app_proto_id rule_buffer_app(int buffer);

/* Picks and marks the rule's fast pattern (parse.c). */
void rule_pick_fast_pattern(struct rule *r);

#endif
