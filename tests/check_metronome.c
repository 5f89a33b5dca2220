/*
 * check_metronome.c - unit tests of lib/metronome.c: Metronome's ids and
 * times, the requests roger builds, and the replies of the contract
 * (METRONOME.md), from its fixtures copied into tests/fixtures.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "lib/metronome.h"

static struct roger_buf fixture(const char *name)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	const char *src = getenv("TEST_SRCDIR");
	char path[1024];

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	ck_assert_msg(roger_fs_read_file(&b, path, &err) == 0, "%s", err.msg);
	return b;
}

START_TEST(test_metronome_ids)
{
	static const char *const good[] = {
		"prod.example.app", "a-a.a-a", "a", "0",
		"web.hello.report", "a1-b2-c3"
	};
	static const char *const bad[] = { "a-", ".a",   "a.",        "/x",
					   "A",  "a--b", "",          "a..b",
					   "-a", "a_b",  "web/hello", "a.-b" };
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(roger_metronome_id_check(good[i], &err) == 0,
			      "'%s' refused: %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(roger_metronome_id_check(bad[i], &err) ==
				      ROGER_EINVALID,
			      "'%s' accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "job id"));
	}
	ck_assert_int_eq(roger_metronome_schedule_id_check("ab", NULL), 0);
	ck_assert_int_eq(
		roger_metronome_schedule_id_check("every-minute", NULL), 0);
	ck_assert_int_eq(roger_metronome_schedule_id_check("a", NULL),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_metronome_schedule_id_check("-ab", NULL),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_metronome_schedule_id_check("ab-", NULL),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_metronome_schedule_id_check("a.b", NULL),
			 ROGER_EINVALID);
}
END_TEST

START_TEST(test_metronome_times)
{
	int64_t t = 0;
	char s[32];

	ck_assert(
		roger_metronome_time_parse(&t, "2016-07-15T13:02:59.735+0000"));
	ck_assert_int_eq(t, 1468587779735LL);
	ck_assert(
		roger_metronome_time_parse(&t, "2016-07-15T15:02:59.735+0200"));
	ck_assert_int_eq(t, 1468587779735LL);
	ck_assert(roger_metronome_time_parse(&t,
					     "2016-07-15T08:02:59.735-05:00"));
	ck_assert_int_eq(t, 1468587779735LL);
	ck_assert(roger_metronome_time_parse(&t, "2016-07-15T13:02:59Z"));
	ck_assert_int_eq(t, 1468587779000LL);
	roger_metronome_time_format(s, 1468587779735LL);
	ck_assert_str_eq(s, "2016-07-15T13:02:59.735+0000");
	t = 7;
	ck_assert(!roger_metronome_time_parse(&t, "2016-07-15T13:02:59.735"));
	ck_assert(
		!roger_metronome_time_parse(&t, "2016-07-15T13:02:59.735+000"));
	ck_assert(!roger_metronome_time_parse(&t, "2016-07-15 13:02:59Z"));
	ck_assert(!roger_metronome_time_parse(&t, "2016-13-15T13:02:59Z"));
	ck_assert(!roger_metronome_time_parse(&t, NULL));
	ck_assert_int_eq(t, 7);
}
END_TEST

START_TEST(test_metronome_requests)
{
	struct roger_metronome_req r = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_http_req h;
	json_t *job = json_pack("{s:s,s:{s:s}}", "id", "web.hello.report",
				"run", "cmd", "true");
	json_t *sched =
		json_pack("{s:s,s:s}", "id", "default", "cron", "* * * * *");

	ck_assert_int_eq(roger_metronome_req_get_job(
				 &r, "web.hello.report",
				 ROGER_METRONOME_EMBED_ACTIVE_RUNS |
					 ROGER_METRONOME_EMBED_HISTORY,
				 &err),
			 0);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(
		r.path,
		"/v1/jobs/web.hello.report?embed=activeRuns&embed=history");
	roger_metronome_req_release(&r);

	ck_assert_int_eq(roger_metronome_req_list_jobs(&r, 0, &err), 0);
	ck_assert_str_eq(r.path, "/v1/jobs");
	roger_metronome_req_release(&r);

	ck_assert_int_eq(roger_metronome_req_create_job(&r, job, &err), 0);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/v1/jobs");
	ck_assert_str_eq(
		r.body,
		"{\"id\":\"web.hello.report\",\"run\":{\"cmd\":\"true\"}}");
	roger_metronome_req_http(&r, &h);
	ck_assert_str_eq(h.content_type, "application/json");
	ck_assert_uint_eq(h.body_len, strlen(r.body));
	roger_metronome_req_release(&r);

	ck_assert_int_eq(roger_metronome_req_delete_job(&r, "web.hello.report",
							true, &err),
			 0);
	ck_assert_str_eq(r.method, "DELETE");
	ck_assert_str_eq(r.path,
			 "/v1/jobs/web.hello.report?stopCurrentJobRuns=true");
	roger_metronome_req_release(&r);

	ck_assert_int_eq(
		roger_metronome_req_put_schedule(&r, "web.hello.report",
						 "default", sched, &err),
		0);
	ck_assert_str_eq(r.method, "PUT");
	ck_assert_str_eq(r.path, "/v1/jobs/web.hello.report/schedules/default");
	roger_metronome_req_release(&r);

	ck_assert_int_eq(roger_metronome_req_create_schedule(
				 &r, "web.hello.report", sched, &err),
			 0);
	ck_assert_str_eq(r.path, "/v1/jobs/web.hello.report/schedules");
	roger_metronome_req_release(&r);

	ck_assert_int_eq(
		roger_metronome_req_start_run(&r, "web.hello.report", &err), 0);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/v1/jobs/web.hello.report/runs");
	ck_assert_int_eq(r.idempotent, ROGER_HTTP_IDEMPOTENT_NO);
	ck_assert_ptr_null(r.body);
	roger_metronome_req_release(&r);

	ck_assert_int_eq(roger_metronome_req_stop_run(&r, "web.hello.report",
						      "20190611082632T0w4y",
						      &err),
			 0);
	ck_assert_str_eq(
		r.path,
		"/v1/jobs/web.hello.report/runs/20190611082632T0w4y/actions/stop");
	roger_metronome_req_release(&r);

	/* ids are checked before anything is built */
	ck_assert_int_eq(roger_metronome_req_get_job(&r, "web/hello", 0, &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(
		roger_metronome_req_get_run(&r, "web.hello", "../x", &err),
		ROGER_EINVALID);
	ck_assert_int_eq(roger_metronome_req_put_schedule(&r, "web.hello", "x",
							  sched, &err),
			 ROGER_EINVALID);
	json_decref(job);
	json_decref(sched);
}
END_TEST

START_TEST(test_metronome_job_history)
{
	struct roger_buf b = fixture("metronome-job-history.json");
	struct roger_metronome_job *job = NULL;
	const struct roger_metronome_finished *f;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_metronome_job_parse(&job, b.buf, b.len, &err),
			 0);
	ck_assert_str_eq(job->id, "test");
	ck_assert_str_eq(job->cmd, "sleep 1");
	ck_assert_uint_eq(job->n_active_runs, 0);
	ck_assert(!job->has_schedules);
	ck_assert(job->history.present);
	ck_assert_int_eq(job->history.success_count, 1);
	ck_assert_int_eq(job->history.failure_count, 2);
	ck_assert_str_eq(job->history.last_success_at,
			 "2019-06-11T08:28:17.722+0000");
	ck_assert_uint_eq(job->history.n_runs, 1);
	f = roger_metronome_job_finished(job, "20190611082632T0w4y");
	ck_assert_ptr_nonnull(f);
	ck_assert(f->success);
	ck_assert_uint_eq(f->n_tasks, 1);
	ck_assert_str_eq(
		f->tasks[0],
		"test_20190611082632T0w4y.dc3c80e6-8c22-11e9-89ca-f6185111971b");
	ck_assert_ptr_null(
		roger_metronome_job_finished(job, "20190611082632Xxxxx"));
	roger_metronome_job_free(job);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_metronome_run)
{
	struct roger_buf b = fixture("metronome-run.json");
	struct roger_metronome_run *run = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	int64_t t;

	ck_assert_int_eq(roger_metronome_run_parse(&run, b.buf, b.len, &err),
			 0);
	ck_assert_str_eq(run->id, "20190611082632T0w4y");
	ck_assert_str_eq(run->job_id, "test");
	ck_assert_str_eq(run->status, "ACTIVE");
	ck_assert(!roger_metronome_run_done(run->status));
	ck_assert_ptr_null(run->completed_at);
	ck_assert_uint_eq(run->n_tasks, 1);
	ck_assert_str_eq(run->tasks[0].status, "TASK_RUNNING");
	ck_assert_ptr_null(run->tasks[0].completed_at);
	ck_assert(roger_metronome_time_parse(&t, run->created_at));
	roger_metronome_run_free(run);
	roger_buf_release(&b);
	ck_assert(roger_metronome_run_done("FAILED"));
	ck_assert(roger_metronome_run_done("SUCCESS"));
	ck_assert(!roger_metronome_run_done("INITIAL"));
}
END_TEST

