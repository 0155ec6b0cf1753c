/*
 * SMTP: commands and replies, mail transactions and EVE "smtp" records.
 *
 * Why: mass-mailing bots (Storm) show up as SMTP sessions from hosts that
 * are not mail servers; the rule engine needs smtp.helo / mail_from /
 * rcpt_to and the EVE output needs Suricata's "smtp" record with its
 * "email" object (From, To, Subject... of the message headers).
 *
 * Why hand-written: it runs on the packet path over hostile bytes with
 * bounded memory; there is no Debian library that follows an SMTP dialogue
 * from both sides of a capture (libesmtp and friends are clients).
 *
 * Client side (TOSERVER) modes, one transition function each:
 *   CMD  --DATA-->            DATA   smtp_cmd_line()
 *   DATA --"." line-->        CMD    smtp_data_line() -> smtp_mail_end()
 *   CMD  --BDAT n-->          BDAT   smtp_cmd_line()  (n octets, no lines)
 *   BDAT --n octets read-->   CMD    smtp_parse_ts()  (LAST ends the mail)
 *   any  --220 to STARTTLS--> STOP   smtp_reply_line() (the rest is TLS)
 *   CMD  --0x16 after STARTTLS--> STOP (TLS seen before the reply)
 * Server side (TOCLIENT): reply lines "NNN-..." (continued) and "NNN ..."
 * (final); each final reply answers the oldest command still waiting
 * (pipelining, RFC 2920), at most SMTP_MAX_PENDING are remembered.
 *
 * Transactions follow Suricata: the first command of the session opens
 * one, MAIL/RCPT/DATA/BDAT open a new one once the previous is done; a
 * mail ends at the end of DATA, at BDAT ... LAST, at RSET, at a new
 * HELO/EHLO or a second MAIL FROM (those abandon the envelope), or when
 * STARTTLS is accepted.  The session's HELO is copied into every tx, so a
 * session with only HELO/QUIT still gives one record.
 *
 * Invariants: lines longer than cfg->max_line are counted and skipped
 * (commands, replies) or passed on in pieces (DATA content); kept values
 * are capped (SMTP_FIELD_CAP, SMTP_MAX_RCPT, cfg->body_limit for the
 * unstuffed message); transactions live in st->tx[0..ntx) with ids
 * first_id.. in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/jw.h"

#define SMTP_FIELD_CAP 1024	/* helo, addresses, one header value */
#define SMTP_MAX_RCPT 64
#define SMTP_MAX_PENDING 64	/* commands waiting for a reply */

#define SMTP_COUNTER_MAP(X)                                                   \
	X(LINE_TOO_LONG, "smtp.line_too_long")                                \
	X(UNKNOWN_COMMAND, "smtp.unknown_command")                            \
	X(BAD_SYNTAX, "smtp.bad_syntax")                                      \
	X(BAD_REPLY, "smtp.bad_reply")                                        \
	X(UNEXPECTED_REPLY, "smtp.unexpected_reply")                          \
	X(PIPELINE_OVERFLOW, "smtp.pipeline_overflow")                        \
	X(TOO_MANY_RCPT, "smtp.too_many_rcpt")                                \
	X(FIELD_TRUNCATED, "smtp.field_truncated")                            \
	X(BODY_TRUNCATED, "smtp.body_truncated")                              \
	X(DATA_INCOMPLETE, "smtp.data_incomplete")                            \
	X(GAP, "smtp.gap")                                                    \
	X(TX_OVERFLOW, "smtp.tx_overflow")

enum smtp_counter {
#define SMTP_CNT_ENUM(id, name) SMTP_CNT_##id,
	SMTP_COUNTER_MAP(SMTP_CNT_ENUM)
#undef SMTP_CNT_ENUM
	SMTP_CNT_MAX
};

static const char *const smtp_counter_names[] = {
#define SMTP_CNT_NAME(id, name) name,
	SMTP_COUNTER_MAP(SMTP_CNT_NAME)
#undef SMTP_CNT_NAME
	NULL
};

enum smtp_cmd {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_QUIT,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
	SMTP_CMD_OTHER,		/* NOOP, VRFY, HELP...: known, no effect */
	SMTP_CMD_AUTH_DATA,	/* a line of an AUTH exchange */
	SMTP_CMD_DATA_END,	/* the "." that ends DATA */
};

