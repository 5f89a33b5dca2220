/*
 * check_jobs.c - unit tests of lib/jobs.c: job ids derived from app ids,
 * the wrapper that keeps a command's exit status, job specs derived from
 * an app, their comparable form, the mapping of Metronome's 422 paths to
 * roger.json, and the validation of `release` and `jobs` in roger.json.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/jobs.h"
#include "lib/project.h"
#include "lib/render.h"

START_TEST(test_jobs_ids)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *id = NULL;

	ck_assert_int_eq(roger_jobs_id(&id, "/web/hello", "report", &err), 0);
	ck_assert_str_eq(id, "web.hello.report");
	free(id);
	ck_assert_int_eq(roger_jobs_id(&id, "/hello", "run", &err), 0);
	ck_assert_str_eq(id, "hello.run");
	free(id);
	ck_assert_int_eq(roger_jobs_id(&id, "/a/b.c/d", "release", &err), 0);
	ck_assert_str_eq(id, "a.b.c.d.release");
	free(id);
	id = NULL;
	ck_assert_int_eq(roger_jobs_id(&id, "/web/a--b", "report", &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(err.msg, "'web.a--b.report'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "app '/web/a--b'"));

	ck_assert(roger_jobs_name_valid("report"));
	ck_assert(roger_jobs_name_valid("nightly-report2"));
	ck_assert(!roger_jobs_name_valid("release"));
	ck_assert(!roger_jobs_name_valid("run"));
	ck_assert(!roger_jobs_name_valid("a.b"));
	ck_assert(!roger_jobs_name_valid("Report"));
	ck_assert(!roger_jobs_name_valid("a--b"));
	ck_assert(!roger_jobs_name_valid(""));
}
END_TEST

/* The wrapper, run by /bin/sh as Mesos runs it, keeps the status. */
START_TEST(test_jobs_wrapper)
{
	static const char *const cmds[] = {
		"exit 3", "echo 'it''s' \"$HOME\" | wc -c >/dev/null", "true",
		"printf '%s' \"a'b\"; false"
	};
	static const int want[] = { 3, 0, 0, 1 };
	char dir[] = "/tmp/check_jobs.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		char *w = roger_jobs_wrap_cmd(cmds[i]), *back;
		char shell[4096], file[256], text[16] = "";
		FILE *fp;
		int st;

		ck_assert_ptr_nonnull(w);
		back = roger_jobs_unwrap_cmd(w);
		ck_assert_ptr_nonnull(back);
		ck_assert_str_eq(back, cmds[i]);
		snprintf(shell, sizeof(shell),
			 "cd %s && MESOS_SANDBOX=%s /bin/sh -c '%s' >/dev/null",
			 dir, dir, "eval \"$ROGER_CMD\"");
		setenv("ROGER_CMD", w, 1);
		st = system(shell);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), want[i]);
		snprintf(file, sizeof(file), "%s/" ROGER_JOBS_STATUS_FILE, dir);
		fp = fopen(file, "r");
		ck_assert_ptr_nonnull(fp);
		ck_assert_ptr_nonnull(fgets(text, sizeof(text), fp));
		fclose(fp);
		ck_assert_int_eq(atoi(text), want[i]);
		unlink(file);
		free(back);
		free(w);
	}
	rmdir(dir);
	ck_assert_ptr_null(roger_jobs_unwrap_cmd("./bin/migrate"));
	ck_assert_ptr_null(roger_jobs_unwrap_cmd(NULL));
}
END_TEST

START_TEST(test_jobs_join_argv)
{
	char w0[] = "echo", w1[] = "a b", w2[] = "it's", w3[] = "$HOME",
	     w4[] = "x=1", line[] = "echo $HOME | wc";
	char *a[] = { w0, w1, w2, w3, w4 };
	char *one[] = { line };
	char *s = roger_jobs_join_argv(5, a);

	ck_assert_str_eq(s, "echo 'a b' 'it'\\''s' '$HOME' x=1");
	free(s);
	s = roger_jobs_join_argv(1, one);
	ck_assert_str_eq(s, "echo $HOME | wc");
	free(s);
}
END_TEST

