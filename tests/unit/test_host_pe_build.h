/*
 * Builds small synthetic PE images in memory for the host-scanner unit
 * tests (test_host_pe.c, test_host_scan.c): DOS header, PE32 headers, one
 * section holding an export directory and a resource tree whose RT_VERSION
 * leaf is a VS_VERSION_INFO with VS_FIXEDFILEINFO and a StringFileInfo
 * table, optionally an "embedded signature" (a security directory pointing
 * at bytes appended to the file).  Offsets are fixed so tests can then
 * corrupt single fields (see the TPE_* offsets).
 */
#ifndef TEST_HOST_PE_BUILD_H
#define TEST_HOST_PE_BUILD_H

#include <stdint.h>
#include <string.h>

#define TPE_LFANEW 0x80
#define TPE_FH (TPE_LFANEW + 4)		/* FILE_HEADER */
#define TPE_OPT (TPE_FH + 20)		/* optional header (PE32, 224 bytes) */
#define TPE_DD (TPE_OPT + 96)		/* data directories */
#define TPE_SECT (TPE_OPT + 224)	/* section table */
#define TPE_RAW 0x200			/* section raw data */
#define TPE_RVA 0x1000			/* section RVA */
#define TPE_EXPORT_RVA 0x1000
#define TPE_RSRC_RVA 0x1100
#define TPE_VER_RVA 0x1160		/* VS_VERSION_INFO */
#define TPE_SIZE 0x1200			/* without signature */
#define TPE_MAX (TPE_SIZE + 64)

struct tpe_opts {
	uint32_t header_ts, export_ts;
	int dll;
	int signature;
	int no_version;
	const char *company, *description, *original_name;
};

