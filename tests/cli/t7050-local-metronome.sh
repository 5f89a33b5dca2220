#!/bin/sh
# roger local's Metronome API against the contract (METRONOME.md): the
# job's defaults and 201, 409 for an existing id, 422 details, 415 without
# a JSON type, bad ids and embeds (400), unknown routes, schedules (one per
# job, 409s, PUT of a missing one 404, DELETE 200 empty), runs INITIAL then
# gone from /runs into the history, stop (FAILED), delete with active runs
# (409 unless stopCurrentJobRuns), the `metronome` framework in
# /master/state, run.docker and run.ucr (defaults, refusals, a run in an
# image from the server's registry), the token, and the history kept
# across restarts, a run active when the server was killed recorded as
# failed.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 4096

JOB='{"id": "web.hello.x", "run": {"cmd": "echo hi; sleep 5", "cpus": 0.1, "mem": 32, "disk": 0}}'

test_expect_success 'POST /v1/jobs: 201, every run field at its default' '
	test "$(http POST /v1/jobs "$JOB")" = 201 &&
	test "$(json body "d[\"run\"][\"maxLaunchDelay\"]")" = 3600 &&
	test "$(json body "d[\"run\"][\"restart\"][\"policy\"]")" = NEVER &&
	test "$(json body "d[\"run\"][\"gpus\"]")" = 0 &&
	test "$(json body "d[\"labels\"]")" = "{}" &&
	test "$(http POST /v1/jobs "$JOB")" = 409 &&
	test "$(json body "d[\"message\"]")" = "Job with this id already exists"
'