static const char app_text[] =
	"{\"id\":\"/web/hello\",\"cmd\":\"node index.js\",\"cpus\":0.25,\"mem\":64,"
	"\"instances\":3,\"user\":\"nobody\","
	"\"env\":{\"NODE_ENV\":\"production\",\"DB\":{\"secret\":\"db\"},\"ROGER_COMMIT\":\"abc\"},"
	"\"secrets\":{\"db\":{\"source\":\"/web/db\"}},"
	"\"labels\":{\"team\":\"web\",\"ROGER_APP\":\"/web/hello\",\"ROGER_COMMIT\":\"abc\"},"
	"\"fetch\":[{\"uri\":\"http://127.0.0.1:1/artifacts/x.tar.gz\",\"extract\":true},"
	"{\"uri\":\"http://h/other\",\"destPath\":\"y\"}],"
	"\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"debian:12\"}},"
	"\"healthChecks\":[{\"protocol\":\"HTTP\"}]}";

START_TEST(test_jobs_spec)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_jobs_job job = { 0 };
	json_t *app = json_loads(app_text, 0, NULL), *spec = NULL, *run, *sched;
	json_t *env = json_pack("{s:s}", "REPORT", "daily");
	char *cmd;

	job.name = "report";
	job.cmd = "./bin/report";
	job.mem = 256;
	job.env = env;
	job.cron = "0 3 * * *";
	job.timezone = "Europe/Berlin";
	job.enabled = true;
	ck_assert_int_eq(roger_jobs_spec(&spec, app, &job, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(spec, "id")),
			 "web.hello.report");
	run = json_object_get(spec, "run");
	cmd = roger_jobs_unwrap_cmd(
		json_string_value(json_object_get(run, "cmd")));
	ck_assert_str_eq(cmd, "./bin/report");
	free(cmd);
	ck_assert(json_number_value(json_object_get(run, "cpus")) == 0.25);
	ck_assert(json_number_value(json_object_get(run, "mem")) == 256);
	ck_assert(json_number_value(json_object_get(run, "disk")) == 0);
	ck_assert_str_eq(json_string_value(json_object_get(run, "user")),
			 "nobody");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(run, "env"), "NODE_ENV")),
			 "production");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(run, "env"), "REPORT")),
			 "daily");
	ck_assert(json_is_object(
		json_object_get(json_object_get(run, "env"), "DB")));
	ck_assert(json_is_object(
		json_object_get(json_object_get(run, "secrets"), "db")));
	/* the artifact, not the entry Metronome cannot express */
	ck_assert_uint_eq(json_array_size(json_object_get(run, "artifacts")),
			  1);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(run, "ucr"), "image"),
			"id")),
		"debian:12");
	ck_assert_ptr_null(json_object_get(run, "docker"));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(run, "restart"), "policy")),
			 "NEVER");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(spec, "labels"), "ROGER_JOB")),
			 "report");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(spec, "labels"), "ROGER_COMMIT")),
		"abc");
	ck_assert_ptr_null(
		json_object_get(json_object_get(spec, "labels"), "team"));
	ck_assert_ptr_null(json_object_get(run, "healthChecks"));
	ck_assert_ptr_null(json_object_get(spec, "schedules"));

	sched = roger_jobs_schedule(&job);
	ck_assert_str_eq(json_string_value(json_object_get(sched, "id")),
			 ROGER_JOBS_SCHEDULE_ID);
	ck_assert_str_eq(json_string_value(json_object_get(sched, "timezone")),
			 "Europe/Berlin");
	ck_assert_str_eq(
		json_string_value(json_object_get(sched, "concurrencyPolicy")),
		"ALLOW");
	json_decref(sched);
	job.cron = NULL;
	ck_assert_ptr_null(roger_jobs_schedule(&job));

	/* the small memory of an app is raised to Metronome's minimum */
	job.mem = 0;
	json_object_set_new(app, "mem", json_integer(16));
	json_decref(spec);
	ck_assert_int_eq(roger_jobs_spec(&spec, app, &job, &err), 0);
	ck_assert(json_number_value(json_object_get(
			  json_object_get(spec, "run"), "mem")) == 32);
	json_decref(spec);
	json_decref(env);
	json_decref(app);
}
END_TEST

