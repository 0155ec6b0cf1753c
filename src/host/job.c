/*
 * Task Scheduler 1.0 .job parser (job.h) and the host analyzer over it.
 *
 * Layout checks, all on the cursor: the file holds the 68-byte fixed part;
 * AppNameLenOffset points just past the running-instance count (offset 70)
 * and the TriggerOffset at the trigger count that follows the reserved
 * data; each string's declared character count fits the file and ends in
 * NUL; user/reserved data sizes fit; every trigger's declared size is 48
 * and all declared triggers are present.
 *
 * Findings:
 *   conficker.job.rundll32_nondll  the job runs rundll32 on a file whose
 *                                  name does not end in .dll (Conficker
 *                                  schedules "rundll32.exe x.vn,entry")
 *   conficker.job.random_system32  the job runs (directly or through
 *                                  rundll32) a random-looking file name in
 *                                  system32
 */
#include <stdio.h>
#include <string.h>

#include "host/autorun.h"
#include "host/host_int.h"
#include "host/job.h"
#include "util/cursor.h"
#include "util/err.h"

/* Reads a [MS-TSCH] 2.4.2.1 Unicode string: u16 count (incl. NUL), chars. */
static bool job_string(struct cursor *c, char *dst, size_t cap)
{
	uint16_t count;
	struct cursor s;
	if (!cur_u16le(c, &count))
		return false;
	dst[0] = 0;
	if (count == 0)
		return true;
	if (!cur_sub(c, (size_t)count * 2, &s))
		return false;
	size_t o = 0;
	uint16_t ch = 0;
	for (uint16_t i = 0; i < count; i++) {
		(void)cur_u16le(&s, &ch);
		if (ch == 0)
			break;
		if (o + 1 < cap)
			dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[o] = 0;
	return ch == 0;	/* the last character read must be the terminator */
}

int mamori_job_parse(const uint8_t *p, size_t n, struct mamori_job *out)
{
	struct cursor c, all;
	memset(out, 0, sizeof(*out));
	cur_init(&all, p, n);
	c = all;
	if (n < MAMORI_JOB_FIXED_LEN + 2)
		return MAMORI_FORMAT_ERR();
	(void)cur_u16le(&c, &out->product_version);
	(void)cur_u16le(&c, &out->file_version);
	(void)cur_copy(&c, out->uuid, 16);
	(void)cur_u16le(&c, &out->app_name_offset);
	(void)cur_u16le(&c, &out->trigger_offset);
	(void)cur_u16le(&c, &out->retry_count);
	(void)cur_u16le(&c, &out->retry_interval);
	(void)cur_u16le(&c, &out->idle_deadline);
	(void)cur_u16le(&c, &out->idle_wait);
	(void)cur_u32le(&c, &out->priority);
	(void)cur_u32le(&c, &out->max_run_time);
	(void)cur_u32le(&c, &out->exit_code);
	(void)cur_u32le(&c, &out->status);
	(void)cur_u32le(&c, &out->flags);
	for (int i = 0; i < 8; i++)
		(void)cur_u16le(&c, &out->last_run[i]);
	(void)cur_u16le(&c, &out->running_instances);
	if (out->app_name_offset != MAMORI_JOB_FIXED_LEN + 2)
		return MAMORI_FORMAT_ERR();
	if (!job_string(&c, out->application, sizeof(out->application)) ||
	    !job_string(&c, out->parameters, sizeof(out->parameters)) ||
	    !job_string(&c, out->working_dir, sizeof(out->working_dir)) ||
	    !job_string(&c, out->author, sizeof(out->author)) ||
	    !job_string(&c, out->comment, sizeof(out->comment)))
		return MAMORI_FORMAT_ERR();
	if (!cur_u16le(&c, &out->user_data_len) || !cur_skip(&c, out->user_data_len) ||
	    !cur_u16le(&c, &out->reserved_len) || !cur_skip(&c, out->reserved_len))
		return MAMORI_FORMAT_ERR();
	if ((size_t)out->trigger_offset != n - cur_len(&c))
		return MAMORI_FORMAT_ERR();
	if (!cur_u16le(&c, &out->n_triggers))
		return MAMORI_FORMAT_ERR();
	for (unsigned i = 0; i < out->n_triggers; i++) {
		struct cursor t;
		uint16_t size, reserved;
		if (!cur_sub(&c, MAMORI_JOB_TRIGGER_LEN, &t) || !cur_u16le(&t, &size) ||
		    size != MAMORI_JOB_TRIGGER_LEN || !cur_u16le(&t, &reserved))
			return MAMORI_FORMAT_ERR();
		if (i >= MAMORI_JOB_MAX_TRIGGERS)
			continue;
		struct mamori_job_trigger *tr = &out->trig[i];
		(void)cur_u16le(&t, &tr->begin_year);
		(void)cur_u16le(&t, &tr->begin_month);
		(void)cur_u16le(&t, &tr->begin_day);
		(void)cur_u16le(&t, &tr->end_year);
		(void)cur_u16le(&t, &tr->end_month);
		(void)cur_u16le(&t, &tr->end_day);
		(void)cur_u16le(&t, &tr->start_hour);
		(void)cur_u16le(&t, &tr->start_minute);
		(void)cur_u32le(&t, &tr->minutes_duration);
		(void)cur_u32le(&t, &tr->minutes_interval);
		(void)cur_u32le(&t, &tr->flags);
		(void)cur_u32le(&t, &tr->type);
		out->n_stored = i + 1;
	}
	return 0;
}

static bool in_system32(const char *path)
{
	return host_icontains(path, "system32\\") || host_icontains(path, "system32/") ||
	       host_icontains(path, "%system%");
}

int host_job_run(struct host_file *f)
{
	if (strcmp(f->ext, "job") != 0 || !f->size)
		return 0;
	struct mamori_job job;
	char cmdline[1100], prog[520], target[520];
	int rc;
	if (mamori_job_parse(f->data, f->size, &job) != 0) {
		host_error(f->sc, f->path, MAMORI_EFORMAT, 0,
			   "not a valid Task Scheduler .job file");
		return 0;
	}
	const char *app = host_basename(job.application);
	if (host_ieq(app, "rundll32.exe") || host_ieq(app, "rundll32")) {
		/* parameters: "path,entry args" */
		const char *pp = job.parameters;
		snprintf(cmdline, sizeof(cmdline), "rundll32.exe %s", pp);
		(void)mamori_autorun_split_command(cmdline, prog, target, sizeof(target));
		const char *tb = host_basename(target);
		const char *dot = strrchr(tb, '.');
		if (!target[0] || !dot || (!host_ieq(dot, ".dll")))
			if ((rc = host_emit(f, "conficker", "conficker.job.rundll32_nondll",
					    MAMORI_SEV_HIGH, NULL,
					    "task runs %s %s: rundll32 on '%s', not a .dll name",
					    job.application, job.parameters,
					    target[0] ? target : "(nothing)")) != 0)
				return rc;
		if (target[0] && (in_system32(target) || !strpbrk(target, "\\/")) &&
		    host_name_random(tb))
			return host_emit(f, "conficker", "conficker.job.random_system32",
					 MAMORI_SEV_MEDIUM, NULL,
					 "task runs %s %s: random-looking system32 file '%s'",
					 job.application, job.parameters, tb);
		return 0;
	}
	if (in_system32(job.application) && host_name_random(app))
		return host_emit(f, "conficker", "conficker.job.random_system32",
				 MAMORI_SEV_MEDIUM, NULL,
				 "task runs random-looking system32 file %s", job.application);
	return 0;
}
