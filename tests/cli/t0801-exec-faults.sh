#!/bin/sh
# roger exec against scripted servers (tests/faultd.py), for what roger
# local does not do: a task of the Docker containerizer (400 "Nested
# containers are not supported"), an agent older than the operator API v1
# (by its version in the master's state, and by a 404 to POST /api/v1),
# credentials the agent refuses, and a container the agent no longer has.
# Each ends in its documented exit status with one line saying why, and
# the calls roger sends are those of the contract.
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
launch["match"] = "POST /api/v1"
rules = [
    {"match": "GET /v2/apps/web/hello/tasks", "times": 0,
     "json": {"tasks": [{"id": t, "appId": "/web/hello", "host": "127.0.0.1",
                         "slaveId": "S0", "state": "TASK_RUNNING",
                         "startedAt": "2024-01-02T03:04:05.000Z"}]}},
    {"match": "GET /master/state", "times": 0,
     "body": json.dumps(master).replace('"PORT"', "{port}"),
     "headers": {"Content-Type": "application/json"}},
    launch,
]
print(json.dumps(rules))
PY
)"
}

cluster docker 1.7.0 '{"status": 400, "body": "Failed to launch nested container: Nested containers are not supported"}'
cluster old 1.1.0 '{"status": 500, "body": "not reached"}'
cluster noapi 1.7.0 '{"status": 404, "body": ""}'
cluster refused 1.7.0 '{"status": 401, "body": "", "headers": {"WWW-Authenticate": "Mesos realm=\"mesos\""}}'
cluster gone 1.7.0 '{"status": 404, "body": "Container C1 cannot be found"}'

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
	assert c["h"]["message-accept"] == "application/json", c["h"]
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

test_done