/* The live job as Metronome writes it back compares equal to ours. */
START_TEST(test_jobs_comparable)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_jobs_job job = { 0 };
	json_t *app = json_loads(app_text, 0, NULL), *spec = NULL, *live;
	json_t *sched, *live_sched, *a, *b;
	struct roger_diff *d = NULL;
	struct roger_buf text = ROGER_BUF_INIT;

	job.name = "report";
	job.cmd = "./bin/report";
	job.cron = "0 3 * * *";
	job.enabled = true;
	ck_assert_int_eq(roger_jobs_spec(&spec, app, &job, &err), 0);
	sched = roger_jobs_schedule(&job);
	live = json_deep_copy(spec);
	/* Metronome fills in what it defaults, and writes 1 for 1.0 */
	json_object_set_new(json_object_get(live, "run"), "gpus",
			    json_integer(0));
	json_object_set_new(json_object_get(live, "run"), "placement",
			    json_pack("{s:[]}", "constraints"));
	json_object_set_new(json_object_get(live, "run"), "volumes",
			    json_array());
	live_sched = json_pack("{s:s,s:s,s:s,s:b,s:i,s:s,s:s}", "id", "default",
			       "cron", "0 3 * * *", "concurrencyPolicy",
			       "ALLOW", "enabled", 1, "startingDeadlineSeconds",
			       900, "timezone", "UTC", "nextRunAt",
			       "2024-01-01T03:00:00.000+0000");
	a = roger_jobs_comparable(live, live_sched);
	b = roger_jobs_comparable(spec, sched);
	ck_assert_int_eq(
		roger_diff_apps(&d, a, b, ROGER_DIFF_IGNORE_METADATA, &err), 0);
	ck_assert_msg(roger_diff_empty(d), "differences found");
	roger_diff_free(d);
	json_decref(b);
	/* a changed schedule and command show as such */
	json_object_set_new(sched, "cron", json_string("0 4 * * *"));
	job.cmd = "./bin/report --all";
	json_decref(spec);
	ck_assert_int_eq(roger_jobs_spec(&spec, app, &job, &err), 0);
	b = roger_jobs_comparable(spec, sched);
	ck_assert_int_eq(
		roger_diff_apps(&d, a, b, ROGER_DIFF_IGNORE_METADATA, &err), 0);
	ck_assert_int_eq(roger_diff_format_text(&text, d, 0), 0);
	ck_assert_msg(strstr(text.buf,
			     "~ schedule.cron: \"0 3 * * *\" -> \"0 4 * * *\""),
		      "%s", text.buf);
	ck_assert_msg(strstr(text.buf, "~ run.cmd:"), "%s", text.buf);
	roger_buf_release(&text);
	roger_diff_free(d);
	json_decref(a);
	json_decref(b);
	json_decref(live);
	json_decref(live_sched);
	json_decref(sched);
	json_decref(spec);
	json_decref(app);
}
END_TEST

START_TEST(test_jobs_user_paths)
{
	struct roger_buf b = ROGER_BUF_INIT;
	static char report[] = "jobs.report", release[] = "release";

	roger_jobs_user_path(report, &b, "/run/mem");
	ck_assert_str_eq(b.buf, "jobs.report.mem");
	roger_buf_reset(&b);
	roger_jobs_user_path(report, &b, "/cron");
	ck_assert_str_eq(b.buf, "jobs.report.schedule");
	roger_buf_reset(&b);
	roger_jobs_user_path(release, &b, "/run/cmd");
	ck_assert_str_eq(b.buf, "release");
	roger_buf_reset(&b);
	roger_jobs_user_path(report, &b, "/run/env/X");
	ck_assert_str_eq(b.buf, "marathon.env (as /run/env/X of the job)");
	roger_buf_reset(&b);
	roger_jobs_user_path(report, &b, "/run/gpus");
	ck_assert_str_eq(b.buf, "jobs.report (Metronome's /run/gpus)");
	roger_buf_release(&b);
}
END_TEST

