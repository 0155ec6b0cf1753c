/*
 * libFuzzer target for the TLS parser (src/app/tls.c): a client and a
 * server byte stream fed in chunks, with an optional gap; see
 * fuzz_app_two_sides.h for the input layout.  Seeds in corpus/tls come from
 * the loopback captures and crafted hellos (tests/data/tls/make_seeds.py).
 */
#include "fuzz_app_two_sides.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_two_sides(&app_tls, data, size);
}
