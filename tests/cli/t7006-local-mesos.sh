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

test_expect_success '/files/read over HTTP: the 64 KiB cap (loop until empty), text/plain 400s' '
	dep=$(deploy_app "{\"id\":\"/logs/big\",\"cmd\":\"seq 1 40000 >big; exec sleep 1000\",\"cpus\":0.1,\"mem\":16}") &&
	wait_deployed "$dep" &&
	big=$(app_get logs/big "a[\"tasks\"][0][\"id\"]") &&
	lcurl -s "$LOCAL_URL/slave(1)/state" >agent.json &&
	bigdir=$(json agent.json "[e[\"directory\"] for f in d[\"frameworks\"] for e in f[\"executors\"] if e[\"id\"] == \"$big\"][0]") &&
	wait_for 10 "test \"\$(wc -c <\"$bigdir/big\")\" = 228894" &&
	python3 - "$LOCAL_URL" "$bigdir/big" <<-\EOF &&
	import json, os, sys, urllib.parse, urllib.request
	url, path = sys.argv[1:3]
	auth = {"Authorization": "token=" + os.environ["LOCAL_TOKEN"]}
	want = open(path, "rb").read()
	got, sizes = b"", []
	while True:
	    q = urllib.parse.urlencode({"path": path, "offset": len(got)})
	    with urllib.request.urlopen(urllib.request.Request(
	            url + "/files/read?" + q, headers=auth)) as r:
	        assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
	        doc = json.load(r)
	    assert doc["offset"] == len(got), (doc["offset"], len(got))
	    data = doc["data"].encode()
	    sizes.append(len(data))
	    if not data:
	        break
	    got += data
	assert got == want and sizes == [65536, 65536, 65536, 32286, 0], sizes
	EOF
	dir=$(cat dir) &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=-2")" = 400 &&
	header Content-Type | grep -q "^text/plain" &&
	printf "Negative offset provided: -2.\n" >want && cmp want body &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=0&length=-5")" = 400 &&
	printf "Negative length provided: -5.\n" >want && cmp want body &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=x")" = 400 &&
	printf "Failed to parse offset: Failed to convert '"'"'x'"'"' to number.\n" >want && cmp want body &&
	test "$(http GET "/files/read?path=$dir&offset=0")" = 400 &&
	printf "Cannot read a directory.\n" >want && cmp want body &&
	test "$(http GET "/files/read?path=&offset=0")" = 400 &&
	printf "Expecting '"'"'path=value'"'"' in query.\n" >want && cmp want body &&
	test "$(http GET "/files/read?path=$dir/stdout&offset=0&length=0")" = 200 &&
	test "$(json body "d")" = "{\"data\": \"\", \"offset\": 0}" &&
	test "$(http GET "/files/read?path=/etc/passwd&offset=0")" = 404 &&
	test ! -s body
'

test_expect_success '/files/browse and /files/download errors' '
	dir=$(cat dir) &&
	test "$(http GET "/files/browse?path=$dir/nope")" = 404 &&
	test "$(http GET "/files/download?path=$dir/nope")" = 404 &&
	test "$(http GET "/files/download?path=$dir")" = 400 &&
	test "$(http GET "/files/browse?path=$dir")" = 200 &&
	python3 - "$TEST_SRCDIR/fixtures/mesos-files-browse.json" body <<-\EOF
	import json, sys
	want = set(json.load(open(sys.argv[1]))[0]); got = json.load(open(sys.argv[2]))
	assert all(set(e) == want for e in got), (want, got)
	assert [e["path"] for e in got] == sorted(e["path"] for e in got)
	EOF
'

test_expect_success 'an ended task: completed in the master, its executor completed on the agent' '
	task=$(cat task) &&
	test "$(http PUT /v2/apps/logs/app "{\"instances\":0}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	wait_for 10 "lcurl -s \"\$LOCAL_URL/master/state\" | grep -q completed_tasks.*$task" &&
	test "$(http GET /master/state)" = 200 &&
	test "$(json body "[t[\"state\"] for f in d[\"frameworks\"] for t in f[\"completed_tasks\"] if t[\"id\"] == \"$task\"]")" = "[\"TASK_KILLED\"]" &&
	test "$(json body "[t[\"id\"] for f in d[\"frameworks\"] for t in f[\"tasks\"] if t[\"id\"] == \"$task\"]")" = "[]" &&
	test "$(http GET "/slave(1)/state")" = 200 &&
	test "$(json body "[e[\"directory\"] for f in d[\"frameworks\"] + d[\"completed_frameworks\"] for e in f[\"completed_executors\"] if e[\"id\"] == \"$task\"]")" = "[\"$(cat dir)\"]" &&
	test "$(http GET "/files/read?path=$(cat dir)/stdout&offset=0")" = 200 &&
	json body "d[\"data\"]" | grep -q "hello from stdout"
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
