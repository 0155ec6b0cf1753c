/*
 * DNS over UDP and TCP: messages, transactions and EVE "dns" records.
 *
 * Why: DNS is where bots show themselves first (MX bursts, DGA NXDOMAIN
 * storms, lookups of listed C&C names); the rule engine needs the query
 * names and the EVE output needs Suricata 7's "dns" records (query records
 * per question, one "answer" record per response, version 2 detailed +
 * grouped answers).
 *
 * Why hand-written: it sits on the packet path and reads hostile bytes; no
 * Debian library parses DNS messages from a capture with bounded memory
 * and without trusting the section counts (libresolv's ns_parse works on a
 * message but follows the counts and gives no loop diagnostics).
 *
 * Framing: with APP_F_DATAGRAM each parse() call is one whole message
 * (UDP); otherwise bytes are a TCP stream of 2-byte length-prefixed
 * messages, several per call or split across calls (NEED_MORE with the
 * wanted length).  A bad message never stops the flow: it is counted
 * ("dns.malformed" plus a reason counter) and the next datagram or
 * length-framed message is parsed.  Only a TCP gap (framing lost) returns
 * APP_ERROR.
 *
 * Invariants:
 *  - every byte is read through a cursor over the whole message; names
 *    are decompressed with pointers that must point strictly before the
 *    start of the label run they interrupt (so each jump goes further back
 *    and decompression ends), at most DNS_MAX_JUMPS jumps, 255 bytes of
 *    wire name and 63-byte labels;
 *  - a message keeps at most DNS_MAX_QUESTIONS questions and DNS_MAX_RRS
 *    records per section, and its decoded text at most DNS_TEXT_CAP bytes;
 *  - transactions live in st->tx[0..ntx) with ids first_id.. in order;
 *    a query waits for the response with the same id (and first question),
 *    a response without a query is a transaction of its own; a query still
 *    unanswered when more than DNS_MAX_PENDING queries wait, or when the
 *    list reaches cfg->max_tx, is marked done ("dns.unanswered").
 *
 * The QR bit, not the flow direction, says query or response, so flows
 * whose first packet was missed (or that were set up reversed) still pair.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/jw.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_QUESTIONS 16
#define DNS_MAX_RRS 64		/* records kept per section */
#define DNS_TEXT_CAP (64u * 1024u)
#define DNS_NAME_MAX 255	/* wire length of a name; longer ones are cut */
#define DNS_NAME_WALK_MAX 1025	/* wire bytes followed before giving up */
#define DNS_LABEL_MAX 63
#define DNS_MAX_JUMPS 64
#define DNS_MAX_PENDING 64	/* unanswered queries kept waiting */

#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_Z 0x0040u

/*
 * A decoding check failed: returns the counter that explains it and, in
 * debug builds, records this source line (MAMORI_FORMAT_ERR) so a fuzz
 * finding or a rejected message points at the check.
 */
#define DNS_FAIL(why) ((void)MAMORI_FORMAT_ERR(), (why))

/* Anomaly counters: one list makes the enum and the names. */
#define DNS_COUNTER_MAP(X)                                                    \
	X(MALFORMED, "dns.malformed")                                         \
	X(TRUNCATED, "dns.truncated")                                         \
	X(NAME_LOOP, "dns.name_loop")                                         \
	X(BAD_POINTER, "dns.bad_pointer")                                     \
	X(BAD_LABEL, "dns.bad_label")                                         \
	X(NAME_TOO_LONG, "dns.name_too_long")                                 \
	X(BAD_RDATA, "dns.bad_rdata")                                         \
	X(TOO_MANY_RECORDS, "dns.too_many_records")                           \
	X(MEMCAP, "dns.memcap")                                               \
	X(UNMATCHED_RESPONSE, "dns.unmatched_response")                       \
	X(UNANSWERED, "dns.unanswered")                                       \
	X(TX_OVERFLOW, "dns.tx_overflow")                                     \
	X(GAP, "dns.gap")

enum dns_counter {
#define DNS_CNT_ENUM(id, name) DNS_CNT_##id,
	DNS_COUNTER_MAP(DNS_CNT_ENUM)
#undef DNS_CNT_ENUM
	DNS_CNT_MAX
};

static const char *const dns_counter_names[] = {
#define DNS_CNT_NAME(id, name) name,
	DNS_COUNTER_MAP(DNS_CNT_NAME)
#undef DNS_CNT_NAME
	NULL
};

/* A string inside a message's text arena. */
struct dns_str {
	uint32_t off, len;
};

struct dns_question {
	struct dns_str name;
	uint16_t type, qclass;
};

enum dns_rdata_kind {
	DNS_RD_NONE = 0,	/* type without decoded rdata: none logged */
	DNS_RD_STR,		/* address text, name, TXT string */
	DNS_RD_SOA,
	DNS_RD_SRV,
};

struct dns_rr {
	struct dns_str name;
	uint16_t type, rclass;
	uint32_t ttl;
	uint8_t kind;
	struct dns_str data;	/* DNS_RD_STR; SOA mname; SRV target */
	struct dns_str rname;	/* SOA */
	uint32_t soa[5];	/* serial refresh retry expire minimum */
	uint16_t srv[3];	/* priority weight port */
};

