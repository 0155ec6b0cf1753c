/*
 * libFuzzer target for the correlation file parser (src/correlate/load.c):
 * the input is a correlation YAML file.  When it loads, a fixed stream of
 * EVE records (alert, dns, flow, http, smb) is fed through an engine built
 * on it with a tiny memcap, so fuzzed rules also drive the evaluator and
 * the LRU eviction.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "correlate/correlate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const eve[] = {
	"{\"timestamp\":\"2008-11-24T10:00:00.000000+0000\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"10.0.0.66\",\"src_port\":1025,\"dest_ip\":\"10.0.0.1\",\"dest_port\":445,\"proto\":\"TCP\",\"alert\":{\"signature_id\":2008691,\"signature\":\"s\",\"category\":\"A Network Trojan was detected\"}}",
	"{\"timestamp\":\"2008-11-24T10:00:01.000000+0000\",\"flow_id\":2,\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"src_port\":1026,\"dest_ip\":\"81.0.0.1\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"signature_id\":2007742,\"signature\":\"s\",\"category\":\"A Network Trojan was detected\"}}",
	"{\"timestamp\":\"2008-11-24T10:00:02.000000+0000\",\"flow_id\":3,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":5000,\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.example\",\"rrtype\":\"MX\"}}",
	"{\"timestamp\":\"2008-11-24T10:00:03.000000+0000\",\"flow_id\":4,\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\",\"src_port\":5001,\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"type\":\"answer\",\"rrname\":\"qwkfzhxj.com\",\"rcode\":\"NXDOMAIN\"}}",
	"{\"timestamp\":\"2008-11-24T10:00:04.000000+0000\",\"flow_id\":5,\"event_type\":\"http\",\"src_ip\":\"10.0.0.1\",\"src_port\":5002,\"dest_ip\":\"10.0.0.66\",\"dest_port\":8080,\"proto\":\"TCP\",\"http\":{\"url\":\"/x\",\"http_method\":\"GET\"}}",
	"{\"timestamp\":\"2008-11-24T10:00:05.000000+0000\",\"flow_id\":6,\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":5003,\"dest_ip\":\"10.0.0.7\",\"dest_port\":445,\"proto\":\"TCP\"}",
	"{\"timestamp\":\"2008-11-24T10:00:06.000000+0000\",\"flow_id\":7,\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"src_port\":5004,\"dest_ip\":\"198.51.100.1\",\"dest_port\":25,\"proto\":\"TCP\"}",
	"{\"timestamp\":\"2008-11-24T10:00:07.000000+0000\",\"flow_id\":8,\"event_type\":\"smb\",\"src_ip\":\"10.0.0.1\",\"src_port\":1139,\"dest_ip\":\"10.0.0.9\",\"dest_port\":445,\"proto\":\"TCP\",\"smb\":{\"status\":\"STATUS_LOGON_FAILURE\",\"share\":\"\\\\\\\\h\\\\ADMIN$\",\"dcerpc\":{\"opnum\":0,\"interface\":{\"uuid\":\"1ff70682-0a51-30e8-076d-740be8cee98b\"}}}}",
	"{\"timestamp\":\"2008-11-24T10:00:08.000000+0000\",\"flow_id\":9,\"event_type\":\"flow\",\"src_ip\":\"2001:db8::1\",\"src_port\":5005,\"dest_ip\":\"2001:db8::2\",\"dest_port\":25,\"proto\":\"TCP\"}",
};

static void sink(void *ctx, const struct corr_incident *inc)
{
	(void)ctx;
	(void)inc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corr_ruleset *rs = NULL;
	struct corr_engine *e = NULL;
	struct mamori_diag d;
	if (corr_ruleset_load_buffer("fuzz", data, size, NULL, &rs, &d) != 0)
		return 0;
	struct corr_limits lim = {.memcap = 16384, .max_entities = 4};
	if (corr_engine_new(rs, &lim, sink, NULL, &e) == 0) {
		for (int round = 0; round < 3; round++)
			for (size_t i = 0; i < sizeof(eve) / sizeof(eve[0]); i++)
				(void)corr_feed_eve_line(e, eve[i], strlen(eve[i]));
		corr_flush(e, UINT64_MAX / 2);
		corr_engine_free(e);
	}
	corr_ruleset_free(rs);
	return 0;
}
