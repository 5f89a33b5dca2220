#!/bin/sh
# roger scale and restart against scripted Marathons (tests/faultd.py),
# for what roger local does not do: a 409 lock, a 422 with details, 401
# and 403, an HTML error page, truncated JSON and a connection reset (each
# its exit status and one line of error), and a watch that succeeds
# through 503s of a leader election, an event stream that stays silent and
# one that keeps dropping.  (A reply slower than the HTTP timeout is tested
# in tests/check_deploy.c, with a short timeout.)
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

DEP=2e72dbf1-2b2a-4204-b628-e8bd160945dd
V1=2024-05-01T10:00:00.000Z
V2=2024-05-01T11:00:00.000Z

# script KIND: a faultd script for a scale of /web/hello from 1 to 2.
# The first GET of the app (before the PUT) sees one instance; the polls
# see two running tasks of the new version.
script() {
	"${PYTHON:-python3}" - "$1" "$DEP" "$V1" "$V2" <<'PY'
import json, sys
kind, dep, v1, v2 = sys.argv[1:5]
def task(n, v):
    return {"id": "web_hello.instance-%08d-68a7-11e7-a229-e6a514ca0c21._app.1" % n,
            "appId": "/web/hello", "host": "127.0.0.1", "slaveId": "S0",
            "state": "TASK_RUNNING", "version": v, "startedAt": v,
            "stagedAt": v, "ports": [31000 + n]}
def app(version, instances, tasks):
    return {"app": {"id": "/web/hello", "version": version,
                    "versionInfo": {"lastConfigChangeAt": v1, "lastScalingAt": version},
                    "instances": instances, "tasks": tasks}}
before = {"match": "GET /v2/apps/web/hello", "times": 1, "json": app(v1, 1, [task(1, v1)])}
after = {"match": "GET /v2/apps/web/hello*", "times": 0,
         "json": app(v2, 2, [task(1, v1), task(2, v2)])}
put = {"match": "PUT /v2/apps/web/hello*", "times": 0,
       "json": {"deploymentId": dep, "version": v2},
       "headers": {"Marathon-Deployment-Id": dep}}
ours = {"match": "GET /v2/deployments", "times": 3,
        "json": [{"id": dep, "version": v2, "affectedApps": ["/web/hello"],
                  "steps": [{"actions": [{"action": "ScaleApplication", "app": "/web/hello"}]}],
                  "currentActions": [{"action": "ScaleApplication", "app": "/web/hello"}],
                  "currentStep": 1, "totalSteps": 1}]}
done = {"match": "GET /v2/deployments", "times": 0, "json": []}
queue = {"match": "GET /v2/queue", "times": 0, "json": {"queue": []}}
attached = {"event": "event_stream_attached", "data": {"eventType": "event_stream_attached"}}
rules = {
    "lock": [dict(before, times=2), {"match": "PUT /v2/apps/web/hello", "times": 0, "status": 409,
                      "json": {"deployments": [{"id": "5cd987cd-85ae-4e70-8df7-f1438367d9cb"}],
                               "message": "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."}},
             put, ours, done, after, queue],
    "invalid": [before, {"match": "PUT /v2/apps/web/hello", "times": 0, "status": 422,
                         "json": {"message": "Object is not valid",
                                  "details": [{"path": "/instances", "errors": ["must be less than or equal to 64"]}]}}],
    "unauthorized": [{"match": "GET /v2/apps/*", "times": 0, "status": 401, "html": True,
                      "headers": {"WWW-Authenticate": "Basic realm=\"Mesosphere\""}}],
    "forbidden": [{"match": "GET /v2/apps/*", "times": 0, "status": 403,
                   "json": {"message": "Not Authorized to perform this action!"}}],
    "html": [before, {"match": "PUT /v2/apps/*", "times": 0, "status": 500, "html": True,
                      "message": "Server Error"}],
    "truncated": [{"match": "GET /v2/apps/*", "times": 0,
                   "body": "{\"app\": {\"id\": \"/web/hello\", \"instan",
                   "headers": {"Content-Type": "application/json"}}],
    "reset": [{"match": "GET /v2/apps/*", "times": 0, "reset": True}],
    "election": [before, put,
                 {"match": "GET /v2/deployments", "times": 2, "status": 503, "html": True},
                 ours, done, after, queue,
                 {"match": "GET /v2/events*", "times": 0, "sse": [attached], "sse_end": "hang"}],
    "dropping": [before, put, dict(ours, times=6), done, after, queue,
                 {"match": "GET /v2/events*", "times": 0,
                  "sse": [attached, {"heartbeat": True}], "sse_end": "close"}],
}
print(json.dumps(rules[kind]))
PY
}

