/*
 * Registry edits on a writable libhivex handle (hedit.c).  Internal.
 */
#ifndef MAMORI_REMEDY_HEDIT_H
#define MAMORI_REMEDY_HEDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <hivex.h>

#include "remedy/remedy.h"

struct rm_hedit_res {
	bool changed;		/* false: already in the wanted state */
	uint32_t old_type;	/* REG_* of the old value, when there was one */
	char old_hex[1024];	/* its bytes in hex ("absent", "key", truncated "...") */
};

/* Carries out one registry action on h (opened HIVEX_OPEN_WRITE).
 * res (OUT).  0, MAMORI_EFORMAT (value of the wrong type), MAMORI_EDEP
 * (libhivex failed), MAMORI_EPERM (would delete the root). */
int rm_hedit_apply(hive_h *h, const struct mamori_remedy_action *a,
		   struct rm_hedit_res *res);
/* True when h shows a's effect. */
bool rm_hedit_verify(hive_h *h, const struct mamori_remedy_action *a);

#endif
