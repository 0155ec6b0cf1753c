/*
 * libFuzzer target for the SMB parser (src/app/smb.c), which also drives
 * the DCERPC association code on named pipes (src/app/dcerpc.c).
 * Input: first byte = chunk size - 1 (how the stream is cut), then
 * segments [u8 direction][u16be length][bytes] (the last may be short).
 * Each direction's bytes are fed in chunks with the unconsumed tail kept
 * as the dispatcher keeps it; every transaction is inspected, logged and
 * freed as the dispatcher does, then EOF ends the flow.
 */
#include "fuzz_smb_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_app_run(&app_smb, data, size);
}
