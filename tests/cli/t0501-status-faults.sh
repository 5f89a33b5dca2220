#!/bin/sh
# roger status and roger history against scripted servers (tests/faultd.py)
# for what roger local does not do: a Marathon 1.4 that writes nulls and
# empties, unordered versions and a version that is gone; then 401, 403,
# an HTML error page, truncated JSON, a connection reset and a reply slower
# than the timeout, each ending in its documented exit status and one line.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

COMMIT=0123456789abcdef0123456789abcdef01234567
V1=2016-02-01T20:00:00.000Z
V2=2016-02-01T21:00:00.000Z
V3=2016-02-01T22:57:54.370Z

# A Marathon 1.4 with /web/hello: the legacy fixture's shape, roger's labels.
faultd_start legacy "$("${PYTHON:-python3}" - "$TEST_SRCDIR/fixtures" \
	"$COMMIT" "$V1" "$V2" "$V3" <<'PY'
import copy, json, sys
fix, commit, v1, v2, v3 = sys.argv[1:6]
app = json.load(open(fix + "/marathon-get-apps-legacy-0.15.json"))["apps"][0]
app["id"] = "/web/hello"
app["labels"] = {"ROGER_APP": "/web/hello", "ROGER_ENV": "prod",
                 "ROGER_COMMIT": commit, "ROGER_VERSION": "0.1.0",
                 "ROGER_DEPLOYED_BY": "ci", "ROGER_ARTIFACT_SHA256": None}
app["instances"] = 2
app["tasksStaged"] = 1
app["deployments"] = [{"id": "97c136bf-5a28-4821-9d94-480d9fbb01c8"}]
app["lastTaskFailure"] = {"appId": "/web/hello", "host": "10.0.1.148",
                          "message": "Command exited with status 1",
                          "state": "TASK_FAILED",
                          "taskId": "web_hello.3a58a46a-c937-11e5-9836-026ee08d9f70",
                          "timestamp": "2016-02-01T22:50:00.000Z",
                          "version": v3, "slaveId": None}
t = app["tasks"][0]
t["id"] = "web_hello.3a58a46a-c937-11e5-9836-026ee08d9f6f"
t["appId"] = "/web/hello"
t["state"] = "TASK_RUNNING"  # 0.15 had none; 1.4 writes it
staging = {"id": "web_hello.4b58a46a-c937-11e5-9836-026ee08d9f6f",
           "host": "10.0.1.150", "ports": [], "startedAt": None,
           "stagedAt": "2016-02-01T22:58:00.000Z", "version": v3,
           "slaveId": "S4", "appId": "/web/hello", "state": "TASK_STAGING",
           "ipAddresses": None}
app["tasks"] = [staging, t]
for k in ("version",):
    app[k] = v3
app["versionInfo"] = {"lastScalingAt": v3, "lastConfigChangeAt": v3}
deps = json.load(open(fix + "/marathon-deployments.json"))
deps[0]["affectedApps"] = ["/web/hello"]
deps[0]["affectedPods"] = []
deps[0]["steps"] = [{"actions": [{"action": "RestartApplication", "app": "/web/hello"}]}]
deps[0]["currentActions"] = [{"action": "RestartApplication", "app": "/web/hello",
                              "readinessCheckResults": []}]
queue = json.load(open(fix + "/marathon-queue.json"))
queue["queue"][0]["app"] = {"id": "/web/hello", "instances": 2}
queue["queue"][0]["delay"] = {"timeLeftSeconds": 12, "overdue": False}
# The stored versions: 1.4 writes every field, nulls included.
def version(v, instances, commit_label, cmd):
    d = copy.deepcopy(app)
    for k in ("tasks", "tasksStaged", "tasksRunning", "tasksHealthy",
              "tasksUnhealthy", "deployments", "lastTaskFailure", "versionInfo"):
        d.pop(k, None)
    d["version"] = v
    d["instances"] = instances
    d["cmd"] = cmd
    d["labels"] = dict(d["labels"], ROGER_COMMIT=commit_label)
    return d
