/*
 * AUTORUN.INF tolerant parser (autorun.h) and the host analyzer over it.
 *
 * Lines end at CR, LF or NUL.  A line whose first non-blank byte is '['
 * opens a section; the name runs to ']' or, when ']' is missing, to the end
 * of the line.  Inside [autorun], "key = value" lines are kept; lines
 * starting with ';' are comments; lines without '=' (the junk Conficker
 * interleaves) are skipped.  Each input byte is looked at once, so a
 * multi-megabyte junk file costs one linear pass.
 *
 * Findings (one per indicator per file):
 *   conficker.autorun.recycler  a launch entry runs something from RECYCLER
 *                               or $Recycle.Bin
 *   conficker.autorun.rundll32  a launch entry runs rundll32 (a DLL from
 *                               removable media: never legitimate)
 *   generic.autorun.obfuscated  launch entries hidden among binary junk
 */
#include <stdio.h>
#include <string.h>

#include "host/autorun.h"
#include "host/host_int.h"

#define AR_JUNK_MIN 256		/* junk bytes that make a file "obfuscated" */

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool is_junk(uint8_t c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c >= 0x7f;
}

/* Copies [s, e) trimmed into dst (cap n), junk bytes as '?'. */
static void copy_trim(const uint8_t *s, const uint8_t *e, char *dst, size_t n)
{
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	size_t o = 0;
	for (; s < e && o + 1 < n; s++)
		dst[o++] = is_junk(*s) ? '?' : (char)*s;
	dst[o] = 0;
}

static enum mamori_autorun_kind key_kind(const char *k)
{
	if (host_ieq(k, "open"))
		return MAMORI_AUTORUN_OPEN;
	if (host_ieq(k, "shellexecute"))
		return MAMORI_AUTORUN_SHELLEXECUTE;
	if (host_ieq(k, "useautoplay"))
		return MAMORI_AUTORUN_USEAUTOPLAY;
	size_t l = strlen(k);
	if (l > 14 && !strncasecmp(k, "shell\\", 6) &&
	    !strcasecmp(k + l - 8, "\\command"))
		return MAMORI_AUTORUN_SHELL_COMMAND;
	return MAMORI_AUTORUN_OTHER;
}

static bool section_is_autorun(const char *name)
{
	/* [autorun], [AutoRun.Amd64], [autorun.ia64] ... */
	return !strncasecmp(name, "autorun", 7) && (name[7] == 0 || name[7] == '.');
}

int mamori_autorun_parse(const uint8_t *p, size_t n, struct mamori_autorun *out)
{
	memset(out, 0, sizeof(*out));
	bool in_autorun = false;
	size_t i = 0;
	while (i < n) {
		size_t s = i;
		while (i < n && p[i] != '\r' && p[i] != '\n' && p[i] != 0) {
			if (is_junk(p[i]))
				out->junk_bytes++;
			i++;
		}
		size_t e = i;
		if (i < n) {
			if (p[i] == 0)
				out->junk_bytes++;
			/* CR LF is one line end */
			i += (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
		}
		out->lines++;
		while (s < e && is_blank(p[s]))
			s++;
		if (s == e || p[s] == ';')
			continue;
		if (p[s] == '[') {
			const uint8_t *close = memchr(p + s + 1, ']', e - s - 1);
			char name[64];
			copy_trim(p + s + 1, close ? close : p + e, name, sizeof(name));
			in_autorun = section_is_autorun(name);
			if (in_autorun)
				out->has_section = true;
			continue;
		}
		if (!in_autorun)
			continue;
		const uint8_t *eq = memchr(p + s, '=', e - s);
		if (!eq)
			continue;
		if (out->n == MAMORI_AUTORUN_MAX_ENTRIES) {
			out->dropped++;
			continue;
		}
		struct mamori_autorun_entry *en = &out->e[out->n];
		copy_trim(p + s, eq, en->key, sizeof(en->key));
		if (!en->key[0])
			continue;
		copy_trim(eq + 1, p + e, en->value, sizeof(en->value));
		/* strip one pair of surrounding quotes around the whole value */
		size_t vl = strlen(en->value);
		if (vl >= 2 && en->value[0] == '"' && en->value[vl - 1] == '"' &&
		    !memchr(en->value + 1, '"', vl - 2)) {
			memmove(en->value, en->value + 1, vl - 2);
			en->value[vl - 2] = 0;
		}
		en->kind = key_kind(en->key);
		en->line = (unsigned)out->lines;
		out->n++;
	}
	return 0;
}

/* Copies the next token of *s (quoted, or up to a blank or stop) into dst. */
static void next_token(const char **s, char *dst, size_t cap, char stop)
{
	const char *p = *s;
	size_t o = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (o + 1 < cap)
				dst[o++] = *p;
			p++;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && *p != ' ' && *p != '\t' && *p != stop) {
			if (o + 1 < cap)
				dst[o++] = *p;
			p++;
		}
	}
	if (cap)
		dst[o] = 0;
	*s = p;
}