static const struct {
	const char *word;
	enum smtp_cmd cmd;
} smtp_cmds[] = {
	{"HELO", SMTP_CMD_HELO},       {"EHLO", SMTP_CMD_EHLO},
	{"LHLO", SMTP_CMD_EHLO},       {"MAIL", SMTP_CMD_MAIL},
	{"RCPT", SMTP_CMD_RCPT},       {"DATA", SMTP_CMD_DATA},
	{"BDAT", SMTP_CMD_BDAT},       {"RSET", SMTP_CMD_RSET},
	{"QUIT", SMTP_CMD_QUIT},       {"STARTTLS", SMTP_CMD_STARTTLS},
	{"AUTH", SMTP_CMD_AUTH},       {"NOOP", SMTP_CMD_OTHER},
	{"VRFY", SMTP_CMD_OTHER},      {"EXPN", SMTP_CMD_OTHER},
	{"HELP", SMTP_CMD_OTHER},      {"TURN", SMTP_CMD_OTHER},
	{"ETRN", SMTP_CMD_OTHER},      {"XCLIENT", SMTP_CMD_OTHER},
	{"XFORWARD", SMTP_CMD_OTHER},  {"SEND", SMTP_CMD_OTHER},
	{"SOML", SMTP_CMD_OTHER},      {"SAML", SMTP_CMD_OTHER},
};

/* Message header fields noted in the email object, EVE key and field name. */
enum smtp_hdr {
	SMTP_H_FROM,
	SMTP_H_TO,
	SMTP_H_CC,
	SMTP_H_SUBJECT,
	SMTP_H_MESSAGE_ID,
	SMTP_H_X_MAILER,
	SMTP_H_DATE,
	SMTP_H_MAX
};

static const struct {
	const char *field;	/* lower case */
	const char *key;
	bool list;		/* comma-separated list logged as an array */
} smtp_hdrs[SMTP_H_MAX] = {
	[SMTP_H_FROM] = {"from", "from", false},
	[SMTP_H_TO] = {"to", "to", true},
	[SMTP_H_CC] = {"cc", "cc", true},
	[SMTP_H_SUBJECT] = {"subject", "subject", false},
	[SMTP_H_MESSAGE_ID] = {"message-id", "message_id", false},
	[SMTP_H_X_MAILER] = {"x-mailer", "x_mailer", false},
	[SMTP_H_DATE] = {"date", "date", false},
};

/* Suricata's MIME parser states, as logged in email.status. */
enum smtp_mime {
	SMTP_MIME_NONE = 0,
	SMTP_MIME_HEADER_READY,
	SMTP_MIME_HEADER_STARTED,
	SMTP_MIME_BODY_STARTED,
	SMTP_MIME_PARSE_DONE,
};

static const char *const smtp_mime_names[] = {
	NULL, "HEADER_READY", "HEADER_STARTED", "BODY_STARTED", "PARSE_DONE",
};

struct smtp_tx {
	uint64_t id;
	uint64_t ts;			/* time of the last change */
	struct buf helo, mail_from;	/* owned, capped */
	struct buf rcpt[SMTP_MAX_RCPT];
	unsigned nrcpt;
	bool data_seen;			/* DATA accepted: email object logged */
	bool bdat_seen;
	uint8_t mime;			/* enum smtp_mime */
	struct buf hdr[SMTP_H_MAX];	/* first occurrence of each field */
	struct buf body;		/* unstuffed message, cfg->body_limit */
	bool done;
};

enum smtp_mode { SMTP_M_CMD, SMTP_M_DATA, SMTP_M_BDAT, SMTP_M_STOP };

struct smtp_state {
	const struct app_config *cfg;	/* borrowed */
	struct smtp_tx **tx;		/* owned; ids first_id .. first_id+ntx */
	size_t ntx, cap;
	uint64_t first_id, next_id;
	struct smtp_tx *cur;		/* the open mail, or NULL */
	struct buf helo;		/* session's HELO/EHLO argument */
	enum smtp_mode mode;		/* client side */
	bool discard[2];		/* skipping the rest of a too-long line */
	bool line_start;		/* DATA: next byte starts a line */
	bool in_headers;		/* DATA: still in the header block */
	int cur_hdr;			/* DATA: field being continued, -1 none */
	uint64_t data_bytes;		/* DATA: content bytes seen */
	uint64_t bdat_left;
	bool bdat_last;
	bool auth;			/* client lines are an AUTH exchange */
	bool starttls;			/* STARTTLS sent, reply not seen */
	bool greeted;
	uint8_t pending[SMTP_MAX_PENDING];	/* ring of enum smtp_cmd */
	size_t pend_head, npend;
	uint64_t counters[SMTP_CNT_MAX];
};

static const uint16_t smtp_ports[] = {25, 587, 2525, 0};

