/*
 * Fuzz target: the findings reader of `mamori clean --findings`
 * (src/remedy/findings.c, libjansson) on arbitrary bytes; every field of
 * every finding is read so ASan sees a dangling pointer.  Corpus
 * (tests/fuzz/corpus/findings): `mamori scan --json` output of the test
 * fixtures (file and registry findings) and broken lines (bad JSON, wrong
 * types, missing fields, NUL in strings, other event types).
 */
#include <stdint.h>
#include <string.h>

#include "remedy/remedy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct mamori_finding *f, void *ctx)
{
	size_t *n = ctx;
	const char *s[] = {f->kind, f->path, f->family, f->indicator, f->evidence, f->sha256,
			   f->hive, f->key, f->value, f->data, f->source, f->remedy};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i])
			*n += strlen(s[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sum = 0;
	struct mamori_diag diag;
	memset(&diag, 0, sizeof(diag));
	(void)mamori_remedy_findings_read(data, size, touch, &sum, &diag);
	return 0;
}
