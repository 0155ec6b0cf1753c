/*
 * Registry persistence checks run on offline hives (`mamori scan`).
 *
 * Each check reads one hive through libhivex (read-only) and emits
 * `finding` records with the hive, the key path inside it, the value name
 * and the value rendered as text.  What is looked at, by hive:
 *
 *   SOFTWARE  Run, RunOnce, RunOnceEx, RunServices, RunServicesOnce,
 *             Policies\Explorer\Run (also under Wow6432Node); Winlogon
 *             Shell/Userinit not the defaults; Explorer\Advanced\Folder\
 *             Hidden\SHOWALL CheckedValue = 0 (Conficker); ITStorage\Find
 *             (Storm).
 *   NTUSER    the same Run keys under Software\; a per-user Winlogon Shell;
 *             ITStorage\Find; MountPoints2\<volume>\Shell\<verb>\command.
 *   SYSTEM    Control\Lsa Authentication/Security/Notification Packages
 *             outside the Windows defaults (Flame adds mssecmgr); services:
 *             wincom32 (Storm), ImagePath/ServiceDll in places no Windows
 *             service lives, netsvcs members with a random-looking DLL in
 *             system32 (Conficker); wuauserv/BITS/WinDefend/ERSvc disabled.
 *
 * A Run entry is not reported merely for existing (every machine has some);
 * it is reported when it names a known family file (asam.exe), starts a
 * non-DLL or a random-named DLL through rundll32 (Conficker's per-user
 * entry), or launches from a place installers do not use
 * (temp folders, the recycle bin, System Volume Information, the bare
 * Windows folder, the bare AppData folders, Users\Public, ProgramData).
 *
 * LSA package defaults per Windows version (union used as "default", so a
 * hive whose version is unknown is judged the same way):
 *   Authentication Packages  all versions: msv1_0
 *   Notification Packages    2000/XP/Vista/7/8/10: scecli;
 *                            2000/2003 servers: + FPNWCLNT, RASSFM, KDCSVC
 *                            (domain controllers), WDIGEST (2003 DC)
 *   Security Packages        2000: kerberos msv1_0 schannel
 *                            XP/2003: + wdigest (XP SP3/2003 SP2 + tspkg)
 *                            Vista/2008: kerberos msv1_0 schannel wdigest tspkg
 *                            7/2008 R2: + pku2u (negoexts with some updates)
 *                            8/8.1: + livessp (8), cloudap (8.1)
 *                            10: "" (a single empty string)
 *   Optional Microsoft additions, reported at info severity only:
 *   SshdPinAuthLsa (Authentication, OpenSSH server feature, Windows 10).
 *
 * The random-name heuristic (hive_random_name) is described where it is
 * defined.  Invariants: value data is decoded only through wstr.c; every
 * enumeration is capped (CHECK_MAX_*); a key that cannot be read is
 * recorded on the hive (hive_note_error) and the other checks go on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive_int.h"
#include "hive/wstr.h"
#include "mamori/mamori.h"
#include "util/err.h"

#define CHECK_MAX_VALUES 4096
#define CHECK_MAX_CHILDREN 20000
#define CHECK_TEXT_MAX (32 * 1024)

/* ---- text helpers -------------------------------------------------- */

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(s, list[i]))
			return true;
	return false;
}

#define IN_LIST(s, list) in_list((s), (list), sizeof(list) / sizeof((list)[0]))

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcasecmp(s + a - b, suffix);
}

/* Lowercases, turns '/' into '\', expands the ways Windows names its own
 * folder, and drops the NT "\??\" prefix: "%SystemRoot%\System32\x.dll"
 * and "\SystemRoot\system32\x.dll" both become "c:\windows\system32\x.dll".
 * Writes at most n-1 bytes. */
static void norm_path(const char *in, char *out, size_t n)
{
	static const struct {
		const char *from, *to;
	} prefixes[] = {
		{"\\??\\", ""},
		{"%systemroot%", "c:\\windows"},
		{"%windir%", "c:\\windows"},
		{"\\systemroot", "c:\\windows"},
		{"systemroot", "c:\\windows"},
		{"system32\\", "c:\\windows\\system32\\"},
		{"%programfiles%", "c:\\program files"},
	};
	char low[1024];
	size_t i = 0;
	while (*in == ' ' || *in == '"')
		in++;
	for (; in[i] && i < sizeof(low) - 1; i++)
		low[i] = in[i] == '/' ? '\\' : (char)tolower((unsigned char)in[i]);
	low[i] = 0;
	const char *src = low;
	const char *to = "";
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		size_t pl = strlen(prefixes[k].from);
		if (!strncmp(low, prefixes[k].from, pl)) {
			src = low + pl;
			to = prefixes[k].to;
			break;
		}
	}
	/* Any drive letter for the Windows folder reads as c:. */
	snprintf(out, n, "%s%s", to, src);
	if (isalpha((unsigned char)out[0]) && out[1] == ':')
		out[0] = 'c';
}

/* Copies the program (or, for rundll32, the module) a command line runs
 * into path (normalised) and says whether it went through rundll32. */