static void smtp_count(struct smtp_state *st, enum smtp_counter c)
{
	st->counters[c]++;
}

/* Counts malformed input; debug builds also record this source line
 * (MAMORI_FORMAT_ERR) so a fuzz finding points at the check. */
#define SMTP_BAD(st, c) ((void)MAMORI_FORMAT_ERR(), smtp_count((st), (c)))

static size_t smtp_max_line(const struct smtp_state *st)
{
	return st->cfg && st->cfg->max_line ? st->cfg->max_line : 16384;
}

static uint8_t smtp_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Does p[0..n) start with word (ASCII, any case)? */
static bool smtp_iprefix(const uint8_t *p, size_t n, const char *word)
{
	size_t l = strlen(word);
	if (n < l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (smtp_lower(p[i]) != smtp_lower((uint8_t)word[i]))
			return false;
	return true;
}

/* Sets a capped value (replacing it); counts a truncation. */
static void smtp_set(struct smtp_state *st, struct buf *b, const uint8_t *p,
		     size_t n)
{
	buf_reset(b);
	if (n > SMTP_FIELD_CAP) {
		smtp_count(st, SMTP_CNT_FIELD_TRUNCATED);
		n = SMTP_FIELD_CAP;
	}
	(void)buf_append(b, p, n);
}

/* ---- transactions -------------------------------------------------------- */

static void smtp_tx_free(struct smtp_tx *tx)
{
	buf_release(&tx->helo);
	buf_release(&tx->mail_from);
	for (unsigned i = 0; i < tx->nrcpt; i++)
		buf_release(&tx->rcpt[i]);
	for (int i = 0; i < SMTP_H_MAX; i++)
		buf_release(&tx->hdr[i]);
	buf_release(&tx->body);
	free(tx);
}

static struct smtp_tx *smtp_tx_new(struct smtp_state *st, uint64_t ts)
{
	size_t hard = st->cfg && st->cfg->max_tx ? st->cfg->max_tx : 1024;
	if (st->ntx >= hard) {
		smtp_count(st, SMTP_CNT_TX_OVERFLOW);
		return NULL;
	}
	if (st->ntx == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 4;
		struct smtp_tx **n = realloc(st->tx, nc * sizeof(*n));
		if (!n)
			return NULL;
		st->tx = n;
		st->cap = nc;
	}
	struct smtp_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	buf_init(&tx->helo, SMTP_FIELD_CAP);
	buf_init(&tx->mail_from, SMTP_FIELD_CAP);
	for (int i = 0; i < SMTP_H_MAX; i++)
		buf_init(&tx->hdr[i], SMTP_FIELD_CAP);
	buf_init(&tx->body, st->cfg && st->cfg->body_limit ? st->cfg->body_limit
							   : 1024 * 1024);
	if (st->helo.len)
		(void)buf_append(&tx->helo, st->helo.p, st->helo.len);
	tx->id = st->next_id++;
	tx->ts = ts;
	st->tx[st->ntx++] = tx;
	return tx;
}

/* The open mail, opened when needed (NULL when over the tx cap). */
static struct smtp_tx *smtp_cur(struct smtp_state *st, uint64_t ts)
{
	if (!st->cur)
		st->cur = smtp_tx_new(st, ts);
	if (st->cur)
		st->cur->ts = ts;
	return st->cur;
}

static void smtp_finish(struct smtp_state *st)
{
	if (st->cur)
		st->cur->done = true;
	st->cur = NULL;
}

static bool smtp_has_mail(const struct smtp_tx *tx)
{
	return tx && (tx->mail_from.len || tx->nrcpt || tx->data_seen ||
		      tx->bdat_seen);
}

static void smtp_push(struct smtp_state *st, enum smtp_cmd cmd)
{
	if (st->npend == SMTP_MAX_PENDING) {
		/* Forget the oldest: its reply will be matched one off. */
		smtp_count(st, SMTP_CNT_PIPELINE_OVERFLOW);
		st->pend_head = (st->pend_head + 1) % SMTP_MAX_PENDING;
		st->npend--;
	}
	st->pending[(st->pend_head + st->npend) % SMTP_MAX_PENDING] = (uint8_t)cmd;
	st->npend++;
}

/* ---- client side --------------------------------------------------------- */

/* First argument token after `skip` bytes: spaces skipped, up to a space. */
static void smtp_arg(const uint8_t *p, size_t n, size_t skip,
		     const uint8_t **a, size_t *al)
{
	size_t i = skip < n ? skip : n;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t s = i;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	*a = p + s;
	*al = i - s;
}

/* "MAIL FROM:<x>" / "RCPT TO:<x>": the address token after kw and ':'. */
static bool smtp_path_arg(const uint8_t *p, size_t n, const char *kw,
			  const uint8_t **a, size_t *al)
{
	size_t i = 4;
	while (i < n && p[i] == ' ')
		i++;
	if (!smtp_iprefix(p + i, n - i, kw))
		return false;
	i += strlen(kw);
	while (i < n && p[i] == ' ')
		i++;
	if (i >= n || p[i] != ':')
		return false;
	smtp_arg(p, n, i + 1, a, al);
	return true;
}

static enum smtp_cmd smtp_lookup(const uint8_t *p, size_t n)
{
	size_t w = 0;
	while (w < n && p[w] != ' ' && p[w] != '\t')
		w++;
	for (size_t i = 0; i < sizeof(smtp_cmds) / sizeof(smtp_cmds[0]); i++)
		if (strlen(smtp_cmds[i].word) == w &&
		    smtp_iprefix(p, n, smtp_cmds[i].word))
			return smtp_cmds[i].cmd;
	return SMTP_CMD_UNKNOWN;
}

/* BDAT size [LAST]; false on bad syntax. */
static bool smtp_bdat_arg(const uint8_t *p, size_t n, uint64_t *size, bool *last)
{
	const uint8_t *a;
	size_t al;
	smtp_arg(p, n, 4, &a, &al);
	if (!al || al > 18)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < al; i++) {
		if (a[i] < '0' || a[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(a[i] - '0');
	}
	const uint8_t *b;
	size_t bl;
	smtp_arg(p, n, (size_t)(a + al - p), &b, &bl);
	*last = false;
	if (bl) {
		if (bl != 4 || !smtp_iprefix(b, bl, "LAST"))
			return false;
		*last = true;
		size_t rest = (size_t)(b + bl - p);
		while (rest < n && p[rest] == ' ')
			rest++;
		if (rest != n)
			return false;
	}
	*size = v;
	return true;
}

static void smtp_mail_end(struct smtp_state *st, uint64_t ts)
{
	struct smtp_tx *tx = st->cur;
	if (tx) {
		if (tx->data_seen)
			tx->mime = SMTP_MIME_PARSE_DONE;
		tx->ts = ts;
	}
	smtp_finish(st);
}

/* One command line (without its line ending). */
static void smtp_cmd_line(struct smtp_state *st, const uint8_t *p, size_t n,
			  uint64_t ts)
{
	const uint8_t *a;
	size_t al;
	enum smtp_cmd cmd = smtp_lookup(p, n);

	if (st->auth) {
		/* Base64 lines carry no space; a command line ends the exchange. */
		if (cmd == SMTP_CMD_UNKNOWN || memchr(p, ' ', n) == NULL) {
			if (!(cmd == SMTP_CMD_QUIT || cmd == SMTP_CMD_RSET)) {
				smtp_push(st, SMTP_CMD_AUTH_DATA);
				return;
			}
		}
		st->auth = false;
	}
	if (cmd == SMTP_CMD_UNKNOWN) {
		SMTP_BAD(st, SMTP_CNT_UNKNOWN_COMMAND);
		smtp_push(st, cmd);
		return;
	}
	smtp_push(st, cmd);
	/* The session's first command opens its first transaction. */
	if (st->next_id == 0 && !st->cur)
		(void)smtp_cur(st, ts);

	switch (cmd) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		smtp_arg(p, n, 4, &a, &al);
		if (!al) {
			/* Servers reject it (501): nothing is reset. */
			SMTP_BAD(st, SMTP_CNT_BAD_SYNTAX);
			break;
		}
		smtp_set(st, &st->helo, a, al);
		if (smtp_has_mail(st->cur))
			smtp_finish(st);	/* HELO resets like RSET */
		else if (st->cur)
			smtp_set(st, &st->cur->helo, a, al);
		break;
	case SMTP_CMD_MAIL:
		if (!smtp_path_arg(p, n, "FROM", &a, &al)) {
			SMTP_BAD(st, SMTP_CNT_BAD_SYNTAX);
			break;
		}
		if (st->cur && st->cur->mail_from.len)
			smtp_finish(st);	/* a new mail without RSET */
		if (smtp_cur(st, ts))
			smtp_set(st, &st->cur->mail_from, a, al);
		break;
	case SMTP_CMD_RCPT:
		if (!smtp_path_arg(p, n, "TO", &a, &al)) {
			SMTP_BAD(st, SMTP_CNT_BAD_SYNTAX);
			break;
		}
		if (!smtp_cur(st, ts))
			break;
		if (st->cur->nrcpt >= SMTP_MAX_RCPT) {
			smtp_count(st, SMTP_CNT_TOO_MANY_RCPT);
			break;
		}
		buf_init(&st->cur->rcpt[st->cur->nrcpt], SMTP_FIELD_CAP);
		smtp_set(st, &st->cur->rcpt[st->cur->nrcpt++], a, al);
		break;
	case SMTP_CMD_DATA:
		/* Content follows even when no tx could be kept for it. */
		if (smtp_cur(st, ts)) {
			st->cur->data_seen = true;
			st->cur->mime = SMTP_MIME_HEADER_READY;
		}
		st->mode = SMTP_M_DATA;
		st->line_start = true;
		st->in_headers = true;
		st->cur_hdr = -1;
		st->data_bytes = 0;
		break;
	case SMTP_CMD_BDAT: {
		uint64_t size;
		bool last;
		if (!smtp_bdat_arg(p, n, &size, &last)) {
			SMTP_BAD(st, SMTP_CNT_BAD_SYNTAX);
			break;
		}
		if (smtp_cur(st, ts))
			st->cur->bdat_seen = true;
		st->bdat_left = size;
		st->bdat_last = last;
		if (size)
			st->mode = SMTP_M_BDAT;
		else if (last)
			smtp_mail_end(st, ts);
		break;
	}
	case SMTP_CMD_RSET:
		if (smtp_has_mail(st->cur))
			smtp_finish(st);
		break;
	case SMTP_CMD_STARTTLS:
		st->starttls = true;
		break;
	case SMTP_CMD_AUTH:
		st->auth = true;
		break;
	default:
		break;
	}
}

/* Notes a header field of the message (first occurrence wins). */
static void smtp_header_line(struct smtp_state *st, struct smtp_tx *tx,
			     const uint8_t *p, size_t n)
{
	if (n && (p[0] == ' ' || p[0] == '\t')) {
		/* Folded continuation of the previous field. */
		if (st->cur_hdr >= 0) {
			struct buf *b = &tx->hdr[st->cur_hdr];
			if (buf_append(b, p, n) != 0)
				smtp_count(st, SMTP_CNT_FIELD_TRUNCATED);
		}
		return;
	}
	st->cur_hdr = -1;
	const uint8_t *colon = memchr(p, ':', n);
	if (!colon)
		return;
	size_t nl = (size_t)(colon - p);
	for (int i = 0; i < SMTP_H_MAX; i++) {
		if (strlen(smtp_hdrs[i].field) != nl ||
		    !smtp_iprefix(p, nl, smtp_hdrs[i].field))
			continue;
		if (tx->hdr[i].len)
			return;
		size_t v = nl + 1;
		while (v < n && (p[v] == ' ' || p[v] == '\t'))
			v++;
		smtp_set(st, &tx->hdr[i], p + v, n - v);
		st->cur_hdr = i;
		return;
	}
}

/* Keeps message bytes up to the body limit; the first loss is counted. */
static void smtp_body_add(struct smtp_state *st, struct smtp_tx *tx,
			  const uint8_t *p, size_t n)
{
	if (tx->body.len >= tx->body.max)
		return;
	size_t room = tx->body.max - tx->body.len;
	size_t k = n < room ? n : room;
	(void)buf_append(&tx->body, p, k);
	if (k < n)
		smtp_count(st, SMTP_CNT_BODY_TRUNCATED);
}

/*
 * DATA content: p[0..n) is a whole line with its ending when eol, or a
 * piece of an over-long line (or of one cut by the end of the stream).
 */
static void smtp_data_line(struct smtp_state *st, const uint8_t *p, size_t n,
			   bool eol, uint64_t ts)
{
	struct smtp_tx *tx = st->cur;
	size_t body = n;	/* without the line ending */
	if (eol) {
		body--;
		if (body && p[body - 1] == '\r')
			body--;
	}
	bool at_start = st->line_start;
	st->line_start = eol;
	if (at_start && eol && body == 1 && p[0] == '.') {
		smtp_push(st, SMTP_CMD_DATA_END);
		st->mode = SMTP_M_CMD;
		smtp_mail_end(st, ts);
		return;
	}
	if (at_start && n && p[0] == '.') {
		p++;		/* dot-unstuffing (RFC 5321 4.5.2) */
		n--;
		body--;
	}
	st->data_bytes += n;
	if (!tx)
		return;
	tx->ts = ts;
	if (st->in_headers) {
		if (at_start && body == 0 && eol) {
			st->in_headers = false;
			tx->mime = SMTP_MIME_BODY_STARTED;
		} else {
			tx->mime = SMTP_MIME_HEADER_STARTED;
			if (at_start)
				smtp_header_line(st, tx, p, body);
		}
	}
	smtp_body_add(st, tx, p, n);
}

/* ---- server side --------------------------------------------------------- */

static void smtp_reply_line(struct smtp_state *st, const uint8_t *p, size_t n,
			    uint64_t ts)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (n > 3 && p[3] != ' ' && p[3] != '-')) {
		SMTP_BAD(st, SMTP_CNT_BAD_REPLY);
		return;
	}
	if (n > 3 && p[3] == '-')
		return;		/* multi-line reply goes on */
	unsigned code = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
			(unsigned)(p[2] - '0');
	if (!st->greeted) {
		/* The greeting, even when the client's first command was read
		 * before it. */
		st->greeted = true;
		if (code == 220 || !st->npend)
			return;
	}
	if (!st->npend) {
		smtp_count(st, SMTP_CNT_UNEXPECTED_REPLY);
		return;
	}
	enum smtp_cmd cmd = st->pending[st->pend_head];
	st->pend_head = (st->pend_head + 1) % SMTP_MAX_PENDING;
	st->npend--;
	switch (cmd) {
	case SMTP_CMD_STARTTLS:
		st->starttls = false;
		if (code == 220) {
			st->mode = SMTP_M_STOP;
			smtp_finish(st);
		}
		break;
	case SMTP_CMD_DATA:
		/* Rejected before any content: back to commands. */
		if (code != 354 && st->mode == SMTP_M_DATA && !st->data_bytes &&
		    st->line_start) {
			st->mode = SMTP_M_CMD;
			if (st->cur) {
				st->cur->data_seen = false;
				st->cur->mime = SMTP_MIME_NONE;
				st->cur->ts = ts;
			}
		}
		break;
	case SMTP_CMD_AUTH:
	case SMTP_CMD_AUTH_DATA:
		if (code != 334)
			st->auth = false;
		break;
	default:
		break;
	}
}

