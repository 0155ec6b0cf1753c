/*
 * PE reader (see pe.h): headers, sections, data directories, export
 * timestamp, VS_VERSION_INFO, security directory presence.
 *
 * Hand-written on the cursor rather than through a library because the
 * scanner needs only these few fields from every file of a volume, and
 * libyara's pe module (used by the YARA rules) exposes no C API for them.
 * Every offset taken from the file is checked with cur_at()/range_ok()
 * before use; the version-resource walk is bounded by the resource's
 * declared size and by a fixed nesting (VS_VERSIONINFO > StringFileInfo >
 * StringTable > String), so a lying length can only end the walk early.
 */
#include <string.h>

#include "host/pe.h"
#include "util/cursor.h"
#include "util/err.h"

#define PE_SIG_FIXEDFILEINFO 0xFEEF04BDu
#define PE_RT_VERSION 16
#define PE_RSRC_MAX_ENTRIES 4096	/* per directory; real files have few */

bool mamori_pe_is_pe(const uint8_t *p, size_t n)
{
	struct cursor c, s;
	uint32_t lfanew, sig;
	if (!p || n < 64 || p[0] != 'M' || p[1] != 'Z')
		return false;
	cur_init(&c, p, n);
	if (!cur_at(&c, 0x3c, 4, &s) || !cur_u32le(&s, &lfanew))
		return false;
	if (!cur_at(&c, lfanew, 4, &s) || !cur_u32le(&s, &sig))
		return false;
	return sig == 0x00004550u;
}

bool mamori_pe_rva_to_off(const struct mamori_pe *pe, size_t n, uint32_t rva,
			  size_t *off)
{
	for (unsigned i = 0; i < pe->n_sections; i++) {
		const struct mamori_pe_section *s = &pe->sec[i];
		uint32_t span = s->vsize > s->raw_size ? s->vsize : s->raw_size;
		if (rva < s->vaddr || rva - s->vaddr >= span)
			continue;
		uint32_t delta = rva - s->vaddr;
		if (delta >= s->raw_size)
			return false;	/* in the zero-filled tail */
		size_t o = (size_t)s->raw_off + delta;
		if (o >= n)
			return false;
		*off = o;
		return true;
	}
	if (rva < pe->size_of_headers && rva < n) {
		*off = rva;
		return true;
	}
	return false;
}

/* A sub-cursor over the data directory idx, cut to the file's end. */
static bool pe_dir_cursor(const struct mamori_pe *pe, const struct cursor *file,
			  unsigned idx, struct cursor *out)
{
	size_t off;
	if (idx >= pe->n_dirs || pe->dir[idx].rva == 0 || pe->dir[idx].size == 0)
		return false;
	if (!mamori_pe_rva_to_off(pe, file->len, pe->dir[idx].rva, &off))
		return false;
	size_t len = pe->dir[idx].size;
	if (len > file->len - off)
		len = file->len - off;
	return cur_at(file, off, len, out);
}

static void pe_exports(struct mamori_pe *pe, const struct cursor *file)
{
	struct cursor d;
	uint32_t characteristics, ts;
	if (!pe_dir_cursor(pe, file, MAMORI_PE_DIR_EXPORT, &d))
		return;
	if (!cur_u32le(&d, &characteristics) || !cur_u32le(&d, &ts))
		return;
	pe->has_exports = true;
	pe->export_timestamp = ts;
}

/* ---- resources ---------------------------------------------------------- */

/* Finds the entry with integer id (or the first entry when id < 0) in the
 * resource directory at dir_off; returns its OffsetToData word. */
static bool rsrc_find(const struct cursor *rs, uint32_t dir_off, int id,
		      uint32_t *data)
{
	struct cursor c;
	uint16_t n_named, n_id;
	if (!cur_at(rs, dir_off, 16, &c) || !cur_skip(&c, 12) ||
	    !cur_u16le(&c, &n_named) || !cur_u16le(&c, &n_id))
		return false;
	uint32_t total = (uint32_t)n_named + n_id;
	if (total > PE_RSRC_MAX_ENTRIES)
		total = PE_RSRC_MAX_ENTRIES;
	for (uint32_t i = 0; i < total; i++) {
		struct cursor e;
		uint32_t name, off;
		if (!cur_at(rs, (size_t)dir_off + 16 + (size_t)i * 8, 8, &e) ||
		    !cur_u32le(&e, &name) || !cur_u32le(&e, &off))
			return false;
		if (id < 0 || (!(name & 0x80000000u) && name == (uint32_t)id)) {
			*data = off;
			return true;
		}
	}
	return false;
}

