/*
 * fuzz_metronome.c - every Metronome reply parser on the same bytes: a
 * job (with history, active runs, schedules), a job list, a run, a
 * schedule, the error bodies of every status (404, 409, 422 with a path
 * mapper), the timestamp reader; and roger local's validation of a job
 * and a schedule from a request body.  What parses must read back
 * consistently: a finished run found by id is that run.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/jobs.h"
#include "lib/local/metronome-int.h"
#include "lib/metronome.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct roger_metronome_job *job = NULL;
	struct roger_metronome_jobs *jobs = NULL;
	struct roger_metronome_run *run = NULL;
	struct roger_metronome_schedule s;
	struct roger_err err = ROGER_ERR_INIT;
	static const long statuses[] = { 400, 404, 409, 422, 500 };
	static char source[] = "jobs.report";
	json_t *sj = NULL, *in, *out, *error = NULL;
	char *text;
	int64_t t;
	int status;

	if (roger_metronome_job_parse(&job, body, size, &err) == 0) {
		for (size_t i = 0; i < job->history.n_runs; i++)
			if (roger_metronome_job_finished(
				    job, job->history.runs[i].id) == NULL)
				__builtin_trap();
		for (size_t i = 0; i < job->n_schedules; i++)
			if (!job->schedules[i].timezone)
				__builtin_trap();
		(void)roger_metronome_job_label(job, "ROGER_APP");
		json_decref(roger_jobs_comparable(job->json, NULL));
		roger_metronome_job_free(job);
	}
	if (roger_metronome_jobs_parse(&jobs, body, size, &err) == 0)
		roger_metronome_jobs_free(jobs);
	if (roger_metronome_run_parse(&run, body, size, &err) == 0) {
		(void)roger_metronome_run_done(run->status);
		roger_metronome_run_free(run);
	}
	if (roger_metronome_schedule_parse(&s, &sj, body, size, &err) == 0)
		json_decref(sj);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(*statuses); i++) {
		roger_err_clear(&err);
		if (roger_metronome_error_from_reply(
			    &err, statuses[i], body, size, "http://m/v1/jobs",
			    "roger.json", roger_jobs_user_path, source) != 0 &&
		    (!err.msg[0] || strchr(err.msg, '\n')))
			__builtin_trap();
	}
	text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)roger_metronome_time_parse(&t, text);
		(void)roger_metronome_id_check(text, NULL);
		free(text);
	}
	in = json_loadb(body, size, JSON_DECODE_ANY, NULL);
	if (in) {
		out = roger_local_mjob_normalize(in, NULL, &status, &error);
		if (!out && (status != 422 || !error))
			__builtin_trap();
		json_decref(out);
		json_decref(error);
		error = NULL;
		out = roger_local_mschedule_normalize(in, NULL, "/nonexistent",
						      &status, &error);
		json_decref(out);
		json_decref(error);
		json_decref(in);
	}
	return 0;
}
