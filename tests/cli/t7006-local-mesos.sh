#!/bin/sh
# roger local's Mesos endpoints, as `roger logs` uses them: master and agent
# state, /files/read (size probe, data, errors), /files/browse and
# /files/download of a running task's sandbox.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 2 --mem 1024

app=$(printf '{"id":"/logs/app","cmd":"exec %s","instances":1,"cpus":0.1,"mem":16,"env":{"TESTAPP_STDOUT":"hello from stdout","TESTAPP_STDERR":"hello from stderr"}}' "$TESTAPP")

test_expect_success 'set up: a running task' '
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	app_get logs/app "a[\"tasks\"][0][\"id\"]" >task &&
	app_get logs/app "a[\"tasks\"][0][\"slaveId\"]" >agent
'

test_expect_success 'GET /master/state (and /state): the framework of /v2/info with the task' '
	fid=$(json_url /v2/info "d[\"frameworkId\"]") &&
	for p in /master/state /state; do
		test "$(http GET $p)" = 200 &&
		test "$(json body "[f[\"name\"] for f in d[\"frameworks\"] if f[\"id\"] == \"$fid\"]")" = "[\"marathon\"]" &&
		test "$(json body "[t[\"id\"] for f in d[\"frameworks\"] for t in f[\"tasks\"]]")" = "[\"$(cat task)\"]" &&
		test "$(json body "d[\"slaves\"][0][\"id\"]")" = "$(cat agent)" || exit 1
	done &&
	test "$(http GET /master/state.json)" = 404
'

test_expect_success 'GET /slave(1)/state: the executor of the task with its directory' '
	test "$(http GET "/slave(1)/state")" = 200 &&
	json body "[e[\"directory\"] for f in d[\"frameworks\"] for e in f[\"executors\"] if e[\"id\"] == \"$(cat task)\"][0]" >dir &&
	test -d "$(cat dir)"
'

test_expect_success '/files/read: size probe, data, errors as Mesos answers them' '
	dir=$(cat dir) &&
	wait_for 10 "grep -q \"hello from stdout\" \"$dir/stdout\"" &&
	size=$(wc -c <"$dir/stdout") &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=-1")" = 200 &&
	test "$(json body "d")" = "{\"data\": \"\", \"offset\": $size}" &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=0")" = 200 &&
	json body "d[\"data\"]" | grep -q "hello from stdout" &&
	test "$(http GET "/files/read?path=$dir/stderr&offset=0")" = 200 &&
	json body "d[\"data\"]" | grep -q "hello from stderr" &&
	test "$(http GET "/files/read?path=$dir/nope&offset=0")" = 404 &&
	test ! -s body &&
	test "$(http GET "/files/read?offset=0")" = 400 &&
	test "$(cat body)" = "Expecting '"'"'path=value'"'"' in query." &&
	test "$(http GET "/files/read?path=$dir&offset=0")" = 400
'

test_expect_success '/files/browse and /files/download' '
	dir=$(cat dir) &&
	test "$(http GET "/files/browse?path=$dir")" = 200 &&
	json body "[e[\"path\"] for e in d]" | grep -q "/stdout\"" &&
	test "$(http GET "/files/download?path=$dir/stdout")" = 200 &&
	header Content-Disposition | grep -q "attachment; filename=stdout" &&
	cmp body "$dir/stdout"
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
