/*
 * Registry edits on a hive copy with libhivex opened for writing: delete a
 * value, set a DWORD (creating the key path when asked, for the autorun
 * policy), drop one string from a REG_MULTI_SZ, delete a key.  Each edit
 * reports whether it changed anything (an edit whose target is already in
 * the wanted state is a no-op, which makes re-runs idempotent) and the old
 * value (type and bytes) for the journal; rm_hedit_verify re-reads a
 * committed copy to check that every edit took.
 *
 * Invariants: key paths are looked up from the root for every edit (a
 * deleted key invalidates node handles); the hive root itself is never
 * deleted; value data is capped by libhivex's own limits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hivex.h>

#include "remedy/hedit.h"
#include "util/err.h"

#define HEDIT_MAX_DEPTH 64

/* Walks key from the root; create adds missing keys.  0 = not found. */
static hive_node_h lookup(hive_h *h, const char *key, bool create)
{
	char comp[512];
	hive_node_h node = hivex_root(h);
	for (const char *p = key; node && *p;) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(comp))
			return 0;
		memcpy(comp, p, n);
		comp[n] = 0;
		errno = 0;
		hive_node_h c = hivex_node_get_child(h, node, comp);
		if (!c && create && errno == 0)
			c = hivex_node_add_child(h, node, comp);
		node = c;
		p += n + (e ? 1 : 0);
	}
	return node;
}

static void hexdump(const uint8_t *d, size_t n, char *out, size_t outn)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o + 3 < outn; i++, o += 2)
		snprintf(out + o, 3, "%02x", d[i]);
	if (o + 3 >= outn && n * 2 >= outn && outn > 4)
		memcpy(out + outn - 4, "...", 4);
}

static void note_old(hive_h *h, hive_value_h v, struct rm_hedit_res *res)
{
	hive_type t;
	size_t len;
	char *d = hivex_value_value(h, v, &t, &len);
	if (!d)
		return;
	res->old_type = (uint32_t)t;
	hexdump((const uint8_t *)d, len, res->old_hex, sizeof(res->old_hex));
	free(d);
}

static int delete_value(hive_h *h, const struct mamori_remedy_action *a,
			struct rm_hedit_res *res)
{
	hive_node_h node = lookup(h, a->key, false);
	hive_value_h *vals = NULL;
	hive_set_value *set = NULL;
	size_t n = 0, k = 0;
	int rc = 0;
	if (!node || !hivex_node_get_value(h, node, a->value))
		return 0;
	if (!(vals = hivex_node_values(h, node)))
		return MAMORI_EDEP;
	while (vals[n])
		n++;
	set = calloc(n ? n : 1, sizeof(*set));
	if (!set)
		FAIL(MAMORI_ENOMEM);
	for (size_t i = 0; i < n; i++) {
		char *name = hivex_value_key(h, vals[i]);
		if (!name)
			FAIL(MAMORI_EDEP);
		if (!strcasecmp(name, a->value)) {
			note_old(h, vals[i], res);
			free(name);
			continue;
		}
		hive_type t;
		size_t len;
		char *d = hivex_value_value(h, vals[i], &t, &len);
		if (!d) {
			free(name);
			FAIL(MAMORI_EDEP);
		}
		set[k++] = (hive_set_value){.key = name, .t = t, .len = len, .value = d};
	}
	if (hivex_node_set_values(h, node, k, set, 0) < 0)
		FAIL(MAMORI_EDEP);
	res->changed = true;
out:
	for (size_t i = 0; set && i < k; i++) {
		free(set[i].key);
		free(set[i].value);
	}
	free(set);
	free(vals);
	return rc;
}

