#!/bin/sh
# roger exec against scripted servers (tests/faultd.py), for what roger
# local does not do: a task of the Docker containerizer (400 "Nested
# containers are not supported"), an agent older than the operator API v1
# (by its version in the master's state, and by a 404 to POST /api/v1),
# credentials the agent refuses, and a container the agent no longer has.
# Each ends in its documented exit status with one line saying why, and
# the calls roger sends are those of the contract.  Then whole sessions
# with agents that write JSON records only: one that ignores
# Message-Accept and says no Message-Content-Type, one that answers 406
# to a Message-Accept naming protobuf (roger asks again for JSON).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

T=web_hello.instance-aaaaaaaa-1111-2222-3333-444455556666._app.1

# cluster NAME AGENT-VERSION 'RULE FOR POST /api/v1': Marathon, a master
# whose agent S0 is the same server, and the agent's answer to the launch.
cluster() {
	faultd_start "$1" "$("${PYTHON:-python3}" - "$T" "$2" "$3" <<'PY'
import json, sys
t, version, rule = sys.argv[1:4]
master = {"version": "1.7.0",
          "slaves": [{"id": "S0", "hostname": "127.0.0.1", "port": "PORT",
                      "version": version}],
          "frameworks": [{"id": "F1", "tasks": [
              {"id": t, "framework_id": "F1", "slave_id": "S0",
               "state": "TASK_RUNNING",
               "statuses": [{"state": "TASK_RUNNING", "timestamp": 1.0,
                             "container_status": {"container_id":
                                                  {"value": "C1"}}}]}]}]}
launch = json.loads(rule)
launches = launch if isinstance(launch, list) else [launch]
for l in launches:
    l["match"] = "POST /api/v1"
rules = [
    {"match": "GET /v2/apps/web/hello/tasks", "times": 0,
     "json": {"tasks": [{"id": t, "appId": "/web/hello", "host": "127.0.0.1",
                         "slaveId": "S0", "state": "TASK_RUNNING",
                         "startedAt": "2024-01-02T03:04:05.000Z"}]}},
    {"match": "GET /master/state", "times": 0,
     "body": json.dumps(master).replace('"PORT"', "{port}"),
     "headers": {"Content-Type": "application/json"}},
] + launches
print(json.dumps(rules))
PY
)"
}

cluster docker 1.7.0 '{"status": 400, "body": "Failed to launch nested container: Nested containers are not supported"}'
cluster old 1.1.0 '{"status": 500, "body": "not reached"}'
cluster noapi 1.7.0 '{"status": 404, "body": ""}'
cluster refused 1.7.0 '{"status": 401, "body": "", "headers": {"WWW-Authenticate": "Mesos realm=\"mesos\""}}'
cluster gone 1.7.0 '{"status": 404, "body": "Container C1 cannot be found"}'

# json_session [406]: the agent's answers to a whole session whose command
# writes "out" and "err" and exits 7, in JSON records: the launch (after a
# 406 with "406"), then the input call and the wait.
json_session() {
	"${PYTHON:-python3}" - "${1:-}" <<'PY'
import base64, json, sys
def rec(stream, data):
    r = json.dumps({"type": "DATA", "data": {
        "type": stream, "data": base64.b64encode(data).decode()}},
        separators=(",", ":"))
    return "%d\n%s" % (len(r), r)
head = {"Content-Type": "application/recordio"}
rules = []
if sys.argv[1] == "406":
    rules.append({"status": 406, "body":
                  "Expecting 'Message-Accept' to allow application/json"})
    head["Message-Content-Type"] = "application/json"
rules.append({"status": 200, "headers": head,
              "body": rec("STDOUT", b"out\n") + rec("STDERR", b"err\n")})
rules.append({"status": 200, "times": 0, "json": {
    "type": "WAIT_CONTAINER", "wait_container": {"exit_status": 7 << 8}}})
print(json.dumps(rules))
PY
}
cluster jsononly 1.7.0 "$(json_session)"
cluster refuse406 1.7.0 "$(json_session 406)"
cluster otherformat 1.7.0 '{"status": 200, "headers": {"Content-Type": "application/recordio", "Message-Content-Type": "application/xml"}, "body": "4\n<a/>"}'

