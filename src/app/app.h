/*
 * Application-layer protocols: detection and parsing into transactions.
 *
 * Each protocol is one const struct app_proto (a table of hooks, YARA's
 * module_list style) registered in app_protos[] (app.c).  The dispatcher
 * (app.c) picks the protocol of a flow by port hint and by probing the
 * first bytes of each direction, so HTTP on 8080 or 5000 is still HTTP,
 * then feeds the parser reassembled stream bytes (TCP) or whole datagrams
 * (UDP).
 *
 * Parsers are streaming: parse() returns how much it consumed and, when it
 * needs more, how much; the dispatcher keeps the unconsumed tail (capped,
 * APP_PENDING_CAP) and presents it again with the next bytes.  Parsers
 * build transactions (one HTTP request/response pair, one DNS
 * query/answer, one SMTP mail); the dispatcher logs a transaction once
 * tx_done() says it is complete in both directions (or when the flow
 * ends), then frees it with tx_free_upto().  Transaction ids start at 0 and
 * increase; a parser must keep every tx with id >= the last freed one.
 *
 * Parsers never print and never allocate without a cap; malformed input
 * becomes an anomaly counter in the parser and, if the stream cannot be
 * followed, APP_ERROR (the flow's app layer then stops).
 */
#ifndef MAMORI_APP_APP_H
#define MAMORI_APP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/jw.h"

enum app_proto_id {
	APP_UNKNOWN = 0,
	APP_HTTP,
	APP_DNS,
	APP_SMTP,
	APP_TLS,
	APP_SSH,
	APP_SMB,
	APP_DCERPC,
	APP_FAILED,		/* detection gave up */
	APP_MAX
};

#define APP_DIR_TOSERVER 0	/* same values as FLOW_DIR_* */
#define APP_DIR_TOCLIENT 1

/* Flags passed to parse(). */
#define APP_F_GAP	0x01u	/* bytes lost before data */
#define APP_F_EOF	0x02u	/* this direction ended (data may be empty) */
#define APP_F_DATAGRAM	0x04u	/* data is one whole UDP datagram */

enum app_status { APP_OK = 0, APP_NEED_MORE = 1, APP_ERROR = -1 };

struct app_result {
	enum app_status status;
	size_t consumed;	/* bytes of data used (<= len) */
	size_t needed;		/* with APP_NEED_MORE: total bytes wanted from
				 * the first unconsumed one (0 = unknown) */
};

/* Limits every parser honours (from the config "app-layer" section). */
struct app_config {
	size_t max_line;		/* request/header line; default 16 KiB */
	size_t max_headers;		/* header count per message; default 256 */
	size_t body_limit;		/* body bytes kept per message for inspection
					 * and decoding; default 100 KiB (Suricata's
					 * request/response-body-limit) */
	size_t decompress_limit;	/* gzip/deflate output cap; default 1 MiB
					 * (libhtp's compression-bomb-limit) */
	size_t max_tx;			/* open transactions per flow; default 1024 */
	uint8_t decode_bodies;		/* APP_DECODE_* bits: which bodies to
					 * decompress; only those a loaded rule
					 * inspects, which saves the inflate cost;
					 * default APP_DECODE_ALL */
};
#define APP_DECODE_REQUEST	0x01u	/* request bodies (http.request_body) */
#define APP_DECODE_RESPONSE	0x02u	/* response bodies (file_data) */
#define APP_DECODE_ALL		0x03u
void app_config_defaults(struct app_config *cfg);

/*
 * Inspection buffers for the rule engine, generated from one list.
 * get_buffer() of a protocol answers for the ones it has.
 */
