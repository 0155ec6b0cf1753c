/*
 * Connection-oriented DCERPC (C706 ch. 12, MS-RPCE 2.2.2): the PDU reader
 * and the association state shared by the DCERPC-over-TCP parser
 * (dcerpc.c) and the SMB parser (smb.c), which feeds it the bytes written
 * to and read from named pipes.
 *
 * An association (one TCP connection, or one SMB pipe handle) keeps the
 * presentation contexts that bind/alter_context offered and bind_ack
 * accepted (context id -> interface UUID and version), and the calls in
 * progress.  A call is one bind/bind_ack or one request/response exchange
 * identified by call_id; request and response stubs are reassembled from
 * fragments (PFC_FIRST_FRAG .. PFC_LAST_FRAG) up to a cap.
 *
 * Ownership: calls are reference counted.  The association holds one
 * reference while the call is open (until both directions are complete or
 * it is evicted); a transaction that reports the call takes its own with
 * dcerpc_call_ref() and drops it with dcerpc_call_unref().
 *
 * Invariants: every byte is read through a cursor confined to the PDU's
 * frag_length; at most DCERPC_MAX_CTX contexts, DCERPC_MAX_OPEN open calls
 * and stub_cap stub bytes per call direction are kept; anything past those
 * is counted, never stored.
 */
#ifndef MAMORI_APP_DCERPC_INT_H
#define MAMORI_APP_DCERPC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/jw.h"

#define DCERPC_HDR_LEN 16
#define DCERPC_MAX_CTX 16	/* presentation contexts kept per association */
#define DCERPC_MAX_OPEN 32	/* calls in progress per association */
#define DCERPC_MAX_FRAG 65535	/* frag_length is 16 bits */

/* PDU types (C706 12.6.4.x). */
enum dcerpc_ptype {
	DCERPC_REQUEST = 0,
	DCERPC_PING = 1,
	DCERPC_RESPONSE = 2,
	DCERPC_FAULT = 3,
	DCERPC_WORKING = 4,
	DCERPC_NOCALL = 5,
	DCERPC_REJECT = 6,
	DCERPC_ACK = 7,
	DCERPC_CL_CANCEL = 8,
	DCERPC_FACK = 9,
	DCERPC_CANCEL_ACK = 10,
	DCERPC_BIND = 11,
	DCERPC_BIND_ACK = 12,
	DCERPC_BIND_NAK = 13,
	DCERPC_ALTER_CONTEXT = 14,
	DCERPC_ALTER_CONTEXT_RESP = 15,
	DCERPC_AUTH3 = 16,
	DCERPC_SHUTDOWN = 17,
	DCERPC_CO_CANCEL = 18,
	DCERPC_ORPHANED = 19,
	DCERPC_RTS = 20,
	DCERPC_PTYPE_MAX
};

#define DCERPC_PFC_FIRST_FRAG 0x01u
#define DCERPC_PFC_LAST_FRAG 0x02u
#define DCERPC_PFC_OBJECT_UUID 0x80u

/* Anomaly counters; the owner prefixes the names ("dcerpc.", "smb.dcerpc."). */
#define DCERPC_COUNTER_MAP(X)                                                 \
	X(MALFORMED, "malformed")                                             \
	X(BAD_VERSION, "bad_version")                                         \
	X(BAD_FRAG_LEN, "bad_frag_len")                                       \
	X(TRUNCATED, "truncated")                                             \
	X(TOO_MANY_CTX, "too_many_contexts")                                  \
	X(UNKNOWN_CTX, "unknown_context")                                     \
	X(STUB_CAPPED, "stub_capped")                                         \
	X(TOO_MANY_CALLS, "too_many_calls")                                   \
	X(NO_REQUEST, "response_without_request")                             \
	X(FRAG_ORDER, "fragment_order")                                       \
	X(GAP, "gap")

enum dcerpc_counter {
#define DCERPC_CNT_ENUM(id, name) DCERPC_CNT_##id,
	DCERPC_COUNTER_MAP(DCERPC_CNT_ENUM)
#undef DCERPC_CNT_ENUM
	DCERPC_CNT_MAX
};

/* One presentation context: context id -> abstract syntax. */
struct dcerpc_iface {
	uint16_t ctx_id;
	uint8_t uuid[16];	/* canonical byte order (as printed) */
	uint16_t ver, ver_minor;
	bool acked;
	uint16_t ack_result, ack_reason;
};