/* A list: an idle job has no activeRuns, schedules as embedded. */
START_TEST(test_metronome_list)
{
	static const char body[] =
		"[{\"id\":\"a\",\"labels\":{\"ROGER_APP\":\"/web/a\"},\"run\":{\"cmd\":\"x\",\"cpus\":1,\"mem\":32,\"disk\":0},"
		"\"schedules\":[{\"id\":\"default\",\"cron\":\"0 3 * * *\",\"concurrencyPolicy\":\"FORBID\",\"enabled\":false,"
		"\"startingDeadlineSeconds\":60,\"timezone\":\"Europe/Berlin\",\"nextRunAt\":\"2024-01-01T02:00:00.000+0000\"}]},"
		"{\"id\":\"b\",\"run\":{},\"schedules\":[],\"activeRuns\":[{\"id\":\"20240101000000abcde\",\"jobId\":\"b\",\"status\":\"INITIAL\","
		"\"createdAt\":\"2024-01-01T00:00:00.000+0000\",\"completedAt\":null,\"tasks\":[]}]}, 42]";
	struct roger_metronome_jobs *jobs = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_metronome_jobs_parse(&jobs, body, strlen(body), &err), 0);
	ck_assert_uint_eq(jobs->n, 2);
	ck_assert_str_eq(roger_metronome_job_label(jobs->items[0], "ROGER_APP"),
			 "/web/a");
	ck_assert_uint_eq(jobs->items[0]->n_schedules, 1);
	ck_assert_str_eq(jobs->items[0]->schedules[0].timezone,
			 "Europe/Berlin");
	ck_assert_str_eq(jobs->items[0]->schedules[0].concurrency_policy,
			 "FORBID");
	ck_assert(!jobs->items[0]->schedules[0].enabled);
	ck_assert_int_eq(jobs->items[0]->schedules[0].starting_deadline_seconds,
			 60);
	ck_assert_uint_eq(jobs->items[0]->n_active_runs, 0);
	ck_assert(!jobs->items[0]->history.present);
	ck_assert_uint_eq(jobs->items[1]->n_active_runs, 1);
	ck_assert_str_eq(jobs->items[1]->active_runs[0].status, "INITIAL");
	ck_assert_ptr_null(jobs->items[1]->active_runs[0].completed_at);
	roger_metronome_jobs_free(jobs);

	ck_assert_int_eq(roger_metronome_jobs_parse(&jobs, "{}", 2, &err),
			 ROGER_EHTTP);
	ck_assert_int_eq(roger_metronome_jobs_parse(&jobs, "[", 1, &err),
			 ROGER_EHTTP);
	ck_assert_int_eq(roger_metronome_run_parse(NULL, "{}", 2, &err),
			 ROGER_EHTTP);
}
END_TEST