#define APP_BUFFER_MAP(X)                                                     \
	X(HTTP_METHOD, "http.method")                                         \
	X(HTTP_URI, "http.uri")                                               \
	X(HTTP_URI_RAW, "http.uri.raw")                                       \
	X(HTTP_HOST, "http.host")                                             \
	X(HTTP_HOST_RAW, "http.host.raw")                                     \
	X(HTTP_USER_AGENT, "http.user_agent")                                 \
	X(HTTP_HEADER, "http.header")                                         \
	X(HTTP_HEADER_RAW, "http.header.raw")                                 \
	X(HTTP_COOKIE, "http.cookie")                                         \
	X(HTTP_REQUEST_LINE, "http.request_line")                             \
	X(HTTP_REQUEST_BODY, "http.request_body")                             \
	X(HTTP_RESPONSE_BODY, "http.response_body")                           \
	X(HTTP_STAT_CODE, "http.stat_code")                                   \
	X(HTTP_STAT_MSG, "http.stat_msg")                                     \
	X(HTTP_CONTENT_TYPE, "http.content_type")                             \
	X(HTTP_CONTENT_LEN, "http.content_len")                               \
	X(HTTP_RESPONSE_LINE, "http.response_line")                           \
	X(HTTP_PROTOCOL, "http.protocol")                                     \
	X(HTTP_ACCEPT, "http.accept")                                         \
	X(HTTP_REFERER, "http.referer")                                       \
	X(HTTP_SERVER, "http.server")                                         \
	X(HTTP_LOCATION, "http.location")                                     \
	X(HTTP_CONNECTION, "http.connection")                                 \
	X(DNS_QUERY, "dns.query")                                             \
	X(SMTP_HELO, "smtp.helo")                                             \
	X(SMTP_MAIL_FROM, "smtp.mail_from")                                   \
	X(SMTP_RCPT_TO, "smtp.rcpt_to")                                       \
	X(TLS_SNI, "tls.sni")                                                 \
	X(TLS_CERT_SUBJECT, "tls.cert_subject")                               \
	X(TLS_CERT_ISSUER, "tls.cert_issuer")                                 \
	X(TLS_CERT_SERIAL, "tls.cert_serial")                                 \
	X(TLS_CERT_FINGERPRINT, "tls.cert_fingerprint")                       \
	X(JA3_HASH, "ja3.hash")                                               \
	X(JA3_STRING, "ja3.string")                                           \
	X(SSH_PROTO, "ssh.proto")                                             \
	X(SSH_SOFTWARE, "ssh.software")                                       \
	X(SMB_SHARE, "smb.share")                                             \
	X(SMB_NAMED_PIPE, "smb.named_pipe")                                   \
	X(SMB_NTLMSSP_USER, "smb.ntlmssp_user")                               \
	X(SMB_NTLMSSP_DOMAIN, "smb.ntlmssp_domain")                           \
	X(DCERPC_STUB_DATA, "dcerpc.stub_data")                               \
	X(HTTP_HEADER_NAMES, "http.header_names")                             \
	X(HTTP_ACCEPT_ENC, "http.accept_enc")                                 \
	X(HTTP_ACCEPT_LANG, "http.accept_lang")                               \
	X(HTTP_START, "http.start")

enum app_buffer {
#define APP_BUF_ENUM(id, name) APP_BUF_##id,
	APP_BUFFER_MAP(APP_BUF_ENUM)
#undef APP_BUF_ENUM
	APP_BUF_MAX
};
const char *app_buffer_name(enum app_buffer b);
/* Looks a buffer up by its rule keyword name; -1 if unknown. */
int app_buffer_by_name(const char *name);

/*
 * Writes EVE records for a transaction.  The parser calls begin() for each
 * record it emits, writes its protocol object into the returned writer
 * (e.g. jw_open_obj(w, "http") ... jw_close_obj(w)), then end().  begin()
 * has already written timestamp, flow_id, event_type, addresses, proto and
 * app_proto; ts is the record's time (usec; 0 = flow's last packet time).
 */
struct app_logger {
	struct jw *(*begin)(struct app_logger *lg, const char *event_type,
			    uint64_t ts);
	void (*end)(struct app_logger *lg);
};