/* ---- parse --------------------------------------------------------------- */

/*
 * Splits data into lines for one side and hands them over; returns the
 * bytes consumed.  Over-long lines are counted and, for commands and
 * replies, skipped up to their end; DATA content is passed on in pieces.
 */
static size_t smtp_lines(struct smtp_state *st, int dir, const uint8_t *data,
			 size_t len, unsigned flags, uint64_t ts)
{
	struct cursor c;
	cur_init(&c, data, len);
	size_t max = smtp_max_line(st);
	while (cur_len(&c)) {
		if (st->mode == SMTP_M_STOP)
			return len;	/* TLS from here on, both ways */
		if (dir == APP_DIR_TOSERVER) {
			if (st->mode == SMTP_M_BDAT) {
				size_t take = cur_len(&c);
				if (st->bdat_left < take)
					take = (size_t)st->bdat_left;
				const uint8_t *p = c.p;
				(void)cur_bytes(&c, take, &p);
				if (st->cur)
					smtp_body_add(st, st->cur, p, take);
				st->bdat_left -= take;
				if (!st->bdat_left) {
					st->mode = SMTP_M_CMD;
					if (st->bdat_last)
						smtp_mail_end(st, ts);
				}
				continue;
			}
			if (st->mode == SMTP_M_CMD && st->starttls &&
			    !st->discard[dir] && c.p[0] == 0x16) {
				/* A TLS record before the reply: TLS began. */
				st->mode = SMTP_M_STOP;
				smtp_finish(st);
				return len;
			}
		}
		const uint8_t *lf = memchr(c.p, '\n', cur_len(&c));
		size_t n = lf ? (size_t)(lf - c.p) + 1 : cur_len(&c);
		bool eol = lf != NULL;
		bool data_mode = dir == APP_DIR_TOSERVER && st->mode == SMTP_M_DATA;
		if (!eol && st->discard[dir] && !data_mode) {
			(void)cur_skip(&c, n);	/* still inside a skipped line */
			continue;
		}
		if (!eol) {
			if (n <= max && !(flags & APP_F_EOF))
				break;	/* wait for the rest of the line */
			if (n > max && !st->discard[dir] &&
			    !(data_mode && !st->line_start))
				SMTP_BAD(st, SMTP_CNT_LINE_TOO_LONG);
		} else if (n > max + 2 && !st->discard[dir] &&
			   !(data_mode && !st->line_start)) {
			SMTP_BAD(st, SMTP_CNT_LINE_TOO_LONG);
			if (!data_mode)
				st->discard[dir] = true;
		}
		const uint8_t *p = c.p;	/* cur_bytes cannot fail: n <= cur_len */
		(void)cur_bytes(&c, n, &p);
		if (data_mode) {
			smtp_data_line(st, p, n, eol, ts);
			continue;
		}
		if (st->discard[dir] || (!eol && n > max)) {
			st->discard[dir] = !eol;
			continue;
		}
		size_t body = n;
		if (eol) {
			body--;
			if (body && p[body - 1] == '\r')
				body--;
		}
		if (dir == APP_DIR_TOSERVER)
			smtp_cmd_line(st, p, body, ts);
		else
			smtp_reply_line(st, p, body, ts);
	}
	return len - cur_len(&c);
}

