/*
 * EVE records -> struct corr_event, and field lookup by dotted path.
 *
 * Why libjansson: EVE lines come from any sensor (mamori or Suricata) and
 * are outside input; a maintained JSON parser handles escapes, nesting and
 * numbers correctly, and its objects give the rules jq-style dotted paths
 * ("dns.rrname", "alert.signature_id") without a schema per event type.
 * The typed header (time, flow, addresses, ports, proto) is extracted once
 * per record because every rule needs it.
 *
 * Invariants: a decoded event always has a timestamp and a type; address
 * fields that do not parse are left family 0 (such events never create an
 * entity); strings copied into fixed fields are truncated, never overrun.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "correlate/corr_int.h"
#include "util/err.h"

static const char *const etype_names[CORR_EV_MAX] = {
	[CORR_EV_ALERT] = "alert",	[CORR_EV_FLOW] = "flow",
	[CORR_EV_DNS] = "dns",		[CORR_EV_HTTP] = "http",
	[CORR_EV_SMTP] = "smtp",	[CORR_EV_SMB] = "smb",
	[CORR_EV_DCERPC] = "dcerpc",	[CORR_EV_TLS] = "tls",
	[CORR_EV_SSH] = "ssh",		[CORR_EV_FILEINFO] = "fileinfo",
	[CORR_EV_ANOMALY] = "anomaly",	[CORR_EV_INCIDENT] = "incident",
	[CORR_EV_OTHER] = "other",
};

const char *corr_etype_name(enum corr_etype t)
{
	return (unsigned)t < CORR_EV_MAX ? etype_names[t] : "other";
}

enum corr_etype corr_etype_from_name(const char *s)
{
	for (int i = 0; i < CORR_EV_OTHER; i++)
		if (!strcmp(s, etype_names[i]))
			return (enum corr_etype)i;
	return CORR_EV_OTHER;
}

/* Reads exactly n digits; false if not there. */
static bool ts_num(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool ts_lit(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

int corr_parse_ts(const char *s, uint64_t *out)
{
	int Y, M, D, h, m, sec, oh = 0, om = 0;
	uint64_t frac = 0;

	if (!ts_num(&s, 4, &Y) || !ts_lit(&s, '-') || !ts_num(&s, 2, &M) ||
	    !ts_lit(&s, '-') || !ts_num(&s, 2, &D) || !(ts_lit(&s, 'T') || ts_lit(&s, ' ')) ||
	    !ts_num(&s, 2, &h) || !ts_lit(&s, ':') || !ts_num(&s, 2, &m) ||
	    !ts_lit(&s, ':') || !ts_num(&s, 2, &sec))
		return MAMORI_FORMAT_ERR();
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return MAMORI_FORMAT_ERR();
	if (*s == '.') {
		s++;
		int nd = 0;
		while (isdigit((unsigned char)*s)) {
			if (nd < 6) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				nd++;
			}
			s++;
		}
		if (!nd)
			return MAMORI_FORMAT_ERR();
		for (; nd < 6; nd++)
			frac *= 10;
	}
	int sign = 0;
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (!ts_num(&s, 2, &oh))
			return MAMORI_FORMAT_ERR();
		ts_lit(&s, ':');
		if (!ts_num(&s, 2, &om) || oh > 23 || om > 59)
			return MAMORI_FORMAT_ERR();
	}
	if (*s)
		return MAMORI_FORMAT_ERR();
	struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			.tm_hour = h, .tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	int64_t secs = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
	if (t == (time_t)-1 || secs < 0)
		return MAMORI_FORMAT_ERR();
	*out = (uint64_t)secs * 1000000u + frac;
	return 0;
}

static void ev_addr(const json_t *o, const char *key, struct mamori_addr *a)
{
	const char *s = json_string_value(json_object_get(o, key));
	memset(a, 0, sizeof(*a));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = 6;
	else
		memset(a, 0, sizeof(*a));
}

static uint16_t ev_port(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v > 0 && v <= 65535 ? (uint16_t)v : 0;
}

static const struct {
	const char *name;
	uint8_t num;
} proto_names[] = {
	{"TCP", IPPROTO_TCP}, {"UDP", IPPROTO_UDP}, {"ICMP", IPPROTO_ICMP},
	{"IPv6-ICMP", IPPROTO_ICMPV6}, {"SCTP", IPPROTO_SCTP},
};