/* Folds a UTF-16LE string at c (up to NUL or end) into printable ASCII. */
static void utf16_to_ascii(struct cursor *c, char *dst, size_t n)
{
	size_t o = 0;
	uint16_t ch;
	while (cur_u16le(c, &ch) && ch != 0) {
		if (o + 1 < n)
			dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (n)
		dst[o] = 0;
}

struct vblock {
	size_t end;		/* end offset of the block (inside limit) */
	size_t val_off;		/* value offset */
	size_t val_len;		/* value bytes (capped to the block) */
	size_t child_off;	/* first child */
	char key[32];
};

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/* Reads the version block header at off, which must end within limit. */
static bool vb_read(const struct cursor *v, size_t off, size_t limit,
		    struct vblock *b)
{
	struct cursor c;
	uint16_t len, vlen, type;
	if (!cur_at(v, off, 6, &c) || !cur_u16le(&c, &len) ||
	    !cur_u16le(&c, &vlen) || !cur_u16le(&c, &type))
		return false;
	if (len < 6 || !range_ok(limit, off, len))
		return false;
	b->end = off + len;
	struct cursor k;
	if (!cur_at(v, off + 6, len - 6, &k))
		return false;
	size_t before = cur_len(&k);
	utf16_to_ascii(&k, b->key, sizeof(b->key));
	size_t key_end = off + 6 + (before - cur_len(&k));
	b->val_off = align4(key_end);
	if (b->val_off > b->end)
		b->val_off = b->end;
	size_t vbytes = type == 1 ? (size_t)vlen * 2 : vlen;
	if (vbytes > b->end - b->val_off)
		vbytes = b->end - b->val_off;
	b->val_len = vbytes;
	b->child_off = align4(b->val_off + vbytes);
	if (b->child_off > b->end)
		b->child_off = b->end;
	return true;
}

static void pe_string(struct mamori_pe *pe, const char *key, struct cursor *val)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{"CompanyName", offsetof(struct mamori_pe, company)},
		{"FileDescription", offsetof(struct mamori_pe, description)},
		{"OriginalFilename", offsetof(struct mamori_pe, original_name)},
		{"InternalName", offsetof(struct mamori_pe, internal_name)},
		{"ProductName", offsetof(struct mamori_pe, product)},
		{"LegalCopyright", offsetof(struct mamori_pe, copyright)},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key))
			continue;
		char *dst = (char *)pe + fields[i].off;
		if (!dst[0])	/* first string table wins */
			utf16_to_ascii(val, dst, MAMORI_PE_STR);
		return;
	}
}

static void pe_string_file_info(struct mamori_pe *pe, const struct cursor *v,
				const struct vblock *sfi)
{
	size_t to = sfi->child_off;
	while (to < sfi->end) {	/* StringTable blocks */
		struct vblock t;
		if (!vb_read(v, to, sfi->end, &t))
			return;
		size_t so = t.child_off;
		while (so < t.end) {	/* String blocks */
			struct vblock s;
			struct cursor val;
			if (!vb_read(v, so, t.end, &s))
				break;
			if (cur_at(v, s.val_off, s.end - s.val_off, &val))
				pe_string(pe, s.key, &val);
			so = align4(s.end);
		}
		to = align4(t.end);
	}
}

static void pe_version_info(struct mamori_pe *pe, const struct cursor *v)
{
	struct vblock root;
	if (!vb_read(v, 0, cur_len(v), &root) || strcmp(root.key, "VS_VERSION_INFO"))
		return;
	struct cursor ff;
	uint32_t sig, strucv, fms, fls, pms, pls;
	if (root.val_len >= 52 && cur_at(v, root.val_off, 52, &ff) &&
	    cur_u32le(&ff, &sig) && sig == PE_SIG_FIXEDFILEINFO &&
	    cur_u32le(&ff, &strucv) && cur_u32le(&ff, &fms) &&
	    cur_u32le(&ff, &fls) && cur_u32le(&ff, &pms) && cur_u32le(&ff, &pls)) {
		pe->has_version = true;
		pe->file_version[0] = (uint16_t)(fms >> 16);
		pe->file_version[1] = (uint16_t)fms;
		pe->file_version[2] = (uint16_t)(fls >> 16);
		pe->file_version[3] = (uint16_t)fls;
		pe->product_version[0] = (uint16_t)(pms >> 16);
		pe->product_version[1] = (uint16_t)pms;
		pe->product_version[2] = (uint16_t)(pls >> 16);
		pe->product_version[3] = (uint16_t)pls;
	}
	size_t co = root.child_off;
	while (co < root.end) {
		struct vblock ch;
		if (!vb_read(v, co, root.end, &ch))
			return;
		if (!strcmp(ch.key, "StringFileInfo"))
			pe_string_file_info(pe, v, &ch);
		co = align4(ch.end);
	}
}

