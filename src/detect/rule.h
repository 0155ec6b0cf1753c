/*
 * The in-memory signature model of the rule engine and the loader API.
 *
 * A rule in Suricata syntax becomes one struct rule: a header (action,
 * protocol, compiled address and port sets, direction), meta data (msg,
 * gid:sid:rev, class, references, metadata) and, like Suricata's
 * Signature, an ordered list of "sigmatch" entries per inspection list:
 * the packet/flow conditions (RULE_LIST_MATCH), the payload
 * (RULE_LIST_PMATCH: packet or reassembled stream), the base64_data
 * buffer, the post-match actions (flowbits set...), thresholds, and one
 * list per app-layer buffer of APP_BUFFER_MAP (http.uri, dns.query...).
 * Each entry is a keyword id (enum rule_kw, an index into the keyword
 * table of keywords.c: name, setup, free, later match) and a typed
 * argument (struct rule_content, struct rule_pcre, ...).
 *
 * Invariants once a rule is loaded:
 *  - every sigmatch argument was parsed and validated; PCREs are compiled
 *    (with JIT when available);
 *  - address and port sets are normalised: sorted, disjoint, non-adjacent
 *    ranges, never empty;
 *  - byte_extract variables referenced by other keywords were defined
 *    earlier in the same rule and are stored as an index (0..15);
 *  - fp_list/fp_index name the fast pattern content (see rule_fast_pattern
 *    in parse.c for the rule), or fp_list is -1 when the rule has none.
 *
 * A ruleset owns its rules, the variables and the classification table;
 * it is built by one thread and afterwards read-only (safe to share
 * between worker threads).
 */
#ifndef MAMORI_DETECT_RULE_H
#define MAMORI_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "mamori/mamori.h"

/* ---- variables (address and port groups) ------------------------------ */

struct rule_vars;

/* New variable table with Suricata's default suricata.yaml groups
 * (HOME_NET = RFC 1918, EXTERNAL_NET = !$HOME_NET, HTTP_PORTS = 80, ...).
 * Returns NULL on ENOMEM.  Free with rule_vars_free (NULL is a no-op). */
struct rule_vars *rule_vars_new(void);
void rule_vars_free(struct rule_vars *vars);
/*
 * Sets a variable (name without '$').  Names ending in _PORTS are port
 * groups, every other name an address group (Suricata's vars.address-groups
 * and vars.port-groups).  value is copied; it is checked when a rule uses
 * it.  Returns 0, MAMORI_EINVAL (bad name), MAMORI_ENOMEM.
 */
int rule_vars_set(struct rule_vars *vars, const char *name, const char *value);
/* The value of a variable (borrowed, valid until the next set), or NULL. */
const char *rule_vars_get(const struct rule_vars *vars, const char *name);

/* ---- address and port sets --------------------------------------------- */

/* An address: IPv4 in lo's low 32 bits with hi = 0; IPv6 as two 64-bit
 * big-endian halves. */
struct rule_ip {
	uint64_t hi, lo;
};
struct rule_iprange {
	struct rule_ip lo, hi;	/* inclusive */
};
struct rule_addrset {
	struct rule_iprange *v4, *v6;	/* owned; sorted, disjoint */
	uint32_t n4, n6;
	bool any;			/* covers every v4 and v6 address */
};
struct rule_portrange {
	uint16_t lo, hi;		/* inclusive */
};
struct rule_portset {
	struct rule_portrange *v;	/* owned; sorted, disjoint */
	uint32_t n;
	bool any;
};

/* Membership tests (binary search). */
bool rule_addrset_has_v4(const struct rule_addrset *s, uint32_t addr);
bool rule_addrset_has_v6(const struct rule_addrset *s, const uint8_t addr[16]);
bool rule_portset_has(const struct rule_portset *s, uint16_t port);

/*
 * Parses an address group ("[10.0.0.0/8,!10.1.0.0/16]", "$HOME_NET", "any",
 * "2001:db8::/32", "1.2.3.4-1.2.3.9") into out, resolving variables from
 * vars.  On error fills diag->msg (column relative to text, 1-based) and
 * returns MAMORI_EFORMAT.  out is owned by the caller: rule_addrset_release.
 */
