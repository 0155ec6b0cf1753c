/*
 * RECYCLER / $Recycle.Bin analyzer: executables and DLLs stored under a
 * recycle-bin folder whose per-user folder name is not a well-formed SID.
 * Windows names those folders after the owner's SID (S-1-5-21-a-b-c-rid);
 * Conficker copies itself to RECYCLER\S-5-3-42-... , a name no account can
 * have (revision 5, sub-authorities above 2^32-1).
 *
 * Finding: conficker.recycler.malformed_sid (an executable — PE content or
 * an executable extension — anywhere below a malformed SID folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_int.h"

static const char *const rc_bins[] = {"recycler", "$recycle.bin", "recycled"};
static const char *const rc_exec_exts[] = {
	"exe", "dll", "vmx", "com", "scr", "sys", "ocx", "cpl", "pif", "bat", "cmd",
};

/* SID syntax: S-1-<authority>-<sub>{1,15}, every number in range. */
static bool sid_wellformed(const char *s, size_t n)
{
	if (n < 5 || (s[0] != 's') || s[1] != '-')
		return false;
	size_t i = 2, parts = 0;
	while (i < n) {
		uint64_t v = 0;
		size_t digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (++digits > 15)
				return false;
			i++;
		}
		if (!digits)
			return false;
		if (parts == 0 && v != 1)	/* revision */
			return false;
		if (parts == 1 && v > 0xffffffffffffull)	/* 48-bit authority */
			return false;
		if (parts >= 2 && v > 0xffffffffull)
			return false;
		parts++;
		if (i == n)
			break;
		if (s[i] != '-')
			return false;
		i++;
		if (i == n)
			return false;
	}
	return parts >= 3 && parts <= 17;
}

int host_recycler_run(struct host_file *f)
{
	const char *p = f->mpath;
	for (;;) {
		const char *seg = p + 1;	/* p points at a '/' */
		const char *end = strchr(seg, '/');
		if (!end)
			return 0;
		size_t l = (size_t)(end - seg);
		bool bin = false;
		for (size_t i = 0; i < sizeof(rc_bins) / sizeof(rc_bins[0]); i++)
			if (strlen(rc_bins[i]) == l && !strncmp(seg, rc_bins[i], l))
				bin = true;
		if (bin) {
			const char *sid = end + 1;
			const char *send = strchr(sid, '/');
			if (!send)	/* file directly in the bin folder */
				return 0;
			size_t sl = (size_t)(send - sid);
			if (sid_wellformed(sid, sl))
				return 0;
			bool exec = f->is_pe;
			for (size_t i = 0; !exec && i < sizeof(rc_exec_exts) / sizeof(rc_exec_exts[0]); i++)
				exec = !strcmp(f->ext, rc_exec_exts[i]);
			if (!exec)
				return 0;
			/* show the folder name as written on disk */
			char lsid[256];
			snprintf(lsid, sizeof(lsid), "/%.*s/", (int)(sl < 200 ? sl : 200), sid);
			const char *orig = strcasestr(f->path, lsid);
			return host_emit(f, "conficker", "conficker.recycler.malformed_sid",
					 MAMORI_SEV_HIGH, NULL,
					 "%s in recycle-bin folder '%.*s', which is not a valid SID",
					 f->is_pe ? "PE image" : "executable", (int)sl,
					 orig ? orig + 1 : sid);
		}
		p = end;
	}
}