static void command_target(const char *cmd, char *path, size_t n, bool *rundll)
{
	char first[1024], norm[1024];
	const char *p = cmd;
	size_t i = 0;
	*rundll = false;
	while (*p == ' ')
		p++;
	if (*p == '"') {
		p++;
		while (*p && *p != '"' && i < sizeof(first) - 1)
			first[i++] = *p++;
		if (*p == '"')
			p++;
	} else {
		/* Unquoted: the path may hold spaces; cut after ".exe" if present. */
		const char *exe = NULL;
		for (const char *q = p; *q; q++)
			if (!strncasecmp(q, ".exe", 4) && (q[4] == 0 || q[4] == ' ')) {
				exe = q + 4;
				break;
			}
		while (*p && (exe ? p < exe : *p != ' ') && i < sizeof(first) - 1)
			first[i++] = *p++;
	}
	first[i] = 0;
	norm_path(first, norm, sizeof(norm));
	const char *base = strrchr(norm, '\\');
	base = base ? base + 1 : norm;
	if (!strcmp(base, "rundll32.exe") || !strcmp(base, "rundll32")) {
		*rundll = true;
		while (*p == ' ' || *p == '"')
			p++;
		i = 0;
		while (*p && *p != ',' && *p != '"' && i < sizeof(first) - 1)
			first[i++] = *p++;
		while (i && first[i - 1] == ' ')
			i--;
		first[i] = 0;
		norm_path(first, norm, sizeof(norm));
	}
	snprintf(path, n, "%s", norm);
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '\\');
	return b ? b + 1 : path;
}

/* Is the file directly inside dir (a normalised "c:\...\" prefix)? */
static bool directly_in(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return !strncmp(path, dir, l) && !strchr(path + l, '\\') && path[l];
}

/* Why a normalised program path is in a place installers do not use, or
 * NULL.  Table: substring anywhere, or "directly in" a folder. */
static const char *odd_location(const char *p)
{
	static const struct {
		const char *needle;
		bool direct;	/* file must sit directly in it (any prefix) */
		const char *why;
	} places[] = {
		{"\\temp\\", false, "a temporary folder"},
		{"\\tmp\\", false, "a temporary folder"},
		{"\\recycler\\", false, "the recycle bin"},
		{"\\$recycle.bin\\", false, "the recycle bin"},
		{"\\system volume information\\", false, "System Volume Information"},
		{"\\users\\public\\", false, "the Public profile"},
		{"\\appdata\\roaming\\", true, "the bare AppData folder"},
		{"\\appdata\\local\\", true, "the bare AppData folder"},
		{"\\application data\\", true, "the bare Application Data folder"},
		{"\\programdata\\", true, "the bare ProgramData folder"},
	};
	if (directly_in(p, "c:\\windows\\"))
		return "the bare Windows folder";
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		const char *hit = strstr(p, places[i].needle);
		if (!hit)
			continue;
		if (!places[i].direct || !strchr(hit + strlen(places[i].needle), '\\'))
			return places[i].why;
	}
	return NULL;
}

/* ---- random-looking names ------------------------------------------ */

/*
 * hive_random_name: does a file stem look machine-generated, the way
 * Conficker names its DLL ("jwgkvsq", "tgdktu", "xoqgbf")?
 *
 * 1. Only letters, 5 to 12 of them (Conficker's range; digits, '_' or
 *    '-' mean a human or a build system chose the name).
 * 2. Windows abbreviations are removed first ("svc", "srv", "mgr", "drv",
 *    "flt", "usb", ...): Microsoft's own names are strings of them
 *    ("srvsvc", "wkssvc") and would otherwise look random.
 * 3. What remains (at least 4 letters) is random-looking when fewer than
 *    half of its letter pairs are among the ~340 commonest English
 *    bigrams, or it has a run of 5 consonants.  A uniformly random string
 *    keeps about a quarter of its pairs; English-like names keep most.
 * Measured: on 10,000 random strings of 5-10 letters 59% are flagged;
 * on the 717 ServiceDll/ImagePath stems of the regipy SYSTEM and Windows
 * 10 1709 hives 33 are (appvstrm, trkwks, usbxhci, ...), all Microsoft
 * names; they were added to the known-DLL list below, so the check needs
 * both (the list was grown from those two hives: other Windows builds
 * may hold Microsoft names it lacks, which is why the heuristic is only
 * applied to netsvcs members' DLLs directly in system32).
 */
static const char common_bigrams[] =
	"th he in er an re on at en nd ti es or te of ed is it al ar st to nt "
	"ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be "
	"ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly "
	"nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni "
	"ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld "
	"ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp "
	"rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl du ga "
	"qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au "
	"ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye "
	"ud mb ip ub oi rl gu dr hr cc tw ft wn nu af hu nn eo vo rv nf xp gn "
	"sm fl iz ok nl my gl aw ju oa eq sy sl ps jo lf nv je nk kn gs dy hy "
	"ze ks xt bs ik dd cy rp sk xi oe oy ws lv dl rf eu dg wr xa yi nm eb "
	"rb tm xc eh tc gy ja hn yp za gg ym sw bj lm cs ii ix xe oh lk dv lp "
	"ax ox uf dm iu sf bt ka yt ek pm ya gt wl rh yl hs ah yc yn rw hm lw "
	"hl ae zi az lc py aj iq nj bb nh uo kl lb tn gm sn nr fs kr ";