enum { DNS_SEC_AN, DNS_SEC_NS, DNS_SEC_AR, DNS_NSEC };

struct dns_msg {
	uint16_t id, flags;
	uint16_t count[4];	/* qd an ns ar as claimed by the header */
	uint64_t ts;
	bool malformed;
	size_t walk_budget;	/* name label bytes left to follow */
	uint8_t nq;
	uint16_t nrr[DNS_NSEC], cap[DNS_NSEC];
	struct dns_question q[DNS_MAX_QUESTIONS];
	struct dns_rr *rr[DNS_NSEC];	/* owned, cap[] entries (<= DNS_MAX_RRS) */
	struct buf text;		/* owned arena for names and rdata text */
};

struct dns_tx {
	uint64_t id;
	struct dns_msg *query;	/* owned, may be NULL */
	struct dns_msg *resp;	/* owned, may be NULL */
	bool done;
};

struct dns_state {
	const struct app_config *cfg;	/* borrowed */
	struct dns_tx **tx;		/* owned; ids first_id .. first_id+ntx */
	size_t ntx, cap;
	uint64_t first_id, next_id;
	uint64_t counters[DNS_CNT_MAX];
};

static const uint16_t dns_ports[] = {53, 0};

/* ---- names of numbers ---------------------------------------------------- */

struct dns_code_name {
	uint16_t code;
	const char *name;
};

static const struct dns_code_name dns_rrtypes[] = {
	{1, "A"},	   {2, "NS"},	      {3, "MD"},	 {4, "MF"},
	{5, "CNAME"},	   {6, "SOA"},	      {7, "MB"},	 {8, "MG"},
	{9, "MR"},	   {10, "NULL"},      {11, "WKS"},	 {12, "PTR"},
	{13, "HINFO"},	   {14, "MINFO"},     {15, "MX"},	 {16, "TXT"},
	{17, "RP"},	   {18, "AFSDB"},     {19, "X25"},	 {20, "ISDN"},
	{21, "RT"},	   {22, "NSAP"},      {23, "NSAPPTR"},	 {24, "SIG"},
	{25, "KEY"},	   {26, "PX"},	      {27, "GPOS"},	 {28, "AAAA"},
	{29, "LOC"},	   {30, "NXT"},	      {33, "SRV"},	 {34, "ATMA"},
	{35, "NAPTR"},	   {36, "KX"},	      {37, "CERT"},	 {38, "A6"},
	{39, "DNAME"},	   {41, "OPT"},	      {42, "APL"},	 {43, "DS"},
	{44, "SSHFP"},	   {45, "IPSECKEY"},  {46, "RRSIG"},	 {47, "NSEC"},
	{48, "DNSKEY"},	   {49, "DHCID"},     {50, "NSEC3"},	 {51, "NSEC3PARAM"},
	{52, "TLSA"},	   {55, "HIP"},	      {59, "CDS"},	 {60, "CDNSKEY"},
	{64, "SVCB"},	   {65, "HTTPS"},     {99, "SPF"},	 {249, "TKEY"},
	{250, "TSIG"},	   {251, "IXFR"},     {252, "AXFR"},	 {253, "MAILB"},
	{254, "MAILA"},	   {255, "ANY"},      {256, "URI"},	 {257, "CAA"},
};

static const char *const dns_rcodes[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", NULL,
	NULL, NULL, NULL, NULL,
};

/* Type name, or the number in decimal written into tmp (Suricata's way). */
static const char *dns_rrtype_name(uint16_t type, char tmp[8])
{
	for (size_t i = 0; i < sizeof(dns_rrtypes) / sizeof(dns_rrtypes[0]); i++)
		if (dns_rrtypes[i].code == type)
			return dns_rrtypes[i].name;
	snprintf(tmp, 8, "%u", (unsigned)type);
	return tmp;
}

static const char *dns_rcode_name(uint16_t flags, char tmp[8])
{
	unsigned rc = flags & 0x0fu;
	if (dns_rcodes[rc])
		return dns_rcodes[rc];
	snprintf(tmp, 8, "%u", rc);
	return tmp;
}

/* ---- message parsing ----------------------------------------------------- */

static void dns_count(struct dns_state *st, enum dns_counter c)
{
	st->counters[c]++;
}

static const uint8_t *dns_text(const struct dns_msg *m, struct dns_str s)
{
	return m->text.p ? m->text.p + s.off : (const uint8_t *)"";
}

/* Appends bytes to the message's arena; false past the cap (the caller
 * reports DNS_CNT_MEMCAP). */
static bool dns_text_add(struct dns_state *st, struct dns_msg *m,
			 const void *p, size_t n, struct dns_str *out)
{
	size_t off = m->text.len;
	(void)st;
	if (buf_append(&m->text, p, n) != 0)
		return false;
	out->off = (uint32_t)off;
	out->len = (uint32_t)n;
	return true;
}