static int set_dword(hive_h *h, const struct mamori_remedy_action *a, bool create,
		     struct rm_hedit_res *res)
{
	hive_node_h node = lookup(h, a->key, create);
	if (!node)
		return create ? MAMORI_EDEP : 0;
	hive_value_h v = hivex_node_get_value(h, node, a->value);
	if (v) {
		hive_type t;
		size_t len;
		char *d = hivex_value_value(h, v, &t, &len);
		bool same = d && t == hive_t_REG_DWORD && len == 4 &&
			    (uint32_t)((uint8_t)d[0] | (uint8_t)d[1] << 8 | (uint8_t)d[2] << 16 |
				       (uint32_t)(uint8_t)d[3] << 24) == a->dword;
		free(d);
		if (same)
			return 0;
		note_old(h, v, res);
	} else {
		snprintf(res->old_hex, sizeof(res->old_hex), "absent");
	}
	char le[4] = {(char)(a->dword & 0xff), (char)(a->dword >> 8 & 0xff),
		      (char)(a->dword >> 16 & 0xff), (char)(a->dword >> 24 & 0xff)};
	hive_set_value sv = {.key = a->value, .t = hive_t_REG_DWORD, .len = 4, .value = le};
	if (hivex_node_set_value(h, node, &sv, 0) < 0)
		return MAMORI_EDEP;
	res->changed = true;
	return 0;
}

/* UTF-16LE string at p (n units) equals ASCII s, case-insensitively. */
static bool u16_eq(const uint8_t *p, size_t n, const char *s)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned)p[2 * i] | (unsigned)p[2 * i + 1] << 8;
		unsigned d = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (d >= 'A' && d <= 'Z')
			d += 32;
		if (c != d)
			return false;
	}
	return true;
}

static bool entry_match(const uint8_t *p, size_t n, const char *entry)
{
	char withdll[300];
	snprintf(withdll, sizeof(withdll), "%s.dll", entry);
	return u16_eq(p, n, entry) || u16_eq(p, n, withdll);
}

static int remove_entry(hive_h *h, const struct mamori_remedy_action *a,
			struct rm_hedit_res *res)
{
	hive_node_h node = lookup(h, a->key, false);
	hive_value_h v = node ? hivex_node_get_value(h, node, a->value) : 0;
	hive_type t;
	size_t len;
	char *d;
	int rc = 0;
	if (!v)
		return 0;
	if (!(d = hivex_value_value(h, v, &t, &len)))
		return MAMORI_EDEP;
	uint8_t *out = malloc(len + 4);
	if (!out)
		FAIL(MAMORI_ENOMEM);
	if (t != hive_t_REG_MULTI_SZ)
		FAIL(MAMORI_EFORMAT);
	const uint8_t *p = (const uint8_t *)d;
	size_t units = len / 2, i = 0, o = 0;
	bool removed = false;
	while (i < units) {
		size_t s = i;
		while (i < units && (p[2 * i] | p[2 * i + 1]))
			i++;
		size_t n = i - s;
		if (n == 0 && i < units)
			break;	/* the empty string ending the list */
		if (entry_match(p + 2 * s, n, a->entry)) {
			removed = true;
		} else {
			memcpy(out + o, p + 2 * s, 2 * n);
			o += 2 * n;
			out[o++] = 0;
			out[o++] = 0;
		}
		i++;
	}
	if (!removed)
		goto out;
	out[o++] = 0;
	out[o++] = 0;
	note_old(h, v, res);
	hive_set_value sv = {.key = a->value, .t = hive_t_REG_MULTI_SZ, .len = o,
			     .value = (char *)out};
	if (hivex_node_set_value(h, node, &sv, 0) < 0)
		FAIL(MAMORI_EDEP);
	res->changed = true;
out:
	free(out);
	free(d);
	return rc;
}

static int delete_key(hive_h *h, const struct mamori_remedy_action *a,
		      struct rm_hedit_res *res)
{
	hive_node_h node = lookup(h, a->key, false);
	if (!node)
		return 0;
	if (node == hivex_root(h))
		return MAMORI_EPERM;
	if (hivex_node_delete_child(h, node) < 0)
		return MAMORI_EDEP;
	snprintf(res->old_hex, sizeof(res->old_hex), "key");
	res->changed = true;
	return 0;
}