# run NAME: roger exec through cluster NAME, its status in ./status.
run() {
	eval "url=\$${1}_URL"
	if ROGER_MARATHON_URL=$url ROGER_MESOS_URL=$url ROGER_TOKEN=t \
		"$ROGER" exec --app /web/hello -- sh -c "echo hi" >out 2>err; then
		echo 0 >status
	else
		echo $? >status
	fi
}

test_expect_success 'the Docker containerizer: exit 3, saying why and what to change' '
	run docker &&
	test "$(cat status)" = 3 &&
	test_line_count 1 err &&
	test_grep "Docker containerizer" err &&
	test_grep "Nested containers are not supported" err &&
	test_grep "\"type\": \"MESOS\"" err &&
	test_line_count 0 out
'

test_expect_success 'the launch call is the contract'"'"'s: a session nested in the task'"'"'s container' '
	"${PYTHON:-python3}" - "$docker_LOG" <<-\PY
	import json, sys
	calls = [json.loads(l) for l in open(sys.argv[1])]
	post = [c for c in calls if c["method"] == "POST"]
	assert len(post) == 1, post
	c = post[0]
	assert c["path"] == "/api/v1", c["path"]
	assert c["h"]["content-type"] == "application/json", c["h"]
	assert c["h"]["accept"] == "application/recordio", c["h"]
	assert c["h"]["message-accept"] == \
	    "application/x-protobuf, application/json", c["h"]
	body = json.loads(c["body"])
	assert body["type"] == "LAUNCH_NESTED_CONTAINER_SESSION", body
	l = body["launch_nested_container_session"]
	assert l["container_id"]["parent"]["value"] == "C1", l
	assert l["container_id"]["value"], l
	assert l["command"]["shell"] is False, l
	assert l["command"]["value"] == "sh", l
	assert l["command"]["arguments"] == ["sh", "-c", "echo hi"], l
	assert "tty_info" not in l.get("container", {}), l
	PY
'

test_expect_success 'an agent before Mesos 1.2 (its version): exit 1, no call made' '
	run old &&
	test "$(cat status)" = 1 &&
	test_line_count 1 err &&
	test_grep "Mesos 1.1.0, which has no operator API v1: exec needs Mesos 1.2 or later" err &&
	test "$(faultd_count old POST /api/v1)" = 0
'

test_expect_success 'an agent that has no POST /api/v1 (404): exit 1, saying so' '
	run noapi &&
	test "$(cat status)" = 1 &&
	test_line_count 1 err &&
	test_grep "has no operator API v1 (it answered 404 to POST /api/v1)" err
'

test_expect_success 'credentials the agent refuses: exit 4' '
	run refused &&
	test "$(cat status)" = 4 &&
	test_line_count 1 err
'

test_expect_success 'a container the agent no longer has: exit 1, the task has ended' '
	run gone &&
	test "$(cat status)" = 1 &&
	test_line_count 1 err &&
	test_grep "task .$T. has ended" err
'

# json_ran NAME: roger exec through NAME, a json_session: its output and
# status are the command's.
json_ran() {
	run "$1" &&
	test "$(cat status)" = 7 &&
	echo out >expect && test_cmp expect out &&
	echo err >expect && test_cmp expect err
}

test_expect_success 'an agent writing JSON only, without Message-Content-Type: read as JSON' '
	json_ran jsononly
'

test_expect_success 'an agent answering 406 to protobuf: asked once more for JSON only' '
	json_ran refuse406 &&
	"${PYTHON:-python3}" - "$refuse406_LOG" <<-\PY
	import json, sys
	calls = [json.loads(l) for l in open(sys.argv[1])]
	launches = [c for c in calls if c["method"] == "POST" and
	            c["h"]["content-type"] == "application/json" and
	            json.loads(c["body"])["type"] ==
	            "LAUNCH_NESTED_CONTAINER_SESSION"]
	assert [c["h"]["message-accept"] for c in launches] == [
	    "application/x-protobuf, application/json", "application/json"], \
	    [c["h"] for c in launches]
	a = json.loads(launches[0]["body"])["launch_nested_container_session"]
	b = json.loads(launches[1]["body"])["launch_nested_container_session"]
	assert a == b, (a, b)
	PY
'

test_expect_success 'records in a format roger does not read: exit 1, naming it' '
	run otherformat &&
	test "$(cat status)" = 1 &&
	test_line_count 1 err &&
	test_grep "records of type .application/xml., which roger exec does not read" err &&
	test_line_count 0 out
'

test_done