int rule_addrset_parse(struct rule_addrset *out, const char *text,
		       const struct rule_vars *vars, struct mamori_diag *diag);
void rule_addrset_release(struct rule_addrset *s);
/* Same for ports ("[80,1024:]", "!$HTTP_PORTS", "any", "1024:65535"). */
int rule_portset_parse(struct rule_portset *out, const char *text,
		       const struct rule_vars *vars, struct mamori_diag *diag);
void rule_portset_release(struct rule_portset *s);

/* ---- classification.config --------------------------------------------- */

struct rule_class {
	char *name;		/* "trojan-activity" */
	char *desc;		/* "A Network Trojan was detected" (EVE category) */
	int priority;		/* EVE severity */
};
struct rule_classes {
	struct rule_class *v;	/* owned */
	size_t n;
};
/*
 * Loads "config classification: name,description,priority" lines from
 * path into cls (appends; a later duplicate name replaces the earlier one,
 * as Suricata does).  Other lines must be comments or blank.  Returns 0,
 * MAMORI_EIO (cannot read: diag->msg says why), MAMORI_EFORMAT (diag has
 * line and reason), MAMORI_ENOMEM.
 */
int rule_classes_load(struct rule_classes *cls, const char *path,
		      struct mamori_diag *diag);
/* Same from a NUL-terminated string (line numbers count from 1). */
int rule_classes_load_string(struct rule_classes *cls, const char *text,
			     struct mamori_diag *diag);
/* Path of the built-in classification.config (static string). */
const char *rule_classes_default_path(void);
const struct rule_class *rule_classes_find(const struct rule_classes *cls,
					   const char *name);
void rule_classes_release(struct rule_classes *cls);

/* ---- the signature ----------------------------------------------------- */

enum rule_action {
	RULE_ACT_ALERT,
	RULE_ACT_PASS,
	RULE_ACT_DROP,		/* alerts in IDS mode */
	RULE_ACT_REJECT,	/* reject, rejectsrc, rejectdst, rejectboth */
	RULE_ACT_MAX
};
const char *rule_action_name(enum rule_action a);

/* Header protocol flags. */
#define RULE_PROTO_ANY_IP	0x01u	/* "ip": every IP protocol */
#define RULE_PROTO_PKT_ONLY	0x02u	/* tcp-pkt: packets only, no stream */
#define RULE_PROTO_STREAM_ONLY	0x04u	/* tcp-stream */
#define RULE_PROTO_PKTHDR	0x08u	/* pkthdr: header keywords only */
#define RULE_PROTO_APP_UNPARSED	0x10u	/* app protocol mamori has no parser
					 * for (ftp, krb5...): loads, never
					 * matches until a parser exists */
#define RULE_PROTO_V4_ONLY	0x20u
#define RULE_PROTO_V6_ONLY	0x40u

/* The inspection lists of a rule. */
enum rule_list_id {
	RULE_LIST_MATCH,	/* packet and flow conditions: flow, dsize,
				 * ttl, flags, flowbits isset/isnotset ... */
	RULE_LIST_PMATCH,	/* payload: packet data or stream */
	RULE_LIST_BASE64,	/* base64_data: what base64_decode decoded */
	RULE_LIST_POSTMATCH,	/* actions after a match: flowbits set ... */
	RULE_LIST_THRESHOLD,	/* threshold, detection_filter */
	RULE_LIST_BUF,		/* + enum app_buffer */
	RULE_LIST_MAX = RULE_LIST_BUF + APP_BUF_MAX
};
/* "payload", "http.uri", ... (static). */
const char *rule_list_name(int list);