static struct app_result smtp_parse(void *state, int dir, const uint8_t *data,
				    size_t len, unsigned flags, uint64_t ts)
{
	struct smtp_state *st = state;
	struct app_result r = {APP_OK, 0, 0};
	dir = dir == APP_DIR_TOCLIENT ? APP_DIR_TOCLIENT : APP_DIR_TOSERVER;

	if (flags & APP_F_GAP) {
		smtp_count(st, SMTP_CNT_GAP);
		if (dir == APP_DIR_TOSERVER && st->mode == SMTP_M_BDAT)
			st->mode = SMTP_M_CMD;	/* the octet count is lost */
		if (dir == APP_DIR_TOSERVER && st->mode == SMTP_M_DATA)
			st->line_start = false;
		else
			st->discard[dir] = true;	/* resync at the next line */
	}
	r.consumed = smtp_lines(st, dir, data, len, flags, ts);
	if (r.consumed < len) {
		r.status = APP_NEED_MORE;
		return r;
	}
	if ((flags & APP_F_EOF) && dir == APP_DIR_TOSERVER &&
	    (st->mode == SMTP_M_DATA || st->mode == SMTP_M_BDAT))
		smtp_count(st, SMTP_CNT_DATA_INCOMPLETE);
	return r;
}

/* ---- app_proto hooks ----------------------------------------------------- */