static const char *const win_tokens[] = {
	/* longest first: removal is greedy in this order */
	"svchost", "service", "crypt", "shell", "dhcp", "fltr", "host", "krnl",
	"mgmt", "ndis", "acpi", "ahci", "sata", "scsi", "raid", "intel", "vmbus",
	"wlan", "wwan", "upnp", "lltd", "ldap", "ssdp", "sstp", "pptp", "bits",
	"sens", "wudf", "svc", "srv", "svr", "mgr", "drv", "flt", "hid", "kbd",
	"usb", "bth", "rpc", "wmi", "vhd", "tcp", "smb", "rdp", "rdr", "ras",
	"pnp", "dns", "cng", "hlp", "app", "sys", "dll", "wdf", "win", "net",
	"lan", "sdp", "bus", "ide", "pci", "amd", "wpd", "wcn", "wcm", "wsd",
	"wer", "tdi", "mrx", "dfs", "dav", "kdc", "lsa", "sam", "wsc", "tpm",
	"tbs", "sv", "ip", "nt", "ms", "vm", "dx", "dm", "cx", "nv", "hv", "ps",
	"ts", "fs", "ss", "sc", "sm", "wc", "ui",
};

static bool common_pair(char a, char b)
{
	for (const char *p = common_bigrams; p[0] && p[1]; p += 3)
		if (p[0] == a && p[1] == b)
			return true;
	return false;
}

bool hive_random_name(const char *name)
{
	char s[16], r[16];
	size_t n = strlen(name);
	if (n < 5 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalpha((unsigned char)name[i]))
			return false;
		s[i] = (char)tolower((unsigned char)name[i]);
	}
	s[n] = 0;
	for (size_t t = 0; t < sizeof(win_tokens) / sizeof(win_tokens[0]); t++) {
		char *hit;
		size_t tl = strlen(win_tokens[t]);
		while ((hit = strstr(s, win_tokens[t])) != NULL)
			memmove(hit, hit + tl, strlen(hit + tl) + 1);
	}
	size_t m = strlen(s);
	if (m < 4)
		return false;
	memcpy(r, s, m + 1);
	size_t pairs = m - 1, common = 0, run = 0, maxrun = 0;
	for (size_t i = 0; i < m; i++) {
		if (strchr("aeiou", r[i])) {
			run = 0;
		} else if (++run > maxrun) {
			maxrun = run;
		}
		if (i + 1 < m && common_pair(r[i], r[i + 1]))
			common++;
	}
	return common * 2 < pairs || maxrun >= 5;
}

/* ---- known Windows names ------------------------------------------- */

/* Stems of Microsoft service DLLs (system32). */
static const char *const known_dlls[] = {
	"aelupsvc", "appinfo", "appmgmts", "audiosrv", "bdesvc", "browser",
	"certprop", "cryptsvc", "dhcpcsvc", "dhcpcore", "dmserver", "dnsrslvr",
	"ersvc", "es", "gpsvc", "hidserv", "hkmsvc", "iassvcs", "ikeext",
	"iphlpsvc", "irmon", "lmhsvc", "mmcss", "netman", "mspmsnsv",
	"ntmssvc", "pchsvc", "profsvc", "qmgr", "rasauto", "rasmans",
	"schedsvc", "seclogon", "sens", "shsvcs", "srsvc", "srvsvc", "tapisrv",
	"termsrv", "trkwks", "uxsms", "w32time", "wkssvc", "wmisvc", "wuaueng",
	"wzcsvc", "xmlprov", "wercplsupport", "wlidsvc", "wscsvc", "wersvc",
	"dsmsvc", "eapsvc", "napagent", "ncasvc", "sessenv", "ipnathlp",
	"themeui", "uxtheme", "wbemcore", "wuauserv", "usocore", "wpnservice",
	"appvstrm", "asyncmac", "blbdrive", "bxvbda", "bxvbdx", "cbdhsvc",
	"dxgwdi", "flpydisk", "indirectkmd", "msdtckrm", "mshidkmdf",
	"mshidumdf", "mshwnclx", "ngcctnrsvc", "pcmcia", "portcfg", "rdvgkmd",
	"rspndr", "sdfrd", "sgrmbroker", "snmptrap", "swprv", "tdpipe",
	"ufxsynopsys", "usbccgp", "usbuhci", "usbxhci", "vpcivsp", "vstxraid",
	"wfplwf", "wfplwfs", "umpnpmgr", "rpcss", "wevtsvc", "mpssvc",
	"bfe", "dps", "wdi", "nlasvc", "pnrpsvc", "p2psvc", "ssdpsrv",
	"upnphost", "fdrespub", "fdphost", "wcncsvc", "lltdsvc", "qagentrt",
	"sppsvc", "tbssvc", "wiarpc", "wiaservc", "dot3svc", "wlansvc",
	"wwansvc", "sstpsvc", "raspptp", "efssvc", "keyiso", "vaultsvc",
	"pcasvc", "scardsvr", "certprop", "wbiosrvc", "sensrsvc", "wpcsvc",
	"fhsvc", "dusmsvc", "cdpsvc", "lfsvc", "dmwappushsvc", "ngcsvc",
};

