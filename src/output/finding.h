/* EVE "finding" records for host findings (see include/mamori/finding.h). */
#ifndef MAMORI_OUTPUT_FINDING_H
#define MAMORI_OUTPUT_FINDING_H

#include "mamori/finding.h"
#include "util/jw.h"

/* Writes one finding as a complete JSON object (no trailing newline). */
void mamori_finding_write_json(struct jw *w, const struct mamori_finding *f);

#endif
