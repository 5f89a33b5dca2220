#!/bin/sh
# roger run against roger local: a command that prints and exits 3 (its
# output in order, roger's status 3), the app's environment and artifact,
# Ctrl-C (the run stopped, 130), --timeout (stopped, 6), a run that never
# starts (5 and why), --detach and logs --job, -o json, --ref, and the
# errors before any run: no app, no command, a bad --cpus.
. "$TEST_SRCDIR/cli/lib.sh"

if ! "$ROGER" run -h >/dev/null 2>&1; then
	test_skip 'roger run against roger local' 'this roger has no run command'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 4096
local_config

# run_job EXPR: a Python expression over the job web.hello.run with
# history and active runs embedded (`j`).
run_job() {
	lcurl -s "$LOCAL_URL/v1/jobs/web.hello.run?embed=history&embed=activeRuns" >"$TRASH/.job" &&
	python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$TRASH/.job" "$1"
}

# no_active_runs: the job has no run in progress.
no_active_runs() {
	test "$(run_job 'len(j["activeRuns"])')" = 0
}

# task_state ID: the state of a task of the metronome framework in the
# master's state.
task_state() {
	lcurl -s "$LOCAL_URL/master/state" >"$TRASH/.state" &&
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(t["state"] for f in d["frameworks"] if f["name"] == "metronome"
               for t in f["tasks"] + f["completed_tasks"] if t["id"] == sys.argv[2]))' "$TRASH/.state" "$1"
}

# run_bg NAME ARGS...: `roger ARGS` with its pid in $TRASH/NAME.pid, its
# output in NAME.out and NAME.err, and at the end its status in NAME.status.
run_bg() {
	name=$1
	shift
	if sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$TRASH/$name.pid" \
		"$ROGER" "$@" >"$TRASH/$name.out" 2>"$TRASH/$name.err"; then
		echo 0 >"$TRASH/$name.status"
	else
		echo $? >"$TRASH/$name.status"
	fi
}

test_expect_success 'setup: the app, deployed' '
	test_create_repo repo "
		printf \"%s\n\" \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\",
		  \\\"marathon\\\": {\\\"cmd\\\": \\\"sleep 3600\\\", \\\"cpus\\\": 0.1, \\\"mem\\\": 32,
		  \\\"env\\\": {\\\"GREETING\\\": \\\"bonjour\\\"}}}\" >roger.json &&
		echo from-the-artifact >data.txt" &&
	(cd repo && "$ROGER" deploy --settle 0 >../out 2>../err)
'

test_expect_success 'a command that prints and exits 3: its output in order, exit 3' '
	(cd repo && test_expect_code 3 "$ROGER" run -- \
		"for i in \$(seq 1 200); do echo line \$i; done; echo oops >&2; exit 3" \
		>../out 2>../err) &&
	seq 1 200 | sed "s/^/line /" >expect &&
	test_cmp expect out &&
	test_grep -x oops err &&
	test_grep ! "Starting task" out &&
	test "$(run_job "j[\"history\"][\"failureCount\"]")" = 1
'

test_expect_success 'the command runs in the release: the artifact, the env, the labels' '
	(cd repo && "$ROGER" run -- "cat data.txt; echo \$GREETING \$ROGER_COMMIT \$MARATHON_APP_LABEL_ROGER_JOB" >../out 2>../err) &&
	commit=$(git -C repo rev-parse HEAD) &&
	printf "from-the-artifact\nbonjour %s run\n" "$commit" >expect &&
	test_cmp expect out &&
	test "$(run_job "j[\"labels\"][\"ROGER_APP\"]")" = /web/hello &&
	test "$(run_job "j[\"run\"][\"cpus\"]")" = 0.1
'

test_expect_success 'several words are one command line, each quoted' '
	(cd repo && "$ROGER" run -- printf "%s|" "a  b" "it'\''s" "\$HOME" >../out 2>../err) &&
	printf "%s|" "a  b" "it'\''s" "\$HOME" >expect &&
	test_cmp expect out
'

test_expect_success '--cpus and --mem set the run resources' '
	(cd repo && "$ROGER" run --cpus 0.2 --mem 64 -- "echo \$MARATHON_APP_RESOURCE_CPUS \$MARATHON_APP_RESOURCE_MEM" >../out 2>../err) &&
	echo "0.2 64.0" >expect &&
	test_cmp expect out
'

test_expect_success 'Ctrl-C stops the run and exits 130' '
	(cd repo && run_bg int run -- "echo started; sleep 300") &
	wait_for 30 "grep -q started int.out" &&
	kill -INT "$(cat int.pid)" &&
	wait_for 30 "test -s int.status" &&
	test "$(cat int.status)" = 130 &&
	test_grep "interrupted: run .* stopped" int.err &&
	wait_for 30 no_active_runs &&
	task=$(run_job "j[\"history\"][\"failedFinishedRuns\"][0][\"tasks\"][0]") &&
	wait_for 30 "test \"\$(task_state $task)\" = TASK_KILLED"
'

test_expect_success '--timeout stops the run and exits 6' '
	(cd repo && test_expect_code 6 "$ROGER" run --timeout 1s -- "sleep 300" >../out 2>../err) &&
	test_grep "did not end within 1s: stopped it" err &&
	wait_for 30 no_active_runs
'