rules = [
    {"match": "GET /v2/apps/web/hello/versions/" + v3.replace(":", "%3A"), "times": 0,
     "json": version(v3, 2, commit, None)},
    {"match": "GET /v2/apps/web/hello/versions/" + v2.replace(":", "%3A"), "times": 0,
     "json": version(v2, 1, commit, None)},
    {"match": "GET /v2/apps/web/hello/versions/" + v1.replace(":", "%3A"), "times": 0,
     "status": 404, "json": {"message": "App '/web/hello' does not exist in version " + v1}},
    {"match": "GET /v2/apps/web/hello/versions", "times": 0,
     "json": {"versions": [v2, v3, v1]}},
    {"match": "GET /v2/apps/web/hello", "times": 0, "json": {"app": app}},
    {"match": "GET /v2/apps/web/hello?*", "times": 0, "json": {"app": app}},
    {"match": "GET /v2/deployments", "times": 0, "json": deps},
    {"match": "GET /v2/queue", "times": 0, "json": queue},
]
print(json.dumps(rules))
PY
)"

# One app per fault.
faultd_start faults '[
  {"match": "GET /v2/apps/f/unauth*", "times": 0, "status": 401, "html": true,
   "headers": {"WWW-Authenticate": "Basic realm=\"Mesosphere\""}},
  {"match": "GET /v2/apps/f/forbidden*", "times": 0, "status": 403,
   "json": {"message": "Not Authorized to perform this action!"}},
  {"match": "GET /v2/apps/f/html*", "times": 0, "status": 500, "html": true,
   "message": "Server Error"},
  {"match": "GET /v2/apps/f/truncated*", "times": 0,
   "body": "{\"app\": {\"id\": \"/f/truncated\", \"cmd\": \"sl",
   "headers": {"Content-Type": "application/json"}},
  {"match": "GET /v2/apps/f/cut*", "times": 0, "close_after": 20,
   "json": {"app": {"id": "/f/cut", "cmd": "sleep 1000", "instances": 1}}},
  {"match": "GET /v2/apps/f/reset*", "times": 0, "reset": true},
  {"match": "GET /v2/apps/f/slow*", "times": 0, "delay": 5,
   "json": {"app": {"id": "/f/slow"}}},
  {"match": "GET /v2/apps/f/badlist/versions", "times": 0,
   "body": "{\"versions\": [\"2016-02-01T22:57:54.370Z\", ",
   "headers": {"Content-Type": "application/json"}},
  {"match": "GET /v2/apps/f/badlist*", "times": 0,
   "json": {"app": {"id": "/f/badlist", "cmd": "x"}}}
]'

ROGER_MARATHON_URL=$legacy_URL
export ROGER_MARATHON_URL

test_expect_success 'status against Marathon 1.4: nulls, empties, a staging task' '
	"$ROGER" status --app /web/hello >out 2>err &&
	test_line_count 0 err &&
	test_grep "^app:        /web/hello on target environment$" out &&
	test_grep "^version:    $V3$" out &&
	test_grep "^release:    commit 0123456789ab, environment prod, deployed by ci with roger 0.1.0$" out &&
	test_grep "^instances:  1 of 2 running, 1 staged, 1 healthy, 0 unhealthy$" out &&
	test_grep "^  web_hello.3a58a46a-c937-11e5-9836-026ee08d9f6f  10.0.1.147:25724  TASK_RUNNING  healthy  " out &&
	test_grep "^  web_hello.4b58a46a-c937-11e5-9836-026ee08d9f6f  10.0.1.150  *TASK_STAGING  unknown  " out &&
	test_grep "^  97c136bf-5a28-4821-9d94-480d9fbb01c8 (version 2015-09-30T09:09:17.614Z): step 1 of 1$" out &&
	test_grep "^    > 1. RestartApplication /web/hello$" out &&
	test_grep "^last failure: TASK_FAILED [0-9]*d ago, task web_hello.3a58a46a-c937-11e5-9836-026ee08d9f70 on 10.0.1.148: Command exited with status 1$" out &&
	test_grep "^queue:      1 instance waiting to launch, delayed 12 s more (backoff after failures) since 2016-02-28T16:41:41.090Z$" out
'

test_expect_success 'status -o json against Marathon 1.4' '
	"$ROGER" -o json status --app web/hello >out &&
	"${PYTHON:-python3}" - <<-\EOF
	import json
	d = json.load(open("out"))
	assert d["release"]["artifact_sha256"] is None, d["release"]
	assert d["instances"] == {"wanted": 2, "running": 1, "staged": 1,
	                          "healthy": 1, "unhealthy": 0}, d
	staging = [t for t in d["tasks"] if t["state"] == "TASK_STAGING"][0]
	assert staging["started_at"] is None and staging["ports"] == [], staging
	assert staging["health"] == "unknown", staging
	assert d["queue"] == {"count": 1, "delay_seconds": 12, "overdue": False,
	                      "since": "2016-02-28T16:41:41.090Z"}, d["queue"]
	assert d["last_task_failure"]["host"] == "10.0.1.148", d
	assert d["deployments"][0]["total_steps"] == 1, d
	EOF