static int map_path(void *data, struct roger_buf *out, const char *path)
{
	ck_assert_str_eq(data, "jobs.report");
	if (!strcmp(path, "/run/mem"))
		return roger_buf_addf(out, "%s.mem", (const char *)data);
	return roger_buf_addf(out, "%s (%s)", (const char *)data, path);
}

START_TEST(test_metronome_errors)
{
	struct roger_buf b = fixture("metronome-404.json");
	struct roger_err err = ROGER_ERR_INIT;
	static const char details[] =
		"{\"message\":\"Object is not valid\",\"details\":[{\"path\":\"/run/mem\",\"errors\":[\"16 is smaller than required minimum value of 32.\"]},"
		"{\"path\":\"/run\",\"errors\":[\"Cmd, Docker or UCR image must be specified\"]}]}";
	static const char run404[] =
		"{\"jobSpec\":\"web.hello.run\",\"id\":\"20240101000000abcde\",\"message\":\"Job Run not found\"}";
	static const char conflict[] =
		"{\"message\":\"There are active job runs. Override with stopCurrentJobRuns=true\"}";
	static const char server[] = "{\"requestPath\":\"/v1/jobs\"}";
	static char prefix[] = "jobs.report";

	ck_assert_int_eq(roger_metronome_error_from_reply(&err, 404, b.buf,
							  b.len, "u", NULL,
							  NULL, NULL),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg, "job 'notexistent' does not exist");
	ck_assert_int_eq(err.http_status, 404);
	ck_assert_int_eq(roger_metronome_error_from_reply(&err, 404, run404,
							  strlen(run404), "u",
							  NULL, NULL, NULL),
			 ROGER_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(
		err.msg, "run '20240101000000abcde' of job 'web.hello.run'"));
	ck_assert_int_eq(roger_metronome_error_from_reply(
				 &err, 422, details, strlen(details), "u",
				 "roger.json", map_path, prefix),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"roger.json: jobs.report.mem: 16 is smaller than required minimum value of 32.; "
		"roger.json: jobs.report (/run): Cmd, Docker or UCR image must be specified");
	ck_assert_int_eq(roger_metronome_error_from_reply(
				 &err, 409, conflict, strlen(conflict),
				 "http://m/v1/jobs/x", NULL, NULL, NULL),
			 ROGER_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(err.msg, "There are active job runs"));
	/* nothing useful: the caller maps the status */
	ck_assert_int_eq(roger_metronome_error_from_reply(&err, 500, server,
							  strlen(server), "u",
							  NULL, NULL, NULL),
			 0);
	ck_assert_int_eq(roger_metronome_error_from_reply(
				 &err, 404, "<html>", 6, "u", NULL, NULL, NULL),
			 0);
	roger_buf_release(&b);
}
END_TEST

static Suite *metronome_suite(void)
{
	Suite *s = suite_create("metronome");
	TCase *tc = tcase_create("data");

	tcase_add_test(tc, test_metronome_ids);
	tcase_add_test(tc, test_metronome_times);
	tcase_add_test(tc, test_metronome_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("replies");
	tcase_add_test(tc, test_metronome_job_history);
	tcase_add_test(tc, test_metronome_run);
	tcase_add_test(tc, test_metronome_list);
	tcase_add_test(tc, test_metronome_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metronome_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