/* Keyword ids; the table in keywords.c is indexed by them. */
#define RULE_KW_MAP(X)                                                        \
	X(MSG) X(SID) X(REV) X(GID) X(CLASSTYPE) X(REFERENCE) X(METADATA)     \
	X(PRIORITY) X(TARGET)                                                 \
	X(CONTENT) X(URICONTENT) X(NOCASE) X(DEPTH) X(OFFSET) X(DISTANCE)     \
	X(WITHIN) X(STARTSWITH) X(ENDSWITH) X(FAST_PATTERN) X(RAWBYTES)       \
	X(PCRE) X(ISDATAAT) X(DSIZE) X(URILEN) X(BSIZE) X(BYTE_TEST)          \
	X(BYTE_JUMP) X(BYTE_EXTRACT) X(BYTE_MATH) X(BASE64_DECODE)            \
	X(BASE64_DATA) X(PKT_DATA) X(STICKY) X(MODIFIER)                      \
	X(FLOW) X(FLOWBITS) X(XBITS) X(HOSTBITS) X(FLOWINT) X(THRESHOLD)      \
	X(DETECTION_FILTER) X(DATASET) X(NOALERT) X(TAG)                      \
	X(STREAM_SIZE) X(APP_LAYER_EVENT) X(APP_LAYER_PROTOCOL) X(TTL)        \
	X(ITYPE) X(ICODE) X(ICMP_ID) X(ICMP_SEQ) X(IP_PROTO) X(IPOPTS)        \
	X(FRAGBITS) X(FRAGOFFSET) X(FLAGS) X(SEQ) X(ACK) X(WINDOW) X(ID)      \
	X(TOS) X(SAMEIP) X(SSL_STATE) X(SSL_VERSION) X(TLS_VERSION) X(ASN1)   \
	X(FTPBOUNCE) X(DCERPC_IFACE) X(DCERPC_OPNUM) X(PREFILTER)            \
	X(STREAM_EVENT) X(DECODE_EVENT) X(VLAN_ID) X(VLAN_LAYERS) X(ABSENT)    \
	X(TRANSFORM) X(FLOW_AGE)

enum rule_kw {
#define RULE_KW_ENUM(id) RULE_KW_##id,
	RULE_KW_MAP(RULE_KW_ENUM)
#undef RULE_KW_ENUM
	RULE_KW_MAX
};
/* "content", ... (static); "?" out of range. */
const char *rule_kw_name(enum rule_kw kw);

/* One keyword occurrence with its typed argument (owned; freed by the
 * keyword's free function).  ctx's type is given per keyword below. */
struct rule_sm {
	uint16_t kw;		/* enum rule_kw */
	uint16_t pad;
	uint32_t order;		/* position among the rule's options */
	void *ctx;		/* NULL for keywords without argument */
};
struct rule_smlist {
	struct rule_sm *v;	/* owned */
	uint32_t n, cap;
};

/* A value that is a number or a byte_extract/byte_math variable. */
#define RULE_VAR_NONE (-1)

/* content / uricontent.  ctx = struct rule_content. */
#define RULE_CF_NOCASE		0x0001u
#define RULE_CF_NEGATED		0x0002u
#define RULE_CF_RAWBYTES	0x0004u
#define RULE_CF_STARTSWITH	0x0008u
#define RULE_CF_ENDSWITH	0x0010u
#define RULE_CF_DEPTH		0x0020u
#define RULE_CF_OFFSET		0x0040u
#define RULE_CF_DISTANCE	0x0080u
#define RULE_CF_WITHIN		0x0100u
#define RULE_CF_FAST_PATTERN	0x0200u	/* explicit fast_pattern */
#define RULE_CF_FP_ONLY		0x0400u	/* fast_pattern:only */
#define RULE_CF_FP_CHOP		0x0800u	/* fast_pattern:N,M */
#define RULE_CF_RELATIVE_NEXT	0x1000u	/* next content/pcre/byte_* is
					 * relative to this one */
#define RULE_CF_DEPTH_VAR	0x2000u	/* depth is variable index */
#define RULE_CF_OFFSET_VAR	0x4000u
#define RULE_CF_DISTANCE_VAR	0x8000u
#define RULE_CF_WITHIN_VAR	0x10000u
#define RULE_CF_MPM		0x20000u	/* the rule's fast pattern */
struct rule_content {
	uint8_t *pat;		/* owned; raw bytes after |hex| and escapes */
	uint32_t len;
	uint32_t flags;		/* RULE_CF_* */
	int32_t depth, offset, distance, within;	/* or var index */
	uint16_t fp_off, fp_len;	/* fast_pattern:N,M */
};