static uint8_t ev_proto(const json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		return n >= 0 && n <= 255 ? (uint8_t)n : 0;
	}
	const char *s = json_string_value(v);
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (!strcasecmp(s, proto_names[i].name))
			return proto_names[i].num;
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	return *s && !*end && n <= 255 ? (uint8_t)n : 0;
}

int corr_event_decode(const char *line, size_t len, struct corr_event *ev,
		      json_t **root, struct mamori_diag *diag)
{
	json_error_t jerr;
	json_t *j;
	int rc = 0;

	*root = NULL;
	memset(ev, 0, sizeof(*ev));
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		mamori_diag_set(diag, 0, (unsigned)jerr.column, "not JSON: %s", jerr.text);
		FAIL(MAMORI_FORMAT_ERR());
	}
	if (!json_is_object(j)) {
		mamori_diag_set(diag, 0, 0, "not a JSON object");
		FAIL(MAMORI_FORMAT_ERR());
	}
	const char *ts = json_string_value(json_object_get(j, "timestamp"));
	const char *type = json_string_value(json_object_get(j, "event_type"));
	if (!ts || corr_parse_ts(ts, &ev->ts) < 0) {
		mamori_diag_set(diag, 0, 0, "missing or malformed \"timestamp\"");
		FAIL(MAMORI_FORMAT_ERR());
	}
	if (!type) {
		mamori_diag_set(diag, 0, 0, "missing \"event_type\"");
		FAIL(MAMORI_FORMAT_ERR());
	}
	ev->type = corr_etype_from_name(type);
	json_int_t fid = json_integer_value(json_object_get(j, "flow_id"));
	ev->flow_id = fid > 0 ? (uint64_t)fid : 0;
	ev_addr(j, "src_ip", &ev->src);
	ev_addr(j, "dest_ip", &ev->dst);
	ev->sport = ev_port(j, "src_port");
	ev->dport = ev_port(j, "dest_port");
	ev->proto = ev_proto(json_object_get(j, "proto"));
	const char *ap = json_string_value(json_object_get(j, "app_proto"));
	if (ap)
		snprintf(ev->app_proto, sizeof(ev->app_proto), "%s", ap);
	ev->json = j;
	*root = j;
	j = NULL;
out:
	json_decref(j);
	return rc;
}

void corr_event_release(json_t *root)
{
	json_decref(root);
}

int corr_event_get(const struct corr_event *ev, const struct corr_path *p,
		   char *out, size_t n)
{
	const json_t *v = ev->json;
	int len;

	if (!v || !p->n)
		return -1;
	for (unsigned i = 0; i < p->n && v; i++)
		v = json_object_get(v, p->parts[i]);
	if (!v)
		return -1;
	switch (json_typeof(v)) {
	case JSON_STRING: {
		size_t sl = json_string_length(v);
		if (n) {
			size_t c = sl < n - 1 ? sl : n - 1;
			memcpy(out, json_string_value(v), c);
			out[c] = 0;
		}
		return sl > (size_t)INT32_MAX ? INT32_MAX : (int)sl;
	}
	case JSON_INTEGER:
		len = snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		len = snprintf(out, n, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		len = snprintf(out, n, "true");
		break;
	case JSON_FALSE:
		len = snprintf(out, n, "false");
		break;
	default:
		return -1;
	}
	return len;
}

void corr_path_release(struct corr_path *p)
{
	free(p->text);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

int corr_path_set(struct corr_path *p, const char *text)
{
	corr_path_release(p);
	if (!*text)
		return MAMORI_EINVAL;
	p->text = strdup(text);
	p->buf = strdup(text);
	if (!p->text || !p->buf) {
		corr_path_release(p);
		return MAMORI_ENOMEM;
	}
	char *s = p->buf;
	for (;;) {
		char *dot = strchr(s, '.');
		if (dot)
			*dot = 0;
		if (!*s || p->n == CORR_PATH_MAX_PARTS) {
			corr_path_release(p);
			return MAMORI_EINVAL;
		}
		p->parts[p->n++] = s;
		if (!dot)
			break;
		s = dot + 1;
	}
	return 0;
}

bool corr_group_has(const struct corr_group *g, const struct mamori_addr *a)
{
	if (g->empty)
		return false;
	if (a->family == 4) {
		uint32_t v = (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 |
			     (uint32_t)a->a[2] << 8 | a->a[3];
		return rule_addrset_has_v4(&g->set, v);
	}
	if (a->family == 6)
		return rule_addrset_has_v6(&g->set, a->a);
	return false;
}
