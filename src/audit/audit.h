/*
 * Hardening audit of an offline Windows volume (`mamori audit ROOT`).
 *
 * Reads the Windows version from SOFTWARE\Microsoft\Windows NT\
 * CurrentVersion and judges, each as PASS / FAIL / UNKNOWN with advice:
 *   ms08-067        System32\netapi32.dll file version against the first
 *                   fixed build of its branch (KB958644 table in audit.c)
 *   autorun         NoDriveTypeAutoRun and NoDriveAutoRun = 0xFF, in HKLM
 *                   and in each user's NTUSER.DAT
 *   update          wuauserv and BITS not disabled (Conficker disables them)
 *   hidden-files    SHOWALL CheckedValue not forced to 0
 *   lsa             LSA packages only the Windows defaults
 * A check is UNKNOWN when what it needs is missing or unreadable.
 *
 * The library never prints: the CLI renders the result (cmd_audit.c).
 * Thread-safety: none needed, no shared state.
 */
#ifndef MAMORI_AUDIT_AUDIT_H
#define MAMORI_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

enum mamori_audit_status {
	MAMORI_AUDIT_PASS,
	MAMORI_AUDIT_FAIL,
	MAMORI_AUDIT_UNKNOWN,
};

/* "PASS", "FAIL", "UNKNOWN". */
const char *mamori_audit_status_name(enum mamori_audit_status st);

struct mamori_audit_check {
	char id[24];		/* "ms08-067", "autorun", "update", ... */
	char subject[96];	/* what was judged: "netapi32.dll", "HKLM", a user */
	enum mamori_audit_status status;
	char detail[384];	/* what was seen */
	char advice[256];	/* what to do ("" when PASS) */
};

struct mamori_audit_windows {
	bool known;		/* SOFTWARE hive read and CurrentVersion found */
	char product[128];	/* ProductName */
	char version[16];	/* CurrentVersion, "5.1" */
	char build[16];		/* CurrentBuildNumber */
	char csd[64];		/* CSDVersion, "Service Pack 3" or "" */
	unsigned major, minor;	/* 10.0 from CurrentMajorVersionNumber if set */
};

#define MAMORI_AUDIT_MAX_CHECKS 160

struct mamori_audit_result {
	struct mamori_audit_windows win;
	bool has_netapi;
	uint16_t netapi_ver[4];
	char *netapi_path;	/* owned, or NULL */
	struct mamori_hive_report hives;	/* what was found and read */
	struct mamori_audit_check *checks;	/* owned; n entries */
	size_t n;
	size_t pass, fail, unknown;
};

/*
 * Audits the Windows installation under root into res (OUT; release with
 * mamori_audit_result_release even on error).  Returns 0 when the audit
 * ran (look at res->fail), MAMORI_ENOENT when root is not a directory or
 * holds neither hives nor netapi32.dll, MAMORI_ENOMEM.
 */
int mamori_audit_run(const char *root, struct mamori_audit_result *res);
void mamori_audit_result_release(struct mamori_audit_result *res);

/*
 * The MS08-067 verdict for a netapi32.dll file version.  ver may be NULL
 * (file missing); win_major/win_minor are the registry's version, 0/0 when
 * unknown.  Writes what was compared into detail.  Pure function.
 */
enum mamori_audit_status mamori_audit_ms08067(const uint16_t *ver, unsigned win_major,
					      unsigned win_minor, char *detail,
					      size_t n);

#endif