/* pcre.  ctx = struct rule_pcre. */
#define RULE_PF_NEGATED		0x01u
#define RULE_PF_RELATIVE	0x02u	/* R */
#define RULE_PF_RELATIVE_NEXT	0x04u
#define RULE_PF_RAWBYTES	0x08u	/* B */
#define RULE_PF_MATCH_LIMIT	0x10u	/* O */
struct rule_pcre {
	void *code;		/* pcre2_code_8 *, owned, JIT-compiled if possible */
	char *src;		/* owned; "/re/flags" as written */
	uint32_t flags;		/* RULE_PF_* */
	uint32_t opts;		/* PCRE2 compile options */
	char **capture;		/* owned "pkt:name"/"flow:name" per group */
	uint32_t ncapture;
};

/* Numeric comparison: dsize, urilen, bsize, ttl, itype, icode, icmp_id,
 * icmp_seq, id, seq, ack, window, tos, ip_proto, fragoffset, stream_size,
 * vlan.layers, flow.age (seconds).
 * ctx = struct rule_cmp. */
enum rule_cmp_op {
	RULE_CMP_EQ, RULE_CMP_NE, RULE_CMP_LT, RULE_CMP_GT, RULE_CMP_LE,
	RULE_CMP_GE, RULE_CMP_RANGE	/* lo < x < hi (Suricata's "lo<>hi") */
};
#define RULE_CMPF_RAW		0x01u	/* urilen: raw uri */
#define RULE_CMPF_SERVER	0x02u	/* stream_size sides */
#define RULE_CMPF_CLIENT	0x04u
#define RULE_CMPF_EITHER	0x08u	/* stream_size either (else both when
					 * SERVER|CLIENT) */
struct rule_cmp {
	uint8_t op;		/* enum rule_cmp_op */
	uint8_t flags;		/* RULE_CMPF_* */
	uint64_t lo, hi;	/* hi only for RANGE */
};
/* Evaluates x against c. */
bool rule_cmp_eval(const struct rule_cmp *c, uint64_t x);

/* isdataat.  ctx = struct rule_isdataat. */
#define RULE_IF_NEGATED		0x01u
#define RULE_IF_RELATIVE	0x02u
#define RULE_IF_RAWBYTES	0x04u
#define RULE_IF_VAR		0x08u	/* n is a variable index */
#define RULE_IF_RELATIVE_NEXT	0x10u
struct rule_isdataat {
	uint32_t n;
	uint8_t flags;
};

/* Shared flags of byte_test, byte_jump, byte_extract, byte_math. */
#define RULE_BF_RELATIVE	0x0001u
#define RULE_BF_BIG		0x0002u
#define RULE_BF_LITTLE		0x0004u
#define RULE_BF_STRING		0x0008u	/* base in .base */
#define RULE_BF_DCE		0x0010u
#define RULE_BF_ALIGN		0x0020u
#define RULE_BF_FROM_BEGINNING	0x0040u
#define RULE_BF_FROM_END	0x0080u
#define RULE_BF_NEGATED		0x0100u	/* byte_test !op */
#define RULE_BF_VALUE_VAR	0x0200u	/* value is a variable index */
#define RULE_BF_OFFSET_VAR	0x0400u	/* offset is a variable index */
#define RULE_BF_BITMASK		0x0800u
#define RULE_BF_RELATIVE_NEXT	0x1000u
#define RULE_BF_NBYTES_VAR	0x2000u	/* byte_jump: nbytes is a variable */
#define RULE_BF_RVALUE_VAR	0x4000u	/* byte_math: rvalue is a variable */

enum rule_byte_op {	/* byte_test operators */
	RULE_BOP_LT, RULE_BOP_GT, RULE_BOP_EQ, RULE_BOP_AND, RULE_BOP_XOR,
	RULE_BOP_LE, RULE_BOP_GE
};
enum rule_math_op {	/* byte_math operators */
	RULE_MOP_ADD, RULE_MOP_SUB, RULE_MOP_MUL, RULE_MOP_DIV, RULE_MOP_SHL,
	RULE_MOP_SHR
};
/* ctx for byte_test, byte_jump, byte_extract, byte_math. */
struct rule_byte {
	uint32_t flags;		/* RULE_BF_* */
	uint8_t nbytes;		/* 1..10 (string) or 1..8 */
	uint8_t op;		/* byte_test: rule_byte_op; byte_math: rule_math_op */
	uint8_t base;		/* 8, 10, 16 with RULE_BF_STRING */
	uint8_t align;		/* byte_extract: 0, 2, 4; byte_jump: 4 */
	int32_t offset;		/* or var index */
	uint64_t value;		/* byte_test value / byte_math rvalue (or var) */
	uint32_t multiplier;	/* 1 when absent */
	int32_t post_offset;	/* byte_jump */
	uint32_t bitmask;
	int8_t var;		/* byte_extract / byte_math: result variable */
};