/* Marks the message malformed and counts why (once per message). */
static void dns_bad(struct dns_state *st, struct dns_msg *m, int why)
{
	if (why >= 0 && why < DNS_CNT_MAX && why != DNS_CNT_MALFORMED)
		dns_count(st, (enum dns_counter)why);
	if (!m->malformed)
		dns_count(st, DNS_CNT_MALFORMED);
	m->malformed = true;
}

/*
 * Decompresses the name at *pos of the message `whole` into m's arena as
 * dotted text without the trailing dot ("" for the root).  On success *pos
 * is just past the name where it sits (after the first pointer if any).
 * A name longer than DNS_NAME_MAX is kept cut at that length, counted
 * (DNS_CNT_NAME_TOO_LONG) and marks the message malformed; past
 * DNS_NAME_WALK_MAX, or when the message's walking budget is spent (many
 * names sharing long compressed tails), decoding fails.
 * Returns 0, or the counter that explains the failure.
 */
static int dns_read_name(struct dns_state *st, struct dns_msg *m,
			 const struct cursor *whole, size_t *pos,
			 struct dns_str *out)
{
	char name[DNS_NAME_MAX + 1];
	size_t nlen = 0, wire = 0, off = *pos, seg_start = *pos, after = 0;
	unsigned jumps = 0;
	bool jumped = false, cut = false;

	for (;;) {
		struct cursor c;
		uint8_t l;
		if (!cur_at(whole, off, 1, &c) || !cur_u8(&c, &l))
			return DNS_FAIL(DNS_CNT_TRUNCATED);
		if ((l & 0xc0u) == 0xc0u) {
			uint16_t v;
			if (!cur_at(whole, off, 2, &c) || !cur_u16be(&c, &v))
				return DNS_FAIL(DNS_CNT_TRUNCATED);
			size_t ptr = v & 0x3fffu;
			if (!jumped) {
				after = off + 2;
				jumped = true;
			}
			if (ptr >= cur_len(whole) || ptr > off)
				return DNS_FAIL(DNS_CNT_BAD_POINTER);	/* out of bounds or forward */
			if (ptr >= seg_start || ++jumps > DNS_MAX_JUMPS)
				return DNS_FAIL(DNS_CNT_NAME_LOOP);
			off = ptr;
			seg_start = ptr;
			continue;
		}
		if (l & 0xc0u)
			return DNS_FAIL(DNS_CNT_BAD_LABEL);	/* 0x40/0x80: no such label type */
		if (l == 0) {
			off++;
			break;
		}
		if (l > DNS_LABEL_MAX)
			return DNS_FAIL(DNS_CNT_BAD_LABEL);
		wire += (size_t)l + 1;
		if (wire + 1 > DNS_NAME_WALK_MAX)
			return DNS_FAIL(DNS_CNT_NAME_TOO_LONG);
		if (m->walk_budget < (size_t)l + 1)
			return DNS_FAIL(DNS_CNT_NAME_LOOP);
		m->walk_budget -= (size_t)l + 1;
		const uint8_t *lp;
		if (!cur_at(whole, off + 1, l, &c) || !cur_bytes(&c, l, &lp))
			return DNS_FAIL(DNS_CNT_TRUNCATED);
		if (wire + 1 > DNS_NAME_MAX)
			cut = true;
		if (!cut) {
			if (nlen)
				name[nlen++] = '.';
			memcpy(name + nlen, lp, l);
			nlen += l;
		}
		off += (size_t)l + 1;
	}
	*pos = jumped ? after : off;
	if (!dns_text_add(st, m, name, nlen, out))
		return DNS_CNT_MEMCAP;
	if (cut)
		dns_bad(st, m, DNS_CNT_NAME_TOO_LONG);
	return 0;
}

static int dns_read_u16(const struct cursor *whole, size_t *pos, uint16_t *v)
{
	struct cursor c;
	if (!cur_at(whole, *pos, 2, &c) || !cur_u16be(&c, v))
		return DNS_FAIL(DNS_CNT_TRUNCATED);
	*pos += 2;
	return 0;
}

static int dns_read_u32(const struct cursor *whole, size_t *pos, uint32_t *v)
{
	struct cursor c;
	if (!cur_at(whole, *pos, 4, &c) || !cur_u32be(&c, v))
		return DNS_FAIL(DNS_CNT_TRUNCATED);
	*pos += 4;
	return 0;
}

/* Reads a name that must end inside the rdata [.., end). */
static int dns_rdata_name(struct dns_state *st, struct dns_msg *m,
			  const struct cursor *whole, size_t *pos, size_t end,
			  struct dns_str *out)
{
	int rc = dns_read_name(st, m, whole, pos, out);
	if (rc)
		return rc;
	return *pos > end ? DNS_CNT_BAD_RDATA : 0;
}

/*
 * Adds a record to section sec; NULL when the section is full or memory
 * is short.  The array grows, so earlier record pointers of the section
 * become invalid: callers hold indexes across calls.
 */