static void *smtp_state_new(const struct app_config *cfg)
{
	struct smtp_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = cfg;
	st->cur_hdr = -1;
	st->line_start = true;
	buf_init(&st->helo, SMTP_FIELD_CAP);
	return st;
}

static void smtp_state_free(void *state)
{
	struct smtp_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntx; i++)
		smtp_tx_free(st->tx[i]);
	free(st->tx);
	buf_release(&st->helo);
	free(st);
}

static uint64_t smtp_tx_count(void *state)
{
	return ((struct smtp_state *)state)->next_id;
}

static void *smtp_tx_get(void *state, uint64_t id)
{
	struct smtp_state *st = state;
	if (id < st->first_id || id - st->first_id >= st->ntx)
		return NULL;
	return st->tx[id - st->first_id];
}

static bool smtp_tx_done(void *vtx, bool eof)
{
	return ((struct smtp_tx *)vtx)->done || eof;
}

static void smtp_tx_free_upto(void *state, uint64_t upto)
{
	struct smtp_state *st = state;
	size_t n = 0;
	while (n < st->ntx && st->tx[n]->id < upto) {
		if (st->tx[n] == st->cur)
			st->cur = NULL;
		smtp_tx_free(st->tx[n++]);
	}
	if (!n)
		return;
	memmove(st->tx, st->tx + n, (st->ntx - n) * sizeof(*st->tx));
	st->ntx -= n;
	st->first_id = st->ntx ? st->tx[0]->id : st->next_id;
}