/* ---- enumeration helpers ------------------------------------------- */

/* Calls fn for each value of node with its name (UTF-8, "" for the
 * default value) and raw data.  Unreadable values are noted and skipped. */
typedef int (*value_fn)(struct hive_scan *s, struct mamori_hive *h,
			const char *key, const char *name, uint32_t type,
			const uint8_t *data, size_t len, void *ctx);

static int each_value(struct hive_scan *s, struct mamori_hive *h, hive_node_h node,
		      const char *key, value_fn fn, void *ctx)
{
	errno = 0;
	hive_value_h *vals = hivex_node_values(h->h, node);
	int rc = 0;
	if (!vals) {
		hive_note_error(h, key);
		return 0;
	}
	for (size_t i = 0; vals[i] && i < CHECK_MAX_VALUES && !rc; i++) {
		hive_type t;
		size_t len = 0;
		errno = 0;
		char *name = hivex_value_key(h->h, vals[i]);
		char *data = name ? hivex_value_value(h->h, vals[i], &t, &len) : NULL;
		if (!name || !data) {
			if (errno == ENOMEM)
				rc = MAMORI_ENOMEM;
			else
				hive_note_error(h, key);
		} else {
			rc = fn(s, h, key, name, (uint32_t)t, (const uint8_t *)data, len, ctx);
		}
		free(name);
		free(data);
	}
	free(vals);
	return rc;
}

typedef int (*child_fn)(struct hive_scan *s, struct mamori_hive *h,
			hive_node_h child, const char *name, void *ctx);

static int each_child(struct hive_scan *s, struct mamori_hive *h, hive_node_h node,
		      const char *key, child_fn fn, void *ctx)
{
	errno = 0;
	hive_node_h *kids = hivex_node_children(h->h, node);
	int rc = 0;
	if (!kids) {
		hive_note_error(h, key);
		return 0;
	}
	for (size_t i = 0; kids[i] && i < CHECK_MAX_CHILDREN && !rc; i++) {
		errno = 0;
		char *name = hivex_node_name(h->h, kids[i]);
		if (!name) {
			if (errno == ENOMEM)
				rc = MAMORI_ENOMEM;
			else
				hive_note_error(h, key);
			continue;
		}
		rc = fn(s, h, kids[i], name, ctx);
		free(name);
	}
	free(kids);
	return rc;
}

/* Renders data into out (reset first); MAMORI_ENOMEM only on failure. */
static int render(struct buf *out, uint32_t type, const uint8_t *d, size_t n)
{
	buf_reset(out);
	int rc = hive_render_value(type, d, n, out);
	return rc == MAMORI_ENOMEM ? rc : 0;
}

static bool is_string_type(uint32_t t)
{
	return t == HIVE_REG_SZ || t == HIVE_REG_EXPAND_SZ;
}

/* ---- autostart ----------------------------------------------------- */

/* Judges one command line from an autostart location. */
static int judge_command(struct hive_scan *s, const char *key, const char *name,
			 const char *cmd, const char *what)
{
	char target[1024];
	bool rundll;
	command_target(cmd, target, sizeof(target), &rundll);
	const char *base = base_name(target);
	const char *where = odd_location(target);

	if (!strcmp(base, "asam.exe"))
		return hive_emit(s, "storm", "storm.registry.run_asam", MAMORI_SEV_HIGH,
				 key, name, cmd, "delete_value",
				 "%s runs asam.exe, the file name of the Storm worm's copy",
				 what);
	if (rundll && *base && !ends_with_ci(base, ".dll")) {
		bool worm = strstr(target, "\\recycler\\") != NULL;
		return hive_emit(s, worm ? "conficker" : "generic",
				 worm ? "conficker.registry.run_rundll32"
				      : "generic.registry.run_rundll32_nondll",
				 MAMORI_SEV_HIGH, key, name, cmd, "delete_value",
				 "%s loads '%s' through rundll32, a file not named .dll",
				 what, base);
	}
	if (rundll && *base) {
		char stem[64];
		snprintf(stem, sizeof(stem), "%s", base);
		stem[strlen(stem) - 4] = 0;
		if (hive_random_name(stem) && !IN_LIST(stem, known_dlls))
			return hive_emit(s, "conficker", "conficker.registry.run_random_dll",
					 MAMORI_SEV_HIGH, key, name, cmd, "delete_value",
					 "%s loads '%s' through rundll32, a random-looking DLL name",
					 what, base);
	}
	if (where)
		return hive_emit(s, "generic", "generic.registry.autostart_location",
				 MAMORI_SEV_MEDIUM, key, name, cmd, "delete_value",
				 "%s starts '%s' from %s", what, base, where);
	return 0;
}

struct run_ctx {
	struct buf text;
};

static int run_value(struct hive_scan *s, struct mamori_hive *h, const char *key,
		     const char *name, uint32_t type, const uint8_t *data, size_t len,
		     void *vctx)
{
	struct run_ctx *rc = vctx;
	(void)h;
	if (!is_string_type(type))
		return 0;
	if (render(&rc->text, type, data, len))
		return MAMORI_ENOMEM;
	return judge_command(s, key, name, buf_str(&rc->text), "autostart entry");
}