static struct dns_rr *dns_rr_add(struct dns_state *st, struct dns_msg *m,
				 int sec, bool *full_counted)
{
	if (m->nrr[sec] >= DNS_MAX_RRS) {
		if (!*full_counted) {
			dns_count(st, DNS_CNT_TOO_MANY_RECORDS);
			*full_counted = true;
		}
		return NULL;
	}
	if (m->nrr[sec] == m->cap[sec]) {
		size_t nc = m->cap[sec] ? (size_t)m->cap[sec] * 2 : 4;
		if (nc > DNS_MAX_RRS)
			nc = DNS_MAX_RRS;
		struct dns_rr *n = realloc(m->rr[sec], nc * sizeof(*n));
		if (!n) {
			dns_count(st, DNS_CNT_MEMCAP);
			return NULL;
		}
		m->rr[sec] = n;
		m->cap[sec] = (uint16_t)nc;
	}
	struct dns_rr *rr = &m->rr[sec][m->nrr[sec]++];
	memset(rr, 0, sizeof(*rr));
	return rr;
}

/*
 * Decodes the rdata [pos, end) of a record into rr (and, for TXT with
 * several strings, into further records of the section).  Framing is kept
 * by the caller, so a bad rdata only loses that record's data.
 */
static int dns_read_rdata(struct dns_state *st, struct dns_msg *m,
			  const struct cursor *whole, size_t pos, size_t end,
			  struct dns_rr *rr, int sec, bool *full)
{
	size_t rdlen = end - pos;
	struct cursor c;
	const uint8_t *p;
	int rc;

