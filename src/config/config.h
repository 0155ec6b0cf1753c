/*
 * mamori.yaml: the configuration file of `mamori net` (loader and the
 * mapping onto the engines' own config structs).
 *
 * Why: defenders tune an IDS through one file (Suricata's suricata.yaml);
 * mamori reads the same shape where Suricata has a name for a setting
 * (vars.address-groups, vars.port-groups, default-rule-path, rule-files,
 * classification-file, flow/stream/defrag memcaps), so an operator can
 * carry the network definitions over.  Nothing here is required:
 * mamori_config_defaults() gives the built-in behaviour, and a file only
 * overrides the keys it names.
 *
 * Schema (every key optional; see mamori.yaml.example and mamori.yaml(5)):
 *
 *   vars:
 *     address-groups: {NAME: "addr-spec", ...}  names not ending in _PORTS
 *     port-groups:    {NAME_PORTS: "port-spec", ...}
 *   default-rule-path: DIR           relative rule-files are resolved here
 *   rule-files: [FILE, ...]          replaces the built-in rules/mamori.rules
 *   classification-file: FILE
 *   outputs:
 *     eve:
 *       enabled: BOOL                default yes
 *       filename: NAME               default eve.json (inside -l LOGDIR)
 *       types: [alert, flow, http, dns, smtp, ...]   flow → net.log_flow,
 *                                    any app protocol → net.log_app
 *   decode:  {checksum-validation: BOOL, max-packet-size: SIZE}
 *   defrag:  {memcap: SIZE, timeout: SECONDS}
 *   flow:    {memcap: SIZE, hash-size: N, seed: N,
 *             timeouts: {new: S, established: S, closed: S, udp: S}}
 *   stream:  {memcap: SIZE, per-flow-cap: SIZE, midstream: BOOL,
 *             overlap-policy: first|last, max-gap-wait: N,
 *             retrans-window: SIZE}
 *   app-layer: {body-limit: SIZE, decompress-limit: SIZE, max-line: SIZE,
 *               max-headers: N, max-tx: N}
 *   detect:  {stream-window: SIZE, dataset-memcap: SIZE,
 *             state-memcap: SIZE, dataset-dir: DIR}   → struct detect_config
 *
 * SIZE is a number of bytes with an optional kb/mb/gb suffix (1024-based,
 * as Suricata); BOOL is yes/no/true/false/on/off/1/0.
 *
 * Invariants: after a successful load every variable value parsed as an
 * address or port set (with the other variables in scope), every number is
 * within its key's range, and cfg owns every string it points to.  On
 * failure cfg still holds the defaults plus whatever was read before the
 * error, and must be released.  Errors name the file, the 1-based line and
 * column of the offending YAML node (libyaml marks) and the key path.
 */
#ifndef MAMORI_CONFIG_CONFIG_H
#define MAMORI_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/mamori.h"
#include "detect/engine.h"
#include "net/net.h"

struct rule_vars;

/* Largest config file read (bytes); a bigger one is MAMORI_ELIMIT. */
#define MAMORI_CONFIG_MAX_SIZE (1024u * 1024u)
/* Most variables and rule files a config may define. */
#define MAMORI_CONFIG_MAX_VARS 1024u
#define MAMORI_CONFIG_MAX_RULE_FILES 1024u

/* One address or port group as written in the file. */
struct mamori_config_var {
	char *name;		/* owned, without '$' */
	char *value;		/* owned */
	bool port;		/* from port-groups */
	unsigned line, column;	/* of the value in the config file */
};

/* Bits of mamori_config.detect_set: which detect_config fields the file set. */
enum mamori_config_detect_key {
	MAMORI_CFG_DET_STREAM_WINDOW, MAMORI_CFG_DET_DATASET_MEMCAP,
	MAMORI_CFG_DET_STATE_MEMCAP, MAMORI_CFG_DET_MAX
};

