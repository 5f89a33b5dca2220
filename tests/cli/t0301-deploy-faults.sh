#!/bin/sh
# roger deploy against scripted Marathons (tests/faultd.py), on its own
# request path (the GET of the live app, the PUT of the new one): a leader
# election (503s) then success with a silent event stream, one that keeps
# dropping, 401 and 403, an HTML error page, truncated JSON, a connection
# reset, a reply slower than --timeout, and a 422 with several details:
# each its documented exit status and one line of error.  The watch's own
# faults are t0430's.  The artifacts go to a file:// store.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

DEP=7d0ab6c3-5f0e-4c51-9d3e-3c2f4a1b9e10
V2=2024-05-01T11:00:00.000Z

# script KIND: a faultd script for a deploy that creates /web/hello.
script() {
	"${PYTHON:-python3}" - "$1" "$DEP" "$V2" <<'PY'
import json, sys
kind, dep, v2 = sys.argv[1:4]
task = {"id": "web_hello.instance-00000001-68a7-11e7-a229-e6a514ca0c21._app.1",
        "appId": "/web/hello", "host": "127.0.0.1", "slaveId": "S0",
        "state": "TASK_RUNNING", "version": v2, "startedAt": v2,
        "stagedAt": v2, "ports": [31001]}
missing = {"match": "GET /v2/apps/web/hello", "times": 1, "status": 404,
           "json": {"message": "App '/web/hello' does not exist"}}
after = {"match": "GET /v2/apps/web/hello*", "times": 0,
         "json": {"app": {"id": "/web/hello", "version": v2,
                          "versionInfo": {"lastConfigChangeAt": v2, "lastScalingAt": v2},
                          "instances": 1, "tasks": [task]}}}
put = {"match": "PUT /v2/apps/web/hello*", "times": 0, "status": 201,
       "json": {"deploymentId": dep, "version": v2},
       "headers": {"Marathon-Deployment-Id": dep}}
ours = {"match": "GET /v2/deployments", "times": 2,
        "json": [{"id": dep, "version": v2, "affectedApps": ["/web/hello"],
                  "steps": [{"actions": [{"action": "StartApplication", "app": "/web/hello"}]},
                            {"actions": [{"action": "ScaleApplication", "app": "/web/hello"}]}],
                  "currentActions": [{"action": "ScaleApplication", "app": "/web/hello"}],
                  "currentStep": 2, "totalSteps": 2}]}
done = {"match": "GET /v2/deployments", "times": 0, "json": []}
queue = {"match": "GET /v2/queue", "times": 0, "json": {"queue": []}}
attached = {"event": "event_stream_attached", "data": {"eventType": "event_stream_attached"}}
watch = [ours, done, after, queue]
rules = {
    "election": [{"match": "GET /v2/apps/web/hello", "times": 2, "status": 503, "html": True},
                 missing,
                 {"match": "PUT /v2/apps/web/hello*", "times": 1, "status": 503, "html": True},
                 put] + watch +
                [{"match": "GET /v2/events*", "times": 0, "sse": [attached], "sse_end": "hang"}],
    "dropping": [missing, put] + [dict(ours, times=6), done, after, queue] +
                [{"match": "GET /v2/events*", "times": 0,
                  "sse": [attached, {"heartbeat": True}], "sse_end": "close"}],
    "unauthorized": [{"match": "GET /v2/apps/*", "times": 0, "status": 401, "html": True,
                      "headers": {"WWW-Authenticate": "Basic realm=\"Mesosphere\""}}],
    "forbidden": [missing, {"match": "PUT /v2/apps/*", "times": 0, "status": 403,
                            "json": {"message": "Not Authorized to perform this action!"}}],
    "html": [missing, {"match": "PUT /v2/apps/*", "times": 0, "status": 500, "html": True,
                       "message": "Server Error"}],
    "truncated": [{"match": "GET /v2/apps/*", "times": 0,
                   "body": "{\"app\": {\"id\": \"/web/hello\", \"instan",
                   "headers": {"Content-Type": "application/json"}}],
    "truncput": [missing, {"match": "PUT /v2/apps/*", "times": 0, "status": 201,
                           "body": "{\"deploymentId\": \"7d0a",
                           "headers": {"Content-Type": "application/json"}}],
    "reset": [missing, {"match": "PUT /v2/apps/*", "times": 0, "reset": True}],
    "slow": [{"match": "GET /v2/apps/*", "times": 0, "delay": 30, "json": {}}],
    "invalid": [missing, {"match": "PUT /v2/apps/web/hello*", "times": 0, "status": 422,
                          "json": {"message": "Object is not valid",
                                   "details": [{"path": "/instances", "errors": ["must be less than or equal to 64"]},
                                               {"path": "/healthChecks(0)/portIndex", "errors": ["must be less than 1"]}]}}],
}
print(json.dumps(rules[kind]))
PY
}

