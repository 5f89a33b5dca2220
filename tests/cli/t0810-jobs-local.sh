#!/bin/sh
# release and jobs against roger local: the release command runs before
# the new tasks start (they see what it left), a failing one deploys
# nothing (exit 5), --skip-release, the dry run; jobs created, changed and
# removed by successive deploys, with their schedules; roger jobs, jobs
# run, diff; a schedule every minute that fires; and the errors: a bad
# cron in roger.json, a target without Metronome, one that does not answer.
. "$TEST_SRCDIR/cli/lib.sh"

if ! "$ROGER" jobs -h >/dev/null 2>&1; then
	test_skip 'jobs against roger local' 'this roger has no jobs command'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 4096
local_config

MARK=$TRASH/marks
mkdir -p "$MARK"

# project RELEASE JOBS: write roger.json (RELEASE: a command or "", JOBS:
# the JSON of "jobs") and commit it.  The app's command records whether
# the release had run when its task started.
project() {
	python3 - "$1" "$2" "$MARK" <<'PY' >repo/roger.json
import json, sys
release, jobs, mark = sys.argv[1:4]
doc = {"version": 1, "app": "hello", "group": "/web",
       "marathon": {"cmd": "if test -f %s/released; then echo yes; else echo no; fi >>%s/app-saw-release; exec sleep 3600" % (mark, mark),
                    "cpus": 0.1, "mem": 32, "env": {"STAGE": "test"}}}
if release:
    doc["release"] = release
if jobs:
    doc["jobs"] = json.loads(jobs)
print(json.dumps(doc, indent=1))
PY
	git -C repo add -A && git -C repo commit -qm "$1 $2" --allow-empty
}

# job ID EXPR: a Python expression over GET /v1/jobs/ID with everything
# embedded (`j`); "missing" when the job does not exist.
job() {
	st=$(lcurl -s -o "$TRASH/.job" -w '%{http_code}' \
		"$LOCAL_URL/v1/jobs/$1?embed=history&embed=activeRuns&embed=schedules")
	if [ "$st" = 404 ]; then
		echo missing
		return 0
	fi
	python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$TRASH/.job" "$2"
}

test_expect_success 'setup' '
	test_create_repo repo "echo data >data.txt"
'

test_expect_success 'the release runs once, in the new release, before the app starts' '
	project "echo migrating \$STAGE; cat data.txt; touch $MARK/released" "" &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test_grep -x "release: migrating test" err &&
	test_grep -x "release: data" err &&
	test_grep "running the release command of commit" err &&
	wait_for 30 "test -s $MARK/app-saw-release" &&
	echo yes >expect &&
	test_cmp expect "$MARK/app-saw-release" &&
	test "$(job web.hello.release "j[\"history\"][\"successCount\"]")" = 1
'

test_expect_success 'an unchanged app runs no release' '
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test_grep "is up to date" out &&
	test "$(job web.hello.release "j[\"history\"][\"successCount\"]")" = 1
'

