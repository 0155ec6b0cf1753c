/*
 * classification.config: the classtype table of rules.
 *
 * Each "config classification: shortname,short description,priority" line
 * gives a classtype its EVE category (the description) and severity (the
 * priority).  Lines that are blank or start with '#' are ignored; any other
 * line is an error with its line number.  As in Suricata, a class defined
 * twice keeps the later definition.  Names are compared case-insensitively
 * (Suricata lowercases them).
 *
 * Invariant: every entry has a non-empty name and description and a
 * priority in 1..255.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/rule.h"
#include "util/err.h"

#define CLASS_FILE_MAX (4 * 1024 * 1024)
#define CLASS_MAX 4096

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

static int add_class(struct rule_classes *cls, const char *name, const char *desc,
		     int prio)
{
	char *n = strdup(name), *d = strdup(desc);
	if (!n || !d) {
		free(n);
		free(d);
		return MAMORI_ENOMEM;
	}
	for (char *p = n; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < cls->n; i++) {
		if (!strcmp(cls->v[i].name, n)) {
			free(cls->v[i].name);
			free(cls->v[i].desc);
			cls->v[i] = (struct rule_class){n, d, prio};
			return 0;
		}
	}
	if (cls->n >= CLASS_MAX) {
		free(n);
		free(d);
		return MAMORI_ELIMIT;
	}
	struct rule_class *nv = realloc(cls->v, (cls->n + 1) * sizeof(*nv));
	if (!nv) {
		free(n);
		free(d);
		return MAMORI_ENOMEM;
	}
	cls->v = nv;
	cls->v[cls->n++] = (struct rule_class){n, d, prio};
	return 0;
}

static int parse_line(struct rule_classes *cls, char *line, unsigned lineno,
		      struct mamori_diag *diag)
{
	static const char key[] = "config classification:";
	char *s = trim(line);
	if (!*s || *s == '#')
		return 0;
	if (strncasecmp(s, key, sizeof(key) - 1)) {
		mamori_diag_set(diag, lineno, 1, "expected 'config classification:'");
		return MAMORI_FORMAT_ERR();
	}
	s += sizeof(key) - 1;
	char *c1 = strchr(s, ','), *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
	if (!c1 || !c2) {
		mamori_diag_set(diag, lineno, 0,
				"expected 'name,description,priority'");
		return MAMORI_FORMAT_ERR();
	}
	*c1 = *c2 = 0;
	char *name = trim(s), *desc = trim(c1 + 1), *prio = trim(c2 + 1);
	char *end;
	errno = 0;
	long p = strtol(prio, &end, 10);
	if (!*name || !*desc || !*prio || *end || errno || p < 1 || p > 255) {
		mamori_diag_set(diag, lineno, 0, "invalid classification '%s'", name);
		return MAMORI_FORMAT_ERR();
	}
	for (const char *q = name; *q; q++) {
		if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
			mamori_diag_set(diag, lineno, 0, "invalid class name '%s'", name);
			return MAMORI_FORMAT_ERR();
		}
	}
	return add_class(cls, name, desc, (int)p);
}

int rule_classes_load_string(struct rule_classes *cls, const char *text,
			     struct mamori_diag *diag)
{
	unsigned lineno = 0;
	int rc = 0;
	char *copy = strdup(text);
	if (!copy)
		return MAMORI_ENOMEM;
	char *p = copy;
	/* strtok_r would skip empty lines and lose the line count. */
	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		CHECK(parse_line(cls, p, lineno, diag));
		p = nl ? nl + 1 : NULL;
	}
out:
	free(copy);
	return rc;
}

int rule_classes_load(struct rule_classes *cls, const char *path,
		      struct mamori_diag *diag)
{
	int rc = 0;
	char *data = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		mamori_diag_set(diag, 0, 0, "cannot open '%s': %s", path, strerror(errno));
		return MAMORI_EIO;
	}
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			size_t nc = cap ? cap * 2 : 16384;
			if (nc > CLASS_FILE_MAX + 4096 + 1) {
				mamori_diag_set(diag, 0, 0, "'%s' is too large", path);
				FAIL(MAMORI_ELIMIT);
			}
			char *nd = realloc(data, nc);
			if (!nd)
				FAIL(MAMORI_ENOMEM);
			data = nd;
			cap = nc;
		}
		size_t got = fread(data + len, 1, 4096, f);
		len += got;
		if (got < 4096) {
			if (ferror(f)) {
				mamori_diag_set(diag, 0, 0, "cannot read '%s'", path);
				FAIL(MAMORI_EIO);
			}
			break;
		}
	}
	data[len] = 0;
	if (memchr(data, 0, len)) {
		mamori_diag_set(diag, 0, 0, "'%s' holds a NUL byte", path);
		FAIL(MAMORI_FORMAT_ERR());
	}
	rc = rule_classes_load_string(cls, data, diag);
out:
	if (diag && rc < 0)
		diag->file = path;
	free(data);
	fclose(f);
	return rc;
}

const char *rule_classes_default_path(void)
{
#ifdef MAMORI_RULES_DIR
	return MAMORI_RULES_DIR "/classification.config";
#else
	return "rules/classification.config";
#endif
}

const struct rule_class *rule_classes_find(const struct rule_classes *cls,
					   const char *name)
{
	for (size_t i = 0; i < cls->n; i++)
		if (!strcasecmp(cls->v[i].name, name))
			return &cls->v[i];
	return NULL;
}

void rule_classes_release(struct rule_classes *cls)
{
	for (size_t i = 0; i < cls->n; i++) {
		free(cls->v[i].name);
		free(cls->v[i].desc);
	}
	free(cls->v);
	cls->v = NULL;
	cls->n = 0;
}
