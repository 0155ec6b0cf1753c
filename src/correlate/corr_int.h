/*
 * Internals of the correlation engine shared by its files: the compiled
 * rule model (load.c builds it, engine.c reads it) and the field lookup
 * by dotted path (event.c).
 *
 * A rule is either a set of requirements that must all hold within
 * `window` of the deciding event (kind CORR_RULE_ALL), or an ordered
 * sequence of steps, each within `max_gap` of the previous one
 * (CORR_RULE_SEQ).  A requirement is an alert (sid or category), a count
 * (at least `min` matching events, optionally distinct on a field and
 * filtered by a randomness score) or a rise (events in the window against
 * the entity's own baseline).
 */
#ifndef MAMORI_CORRELATE_CORR_INT_H
#define MAMORI_CORRELATE_CORR_INT_H

#include <jansson.h>

#include "correlate/correlate.h"
#include "detect/rule.h"

#define CORR_PATH_MAX_PARTS 8

/* A dotted path split at load time ("dns.rrtype" -> {"dns","rrtype"}). */
struct corr_path {
	char *text;			/* owned, the whole path */
	char *parts[CORR_PATH_MAX_PARTS];	/* point into buf */
	char *buf;			/* owned */
	unsigned n;			/* 0 = no path */
};

/* Field filter: the value at path equals (case-insensitively) or glob-
 * matches (fnmatch, when it holds '*', '?' or '[') one of vals;
 * negated: none of them.  A missing field never matches (even negated). */
struct corr_filter {
	struct corr_path path;
	char **vals;			/* owned */
	size_t nvals;
	bool neg;
};

/* An address group: empty, or a parsed set. */
struct corr_group {
	char *name;			/* owned */
	struct rule_addrset set;	/* owned */
	bool empty;
};

enum corr_req_kind { CORR_REQ_ALERT, CORR_REQ_COUNT, CORR_REQ_RISE };

/* Which address of an event is the entity (or the pair's first member). */
enum corr_side { CORR_SIDE_SRC, CORR_SIDE_DST, CORR_SIDE_CLIENT, CORR_SIDE_SERVER };

#define CORR_RISE_FINE 4	/* window buckets */
#define CORR_RISE_COARSE 24	/* baseline buckets */
#define CORR_RISE_EVID 8	/* most recent matching events kept */

struct corr_req {
	enum corr_req_kind kind;
	char *label;			/* owned: "typo-ua", "step 2" ... */
	uint32_t etypes;		/* mask of 1u << corr_etype; 0 = any */
	enum corr_side side;
	struct corr_filter *filters;	/* owned */
	size_t nfilters;
	/* alert */
	uint32_t *sids;			/* owned */
	size_t nsids;
	char **categories;		/* owned: EVE alert.category texts */
	size_t ncategories;
	/* count / rise */
	uint32_t min;
	struct corr_path distinct;	/* count: distinct on this field */
	struct corr_path key;		/* evidence key field (default distinct) */
	struct corr_path score_field;	/* count: DGA score of this field ... */
	double score_min;		/* ... must reach this */
	double factor;			/* rise */
	uint64_t baseline;		/* rise: usec */
	uint64_t within;		/* count: its own window (usec); 0 = rule's */
	const struct corr_group *peer;	/* other side must be in it; borrowed */
	bool peer_prev;			/* sequences: other side = the previous
					 * step's other side (or in peer) */
};

enum corr_entity { CORR_ENT_SRC, CORR_ENT_DST, CORR_ENT_PAIR };
enum corr_rule_kind { CORR_RULE_ALL, CORR_RULE_SEQ };

struct corr_rule {
	char *id, *name;		/* owned */
	int severity;
	enum corr_entity entity;
	enum corr_rule_kind kind;
	uint64_t window;		/* usec */
	uint64_t max_gap;		/* usec, sequences */
	uint64_t horizon;		/* usec: idle state older is useless */
	size_t evcap;			/* most evidence items an incident has */
	struct corr_req reqs[CORR_MAX_REQS];
	const char *labels[CORR_MAX_REQS];	/* = reqs[i].label */
	const char *keys[CORR_MAX_REQS];	/* = reqs[i].key.text */
	size_t nreqs;
	const struct corr_group **excl;	/* owned array of borrowed groups */
	size_t nexcl;
	uint32_t etypes;		/* union of the requirements' masks */
	unsigned line;			/* in the file */
};

struct corr_ruleset {
	struct corr_rule *rules;	/* owned */
	size_t n;
	struct corr_group *groups;	/* owned */
	size_t ngroups;
};

/* Looks up path in ev's JSON; writes the value as text (strings as is,
 * numbers in decimal, booleans true/false) into out (NUL-terminated,
 * truncated to n-1).  Returns the full length, or -1 if absent or not a
 * scalar. */
int corr_event_get(const struct corr_event *ev, const struct corr_path *p,
		   char *out, size_t n);

/* Whether addr is in group g (an empty group holds nothing). */
bool corr_group_has(const struct corr_group *g, const struct mamori_addr *a);

void corr_path_release(struct corr_path *p);
int corr_path_set(struct corr_path *p, const char *text);

#endif
