/*
 * SMB1 and SMB2/3 over TCP 445 and NetBIOS session service (139):
 * transactions, named-pipe DCERPC and Suricata 7's EVE "smb" records.
 *
 * Why: Conficker spreads over SMB -- password guessing against ADMIN$,
 * MS08-067 through the srvsvc pipe, remote jobs through atsvc -- so the
 * rule engine needs share names, pipe names, NTLMSSP users and logon
 * status, and the DCERPC calls carried on pipes (dcerpc_int.h).
 *
 * Why hand-written: it sits on the packet path and reads hostile bytes;
 * Debian has no library that parses SMB from captured bytes (libsmbclient
 * is a client that needs the server to talk back).
 *
 * Framing: the stream is NBSS records (4-byte header: type, 24-bit
 * length; SMB2 direct TCP uses the same layout).  Session messages carry
 * one SMB1 message (with its AndX chain) or one or more SMB2 messages
 * chained by NextCommand; NBSS session requests/responses and keepalives
 * are skipped.  A record longer than SMB_INLINE_MAX (file data) is parsed
 * from its first SMB_PREFIX bytes and the rest skipped as it streams by,
 * so large reads and writes never need buffering.  After a gap, or a
 * record whose header is not NBSS, the parser resynchronises on the next
 * "\0 len len len \xfeSMB / \xffSMB / \xfdSMB" pattern.
 *
 * Transactions follow Suricata 7's model so EVE counts match it: one per
 * request/response, matched by (version, message id, command) -- SMB2
 * message id, SMB1 PID<<16|MID -- except that SMB2 READ, WRITE,
 * QUERY_INFO and SET_INFO have none of their own: file data goes to one
 * transaction per file and direction (done when the file closes), pipe
 * data to DCERPC, and a write or read whose pipe data starts a DCERPC
 * call gets a transaction for that call (SET_INFO only for renames and
 * delete dispositions).  An SMB2 interim response (STATUS_PENDING with
 * the async flag) leaves the transaction open until the final response;
 * responses may come in any order.  SMB1 AndX chains give one
 * transaction per chained command; SMB2 compounds one per message
 * (related ones inherit session, tree and -- once the CREATE's response
 * names it -- file id).  A transaction whose pipe data started a DCERPC
 * call keeps a reference to it and is only done when the call is
 * complete (or the flow ends), so its record and the rule engine see
 * request and response together.
 *
 * State machine of a session (per flow):
 *   NEGOTIATE req/resp  -> smb2_negotiate / smb1_negotiate: dialect known
 *   SESSION_SETUP       -> smb_ntlmssp: user/domain/host, status
 *   TREE_CONNECT        -> smb_tree_add: tree id -> share, pipe or not
 *   CREATE / NT_CREATE  -> smb_file_add: file id -> name, pipe, DCERPC;
 *                          smb2_create_resolve for related compounds
 *   READ/WRITE (SMB2)   -> smb2_rw: smb_file_tx or smb_pipe_data
 *   IOCTL/TRANS/READ_ANDX/WRITE_ANDX on a pipe -> smb_pipe_data
 *                          -> dcerpc_assoc_feed -> smb_on_call
 *   SET_INFO            -> smb2_set_info (rename, delete on close)
 *   CLOSE               -> smb_file_close (deferred while a call waits);
 *                          LOGOFF / TREE_DISCONNECT: logged
 *
 * Invariants: every length and offset is checked through a cursor; names
 * are capped at SMB_NAME_CAP bytes of UTF-8, trees at SMB_MAX_TREES,
 * files at SMB_MAX_FILES (oldest evicted), transactions at cfg->max_tx
 * (the oldest is forced done), chains at SMB_MAX_CHAIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dcerpc_int.h"
#include "hive/wstr.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/jw.h"

#define SMB_INLINE_MAX (64u * 1024u)	/* records up to this are buffered whole */
#define SMB_PREFIX 1024u		/* bytes parsed of a longer record */
#define SMB_NAME_CAP 1024u
#define SMB_MAX_TREES 64
#define SMB_MAX_FILES 256
#define SMB_MAX_CHAIN 32
#define SMB_MAX_DIALECTS 32

#define SMB2_HDR_LEN 64
#define SMB1_HDR_LEN 32
#define SMB2_FLAGS_RESPONSE 0x1u
#define SMB2_FLAGS_ASYNC 0x2u
#define SMB2_FLAGS_RELATED 0x4u
#define SMB1_FLAGS_REPLY 0x80u
#define SMB1_FLAGS2_NTSTATUS 0x4000u
#define SMB1_FLAGS2_UNICODE 0x8000u

#define STATUS_SUCCESS 0x0u
#define STATUS_PENDING 0x103u
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u
#define FSCTL_PIPE_TRANSCEIVE 0x0011c017u

#define SMB_FAIL(why) ((void)MAMORI_FORMAT_ERR(), (why))

#define SMB_COUNTER_MAP(X)                                                    \
	X(MALFORMED, "smb.malformed")                                         \
	X(BAD_NBSS, "smb.nbss_bad_type")                                      \
	X(BAD_PROTOCOL, "smb.bad_protocol")                                   \
	X(TRUNCATED, "smb.truncated")                                         \
	X(BAD_LENGTH, "smb.bad_length")                                       \
	X(BAD_NEXT_COMMAND, "smb.bad_next_command")                           \
	X(BAD_ANDX, "smb.bad_andx_offset")                                    \
	X(ENCRYPTED, "smb.encrypted")                                         \
	X(UNMATCHED_RESPONSE, "smb.unmatched_response")                       \
	X(TOO_MANY_TX, "smb.too_many_tx")                                     \
	X(TOO_MANY_FILES, "smb.too_many_files")                               \
	X(NAME_CAPPED, "smb.name_capped")                                     \
	X(GAP, "smb.gap")                                                     \
	X(RESYNC, "smb.resync")

enum smb_counter {
#define SMB_CNT_ENUM(id, name) SMB_CNT_##id,
	SMB_COUNTER_MAP(SMB_CNT_ENUM)
#undef SMB_CNT_ENUM
	SMB_CNT_MAX
};

static const char *const smb_counter_names[] = {
#define SMB_CNT_NAME(id, name) name,
	SMB_COUNTER_MAP(SMB_CNT_NAME)
#undef SMB_CNT_NAME
#define SMB_DCE_NAME(id, name) "smb.dcerpc." name,
	DCERPC_COUNTER_MAP(SMB_DCE_NAME)
#undef SMB_DCE_NAME
	NULL,
};

/* SMB2 commands. */
enum {
	SMB2_NEGOTIATE = 0, SMB2_SESSION_SETUP, SMB2_LOGOFF, SMB2_TREE_CONNECT,
	SMB2_TREE_DISCONNECT, SMB2_CREATE, SMB2_CLOSE, SMB2_FLUSH, SMB2_READ,
	SMB2_WRITE, SMB2_LOCK, SMB2_IOCTL, SMB2_CANCEL, SMB2_ECHO,
	SMB2_QUERY_DIRECTORY, SMB2_CHANGE_NOTIFY, SMB2_QUERY_INFO,
	SMB2_SET_INFO, SMB2_OPLOCK_BREAK, SMB2_CMD_MAX
};

static const char *const smb2_cmd_names[SMB2_CMD_MAX] = {
	"SMB2_COMMAND_NEGOTIATE_PROTOCOL", "SMB2_COMMAND_SESSION_SETUP",
	"SMB2_COMMAND_SESSION_LOGOFF",     "SMB2_COMMAND_TREE_CONNECT",
	"SMB2_COMMAND_TREE_DISCONNECT",    "SMB2_COMMAND_CREATE",
	"SMB2_COMMAND_CLOSE",              "SMB2_COMMAND_FLUSH",
	"SMB2_COMMAND_READ",               "SMB2_COMMAND_WRITE",
	"SMB2_COMMAND_LOCK",               "SMB2_COMMAND_IOCTL",
	"SMB2_COMMAND_CANCEL",             "SMB2_COMMAND_KEEPALIVE",
	"SMB2_COMMAND_FIND",               "SMB2_COMMAND_CHANGE_NOTIFY",
	"SMB2_COMMAND_GET_INFO",           "SMB2_COMMAND_SET_INFO",
	"SMB2_COMMAND_OPLOCK_BREAK",
};

/* SMB1 commands we parse (others are logged by name or number). */
enum {
	SMB1_CLOSE = 0x04, SMB1_TRANS = 0x25, SMB1_READ_ANDX = 0x2e,
	SMB1_WRITE_ANDX = 0x2f, SMB1_TREE_DISCONNECT = 0x71,
	SMB1_NEGOTIATE = 0x72, SMB1_SESSION_SETUP_ANDX = 0x73,
	SMB1_LOGOFF_ANDX = 0x74, SMB1_TREE_CONNECT_ANDX = 0x75,
	SMB1_NT_CREATE_ANDX = 0xa2,
};

struct smb_code_name {
	uint32_t code;
	const char *name;
};

static const struct smb_code_name smb1_cmd_names[] = {
	{0x00, "SMB1_COMMAND_CREATE_DIRECTORY"}, {0x01, "SMB1_COMMAND_DELETE_DIRECTORY"},
	{0x02, "SMB1_COMMAND_OPEN"}, {0x03, "SMB1_COMMAND_CREATE"},
	{0x04, "SMB1_COMMAND_CLOSE"}, {0x05, "SMB1_COMMAND_FLUSH"},
	{0x06, "SMB1_COMMAND_DELETE"}, {0x07, "SMB1_COMMAND_RENAME"},
	{0x08, "SMB1_COMMAND_QUERY_INFORMATION"}, {0x0a, "SMB1_COMMAND_READ"},
	{0x0b, "SMB1_COMMAND_WRITE"}, {0x24, "SMB1_COMMAND_LOCKING_ANDX"},
	{0x25, "SMB1_COMMAND_TRANS"}, {0x2b, "SMB1_COMMAND_ECHO"},
	{0x2d, "SMB1_COMMAND_OPEN_ANDX"}, {0x2e, "SMB1_COMMAND_READ_ANDX"},
	{0x2f, "SMB1_COMMAND_WRITE_ANDX"}, {0x32, "SMB1_COMMAND_TRANS2"},
	{0x34, "SMB1_COMMAND_FIND_CLOSE2"}, {0x71, "SMB1_COMMAND_TREE_DISCONNECT"},
	{0x72, "SMB1_COMMAND_NEGOTIATE_PROTOCOL"}, {0x73, "SMB1_COMMAND_SESSION_SETUP_ANDX"},
	{0x74, "SMB1_COMMAND_LOGOFF_ANDX"}, {0x75, "SMB1_COMMAND_TREE_CONNECT_ANDX"},
	{0xa0, "SMB1_COMMAND_NT_TRANS"}, {0xa2, "SMB1_COMMAND_NT_CREATE_ANDX"},
	{0xa4, "SMB1_COMMAND_NT_CANCEL"},
};