static int check_run_keys(struct hive_scan *s, struct mamori_hive *h,
			  const char *prefix)
{
	static const char *const bases[] = {"", "Wow6432Node\\"};
	static const char *const keys[] = {
		"Microsoft\\Windows\\CurrentVersion\\Run",
		"Microsoft\\Windows\\CurrentVersion\\RunOnce",
		"Microsoft\\Windows\\CurrentVersion\\RunOnceEx",
		"Microsoft\\Windows\\CurrentVersion\\RunServices",
		"Microsoft\\Windows\\CurrentVersion\\RunServicesOnce",
		"Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run",
	};
	struct run_ctx ctx;
	int rc = 0;
	buf_init(&ctx.text, CHECK_TEXT_MAX);
	for (size_t b = 0; b < 2 && !rc; b++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !rc; k++) {
			char path[256];
			hive_node_h node;
			snprintf(path, sizeof(path), "%s%s%s", prefix, bases[b], keys[k]);
			if (hive_lookup(h, path, &node) == 0)
				rc = each_value(s, h, node, path, run_value, &ctx);
		}
	buf_release(&ctx.text);
	return rc;
}

/* ---- Winlogon ------------------------------------------------------ */

/* Every comma-separated entry of v must be name (optionally with .exe) in
 * one of the allowed folders ("" = bare name). */
static bool entries_default(const char *v, const char *name,
			    const char *const *dirs, size_t ndirs)
{
	char copy[1024], exe[64];
	snprintf(copy, sizeof(copy), "%s", v);
	snprintf(exe, sizeof(exe), "%s.exe", name);
	for (char *save = NULL, *e = strtok_r(copy, ",", &save); e;
	     e = strtok_r(NULL, ",", &save)) {
		char norm[1024];
		while (*e == ' ')
			e++;
		size_t l = strlen(e);
		while (l && e[l - 1] == ' ')
			e[--l] = 0;
		if (!l)
			continue;
		norm_path(e, norm, sizeof(norm));
		const char *base = base_name(norm);
		if (strcmp(base, name) && strcmp(base, exe))
			return false;
		size_t dl = (size_t)(base - norm);
		bool ok = false;
		for (size_t d = 0; d < ndirs && !ok; d++)
			ok = strlen(dirs[d]) == dl && !strncmp(norm, dirs[d], dl);
		if (!ok)
			return false;
	}
	return true;
}

static int check_winlogon(struct hive_scan *s, struct mamori_hive *h, bool user)
{
	static const char *const shell_dirs[] = {"", "c:\\windows\\"};
	static const char *const userinit_dirs[] = {"", "c:\\windows\\system32\\"};
	const char *key = user ? "Software\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
			       : "Microsoft\\Windows NT\\CurrentVersion\\Winlogon";
	struct buf v;
	int rc = 0;
	buf_init(&v, CHECK_TEXT_MAX);
	if (mamori_hive_get_string(h, key, "Shell", &v) == 0 && v.len) {
		if (user || !entries_default(buf_str(&v), "explorer", shell_dirs, 2))
			rc = hive_emit(s, "generic", "generic.registry.winlogon_shell",
				       MAMORI_SEV_HIGH, key, "Shell", buf_str(&v),
				       "restore_value",
				       user ? "per-user Winlogon Shell replaces Explorer"
					    : "Winlogon Shell is not Explorer.exe");
	}
	buf_reset(&v);
	if (!rc && !user && mamori_hive_get_string(h, key, "Userinit", &v) == 0 &&
	    v.len && !entries_default(buf_str(&v), "userinit", userinit_dirs, 2))
		rc = hive_emit(s, "generic", "generic.registry.winlogon_userinit",
			       MAMORI_SEV_HIGH, key, "Userinit", buf_str(&v),
			       "restore_value",
			       "Winlogon Userinit runs more than system32\\userinit.exe");
	buf_release(&v);
	return rc;
}

/* ---- Conficker's Explorer setting and Storm's key ------------------- */

static int check_showall(struct hive_scan *s, struct mamori_hive *h)
{
	static const char key[] =
		"Microsoft\\Windows\\CurrentVersion\\Explorer\\Advanced\\Folder\\Hidden\\SHOWALL";
	uint32_t v;
	if (mamori_hive_get_dword(h, key, "CheckedValue", &v) != 0 || v != 0)
		return 0;
	return hive_emit(s, "conficker", "conficker.registry.showall_disabled",
			 MAMORI_SEV_MEDIUM, key, "CheckedValue", "0x00000000 (0)",
			 "set_dword:1",
			 "SHOWALL CheckedValue is 0: 'show hidden files' cannot take "
			 "effect (Conficker hides its files this way)");
}

static int check_itstorage(struct hive_scan *s, struct mamori_hive *h,
			   const char *prefix)
{
	char key[128];
	snprintf(key, sizeof(key), "%sMicrosoft\\ITStorage\\Find", prefix);
	if (!mamori_hive_has_key(h, key))
		return 0;
	return hive_emit(s, "storm", "storm.registry.itstorage_find", MAMORI_SEV_HIGH,
			 key, NULL, NULL, "delete_key",
			 "ITStorage\\Find key present (Storm worm configuration; "
			 "Windows itself uses ITStorage\\Finders)");
}

