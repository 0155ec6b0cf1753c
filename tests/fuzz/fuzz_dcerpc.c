/*
 * libFuzzer target for the DCERPC-over-TCP parser (src/app/dcerpc.c).
 * Input format as fuzz_smb.c: first byte = chunk size - 1, then segments
 * [u8 direction][u16be length][bytes].
 */
#include "fuzz_smb_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_app_run(&app_dcerpc, data, size);
}