static void pe_resources(struct mamori_pe *pe, const struct cursor *file)
{
	struct cursor rs, v;
	uint32_t e_type, e_name, e_lang;
	if (!pe_dir_cursor(pe, file, MAMORI_PE_DIR_RESOURCE, &rs))
		return;
	/* root -> RT_VERSION -> first name -> first language -> data entry;
	 * subdirectory entries carry the high bit, leaves must not. */
	if (!rsrc_find(&rs, 0, PE_RT_VERSION, &e_type) || !(e_type & 0x80000000u))
		return;
	if (!rsrc_find(&rs, e_type & 0x7fffffffu, -1, &e_name) || !(e_name & 0x80000000u))
		return;
	if (!rsrc_find(&rs, e_name & 0x7fffffffu, -1, &e_lang) || (e_lang & 0x80000000u))
		return;
	struct cursor de;
	uint32_t data_rva, data_size;
	size_t off;
	if (!cur_at(&rs, e_lang, 8, &de) || !cur_u32le(&de, &data_rva) ||
	    !cur_u32le(&de, &data_size))
		return;
	if (!mamori_pe_rva_to_off(pe, file->len, data_rva, &off))
		return;
	if (data_size > file->len - off)
		data_size = (uint32_t)(file->len - off);
	if (!cur_at(file, off, data_size, &v))
		return;
	pe_version_info(pe, &v);
}

/* ---- headers ---------------------------------------------------------------- */

int mamori_pe_parse(const uint8_t *p, size_t n, struct mamori_pe *out)
{
	struct cursor file, c, opt;
	uint32_t lfanew, sig, symtab, nsyms;
	uint16_t nsec, optsize, magic;
	memset(out, 0, sizeof(*out));
	if (!mamori_pe_is_pe(p, n))
		return MAMORI_FORMAT_ERR();
	cur_init(&file, p, n);
	if (!cur_at(&file, 0x3c, 4, &c) || !cur_u32le(&c, &lfanew))
		return MAMORI_FORMAT_ERR();
	if (!cur_at(&file, lfanew, n - lfanew, &c) || !cur_u32le(&c, &sig) ||
	    !cur_u16le(&c, &out->machine) || !cur_u16le(&c, &nsec) ||
	    !cur_u32le(&c, &out->timestamp) || !cur_u32le(&c, &symtab) ||
	    !cur_u32le(&c, &nsyms) || !cur_u16le(&c, &optsize) ||
	    !cur_u16le(&c, &out->characteristics))
		return MAMORI_FORMAT_ERR();
	out->is_dll = (out->characteristics & 0x2000) != 0;
	if (!cur_sub(&c, optsize, &opt))
		return MAMORI_FORMAT_ERR();
	struct cursor o = opt;
	if (!cur_u16le(&o, &magic))
		return MAMORI_FORMAT_ERR();
	if (magic != 0x10b && magic != 0x20b)
		return MAMORI_FORMAT_ERR();
	out->pe32plus = magic == 0x20b;
	struct cursor f;
	uint32_t ndirs;
	if (cur_at(&opt, 60, 4, &f))
		(void)cur_u32le(&f, &out->size_of_headers);
	if (cur_at(&opt, 68, 2, &f))
		(void)cur_u16le(&f, &out->subsystem);
	size_t nd_off = out->pe32plus ? 108 : 92;
	if (cur_at(&opt, nd_off, 4, &f) && cur_u32le(&f, &ndirs)) {
		if (ndirs > 16)
			ndirs = 16;
		struct cursor dd;
		for (uint32_t i = 0; i < ndirs; i++) {
			if (!cur_at(&opt, nd_off + 4 + (size_t)i * 8, 8, &dd))
				break;
			(void)cur_u32le(&dd, &out->dir[i].rva);
			(void)cur_u32le(&dd, &out->dir[i].size);
			out->n_dirs = i + 1;
		}
	}
	/* section table follows the optional header (c is already there);
	 * all of it must be in the file, though only the first 96 are kept */
	if ((size_t)nsec * 40 > cur_len(&c))
		return MAMORI_FORMAT_ERR();
	for (unsigned i = 0; i < nsec && i < MAMORI_PE_MAX_SECTIONS; i++) {
		struct cursor s;
		struct mamori_pe_section *sec = &out->sec[i];
		if (!cur_sub(&c, 40, &s))
			return MAMORI_FORMAT_ERR();
		(void)cur_copy(&s, sec->name, 8);
		sec->name[8] = 0;
		(void)cur_u32le(&s, &sec->vsize);
		(void)cur_u32le(&s, &sec->vaddr);
		(void)cur_u32le(&s, &sec->raw_size);
		(void)cur_u32le(&s, &sec->raw_off);
		(void)cur_skip(&s, 12);
		(void)cur_u32le(&s, &sec->characteristics);
		out->n_sections = i + 1;
	}
	if (out->n_dirs > MAMORI_PE_DIR_SECURITY) {
		uint32_t so = out->dir[MAMORI_PE_DIR_SECURITY].rva;
		uint32_t ss = out->dir[MAMORI_PE_DIR_SECURITY].size;
		out->has_signature = ss >= 8 && range_ok(n, so, ss);
	}
	pe_exports(out, &file);
	pe_resources(out, &file);
	return 0;
}

int mamori_pe_file_version(const uint8_t *p, size_t n, uint16_t ver[4])
{
	struct mamori_pe pe;
	int rc = mamori_pe_parse(p, n, &pe);
	if (rc < 0)
		return rc;
	if (!pe.has_version)
		return MAMORI_ENOENT;
	memcpy(ver, pe.file_version, sizeof(pe.file_version));
	return 0;
}