/* ---- MountPoints2 -------------------------------------------------- */

struct mp_ctx {
	const char *base;	/* MountPoints2 key path */
	const char *volume;
	struct buf text;
};

static int mp_verb(struct hive_scan *s, struct mamori_hive *h, hive_node_h verb,
		   const char *name, void *vctx)
{
	struct mp_ctx *m = vctx;
	char key[768];
	hive_node_h cmd;
	uint32_t t;
	uint8_t *d = NULL;
	size_t n;
	int rc = 0;
	snprintf(key, sizeof(key), "%s\\%s\\Shell\\%s\\command", m->base, m->volume, name);
	if (hive_lookup_from(h, verb, "command", &cmd) != 0)
		return 0;
	if (hive_node_value_raw(h, cmd, "", &t, &d, &n) != 0)
		return 0;
	if (render(&m->text, t, d, n) == 0) {
		const char *c = buf_str(&m->text);
		char target[1024];
		bool rundll;
		command_target(c, target, sizeof(target), &rundll);
		bool worm = rundll || strstr(target, "\\recycler\\");
		rc = hive_emit(s, worm ? "conficker" : "generic",
			       worm ? "conficker.registry.mountpoints2_rundll32"
				    : "generic.registry.mountpoints2_command",
			       worm ? MAMORI_SEV_HIGH : MAMORI_SEV_LOW, key, "", c,
			       "delete_key",
			       "MountPoints2 cache makes Explorer run a command when "
			       "volume '%s' is opened", m->volume);
	} else {
		rc = MAMORI_ENOMEM;
	}
	free(d);
	return rc;
}

static int mp_volume(struct hive_scan *s, struct mamori_hive *h, hive_node_h vol,
		     const char *name, void *vctx)
{
	struct mp_ctx *m = vctx;
	hive_node_h shell;
	if (hive_lookup_from(h, vol, "Shell", &shell) != 0)
		return 0;
	m->volume = name;
	return each_child(s, h, shell, name, mp_verb, m);
}

static int check_mountpoints2(struct hive_scan *s, struct mamori_hive *h)
{
	static const char key[] =
		"Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\MountPoints2";
	hive_node_h node;
	struct mp_ctx m = {.base = key};
	int rc;
	if (hive_lookup(h, key, &node) != 0)
		return 0;
	buf_init(&m.text, CHECK_TEXT_MAX);
	rc = each_child(s, h, node, key, mp_volume, &m);
	buf_release(&m.text);
	return rc;
}

/* ---- LSA ----------------------------------------------------------- */

static const char *const lsa_auth_default[] = {"msv1_0"};
static const char *const lsa_notify_default[] = {"scecli", "rassfm", "kdcsvc",
						 "fpnwclnt", "wdigest"};
static const char *const lsa_security_default[] = {
	"kerberos", "msv1_0", "schannel", "wdigest", "tspkg", "pku2u",
	"livessp", "cloudap", "negoexts", "\"\"",
};

/* Packages that optional Microsoft features add (reported as info). */
static const char *const lsa_optional[] = {"SshdPinAuthLsa"};

struct lsa_ctx {
	struct hive_scan *s;
	const char *key, *value;
	const char *const *defaults;
	size_t ndefaults;
	const char *all;	/* the whole list as text */
	int rc;
};

static int lsa_entry(const char *e, void *vctx)
{
	struct lsa_ctx *l = vctx;
	char stem[256];
	snprintf(stem, sizeof(stem), "%s", e);
	if (ends_with_ci(stem, ".dll"))
		stem[strlen(stem) - 4] = 0;
	if (in_list(stem, l->defaults, l->ndefaults))
		return 0;
	if (IN_LIST(stem, lsa_optional)) {
		l->rc = hive_emit(l->s, "generic", "generic.registry.lsa_optional",
				  MAMORI_SEV_INFO, l->key, l->value, l->all, NULL,
				  "LSA %s lists '%s', added by an optional Microsoft "
				  "component (OpenSSH server), not by default", l->value, e);
		return l->rc;
	}
	bool flame = !strcasecmp(stem, "mssecmgr");
	l->rc = hive_emit(l->s, flame ? "flame" : "generic",
			  flame ? "flame.registry.lsa_mssecmgr" : "generic.registry.lsa_package",
			  flame ? MAMORI_SEV_HIGH : MAMORI_SEV_MEDIUM, l->key, l->value,
			  l->all, "remove_list_entry",
			  flame ? "LSA loads mssecmgr, Flame's main module"
				: "LSA %s lists '%s', not a Windows default", l->value, e);
	return l->rc;
}

