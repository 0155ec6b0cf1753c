/*
 * Reading findings back from `mamori scan --json` output (JSON lines, one
 * EVE-style record per line: {"event_type":"finding","finding":{...}})
 * for `mamori clean --findings FILE`.  Parsed with libjansson (a JSON
 * reader is not worth hand-writing off the packet path).
 *
 * Invariants: a line that is not JSON, or a finding record whose fields
 * have the wrong types, is an error naming the line; records of other
 * event types are skipped; at most RM_FINDINGS_MAX records and lines of at
 * most RM_FINDINGS_LINE bytes are accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "remedy/remedy_int.h"
#include "util/err.h"

#define RM_FINDINGS_MAX 1000000
#define RM_FINDINGS_LINE (256u * 1024)

/* Field name -> where it goes in struct mamori_finding. */
static const struct {
	const char *name;
	size_t off;
	bool required;
} fields[] = {
	{"kind", offsetof(struct mamori_finding, kind), false},
	{"path", offsetof(struct mamori_finding, path), true},
	{"family", offsetof(struct mamori_finding, family), false},
	{"indicator", offsetof(struct mamori_finding, indicator), true},
	{"evidence", offsetof(struct mamori_finding, evidence), false},
	{"sha256", offsetof(struct mamori_finding, sha256), false},
	{"remedy", offsetof(struct mamori_finding, remedy), false},
	{"hive", offsetof(struct mamori_finding, hive), false},
	{"key", offsetof(struct mamori_finding, key), false},
	{"value", offsetof(struct mamori_finding, value), false},
	{"data", offsetof(struct mamori_finding, data), false},
	{"source", offsetof(struct mamori_finding, source), false},
};

static int one(json_t *rec, unsigned lineno, mamori_finding_fn cb, void *ctx,
	       struct mamori_diag *diag)
{
	struct mamori_finding f;
	json_t *et = json_object_get(rec, "event_type");
	if (!json_is_object(rec)) {
		mamori_diag_set(diag, lineno, 0, "not a JSON object");
		return MAMORI_FORMAT_ERR();
	}
	if (!json_is_string(et) || strcmp(json_string_value(et), "finding"))
		return 0;
	json_t *o = json_object_get(rec, "finding");
	if (!json_is_object(o)) {
		mamori_diag_set(diag, lineno, 0, "finding record without a \"finding\" object");
		return MAMORI_FORMAT_ERR();
	}
	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *v = json_object_get(o, fields[i].name);
		if (!v || json_is_null(v)) {
			if (fields[i].required) {
				mamori_diag_set(diag, lineno, 0, "finding without \"%s\"",
						fields[i].name);
				return MAMORI_FORMAT_ERR();
			}
			continue;
		}
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			mamori_diag_set(diag, lineno, 0, "\"%s\" is not a string (or holds NUL)",
					fields[i].name);
			return MAMORI_FORMAT_ERR();
		}
		*(const char **)((char *)&f + fields[i].off) = json_string_value(v);
	}
	json_t *sev = json_object_get(o, "severity");
	f.severity = MAMORI_SEV_MEDIUM;
	if (json_is_integer(sev) && json_integer_value(sev) >= 1 && json_integer_value(sev) <= 4)
		f.severity = (enum mamori_severity)json_integer_value(sev);
	return cb(&f, ctx) ? MAMORI_ESTATE : 0;
}

int mamori_remedy_findings_read(const uint8_t *text, size_t n, mamori_finding_fn cb,
				void *ctx, struct mamori_diag *diag)
{
	size_t off = 0, count = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (off < n && !rc) {
		const uint8_t *nl = memchr(text + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (text + off)) : n - off;
		lineno++;
		if (len > RM_FINDINGS_LINE) {
			mamori_diag_set(diag, lineno, 0, "line longer than %u bytes", RM_FINDINGS_LINE);
			return MAMORI_ELIMIT;
		}
		size_t sp = 0;
		while (sp < len && (text[off + sp] == ' ' || text[off + sp] == '\t' ||
				    text[off + sp] == '\r'))
			sp++;
		if (sp < len) {
			json_error_t err;
			json_t *rec = json_loadb((const char *)text + off, len, JSON_REJECT_DUPLICATES,
						 &err);
			if (!rec) {
				mamori_diag_set(diag, lineno, (unsigned)err.column, "bad JSON: %s",
						err.text);
				return MAMORI_FORMAT_ERR();
			}
			if (++count > RM_FINDINGS_MAX) {
				json_decref(rec);
				mamori_diag_set(diag, lineno, 0, "more than %d records", RM_FINDINGS_MAX);
				return MAMORI_ELIMIT;
			}
			rc = one(rec, lineno, cb, ctx, diag);
			json_decref(rec);
		}
		off += len + (nl ? 1 : 0);
	}
	return rc;
}