/* base64_decode.  ctx = struct rule_b64. */
struct rule_b64 {
	uint32_t bytes;		/* 0 = all */
	uint32_t offset;
	bool relative;
};

/* flow.  ctx = struct rule_flow. */
#define RULE_FLOW_ESTABLISHED		0x001u
#define RULE_FLOW_NOT_ESTABLISHED	0x002u
#define RULE_FLOW_STATELESS		0x004u
#define RULE_FLOW_TOSERVER		0x008u	/* to_server, from_client */
#define RULE_FLOW_TOCLIENT		0x010u	/* to_client, from_server */
#define RULE_FLOW_ONLY_STREAM		0x020u
#define RULE_FLOW_NO_STREAM		0x040u
#define RULE_FLOW_ONLY_FRAG		0x080u
#define RULE_FLOW_NO_FRAG		0x100u
struct rule_flow {
	uint32_t flags;
};

/* flowbits, xbits, hostbits.  ctx = struct rule_bits. */
enum rule_bits_cmd {
	RULE_BITS_SET, RULE_BITS_UNSET, RULE_BITS_TOGGLE, RULE_BITS_ISSET,
	RULE_BITS_ISNOTSET, RULE_BITS_NOALERT
};
enum rule_track {
	RULE_TRACK_NONE, RULE_TRACK_SRC, RULE_TRACK_DST, RULE_TRACK_PAIR,
	RULE_TRACK_BOTH, RULE_TRACK_RULE, RULE_TRACK_FLOW
};
struct rule_bits {
	uint8_t cmd;		/* enum rule_bits_cmd */
	uint8_t track;		/* xbits/hostbits: enum rule_track */
	uint32_t expire;	/* seconds, 0 = none */
	uint32_t n;		/* names (OR list for isset/isnotset) */
	char **names;		/* owned */
};

/* flowint.  ctx = struct rule_flowint. */
enum rule_flowint_op {
	RULE_FI_SET, RULE_FI_ADD, RULE_FI_SUB, RULE_FI_EQ, RULE_FI_NE,
	RULE_FI_LT, RULE_FI_GT, RULE_FI_LE, RULE_FI_GE, RULE_FI_ISSET,
	RULE_FI_ISNOTSET
};
struct rule_flowint {
	char *name;		/* owned */
	uint8_t op;
	bool value_is_var;	/* value names another flowint */
	uint32_t value;
	char *var;		/* owned, when value_is_var */
};

/* threshold, detection_filter.  ctx = struct rule_threshold. */
enum rule_thr_type { RULE_THR_LIMIT, RULE_THR_THRESHOLD, RULE_THR_BOTH,
		     RULE_THR_DETECTION_FILTER };
struct rule_threshold {
	uint8_t type;		/* enum rule_thr_type */
	uint8_t track;		/* RULE_TRACK_SRC/DST/BOTH/RULE */
	uint32_t count, seconds;
};

/* dataset.  ctx = struct rule_dataset. */
enum rule_ds_cmd { RULE_DS_SET, RULE_DS_ISSET, RULE_DS_ISNOTSET,
		   RULE_DS_UNSET };
enum rule_ds_type { RULE_DS_STRING, RULE_DS_MD5, RULE_DS_SHA256,
		    RULE_DS_IPV4, RULE_DS_IP };
struct rule_dataset {
	uint8_t cmd, type;
	char *name;		/* owned */
	char *load, *save;	/* owned, may be NULL ("state" sets both) */
	uint64_t memcap;	/* 0 = default */
	uint32_t hashsize;	/* 0 = default */
};

/* tag.  ctx = struct rule_tag. */
struct rule_tag {
	bool host;		/* else session */
	uint32_t count;		/* 0 = default (256 packets) */
	uint8_t metric;		/* 0 packets, 1 seconds, 2 bytes */
	uint8_t dir;		/* host: 0 src, 1 dst */
};