/* An address list header as an array: split at commas outside double
 * quotes, pieces left-trimmed, empty ones dropped (as Suricata does). */
static void smtp_log_list(struct jw *w, const char *key, const struct buf *b)
{
	jw_open_arr(w, key);
	size_t i = 0;
	while (i < b->len) {
		size_t s = i;
		bool quoted = false;
		while (i < b->len && (quoted || b->p[i] != ',')) {
			if (b->p[i] == '"')
				quoted = !quoted;
			i++;
		}
		size_t e = i++;
		while (s < e && (b->p[s] == ' ' || b->p[s] == '\t'))
			s++;
		if (s < e)
			jw_bytes(w, NULL, b->p + s, e - s);
	}
	jw_close_arr(w);
}

static void smtp_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct smtp_tx *tx = vtx;
	struct jw *w = lg->begin(lg, "smtp", tx->ts);
	if (!w)
		return;
	jw_open_obj(w, "smtp");
	if (tx->helo.len)
		jw_bytes(w, "helo", tx->helo.p, tx->helo.len);
	if (tx->mail_from.len)
		jw_bytes(w, "mail_from", tx->mail_from.p, tx->mail_from.len);
	if (tx->nrcpt) {
		jw_open_arr(w, "rcpt_to");
		for (unsigned i = 0; i < tx->nrcpt; i++)
			jw_bytes(w, NULL, tx->rcpt[i].p, tx->rcpt[i].len);
		jw_close_arr(w);
	}
	jw_close_obj(w);
	if (tx->data_seen && tx->mime != SMTP_MIME_NONE) {
		jw_open_obj(w, "email");
		jw_str(w, "status", smtp_mime_names[tx->mime]);
		for (int i = 0; i < SMTP_H_MAX; i++) {
			const struct buf *b = &tx->hdr[i];
			if (!b->len)
				continue;
			if (smtp_hdrs[i].list)
				smtp_log_list(w, smtp_hdrs[i].key, b);
			else
				jw_bytes(w, smtp_hdrs[i].key, b->p, b->len);
		}
		jw_close_obj(w);
	}
	lg->end(lg);
}

