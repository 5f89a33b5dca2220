#!/bin/sh
# Jobs against scripted Metronome servers (tests/faultd.py) for what roger
# local does not do on cue: a run that vanishes from /runs while it is
# watched and shows in the history only some polls later (the outcome and
# the exit status still found), Metronome's 404 bodies, its 422 details
# mapped to roger.json paths (exit 3), and a 409 for a job with active
# runs that a deploy would remove.  The 422 and 409 servers answer their
# cue and pass everything else to a roger local behind them.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

if ! "$ROGER" jobs -h >/dev/null 2>&1; then
	test_skip 'jobs against scripted servers' 'this roger has no jobs command'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

T=web_hello_report_20240101000000abcde.11111111-2222-3333-4444-555555555555
RUN=20240101000000abcde

# A Metronome and a Mesos in one: the job web.hello.report, a run that is
# ACTIVE once and then gone (404 with the contract's body), a history
# without it twice and then with it, failed; the task's sandbox with its
# output and the exit status the wrapper left.
faultd_start scripted "$(python3 - "$T" "$RUN" <<'PY'
import json, sys
t, run = sys.argv[1:3]
job = {"id": "web.hello.report", "labels": {"ROGER_APP": "/web/hello", "ROGER_JOB": "report"},
       "run": {"cpus": 1, "mem": 128, "disk": 0, "cmd": "x"}}
active = {"id": run, "jobId": "web.hello.report", "status": "ACTIVE",
          "createdAt": "2024-01-01T00:00:00.000+0000", "completedAt": None,
          "tasks": [{"id": t, "startedAt": "2024-01-01T00:00:01.000+0000", "status": "TASK_RUNNING"}]}
def history(with_run):
    h = {"successCount": 0, "failureCount": 1 if with_run else 0,
         "lastSuccessAt": None, "lastFailureAt": None,
         "successfulFinishedRuns": [], "failedFinishedRuns": []}
    if with_run:
        h["failedFinishedRuns"] = [{"id": run, "createdAt": "2024-01-01T00:00:00.000+0000",
                                    "finishedAt": "2024-01-01T00:00:05.000+0000", "tasks": [t]}]
    return dict(job, history=h)
master = {"slaves": [{"id": "S0", "hostname": "127.0.0.1", "port": "PORT"}],
          "frameworks": [{"id": "M1", "name": "metronome",
                          "completed_tasks": [{"id": t, "framework_id": "M1", "slave_id": "S0",
                                               "state": "TASK_FAILED"}], "tasks": []}]}
agent = {"id": "S0", "frameworks": [{"id": "M1", "completed_executors": [{"id": t, "directory": "/sb/t"}]}]}
rules = [
    {"match": "GET /v1/jobs/web.hello.report", "times": 0, "json": job},
    {"match": "POST /v1/jobs/web.hello.report/runs", "status": 201,
     "json": dict(active, status="INITIAL", tasks=[])},
    {"match": "GET /v1/jobs/web.hello.report/runs/" + run, "json": active},
    {"match": "GET /v1/jobs/web.hello.report/runs/" + run, "times": 0, "status": 404,
     "json": {"jobSpec": "web.hello.report", "id": run, "message": "Job Run not found"}},
    {"match": "GET /v1/jobs/web.hello.report?embed=history", "times": 2, "json": history(False)},
    {"match": "GET /v1/jobs/web.hello.report?embed=history", "times": 0, "json": history(True)},
    {"match": "GET /v1/jobs/web.hello.report?embed=activeRuns&embed=history", "times": 0,
     "json": dict(history(True), activeRuns=[])},
    {"match": "GET /v1/jobs/*", "times": 0, "status": 404,
     "json": {"id": "web.hello.gone", "message": "Job not found"}},
    {"match": "GET /master/state", "times": 0,
     "body": json.dumps(master).replace('"PORT"', "{port}"),
     "headers": {"Content-Type": "application/json"}},
    {"match": "GET /slave(1)/state", "times": 0, "json": agent},
    {"match": "GET /files/read?path=%2Fsb%2Ft%2Fstdout&offset=0&*", "times": 0,
     "json": {"data": "first\nsecond\nthird\n", "offset": 0}},
    {"match": "GET /files/read?path=%2Fsb%2Ft%2Fstdout&*", "times": 0,
     "json": {"data": "", "offset": 19}},
    {"match": "GET /files/read?path=%2Fsb%2Ft%2Fstderr&offset=0&*", "times": 0,
     "json": {"data": "to stderr\n", "offset": 0}},
    {"match": "GET /files/read?path=%2Fsb%2Ft%2Fstderr&*", "times": 0,
     "json": {"data": "", "offset": 10}},
    {"match": "GET /files/read?path=%2Fsb%2Ft%2F.roger-exit-status&*", "times": 0,
     "json": {"data": "3\n", "offset": 0}},
]
print(json.dumps(rules))
PY
)"