/* roger.json: what `release` and `jobs` take, and the messages. */
static const struct {
	const char *json, *msg;
} bad_projects[] = {
	{ "\"release\":\"\"", "roger.json: release: empty command" },
	{ "\"release\":3", "roger.json: release: expected a string" },
	{ "\"jobs\":{\"run\":{\"cmd\":\"x\"}}", "invalid job name 'run'" },
	{ "\"jobs\":{\"Report\":{\"cmd\":\"x\"}}",
	  "invalid job name 'Report'" },
	{ "\"jobs\":{\"report\":{}}",
	  "roger.json: jobs.report: missing 'cmd'" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"schedule\":\"0 0 31 2 *\"}}",
	  "roger.json: jobs.report.schedule: invalid cron expression '0 0 31 2 *'" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"schedule\":\"* * *\"}}",
	  "jobs.report.schedule: invalid cron" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"timezone\":\"UTC\"}}",
	  "jobs.report: 'timezone' needs a 'schedule'" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"schedule\":\"@daily\",\"timezone\":\"../etc\"}}",
	  "jobs.report.timezone: invalid time zone" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"schedule\":\"@daily\",\"concurrencyPolicy\":\"QUEUE\"}}",
	  "jobs.report.concurrencyPolicy" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"mem\":16}}",
	  "jobs.report.mem" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"schedul\":\"@daily\"}}",
	  "did you mean 'schedule'" },
	{ "\"jobs\":{\"report\":{\"cmd\":\"x\",\"env\":{\"DB_PASSWORD\":\"hunter22\"}}}",
	  "jobs.report.env.DB_PASSWORD" },
	{ "\"jobs\":[]", "roger.json: jobs: expected an object" },
};

START_TEST(test_jobs_project_refused)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;
	char text[1024];

	snprintf(text, sizeof(text), "{\"version\":1,\"app\":\"hello\",%s}",
		 bad_projects[_i].json);
	ck_assert_int_eq(
		roger_project_parse(&p, "roger.json", text, strlen(text), &err),
		ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, bad_projects[_i].msg),
		      "%s: '%s' lacks '%s'", bad_projects[_i].json, err.msg,
		      bad_projects[_i].msg);
}
END_TEST

START_TEST(test_jobs_of_project)
{
	static const char text[] =
		"{\"version\":1,\"app\":\"hello\",\"release\":\"./bin/migrate\",\"jobs\":{"
		"\"report\":{\"cmd\":\"./bin/report\",\"schedule\":\"0 3 * * *\",\"timezone\":\"Europe/Berlin\",\"cpus\":0.5,\"mem\":256,\"enabled\":false},"
		"\"reindex\":{\"cmd\":\"./bin/reindex\"}}}";
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;
	struct roger_jobs_job *jobs = NULL;
	const char *release = NULL;
	size_t n = 0;

	ck_assert_int_eq(
		roger_project_parse(&p, "roger.json", text, strlen(text), &err),
		0);
	ck_assert_int_eq(roger_jobs_of_project(&jobs, &n, &release, p, &err),
			 0);
	ck_assert_str_eq(release, "./bin/migrate");
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(jobs[0].name, "report");
	ck_assert_str_eq(jobs[0].cron, "0 3 * * *");
	ck_assert(!jobs[0].enabled);
	ck_assert(jobs[0].cpus == 0.5);
	ck_assert_str_eq(jobs[1].name, "reindex");
	ck_assert_ptr_null(jobs[1].cron);
	ck_assert(jobs[1].enabled);
	free(jobs);
	roger_project_free(p);
}
END_TEST

static Suite *jobs_suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *tc = tcase_create("jobs");

	tcase_add_test(tc, test_jobs_ids);
	tcase_add_test(tc, test_jobs_wrapper);
	tcase_add_test(tc, test_jobs_join_argv);
	tcase_add_test(tc, test_jobs_spec);
	tcase_add_test(tc, test_jobs_comparable);
	tcase_add_test(tc, test_jobs_user_paths);
	tcase_add_loop_test(tc, test_jobs_project_refused, 0,
			    sizeof(bad_projects) / sizeof(bad_projects[0]));
	tcase_add_test(tc, test_jobs_of_project);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jobs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