static inline void tpe_w16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static inline void tpe_w32(uint8_t *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

struct tpe_vb {
	uint8_t *p;
	size_t n;
};

static inline void tpe_align(struct tpe_vb *b)
{
	while (b->n & 3)
		b->p[b->n++] = 0;
}

static inline void tpe_wstr(struct tpe_vb *b, const char *s)
{
	for (; *s; s++) {
		tpe_w16(b->p, b->n, (uint16_t)(unsigned char)*s);
		b->n += 2;
	}
	tpe_w16(b->p, b->n, 0);
	b->n += 2;
}

/* Opens a version block; returns its offset for tpe_vb_end. */
static inline size_t tpe_vb_begin(struct tpe_vb *b, const char *key, uint16_t vlen,
				  uint16_t type)
{
	tpe_align(b);
	size_t start = b->n;
	tpe_w16(b->p, b->n, 0);
	tpe_w16(b->p, b->n + 2, vlen);
	tpe_w16(b->p, b->n + 4, type);
	b->n += 6;
	tpe_wstr(b, key);
	tpe_align(b);
	return start;
}

static inline void tpe_vb_end(struct tpe_vb *b, size_t start)
{
	tpe_w16(b->p, start, (uint16_t)(b->n - start));
}

static inline void tpe_string(struct tpe_vb *b, const char *key, const char *val)
{
	size_t s = tpe_vb_begin(b, key, (uint16_t)(strlen(val) + 1), 1);
	tpe_wstr(b, val);
	tpe_vb_end(b, s);
}

/* Writes the image into p (at least TPE_MAX bytes); returns its size. */
static inline size_t tpe_build(uint8_t *p, const struct tpe_opts *o)
{
	memset(p, 0, TPE_MAX);
	p[0] = 'M';
	p[1] = 'Z';
	tpe_w32(p, 0x3c, TPE_LFANEW);
	memcpy(p + TPE_LFANEW, "PE\0\0", 4);
	tpe_w16(p, TPE_FH, 0x14c);
	tpe_w16(p, TPE_FH + 2, 1);
	tpe_w32(p, TPE_FH + 4, o->header_ts);
	tpe_w16(p, TPE_FH + 16, 224);
	tpe_w16(p, TPE_FH + 18, (uint16_t)(0x0102 | (o->dll ? 0x2000 : 0)));
	tpe_w16(p, TPE_OPT, 0x10b);
	tpe_w32(p, TPE_OPT + 60, TPE_RAW);	/* SizeOfHeaders */
	tpe_w16(p, TPE_OPT + 68, 2);		/* GUI */
	tpe_w32(p, TPE_OPT + 92, 16);
	tpe_w32(p, TPE_DD + 0 * 8, TPE_EXPORT_RVA);
	tpe_w32(p, TPE_DD + 0 * 8 + 4, 40);
	memcpy(p + TPE_SECT, ".rdata\0\0", 8);
	tpe_w32(p, TPE_SECT + 8, 0x1000);	/* VirtualSize */
	tpe_w32(p, TPE_SECT + 12, TPE_RVA);
	tpe_w32(p, TPE_SECT + 16, TPE_SIZE - TPE_RAW);
	tpe_w32(p, TPE_SECT + 20, TPE_RAW);
	tpe_w32(p, TPE_SECT + 36, 0x40000040);
	/* export directory */
	tpe_w32(p, TPE_RAW + (TPE_EXPORT_RVA - TPE_RVA) + 4, o->export_ts);
	if (!o->no_version) {
		size_t r = TPE_RAW + (TPE_RSRC_RVA - TPE_RVA);
		tpe_w16(p, r + 14, 1);	/* root: one id entry */
		tpe_w32(p, r + 16, 16);
		tpe_w32(p, r + 20, 0x80000000u | 0x18);
		tpe_w16(p, r + 0x18 + 14, 1);
		tpe_w32(p, r + 0x18 + 16, 1);
		tpe_w32(p, r + 0x18 + 20, 0x80000000u | 0x30);
		tpe_w16(p, r + 0x30 + 14, 1);
		tpe_w32(p, r + 0x30 + 16, 0x409);
		tpe_w32(p, r + 0x30 + 20, 0x48);
		struct tpe_vb b = {p + TPE_RAW + (TPE_VER_RVA - TPE_RVA), 0};
		size_t root = tpe_vb_begin(&b, "VS_VERSION_INFO", 52, 0);
		tpe_w32(b.p, b.n, 0xFEEF04BDu);
		tpe_w32(b.p, b.n + 4, 0x10000);
		tpe_w32(b.p, b.n + 8, (6u << 16) | 1u);	/* 6.1 */
		tpe_w32(b.p, b.n + 12, (7601u << 16) | 17514u);
		tpe_w32(b.p, b.n + 16, (6u << 16) | 1u);
		tpe_w32(b.p, b.n + 20, (7601u << 16) | 17514u);
		b.n += 52;
		size_t sfi = tpe_vb_begin(&b, "StringFileInfo", 0, 1);
		size_t tab = tpe_vb_begin(&b, "040904b0", 0, 1);
		if (o->company)
			tpe_string(&b, "CompanyName", o->company);
		if (o->description)
			tpe_string(&b, "FileDescription", o->description);
		if (o->original_name)
			tpe_string(&b, "OriginalFilename", o->original_name);
		tpe_vb_end(&b, tab);
		tpe_vb_end(&b, sfi);
		tpe_vb_end(&b, root);
		tpe_w32(p, r + 0x48, TPE_VER_RVA);
		tpe_w32(p, r + 0x48 + 4, (uint32_t)b.n);
		tpe_w32(p, TPE_DD + 2 * 8, TPE_RSRC_RVA);
		tpe_w32(p, TPE_DD + 2 * 8 + 4, 0x60 + (uint32_t)b.n);
	}
	size_t n = TPE_SIZE;
	if (o->signature) {
		tpe_w32(p, TPE_DD + 4 * 8, TPE_SIZE);
		tpe_w32(p, TPE_DD + 4 * 8 + 4, 64);
		tpe_w32(p, TPE_SIZE, 64);
		tpe_w16(p, TPE_SIZE + 4, 0x0200);
		tpe_w16(p, TPE_SIZE + 6, 0x0002);
		n = TPE_MAX;
	}
	return n;
}

#endif