test_expect_success 'setup: a repository, and roger local with the app' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\",
	  \\\"marathon\\\": {\\\"cmd\\\": \\\"sleep 3600\\\", \\\"cpus\\\": 0.1, \\\"mem\\\": 32},
	  \\\"jobs\\\": {\\\"report\\\": {\\\"cmd\\\": \\\"echo report\\\"}}}\" >roger.json"
'

test_expect_success 'a run that vanishes from /runs: its outcome from the history, its exit status' '
	(cd repo && ROGER_MARATHON_URL=$scripted_URL ROGER_MESOS_URL=$scripted_URL \
	 ROGER_METRONOME_URL=$scripted_URL test_expect_code 3 "$ROGER" jobs run report >../out 2>../err) &&
	printf "first\nsecond\nthird\n" >expect &&
	test_cmp expect out &&
	test_grep -x "to stderr" err &&
	test "$(faultd_count scripted GET "/v1/jobs/web.hello.report/runs/$RUN")" -ge 2 &&
	test "$(faultd_count scripted GET "/v1/jobs/web.hello.report?embed=history")" -ge 3
'

test_expect_success 'the contract 404 bodies, said in roger words' '
	(cd repo && ROGER_MARATHON_URL=$scripted_URL ROGER_METRONOME_URL=$scripted_URL \
	 ROGER_MESOS_URL=$scripted_URL test_expect_code 1 "$ROGER" logs --job report --run 20240101000000zzzzz 2>../err) &&
	test_grep "job .report. has no run .20240101000000zzzzz." err &&
	(cd repo && ROGER_MARATHON_URL=$scripted_URL ROGER_METRONOME_URL=$scripted_URL \
	 ROGER_MESOS_URL=$scripted_URL test_expect_code 1 "$ROGER" logs --job release 2>../err) &&
	test_grep "job .web.hello.gone. does not exist" err
'

# Behind the next two: roger local, for everything the rule does not take.
local_start --cpus 4 --mem 4096

faultd_start m422 "[{\"match\": \"POST /v1/jobs\", \"times\": 0, \"status\": 422,
  \"json\": {\"message\": \"Object is not valid\", \"details\": [
    {\"path\": \"/run/mem\", \"errors\": [\"16 is smaller than required minimum value of 32.\"]},
    {\"path\": \"/run/cmd\", \"errors\": [\"String is too short (0 chars), minimum 1.\"]}]}},
  {\"match\": \"*\", \"times\": 0, \"proxy\": \"$LOCAL_URL\"}]"
faultd_start m409 "[{\"match\": \"DELETE /v1/jobs/web.hello.old\", \"times\": 0, \"status\": 409,
  \"json\": {\"message\": \"There are active job runs. Override with stopCurrentJobRuns=true\"}},
  {\"match\": \"*\", \"times\": 0, \"proxy\": \"$LOCAL_URL\"}]"

test_expect_success 'setup: targets whose Metronome is scripted' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	cat >"$XDG_CONFIG_HOME/roger/config.json" <<-EOF
	{"local": {"port": $LOCAL_PORT, "state_dir": "$LOCAL_STATE"},
	 "targets": {
	  "t422": {"marathon": "$LOCAL_URL", "mesos": "$LOCAL_URL", "artifacts": "$LOCAL_URL/artifacts/",
	           "metronome": "$m422_URL", "auth": {"token_file": "$LOCAL_STATE/token"}},
	  "t409": {"marathon": "$LOCAL_URL", "mesos": "$LOCAL_URL", "artifacts": "$LOCAL_URL/artifacts/",
	           "metronome": "$m409_URL", "auth": {"token_file": "$LOCAL_STATE/token"}}}}
	EOF
'

test_expect_success '422 details name the roger.json path (exit 3), verbatim' '
	(cd repo && test_expect_code 3 "$ROGER" -t t422 deploy --settle 0 >../out 2>../err) &&
	test_grep "roger.json: jobs.report.mem: 16 is smaller than required minimum value of 32.; roger.json: jobs.report.cmd: String is too short (0 chars), minimum 1." err
'

test_expect_success '409 on removing a job with active runs: said, left for later' '
	st=$(http POST /v1/jobs "{\"id\": \"web.hello.old\", \"labels\": {\"ROGER_APP\": \"/web/hello\", \"ROGER_JOB\": \"old\"},
		\"run\": {\"cmd\": \"sleep 300\", \"cpus\": 0.1, \"mem\": 32, \"disk\": 0}}") &&
	test "$st" = 201 &&
	(cd repo && "$ROGER" -t t409 deploy --settle 0 >../out 2>../err) &&
	test_grep "removing job .old. (web.hello.old)" err &&
	test_grep "warning: job .old. has runs in progress: not removed" err &&
	test_grep "There are active job runs" err &&
	test "$(http GET /v1/jobs/web.hello.old)" = 200
'

test_done