/* Generic bit tests: flags (tcp), fragbits, ssl_state, ssl_version,
 * tls.version, ipopts.  ctx = struct rule_bitmask: matches when
 * (v & mask) compared with want by mode. */
enum rule_bm_mode {
	RULE_BM_EXACT,		/* flags with no modifier: (v & ~ignore) == want */
	RULE_BM_ALL,		/* '+': all of want set, others may be */
	RULE_BM_ANY,		/* '*': any of want set */
	RULE_BM_NOT		/* '!': none of want set */
};
struct rule_bitmask {
	uint32_t want;
	uint32_t ignore;	/* bits ignored (flags: ",12") */
	uint8_t mode;		/* enum rule_bm_mode */
	bool negated;
};
#define RULE_TCP_FIN 0x01u
#define RULE_TCP_SYN 0x02u
#define RULE_TCP_RST 0x04u
#define RULE_TCP_PSH 0x08u
#define RULE_TCP_ACK 0x10u
#define RULE_TCP_URG 0x20u
#define RULE_TCP_ECE 0x40u
#define RULE_TCP_CWR 0x80u

/* Bit positions of the bitmask keywords (want/ignore = 1u << value). */
enum rule_ipopt { RULE_IPOPT_RR, RULE_IPOPT_EOL, RULE_IPOPT_NOP, RULE_IPOPT_TS,
		  RULE_IPOPT_SEC, RULE_IPOPT_ESEC, RULE_IPOPT_LSRR, RULE_IPOPT_LSRRE,
		  RULE_IPOPT_SSRR, RULE_IPOPT_SATID, RULE_IPOPT_ANY };
enum rule_frag { RULE_FRAG_MF, RULE_FRAG_DF, RULE_FRAG_RSV };	/* fragbits M D R */
/* ssl_state: want = states any of which must be seen, ignore = states that
 * must not be ('!'). */
enum rule_ssl_state { RULE_SSL_CLIENT_HELLO, RULE_SSL_SERVER_HELLO,
		      RULE_SSL_CLIENT_KEYX, RULE_SSL_SERVER_KEYX, RULE_SSL_UNKNOWN };
/* ssl_version: want = versions any of which matches, ignore = negated. */
enum rule_ssl_version { RULE_SSL_V2, RULE_SSL_V3, RULE_TLS_10, RULE_TLS_11,
			RULE_TLS_12, RULE_TLS_13 };

/* Small string arguments: app-layer-event ("http.gzip_decompression_failed"),
 * stream-event, decode-event, app-layer-protocol (negated = '!').
 * ctx = struct rule_str. */
struct rule_str {
	char *s;		/* owned */
	bool negated;
};

/* dcerpc.iface.  ctx = struct rule_dce_iface. */
struct rule_dce_iface {
	uint8_t uuid[16];	/* as written, big-endian text order */
	bool any_frag;
	bool has_version;
	uint8_t op;		/* enum rule_cmp_op on the interface version */
	uint16_t version;
};

/* asn1.  ctx = struct rule_asn1. */
#define RULE_ASN1_BITSTRING_OVERFLOW	0x01u
#define RULE_ASN1_DOUBLE_OVERFLOW	0x02u
#define RULE_ASN1_OVERSIZE_LENGTH	0x04u
#define RULE_ASN1_ABSOLUTE_OFFSET	0x08u
#define RULE_ASN1_RELATIVE_OFFSET	0x10u
struct rule_asn1 {
	uint32_t flags;
	uint32_t oversize_length;
	uint32_t absolute_offset;
	int32_t relative_offset;
};

/* vlan.id.  ctx = struct rule_vlan.  vlan.layers uses struct rule_cmp. */
enum rule_vlan_layer { RULE_VLAN_ANY, RULE_VLAN_ALL, RULE_VLAN_INDEX };
struct rule_vlan {
	struct rule_cmp id;
	uint8_t mode;		/* enum rule_vlan_layer */
	int8_t layer;		/* RULE_VLAN_INDEX: 0.. outer first, <0 from the inner end */
};

/* absent: the sticky buffer must not exist (or, with or_else, must not
 * exist or must match the rest of its list).  ctx = struct rule_absent. */
struct rule_absent {
	bool or_else;
};