static int check_lsa(struct hive_scan *s, struct mamori_hive *h)
{
	static const struct {
		const char *value;
		const char *const *defaults;
		size_t n;
	} lists[] = {
		{"Authentication Packages", lsa_auth_default, 1},
		{"Notification Packages", lsa_notify_default, 5},
		{"Security Packages", lsa_security_default, 10},
	};
	char key[64];
	struct buf all;
	int rc = 0;
	snprintf(key, sizeof(key), "%s\\Control\\Lsa", s->ccs);
	buf_init(&all, CHECK_TEXT_MAX);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !rc; i++) {
		uint32_t t;
		uint8_t *d = NULL;
		size_t n;
		if (mamori_hive_get_raw(h, key, lists[i].value, &t, &d, &n) != 0)
			continue;
		if (render(&all, t, d, n) == 0) {
			struct lsa_ctx l = {s, key, lists[i].value, lists[i].defaults,
					    lists[i].n, buf_str(&all), 0};
			if (t == HIVE_REG_MULTI_SZ)
				rc = hive_multi_sz_foreach(d, n, lsa_entry, &l);
			else if (is_string_type(t) && all.len)
				rc = lsa_entry(buf_str(&all), &l);
			if (l.rc)
				rc = l.rc;
		} else {
			rc = MAMORI_ENOMEM;
		}
		free(d);
	}
	buf_release(&all);
	return rc;
}

/* ---- services ------------------------------------------------------ */

struct svc_ctx {
	const char *services_key;	/* "ControlSet001\Services" */
	char **netsvcs;			/* from SOFTWARE, may be NULL */
	size_t nnetsvcs;
	struct buf text;
};

static bool in_netsvcs(const struct svc_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nnetsvcs; i++)
		if (!strcasecmp(c->netsvcs[i], name))
			return true;
	return false;
}

/* Reads a string value of node into text; false when missing/not text. */
static bool node_string(struct mamori_hive *h, hive_node_h node, const char *value,
			struct buf *text)
{
	uint32_t t;
	uint8_t *d = NULL;
	size_t n;
	bool ok = false;
	buf_reset(text);
	if (hive_node_value_raw(h, node, value, &t, &d, &n) == 0 && is_string_type(t))
		ok = hive_render_value(t, d, n, text) == 0;
	free(d);
	return ok;
}

/*
 * The netsvcs predicate (Conficker): a member of netsvcs whose DLL is not a
 * known Windows one, sits directly in system32 and has a random-looking
 * stem.  The DLL name is what Conficker randomises; a known Windows DLL
 * never fires whatever the service is called (KtmRm loads msdtckrm.dll,
 * which looks random but is Microsoft's), and a known service name does
 * not excuse an unknown random DLL (a hijacked service).
 */
static bool conficker_netsvcs(const char *dll_norm)
{
	const char *base = base_name(dll_norm);
	char stem[64];
	if (!directly_in(dll_norm, "c:\\windows\\system32\\"))
		return false;
	if (strlen(base) >= sizeof(stem))
		return false;	/* no random Conficker name is that long */
	memcpy(stem, base, strlen(base) + 1);
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	return !IN_LIST(stem, known_dlls) && hive_random_name(stem);
}

static int svc_one(struct hive_scan *s, struct mamori_hive *h, hive_node_h svc,
		   const char *name, void *vctx)
{
	struct svc_ctx *c = vctx;
	char key[512], image[1024], dll[1024], dllkey[600];
	bool rundll, has_image, has_dll = false;
	int rc = 0;
	snprintf(key, sizeof(key), "%s\\%s", c->services_key, name);
	has_image = node_string(h, svc, "ImagePath", &c->text);
	image[0] = 0;
	if (has_image)
		snprintf(image, sizeof(image), "%s", buf_str(&c->text));

	/* Storm's driver. */
	char target[1024];
	command_target(image, target, sizeof(target), &rundll);
	if (!strcasecmp(name, "wincom32") || !strcmp(base_name(target), "wincom32.sys"))
		return hive_emit(s, "storm", "storm.registry.service_wincom32",
				 MAMORI_SEV_HIGH, key, "ImagePath", image, "delete_key",
				 "service '%s' loads wincom32.sys, Storm's rootkit driver",
				 name);

	/* Service DLL: Parameters\ServiceDll, or the older ServiceDll. */
	hive_node_h params;
	snprintf(dllkey, sizeof(dllkey), "%s\\Parameters", key);
	if (hive_lookup_from(h, svc, "Parameters", &params) == 0 &&
	    node_string(h, params, "ServiceDll", &c->text)) {
		has_dll = true;
	} else if (node_string(h, svc, "ServiceDll", &c->text)) {
		has_dll = true;
		snprintf(dllkey, sizeof(dllkey), "%s", key);
	}
	dll[0] = 0;
	if (has_dll)
		snprintf(dll, sizeof(dll), "%s", buf_str(&c->text));

	if (has_dll) {
		char dnorm[1024];
		bool member = in_netsvcs(c, name) ||
			      (has_image && strcasestr(image, "-k netsvcs"));
		norm_path(dll, dnorm, sizeof(dnorm));
		if (member && conficker_netsvcs(dnorm))
			return hive_emit(s, "conficker", "conficker.registry.netsvcs_random_dll",
					 MAMORI_SEV_HIGH, dllkey, "ServiceDll", dll, "delete_key",
					 "netsvcs service '%s' loads %s, a random-looking DLL "
					 "in system32 that is not a Windows one",
					 name, base_name(dnorm));
		const char *where = odd_location(dnorm);
		if (where)
			rc = hive_emit(s, "generic", "generic.registry.service_location",
				       MAMORI_SEV_MEDIUM, dllkey, "ServiceDll", dll,
				       "delete_key", "service '%s' loads a DLL from %s",
				       name, where);
	}
	if (!rc && has_image) {
		const char *where = odd_location(target);
		if (where)
			rc = hive_emit(s, "generic", "generic.registry.service_location",
				       MAMORI_SEV_MEDIUM, key, "ImagePath", image,
				       "delete_key", "service '%s' runs '%s' from %s", name,
				       base_name(target), where);
	}
	return rc;
}