for k in lock invalid unauthorized forbidden html truncated reset election dropping; do
	faultd_start "$k" "$(script "$k")"
done

# on KIND ARGS...: roger ARGS against the server of KIND.
on() {
	eval "url=\$${1}_URL"
	shift
	ROGER_MARATHON_URL=$url "$ROGER" "$@"
}

test_expect_success 'a lock (409): exit 7, one line naming the deployment and --force' '
	test_expect_code 7 on lock scale --app web/hello 2 >out 2>err &&
	test_grep "^roger: app locked by deployment .5cd987cd-85ae-4e70-8df7-f1438367d9cb. in progress (HTTP 409 from .*/v2/apps/web/hello.); pass --force to override it" err &&
	test_line_count 1 err &&
	test_line_count 0 out
'

test_expect_success 'with --force: ?force=true, and the watch succeeds' '
	on lock scale --app web/hello --force --settle 0 2 >out 2>err &&
	test_grep "scaled to 2 instances: 2/2 running" out &&
	test "$(faultd_count lock PUT "/v2/apps/web/hello?force=true")" = 1
'

test_expect_success 'refused as invalid (422): exit 3 with the details per path' '
	test_expect_code 3 on invalid scale --app web/hello 100 >out 2>err &&
	test_grep "marathon.instances: must be less than or equal to 64" err &&
	test_line_count 1 err
'

test_expect_success '401 and 403: exit 4, one line' '
	test_expect_code 4 on unauthorized scale --app web/hello 2 2>err &&
	test_grep "401" err &&
	test_line_count 1 err &&
	test_expect_code 4 on forbidden restart --app web/hello 2>err &&
	test_grep "Not Authorized to perform this action!" err &&
	test_line_count 1 err
'

test_expect_success 'an HTML error page: exit 1, its title in one line' '
	test_expect_code 1 on html scale --app web/hello 2 2>err &&
	test_grep "500" err &&
	test_grep ! "<html" err &&
	test_line_count 1 err
'

test_expect_success 'truncated JSON: exit 1, one line' '
	test_expect_code 1 on truncated scale --app web/hello 2 2>err &&
	test_grep "invalid JSON in the app" err &&
	test_line_count 1 err
'

test_expect_success 'a connection reset at every try: exit 4, one line' '
	test_expect_code 4 on reset -o json scale --app web/hello 2 >out 2>err &&
	test_line_count 1 err &&
	"${PYTHON:-python3}" -c "import json; assert json.load(open(\"out\"))[\"status\"] == \"error\""
'

test_expect_success 'a leader election (503s) and a silent event stream: the watch goes on, exit 0' '
	on election scale --app web/hello --settle 0 2 >out 2>err &&
	test_grep "scaled to 2 instances: 2/2 running" out &&
	test "$(faultd_count election GET /v2/deployments)" -ge 6 &&
	test "$(faultd_count election GET /v2/events)" -ge 1
'

test_expect_success 'an event stream that keeps dropping: reconnected (said with -v), exit 0' '
	on dropping -v scale --app web/hello --settle 0 2 >out 2>err &&
	test_grep "scaled to 2 instances: 2/2 running" out &&
	test "$(faultd_count dropping GET /v2/events)" -ge 2 &&
	test_grep "^roger: warning: the event stream of .http://127.0.0.1:[0-9]*/v2/events. ended; reconnecting in 1 s, polling meanwhile$" err
'

test_done