test_expect_success 'a failing release deploys nothing: exit 5, the app untouched' '
	version=$(app_get web/hello "a[\"version\"]") &&
	project "echo about to fail; echo broken >&2; exit 7" "" &&
	(cd repo && test_expect_code 5 "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test_grep "release command failed (exit status 7): nothing deployed" err &&
	test_grep -x "release: broken" err &&
	test "$(app_get web/hello "a[\"version\"]")" = "$version" &&
	(cd repo && test_expect_code 5 "$ROGER" -q deploy --settle 0 >../out 2>../err) &&
	test_grep "the last lines of its output" err &&
	test_grep -x "broken" err &&
	(cd repo && test_expect_code 5 "$ROGER" -o json deploy --settle 0 >../out 2>../err) &&
	test "$(json out "d[\"release\"][\"exit_status\"]")" = 7 &&
	test "$(json out "d[\"status\"]")" = release_failed
'

test_expect_success 'the dry run says the release would run; --skip-release deploys without it' '
	(cd repo && "$ROGER" deploy -n >../out 2>../err) &&
	test_grep "release: would run .echo about to fail" out &&
	runs=$(job web.hello.release "j[\"history\"][\"failureCount\"]") &&
	(cd repo && "$ROGER" deploy --skip-release --settle 0 >../out 2>../err) &&
	test_grep "skipping the release command" err &&
	test_grep "deployed at commit" out &&
	test "$(job web.hello.release "j[\"history\"][\"failureCount\"]")" = "$runs"
'

test_expect_success 'jobs are created with the app, with their schedules' '
	project "" "{\"report\": {\"cmd\": \"echo report \$STAGE\", \"schedule\": \"0 3 * * *\",
	             \"timezone\": \"Europe/Berlin\", \"mem\": 64},
	             \"reindex\": {\"cmd\": \"echo reindexing; exit 2\"}}" &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test_grep "+ job .report. (web.hello.report): new, schedule .0 3 \* \* \*." out &&
	test_grep "+ job .reindex. (web.hello.reindex): new" out &&
	test_grep "job .report. created" err &&
	test "$(job web.hello.report "j[\"schedules\"][0][\"cron\"]")" = "0 3 * * *" &&
	test "$(job web.hello.report "j[\"schedules\"][0][\"timezone\"]")" = Europe/Berlin &&
	test "$(job web.hello.report "j[\"run\"][\"mem\"]")" = 64 &&
	test "$(job web.hello.report "j[\"labels\"][\"ROGER_JOB\"]")" = report &&
	test "$(job web.hello.reindex "j[\"schedules\"]")" = "[]" &&
	test "$(job web.hello.release "j[\"id\"]")" = missing
'

test_expect_success 'roger jobs lists them; jobs run waits and takes the exit status' '
	(cd repo && "$ROGER" jobs >../out 2>../err) &&
	test_grep "^report  *0 3 \* \* \* (Europe/Berlin)  *20[0-9-]*T" out &&
	test_grep "^reindex  *-  *-  *never run" out &&
	(cd repo && test_expect_code 2 "$ROGER" jobs run reindex >../out 2>../err) &&
	test_grep -x reindexing out &&
	(cd repo && "$ROGER" jobs run report >../out 2>../err) &&
	test_grep -x "report test" out &&
	(cd repo && "$ROGER" -o json jobs >../out 2>../err) &&
	test "$(json out "[j[\"last_runs\"][0][\"outcome\"] for j in d[\"jobs\"] if j[\"name\"] == \"reindex\"]")" = "[\"failure\"]" &&
	(cd repo && test_expect_code 2 "$ROGER" jobs run nosuch 2>../err) &&
	test_grep "no job .nosuch. in roger.json" err &&
	(cd repo && "$ROGER" logs --job reindex >../out 2>../err) &&
	test_grep -x reindexing out
'

test_expect_success 'diff shows job changes; a deploy makes them, removes what is gone' '
	project "" "{\"report\": {\"cmd\": \"echo report \$STAGE\", \"schedule\": \"30 4 * * 1-5\",
	             \"timezone\": \"UTC\", \"concurrencyPolicy\": \"FORBID\", \"mem\": 64},
	             \"cleanup\": {\"cmd\": \"echo cleanup\"}}" &&
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_grep "changes to job .report." out &&
	test_grep "~ schedule.cron: \"0 3 \* \* \*\" -> \"30 4 \* \* 1-5\"" out &&
	test_grep "~ schedule.concurrencyPolicy: \"ALLOW\" -> \"FORBID\"" out &&
	test_grep "+ job .cleanup." out &&
	test_grep "^- job .reindex. (web.hello.reindex): no longer in roger.json" out &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test_grep "removing job .reindex. (web.hello.reindex): it is no longer in roger.json" err &&
	test "$(job web.hello.reindex "j[\"id\"]")" = missing &&
	test "$(job web.hello.report "j[\"schedules\"][0][\"cron\"]")" = "30 4 * * 1-5" &&
	test "$(job web.hello.report "j[\"schedules\"][0][\"concurrencyPolicy\"]")" = FORBID &&
	test "$(job web.hello.cleanup "j[\"labels\"][\"ROGER_APP\"]")" = /web/hello
'

test_expect_success 'only the jobs changed: the app is not touched' '
	version=$(app_get web/hello "a[\"version\"]") &&
	python3 - repo/roger.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	del d["jobs"]["report"]["schedule"], d["jobs"]["report"]["timezone"], d["jobs"]["report"]["concurrencyPolicy"]
	json.dump(d, open(sys.argv[1], "w"))
	EOF
	git -C repo commit -qam "no schedule" &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test "$(job web.hello.report "j[\"schedules\"]")" = "[]" &&
	(cd repo && "$ROGER" diff >../out 2>../err) &&
	test_grep ! "job" out
'

test_expect_success 'status and history mention the jobs' '
	(cd repo && "$ROGER" status >../out 2>../err) &&
	test_grep "^jobs:" out &&
	test_grep "^  cleanup " out &&
	(cd repo && "$ROGER" history >../out 2>../err) &&
	test_grep "^  report .*last run succeeded" out &&
	(cd repo && "$ROGER" -o json status >../out 2>../err) &&
	test "$(json out "sorted(j[\"name\"] for j in d[\"jobs\"])")" = "[\"cleanup\", \"report\"]"
'

test_expect_success 'a schedule every minute fires' '
	project "" "{\"tick\": {\"cmd\": \"echo tick at \$(date +%s)\", \"schedule\": \"* * * * *\"}}" &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err) &&
	test "$(job web.hello.report "j[\"id\"]")" = missing &&
	next=$(job web.hello.tick "j[\"schedules\"][0][\"nextRunAt\"]") &&
	test -n "$next" &&
	wait_for 75 "test \"\$(job web.hello.tick \"j[\\\"history\\\"][\\\"successCount\\\"]\")\" -ge 1" &&
	(cd repo && "$ROGER" logs --job tick >../out 2>../err) &&
	test_grep "^tick at [0-9]" out
'

test_expect_success 'roger.json: a cron that cannot fire is refused (exit 3)' '
	project "" "{\"x\": {\"cmd\": \"true\", \"schedule\": \"0 0 30 2 *\"}}" &&
	(cd repo && test_expect_code 3 "$ROGER" deploy 2>../err) &&
	test_grep "roger.json: jobs.x.schedule: invalid cron expression .0 0 30 2 \*.: the day of the month does not exist" err
'

test_expect_success 'a target without Metronome says how to set it (exit 3)' '
	project "./bin/migrate" "" &&
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	cat >"$XDG_CONFIG_HOME/roger/config.json" <<-EOF &&
	{"local": {"port": $LOCAL_PORT, "state_dir": "$LOCAL_STATE"},
	 "targets": {"nomet": {"marathon": "$LOCAL_URL", "mesos": "$LOCAL_URL",
	             "artifacts": "$LOCAL_URL/artifacts/",
	             "auth": {"token_file": "$LOCAL_STATE/token"}},
	             "down": {"marathon": "$LOCAL_URL", "mesos": "$LOCAL_URL",
	             "artifacts": "$LOCAL_URL/artifacts/", "metronome": "http://127.0.0.1:$(test_free_port)",
	             "auth": {"token_file": "$LOCAL_STATE/token"}}}}
	EOF
	(cd repo && test_expect_code 3 "$ROGER" -t nomet deploy 2>../err) &&
	test_grep "target .nomet. has no Metronome URL: set \"metronome\" in its entry of the user config" err &&
	(cd repo && test_expect_code 3 "$ROGER" -t nomet run -- true 2>../err) &&
	test_grep "has no Metronome URL" err &&
	(cd repo && test_expect_code 3 "$ROGER" -t nomet jobs 2>../err) &&
	test_grep "ROGER_METRONOME_URL" err
'

test_expect_success 'a Metronome that does not answer: exit 4 naming its URL' '
	(cd repo && test_expect_code 4 "$ROGER" --request-timeout 2s -t down jobs 2>../err) &&
	port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"targets\"][\"down\"][\"metronome\"])" "$XDG_CONFIG_HOME/roger/config.json") &&
	test_grep "$port" err &&
	local_config
'

test_done
