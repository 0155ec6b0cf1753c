/*
 * libFuzzer target for the rule parser (src/detect): the input is a rule
 * file, loaded with a small classification table so that classtype paths
 * run too.  Every rule, accepted or rejected, is freed with the ruleset.
 * Each loaded rule's buffer lists are then evaluated (match.c) over the
 * input itself, so the matcher meets fuzzed rules and fuzzed data.
 */
#include <stddef.h>
#include <stdint.h>

#include "detect/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset *rs = ruleset_new();
	if (!rs)
		return 0;
	if (rule_classes_load_string(&rs->classes,
				     "config classification: trojan-activity,Trojan,1\n"
				     "config classification: misc-activity,Misc,3\n", NULL) == 0)
		(void)ruleset_load_buffer(rs, "fuzz", (const char *)data, size);
	struct rule_match_ctx m;
	if (rule_match_ctx_init(&m) == 0) {
		for (size_t i = 0; i < rs->n && i < 64; i++) {
			(void)rule_fast_pattern(rs->rules[i]);
			for (int l = RULE_LIST_PMATCH; l < RULE_LIST_MAX; l++)
				if (rs->rules[i]->lists[l].n && l != RULE_LIST_POSTMATCH &&
				    l != RULE_LIST_THRESHOLD)
					(void)rule_match_list(rs->rules[i], l, data, size, &m);
		}
		rule_match_ctx_release(&m);
	}
	ruleset_free(rs);
	return 0;
}
