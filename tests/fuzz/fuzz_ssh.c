/*
 * libFuzzer target for the SSH parser (src/app/ssh.c): a client and a
 * server byte stream fed in chunks, with an optional gap; see
 * fuzz_app_two_sides.h for the input layout.  Seeds in corpus/ssh come from
 * the loopback captures and crafted banners and KEXINITs
 * (tests/data/ssh/make_seeds.py).
 */
#include "fuzz_app_two_sides.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_two_sides(&app_ssh, data, size);
}