'

test_expect_success 'history against Marathon 1.4: sorted, a version that is gone' '
	"$ROGER" history --app /web/hello >out 2>err &&
	test_line_count 0 err &&
	test_line_count 4 out &&
	sed -n 2p out | grep "^\* $V3  0123456789ab  deploying  prod  ci  *instances 1 -> 2  *-$" &&
	sed -n 3p out | grep "^  $V2  0123456789ab  deployed  *prod  ci  *-  *-$" &&
	sed -n 4p out | grep "^  $V1  -  *-  *-  *-  *(definition gone)  *-$"
'

test_expect_success 'the requests: deployments and queue once a status, definitions newest first' '
	test "$(faultd_count legacy GET /v2/deployments)" = 2 &&
	test "$(faultd_count legacy GET /v2/queue)" = 2 &&
	"${PYTHON:-python3}" - "$legacy_LOG" "$V3" "$V2" "$V1" <<-\EOF
	import json, sys
	paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
	got = [p.rsplit("/", 1)[1] for p in paths if "/versions/" in p]
	want = [v.replace(":", "%3A") for v in sys.argv[2:5]]
	assert got == want, got
	EOF
'

# fault APP STATUS MESSAGE-PATTERN [ARGS]: status and history both end so.
fault() {
	test_expect_code "$2" "$ROGER" status --app "$1" ${4:-} >out 2>err &&
	test_line_count 1 err &&
	test_line_count 0 out &&
	test_grep "^roger: $3" err &&
	test_expect_code "$2" "$ROGER" history --app "$1" ${4:-} >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: $3" err
}

test_expect_success '401: status 4, the credentials named' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/unauth 4 ".*401.*credentials"
'

test_expect_success '403: status 4' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/forbidden 4 ".*403.*Not Authorized to perform this action!"
'

test_expect_success 'an HTML error page: status 1, its title in the line' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/html 1 ".*500.*Server Error"
'

test_expect_success 'truncated JSON: status 1, naming the URL' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/truncated 1 "invalid JSON in the app: .*(from .$faults_URL/v2/apps/f/truncated"
'

test_expect_success 'a body cut short by the connection: status 4' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/cut 4 ".*/v2/apps/f/cut"
'

test_expect_success 'a connection reset every time: retried, then status 4' '
	ROGER_MARATHON_URL=$faults_URL &&
	test_expect_code 4 "$ROGER" status --app /f/reset 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: .*/v2/apps/f/reset" err &&
	test "$(faultd_count faults GET /v2/apps/f/reset)" -gt 1
'

test_expect_success 'a reply slower than --request-timeout: status 4, not retried' '
	ROGER_MARATHON_URL=$faults_URL &&
	fault /f/slow 4 "timed out after 1 s waiting for .$faults_URL/v2/apps/f/slow" "--request-timeout 1s" &&
	test "$(faultd_count faults GET /v2/apps/f/slow)" = 2
'

test_expect_success 'history: a truncated version list, status 1' '
	ROGER_MARATHON_URL=$faults_URL &&
	test_expect_code 1 "$ROGER" history --app /f/badlist >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: invalid JSON in the version list" err
'

test_expect_success 'usage errors' '
	test_expect_code 2 "$ROGER" status --request-timeout 0 2>err &&
	test_grep "invalid --request-timeout .0.: expected from 1ms to 24h" err &&
	test_expect_code 2 "$ROGER" status --timeout 1 2>err &&
	test_grep "^roger: --timeout is how long --wait waits: give --wait too" err &&
	test_expect_code 2 "$ROGER" history --timeout 1 2>err &&
	test_grep "unknown option .--timeout." err &&
	test_grep "did you mean .--request-timeout." err &&
	test_expect_code 2 "$ROGER" status --app /web/hello extra 2>err &&
	test_grep "unexpected argument .extra." err &&
	test_expect_code 2 "$ROGER" history --app /web/hello a b 2>err &&
	test_grep "unexpected argument .b." err
'

test_done