static const struct smb_code_name smb_ntstatus_names[] = {
	{0x00000000, "STATUS_SUCCESS"}, {0x00000103, "STATUS_PENDING"},
	{0x0000010c, "STATUS_NOTIFY_ENUM_DIR"}, {0x80000005, "STATUS_BUFFER_OVERFLOW"},
	{0x80000006, "STATUS_NO_MORE_FILES"}, {0x8000002d, "STATUS_STOPPED_ON_SYMLINK"},
	{0xc0000001, "STATUS_UNSUCCESSFUL"}, {0xc0000002, "STATUS_NOT_IMPLEMENTED"},
	{0xc0000003, "STATUS_INVALID_INFO_CLASS"}, {0xc0000004, "STATUS_INFO_LENGTH_MISMATCH"},
	{0xc0000008, "STATUS_INVALID_HANDLE"}, {0xc000000d, "STATUS_INVALID_PARAMETER"},
	{0xc000000f, "STATUS_NO_SUCH_FILE"}, {0xc0000010, "STATUS_INVALID_DEVICE_REQUEST"},
	{0xc0000011, "STATUS_END_OF_FILE"}, {0xc0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
	{0xc0000022, "STATUS_ACCESS_DENIED"}, {0xc0000023, "STATUS_BUFFER_TOO_SMALL"},
	{0xc0000033, "STATUS_OBJECT_NAME_INVALID"}, {0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
	{0xc0000035, "STATUS_OBJECT_NAME_COLLISION"}, {0xc000003a, "STATUS_OBJECT_PATH_NOT_FOUND"},
	{0xc0000043, "STATUS_SHARING_VIOLATION"}, {0xc0000056, "STATUS_DELETE_PENDING"},
	{0xc0000064, "STATUS_NO_SUCH_USER"}, {0xc000006a, "STATUS_WRONG_PASSWORD"},
	{0xc000006d, "STATUS_LOGON_FAILURE"}, {0xc000006e, "STATUS_ACCOUNT_RESTRICTION"},
	{0xc000006f, "STATUS_INVALID_LOGON_HOURS"}, {0xc0000070, "STATUS_INVALID_WORKSTATION"},
	{0xc0000071, "STATUS_PASSWORD_EXPIRED"}, {0xc0000072, "STATUS_ACCOUNT_DISABLED"},
	{0xc00000b5, "STATUS_IO_TIMEOUT"}, {0xc00000ba, "STATUS_FILE_IS_A_DIRECTORY"},
	{0xc00000bb, "STATUS_NOT_SUPPORTED"}, {0xc00000c9, "STATUS_NETWORK_NAME_DELETED"},
	{0xc00000cc, "STATUS_BAD_NETWORK_NAME"}, {0xc0000103, "STATUS_NOT_A_DIRECTORY"},
	{0xc0000120, "STATUS_CANCELLED"}, {0xc0000128, "STATUS_FILE_CLOSED"},
	{0xc000014b, "STATUS_PIPE_BROKEN"}, {0xc000015b, "STATUS_LOGON_TYPE_NOT_GRANTED"},
	{0xc000019c, "STATUS_FS_DRIVER_REQUIRED"}, {0xc0000203, "STATUS_USER_SESSION_DELETED"},
	{0xc0000205, "STATUS_INSUFF_SERVER_RESOURCES"}, {0xc0000225, "STATUS_NOT_FOUND"},
	{0xc0000234, "STATUS_ACCOUNT_LOCKED_OUT"}, {0xc000035c, "STATUS_NETWORK_SESSION_EXPIRED"},
};

static const struct smb_code_name smb_fsctl_names[] = {
	{0x00060194, "FSCTL_DFS_GET_REFERRALS"}, {0x000601b0, "FSCTL_DFS_GET_REFERRALS_EX"},
	{0x00110018, "FSCTL_PIPE_WAIT"}, {0x0011400c, "FSCTL_PIPE_PEEK"},
	{0x0011c017, "FSCTL_PIPE_TRANSCEIVE"}, {0x00140078, "FSCTL_SRV_REQUEST_RESUME_KEY"},
	{0x001401d4, "FSCTL_LMR_REQUEST_RESILIENCY"}, {0x001401fc, "FSCTL_VALIDATE_NEGOTIATE_INFO"},
	{0x00144064, "FSCTL_SRV_ENUMERATE_SNAPSHOTS"}, {0x001440f2, "FSCTL_SRV_COPYCHUNK"},
	{0x001441bb, "FSCTL_SRV_READ_HASH"}, {0x001480f2, "FSCTL_SRV_COPYCHUNK_WRITE"},
	{0x001401fc, "FSCTL_VALIDATE_NEGOTIATE_INFO"}, {0x00140204, "FSCTL_QUERY_NETWORK_INTERFACE_INFO"},
};

static const struct smb_code_name smb1_srv_errors[] = {
	{1, "SRV_ERROR"}, {2, "SRV_BADPW"}, {4, "SRV_ACCESS"}, {5, "SRV_INVTID"},
	{6, "SRV_INVNETNAME"}, {7, "SRV_INVDEVICE"}, {49, "SRV_QFULL"},
	{91, "SRV_BADUID"}, {250, "SRV_USESTD"}, {65535, "SRV_NOSUPPORT"},
};

static const struct smb_code_name smb1_dos_errors[] = {
	{1, "DOS_ERRbadfunc"}, {2, "DOS_ERRbadfile"}, {3, "DOS_ERRbadpath"},
	{4, "DOS_ERRnofids"}, {5, "DOS_ERRnoaccess"}, {6, "DOS_ERRbadfid"},
	{8, "DOS_ERRnomem"}, {18, "DOS_ERRnofiles"}, {32, "DOS_ERRbadshare"},
	{33, "DOS_ERRlock"}, {80, "DOS_ERRfilexists"}, {230, "DOS_ERRbadpipe"},
	{231, "DOS_ERRpipebusy"}, {232, "DOS_ERRpipeclosing"}, {233, "DOS_ERRnotconnected"},
	{234, "DOS_ERRmoredata"},
};

static const char *smb_code_lookup(const struct smb_code_name *t, size_t n,
				   uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

#define SMB_LOOKUP(t, code) smb_code_lookup(t, sizeof(t) / sizeof(t[0]), code)

enum smb_txtype {
	SMB_TX_GENERIC = 0,
	SMB_TX_NEGOTIATE,
	SMB_TX_SESSION,
	SMB_TX_TREE,
	SMB_TX_CREATE,
	SMB_TX_FILE,	/* read, write, close on a known file */
	SMB_TX_IOCTL,
	SMB_TX_RENAME,		/* SET_INFO FileRenameInformation */
	SMB_TX_DISPOSITION,	/* SET_INFO FileDispositionInformation */
};

struct smb_tx {
	uint64_t id;
	uint64_t ts;
	uint8_t ver;			/* 1 or 2 */
	uint16_t cmd;
	uint64_t msg_id;
	uint64_t session_id;
	uint32_t tree_id;
	bool req_seen, resp_seen, pending, forced;
	bool has_status, dos_status;
	uint32_t status;
	uint8_t errclass;
	uint16_t errcode;
	char dialect[24];
	enum smb_txtype type;
	/* tree connect */
	struct buf share;
	bool is_pipe;
	uint8_t share_type;
	struct buf svc_req, svc_res;
	bool has_svc_req, has_svc_res;
	/* create and file */
	struct buf filename;
	struct buf newname;		/* rename target */
	uint32_t disposition;
	bool delete_on_close, directory;
	uint64_t times[4];		/* created, accessed, modified, changed */
	uint64_t size;
	uint8_t fid[16];
	bool has_fid;
	/* session setup */
	bool has_ntlmssp;
	struct buf nt_user, nt_domain, nt_host;
	char nt_version[48];
	bool has_req_host, has_res_host;
	struct buf req_os, req_lm, res_os, res_lm;
	/* negotiate */
	struct buf dialects;		/* NUL-separated */
	uint8_t ndialects;
	uint8_t client_guid[16], server_guid[16];
	bool has_client_guid, has_server_guid;
	uint32_t max_read, max_write;
	/* ioctl */
	uint32_t ioctl_func;
	/* DCERPC call this tx's pipe data started (one reference) */
	struct dcerpc_call *call;
};

struct smb_tree {
	uint32_t tree_id;
	uint64_t session_id;
	bool is_pipe;
	struct buf share;
};

struct smb_file {
	uint8_t fid[16];
	uint32_t tree_id;
	bool is_pipe;
	struct buf name, share;
	struct dcerpc_assoc *rpc;	/* pipes: created on first data */
	bool closing;			/* closed while a DCERPC call was open */
	bool has_ftx[2];		/* the file tx of each direction */
	uint64_t ftx_id[2];
};

/* SMB2 READ requests waiting for their response: message id -> file id. */
struct smb_read {
	bool used;
	uint64_t msg_id;
	uint8_t fid[16];
};
#define SMB_MAX_READS 64

struct smb_state {
	const struct app_config *cfg;
	struct smb_tx **tx;
	size_t ntx, cap;
	uint64_t first_id, next_id;
	uint64_t skip[2];		/* bytes of a long record still to skip */
	bool resync[2];
	uint16_t dialect2;		/* SMB2 dialect, 0 = none */
	char dialect1[24];		/* SMB1 dialect string */
	struct smb_tree trees[SMB_MAX_TREES];
	size_t ntrees;
	struct smb_file *files[SMB_MAX_FILES];
	size_t nfiles;
	struct smb_read reads[SMB_MAX_READS];	/* ring */
	size_t read_next;
	/* SMB2 compounds: what related messages inherit */
	uint64_t rel_session[2];
	uint32_t rel_tree[2];
	uint64_t counters[SMB_CNT_MAX + DCERPC_CNT_MAX];
};

/* Per-message context handed to the command handlers. */
struct smb_msg {
	struct smb_state *st;
	struct cursor whole;		/* the message from its header on */
	bool truncated;			/* only a prefix of a long record */
	int dir;
	uint64_t ts;
	bool resp;
	bool unicode;			/* SMB1 flags2 */
	struct smb_tx *tx;
	/* For a tx created only when pipe data starts a DCERPC call. */
	uint8_t ver;
	uint16_t cmd;
	uint32_t status, tree_id;
	uint64_t msg_id, session_id;
};

static void smb_count(struct smb_state *st, enum smb_counter c)
{
	st->counters[c]++;
}

/* ---- strings --------------------------------------------------------------- */

static void smb_set_utf16(struct smb_state *st, struct buf *dst,
			  const uint8_t *p, size_t n)
{
	buf_reset(dst);
	if (hive_utf16_decode(p, n, dst, NULL) != 0)
		smb_count(st, SMB_CNT_NAME_CAPPED);
}

static void smb_set_ascii(struct smb_state *st, struct buf *dst,
			  const uint8_t *p, size_t n)
{
	buf_reset(dst);
	const uint8_t *z = memchr(p, 0, n);
	if (z)
		n = (size_t)(z - p);
	if (n > SMB_NAME_CAP) {
		n = SMB_NAME_CAP;
		smb_count(st, SMB_CNT_NAME_CAPPED);
	}
	(void)buf_append(dst, p, n);
}

static void smb_buf_init(struct buf *b)
{
	buf_init(b, SMB_NAME_CAP);
}

/*
 * SMB1 string at c: UTF-16LE (aligned to an even offset from the SMB
 * header, base) or ASCII, NUL-terminated or running to the end of c.
 */
static void smb1_read_str(struct smb_state *st, struct cursor *c,
			  const uint8_t *base, bool unicode, struct buf *dst)
{
	if (unicode) {
		if (((size_t)(c->p - base) & 1u) && !cur_skip(c, 1))
			return;
		size_t n = 0;
		while (n + 1 < c->len && (c->p[n] || c->p[n + 1]))
			n += 2;
		if (n + 1 >= c->len)
			n = c->len & ~(size_t)1;
		smb_set_utf16(st, dst, c->p, n);
		(void)cur_skip(c, n + 2 <= c->len ? n + 2 : c->len);
	} else {
		const uint8_t *z = memchr(c->p, 0, c->len);
		size_t n = z ? (size_t)(z - c->p) : c->len;
		smb_set_ascii(st, dst, c->p, n);
		(void)cur_skip(c, z ? n + 1 : n);
	}
}

/* ---- trees and files --------------------------------------------------------- */

static struct smb_tree *smb_tree_get(struct smb_state *st, uint32_t tree_id)
{
	for (size_t i = 0; i < st->ntrees; i++)
		if (st->trees[i].tree_id == tree_id)
			return &st->trees[i];
	return NULL;
}

static void smb_tree_add(struct smb_state *st, uint32_t tree_id,
			 uint64_t session_id, const struct buf *share,
			 bool is_pipe)
{
	struct smb_tree *t = smb_tree_get(st, tree_id);
	if (!t) {
		if (st->ntrees == SMB_MAX_TREES) {
			buf_release(&st->trees[0].share);
			memmove(st->trees, st->trees + 1,
				(SMB_MAX_TREES - 1) * sizeof(st->trees[0]));
			st->ntrees--;
		}
		t = &st->trees[st->ntrees++];
		memset(t, 0, sizeof(*t));
		smb_buf_init(&t->share);
	}
	t->tree_id = tree_id;
	t->session_id = session_id;
	t->is_pipe = is_pipe;
	buf_reset(&t->share);
	(void)buf_append(&t->share, share->p, share->len);
}

static struct smb_file *smb_file_get(struct smb_state *st, const uint8_t fid[16])
{
	for (size_t i = st->nfiles; i-- > 0;)
		if (!memcmp(st->files[i]->fid, fid, 16))
			return st->files[i];
	return NULL;
}

static void smb_file_free(struct smb_file *f)
{
	if (!f)
		return;
	buf_release(&f->name);
	buf_release(&f->share);
	if (f->rpc) {
		dcerpc_assoc_release(f->rpc);
		free(f->rpc);
	}
	free(f);
}

static void *smb_tx_get(void *state, uint64_t id);

/* The file's transactions are complete: the file is closing or forgotten. */
static void smb_file_end_txs(struct smb_state *st, struct smb_file *f)
{
	for (int d = 0; d < 2; d++) {
		if (!f->has_ftx[d])
			continue;
		struct smb_tx *tx = smb_tx_get(st, f->ftx_id[d]);
		if (tx && !tx->resp_seen) {
			tx->resp_seen = true;
			tx->has_status = true;
			tx->status = STATUS_SUCCESS;
		}
		f->has_ftx[d] = false;
	}
}

static void smb_file_close_txs(struct smb_state *st, const uint8_t fid[16])
{
	struct smb_file *f = smb_file_get(st, fid);
	if (f)
		smb_file_end_txs(st, f);
}

/* A call on the pipe still waits for PDUs. */
static bool smb_rpc_busy(const struct smb_file *f)
{
	if (!f->rpc)
		return false;
	for (size_t i = 0; i < f->rpc->nopen; i++)
		if (!dcerpc_call_complete(f->rpc->open[i]))
			return true;
	return false;
}

static void smb_file_del(struct smb_state *st, const uint8_t fid[16])
{
	for (size_t i = 0; i < st->nfiles; i++)
		if (!memcmp(st->files[i]->fid, fid, 16)) {
			smb_file_end_txs(st, st->files[i]);
			smb_file_free(st->files[i]);
			memmove(st->files + i, st->files + i + 1,
				(st->nfiles - i - 1) * sizeof(st->files[0]));
			st->nfiles--;
			return;
		}
}

/*
 * A close answered: the file is forgotten, unless a DCERPC call on it
 * still waits for its response (compound and async replies may arrive
 * after the close's), then when that call completes.
 */
static void smb_file_close(struct smb_state *st, const uint8_t fid[16])
{
	struct smb_file *f = smb_file_get(st, fid);
	if (!f)
		return;
	if (smb_rpc_busy(f)) {
		smb_file_end_txs(st, f);
		f->closing = true;
		return;
	}
	smb_file_del(st, fid);
}

static struct smb_file *smb_file_add(struct smb_state *st, const uint8_t fid[16],
				     uint32_t tree_id, const struct buf *name,
				     bool is_pipe)
{
	smb_file_del(st, fid);
	if (st->nfiles == SMB_MAX_FILES) {
		smb_count(st, SMB_CNT_TOO_MANY_FILES);
		smb_file_end_txs(st, st->files[0]);
		smb_file_free(st->files[0]);
		memmove(st->files, st->files + 1,
			(SMB_MAX_FILES - 1) * sizeof(st->files[0]));
		st->nfiles--;
	}
	struct smb_file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	memcpy(f->fid, fid, 16);
	f->tree_id = tree_id;
	f->is_pipe = is_pipe;
	smb_buf_init(&f->name);
	smb_buf_init(&f->share);
	(void)buf_append(&f->name, name->p, name->len);
	const struct smb_tree *t = smb_tree_get(st, tree_id);
	if (t)
		(void)buf_append(&f->share, t->share.p, t->share.len);
	st->files[st->nfiles++] = f;
	return f;
}

/* ---- transactions ------------------------------------------------------------ */

static void smb_tx_free(struct smb_tx *tx)
{
	struct buf *bufs[] = {&tx->share, &tx->svc_req, &tx->svc_res,
			      &tx->filename, &tx->nt_user, &tx->nt_domain,
			      &tx->nt_host, &tx->req_os, &tx->req_lm,
			      &tx->res_os, &tx->res_lm, &tx->dialects, &tx->newname};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		buf_release(bufs[i]);
	dcerpc_call_unref(tx->call);
	free(tx);
}

static void smb_dialect_str(const struct smb_state *st, char out[24])
{
	static const struct smb_code_name d2[] = {
		{0x0202, "2.02"}, {0x0210, "2.10"}, {0x0222, "2.22"},
		{0x0224, "2.24"}, {0x02ff, "2.??"}, {0x0300, "3.00"},
		{0x0302, "3.02"}, {0x0310, "3.10"}, {0x0311, "3.11"},
	};
	const char *s = "unknown";
	if (st->dialect2) {
		const char *n = SMB_LOOKUP(d2, st->dialect2);
		s = n ? n : "unknown";
	} else if (st->dialect1[0]) {
		s = st->dialect1;
	}
	snprintf(out, 24, "%s", s);
}

static struct smb_tx *smb_tx_new(struct smb_state *st, uint8_t ver, uint16_t cmd,
				 uint64_t msg_id, uint64_t ts)
{
	size_t max = st->cfg && st->cfg->max_tx ? st->cfg->max_tx : 1024;
	if (st->ntx >= max) {
		smb_count(st, SMB_CNT_TOO_MANY_TX);
		for (size_t i = 0; i < st->ntx; i++)
			if (!st->tx[i]->forced) {
				st->tx[i]->forced = true;
				break;
			}
		return NULL;
	}
	if (st->ntx == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 16;
		void *p = realloc(st->tx, nc * sizeof(*st->tx));
		if (!p)
			return NULL;
		st->tx = p;
		st->cap = nc;
	}
	struct smb_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	struct buf *bufs[] = {&tx->share, &tx->svc_req, &tx->svc_res,
			      &tx->filename, &tx->nt_user, &tx->nt_domain,
			      &tx->nt_host, &tx->req_os, &tx->req_lm,
			      &tx->res_os, &tx->res_lm, &tx->dialects, &tx->newname};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		smb_buf_init(bufs[i]);
	tx->id = st->next_id++;
	tx->ts = ts;
	tx->ver = ver;
	tx->cmd = cmd;
	tx->msg_id = msg_id;
	smb_dialect_str(st, tx->dialect);
	st->tx[st->ntx++] = tx;
	return tx;
}

/* The oldest transaction still waiting for its response. */
static struct smb_tx *smb_tx_find(struct smb_state *st, uint8_t ver,
				  uint16_t cmd, uint64_t msg_id)
{
	for (size_t i = 0; i < st->ntx; i++) {
		struct smb_tx *tx = st->tx[i];
		if (tx->ver == ver && tx->msg_id == msg_id && tx->cmd == cmd &&
		    tx->req_seen && (!tx->resp_seen || tx->pending) && !tx->forced)
			return tx;
	}
	return NULL;
}

/* Takes the transaction of a request, or the one a response answers. */
static struct smb_tx *smb_tx_for(struct smb_state *st, uint8_t ver, uint16_t cmd,
				 uint64_t msg_id, bool resp, uint64_t ts)
{
	struct smb_tx *tx = NULL;
	if (resp) {
		tx = smb_tx_find(st, ver, cmd, msg_id);
		if (!tx) {
			/* SMB2 oplock break notifications have no request. */
			if (msg_id != UINT64_MAX)
				smb_count(st, SMB_CNT_UNMATCHED_RESPONSE);
			tx = smb_tx_new(st, ver, cmd, msg_id, ts);
		}
		if (tx) {
			tx->resp_seen = true;
			smb_dialect_str(st, tx->dialect);
		}
	} else {
		tx = smb_tx_new(st, ver, cmd, msg_id, ts);
		if (tx)
			tx->req_seen = true;
	}
	return tx;
}

static void smb_tx_file_info(struct smb_state *st, struct smb_tx *tx,
			     const uint8_t fid[16])
{
	memcpy(tx->fid, fid, 16);
	tx->has_fid = true;
	const struct smb_file *f = smb_file_get(st, fid);
	if (!f)
		return;
	tx->type = SMB_TX_FILE;
	tx->is_pipe = f->is_pipe;
	buf_reset(&tx->filename);
	(void)buf_append(&tx->filename, f->name.p, f->name.len);
	buf_reset(&tx->share);
	(void)buf_append(&tx->share, f->share.p, f->share.len);
}

/* ---- DCERPC on pipes --------------------------------------------------------- */

/*
 * A DCERPC PDU on a pipe touched call.  The call is reported by the
 * transaction whose data started it; SMB2 reads and writes have no
 * transaction of their own, so one is made here for them (Suricata's
 * DCERPC transaction, logged with the READ/WRITE command).
 */
static void smb_on_call(struct dcerpc_call *call, bool created, void *ctx)
{
	struct smb_msg *m = ctx;
	if (!created)
		return;
	if (!m->tx) {
		struct smb_tx *tx = smb_tx_new(m->st, m->ver, m->cmd, m->msg_id, m->ts);
		if (!tx)
			return;
		tx->session_id = m->session_id;
		tx->tree_id = m->tree_id;
		if (m->resp) {
			tx->resp_seen = true;
			tx->has_status = true;
			tx->status = m->status;
		} else {
			tx->req_seen = true;
		}
		m->tx = tx;
	}
	if (!m->tx->call) {
		dcerpc_call_ref(call);
		m->tx->call = call;
	}
}

/* Pipe data of file fid in direction dir, carried by transaction tx. */
static void smb_pipe_data(struct smb_msg *m, const uint8_t fid[16],
			  const uint8_t *p, size_t n)
{
	struct smb_state *st = m->st;
	struct smb_file *f = smb_file_get(st, fid);
	if (!n)
		return;
	if (!f) {
		/* Midstream: a handle we did not see opened, but DCERPC data. */
		uint16_t fl;
		if (dcerpc_header_check(p, n, &fl) != 1)
			return;
		struct buf empty;
		buf_init(&empty, 1);
		f = smb_file_add(st, fid, 0, &empty, true);
		buf_release(&empty);
		if (!f)
			return;
	}
	if (!f->is_pipe) {
		/* A file on a tree we did not see connected may be a pipe. */
		uint16_t fl;
		if (smb_tree_get(st, f->tree_id) || dcerpc_header_check(p, n, &fl) != 1)
			return;
		f->is_pipe = true;
	}
	if (!f->rpc) {
		f->rpc = malloc(sizeof(*f->rpc));
		if (!f->rpc)
			return;
		size_t cap = st->cfg && st->cfg->body_limit ? st->cfg->body_limit : 1u << 20;
		dcerpc_assoc_init(f->rpc, st->counters + SMB_CNT_MAX, cap);
	}
	dcerpc_assoc_feed(f->rpc, m->dir, p, n, false, m->ts, smb_on_call, m);
	if (f->closing && !smb_rpc_busy(f))
		smb_file_del(st, f->fid);
}

/* A data block [off, off+len) of the message, checked. */
static bool smb_data_at(struct smb_msg *m, size_t off, size_t len,
			const uint8_t **p, size_t *n)
{
	struct cursor d;
	if (!cur_at(&m->whole, off, len, &d)) {
		if (!m->truncated)
			smb_count(m->st, SMB_CNT_BAD_LENGTH);
		return false;
	}
	*p = d.p;
	*n = d.len;
	return true;
}

/* ---- NTLMSSP ---------------------------------------------------------------- */

/* One NTLMSSP security buffer (len, maxlen, offset from the signature). */
static bool smb_ntlm_field(struct smb_state *st, const struct cursor *msg,
			   struct cursor *c, bool unicode, struct buf *dst)
{
	uint16_t len, maxlen;
	uint32_t off;
	if (!cur_u16le(c, &len) || !cur_u16le(c, &maxlen) || !cur_u32le(c, &off))
		return false;
	struct cursor f;
	if (!cur_at(msg, off, len, &f)) {
		smb_count(st, SMB_CNT_BAD_LENGTH);
		return false;
	}
	if (unicode)
		smb_set_utf16(st, dst, f.p, f.len);
	else
		smb_set_ascii(st, dst, f.p, f.len);
	return true;
}

/*
 * Finds an NTLMSSP AUTHENTICATE message in a security blob (raw or inside
 * SPNEGO's DER, which is searched rather than decoded: the token is
 * self-delimiting by its offsets) and fills the tx's user/domain/host.
 */
static void smb_ntlmssp(struct smb_state *st, struct smb_tx *tx,
			const uint8_t *blob, size_t n)
{
	static const uint8_t sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
	for (size_t i = 0; n >= 8 && i <= n - 8; i++) {
		if (memcmp(blob + i, sig, 8))
			continue;
		struct cursor msg, c;
		cur_init(&msg, blob + i, n - i);
		c = msg;
		uint32_t type, flags;
		if (!cur_skip(&c, 8) || !cur_u32le(&c, &type))
			return;
		if (type != 3)
			continue;
		/* LM, NT responses, domain, user, workstation, session key, flags. */
		struct cursor fields = c;
		if (!cur_skip(&c, 6 * 8) || !cur_u32le(&c, &flags)) {
			smb_count(st, SMB_CNT_TRUNCATED);
			return;
		}
		bool unicode = flags & 0x1u;
		if (!cur_skip(&fields, 16))
			return;
		tx->has_ntlmssp = true;
		(void)(smb_ntlm_field(st, &msg, &fields, unicode, &tx->nt_domain) &&
		       smb_ntlm_field(st, &msg, &fields, unicode, &tx->nt_user) &&
		       smb_ntlm_field(st, &msg, &fields, unicode, &tx->nt_host));
		uint8_t v[8];
		if ((flags & 0x02000000u) && cur_copy(&c, v, 8))
			snprintf(tx->nt_version, sizeof(tx->nt_version),
				 "%u.%u build %u rev %u", v[0], v[1],
				 (unsigned)(v[2] | (v[3] << 8)), v[7]);
		return;
	}
}

/* ---- SMB2 ---------------------------------------------------------------- */

static void smb2_negotiate(struct smb_msg *m, struct cursor *b)
{
	struct smb_tx *tx = m->tx;
	tx->type = SMB_TX_NEGOTIATE;
	if (!m->resp) {
		uint16_t ssz, count, secmode, rsv;
		uint32_t caps;
		if (!cur_u16le(b, &ssz) || !cur_u16le(b, &count) ||
		    !cur_u16le(b, &secmode) || !cur_u16le(b, &rsv) ||
		    !cur_u32le(b, &caps) || !cur_copy(b, tx->client_guid, 16) ||
		    !cur_skip(b, 8)) {
			smb_count(m->st, SMB_CNT_TRUNCATED);
			return;
		}
		tx->has_client_guid = true;
		for (unsigned i = 0; i < count && tx->ndialects < SMB_MAX_DIALECTS; i++) {
			uint16_t d;
			char s[8];
			if (!cur_u16le(b, &d)) {
				smb_count(m->st, SMB_CNT_TRUNCATED);
				break;
			}
			snprintf(s, sizeof(s), "%x.%02x", d >> 8, d & 0xffu);
			if (d == 0x02ff)
				snprintf(s, sizeof(s), "2.??");
			(void)buf_append(&tx->dialects, s, strlen(s) + 1);
			tx->ndialects++;
		}
		return;
	}
	uint16_t ssz, secmode, dialect, nctx;
	uint32_t caps, mt, mr, mw;
	if (!cur_u16le(b, &ssz) || !cur_u16le(b, &secmode) ||
	    !cur_u16le(b, &dialect) || !cur_u16le(b, &nctx) ||
	    !cur_copy(b, tx->server_guid, 16) || !cur_u32le(b, &caps) ||
	    !cur_u32le(b, &mt) || !cur_u32le(b, &mr) || !cur_u32le(b, &mw)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	tx->has_server_guid = true;
	tx->max_read = mr;
	tx->max_write = mw;
	m->st->dialect2 = dialect;
	smb_dialect_str(m->st, tx->dialect);
}

static void smb2_session_setup(struct smb_msg *m, struct cursor *b)
{
	struct smb_tx *tx = m->tx;
	tx->type = SMB_TX_SESSION;
	uint16_t ssz, off, len;
	if (!m->resp) {
		uint8_t flags, secmode;
		uint32_t caps, chan;
		if (!cur_u16le(b, &ssz) || !cur_u8(b, &flags) || !cur_u8(b, &secmode) ||
		    !cur_u32le(b, &caps) || !cur_u32le(b, &chan) ||
		    !cur_u16le(b, &off) || !cur_u16le(b, &len)) {
			smb_count(m->st, SMB_CNT_TRUNCATED);
			return;
		}
	} else {
		return;	/* the challenge carries nothing Suricata logs */
	}
	const uint8_t *p;
	size_t n;
	if (smb_data_at(m, off, len, &p, &n))
		smb_ntlmssp(m->st, tx, p, n);
}

static void smb2_tree_connect(struct smb_msg *m, struct cursor *b,
			      uint32_t tree_id, uint64_t session_id)
{
	struct smb_tx *tx = m->tx;
	tx->type = SMB_TX_TREE;
	uint16_t ssz, flags, off, len;
	if (!m->resp) {
		if (!cur_u16le(b, &ssz) || !cur_u16le(b, &flags) ||
		    !cur_u16le(b, &off) || !cur_u16le(b, &len)) {
			smb_count(m->st, SMB_CNT_TRUNCATED);
			return;
		}
		const uint8_t *p;
		size_t n;
		if (smb_data_at(m, off, len, &p, &n))
			smb_set_utf16(m->st, &tx->share, p, n);
		return;
	}
	uint8_t type;
	if (!cur_u16le(b, &ssz) || !cur_u8(b, &type))
		return;
	tx->share_type = type;
	tx->is_pipe = type == 2;
	if (tx->status == STATUS_SUCCESS)
		smb_tree_add(m->st, tree_id, session_id, &tx->share, tx->is_pipe);
}

static const uint8_t smb2_fid_ff[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff};

/*
 * A related compound request names "the file the CREATE before me opens"
 * with an all-ones file id; that id is only known from the create's
 * response, so such requests keep the all-ones id (and a placeholder file
 * for pipe data) and smb2_create_resolve() moves them to the real id when
 * the response arrives.
 */
static void smb2_create_resolve(struct smb_state *st, const uint8_t fid[16])
{
	for (size_t i = 0; i < st->ntx; i++) {
		struct smb_tx *tx = st->tx[i];
		if (tx->ver != 2 || !tx->has_fid || memcmp(tx->fid, smb2_fid_ff, 16))
			continue;
		memcpy(tx->fid, fid, 16);
		if (tx->type == SMB_TX_FILE) {
			smb_tx_file_info(st, tx, fid);
		} else if ((tx->type == SMB_TX_RENAME || tx->type == SMB_TX_DISPOSITION) &&
			   !tx->filename.len) {
			const struct smb_file *f = smb_file_get(st, fid);
			if (f)
				(void)buf_append(&tx->filename, f->name.p, f->name.len);
		}
	}
}

static uint64_t smb_filetime(uint64_t ft)
{
	/* 100 ns units since 1601 -> seconds since 1970 (Suricata's "created"). */
	if (ft < 116444736000000000ull)
		return 0;
	return (ft - 116444736000000000ull) / 10000000ull;
}

static void smb2_create(struct smb_msg *m, struct cursor *b, uint32_t tree_id)
{
	struct smb_state *st = m->st;
	struct smb_tx *tx = m->tx;
	tx->type = SMB_TX_CREATE;
	if (!m->resp) {
		struct cursor c = *b;
		uint32_t disp, opts;
		uint16_t off, len;
		if (!cur_skip(&c, 36) || !cur_u32le(&c, &disp) ||
		    !cur_u32le(&c, &opts) || !cur_u16le(&c, &off) ||
		    !cur_u16le(&c, &len)) {
			smb_count(st, SMB_CNT_TRUNCATED);
			return;
		}
		tx->disposition = disp;
		tx->delete_on_close = opts & 0x1000u;
		tx->directory = opts & 0x1u;
		const struct smb_tree *t = smb_tree_get(st, tree_id);
		if (t) {
			tx->is_pipe = t->is_pipe;
			(void)buf_append(&tx->share, t->share.p, t->share.len);
		}
		const uint8_t *p;
		size_t n;
		if (len && smb_data_at(m, off, len, &p, &n))
			smb_set_utf16(st, &tx->filename, p, n);
		return;
	}
	if (tx->status != STATUS_SUCCESS)
		return;
	struct cursor c = *b;
	uint64_t t[4], alloc, eof;
	uint32_t attrs, rsv;
	if (!cur_skip(&c, 8) || !cur_u64le(&c, &t[0]) || !cur_u64le(&c, &t[1]) ||
	    !cur_u64le(&c, &t[2]) || !cur_u64le(&c, &t[3]) ||
	    !cur_u64le(&c, &alloc) || !cur_u64le(&c, &eof) ||
	    !cur_u32le(&c, &attrs) || !cur_u32le(&c, &rsv) ||
	    !cur_copy(&c, tx->fid, 16)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	for (int i = 0; i < 4; i++)
		tx->times[i] = smb_filetime(t[i]);
	tx->size = eof;
	tx->has_fid = true;
	if (attrs & 0x10u)
		tx->directory = true;
	/* Pipe data sent in the same compound went to the placeholder. */
	struct dcerpc_assoc *moved = NULL;
	bool closing = false;
	struct smb_file *ph = smb_file_get(st, smb2_fid_ff);
	if (ph) {
		moved = ph->rpc;
		closing = ph->closing;
		ph->rpc = NULL;
		smb_file_del(st, smb2_fid_ff);
	}
	struct smb_file *f = smb_file_add(st, tx->fid, tx->tree_id, &tx->filename,
					  tx->is_pipe);
	if (f && moved && !f->rpc) {
		f->rpc = moved;
		f->closing = closing;
		moved = NULL;
	}
	if (moved) {
		dcerpc_assoc_release(moved);
		free(moved);
	}
	smb2_create_resolve(st, tx->fid);
}

static void smb2_close(struct smb_msg *m, struct cursor *b)
{
	struct smb_tx *tx = m->tx;
	if (m->resp) {
		if (tx->has_fid && tx->status == STATUS_SUCCESS)
			smb_file_close(m->st, tx->fid);
		return;
	}
	uint8_t fid[16];
	if (!cur_skip(b, 8) || !cur_copy(b, fid, 16)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	/* A generic record (as Suricata); the fid is kept to forget the file. */
	memcpy(tx->fid, fid, 16);
	tx->has_fid = true;
	smb_file_close_txs(m->st, fid);
}

/*
 * The file transaction of a direction (Suricata's FILE tx): one per file
 * and direction however many reads or writes; done when the file closes.
 */
static void smb_file_tx(struct smb_msg *m, struct smb_file *f, int d)
{
	struct smb_state *st = m->st;
	if (f->has_ftx[d]) {
		struct smb_tx *tx = smb_tx_get(st, f->ftx_id[d]);
		if (tx && !tx->resp_seen && !tx->forced)
			return;
	}
	struct smb_tx *tx = smb_tx_new(st, m->ver, m->cmd, m->msg_id, m->ts);
	if (!tx)
		return;
	tx->req_seen = true;
	tx->msg_id = UINT64_MAX;	/* not answered by the message's response */
	tx->session_id = m->session_id;
	tx->tree_id = m->tree_id;
	smb_tx_file_info(st, tx, f->fid);
	f->has_ftx[d] = true;
	f->ftx_id[d] = tx->id;
}

static void smb_read_remember(struct smb_state *st, uint64_t msg_id,
			      const uint8_t fid[16])
{
	struct smb_read *r = &st->reads[st->read_next++ % SMB_MAX_READS];
	r->used = true;
	r->msg_id = msg_id;
	memcpy(r->fid, fid, 16);
}

static bool smb_read_recall(struct smb_state *st, uint64_t msg_id, uint8_t fid[16])
{
	for (size_t i = 0; i < SMB_MAX_READS; i++)
		if (st->reads[i].used && st->reads[i].msg_id == msg_id) {
			memcpy(fid, st->reads[i].fid, 16);
			memset(&st->reads[i], 0, sizeof(st->reads[i]));
			return true;
		}
	return false;
}

/*
 * SMB2 READ and WRITE: no transaction per message (as Suricata): file
 * data goes to the file's transaction, pipe data to DCERPC, whose new
 * calls get a transaction in smb_on_call.
 */
static void smb2_rw(struct smb_msg *m, struct cursor *b)
{
	struct smb_state *st = m->st;
	const uint8_t *p = NULL;
	size_t n = 0;
	uint8_t fid[16];
	if (!m->resp) {
		if (m->cmd == SMB2_WRITE) {
			uint16_t ssz, off;
			uint32_t len;
			uint64_t foff;
			if (!cur_u16le(b, &ssz) || !cur_u16le(b, &off) || !cur_u32le(b, &len) ||
			    !cur_u64le(b, &foff) || !cur_copy(b, fid, 16)) {
				smb_count(st, SMB_CNT_TRUNCATED);
				return;
			}
			if (!smb_data_at(m, off, len, &p, &n))
				n = 0;
		} else {
			if (!cur_skip(b, 16) || !cur_copy(b, fid, 16)) {
				smb_count(st, SMB_CNT_TRUNCATED);
				return;
			}
			smb_read_remember(st, m->msg_id, fid);
		}
		struct smb_file *f = smb_file_get(st, fid);
		if (f && !f->is_pipe && smb_tree_get(st, f->tree_id)) {
			smb_file_tx(m, f, m->cmd == SMB2_WRITE ? 0 : 1);
			return;
		}
		if (n)
			smb_pipe_data(m, fid, p, n);
		if (f && !f->is_pipe)
			smb_file_tx(m, f, m->cmd == SMB2_WRITE ? 0 : 1);
		return;
	}
	m->tx = smb_tx_find(st, 2, m->cmd, m->msg_id);
	if (m->tx) {
		m->tx->resp_seen = true;
		m->tx->pending = false;
		m->tx->has_status = true;
		m->tx->status = m->status;
	}
	if (m->cmd != SMB2_READ || !smb_read_recall(st, m->msg_id, fid))
		return;
	if (m->status != STATUS_SUCCESS && m->status != STATUS_BUFFER_OVERFLOW)
		return;
	uint16_t ssz;
	uint8_t off, rsv;
	uint32_t len;
	if (!cur_u16le(b, &ssz) || !cur_u8(b, &off) || !cur_u8(b, &rsv) ||
	    !cur_u32le(b, &len)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	if (smb_data_at(m, off, len, &p, &n))
		smb_pipe_data(m, fid, p, n);
}

static void smb2_ioctl(struct smb_msg *m, struct cursor *b)
{
	struct smb_tx *tx = m->tx;
	uint16_t ssz, rsv;
	uint32_t ctl, in_off, in_cnt, out_off, out_cnt;
	uint8_t fid[16];
	tx->type = SMB_TX_IOCTL;
	if (!cur_u16le(b, &ssz) || !cur_u16le(b, &rsv) || !cur_u32le(b, &ctl) ||
	    !cur_copy(b, fid, 16) || !cur_u32le(b, &in_off) ||
	    !cur_u32le(b, &in_cnt)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	tx->ioctl_func = ctl;
	const uint8_t *p;
	size_t n;
	if (!m->resp) {
		memcpy(tx->fid, fid, 16);
		tx->has_fid = true;
		if (ctl == FSCTL_PIPE_TRANSCEIVE && smb_data_at(m, in_off, in_cnt, &p, &n))
			smb_pipe_data(m, fid, p, n);
		return;
	}
	if (ctl != FSCTL_PIPE_TRANSCEIVE ||
	    (tx->status != STATUS_SUCCESS && tx->status != STATUS_BUFFER_OVERFLOW))
		return;
	if (!cur_u32le(b, &out_off) || !cur_u32le(b, &out_cnt)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	if (smb_data_at(m, out_off, out_cnt, &p, &n))
		smb_pipe_data(m, fid, p, n);
}

/*
 * SET_INFO: only renames and delete-on-close dispositions are
 * transactions (as Suricata); other classes are not logged.
 */
static void smb2_set_info(struct smb_msg *m, struct cursor *b)
{
	struct smb_state *st = m->st;
	if (m->resp) {
		struct smb_tx *tx = smb_tx_find(st, 2, SMB2_SET_INFO, m->msg_id);
		if (tx) {
			tx->resp_seen = true;
			tx->pending = false;
			tx->has_status = true;
			tx->status = m->status;
		}
		return;
	}
	uint16_t ssz, off, rsv;
	uint8_t type, cls;
	uint32_t len, add;
	uint8_t fid[16];
	if (!cur_u16le(b, &ssz) || !cur_u8(b, &type) || !cur_u8(b, &cls) ||
	    !cur_u32le(b, &len) || !cur_u16le(b, &off) || !cur_u16le(b, &rsv) ||
	    !cur_u32le(b, &add) || !cur_copy(b, fid, 16)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	if (type != 1 || (cls != 10 && cls != 13))
		return;
	const uint8_t *p;
	size_t n;
	if (!smb_data_at(m, off, len, &p, &n))
		return;
	struct cursor d;
	cur_init(&d, p, n);
	uint8_t flag;
	uint32_t nlen = 0;
	const uint8_t *name = NULL;
	if (!cur_u8(&d, &flag) ||
	    (cls == 10 && (!cur_skip(&d, 15) || !cur_u32le(&d, &nlen) ||
			   !cur_bytes(&d, nlen, &name)))) {
		smb_count(st, SMB_CNT_BAD_LENGTH);
		return;
	}
	struct smb_tx *tx = smb_tx_for(st, 2, SMB2_SET_INFO, m->msg_id, false, m->ts);
	if (!tx)
		return;
	tx->session_id = m->session_id;
	tx->tree_id = m->tree_id;
	memcpy(tx->fid, fid, 16);
	tx->has_fid = true;
	const struct smb_file *f = smb_file_get(st, fid);
	if (f)
		(void)buf_append(&tx->filename, f->name.p, f->name.len);
	if (cls == 10) {
		tx->type = SMB_TX_RENAME;
		if (!f)
			(void)buf_puts(&tx->filename, "<unknown>");
		smb_set_utf16(st, &tx->newname, name, nlen);
	} else {
		tx->type = SMB_TX_DISPOSITION;
		tx->delete_on_close = flag != 0;
	}
}

/* One SMB2 message: m->whole starts at its header. */
static void smb2_message(struct smb_msg *m)
{
	struct smb_state *st = m->st;
	struct cursor c = m->whole;
	uint8_t magic[4];
	uint16_t ssz, credit_charge, cmd, credits;
	uint32_t status, flags, next, tree_id = 0;
	uint64_t msg_id, async_id = 0, session_id;
	if (!cur_copy(&c, magic, 4) || !cur_u16le(&c, &ssz) ||
	    !cur_u16le(&c, &credit_charge) || !cur_u32le(&c, &status) ||
	    !cur_u16le(&c, &cmd) || !cur_u16le(&c, &credits) ||
	    !cur_u32le(&c, &flags) || !cur_u32le(&c, &next) ||
	    !cur_u64le(&c, &msg_id)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	if (flags & SMB2_FLAGS_ASYNC) {
		if (!cur_u64le(&c, &async_id)) {
			smb_count(st, SMB_CNT_TRUNCATED);
			return;
		}
	} else {
		uint32_t pid;
		if (!cur_u32le(&c, &pid) || !cur_u32le(&c, &tree_id)) {
			smb_count(st, SMB_CNT_TRUNCATED);
			return;
		}
	}
	if (!cur_u64le(&c, &session_id) || !cur_skip(&c, 16)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	if (ssz != SMB2_HDR_LEN)
		smb_count(st, SMB_CNT_MALFORMED);
	bool related = flags & SMB2_FLAGS_RELATED;
	int d = m->dir;
	if (related) {
		if (session_id == UINT64_MAX)
			session_id = st->rel_session[d];
		if (tree_id == UINT32_MAX)
			tree_id = st->rel_tree[d];
	}
	st->rel_session[d] = session_id;
	if (!(flags & SMB2_FLAGS_ASYNC))
		st->rel_tree[d] = tree_id;
	m->resp = flags & SMB2_FLAGS_RESPONSE;
	if (cmd == SMB2_CANCEL || cmd == SMB2_QUERY_INFO)
		return;	/* no transaction (as Suricata; cancels are answered
			 * by the cancelled request) */
	if (m->resp && status == STATUS_PENDING && (flags & SMB2_FLAGS_ASYNC)) {
		/* Interim response: the final one follows with the same id. */
		struct smb_tx *tx = smb_tx_find(st, 2, cmd, msg_id);
		if (tx)
			tx->pending = true;
		return;
	}
	m->ver = 2;
	m->cmd = cmd;
	m->msg_id = msg_id;
	m->status = status;
	m->session_id = session_id;
	m->tree_id = tree_id;
	if (cmd == SMB2_READ || cmd == SMB2_WRITE || cmd == SMB2_SET_INFO) {
		if (m->resp && status == STATUS_PENDING)
			return;
		if (cmd == SMB2_SET_INFO)
			smb2_set_info(m, &c);
		else
			smb2_rw(m, &c);
		return;
	}
	struct smb_tx *tx = NULL;
	if (m->resp && cmd == SMB2_NEGOTIATE && !smb_tx_find(st, 2, cmd, msg_id)) {
		/* An SMB2 answer to an SMB1 negotiate ("SMB 2.???"). */
		for (size_t i = 0; i < st->ntx && !tx; i++)
			if (st->tx[i]->ver == 1 && st->tx[i]->cmd == SMB1_NEGOTIATE &&
			    !st->tx[i]->resp_seen)
				tx = st->tx[i];
		if (tx) {
			tx->resp_seen = true;
			smb_dialect_str(st, tx->dialect);
		}
	}
	if (!tx)
		tx = smb_tx_for(st, 2, cmd, msg_id, m->resp, m->ts);
	if (!tx)
		return;
	m->tx = tx;
	if (m->resp) {
		tx->pending = false;
		tx->has_status = true;
		tx->status = status;
		if (!tx->req_seen || cmd == SMB2_SESSION_SETUP || !tx->session_id)
			tx->session_id = session_id;
		if (!(flags & SMB2_FLAGS_ASYNC) && (cmd == SMB2_TREE_CONNECT || !tx->req_seen))
			tx->tree_id = tree_id;
	} else {
		tx->session_id = session_id;
		tx->tree_id = tree_id;
	}
	/* An error response has the 9-byte error body, not the command's. */
	bool error_body = m->resp && status != STATUS_SUCCESS &&
			  status != STATUS_MORE_PROCESSING_REQUIRED &&
			  status != STATUS_BUFFER_OVERFLOW;
	switch (cmd) {
	case SMB2_NEGOTIATE:
		if (!error_body)
			smb2_negotiate(m, &c);
		else
			tx->type = SMB_TX_NEGOTIATE;
		break;
	case SMB2_SESSION_SETUP:
		smb2_session_setup(m, &c);
		break;
	case SMB2_TREE_CONNECT:
		if (!error_body || !m->resp)
			smb2_tree_connect(m, &c, tx->tree_id, session_id);
		else
			tx->type = SMB_TX_TREE;
		break;
	case SMB2_CREATE:
		smb2_create(m, &c, tree_id);
		break;
	case SMB2_CLOSE:
		smb2_close(m, &c);
		break;
	case SMB2_IOCTL:
		if (!error_body)
			smb2_ioctl(m, &c);
		break;
	default:
		break;
	}
}

/* An SMB2 record: messages chained by NextCommand. */
static void smb2_record(struct smb_state *st, struct smb_msg *m,
			const struct cursor *rec)
{
	struct cursor rest = *rec;
	for (int k = 0; k < SMB_MAX_CHAIN && cur_len(&rest) >= 4; k++) {
		struct cursor h = rest;
		uint32_t next = 0;
		struct cursor nc;
		if (cur_at(&rest, 20, 4, &nc))
			(void)cur_u32le(&nc, &next);
		if (next && (next < SMB2_HDR_LEN || next > cur_len(&rest))) {
			if (!m->truncated || next < SMB2_HDR_LEN)
				smb_count(st, SMB_CNT_BAD_NEXT_COMMAND);
			next = 0;
		}
		if (next)
			(void)cur_sub(&rest, next, &h);
		if (h.len < 4 || memcmp(h.p, "\xfeSMB", 4)) {
			smb_count(st, SMB_CNT_BAD_PROTOCOL);
			return;
		}
		m->whole = h;
		m->tx = NULL;
		smb2_message(m);
		if (!next)
			return;
	}
}

/* ---- SMB1 ------------------------------------------------------------------ */

struct smb1_hdr {
	uint8_t cmd, flags;
	uint16_t flags2, tid, pid, uid, mid, pid_high;
	uint32_t status;
};

struct smb1_block {
	struct cursor words, bytes;
	uint8_t wc;
};

static void smb1_negotiate(struct smb_msg *m, struct smb1_block *blk)
{
	struct smb_tx *tx = m->tx;
	tx->type = SMB_TX_NEGOTIATE;
	if (!m->resp) {
		struct cursor c = blk->bytes;
		uint8_t fmt;
		while (tx->ndialects < SMB_MAX_DIALECTS && cur_u8(&c, &fmt)) {
			const uint8_t *z = memchr(c.p, 0, c.len);
			size_t n = z ? (size_t)(z - c.p) : c.len;
			if (n > 64)
				n = 64;
			(void)buf_append(&tx->dialects, c.p, n);
			(void)buf_putc(&tx->dialects, 0);
			tx->ndialects++;
			if (!cur_skip(&c, z ? (size_t)(z - c.p) + 1 : c.len))
				break;
		}
		return;
	}
	uint16_t idx;
	uint32_t caps;
	struct cursor w = blk->words, b = blk->bytes, capc;
	if (!cur_u16le(&w, &idx))
		return;
	/* NT LM 0.12 with extended security: the bytes start with ServerGUID. */
	if (blk->wc == 17 && cur_at(&blk->words, 19, 4, &capc) &&
	    cur_u32le(&capc, &caps) && (caps & 0x80000000u) &&
	    cur_copy(&b, tx->server_guid, 16))
		tx->has_server_guid = true;
	const char *s = (const char *)tx->dialects.p;
	for (unsigned i = 0; s && i < tx->ndialects; i++) {
		if (i == idx) {
			snprintf(m->st->dialect1, sizeof(m->st->dialect1), "%s", s);
			smb_dialect_str(m->st, tx->dialect);
			break;
		}
		s += strlen(s) + 1;
	}
}

static void smb1_session_setup(struct smb_msg *m, struct smb1_block *blk)
{
	struct smb_state *st = m->st;
	struct smb_tx *tx = m->tx;
	const uint8_t *base = m->whole.p;
	struct cursor w = blk->words, b = blk->bytes;
	tx->type = SMB_TX_SESSION;
	if (!m->resp) {
		uint16_t bloblen, pwlen1, pwlen2;
		if (blk->wc == 12) {
			if (!cur_skip(&w, 14) || !cur_u16le(&w, &bloblen))
				return;
			const uint8_t *blob;
			if (!cur_bytes(&b, bloblen, &blob)) {
				smb_count(st, SMB_CNT_BAD_LENGTH);
				return;
			}
			smb_ntlmssp(st, tx, blob, bloblen);
		} else if (blk->wc == 13) {
			if (!cur_skip(&w, 14) || !cur_u16le(&w, &pwlen1) ||
			    !cur_u16le(&w, &pwlen2) ||
			    !cur_skip(&b, (size_t)pwlen1 + pwlen2)) {
				smb_count(st, SMB_CNT_BAD_LENGTH);
				return;
			}
			struct buf acct, dom;
			smb_buf_init(&acct);
			smb_buf_init(&dom);
			smb1_read_str(st, &b, base, m->unicode, &acct);
			smb1_read_str(st, &b, base, m->unicode, &dom);
			buf_release(&acct);
			buf_release(&dom);
		} else {
			return;
		}
		tx->has_req_host = true;
		smb1_read_str(st, &b, base, m->unicode, &tx->req_os);
		smb1_read_str(st, &b, base, m->unicode, &tx->req_lm);
		return;
	}
	uint16_t action, bloblen = 0;
	if (blk->wc == 4) {
		if (!cur_skip(&w, 4) || !cur_u16le(&w, &action) || !cur_u16le(&w, &bloblen) ||
		    !cur_skip(&b, bloblen)) {
			smb_count(st, SMB_CNT_BAD_LENGTH);
			return;
		}
	} else if (blk->wc != 3) {
		return;
	}
	tx->has_res_host = true;
	smb1_read_str(st, &b, base, m->unicode, &tx->res_os);
	smb1_read_str(st, &b, base, m->unicode, &tx->res_lm);
}

static void smb1_tree_connect(struct smb_msg *m, struct smb1_block *blk,
			      const struct smb1_hdr *h)
{
	struct smb_state *st = m->st;
	struct smb_tx *tx = m->tx;
	struct cursor w = blk->words, b = blk->bytes;
	tx->type = SMB_TX_TREE;
	if (!m->resp) {
		uint16_t pwlen;
		if (!cur_skip(&w, 6) || !cur_u16le(&w, &pwlen) || !cur_skip(&b, pwlen)) {
			smb_count(st, SMB_CNT_BAD_LENGTH);
			return;
		}
		smb1_read_str(st, &b, m->whole.p, m->unicode, &tx->share);
		smb1_read_str(st, &b, m->whole.p, false, &tx->svc_req);
		tx->has_svc_req = true;
		return;
	}
	if (blk->wc < 3)
		return;
	smb1_read_str(st, &b, m->whole.p, false, &tx->svc_res);
	tx->has_svc_res = true;
	tx->is_pipe = tx->svc_res.len == 3 && !memcmp(tx->svc_res.p, "IPC", 3);
	if (tx->status == STATUS_SUCCESS)
		smb_tree_add(st, h->tid, h->uid, &tx->share, tx->is_pipe);
}

static void smb1_fid(uint16_t fid, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = (uint8_t)fid;
	out[1] = (uint8_t)(fid >> 8);
}

static void smb1_nt_create(struct smb_msg *m, struct smb1_block *blk,
			   const struct smb1_hdr *h)
{
	struct smb_state *st = m->st;
	struct smb_tx *tx = m->tx;
	struct cursor w = blk->words, b = blk->bytes;
	tx->type = SMB_TX_CREATE;
	if (!m->resp) {
		uint16_t namelen;
		uint32_t disp, opts;
		struct cursor w2 = w;
		if (!cur_skip(&w, 5) || !cur_u16le(&w, &namelen) ||
		    !cur_skip(&w2, 35) || !cur_u32le(&w2, &disp) || !cur_u32le(&w2, &opts)) {
			smb_count(st, SMB_CNT_TRUNCATED);
			return;
		}
		tx->disposition = disp;
		tx->delete_on_close = opts & 0x1000u;
		tx->directory = opts & 0x1u;
		const struct smb_tree *t = smb_tree_get(st, h->tid);
		if (t) {
			tx->is_pipe = t->is_pipe;
			(void)buf_append(&tx->share, t->share.p, t->share.len);
		}
		smb1_read_str(st, &b, m->whole.p, m->unicode, &tx->filename);
		return;
	}
	if (tx->status != STATUS_SUCCESS)
		return;
	uint16_t fid;
	uint32_t action, attrs;
	uint64_t t[4], alloc, eof;
	if (!cur_skip(&w, 5) || !cur_u16le(&w, &fid) || !cur_u32le(&w, &action) ||
	    !cur_u64le(&w, &t[0]) || !cur_u64le(&w, &t[1]) || !cur_u64le(&w, &t[2]) ||
	    !cur_u64le(&w, &t[3]) || !cur_u32le(&w, &attrs) ||
	    !cur_u64le(&w, &alloc) || !cur_u64le(&w, &eof)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	for (int i = 0; i < 4; i++)
		tx->times[i] = smb_filetime(t[i]);
	tx->size = eof;
	if (attrs & 0x10u)
		tx->directory = true;
	smb1_fid(fid, tx->fid);
	smb_file_add(st, tx->fid, h->tid, &tx->filename, tx->is_pipe);
}

static void smb1_read(struct smb_msg *m, struct smb1_block *blk)
{
	struct smb_tx *tx = m->tx;
	struct cursor w = blk->words;
	if (!m->resp) {
		uint16_t fid;
		if (!cur_skip(&w, 4) || !cur_u16le(&w, &fid)) {
			smb_count(m->st, SMB_CNT_TRUNCATED);
			return;
		}
		uint8_t f[16];
		smb1_fid(fid, f);
		smb_tx_file_info(m->st, tx, f);
		return;
	}
	uint16_t len, off, lenhigh;
	if (!tx->has_fid || !cur_skip(&w, 10) || !cur_u16le(&w, &len) ||
	    !cur_u16le(&w, &off) || !cur_u16le(&w, &lenhigh))
		return;
	const uint8_t *p;
	size_t n;
	if (smb_data_at(m, off, len, &p, &n))
		smb_pipe_data(m, tx->fid, p, n);
}

static void smb1_write(struct smb_msg *m, struct smb1_block *blk)
{
	struct cursor w = blk->words;
	if (m->resp)
		return;
	uint16_t fid, len, off, lenhigh;
	if (!cur_skip(&w, 4) || !cur_u16le(&w, &fid) || !cur_skip(&w, 12) ||
	    !cur_u16le(&w, &lenhigh) || !cur_u16le(&w, &len) || !cur_u16le(&w, &off)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	uint8_t f[16];
	smb1_fid(fid, f);
	smb_tx_file_info(m->st, m->tx, f);
	const uint8_t *p;
	size_t n;
	if (smb_data_at(m, off, len, &p, &n))
		smb_pipe_data(m, f, p, n);
}

static void smb1_trans(struct smb_msg *m, struct smb1_block *blk)
{
	struct smb_tx *tx = m->tx;
	struct cursor w = blk->words;
	uint16_t dcnt, doff;
	if (!m->resp) {
		uint8_t scount, rsv;
		uint16_t func, fid;
		if (!cur_skip(&w, 22) || !cur_u16le(&w, &dcnt) || !cur_u16le(&w, &doff) ||
		    !cur_u8(&w, &scount) || !cur_u8(&w, &rsv)) {
			smb_count(m->st, SMB_CNT_TRUNCATED);
			return;
		}
		if (scount < 2 || !cur_u16le(&w, &func) || !cur_u16le(&w, &fid))
			return;
		if (func != 0x26)	/* TransactNmPipe */
			return;
		uint8_t f[16];
		smb1_fid(fid, f);
		smb_tx_file_info(m->st, tx, f);
		tx->type = SMB_TX_GENERIC;
		const uint8_t *p;
		size_t n;
		if (smb_data_at(m, doff, dcnt, &p, &n))
			smb_pipe_data(m, f, p, n);
		return;
	}
	if (!tx->has_fid)
		return;
	if (!cur_skip(&w, 12) || !cur_u16le(&w, &dcnt) || !cur_u16le(&w, &doff))
		return;
	const uint8_t *p;
	size_t n;
	if (smb_data_at(m, doff, dcnt, &p, &n))
		smb_pipe_data(m, tx->fid, p, n);
}

static void smb1_close(struct smb_msg *m, struct smb1_block *blk)
{
	struct smb_tx *tx = m->tx;
	if (m->resp) {
		if (tx->has_fid && tx->status == STATUS_SUCCESS)
			smb_file_close(m->st, tx->fid);
		return;
	}
	struct cursor w = blk->words;
	uint16_t fid;
	if (!cur_u16le(&w, &fid)) {
		smb_count(m->st, SMB_CNT_TRUNCATED);
		return;
	}
	uint8_t f[16];
	smb1_fid(fid, f);
	smb_tx_file_info(m->st, tx, f);
}

static bool smb1_is_andx(uint8_t cmd)
{
	return cmd == 0x24 || cmd == 0x2d || cmd == SMB1_READ_ANDX ||
	       cmd == SMB1_WRITE_ANDX || cmd == SMB1_SESSION_SETUP_ANDX ||
	       cmd == SMB1_LOGOFF_ANDX || cmd == SMB1_TREE_CONNECT_ANDX ||
	       cmd == SMB1_NT_CREATE_ANDX;
}

static void smb1_command(struct smb_msg *m, const struct smb1_hdr *h,
			 uint8_t cmd, struct smb1_block *blk)
{
	struct smb_state *st = m->st;
	uint64_t key = ((uint64_t)h->pid_high << 32) | ((uint64_t)h->pid << 16) | h->mid;
	if (cmd == 0xa4)
		return;	/* NT_CANCEL is never answered: no transaction */
	struct smb_tx *tx = smb_tx_for(st, 1, cmd, key, m->resp, m->ts);
	if (!tx)
		return;
	m->tx = tx;
	if (!tx->req_seen || !m->resp || cmd == SMB1_SESSION_SETUP_ANDX ||
	    cmd == SMB1_TREE_CONNECT_ANDX) {
		tx->session_id = h->uid;
		tx->tree_id = h->tid;
	}
	if (m->resp) {
		tx->has_status = true;
		if (h->flags2 & SMB1_FLAGS2_NTSTATUS) {
			tx->status = h->status;
		} else {
			tx->dos_status = true;
			tx->errclass = (uint8_t)h->status;
			tx->errcode = (uint16_t)(h->status >> 16);
			tx->status = tx->errclass ? 1u : 0u;
		}
	}
	bool ok = !m->resp || tx->status == STATUS_SUCCESS ||
		  tx->status == STATUS_MORE_PROCESSING_REQUIRED ||
		  tx->status == STATUS_BUFFER_OVERFLOW;
	if (!ok || (m->resp && blk->wc == 0 && cmd != SMB1_CLOSE)) {
		if (cmd == SMB1_TREE_CONNECT_ANDX)
			tx->type = SMB_TX_TREE;
		else if (cmd == SMB1_SESSION_SETUP_ANDX)
			tx->type = SMB_TX_SESSION;
		return;
	}
	switch (cmd) {
	case SMB1_NEGOTIATE:
		smb1_negotiate(m, blk);
		break;
	case SMB1_SESSION_SETUP_ANDX:
		smb1_session_setup(m, blk);
		break;
	case SMB1_TREE_CONNECT_ANDX:
		smb1_tree_connect(m, blk, h);
		break;
	case SMB1_NT_CREATE_ANDX:
		smb1_nt_create(m, blk, h);
		break;
	case SMB1_READ_ANDX:
		smb1_read(m, blk);
		break;
	case SMB1_WRITE_ANDX:
		smb1_write(m, blk);
		break;
	case SMB1_TRANS:
		smb1_trans(m, blk);
		break;
	case SMB1_CLOSE:
		smb1_close(m, blk);
		break;
	default:
		break;
	}
}

/* Reads the word and byte blocks at offset off of the message. */
static bool smb1_block_at(struct smb_msg *m, size_t off, struct smb1_block *blk)
{
	struct cursor c;
	uint16_t bc;
	if (off > cur_len(&m->whole) ||
	    !cur_at(&m->whole, off, cur_len(&m->whole) - off, &c) ||
	    !cur_u8(&c, &blk->wc) || !cur_sub(&c, (size_t)blk->wc * 2u, &blk->words) ||
	    !cur_u16le(&c, &bc))
		return false;
	if (!cur_sub(&c, bc, &blk->bytes)) {
		/* A byte count past the end: use what is there, count it. */
		if (!m->truncated)
			smb_count(m->st, SMB_CNT_BAD_LENGTH);
		blk->bytes = c;
	}
	return true;
}

static void smb1_record(struct smb_state *st, struct smb_msg *m,
			const struct cursor *rec)
{
	struct cursor c = *rec;
	struct smb1_hdr h;
	uint16_t pid_high, rsv;
	if (!cur_skip(&c, 4) || !cur_u8(&c, &h.cmd) || !cur_u32le(&c, &h.status) ||
	    !cur_u8(&c, &h.flags) || !cur_u16le(&c, &h.flags2) ||
	    !cur_u16le(&c, &pid_high) || !cur_skip(&c, 8) || !cur_u16le(&c, &rsv) ||
	    !cur_u16le(&c, &h.tid) || !cur_u16le(&c, &h.pid) ||
	    !cur_u16le(&c, &h.uid) || !cur_u16le(&c, &h.mid)) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	h.pid_high = pid_high;
	m->whole = *rec;
	m->resp = h.flags & SMB1_FLAGS_REPLY;
	m->unicode = h.flags2 & SMB1_FLAGS2_UNICODE;
	size_t off = SMB1_HDR_LEN;
	uint8_t cmd = h.cmd;
	for (int k = 0; k < SMB_MAX_CHAIN; k++) {
		struct smb1_block blk;
		if (!smb1_block_at(m, off, &blk)) {
			if (!m->truncated)
				smb_count(st, SMB_CNT_TRUNCATED);
			/* Still record the command (an error reply may be short). */
			if (k == 0) {
				memset(&blk, 0, sizeof(blk));
				smb1_command(m, &h, cmd, &blk);
			}
			return;
		}
		m->tx = NULL;
		smb1_command(m, &h, cmd, &blk);
		if (!smb1_is_andx(cmd) || blk.wc < 2)
			return;
		struct cursor w = blk.words;
		uint8_t next, r;
		uint16_t next_off;
		if (!cur_u8(&w, &next) || !cur_u8(&w, &r) || !cur_u16le(&w, &next_off))
			return;
		if (next == 0xff)
			return;
		/* Each link must move forward, so a chain cannot loop. */
		if (next_off <= off || next_off >= cur_len(rec)) {
			smb_count(st, SMB_CNT_BAD_ANDX);
			return;
		}
		off = next_off;
		cmd = next;
	}
}

/* ---- framing --------------------------------------------------------------- */

static void smb_record(struct smb_state *st, int dir, const uint8_t *p,
		       size_t n, bool truncated, uint64_t ts)
{
	struct smb_msg m;
	memset(&m, 0, sizeof(m));
	m.st = st;
	m.dir = dir;
	m.ts = ts;
	m.truncated = truncated;
	struct cursor rec;
	cur_init(&rec, p, n);
	if (n < 4) {
		smb_count(st, SMB_CNT_TRUNCATED);
		return;
	}
	if (!memcmp(p, "\xfeSMB", 4))
		smb2_record(st, &m, &rec);
	else if (!memcmp(p, "\xffSMB", 4))
		smb1_record(st, &m, &rec);
	else if (!memcmp(p, "\xfdSMB", 4) || !memcmp(p, "\xfcSMB", 4))
		smb_count(st, SMB_CNT_ENCRYPTED);
	else
		smb_count(st, SMB_CNT_BAD_PROTOCOL);
}

/* Finds the next "\0 l l l \x?? S M B" in data; returns its offset or len. */
static size_t smb_resync(const uint8_t *data, size_t len)
{
	for (size_t i = 0; len >= 8 && i <= len - 8; i++) {
		if (data[i] != 0 || data[i + 5] != 'S' || data[i + 6] != 'M' ||
		    data[i + 7] != 'B')
			continue;
		uint8_t t = data[i + 4];
		if (t == 0xfe || t == 0xff || t == 0xfd)
			return i;
	}
	return len >= 7 ? len - 7 : 0;
}

static struct app_result smb_parse(void *state, int dir, const uint8_t *data,
				   size_t len, unsigned flags, uint64_t ts)
{
	struct smb_state *st = state;
	struct app_result r = {APP_OK, 0, 0};
	int d = dir & 1;
	if (flags & APP_F_GAP) {
		smb_count(st, SMB_CNT_GAP);
		st->skip[d] = 0;
		st->resync[d] = true;
	}
	size_t pos = 0;
	while (pos < len) {
		const uint8_t *p = data + pos;
		size_t n = len - pos;
		if (st->skip[d]) {
			size_t k = st->skip[d] < n ? (size_t)st->skip[d] : n;
			st->skip[d] -= k;
			pos += k;
			continue;
		}
		if (st->resync[d]) {
			size_t k = smb_resync(p, n);
			pos += k;
			if (k == n || n - k < 8)
				break;
			st->resync[d] = false;
			smb_count(st, SMB_CNT_RESYNC);
			continue;
		}
		struct cursor c;
		cur_init(&c, p, n);
		uint8_t type, l1, l2, l3;
		if (!cur_u8(&c, &type) || !cur_u8(&c, &l1) || !cur_u8(&c, &l2) ||
		    !cur_u8(&c, &l3)) {
			r.needed = 4;
			break;
		}
		size_t rlen = ((size_t)l1 << 16) | ((size_t)l2 << 8) | l3;
		if (type != 0x00) {
			if (type < 0x81 || type > 0x85) {
				smb_count(st, SMB_CNT_BAD_NBSS);
				st->resync[d] = true;
				pos++;
				continue;
			}
			/* Session request/response, retarget, keepalive: skipped. */
			st->skip[d] = rlen;
			pos += 4;
			continue;
		}
		if (rlen > SMB_INLINE_MAX) {
			/* File data: parse a prefix, skip the rest as it streams. */
			size_t want = SMB_PREFIX;
			if (n - 4 < want) {
				r.needed = 4 + want;
				break;
			}
			smb_record(st, d, p + 4, want, true, ts);
			st->skip[d] = rlen - want;
			pos += 4 + want;
			continue;
		}
		if (n - 4 < rlen) {
			r.needed = 4 + rlen;
			break;
		}
		smb_record(st, d, p + 4, rlen, false, ts);
		pos += 4 + rlen;
	}
	r.consumed = pos;
	if (pos < len) {
		if (flags & APP_F_EOF) {
			smb_count(st, SMB_CNT_TRUNCATED);
			r.consumed = len;
			r.needed = 0;
			return r;
		}
		r.status = APP_NEED_MORE;
	} else {
		r.needed = 0;
	}
	return r;
}

/* ---- app_proto hooks ------------------------------------------------------- */

static void *smb_state_new(const struct app_config *cfg)
{
	struct smb_state *st = calloc(1, sizeof(*st));
	if (st)
		st->cfg = cfg;
	return st;
}

static void smb_state_free(void *state)
{
	struct smb_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntx; i++)
		smb_tx_free(st->tx[i]);
	free(st->tx);
	for (size_t i = 0; i < st->ntrees; i++)
		buf_release(&st->trees[i].share);
	for (size_t i = 0; i < st->nfiles; i++)
		smb_file_free(st->files[i]);
	free(st);
}

static uint64_t smb_tx_count(void *state)
{
	return ((struct smb_state *)state)->next_id;
}

static void *smb_tx_get(void *state, uint64_t id)
{
	struct smb_state *st = state;
	if (id < st->first_id || id - st->first_id >= st->ntx)
		return NULL;
	return st->tx[id - st->first_id];
}

static bool smb_tx_done(void *vtx, bool eof)
{
	const struct smb_tx *tx = vtx;
	if (eof || tx->forced)
		return true;
	if (!tx->resp_seen || tx->pending)
		return false;
	return !tx->call || dcerpc_call_complete(tx->call);
}

static void smb_tx_free_upto(void *state, uint64_t upto)
{
	struct smb_state *st = state;
	size_t n = 0;
	while (n < st->ntx && st->tx[n]->id < upto)
		smb_tx_free(st->tx[n++]);
	if (!n)
		return;
	memmove(st->tx, st->tx + n, (st->ntx - n) * sizeof(*st->tx));
	st->ntx -= n;
	st->first_id = st->ntx ? st->tx[0]->id : st->next_id;
}

/* ---- EVE ------------------------------------------------------------------- */

static void smb_log_buf(struct jw *w, const char *key, const struct buf *b)
{
	jw_bytes(w, key, b->p ? b->p : (const uint8_t *)"", b->len);
}

/* Suricata's fuid_to_string byte order. */
static void smb_fuid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[9], g[8],
		 g[11], g[10], g[15], g[14], g[13], g[12]);
}

static void smb_guid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

static void smb_log_status(const struct smb_tx *tx, struct jw *w)
{
	char tmp[32];
	if (!tx->has_status)
		return;
	if (tx->dos_status) {
		const char *s = NULL;
		if (tx->errclass == 0) {
			s = "STATUS_SUCCESS";
		} else if (tx->errclass == 1) {
			s = SMB_LOOKUP(smb1_dos_errors, tx->errcode);
		} else if (tx->errclass == 2) {
			s = SMB_LOOKUP(smb1_srv_errors, tx->errcode);
		}
		if (!s) {
			snprintf(tmp, sizeof(tmp), "UNKNOWN_%02x_%04x", tx->errclass,
				 tx->errcode);
			s = tmp;
		}
		jw_str(w, "status", s);
		snprintf(tmp, sizeof(tmp), "0x%04x", tx->errcode);
		jw_str(w, "status_code", tmp);
		return;
	}
	const char *s = SMB_LOOKUP(smb_ntstatus_names, tx->status);
	if (s) {
		jw_str(w, "status", s);
	} else {
		snprintf(tmp, sizeof(tmp), "%u", tx->status);
		jw_str(w, "status", tmp);
	}
	snprintf(tmp, sizeof(tmp), "0x%x", tx->status);
	jw_str(w, "status_code", tmp);
}

static void smb_log_host(struct jw *w, const char *key, const struct buf *os,
			 const struct buf *lm)
{
	jw_open_obj(w, key);
	smb_log_buf(w, "native_os", os);
	smb_log_buf(w, "native_lm", lm);
	jw_close_obj(w);
}

static void smb_log_type(const struct smb_tx *tx, struct jw *w)
{
	static const char *const disp[6] = {"FILE_SUPERSEDE", "FILE_OPEN",
					    "FILE_CREATE", "FILE_OPEN_IF",
					    "FILE_OVERWRITE", "FILE_OVERWRITE_IF"};
	static const char *const share_types[4] = {"UNKNOWN", "FILE", "PIPE", "PRINT"};
	char g[37];
	switch (tx->type) {
	case SMB_TX_SESSION:
		if (tx->has_ntlmssp) {
			jw_open_obj(w, "ntlmssp");
			smb_log_buf(w, "domain", &tx->nt_domain);
			smb_log_buf(w, "user", &tx->nt_user);
			smb_log_buf(w, "host", &tx->nt_host);
			if (tx->nt_version[0])
				jw_str(w, "version", tx->nt_version);
			jw_close_obj(w);
		}
		if (tx->has_req_host)
			smb_log_host(w, "request", &tx->req_os, &tx->req_lm);
		if (tx->has_res_host)
			smb_log_host(w, "response", &tx->res_os, &tx->res_lm);
		break;
	case SMB_TX_CREATE:
		if (tx->filename.len)
			smb_log_buf(w, tx->directory ? "directory" : "filename", &tx->filename);
		else
			jw_str(w, "filename", "<share_root>");
		jw_str(w, "disposition", tx->disposition < 6 ? disp[tx->disposition] : "UNKNOWN");
		jw_str(w, "access", tx->delete_on_close ? "delete on close" : "normal");
		jw_u64(w, "created", tx->times[0]);
		jw_u64(w, "accessed", tx->times[1]);
		jw_u64(w, "modified", tx->times[2]);
		jw_u64(w, "changed", tx->times[3]);
		jw_u64(w, "size", tx->size);
		smb_fuid_str(tx->fid, g);
		jw_str(w, "fuid", g);
		break;
	case SMB_TX_NEGOTIATE: {
		jw_open_arr(w, "client_dialects");
		const char *s = (const char *)tx->dialects.p;
		for (unsigned i = 0; s && i < tx->ndialects; i++) {
			jw_bytes(w, NULL, (const uint8_t *)s, strlen(s));
			s += strlen(s) + 1;
		}
		jw_close_arr(w);
		if (tx->has_client_guid) {
			smb_guid_str(tx->client_guid, g);
			jw_str(w, "client_guid", g);
		}
		smb_guid_str(tx->server_guid, g);
		jw_str(w, "server_guid", g);
		if (tx->max_read)
			jw_u64(w, "max_read_size", tx->max_read);
		if (tx->max_write)
			jw_u64(w, "max_write_size", tx->max_write);
		break;
	}
	case SMB_TX_TREE:
		smb_log_buf(w, tx->is_pipe ? "named_pipe" : "share", &tx->share);
		if (tx->ver == 1) {
			jw_open_obj(w, "service");
			if (tx->has_svc_req)
				smb_log_buf(w, "request", &tx->svc_req);
			if (tx->has_svc_res)
				smb_log_buf(w, "response", &tx->svc_res);
			jw_close_obj(w);
		} else {
			jw_str(w, "share_type", share_types[tx->share_type < 4 ? tx->share_type : 0]);
		}
		break;
	case SMB_TX_FILE:
		smb_log_buf(w, "filename", &tx->filename);
		smb_log_buf(w, "share", &tx->share);
		if (tx->ver == 2) {
			smb_fuid_str(tx->fid, g);
			jw_str(w, "fuid", g);
		}
		break;
	case SMB_TX_RENAME:
		jw_open_obj(w, "set_info");
		jw_str(w, "class", "FILE_INFO");
		jw_str(w, "info_level", "SMB2_FILE_RENAME_INFO");
		jw_close_obj(w);
		jw_open_obj(w, "rename");
		smb_log_buf(w, "from", &tx->filename);
		smb_log_buf(w, "to", &tx->newname);
		jw_close_obj(w);
		smb_fuid_str(tx->fid, g);
		jw_str(w, "fuid", g);
		break;
	case SMB_TX_DISPOSITION:
		if (tx->filename.len)
			smb_log_buf(w, "filename", &tx->filename);
		else
			jw_str(w, "filename", "<share_root>");
		jw_str(w, "access", tx->delete_on_close ? "delete on close" : "normal");
		smb_fuid_str(tx->fid, g);
		jw_str(w, "fuid", g);
		break;
	case SMB_TX_IOCTL:
		if (!tx->call) {
			const char *f = SMB_LOOKUP(smb_fsctl_names, tx->ioctl_func);
			char tmp[16];
			if (!f) {
				snprintf(tmp, sizeof(tmp), "0x%08x", tx->ioctl_func);
				f = tmp;
			}
			jw_str(w, "function", f);
		}
		break;
	default:
		break;
	}
}

static void smb_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct smb_tx *tx = vtx;
	struct jw *w = lg->begin(lg, "smb", tx->ts);
	if (!w)
		return;
	jw_open_obj(w, "smb");
	jw_u64(w, "id", tx->id + 1);
	jw_str(w, "dialect", tx->dialect);
	if (tx->ver == 2) {
		if (tx->cmd < SMB2_CMD_MAX) {
			jw_str(w, "command", smb2_cmd_names[tx->cmd]);
		} else {
			char tmp[8];
			snprintf(tmp, sizeof(tmp), "%u", tx->cmd);
			jw_str(w, "command", tmp);
		}
	} else {
		const char *s = SMB_LOOKUP(smb1_cmd_names, tx->cmd);
		char tmp[32];
		if (!s) {
			snprintf(tmp, sizeof(tmp), "SMB1_COMMAND_UNKNOWN_%02x", tx->cmd);
			s = tmp;
		}
		jw_str(w, "command", s);
	}
	smb_log_status(tx, w);
	jw_u64(w, "session_id", tx->session_id);
	jw_u64(w, "tree_id", tx->tree_id);
	if (tx->call) {
		jw_open_obj(w, "dcerpc");
		dcerpc_call_log(tx->call, w, true);
		jw_close_obj(w);
	} else {
		smb_log_type(tx, w);
	}
	jw_close_obj(w);
	lg->end(lg);
}

/*
 * smb.share: tree connects to non-pipe shares; smb.named_pipe: tree
 * connects to IPC$-like pipe shares (Suricata) and, beyond Suricata, the
 * pipe name of a CREATE on such a tree ("srvsvc"); ntlmssp user/domain of
 * session setups; dcerpc.stub_data: idx 0 the reassembled request stub
 * (to server), idx 1 the response stub (to client).
 */
static bool smb_get_buffer(const void *vtx, enum app_buffer which, uint32_t idx,
			   const uint8_t **data, size_t *len)
{
	const struct smb_tx *tx = vtx;
	const struct buf *b = NULL;
	switch (which) {
	case APP_BUF_SMB_SHARE:
		if (tx->type == SMB_TX_TREE && !tx->is_pipe && idx == 0)
			b = &tx->share;
		break;
	case APP_BUF_SMB_NAMED_PIPE:
		if (idx == 0 && tx->is_pipe &&
		    (tx->type == SMB_TX_TREE || tx->type == SMB_TX_CREATE))
			b = tx->type == SMB_TX_TREE ? &tx->share : &tx->filename;
		break;
	case APP_BUF_SMB_NTLMSSP_USER:
		if (tx->has_ntlmssp && idx == 0)
			b = &tx->nt_user;
		break;
	case APP_BUF_SMB_NTLMSSP_DOMAIN:
		if (tx->has_ntlmssp && idx == 0)
			b = &tx->nt_domain;
		break;
	case APP_BUF_DCERPC_STUB_DATA:
		if (tx->call && idx < 2)
			b = &tx->call->stub[idx];
		break;
	default:
		break;
	}
	if (!b || !b->len)
		return false;
	*data = b->p;
	*len = b->len;
	return true;
}

static bool smb_dcerpc_info(const void *vtx, struct app_dcerpc_info *out)
{
	const struct smb_tx *tx = vtx;
	if (!tx->call)
		return false;
	dcerpc_call_info(tx->call, out);
	return true;
}

static const uint64_t *smb_counters(void *state)
{
	return ((struct smb_state *)state)->counters;
}

static const uint16_t smb_ports[] = {445, 139, 0};

/* NBSS session message (or session request/keepalive) holding SMB1/2/3. */
static int smb_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	if (!len)
		return -1;
	if (data[0] == 0x81 || data[0] == 0x85) {
		/* Session request / keepalive: decide on what follows. */
		if (len < 4)
			return -1;
		size_t rlen = ((size_t)data[1] << 16) | ((size_t)data[2] << 8) | data[3];
		if (data[0] == 0x85 && rlen)
			return 0;
		if (data[0] == 0x81 && (rlen < 68 || rlen > 256))
			return 0;
		return 1;
	}
	if (data[0] == 0x82 || data[0] == 0x83)
		return len < 4 ? -1 : (data[1] == 0 && data[2] == 0);
	if (data[0] != 0x00)
		return 0;
	if (len < 8)
		return -1;
	size_t rlen = ((size_t)data[1] << 16) | ((size_t)data[2] << 8) | data[3];
	if (rlen < 4 || memcmp(data + 5, "SMB", 3))
		return 0;
	return data[4] == 0xff || data[4] == 0xfe || data[4] == 0xfd ||
	       data[4] == 0xfc;
}

const struct app_proto app_smb = {
	.name = "smb",
	.id = APP_SMB,
	.tcp = true,
	.udp = false,
	.ports = smb_ports,
	.probe = smb_probe,
	.state_new = smb_state_new,
	.state_free = smb_state_free,
	.parse = smb_parse,
	.tx_count = smb_tx_count,
	.tx_get = smb_tx_get,
	.tx_done = smb_tx_done,
	.tx_free_upto = smb_tx_free_upto,
	.log_tx = smb_log_tx,
	.get_buffer = smb_get_buffer,
	.counter_names = smb_counter_names,
	.counters = smb_counters,
	.dcerpc_info = smb_dcerpc_info,
};