	switch (rr->type) {
	case 1:		/* A */
	case 28: {	/* AAAA */
		size_t want = rr->type == 1 ? 4 : 16;
		char txt[INET6_ADDRSTRLEN];
		if (rdlen != want || !cur_at(whole, pos, want, &c) ||
		    !cur_bytes(&c, want, &p))
			return DNS_FAIL(DNS_CNT_BAD_RDATA);
		if (!inet_ntop(want == 4 ? AF_INET : AF_INET6, p, txt, sizeof(txt)))
			return DNS_FAIL(DNS_CNT_BAD_RDATA);
		if (!dns_text_add(st, m, txt, strlen(txt), &rr->data))
			return DNS_CNT_MEMCAP;
		rr->kind = DNS_RD_STR;
		return 0;
	}
	case 2:		/* NS */
	case 5:		/* CNAME */
	case 12:	/* PTR */
	case 39:	/* DNAME */
		rc = dns_rdata_name(st, m, whole, &pos, end, &rr->data);
		if (rc)
			return rc;
		rr->kind = DNS_RD_STR;
		return 0;
	case 15: {	/* MX: preference, exchange; rdata is the exchange */
		uint16_t pref;
		rc = dns_read_u16(whole, &pos, &pref);
		if (!rc && pos > end)
			rc = DNS_FAIL(DNS_CNT_BAD_RDATA);
		if (!rc)
			rc = dns_rdata_name(st, m, whole, &pos, end, &rr->data);
		if (rc)
			return rc;
		rr->kind = DNS_RD_STR;
		return 0;
	}
	case 6:		/* SOA */
		rc = dns_rdata_name(st, m, whole, &pos, end, &rr->data);
		if (!rc)
			rc = dns_rdata_name(st, m, whole, &pos, end, &rr->rname);
		for (int i = 0; !rc && i < 5; i++)
			rc = dns_read_u32(whole, &pos, &rr->soa[i]);
		if (!rc && pos > end)
			rc = DNS_FAIL(DNS_CNT_BAD_RDATA);
		if (rc)
			return rc;
		rr->kind = DNS_RD_SOA;
		return 0;
	case 33:	/* SRV */
		for (int i = 0; i < 3; i++) {
			rc = dns_read_u16(whole, &pos, &rr->srv[i]);
			if (rc)
				return rc;
		}
		if (pos > end)
			return DNS_FAIL(DNS_CNT_BAD_RDATA);
		rc = dns_rdata_name(st, m, whole, &pos, end, &rr->data);
		if (rc)
			return rc;
		rr->kind = DNS_RD_SRV;
		return 0;
	case 16: {	/* TXT: one record per character-string, like Suricata;
			 * rr is not used once further records are added */
		struct dns_rr proto = *rr;
		struct dns_rr *cur = rr;
		bool first = true;
		if (!cur_at(whole, pos, rdlen, &c))
			return DNS_FAIL(DNS_CNT_TRUNCATED);
		while (cur_len(&c)) {
			uint8_t l;
			if (!cur_u8(&c, &l) || !cur_bytes(&c, l, &p))
				return DNS_FAIL(DNS_CNT_BAD_RDATA);
			if (!first) {
				cur = dns_rr_add(st, m, sec, full);
				if (!cur)
					return 0;
				*cur = proto;
			}
			first = false;
			if (!dns_text_add(st, m, p, l, &cur->data))
				return DNS_CNT_MEMCAP;
			cur->kind = DNS_RD_STR;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void dns_msg_free(struct dns_msg *m)
{
	if (!m)
		return;
	for (int s = 0; s < DNS_NSEC; s++)
		free(m->rr[s]);
	buf_release(&m->text);
	free(m);
}

/*
 * Parses one whole message.  Returns it (owned by the caller) or NULL when
 * nothing usable was decoded (the failure is counted).
 */
static struct dns_msg *dns_parse_msg(struct dns_state *st, const uint8_t *data,
				     size_t len, uint64_t ts)
{
	struct cursor whole, h;
	cur_init(&whole, data, len);
	h = whole;
	struct dns_msg *m = calloc(1, sizeof(*m));
	if (!m) {
		dns_count(st, DNS_CNT_MEMCAP);
		return NULL;
	}
	buf_init(&m->text, DNS_TEXT_CAP);
	m->ts = ts;
	m->walk_budget = 4 * len + 4096;
	if (!cur_u16be(&h, &m->id) || !cur_u16be(&h, &m->flags)) {
		dns_bad(st, m, DNS_CNT_TRUNCATED);
		goto fail;
	}
	for (int i = 0; i < 4; i++)
		if (!cur_u16be(&h, &m->count[i])) {
			dns_bad(st, m, DNS_CNT_TRUNCATED);
			goto fail;
		}

	size_t pos = DNS_HDR_LEN;
	int rc;
	for (unsigned i = 0; i < m->count[0]; i++) {
		struct dns_question q;
		rc = dns_read_name(st, m, &whole, &pos, &q.name);
		if (!rc)
			rc = dns_read_u16(&whole, &pos, &q.type);
		if (!rc)
			rc = dns_read_u16(&whole, &pos, &q.qclass);
		if (rc) {
			dns_bad(st, m, rc);
			goto done;
		}
		if (m->nq < DNS_MAX_QUESTIONS)
			m->q[m->nq++] = q;
		else if (i == DNS_MAX_QUESTIONS)
			dns_count(st, DNS_CNT_TOO_MANY_RECORDS);
	}
	for (int sec = 0; sec < DNS_NSEC; sec++) {
		bool full = false;
		for (unsigned i = 0; i < m->count[sec + 1]; i++) {
			struct dns_rr tmp = {0};
			uint16_t rdlen;
			size_t text_mark = m->text.len;
			rc = dns_read_name(st, m, &whole, &pos, &tmp.name);
			if (!rc)
				rc = dns_read_u16(&whole, &pos, &tmp.type);
			if (!rc)
				rc = dns_read_u16(&whole, &pos, &tmp.rclass);
			if (!rc)
				rc = dns_read_u32(&whole, &pos, &tmp.ttl);
			if (!rc)
				rc = dns_read_u16(&whole, &pos, &rdlen);
			if (!rc && !range_ok(len, pos, rdlen))
				rc = DNS_FAIL(DNS_CNT_TRUNCATED);
			if (rc) {
				dns_bad(st, m, rc);
				goto done;
			}
			size_t end = pos + rdlen;
			struct dns_rr *rr = dns_rr_add(st, m, sec, &full);
			if (rr) {
				size_t ri = m->nrr[sec] - 1u;
				*rr = tmp;
				rc = dns_read_rdata(st, m, &whole, pos, end, rr,
						    sec, &full);
				if (rc) {
					/* The record stays, without its data. */
					m->rr[sec][ri].kind = DNS_RD_NONE;
					dns_bad(st, m, rc);
				}
			} else if (m->text.p) {
				/* Not kept: give its name's text back. */
				m->text.len = text_mark;
				m->text.p[text_mark] = 0;
			}
			pos = end;
		}
	}
done:
	if (!m->malformed || m->nq > 0)
		return m;
fail:
	dns_msg_free(m);
	return NULL;
}

/* ---- transactions -------------------------------------------------------- */

static bool dns_same_question(const struct dns_msg *q, const struct dns_msg *r)
{
	if (!q->nq || !r->nq)
		return true;
	const struct dns_question *a = &q->q[0], *b = &r->q[0];
	if (a->type != b->type || a->name.len != b->name.len)
		return false;
	const uint8_t *x = dns_text(q, a->name), *y = dns_text(r, b->name);
	for (size_t i = 0; i < a->name.len; i++) {
		uint8_t cx = x[i], cy = y[i];
		if (cx >= 'A' && cx <= 'Z')
			cx = (uint8_t)(cx + 32);
		if (cy >= 'A' && cy <= 'Z')
			cy = (uint8_t)(cy + 32);
		if (cx != cy)
			return false;
	}
	return true;
}

static struct dns_tx *dns_tx_new(struct dns_state *st)
{
	size_t hard = st->cfg && st->cfg->max_tx ? st->cfg->max_tx : 1024;
	if (st->ntx >= hard * 2) {
		/* The dispatcher is not freeing; refuse rather than grow. */
		dns_count(st, DNS_CNT_TX_OVERFLOW);
		return NULL;
	}
	if (st->ntx == st->cap) {
		size_t nc = st->cap ? st->cap * 2 : 8;
		struct dns_tx **n = realloc(st->tx, nc * sizeof(*n));
		if (!n)
			return NULL;
		st->tx = n;
		st->cap = nc;
	}
	struct dns_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->id = st->next_id++;
	st->tx[st->ntx++] = tx;
	return tx;
}

/*
 * Marks the oldest unanswered queries done when more than DNS_MAX_PENDING
 * wait, or all of them when the list has reached cfg->max_tx (the
 * dispatcher logs and frees done transactions in id order, so one lost
 * answer must not hold the ones behind it for ever).
 */
static void dns_expire(struct dns_state *st)
{
	size_t limit = st->cfg && st->cfg->max_tx ? st->cfg->max_tx : 1024;
	size_t pending = 0;
	for (size_t i = 0; i < st->ntx; i++)
		if (!st->tx[i]->done)
			pending++;
	for (size_t i = 0; i < st->ntx && pending; i++) {
		if (pending <= DNS_MAX_PENDING && st->ntx < limit)
			break;
		if (st->tx[i]->done)
			continue;
		st->tx[i]->done = true;
		pending--;
		dns_count(st, DNS_CNT_UNANSWERED);
	}
}

static void dns_on_msg(struct dns_state *st, struct dns_msg *m)
{
	if (m->flags & DNS_FLAG_QR) {
		for (size_t i = 0; i < st->ntx; i++) {
			struct dns_tx *tx = st->tx[i];
			if (tx->done || !tx->query || tx->resp ||
			    tx->query->id != m->id || !dns_same_question(tx->query, m))
				continue;
			tx->resp = m;
			tx->done = true;
			return;
		}
		struct dns_tx *tx = dns_tx_new(st);
		if (!tx) {
			dns_msg_free(m);
			return;
		}
		dns_count(st, DNS_CNT_UNMATCHED_RESPONSE);
		tx->resp = m;
		tx->done = true;
		return;
	}
	struct dns_tx *tx = dns_tx_new(st);
	if (!tx) {
		dns_msg_free(m);
		return;
	}
	tx->query = m;
	dns_expire(st);
}

static void dns_handle(struct dns_state *st, const uint8_t *data, size_t len,
		       uint64_t ts)
{
	struct dns_msg *m = dns_parse_msg(st, data, len, ts);
	if (m)
		dns_on_msg(st, m);
}

/* ---- app_proto hooks ----------------------------------------------------- */

static void *dns_state_new(const struct app_config *cfg)
{
	struct dns_state *st = calloc(1, sizeof(*st));
	if (st)
		st->cfg = cfg;
	return st;
}

static void dns_tx_free(struct dns_tx *tx)
{
	dns_msg_free(tx->query);
	dns_msg_free(tx->resp);
	free(tx);
}

static void dns_state_free(void *state)
{
	struct dns_state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntx; i++)
		dns_tx_free(st->tx[i]);
	free(st->tx);
	free(st);
}

static struct app_result dns_parse(void *state, int dir, const uint8_t *data,
				   size_t len, unsigned flags, uint64_t ts)
{
	struct dns_state *st = state;
	struct app_result r = {APP_OK, 0, 0};
	(void)dir;

	if (flags & APP_F_DATAGRAM) {
		dns_handle(st, data, len, ts);
		r.consumed = len;
		return r;
	}
	if (flags & APP_F_GAP) {
		/* Length framing is lost with the bytes: the stream cannot be followed. */
		dns_count(st, DNS_CNT_GAP);
		r.status = APP_ERROR;
		return r;
	}
	struct cursor c;
	cur_init(&c, data, len);
	for (;;) {
		struct cursor save = c, msg;
		uint16_t mlen;
		if (!cur_u16be(&c, &mlen)) {
			c = save;
			break;
		}
		if (!cur_sub(&c, mlen, &msg)) {
			c = save;
			r.needed = (size_t)mlen + 2;
			break;
		}
		dns_handle(st, msg.p, msg.len, ts);
	}
	r.consumed = len - cur_len(&c);
	if (cur_len(&c)) {
		if (flags & APP_F_EOF) {
			/* The stream ended inside a message. */
			dns_count(st, DNS_CNT_TRUNCATED);
			dns_count(st, DNS_CNT_MALFORMED);
			r.consumed = len;
			r.needed = 0;
			return r;
		}
		r.status = APP_NEED_MORE;
		if (!r.needed)
			r.needed = 2;
	}
	return r;
}

static uint64_t dns_tx_count(void *state)
{
	return ((struct dns_state *)state)->next_id;
}

static void *dns_tx_get(void *state, uint64_t id)
{
	struct dns_state *st = state;
	if (id < st->first_id || id - st->first_id >= st->ntx)
		return NULL;
	return st->tx[id - st->first_id];
}

static bool dns_tx_done(void *vtx, bool eof)
{
	const struct dns_tx *tx = vtx;
	return tx->done || eof;
}

static void dns_tx_free_upto(void *state, uint64_t upto)
{
	struct dns_state *st = state;
	size_t n = 0;
	while (n < st->ntx && st->tx[n]->id < upto)
		dns_tx_free(st->tx[n++]);
	if (!n)
		return;
	memmove(st->tx, st->tx + n, (st->ntx - n) * sizeof(*st->tx));
	st->ntx -= n;
	st->first_id = st->ntx ? st->tx[0]->id : st->next_id;
}

/* ---- EVE ----------------------------------------------------------------- */

static void dns_log_str(struct jw *w, const char *key, const struct dns_msg *m,
			struct dns_str s)
{
	jw_bytes(w, key, dns_text(m, s), s.len);
}

static void dns_log_soa(struct jw *w, const char *key, const struct dns_msg *m,
			const struct dns_rr *rr)
{
	static const char *const f[5] = {"serial", "refresh", "retry", "expire",
					 "minimum"};
	jw_open_obj(w, key);
	dns_log_str(w, "mname", m, rr->data);
	dns_log_str(w, "rname", m, rr->rname);
	for (int i = 0; i < 5; i++)
		jw_u64(w, f[i], rr->soa[i]);
	jw_close_obj(w);
}

static void dns_log_srv(struct jw *w, const char *key, const struct dns_msg *m,
			const struct dns_rr *rr)
{
	jw_open_obj(w, key);
	jw_u64(w, "priority", rr->srv[0]);
	jw_u64(w, "weight", rr->srv[1]);
	jw_u64(w, "port", rr->srv[2]);
	dns_log_str(w, "name", m, rr->data);
	jw_close_obj(w);
}

/* One record in Suricata's "detailed" shape. */
static void dns_log_rr(struct jw *w, const struct dns_msg *m,
		       const struct dns_rr *rr)
{
	char tmp[8];
	jw_open_obj(w, NULL);
	dns_log_str(w, "rrname", m, rr->name);
	jw_str(w, "rrtype", dns_rrtype_name(rr->type, tmp));
	jw_u64(w, "ttl", rr->ttl);
	switch (rr->kind) {
	case DNS_RD_STR:
		dns_log_str(w, "rdata", m, rr->data);
		break;
	case DNS_RD_SOA:
		dns_log_soa(w, "soa", m, rr);
		break;
	case DNS_RD_SRV:
		dns_log_srv(w, "srv", m, rr);
		break;
	default:
		break;
	}
	jw_close_obj(w);
}

/* "grouped": rdata by type, types in order of first appearance. */
static void dns_log_grouped(struct jw *w, const struct dns_msg *m)
{
	const struct dns_rr *an = m->rr[DNS_SEC_AN];
	size_t n = m->nrr[DNS_SEC_AN];
	jw_open_obj(w, "grouped");
	for (size_t i = 0; i < n; i++) {
		if (an[i].kind == DNS_RD_NONE)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = an[k].type == an[i].type && an[k].kind != DNS_RD_NONE;
		if (seen)
			continue;
		char tmp[8];
		jw_open_arr(w, dns_rrtype_name(an[i].type, tmp));
		for (size_t k = i; k < n; k++) {
			if (an[k].type != an[i].type)
				continue;
			switch (an[k].kind) {
			case DNS_RD_STR:
				dns_log_str(w, NULL, m, an[k].data);
				break;
			case DNS_RD_SOA:
				dns_log_soa(w, NULL, m, &an[k]);
				break;
			case DNS_RD_SRV:
				dns_log_srv(w, NULL, m, &an[k]);
				break;
			default:
				break;
			}
		}
		jw_close_arr(w);
	}
	jw_close_obj(w);
}

static void dns_log_query(const struct dns_tx *tx, struct app_logger *lg)
{
	const struct dns_msg *m = tx->query;
	for (unsigned i = 0; i < m->nq; i++) {
		char tmp[8];
		struct jw *w = lg->begin(lg, "dns", m->ts);
		if (!w)
			return;
		jw_open_obj(w, "dns");
		jw_str(w, "type", "query");
		jw_u64(w, "id", m->id);
		dns_log_str(w, "rrname", m, m->q[i].name);
		jw_str(w, "rrtype", dns_rrtype_name(m->q[i].type, tmp));
		jw_u64(w, "tx_id", tx->id);
		if (m->flags & DNS_FLAG_Z)
			jw_bool(w, "z", true);
		jw_u64(w, "opcode", (m->flags >> 11) & 0x0fu);
		jw_close_obj(w);
		lg->end(lg);
	}
}

static void dns_log_answer(const struct dns_msg *m, struct app_logger *lg)
{
	static const struct {
		uint16_t bit;
		const char *key;
	} bits[] = {{DNS_FLAG_QR, "qr"}, {DNS_FLAG_AA, "aa"}, {DNS_FLAG_TC, "tc"},
		    {DNS_FLAG_RD, "rd"}, {DNS_FLAG_RA, "ra"}, {DNS_FLAG_Z, "z"}};
	char tmp[8], hex[8];
	struct jw *w = lg->begin(lg, "dns", m->ts);
	if (!w)
		return;
	jw_open_obj(w, "dns");
	jw_u64(w, "version", 2);
	jw_str(w, "type", "answer");
	jw_u64(w, "id", m->id);
	snprintf(hex, sizeof(hex), "%x", (unsigned)m->flags);
	jw_str(w, "flags", hex);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (m->flags & bits[i].bit)
			jw_bool(w, bits[i].key, true);
	jw_u64(w, "opcode", (m->flags >> 11) & 0x0fu);
	if (m->nq) {
		dns_log_str(w, "rrname", m, m->q[0].name);
		jw_str(w, "rrtype", dns_rrtype_name(m->q[0].type, tmp));
	}
	jw_str(w, "rcode", dns_rcode_name(m->flags, tmp));
	if (m->nrr[DNS_SEC_AN]) {
		jw_open_arr(w, "answers");
		for (size_t i = 0; i < m->nrr[DNS_SEC_AN]; i++)
			dns_log_rr(w, m, &m->rr[DNS_SEC_AN][i]);
		jw_close_arr(w);
		dns_log_grouped(w, m);
	}
	if (m->nrr[DNS_SEC_NS]) {
		jw_open_arr(w, "authorities");
		for (size_t i = 0; i < m->nrr[DNS_SEC_NS]; i++)
			dns_log_rr(w, m, &m->rr[DNS_SEC_NS][i]);
		jw_close_arr(w);
	}
	jw_close_obj(w);
	lg->end(lg);
}

static void dns_log_tx(const void *vtx, struct app_logger *lg)
{
	const struct dns_tx *tx = vtx;
	if (tx->query)
		dns_log_query(tx, lg);
	if (tx->resp)
		dns_log_answer(tx->resp, lg);
}

static bool dns_get_buffer(const void *vtx, enum app_buffer which, uint32_t idx,
			   const uint8_t **data, size_t *len)
{
	const struct dns_tx *tx = vtx;
	if (which != APP_BUF_DNS_QUERY)
		return false;
	const struct dns_msg *m = tx->query ? tx->query : tx->resp;
	if (!m || idx >= m->nq)
		return false;
	*data = dns_text(m, m->q[idx].name);
	*len = m->q[idx].name.len;
	return true;
}

static const uint64_t *dns_counters(void *state)
{
	return ((struct dns_state *)state)->counters;
}

/* ---- detection ----------------------------------------------------------- */

/*
 * Is msg[0..len) the start of a plausible DNS message?  complete says the
 * whole message is there.  1 yes, 0 no, -1 need more bytes.
 */
static int dns_plausible(const uint8_t *msg, size_t len, bool complete)
{
	struct cursor c;
	uint16_t id, flags, qd, an, ns, ar;
	cur_init(&c, msg, len);
	if (!cur_u16be(&c, &id) || !cur_u16be(&c, &flags) ||
	    !cur_u16be(&c, &qd) || !cur_u16be(&c, &an) ||
	    !cur_u16be(&c, &ns) || !cur_u16be(&c, &ar))
		return complete ? 0 : -1;
	unsigned opcode = (flags >> 11) & 0x0fu;
	if (opcode == 3 || opcode > 6)
		return 0;
	if (qd == 0 || qd > DNS_MAX_QUESTIONS)
		return 0;
	if (!(flags & DNS_FLAG_QR) && (an > 0 || (flags & 0x0fu)))
		return 0;	/* queries carry no answers and no rcode */
	/* The first question: labels, then type and class. */
	size_t labels = 0;
	for (;;) {
		uint8_t l;
		if (!cur_u8(&c, &l))
			return complete ? 0 : -1;
		if ((l & 0xc0u) == 0xc0u) {
			uint8_t lo;
			if (!cur_u8(&c, &lo))
				return complete ? 0 : -1;
			size_t ptr = ((size_t)(l & 0x3fu) << 8) | lo;
			if (ptr < DNS_HDR_LEN || ptr >= len)
				return 0;
			break;
		}
		if (l & 0xc0u)
			return 0;
		if (l == 0)
			break;
		if (++labels > 127 || !cur_skip(&c, l))
			return complete ? 0 : -1;
	}
	uint16_t type, qclass;
	if (!cur_u16be(&c, &type) || !cur_u16be(&c, &qclass))
		return complete ? 0 : -1;
	qclass &= 0x7fffu;	/* mDNS unicast-response bit */
	if (type == 0 || !(qclass == 1 || qclass == 3 || qclass == 4 ||
			   qclass == 254 || qclass == 255))
		return 0;
	return 1;
}

static int dns_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	/* TCP: 2-byte length then the message. */
	int tcp = -1;
	if (len >= 2) {
		size_t mlen = ((size_t)data[0] << 8) | data[1];
		if (mlen < DNS_HDR_LEN)
			tcp = 0;
		else {
			bool complete = len - 2 >= mlen;
			tcp = dns_plausible(data + 2, complete ? mlen : len - 2,
					    complete);
		}
	}
	if (tcp == 1)
		return 1;
	/* UDP: the datagram is the message. */
	int udp = dns_plausible(data, len, false);
	if (udp == 1)
		return 1;
	if (tcp == 0 && udp == 0)
		return 0;
	return -1;
}

const struct app_proto app_dns = {
	.name = "dns",
	.id = APP_DNS,
	.tcp = true,
	.udp = true,
	.ports = dns_ports,
	.probe = dns_probe,
	.state_new = dns_state_new,
	.state_free = dns_state_free,
	.parse = dns_parse,
	.tx_count = dns_tx_count,
	.tx_get = dns_tx_get,
	.tx_done = dns_tx_done,
	.tx_free_upto = dns_tx_free_upto,
	.log_tx = dns_log_tx,
	.get_buffer = dns_get_buffer,
	.counter_names = dns_counter_names,
	.counters = dns_counters,
};