/*
 * Transforms (strip_whitespace, to_sha256, url_decode...): they directly
 * follow a sticky buffer and sit at the head of its list, in rule order;
 * the matcher applies them to the buffer before the rest of the list (and
 * the prefilter must search the transformed buffer).  ctx = struct
 * rule_xform.
 */
enum rule_xform_kind {
	RULE_XF_STRIP_WS, RULE_XF_COMPRESS_WS, RULE_XF_LOWER, RULE_XF_UPPER,
	RULE_XF_MD5, RULE_XF_SHA1, RULE_XF_SHA256, RULE_XF_URL_DECODE,
	RULE_XF_DOTPREFIX, RULE_XF_FROM_BASE64, RULE_XF_HEADER_LOWER,
	RULE_XF_STRIP_PSEUDO, RULE_XF_PCREXFORM, RULE_XF_XOR
};
enum rule_b64_mode { RULE_B64_RFC4648, RULE_B64_RFC2045, RULE_B64_STRICT };
struct rule_xform {
	uint8_t kind;		/* enum rule_xform_kind */
	uint8_t b64_mode;	/* from_base64 */
	uint32_t b64_bytes;	/* from_base64: 0 = all */
	uint32_t b64_offset;
	void *re;		/* pcrexform: pcre2_code_8 *, owned */
	uint8_t *key;		/* xor: owned */
	uint32_t keylen;
};

/* dcerpc.opnum: ctx = struct rule_ranges (sorted list of [lo,hi]). */
struct rule_ranges {
	uint32_t n;
	uint32_t (*v)[2];	/* owned */
};

/* Rule-level flags. */
#define RULE_F_NOALERT		0x01u
#define RULE_F_SAMEIP		0x02u
#define RULE_F_TARGET_SRC	0x04u
#define RULE_F_TARGET_DST	0x08u
#define RULE_F_PREFILTER	0x10u

#define RULE_MAX_VARS 16	/* byte_extract / byte_math variables per rule */

struct rule {
	/* header */
	enum rule_action action;
	uint8_t ipproto;		/* 0 = any IP protocol */
	enum app_proto_id app;		/* APP_UNKNOWN = none */
	char proto_name[16];		/* as written ("http", "tcp-pkt", "ftp") */
	uint32_t proto_flags;		/* RULE_PROTO_* */
	struct rule_addrset src, dst;
	struct rule_portset sport, dport;
	bool bidir;			/* "<>" */

	/* meta */
	uint32_t gid, sid, rev;
	int priority;			/* from priority: or the class; 3 default */
	char *msg;			/* owned, unescaped */
	const struct rule_class *cls;	/* borrowed from the ruleset, or NULL */
	char **refs;			/* owned "type,value" */
	uint32_t nrefs;
	char **metadata;		/* owned, each "key value" entry */
	uint32_t nmeta;
	uint32_t flags;			/* RULE_F_* */

	/* options */
	struct rule_smlist lists[RULE_LIST_MAX];
	char *vars[RULE_MAX_VARS];	/* owned byte_extract/byte_math names */
	uint32_t nvars;
	int fp_list;			/* list of the fast pattern, -1 none */
	uint32_t fp_index;		/* index in lists[fp_list] */

	/* source */
	const char *file;		/* borrowed from the ruleset (interned) */
	unsigned line;
	char *text;			/* owned, the rule as read (one line) */
};

/* The fast pattern content of a rule, or NULL. */
const struct rule_content *rule_fast_pattern(const struct rule *r);

/* ---- exact evaluation (match.c) ---------------------------------------- */

/*
 * Scratch space of one evaluating thread: byte_extract/byte_math values,
 * PCRE2 match data and the base64_decode output.  Not shared between
 * threads; reused across calls.
 */
struct rule_match_ctx {
	uint64_t vars[RULE_MAX_VARS];
	void *md;		/* pcre2_match_data_8 *, owned */
	void *mc;		/* pcre2_match_context_8 *, owned: Suricata's
				 * default limits (match 3500, depth 1500),
				 * lifted by the pcre 'O' flag */
	uint8_t *b64;		/* owned, 64 KiB once used */
	size_t b64_len;
	uint8_t *xf[2];		/* owned transform outputs */
	size_t xf_cap[2];
};
#define RULE_XFORM_MAX_LEN (16u * 1024 * 1024)	/* a larger buffer does not match
						 * a rule with transforms */