/* Bits of mamori_config.net_set: which net_config fields the file set. */
enum mamori_config_net_key {
	MAMORI_CFG_CHECKSUM, MAMORI_CFG_MAX_PACKET,
	MAMORI_CFG_DEFRAG_MEMCAP, MAMORI_CFG_DEFRAG_TIMEOUT,
	MAMORI_CFG_FLOW_MEMCAP, MAMORI_CFG_FLOW_HASH_SIZE, MAMORI_CFG_FLOW_SEED,
	MAMORI_CFG_FLOW_TO_NEW, MAMORI_CFG_FLOW_TO_EST,
	MAMORI_CFG_FLOW_TO_CLOSED, MAMORI_CFG_FLOW_TO_UDP,
	MAMORI_CFG_STREAM_MEMCAP, MAMORI_CFG_STREAM_PER_FLOW,
	MAMORI_CFG_STREAM_MIDSTREAM, MAMORI_CFG_STREAM_POLICY,
	MAMORI_CFG_STREAM_GAP_WAIT, MAMORI_CFG_STREAM_RETRANS,
	MAMORI_CFG_APP_BODY, MAMORI_CFG_APP_DECOMPRESS, MAMORI_CFG_APP_MAX_LINE,
	MAMORI_CFG_APP_MAX_HEADERS, MAMORI_CFG_APP_MAX_TX,
	MAMORI_CFG_LOG_FLOW, MAMORI_CFG_LOG_APP,
	MAMORI_CFG_NET_MAX
};

struct mamori_config {
	struct mamori_config_var *vars;	/* owned, in file order */
	size_t nvars;
	char *default_rule_path;	/* owned; NULL = none */
	char **rule_files;		/* owned; NULL/0 = built-in rules */
	size_t nrule_files;
	bool rule_files_set;		/* rule-files: present (even empty:
					 * then no rules at all) */
	char *classification_file;	/* owned; NULL = built-in */
	bool eve_enabled;		/* default true */
	char *eve_filename;		/* owned; NULL = "eve.json" */
	struct net_config net;		/* net_config_defaults() + the file */
	uint32_t net_set;		/* 1u << enum mamori_config_net_key */
	struct detect_config detect;	/* detect_config_defaults() + the file;
					 * detect.dataset_dir is NULL here */
	uint32_t detect_set;		/* 1u << enum mamori_config_detect_key */
	char *dataset_dir;		/* owned; detect.dataset-dir, NULL = the
					 * rule file's folder */
};

/* Fills cfg with the built-in defaults (no allocation; release is still
 * fine to call). */
void mamori_config_defaults(struct mamori_config *cfg);

/*
 * Reads the YAML file at path into cfg (which must hold defaults or an
 * earlier load: keys in the file override).  Returns 0; MAMORI_EIO (cannot
 * read: diag->msg says why), MAMORI_ELIMIT (file larger than
 * MAMORI_CONFIG_MAX_SIZE or too many entries), MAMORI_EFORMAT (YAML syntax,
 * unknown key, wrong type, bad value, a variable that does not parse:
 * diag->line/column point at the node, diag->msg names the key path),
 * MAMORI_ENOMEM.  [ ] and { } nested deeper than 64 is MAMORI_ELIMIT (libyaml
 * slows down quadratically with that depth).  diag may be NULL; diag->file
 * is set to path (borrowed).
 * Not thread-safe on the same cfg.
 */
int mamori_config_load(const char *path, struct mamori_config *cfg,
		       struct mamori_diag *diag);
/* Same over a buffer (need not be NUL-terminated); name goes in diag->file
 * (borrowed). */
int mamori_config_load_buffer(const char *name, const void *data, size_t len,
			      struct mamori_config *cfg, struct mamori_diag *diag);

/* Frees what cfg owns and resets it to defaults.  NULL is a no-op. */
void mamori_config_release(struct mamori_config *cfg);

/*
 * Sets every address and port group of cfg in vars (rule_vars_set), in
 * file order, over vars' built-in defaults.  Returns 0, MAMORI_EINVAL,
 * MAMORI_ENOMEM.  vars is borrowed.
 */
int mamori_config_apply_vars(const struct mamori_config *cfg,
			     struct rule_vars *vars);

/* Copies the net_config fields the file set into out (others untouched,
 * so command-line options applied afterwards win). */
void mamori_config_apply_net(const struct mamori_config *cfg,
			     struct net_config *out);

/* Copies the detect_config fields the file set into out; out->dataset_dir
 * then borrows cfg->dataset_dir (when set), valid until cfg is released. */
void mamori_config_apply_detect(const struct mamori_config *cfg,
				struct detect_config *out);

/*
 * Path of rule file i (0 <= i < nrule_files) with default-rule-path
 * prepended when the name is relative.  Writes a NUL-terminated string into
 * out.  Returns 0, MAMORI_EINVAL (i out of range), MAMORI_ELIMIT (does not
 * fit).
 */
int mamori_config_rule_path(const struct mamori_config *cfg, size_t i,
			    char *out, size_t outlen);

/* "eve.json" or the configured file name (borrowed from cfg). */
const char *mamori_config_eve_filename(const struct mamori_config *cfg);

#endif
