/*
 * PE (Portable Executable) reader for the host checks: DOS and NT headers,
 * section table, data directories, export directory timestamp, the
 * VS_VERSION_INFO resource (VS_FIXEDFILEINFO and StringFileInfo strings)
 * and presence of an embedded Authenticode signature (security directory).
 *
 * Reusable outside the scanner: the audit engine reads netapi32.dll's file
 * version with mamori_pe_file_version().
 *
 * Everything is read through a bounds-checked cursor; a lying header makes
 * the parse fail with MAMORI_EFORMAT or leaves the optional parts (exports,
 * version) marked absent, never reads outside [p, p+n).  No allocation:
 * struct mamori_pe is self-contained and may live on the stack.
 * Thread-safe (no shared state).
 */
#ifndef MAMORI_HOST_PE_H
#define MAMORI_HOST_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAMORI_PE_MAX_SECTIONS 96	/* what the XP loader accepts */
#define MAMORI_PE_STR 128		/* version strings are cut here */

#define MAMORI_PE_DIR_EXPORT 0
#define MAMORI_PE_DIR_RESOURCE 2
#define MAMORI_PE_DIR_SECURITY 4

struct mamori_pe_section {
	char name[9];
	uint32_t vaddr, vsize, raw_off, raw_size, characteristics;
};

struct mamori_pe {
	uint16_t machine;
	uint16_t characteristics;	/* IMAGE_FILE_* (0x2000 = DLL) */
	uint16_t subsystem;
	uint32_t timestamp;		/* FILE_HEADER.TimeDateStamp */
	uint32_t size_of_headers;
	bool pe32plus;
	bool is_dll;
	uint32_t n_dirs;		/* data directories present (<= 16) */
	struct {
		uint32_t rva, size;
	} dir[16];
	unsigned n_sections;		/* stored (<= MAMORI_PE_MAX_SECTIONS) */
	struct mamori_pe_section sec[MAMORI_PE_MAX_SECTIONS];

	bool has_signature;		/* security directory inside the file */
	bool has_exports;
	uint32_t export_timestamp;

	bool has_version;		/* VS_FIXEDFILEINFO found */
	uint16_t file_version[4];	/* e.g. {5, 1, 2600, 5694} */
	uint16_t product_version[4];
	/* StringFileInfo values (first string table), UTF-16 folded to
	 * printable ASCII ('?' for anything else); "" when absent. */
	char company[MAMORI_PE_STR];
	char description[MAMORI_PE_STR];
	char original_name[MAMORI_PE_STR];
	char internal_name[MAMORI_PE_STR];
	char product[MAMORI_PE_STR];
	char copyright[MAMORI_PE_STR];
};

/* True when p starts with a DOS header pointing at a "PE\0\0" signature. */
bool mamori_pe_is_pe(const uint8_t *p, size_t n);

/*
 * Parses the PE image in p[0..n) into *out (OUT).  Returns 0, or
 * MAMORI_EFORMAT when the DOS/NT headers or the section table are not
 * there.  Damaged exports/resources only leave has_exports/has_version
 * false.  p is borrowed.
 */
int mamori_pe_parse(const uint8_t *p, size_t n, struct mamori_pe *out);

/*
 * Reads the VS_FIXEDFILEINFO file version (e.g. 5.1.2600.5694) of the PE
 * in p[0..n) into ver (OUT).  Returns 0, MAMORI_EFORMAT when not a PE,
 * MAMORI_ENOENT when it has no version resource.
 */
int mamori_pe_file_version(const uint8_t *p, size_t n, uint16_t ver[4]);

/* Maps an RVA to a file offset; false when it is not backed by the file. */
bool mamori_pe_rva_to_off(const struct mamori_pe *pe, size_t n, uint32_t rva,
			  size_t *off);

#endif
