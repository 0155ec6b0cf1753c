/* Fuzz target: the Task Scheduler 1.0 .job parser and its analyzer. */
#include "fuzz_host_common.h"
#include "host/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mamori_job job;
	(void)mamori_job_parse(data, size, &job);
	fuzz_run(host_job_run, "/windows/tasks/at1.job", data, size);
	return 0;
}
