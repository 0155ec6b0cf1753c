/* Fuzz target: the PE reader, the file-version helper and the PE checks
 * (run as a .vmx in a temp folder so every check's path is taken). */
#include "fuzz_host_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mamori_pe pe;
	uint16_t ver[4];
	size_t off;
	if (mamori_pe_parse(data, size, &pe) == 0)
		for (unsigned i = 0; i < pe.n_sections; i++)
			(void)mamori_pe_rva_to_off(&pe, size, pe.sec[i].vaddr, &off);
	(void)mamori_pe_file_version(data, size, ver);
	fuzz_run(host_pe_run, "/windows/temp/x.vmx", data, size);
	fuzz_run(host_pe_run, "/windows/system32/big.ocx", data, size);
	return 0;
}