test_expect_success 'a run that never starts: exit 5 and why' '
	test_when_finished lcurl -s -X DELETE "$LOCAL_URL/v2/apps/web/broken" &&
	http POST /v2/apps "{\"id\": \"/web/broken\", \"cmd\": \"sleep 3600\", \"cpus\": 0.1, \"mem\": 32,
		\"fetch\": [{\"uri\": \"$LOCAL_URL/artifacts/web/broken/missing.tar.gz\"}]}" >st &&
	test "$(cat st)" = 201 &&
	mkdir -p broken && cat >broken/roger.json <<-EOF &&
	{"version": 1, "app": "broken", "group": "/web"}
	EOF
	(cd broken && git init -q && git add -A && git commit -qm x &&
	 test_expect_code 5 "$ROGER" run -- true >../out 2>../err) &&
	test_grep "failed to start: its task .* ended TASK_FAILED without running the command" err
'

test_expect_success '--detach prints the run id; logs --job shows both streams, or one' '
	(cd repo && "$ROGER" run --detach -- "echo detached output; echo detached error >&2; echo more output" >../out 2>../err) &&
	id=$(cat out) &&
	test_grep "roger logs --job run --run $id" err &&
	wait_for 30 no_active_runs &&
	(cd repo && "$ROGER" logs --job run --run "$id" >../out 2>../err) &&
	test_grep "run .$id. of job .run." err &&
	test_grep "Starting task" out &&
	test_grep "fetcher\]" out &&
	test_grep -x "detached error" out &&
	grep -x -e "detached output" -e "more output" out >got &&
	printf "detached output\nmore output\n" >expect &&
	test_cmp expect got &&
	(cd repo && "$ROGER" logs --job run --stdout >../out 2>../err) &&
	grep -x -e "detached output" -e "more output" out >got &&
	test_cmp expect got &&
	test_grep ! -x "detached error" out &&
	test_grep ! "fetcher\]" out &&
	(cd repo && "$ROGER" logs --job run --stderr >../out 2>../err) &&
	test_grep "fetcher\]" out &&
	test_grep -x "detached error" out &&
	test_grep ! -x "detached output" out &&
	test_grep ! "Starting task" out &&
	(cd repo && "$ROGER" logs --job run --timestamps --stdout >../out 2>../err) &&
	test_grep -E -x "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z detached output" out &&
	(cd repo && "$ROGER" -o json logs --job run --stderr >../out 2>../err) &&
	test "$(grep -c "\"stream\": *\"stdout\"" out)" = 0 &&
	grep "\"line\": *\"detached error\"" out >got &&
	test_grep "\"stream\": *\"stderr\"" got
'

test_expect_success 'logs --job -f: a running run'\''s stdout and stderr interleaved as written' '
	(cd repo && "$ROGER" run --detach -- "echo one; while [ ! -e \"$TRASH/go1\" ]; do sleep 0.1; done; echo two >&2; while [ ! -e \"$TRASH/go2\" ]; do sleep 0.1; done; echo three" >../out 2>../err) &&
	id=$(cat out) &&
	(cd repo && run_bg flw logs --job run --run "$id" -f) &
	wait_for 60 "grep -qx one flw.out" &&
	touch go1 &&
	wait_for 60 "grep -qx two flw.out" &&
	touch go2 &&
	wait_for 60 "test -s flw.status" &&
	test "$(cat flw.status)" = 0 &&
	test_grep "(running)" flw.err &&
	grep -x -e one -e two -e three flw.out >got &&
	printf "one\ntwo\nthree\n" >expect &&
	test_cmp expect got &&
	(cd repo && "$ROGER" run --detach -- "echo out; while [ ! -e \"$TRASH/go3\" ]; do sleep 0.1; done; echo err >&2; echo out2" >../out 2>../err) &&
	id=$(cat out) &&
	(cd repo && run_bg flw2 logs --job run --run "$id" -f --stderr) &
	wait_for 60 "grep -q fetcher flw2.out" &&
	touch go3 &&
	wait_for 60 "test -s flw2.status" &&
	test "$(cat flw2.status)" = 0 &&
	test_grep -x err flw2.out &&
	test_grep ! -x -e out -e out2 flw2.out
'

test_expect_success '-o json: one document with the output and the status' '
	(cd repo && test_expect_code 4 "$ROGER" -o json run -- "echo one; echo two >&2; exit 4" >../out 2>../err) &&
	test "$(json out "d[\"exit_status\"]")" = 4 &&
	test "$(json out "[l[\"line\"] for l in d[\"output\"] if l[\"stream\"] == \"stdout\"]")" = "[\"one\"]" &&
	test "$(json out "[l[\"line\"] for l in d[\"output\"] if l[\"stream\"] == \"stderr\"]")" = "[\"two\"]" &&
	test "$(json out "d[\"job\"]")" = web.hello.run
'

test_expect_success '--ref runs another commit, built and pushed, the app untouched' '
	version=$(app_get web/hello "a[\"version\"]") &&
	(cd repo && echo changed >data.txt && git commit -qam change &&
	 "$ROGER" run --ref HEAD -- "cat data.txt" >../out 2>../err) &&
	echo changed >expect &&
	test_cmp expect out &&
	test "$(app_get web/hello "a[\"version\"]")" = "$version"
'

test_expect_success 'errors before any run: no app, no command, bad --cpus' '
	mkdir -p nope && echo "{\"version\": 1, \"app\": \"nope\"}" >nope/roger.json &&
	(cd nope && git init -q && git add -A && git commit -qm x &&
	 test_expect_code 1 "$ROGER" run -- true 2>../err) &&
	test_grep "app ./nope. does not exist on target .local." err &&
	test_grep "deploy it first, or name a commit with --ref" err &&
	(cd repo && test_expect_code 2 "$ROGER" run 2>../err) &&
	test_grep "missing the command to run" err &&
	(cd repo && test_expect_code 2 "$ROGER" run --cpus x -- true 2>../err) &&
	test_grep "invalid --cpus .x." err
'

test_done