test_expect_success '422 details, 415 and 400 bodies, 404s' '
	test "$(http POST /v1/jobs "{\"id\": \"a--b\", \"run\": {\"cpus\": 0.1, \"mem\": 16}, \"schedules\": []}")" = 422 &&
	test "$(json body "d[\"message\"]")" = "Object is not valid" &&
	test "$(json body "sorted(x[\"path\"] for x in d[\"details\"])")" = "[\"/\", \"/id\", \"/run\", \"/run\", \"/run/mem\"]" &&
	test_grep "Additional properties are not allowed, but found properties .schedules." body &&
	test_grep "16 is smaller than required minimum value of 32." body &&
	test_grep "Cmd, Docker or UCR image must be specified" body &&
	test "$(http POST /v1/jobs "$JOB" text/plain)" = 415 &&
	test "$(json body "d[\"requestPath\"]")" = /v1/jobs &&
	test "$(http GET "/v1/jobs/web.hello.x?embed=bogus")" = 400 &&
	test_grep "Unknown embed options" body &&
	test "$(http GET /v1/jobs/Web)" = 400 &&
	test "$(json body "d[\"message\"]")" = "Not a valid id: Web" &&
	test "$(http GET /v1/jobs/nope)" = 404 &&
	test "$(json body "d")" = "{\"id\": \"nope\", \"message\": \"Job not found\"}" &&
	test "$(http GET /v1/other)" = 404 &&
	test "$(json body "d[\"message\"]")" = "Unknown route."
'

test_expect_success 'schedules: one per job, no upsert, an empty DELETE' '
	test "$(http GET /v1/jobs/web.hello.x/schedules)" = 200 &&
	test "$(json body "d")" = "[]" &&
	test "$(http PUT /v1/jobs/web.hello.x/schedules/nightly "{\"id\": \"nightly\", \"cron\": \"0 3 * * *\"}")" = 404 &&
	test "$(json body "d[\"message\"]")" = "Schedule not found" &&
	test "$(http POST /v1/jobs/web.hello.x/schedules "{\"id\": \"nightly\", \"cron\": \"0 3 * * *\", \"timezone\": \"Europe/Berlin\"}")" = 201 &&
	test "$(json body "list(d)")" = "[\"id\", \"cron\", \"concurrencyPolicy\", \"enabled\", \"startingDeadlineSeconds\", \"timezone\", \"nextRunAt\"]" &&
	test_grep "\"nextRunAt\":\"20[0-9-]*T0[12]:00:00.000+0000\"" body &&
	test "$(http POST /v1/jobs/web.hello.x/schedules "{\"id\": \"nightly\", \"cron\": \"0 4 * * *\"}")" = 409 &&
	test "$(json body "d[\"message\"]")" = "requirement failed: A schedule with id nightly already exists" &&
	test "$(http POST /v1/jobs/web.hello.x/schedules "{\"id\": \"other\", \"cron\": \"0 4 * * *\"}")" = 409 &&
	test "$(json body "d[\"message\"]")" = "requirement failed: Only one schedule supported at the moment" &&
	test "$(http POST /v1/jobs/web.hello.x/schedules "{\"id\": \"x\", \"cron\": \"0 0 31 2 *\", \"timezone\": \"Mars/Base\"}")" = 422 &&
	test_grep "Day of the month must exist" body &&
	test_grep "No time zone found with this id: .\"Mars/Base.\"" body &&
	test_grep "does not match the pattern of a schedule id" body &&
	test "$(http PUT /v1/jobs/web.hello.x/schedules/nightly "{\"id\": \"ignored\", \"cron\": \"@hourly\"}")" = 200 &&
	test "$(json body "d[\"id\"]")" = nightly &&
	test "$(http DELETE /v1/jobs/web.hello.x/schedules/nightly)" = 200 &&
	test ! -s body
'

test_expect_success 'a run: INITIAL, ACTIVE, then only in the history' '
	test "$(http POST /v1/jobs/web.hello.x/runs)" = 201 &&
	test "$(json body "d[\"status\"]")" = INITIAL &&
	test "$(json body "d[\"completedAt\"]")" = null &&
	run=$(json body "d[\"id\"]") &&
	echo "$run" | grep -q "^[0-9]\{14\}[A-Za-z0-9]\{5\}$" &&
	wait_for 20 "http GET /v1/jobs/web.hello.x/runs/$run >/dev/null && test \"\$(json body \"d[\\\"status\\\"]\")\" = ACTIVE" &&
	task=$(json body "d[\"tasks\"][0][\"id\"]") &&
	echo "$task" | grep -q "^web_hello_x_${run}\.[0-9a-f-]\{36\}$" &&
	lcurl -s "$LOCAL_URL/master/state" >state &&
	test "$(json state "[f[\"name\"] for f in d[\"frameworks\"] for t in f[\"tasks\"] if t[\"id\"] == \"$task\"]")" = "[\"metronome\"]" &&
	test "$(http GET /v1/jobs?embed=activeRuns)" = 200 &&
	test "$(json body "len(d[0][\"activeRuns\"])")" = 1 &&
	wait_for 20 "test \"\$(http GET /v1/jobs/web.hello.x/runs/$run)\" = 404" &&
	test "$(json body "d")" = "{\"jobSpec\": \"web.hello.x\", \"id\": \"$run\", \"message\": \"Job Run not found\"}" &&
	test "$(http GET /v1/jobs/web.hello.x/runs)" = 200 &&
	test "$(json body "d")" = "[]" &&
	test "$(http GET "/v1/jobs/web.hello.x?embed=history,activeRuns")" = 200 &&
	test "$(json body "d[\"history\"][\"successfulFinishedRuns\"][0][\"tasks\"]")" = "[\"$task\"]" &&
	test "$(json body "d[\"activeRuns\"]")" = "[]" &&
	test "$(http GET "/v1/jobs?embed=activeRuns")" = 200 &&
	test "$(json body "\"activeRuns\" in d[0]")" = false
'

test_expect_success 'stop: FAILED at once; DELETE with active runs 409, then stopped' '
	test "$(http POST /v1/jobs/web.hello.x/runs)" = 201 &&
	run=$(json body "d[\"id\"]") &&
	test "$(http POST /v1/jobs/web.hello.x/runs/$run/actions/stop)" = 200 &&
	test "$(json body "d[\"status\"]")" = FAILED &&
	test "$(http GET /v1/jobs/web.hello.x/runs/$run)" = 404 &&
	test "$(http POST /v1/jobs/web.hello.x/runs)" = 201 &&
	test "$(http DELETE /v1/jobs/web.hello.x)" = 409 &&
	test "$(json body "d[\"message\"]")" = "There are active job runs. Override with stopCurrentJobRuns=true" &&
	test "$(http DELETE "/v1/jobs/web.hello.x?stopCurrentJobRuns=true")" = 200 &&
	test "$(json body "d[\"id\"]")" = web.hello.x &&
	test "$(http GET /v1/jobs/web.hello.x)" = 404
'

test_expect_success 'run.docker and run.ucr: written with their defaults; what cannot run here is refused' '
	test "$(http POST /v1/jobs "{\"id\": \"img.bad\", \"run\": {\"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"docker\": {\"image\": \"\", \"privileged\": true, \"parameters\": [{\"key\": \"a\", \"value\": \"b\"}]}}}")" = 422 &&
	test "$(json body "sorted(x[\"path\"] for x in d[\"details\"])")" = "[\"/run/docker/image\", \"/run/docker/parameters\", \"/run/docker/privileged\"]" &&
	test "$(http POST /v1/jobs "{\"id\": \"img.bad\", \"run\": {\"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"ucr\": {\"image\": {\"kind\": \"appc\"}}}}")" = 422 &&
	test "$(json body "sorted(x[\"path\"] for x in d[\"details\"])")" = "[\"/run/ucr/image\", \"/run/ucr/image/kind\"]" &&
	test "$(http POST /v1/jobs "{\"id\": \"img.ucr\", \"run\": {\"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"ucr\": {\"image\": {\"id\": \"x/y:1\"}}}}")" = 201 &&
	test "$(json body "d[\"run\"][\"ucr\"]")" = "{\"image\": {\"id\": \"x/y:1\", \"kind\": \"docker\", \"forcePull\": false}, \"privileged\": false}" &&
	test "$(http POST /v1/jobs "{\"id\": \"img.docker\", \"run\": {\"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"docker\": {\"image\": \"x/y:1\"}}}")" = 201 &&
	test "$(json body "d[\"run\"][\"docker\"]")" = "{\"image\": \"x/y:1\", \"forcePullImage\": false, \"privileged\": false, \"parameters\": []}"
'

if reason=$(containers_skip_reason); then
	test_skip 'a run in an image' "$reason"
elif [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1; then
test_expect_success 'a run in an image: pulled from the server'\''s registry, its files, not the host'\''s' '
	reg=$(json "$LOCAL_STATE/server.json" "d[\"registry\"]") &&
	mkdir -p rootfs/bin rootfs/etc &&
	cp /bin/busybox rootfs/bin/busybox &&
	ln -sf busybox rootfs/bin/sh &&
	ln -sf busybox rootfs/bin/cat &&
	echo "a job in an image" >rootfs/etc/motd &&
	"$TEST_BUILDDIR/imagetool" --url "http://$reg" --user roger --password "$LOCAL_TOKEN" base test/job:1 rootfs >push.json &&
	test "$(http POST /v1/jobs "{\"id\": \"img.run\", \"run\": {\"cmd\": \"cat /etc/motd >\$MESOS_SANDBOX/out\", \"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"docker\": {\"image\": \"$reg/test/job:1\"}}}")" = 201 &&
	test "$(http POST /v1/jobs/img.run/runs)" = 201 &&
	run=$(json body "d[\"id\"]") &&
	wait_for 60 "test \"\$(http GET /v1/jobs/img.run/runs/$run)\" = 404" &&
	test "$(http GET "/v1/jobs/img.run?embed=history")" = 200 &&
	test "$(json body "d[\"history\"][\"successfulFinishedRuns\"][0][\"id\"]")" = "$run" &&
	task=$(json body "d[\"history\"][\"successfulFinishedRuns\"][0][\"tasks\"][0]") &&
	dir=$(sandbox "$task") &&
	test "$(cat "$dir/out")" = "a job in an image"
'
else
	test_skip 'a run in an image' 'no static /bin/busybox (busybox-static) to build the image from'
fi

test_expect_success 'prune keeps the artifact and the image a job names, then lets the artifact go with the job' '
	store=$LOCAL_STATE/artifacts &&
	mkdir -p src-job && echo job >src-job/file && tar -czf job.tar.gz -C src-job file &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T job.tar.gz "$LOCAL_URL/artifacts/job.tar.gz")" = 201 &&
	test "$(http POST /v1/jobs "{\"id\": \"prune.me\", \"run\": {\"cmd\": \"cat file\", \"cpus\": 0.1, \"mem\": 32, \"disk\": 0, \"artifacts\": [{\"uri\": \"$LOCAL_URL/artifacts/job.tar.gz\", \"extract\": true}]}}")" = 201 &&
	touch -d "2 hours ago" "$store/job.tar.gz" &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "\"job.tar.gz\" in d[\"artifacts\"][\"paths\"]")" = false &&
	test -f "$store/job.tar.gz" &&
	test "$(json p.json "d[\"images\"]")" = 0 &&
	test "$(http DELETE /v1/jobs/prune.me)" = 200 &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "\"job.tar.gz\" in d[\"artifacts\"][\"paths\"]")" = true &&
	test ! -e "$store/job.tar.gz"
'

test_expect_success 'the token is needed' '
	test "$(curl -s -o /dev/null -w "%{http_code}" "$LOCAL_URL/v1/jobs")" = 401
'

test_expect_success 'the history survives a restart; a run cut by a crash is failed' '
	test "$(http POST /v1/jobs "{\"id\": \"keep\", \"run\": {\"cmd\": \"sleep 300\", \"cpus\": 0.1, \"mem\": 32, \"disk\": 0}}")" = 201 &&
	test "$(http POST /v1/jobs/keep/schedules "{\"id\": \"daily\", \"cron\": \"@daily\"}")" = 201 &&
	test "$(http POST /v1/jobs/keep/runs)" = 201 &&
	run=$(json body "d[\"id\"]") &&
	wait_for 20 "http GET /v1/jobs/keep/runs/$run >/dev/null && test \"\$(json body \"d[\\\"status\\\"]\")\" = ACTIVE" &&
	local_kill9 &&
	local_start --cpus 4 --mem 4096 &&
	test "$(http GET "/v1/jobs/keep?embed=history&embed=schedules")" = 200 &&
	test "$(json body "d[\"history\"][\"failedFinishedRuns\"][0][\"id\"]")" = "$run" &&
	test "$(json body "d[\"schedules\"][0][\"cron\"]")" = "@daily" &&
	test "$(http POST /v1/jobs/keep/runs)" = 201 &&
	run=$(json body "d[\"id\"]") &&
	wait_for 20 "http GET /v1/jobs/keep/runs/$run >/dev/null && test \"\$(json body \"d[\\\"status\\\"]\")\" = ACTIVE" &&
	local_stop &&
	local_start --cpus 4 --mem 4096 &&
	test "$(http GET "/v1/jobs/keep?embed=history")" = 200 &&
	test "$(json body "d[\"history\"][\"failedFinishedRuns\"][0][\"id\"]")" = "$run" &&
	test "$(json body "d[\"history\"][\"failureCount\"]")" = 2
'

test_done
