/* Fuzz target: the tolerant AUTORUN.INF parser and its analyzer. */
#include "fuzz_host_common.h"
#include "host/autorun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mamori_autorun ar;
	char prog[64], target[64];
	mamori_autorun_parse(data, size, &ar);
	for (size_t i = 0; i < ar.n; i++)
		mamori_autorun_split_command(ar.e[i].value, prog, target, sizeof(prog));
	fuzz_run(host_autorun_run, "/usb/recycler/autorun.inf", data, size);
	return 0;
}