static bool smtp_get_buffer(const void *vtx, enum app_buffer which,
			    uint32_t idx, const uint8_t **data, size_t *len)
{
	const struct smtp_tx *tx = vtx;
	const struct buf *b = NULL;
	switch (which) {
	case APP_BUF_SMTP_HELO:
		b = idx == 0 ? &tx->helo : NULL;
		break;
	case APP_BUF_SMTP_MAIL_FROM:
		b = idx == 0 ? &tx->mail_from : NULL;
		break;
	case APP_BUF_SMTP_RCPT_TO:
		b = idx < tx->nrcpt ? &tx->rcpt[idx] : NULL;
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

static const uint64_t *smtp_counters(void *state)
{
	return ((struct smtp_state *)state)->counters;
}

/* Does p[0..n) contain word (ASCII, any case)? */
static bool smtp_icontains(const uint8_t *p, size_t n, const char *word)
{
	size_t l = strlen(word);
	for (size_t i = 0; i + l <= n; i++)
		if (smtp_iprefix(p + i, n - i, word))
			return true;
	return false;
}

/*
 * Server side: a "220" greeting that names (E)SMTP, so FTP's "220" is not
 * taken for mail (a greeting that names neither is left to the client
 * side).  Client side: HELO/EHLO.
 */
static int smtp_probe(const uint8_t *data, size_t len, int dir)
{
	static const char *const client[] = {"EHLO", "HELO"};
	if (dir == APP_DIR_TOCLIENT) {
		const char *g = "220";
		for (size_t i = 0; i < 3; i++) {
			if (i >= len)
				return -1;
			if (data[i] != (uint8_t)g[i])
				return 0;
		}
		if (len < 4)
			return -1;
		if (data[3] != ' ' && data[3] != '-' && data[3] != '\r')
			return 0;
		size_t n = len < 1024 ? len : 1024;
		if (smtp_icontains(data, n, "FTP"))
			return 0;
		if (smtp_icontains(data, n, "SMTP"))
			return 1;
		/* Undecided until the last greeting line ("220 ...") is whole. */
		for (size_t i = 0; i + 4 < n; i++)
			if ((i == 0 || data[i - 1] == '\n') && data[i + 3] == ' ' &&
			    memchr(data + i, '\n', n - i))
				return 0;
		return n < 1024 ? -1 : 0;
	}
	for (size_t k = 0; k < 2; k++) {
		bool match = true;
		for (size_t i = 0; i < 4 && i < len; i++)
			if (smtp_lower(data[i]) != smtp_lower((uint8_t)client[k][i]))
				match = false;
		if (!match)
			continue;
		if (len < 5)
			return -1;
		return data[4] == ' ' || data[4] == '\r' || data[4] == '\n' ? 1 : 0;
	}
	return 0;
}

const struct app_proto app_smtp = {
	.name = "smtp",
	.id = APP_SMTP,
	.tcp = true,
	.udp = false,
	.ports = smtp_ports,
	.probe = smtp_probe,
	.state_new = smtp_state_new,
	.state_free = smtp_state_free,
	.parse = smtp_parse,
	.tx_count = smtp_tx_count,
	.tx_get = smtp_tx_get,
	.tx_done = smtp_tx_done,
	.tx_free_upto = smtp_tx_free_upto,
	.log_tx = smtp_log_tx,
	.get_buffer = smtp_get_buffer,
	.counter_names = smtp_counter_names,
	.counters = smtp_counters,
};
