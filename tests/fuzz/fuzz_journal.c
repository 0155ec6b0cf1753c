/*
 * Fuzz target: the remediation journal reader (src/remedy/journal.c) on
 * arbitrary bytes; every parsed step is read back field by field so ASan
 * sees a dangling pointer.  Corpus (tests/fuzz/corpus/journal): journals
 * written by `mamori clean --apply` on the test fixtures (files and
 * hives, applied, dropped, undone, reverted) and damaged variants (bad
 * checksum, torn line, out-of-order steps, unsafe paths, bad escapes).
 */
#include <stdint.h>
#include <string.h>

#include "remedy/remedy_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rm_journal j;
	size_t sum = 0;
	if (rm_journal_parse(data, size, &j, NULL) != 0)
		return 0;
	sum += strlen(j.root) + strlen(j.qdir);
	for (size_t i = 0; i < j.n; i++)
		sum += strlen(j.v[i].rel) + strlen(j.v[i].blob) + strlen(j.v[i].sha_old) +
		       (j.v[i].sha_new ? strlen(j.v[i].sha_new) : 0);
	rm_journal_release(&j);
	return sum == (size_t)-1;
}