/* s as REG_SZ bytes (UTF-16LE, NUL-terminated) into out (2 * len + 2). */
static size_t utf16(const char *s, char *out)
{
	size_t o = 0;
	for (; *s; s++) {
		out[o++] = *s;
		out[o++] = 0;
	}
	out[o++] = 0;
	out[o++] = 0;
	return o;
}

static bool value_is(hive_h *h, hive_value_h v, const char *want, size_t n)
{
	hive_type t;
	size_t len;
	char *d = v ? hivex_value_value(h, v, &t, &len) : NULL;
	bool same = d && (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) &&
		    ((len == n && !memcmp(d, want, n)) ||
		     (len == n - 2 && !memcmp(d, want, n - 2)));
	free(d);
	return same;
}

static int set_string(hive_h *h, const struct mamori_remedy_action *a,
		      struct rm_hedit_res *res)
{
	hive_node_h node = lookup(h, a->key, false);
	char *w;
	int rc = 0;
	if (!node)
		return 0;
	hive_value_h v = hivex_node_get_value(h, node, a->value);
	if (!(w = malloc(2 * strlen(a->string) + 2)))
		return MAMORI_ENOMEM;
	size_t n = utf16(a->string, w);
	if (value_is(h, v, w, n))
		goto out;
	if (v)
		note_old(h, v, res);
	hive_set_value sv = {.key = a->value, .t = hive_t_REG_SZ, .len = n, .value = w};
	if (hivex_node_set_value(h, node, &sv, 0) < 0)
		FAIL(MAMORI_EDEP);
	res->changed = true;
out:
	free(w);
	return rc;
}

int rm_hedit_apply(hive_h *h, const struct mamori_remedy_action *a,
		   struct rm_hedit_res *res)
{
	memset(res, 0, sizeof(*res));
	switch (a->op) {
	case MAMORI_RM_DELETE_VALUE:
		return delete_value(h, a, res);
	case MAMORI_RM_SET_DWORD:
	case MAMORI_RM_RESTORE_START:
		return set_dword(h, a, false, res);
	case MAMORI_RM_SET_AUTORUN_POLICY:
		return set_dword(h, a, true, res);
	case MAMORI_RM_REMOVE_LIST_ENTRY:
		return remove_entry(h, a, res);
	case MAMORI_RM_DELETE_KEY:
		return delete_key(h, a, res);
	case MAMORI_RM_SET_STRING:
		return set_string(h, a, res);
	default:
		return MAMORI_EINVAL;
	}
}

bool rm_hedit_verify(hive_h *h, const struct mamori_remedy_action *a)
{
	hive_node_h node = lookup(h, a->key, false);
	hive_value_h v = node && a->value ? hivex_node_get_value(h, node, a->value) : 0;
	switch (a->op) {
	case MAMORI_RM_DELETE_VALUE:
		return !v;
	case MAMORI_RM_DELETE_KEY:
		return !node;
	case MAMORI_RM_SET_STRING: {
		char *w = malloc(2 * strlen(a->string) + 2);
		bool ok = w && (!node || value_is(h, v, w, utf16(a->string, w)));
		free(w);
		return ok;
	}
	case MAMORI_RM_SET_DWORD:
	case MAMORI_RM_RESTORE_START:
	case MAMORI_RM_SET_AUTORUN_POLICY: {
		if (!v)
			return a->op != MAMORI_RM_SET_AUTORUN_POLICY && !node;
		int32_t d = hivex_value_dword(h, v);
		return (uint32_t)d == a->dword;
	}
	case MAMORI_RM_REMOVE_LIST_ENTRY: {
		if (!v)
			return true;
		hive_type t;
		size_t len;
		char *d = hivex_value_value(h, v, &t, &len);
		bool ok = d != NULL;
		const uint8_t *p = (const uint8_t *)d;
		for (size_t i = 0, s = 0; ok && i + 1 < len; i += 2)
			if (!(p[i] | p[i + 1])) {
				if (entry_match(p + s, (i - s) / 2, a->entry))
					ok = false;
				s = i + 2;
			}
		free(d);
		return ok;
	}
	default:
		return false;
	}
}