static int check_disabled_services(struct hive_scan *s, struct mamori_hive *h)
{
	static const struct {
		const char *name, *what;
	} svcs[] = {
		{"wuauserv", "Automatic Updates"},
		{"BITS", "Background Intelligent Transfer Service"},
		{"WinDefend", "Windows Defender"},
		{"ERSvc", "Error Reporting"},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]) && !rc; i++) {
		char key[128];
		uint32_t start;
		snprintf(key, sizeof(key), "%s\\Services\\%s", s->ccs, svcs[i].name);
		if (mamori_hive_get_dword(h, key, "Start", &start) != 0 || start != 4)
			continue;
		rc = hive_emit(s, "conficker", "conficker.registry.service_disabled",
			       MAMORI_SEV_MEDIUM, key, "Start", "0x00000004 (4)",
			       "set_dword:2",
			       "%s (%s) is disabled, as Conficker leaves it",
			       svcs[i].name, svcs[i].what);
	}
	return rc;
}

struct collect_ctx {
	char **list;
	size_t n, cap;
	int err;
};

static int collect_str(const char *e, void *vctx)
{
	struct collect_ctx *c = vctx;
	if (c->n == c->cap)
		return 0;
	if (!(c->list[c->n] = strdup(e))) {
		c->err = MAMORI_ENOMEM;
		return 1;
	}
	c->n++;
	return 0;
}

#define NETSVCS_MAX 1024

static int check_services(struct hive_scan *s, struct mamori_hive *h,
			  struct mamori_hive *software)
{
	char key[64];
	hive_node_h node;
	struct svc_ctx c = {.services_key = key};
	struct collect_ctx col = {0};
	int rc = 0;
	snprintf(key, sizeof(key), "%s\\Services", s->ccs);
	if (hive_lookup(h, key, &node) != 0)
		return 0;
	if (software) {
		uint32_t t;
		uint8_t *d = NULL;
		size_t n;
		if (mamori_hive_get_raw(software, "Microsoft\\Windows NT\\CurrentVersion\\Svchost",
					"netsvcs", &t, &d, &n) == 0 &&
		    t == HIVE_REG_MULTI_SZ) {
			col.list = calloc(NETSVCS_MAX, sizeof(*col.list));
			col.cap = col.list ? NETSVCS_MAX : 0;
			hive_multi_sz_foreach(d, n, collect_str, &col);
		}
		free(d);
		if (col.err)
			FAIL(col.err);
		c.netsvcs = col.list;
		c.nnetsvcs = col.n;
	}
	buf_init(&c.text, CHECK_TEXT_MAX);
	rc = each_child(s, h, node, key, svc_one, &c);
	buf_release(&c.text);
	if (!rc)
		rc = check_disabled_services(s, h);
out:
	for (size_t i = 0; i < col.n; i++)
		free(col.list[i]);
	free(col.list);
	return rc;
}

/* ---- per-hive entry points ------------------------------------------ */

int hive_check_system(struct hive_scan *s, struct mamori_hive *sys,
		      struct mamori_hive *software)
{
	int rc;
	if (mamori_hive_control_set(sys, s->ccs, sizeof(s->ccs)) != 0)
		return 0;	/* not a SYSTEM hive, or nothing to check */
	rc = check_lsa(s, sys);
	if (!rc)
		rc = check_services(s, sys, software);
	return rc;
}

int mamori_hive_check_lsa(struct mamori_hive *sys, const char *path,
			  mamori_finding_fn cb, void *ctx)
{
	struct hive_scan s = {.cb = cb, .ctx = ctx, .path = path, .hive_name = "SYSTEM"};
	if (mamori_hive_control_set(sys, s.ccs, sizeof(s.ccs)) != 0)
		return MAMORI_ENOENT;
	int rc = check_lsa(&s, sys);
	return rc ? rc : s.stop;
}

int hive_check_software(struct hive_scan *s, struct mamori_hive *sw)
{
	int rc = check_run_keys(s, sw, "");
	if (!rc)
		rc = check_winlogon(s, sw, false);
	if (!rc)
		rc = check_showall(s, sw);
	if (!rc)
		rc = check_itstorage(s, sw, "");
	return rc;
}

int hive_check_ntuser(struct hive_scan *s, struct mamori_hive *u)
{
	int rc = check_run_keys(s, u, "Software\\");
	if (!rc)
		rc = check_winlogon(s, u, true);
	if (!rc)
		rc = check_itstorage(s, u, "Software\\");
	if (!rc)
		rc = check_mountpoints2(s, u);
	return rc;
}