for k in election dropping unauthorized forbidden html truncated truncput reset slow invalid; do
	faultd_start "$k" "$(script "$k")"
done

mkdir -p "$TRASH/store"

# status_is STATUS: the -o json document in ./out has this status.
status_is() {
	"${PYTHON:-python3}" -c "import json,sys; assert json.load(open(\"out\"))[\"status\"] == sys.argv[1]" "$1"
}
# on KIND ARGS...: roger ARGS in the project against the server of KIND.
on() {
	eval "url=\$${1}_URL"
	shift
	(cd "$TRASH/repo" &&
	 ROGER_MARATHON_URL=$url ROGER_ARTIFACTS_URL="file://$TRASH/store/" \
		"$ROGER" "$@")
}

test_expect_success 'setup: a project' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\", \\\"marathon\\\": {\\\"cmd\\\": \\\"sleep 1000\\\"}}\" >roger.json"
'

test_expect_success 'a leader election (503s) and a silent event stream: created, exit 0' '
	on election deploy --settle 0 >out 2>err &&
	test_grep "^app ./web/hello. created at commit .*: 1/1 running$" out &&
	test_grep "^127.0.0.1:31001$" out &&
	test "$(faultd_count election GET /v2/apps/web/hello)" -ge 4 &&
	test "$(faultd_count election PUT "/v2/apps/web/hello?partialUpdate=false")" = 2 &&
	test "$(faultd_count election GET /v2/events)" -ge 1 &&
	ls "$TRASH/store/web/hello/"*.tar.gz >/dev/null
'

test_expect_success 'an event stream that keeps dropping: reconnected, exit 0' '
	on dropping -v deploy --settle 0 >out 2>err &&
	test_grep "^app ./web/hello. created at commit " out &&
	test "$(faultd_count dropping GET /v2/events)" -ge 2 &&
	test_grep "^roger: warning: the event stream of .* ended; reconnecting" err
'

test_expect_success 'a store that is not there: exit 1, one line, a JSON document' '
	(cd repo && ROGER_MARATHON_URL=$election_URL ROGER_ARTIFACTS_URL="file://$TRASH/nowhere/" \
		test_expect_code 1 "$ROGER" -o json deploy >../out 2>../err) &&
	test_line_count 1 err &&
	test_grep "nowhere" err &&
	status_is error
'

test_expect_success '401 on the GET of the app: exit 4, one line, nothing sent' '
	test_expect_code 4 on unauthorized deploy >out 2>err &&
	test_grep "401" err &&
	test_line_count 1 err &&
	test "$(faultd_count unauthorized PUT /)" = 0
'

test_expect_success '403 on the PUT: exit 4, one line' '
	test_expect_code 4 on forbidden deploy >out 2>err &&
	test_grep "^roger: .*Not Authorized to perform this action!" err &&
	test_line_count 1 err
'

test_expect_success 'an HTML error page on the PUT: exit 1, one line without the HTML' '
	test_expect_code 1 on html deploy >out 2>err &&
	test_grep "500" err &&
	test_grep ! "<" err &&
	test_line_count 1 err
'

test_expect_success 'truncated JSON for the live app: exit 1, one line, nothing sent' '
	test_expect_code 1 on truncated deploy >out 2>err &&
	test_grep "^roger: invalid JSON in the app" err &&
	test_line_count 1 err &&
	test "$(faultd_count truncated PUT /)" = 0
'

test_expect_success 'truncated JSON in the reply to the PUT: exit 1, one line' '
	test_expect_code 1 on truncput -o json deploy >out 2>err &&
	test_line_count 1 err &&
	status_is error
'

test_expect_success 'a connection reset at every try of the PUT: exit 4, one line' '
	test_expect_code 4 on reset -o json deploy >out 2>err &&
	test_line_count 1 err &&
	test "$(faultd_count reset PUT /)" -ge 2 &&
	status_is error
'

test_expect_success 'a reply slower than --timeout: exit 4, one line naming the wait' '
	test_expect_code 4 on slow deploy --timeout 2 >out 2>err &&
	test_grep "^roger: timed out after 2 s waiting for .*/v2/apps/web/hello" err &&
	test_line_count 1 err
'

test_expect_success 'refused as invalid (422): exit 3, every path named as in roger.json' '
	test_expect_code 3 on invalid deploy >out 2>err &&
	test_grep "^roger: roger.json: marathon.instances: must be less than or equal to 64; marathon.healthChecks\[0\].portIndex: must be less than 1$" err &&
	test_line_count 1 err
'

test_done
