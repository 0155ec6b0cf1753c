/*
 * libFuzzer target for the mamori.yaml loader (src/config): the input is a
 * config file.  A loaded config is also applied (variables into a rule_vars
 * table, memcaps into net_config/detect_config, rule paths resolved) so the
 * mapping code sees fuzzed values too.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "detect/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mamori_config cfg;
	struct mamori_diag diag;
	mamori_config_defaults(&cfg);
	if (mamori_config_load_buffer("fuzz.yaml", data, size, &cfg, &diag) == 0) {
		struct net_config nc;
		struct detect_config dc;
		net_config_defaults(&nc);
		detect_config_defaults(&dc);
		mamori_config_apply_net(&cfg, &nc);
		mamori_config_apply_detect(&cfg, &dc);
		struct rule_vars *vars = rule_vars_new();
		if (vars) {
			(void)mamori_config_apply_vars(&cfg, vars);
			rule_vars_free(vars);
		}
		char path[256];
		for (size_t i = 0; i < cfg.nrule_files; i++)
			(void)mamori_config_rule_path(&cfg, i, path, sizeof(path));
		(void)mamori_config_eve_filename(&cfg);
	}
	mamori_config_release(&cfg);
	return 0;
}