bool mamori_autorun_split_command(const char *cmd, char *prog, char *target,
				  size_t cap)
{
	const char *p = cmd;
	next_token(&p, prog, cap, 0);
	target[0] = 0;
	const char *b = host_basename(prog);
	if (!host_ieq(b, "rundll32") && !host_ieq(b, "rundll32.exe"))
		return false;
	next_token(&p, target, cap, ',');
	return true;
}

static bool from_recycler(const char *s)
{
	return host_icontains(s, "recycler\\") || host_icontains(s, "recycler/") ||
	       host_icontains(s, "$recycle.bin") || host_icontains(s, "recycled\\");
}

/* The launched file as a host path: autorun.inf's folder + ".\x\y". */
static void resolve(const struct host_file *f, const char *rel, char *dst, size_t n)
{
	const char *dir_end = host_basename(f->path);
	size_t dl = (size_t)(dir_end - f->path);
	while (rel[0] == '.' && (rel[1] == '\\' || rel[1] == '/'))
		rel += 2;
	if (rel[0] && rel[1] == ':') {	/* drive-absolute: keep as is */
		snprintf(dst, n, "%s", rel);
		return;
	}
	while (*rel == '\\' || *rel == '/')
		rel++;
	snprintf(dst, n, "%.*s%s", (int)dl, f->path, rel);
	for (char *q = dst + dl; *q; q++)
		if (*q == '\\')
			*q = '/';
}

int host_autorun_run(struct host_file *f)
{
	if (strcmp(f->mname, "autorun.inf") != 0 || !f->size)
		return 0;
	struct mamori_autorun ar;
	char prog[MAMORI_AUTORUN_VALUE], target[MAMORI_AUTORUN_VALUE];
	char where[1024];
	int rc;
	mamori_autorun_parse(f->data, f->size, &ar);
	size_t launches = 0;
	for (size_t i = 0; i < ar.n; i++) {
		const struct mamori_autorun_entry *e = &ar.e[i];
		if (e->kind != MAMORI_AUTORUN_OPEN && e->kind != MAMORI_AUTORUN_SHELLEXECUTE &&
		    e->kind != MAMORI_AUTORUN_SHELL_COMMAND)
			continue;
		launches++;
		bool rundll = mamori_autorun_split_command(e->value, prog, target, sizeof(prog));
		const char *launched = rundll && target[0] ? target : prog;
		resolve(f, launched, where, sizeof(where));
		if (from_recycler(e->value)) {
			rc = host_emit(f, "conficker", "conficker.autorun.recycler", MAMORI_SEV_HIGH,
				       NULL, "line %u: %s=%s launches a file from a recycle bin (%s)",
				       e->line, e->key, e->value, where);
			if (rc)
				return rc;
		}
		if (rundll) {
			rc = host_emit(f, "conficker", "conficker.autorun.rundll32", MAMORI_SEV_HIGH,
				       NULL, "line %u: %s=%s loads a DLL with rundll32 (%s)",
				       e->line, e->key, e->value, where);
			if (rc)
				return rc;
		}
	}
	if (launches && ar.junk_bytes >= AR_JUNK_MIN)
		return host_emit(f, "generic", "generic.autorun.obfuscated", MAMORI_SEV_MEDIUM, NULL,
				 "%zu launch entr%s hidden among %zu binary junk bytes in %zu lines",
				 launches, launches == 1 ? "y" : "ies", ar.junk_bytes, ar.lines);
	return 0;
}