/*
 * DCERPC facts of a transaction for the rule engine's dcerpc.iface and
 * dcerpc.opnum keywords (filled by app_proto.dcerpc_info).  The interface
 * is the one bound to the request's presentation context.
 */
struct app_dcerpc_info {
	uint8_t iface_uuid[16];		/* canonical byte order, as printed */
	uint16_t iface_ver_major, iface_ver_minor;
	bool iface_known;		/* the context id was bound */
	bool iface_acked;		/* ... and bind_ack accepted it (result 0) */
	bool has_request;		/* a REQUEST PDU was seen */
	uint16_t opnum;			/* valid with has_request */
	uint16_t ctx_id;
	bool first_frag_seen, last_frag_seen;	/* of the request */
	uint32_t req_frag_cnt;
	uint8_t req_type, res_type;	/* PDU types (0xff: none) */
	bool big_endian;		/* the request's data representation */
};

struct app_proto {
	const char *name;		/* "http": EVE app_proto and rule protocol */
	enum app_proto_id id;
	bool tcp, udp;			/* transports it runs over */
	const uint16_t *ports;		/* port hints, 0-terminated */

	/*
	 * Looks at the first bytes of one direction.  Returns 1 (this is
	 * the protocol), 0 (it is not), or -1 (need more bytes to tell).
	 */
	int (*probe)(const uint8_t *data, size_t len, int dir);

	/* New per-flow state (NULL on ENOMEM); cfg is borrowed for the flow's life. */
	void *(*state_new)(const struct app_config *cfg);
	void (*state_free)(void *state);

	/* Parses bytes of one direction (see the header comment); ts = packet time. */
	struct app_result (*parse)(void *state, int dir, const uint8_t *data,
				   size_t len, unsigned flags, uint64_t ts);

	/* Transactions: ids [first, first+count) are alive. */
	uint64_t (*tx_count)(void *state);	/* total ever created */
	void *(*tx_get)(void *state, uint64_t id);	/* NULL if freed/unknown */
	/* True when the tx will not change any more (both sides complete,
	 * or eof set: the flow is ending and what is there is final). */
	bool (*tx_done)(void *tx, bool eof);
	/* Frees transactions with id < upto. */
	void (*tx_free_upto)(void *state, uint64_t upto);

	/* Emits the EVE record(s) of a transaction (may be NULL: no records). */
	void (*log_tx)(const void *tx, struct app_logger *lg);

	/*
	 * Inspection buffer `which`, instance idx (0-based; e.g. the n-th DNS
	 * query) for the rule engine.  Sets *data and *len (borrowed from the tx)
	 * and returns true when present.
	 */
	bool (*get_buffer)(const void *tx, enum app_buffer which, uint32_t idx,
			   const uint8_t **data, size_t *len);

	/* Anomaly counters for stats: names[] 0-terminated, values per state. */
	const char *const *counter_names;
	const uint64_t *(*counters)(void *state);

	/* DCERPC facts of a tx (NULL, or false: the tx carries no DCERPC). */
	bool (*dcerpc_info)(const void *tx, struct app_dcerpc_info *out);
};

extern const struct app_proto app_http;
extern const struct app_proto app_dns;
extern const struct app_proto app_smtp;
extern const struct app_proto app_smb, app_dcerpc;
extern const struct app_proto app_tls, app_ssh;

/* NULL-terminated list of every registered protocol (app.c). */
extern const struct app_proto *const app_protos[];
/* The protocol for an id, or NULL. */
const struct app_proto *app_proto_get(enum app_proto_id id);
/* "http", ..., "failed" for EVE app_proto; NULL for APP_UNKNOWN. */
const char *app_proto_name(enum app_proto_id id);
/* Looks a protocol up by name ("http"); APP_UNKNOWN if none. */
enum app_proto_id app_proto_by_name(const char *name);

#endif
