/*
 * Fuzz target: the remediation template loader (src/remedy/template.c,
 * libyaml) on arbitrary bytes, then one match of a fixed finding against
 * what loaded.  Corpus (tests/fuzz/corpus/remedy_template): the shipped
 * rules/remedy templates and broken ones (bad YAML, unknown keys and
 * actions, wrong types, missing fields, out-of-range numbers).
 */
#include <stdint.h>
#include <string.h>

#include "remedy/remedy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mamori_remedy_rules *r = NULL;
	struct mamori_diag diag;
	struct mamori_remedy_plan plan;
	struct mamori_finding f = {
		.kind = "registry", .path = "/v/WINDOWS/system32/config/SYSTEM",
		.family = "conficker", .indicator = "conficker.registry.service_disabled",
		.evidence = "LSA lists 'x'", .hive = "SYSTEM",
		.key = "ControlSet001\\Services\\BITS", .value = "Start",
	};
	memset(&diag, 0, sizeof(diag));
	(void)mamori_remedy_rules_parse(&r, "fuzz", data, size, &diag);
	if (mamori_remedy_plan_init(&plan, "/v") == 0) {
		(void)mamori_remedy_plan_add(&plan, r, &f);
		(void)mamori_remedy_plan_finish(&plan);
		mamori_remedy_plan_release(&plan);
	}
	mamori_remedy_rules_free(r);
	return 0;
}