/* Returns 0 or MAMORI_ENOMEM; release with rule_match_ctx_release. */
int rule_match_ctx_init(struct rule_match_ctx *m);
void rule_match_ctx_release(struct rule_match_ctx *m);
/*
 * Evaluates list (RULE_LIST_PMATCH, RULE_LIST_BUF + buffer, ...) of r over
 * buf[0..len) the way Suricata's content inspection does (see match.c),
 * including base64_data after a base64_decode of this list.  buf is
 * borrowed; NULL means the buffer does not exist (only "absent" matches
 * then; otherwise it is evaluated as empty).  Returns 1 (match), 0 (no match), MAMORI_EUNSUPPORTED when the
 * list holds a keyword this evaluator does not handle (dataset...),
 * MAMORI_EINVAL for a list that is not a buffer list.
 */
int rule_match_list(const struct rule *r, int list, const uint8_t *buf, size_t len,
		    struct rule_match_ctx *m);

/*
 * Applies the transforms at the head of list (to_sha256, strip_whitespace
 * etc.) to buf and points *out and *out_len at the result (borrowed from m or
 * buf, valid until the next call with m).  Returns false when a transform
 * cannot run (buffer over RULE_XFORM_MAX_LEN, ENOMEM).  Added for the
 * detection engine's dataset keyword, which looks at the whole
 * transformed buffer.
 */
bool rule_list_transform(const struct rule *r, int list, const uint8_t *buf, size_t len,
			 const uint8_t **out, size_t *out_len, struct rule_match_ctx *m);

/* ---- ruleset and loader ------------------------------------------------ */

/* One rejected rule. */
struct rule_reject {
	const char *file;	/* interned in the ruleset */
	unsigned line, column;	/* column in the (joined) rule text; 0 unknown */
	char *msg;		/* owned */
};

struct ruleset {
	struct rule **rules;	/* owned, in load order */
	size_t n, cap;
	struct rule_reject *rejects;	/* owned, capped at RULESET_MAX_REJECTS */
	size_t nrejects;		/* total, even past the cap */
	size_t nrejects_kept;
	size_t rejects_cap;
	struct rule_vars *vars;		/* owned */
	struct rule_classes classes;	/* owned */
	char **files;			/* interned paths */
	size_t nfiles;
	uint32_t *sid_hash;		/* open addressing: index+1 into rules */
	size_t sid_hash_cap;
	size_t n_unparsed_app;		/* loaded rules for unparsed app protos */
};
#define RULESET_MAX_REJECTS 100000
#define RULESET_MAX_RULE_LEN (64 * 1024)	/* one rule, joined */

/* New empty ruleset with default variables and no classes.  NULL on ENOMEM.
 * Free with ruleset_free (NULL is a no-op). */
struct ruleset *ruleset_new(void);
void ruleset_free(struct ruleset *rs);
/*
 * Loads a rule file: every rule that parses is added, every one that does
 * not is recorded in rs->rejects with its line, column and reason, and
 * loading continues.  Handles comments, blank lines and rules continued
 * with a trailing backslash.  Returns 0 (even if rules were rejected),
 * MAMORI_EIO when the file cannot be read (diag->msg says why),
 * MAMORI_ENOMEM.
 */
int ruleset_load_file(struct ruleset *rs, const char *path,
		      struct mamori_diag *diag);
/* Same over an in-memory buffer; name is used in rejects (copied). */
int ruleset_load_buffer(struct ruleset *rs, const char *name,
			const char *data, size_t len);
/*
 * Parses one rule (one logical line, no continuation) and adds it.
 * Returns 0; MAMORI_EFORMAT with diag filled (line = line argument, column
 * within text) when rejected (nothing is added, nothing is recorded in
 * rejects); MAMORI_EEXIST for a duplicate gid:sid; MAMORI_ENOMEM.
 */
int ruleset_add_rule(struct ruleset *rs, const char *text, const char *file,
		     unsigned line, struct mamori_diag *diag);

/* Parses one rule without adding it; *out is owned by the caller
 * (rule_free).  Errors as ruleset_add_rule. */
int rule_parse(const char *text, const struct rule_vars *vars,
	       const struct rule_classes *cls, struct rule **out,
	       struct mamori_diag *diag);
void rule_free(struct rule *r);

#endif