struct dcerpc_call {
	unsigned refs;
	uint32_t call_id;
	uint8_t rpc_vers, rpc_vers_minor;
	uint8_t req_type, res_type;
	bool req_set, res_set;		/* a PDU of that side was seen */
	bool req_done, res_done;	/* that side's last fragment was seen */
	bool first_frag_seen, last_frag_seen;	/* of the request */
	bool big_endian;		/* drep of the request */
	uint16_t opnum, ctx_id;
	uint32_t frag_cnt[2];		/* per direction (APP_DIR_*) */
	struct buf stub[2];		/* reassembled stub, capped */
	bool iface_known;
	struct dcerpc_iface iface;	/* the context of the request */
	uint8_t nifaces;		/* bind/alter_context: offered contexts */
	struct dcerpc_iface ifaces[DCERPC_MAX_CTX];
	uint64_t ts;			/* time of the first PDU */
};

struct dcerpc_assoc {
	struct dcerpc_iface ctx[DCERPC_MAX_CTX];
	uint8_t nctx;
	struct dcerpc_call *open[DCERPC_MAX_OPEN];	/* one reference each */
	size_t nopen;
	struct buf pdu[2];	/* partial PDU carried between pipe writes/reads */
	uint64_t *cnt;		/* borrowed: DCERPC_CNT_MAX counters */
	size_t stub_cap;
};

/* The fields of one PDU, pointing into its bytes (borrowed). */
struct dcerpc_pdu {
	uint8_t vers, vers_minor, ptype, flags;
	bool big_endian;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
	uint16_t ctx_id, opnum;		/* request / response */
	const uint8_t *stub;
	size_t stub_len;
	uint8_t nctx;			/* bind / alter_context / *_ack */
	struct dcerpc_iface ctx[DCERPC_MAX_CTX];
};

/*
 * Reads the 16-byte common header at p.  Returns 1 when it looks like a
 * connection-oriented DCERPC header (sets *frag_len), 0 when it does not,
 * -1 when fewer than 16 bytes are there.
 */
int dcerpc_header_check(const uint8_t *p, size_t len, uint16_t *frag_len);

/*
 * Parses one whole PDU p[0..len) (len = frag_length) into *out.  Returns
 * 0, or a DCERPC_CNT_* value + 1 naming why it is malformed (the header
 * fields in *out are then still filled when they were readable).
 */
int dcerpc_pdu_parse(const uint8_t *p, size_t len, struct dcerpc_pdu *out);

/* Initialises an association; cnt (borrowed) receives its counters. */
void dcerpc_assoc_init(struct dcerpc_assoc *a, uint64_t *cnt, size_t stub_cap);
/* Drops the association's references and buffers. */
void dcerpc_assoc_release(struct dcerpc_assoc *a);

/*
 * Applies one whole PDU seen in direction dir.  Returns the call it belongs
 * to (borrowed: take a reference to keep it) with *created set when this
 * PDU started it, or NULL when the PDU was malformed or belongs to no call.
 */
struct dcerpc_call *dcerpc_assoc_pdu(struct dcerpc_assoc *a, int dir,
				     const uint8_t *p, size_t len, uint64_t ts,
				     bool *created);

/*
 * Feeds pipe bytes (SMB write/read/transact data) in direction dir: PDUs
 * may be split across calls or several may arrive at once; the partial
 * tail is kept (capped at one maximal fragment).  fn is called for each
 * call touched, with created as above.  gap: bytes were lost before data.
 */
typedef void (*dcerpc_call_fn)(struct dcerpc_call *call, bool created,
			       void *ctx);
void dcerpc_assoc_feed(struct dcerpc_assoc *a, int dir, const uint8_t *data,
		       size_t len, bool gap, uint64_t ts, dcerpc_call_fn fn,
		       void *ctx);

void dcerpc_call_ref(struct dcerpc_call *c);
void dcerpc_call_unref(struct dcerpc_call *c);
/* True when the call expects nothing more. */
bool dcerpc_call_complete(const struct dcerpc_call *c);

/* "REQUEST", "BINDACK", ... (Suricata's names); "UNKNOWN" otherwise. */
const char *dcerpc_ptype_name(uint8_t ptype);
/* Writes "4b324fc8-1670-01d3-1278-5a47bf6ee188" (37 bytes with NUL). */
void dcerpc_uuid_str(const uint8_t uuid[16], char out[37]);

/*
 * Writes the members of Suricata's "dcerpc" object for a call over SMB
 * (smb: true: "opnum" at top, "interface" of the context, "interfaces"
 * with ack_reason) or over TCP ("req.opnum", "rpc_version").  The caller
 * opens and closes the object.
 */
void dcerpc_call_log(const struct dcerpc_call *c, struct jw *w, bool smb);

/* Fills the rule engine's view of a call. */
void dcerpc_call_info(const struct dcerpc_call *c, struct app_dcerpc_info *out);

#endif
