/*
 * Task Scheduler 1.0 .job file reader ([MS-TSCH] 2.4 "Job File Format"):
 * the 68-byte fixed-length section (FIXDLEN_DATA) and the variable-length
 * section (running instance count, application name, parameters, working
 * directory, author, comment, user data, reserved data, triggers).  The
 * optional job signature at the end is not read.
 *
 * Strings are "Unicode strings" of the spec: a 16-bit character count that
 * includes the terminating NUL, then UTF-16LE; they are folded to
 * printable ASCII ('?' otherwise) and cut at the field size.  No
 * allocation; thread-safe.  Wrong lengths give MAMORI_EFORMAT.
 */
#ifndef MAMORI_HOST_JOB_H
#define MAMORI_HOST_JOB_H

#include <stddef.h>
#include <stdint.h>

#define MAMORI_JOB_FIXED_LEN 68
#define MAMORI_JOB_TRIGGER_LEN 48
#define MAMORI_JOB_MAX_TRIGGERS 8	/* stored; more are counted only */

struct mamori_job_trigger {
	uint16_t begin_year, begin_month, begin_day;
	uint16_t end_year, end_month, end_day;
	uint16_t start_hour, start_minute;
	uint32_t minutes_duration, minutes_interval, flags, type;
};

struct mamori_job {
	/* fixed-length section */
	uint16_t product_version, file_version;
	uint8_t uuid[16];
	uint16_t app_name_offset, trigger_offset;
	uint16_t retry_count, retry_interval, idle_deadline, idle_wait;
	uint32_t priority, max_run_time, exit_code, status, flags;
	uint16_t last_run[8];		/* SYSTEMTIME */
	/* variable-length section */
	uint16_t running_instances;
	char application[520];
	char parameters[1024];
	char working_dir[520];
	char author[256];
	char comment[512];
	uint16_t user_data_len, reserved_len;
	uint16_t n_triggers;		/* as declared */
	unsigned n_stored;		/* <= MAMORI_JOB_MAX_TRIGGERS */
	struct mamori_job_trigger trig[MAMORI_JOB_MAX_TRIGGERS];
};

/* Parses p[0..n) into *out (OUT).  Returns 0 or MAMORI_EFORMAT. */
int mamori_job_parse(const uint8_t *p, size_t n, struct mamori_job *out);

#endif
