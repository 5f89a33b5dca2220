#!/bin/sh
# roger local's Marathon API against the contract (shared/api, copied into
# tests/fixtures): status codes, headers and body shapes, over HTTP to a
# real `roger local serve`.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

FIX=$TEST_SRCDIR/fixtures
local_start --cpus 4 --mem 4096

# same_shape FIXTURE FILE: the same keys, recursively (values may differ).
same_shape() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
def walk(x, y, path):
    if isinstance(x, dict):
        if not isinstance(y, dict) or set(x) != set(y):
            sys.exit("%s: keys %s != %s" % (path, sorted(x) if isinstance(x, dict) else x, sorted(y) if isinstance(y, dict) else y))
        for k in x: walk(x[k], y[k], path + "/" + k)
    elif isinstance(x, list) and x and isinstance(y, list) and y:
        walk(x[0], y[0], path + "[0]")
walk(a, b, "")
EOF
}

# dep_header: the deployment result in ./body names the deployment of the
# Marathon-Deployment-Id header, as on every call that deploys.
dep_header() {
	id=$(header Marathon-Deployment-Id) &&
	test -n "$id" &&
	test "$(json body "d[\"deploymentId\"]")" = "$id"
}

test_expect_success 'GET /ping answers pong as text/plain with Marathon headers' '
	test "$(http GET /ping)" = 200 &&
	test "$(cat body)" = pong &&
	header Content-Type | grep -q "^text/plain" &&
	test "$(header X-Marathon-Leader)" = "$LOCAL_URL" &&
	test "$(header Cache-Control)" = "no-cache, no-store, must-revalidate" &&
	test "$(header Pragma)" = no-cache &&
	test "$(header Expires)" = 0 &&
	test -n "$(header X-Frame-Options)" &&
	test -n "$(header X-XSS-Protection)" &&
	curl -s -H "Accept: application/json" "$LOCAL_URL/ping" >json &&
	test "$(cat json)" = "\"pong\""
'

test_expect_success 'GET /v2/info has the shape of Marathon and a frameworkId' '
	test "$(http GET /v2/info)" = 200 &&
	test "$(json body "d[\"name\"]")" = marathon &&
	json body "d[\"frameworkId\"]" | grep -q -- "-0000$" &&
	test "$(json body "d[\"leader\"]")" = "127.0.0.1:$LOCAL_PORT" &&
	test "$(json body "d[\"elected\"]")" = true &&
	test "$(json body "d[\"zookeeper_config\"][\"zk_max_versions\"]")" = 50 &&
	test "$(json body "d[\"http_config\"][\"http_port\"]")" = "$LOCAL_PORT"
'

test_expect_success 'GET /v2/leader' '
	test "$(http GET /v2/leader)" = 200 &&
	test "$(json body "d[\"leader\"]")" = "127.0.0.1:$LOCAL_PORT"
'

test_expect_success 'an empty cluster lists no apps, deployments, tasks or queue' '
	test "$(http GET /v2/apps)" = 200 && test "$(cat body)" = "{\"apps\":[]}" &&
	test "$(http GET /v2/deployments)" = 200 && test "$(cat body)" = "[]" &&
	test "$(http GET /v2/tasks)" = 200 && test "$(cat body)" = "{\"tasks\":[]}" &&
	test "$(http GET /v2/queue)" = 200 && test "$(cat body)" = "{\"queue\":[]}"
'

app='{"id":"/product/web","cmd":"sleep 1000","cpus":0.25,"mem":64,"instances":0,
 "env":{"LOG_LEVEL":"info"},"labels":{"team":"web"},
 "fetch":[{"uri":"'"$LOCAL_URL"'/artifacts/site.tgz"}],
 "portDefinitions":[{"port":0,"name":"http"}],
 "healthChecks":[{"protocol":"HTTP","path":"/","gracePeriodSeconds":30,"intervalSeconds":10,"timeoutSeconds":5}],
 "upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":0.5}}'

test_expect_success 'POST /v2/apps: 201, the 1.10 body of the contract, headers' '
	test "$(http POST /v2/apps "$app")" = 201 &&
	same_shape "$FIX/marathon-post-app-201.json" body &&
	python3 - "$FIX/marathon-post-app-201.json" body <<-\EOF &&
	import json, sys
	want = json.load(open(sys.argv[1])); got = json.load(open(sys.argv[2]))
	for d in (want, got):
	    for k in ("version", "deployments", "instances", "fetch", "cmd"):
	        d.pop(k)
	assert want == got, (want, got)
	EOF
	id=$(header Marathon-Deployment-Id) &&
	test -n "$id" &&
	test "$(json body "d[\"deployments\"][0][\"id\"]")" = "$id" &&
	json body "d[\"version\"]" | grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$" &&
	test "$(json body "d[\"portDefinitions\"][0][\"port\"]")" = 0 &&
	header Location | grep -q "/v2/apps/product/web$"
'

test_expect_success 'GET /v2/apps/{id} shows the assigned service port and versionInfo' '
	wait_idle &&
	test "$(http GET /v2/apps/product/web)" = 200 &&
	port=$(json body "d[\"app\"][\"portDefinitions\"][0][\"port\"]") &&
	test "$port" -ge 10000 && test "$port" -le 20000 &&
	test "$(json body "sorted(d[\"app\"][\"versionInfo\"])")" = "[\"lastConfigChangeAt\", \"lastScalingAt\"]" &&
	test "$(json body "d[\"app\"][\"tasks\"]")" = "[]" &&
	test "$(json body "d[\"app\"][\"tasksHealthy\"]")" = 0 &&
	test "$(json body "d[\"app\"][\"deployments\"]")" = "[]"
'

test_expect_success 'POST of an existing id: 409 with the contract message' '
	test "$(http POST /v2/apps "$app")" = 409 &&
	test "$(json body "d[\"message\"]")" = "An app with id [/product/web] already exists."
'

test_expect_success 'a body not declared as JSON: 415' '
	test "$(http POST /v2/apps "$app" application/x-www-form-urlencoded)" = 415 &&
	test "$(cat body)" = "{\"message\":\"Unsupported Media Type\"}" &&
	test "$(http PUT /v2/apps/product/web "{}" text/plain)" = 415 &&
	test "$(lcurl -s -o body -w "%{http_code}" -X POST -H "Content-Type:" --data-binary "{}" "$LOCAL_URL/v2/apps")" = 415 &&
	test "$(http POST /v2/apps "{\"cmd\":\"true\"}" "application/json; charset=utf-8")" = 422
'

test_expect_success 'malformed JSON: 400 Invalid JSON with a string details' '
	test "$(http POST /v2/apps "{\"id\": \"/x\"")" = 400 &&
	test "$(json body "d[\"message\"]")" = "Invalid JSON" &&
	test "$(json body "type(d[\"details\"]).__name__")" = str
'

test_expect_success 'validation: 422 with path and errors (contract shapes)' '
	test "$(http POST /v2/apps "{\"id\":\"/x\",\"cmd\":\"true\",\"upgradeStrategy\":{\"minimumHealthCapacity\":1.5}}")" = 422 &&
	same_shape "$FIX/marathon-422.json" body &&
	test "$(json body "d[\"message\"]")" = "Object is not valid" &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /upgradeStrategy/minimumHealthCapacity &&
	test "$(json body "d[\"details\"][0][\"errors\"]")" = "[\"is greater than 1\"]" &&
	test "$(http POST /v2/apps "{\"id\":\"/x\",\"cmd\":\"true\",\"cpus\":\"a lot\"}")" = 422 &&
	test "$(json body "d[\"message\"]")" = "Invalid JSON" &&
	test "$(json body "d[\"details\"][0]")" = "{\"path\": \"/cpus\", \"errors\": [\"error.expected.jsnumber\"]}" &&
	test "$(http POST /v2/apps "{\"id\":\"/x\"}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = / &&
	test "$(http POST /v2/apps "{\"cmd\":\"true\"}")" = 422 &&
	test "$(json body "d[\"details\"][0]")" = "{\"path\": \"/id\", \"errors\": [\"error.path.missing\"]}" &&
	test "$(http POST /v2/apps "{\"id\":\"/x\",\"cmd\":\"true\",\"instances\":0.5}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /instances &&
	test "$(http POST /v2/apps "{\"id\":\"/x\",\"cmd\":\"true\",\"healthChecks\":[{\"portIndex\":3}]}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = "/healthChecks(0)"
'

test_expect_success 'ids follow Marathon rules: pattern, reserved words, relative ids' '
	test "$(http POST /v2/apps "{\"id\":\"/Bad_Id\",\"cmd\":\"true\"}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"errors\"]")" = "[\"error.pattern\"]" &&
	test "$(http POST /v2/apps "{\"id\":\"/g/tasks\",\"cmd\":\"true\"}")" = 422 &&
	json body "d[\"details\"][0][\"errors\"][0]" | grep -q "reserved keywords" &&
	test "$(http POST /v2/apps "{\"id\":\"rel/app\",\"cmd\":\"true\",\"instances\":0}")" = 201 &&
	test "$(json body "d[\"id\"]")" = /rel/app
'

test_expect_success 'containers roger local cannot run as asked are refused with a clear 422' '
	test "$(http POST /v2/apps "{\"id\":\"/d\",\"cmd\":\"true\",\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"nginx\",\"privileged\":true}}}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /container/docker/privileged &&
	json body "d[\"details\"][0][\"errors\"][0]" | grep -q "privileged containers are not supported"
'

test_expect_success 'unknown app: 404 with the contract message' '
	test "$(http GET /v2/apps/not_existent)" = 404 &&
	test "$(http GET /v2/apps/not-existent)" = 404 &&
	test "$(cat body)" = "{\"message\":\"App '"'"'/not-existent'"'"' does not exist\"}" &&
	test "$(http GET /v2/apps/not-existent/tasks)" = 404 &&
	test "$(http GET /v2/apps/not-existent/versions)" = 404 &&
	test "$(http PATCH /v2/apps/not-existent "{\"instances\":1}")" = 404 &&
	test "$(http DELETE /v2/apps/not-existent)" = 404 &&
	test "$(http POST /v2/apps/not-existent/restart)" = 404
'

test_expect_success 'an unknown route: 404 URI not found with its path (plain 404 outside /v2), 405 for a method' '
	test "$(http GET /v2/nothing)" = 404 &&
	test "$(cat body)" = "{\"message\":\"URI not found: /v2/nothing\"}" &&
	test "$(header Content-Type)" = application/json &&
	test "$(http GET /v2/queue/x/nothing)" = 404 &&
	test "$(cat body)" = "{\"message\":\"URI not found: /v2/queue/x/nothing\"}" &&
	test "$(http GET /v2)" = 404 &&
	test "$(http GET /nothing)" = 404 &&
	test "$(http PUT /v2/info "{}")" = 405
'

test_expect_success 'an id with an encoded NUL or other invalid id is an unknown app, never the list' '
	test "$(http POST /v2/apps "{\"id\":\"/nul\",\"cmd\":\"true\",\"instances\":0}")" = 201 &&
	test "$(http GET /v2/apps/%00)" = 404 &&
	test "$(cat body)" = "{\"message\":\"App '"'"'/%00'"'"' does not exist\"}" &&
	test "$(http GET /v2/apps/nul%00x)" = 404 &&
	test "$(http GET /v2/apps/nul%00)" = 404 &&
	test "$(http GET /v2/apps/%2e%2e)" = 404 &&
	test "$(http GET /v2/apps/UPPER)" = 404 &&
	test "$(http GET /v2/apps/%FF)" = 404 &&
	json body "d[\"message\"]" | grep -q "does not exist" &&
	test "$(http DELETE /v2/apps/nul%00)" = 404 &&
	test "$(http GET /v2/apps/nul)" = 200 &&
	test "$(http DELETE /v2/deployments/%00)" = 404 &&
	test "$(http GET "/v2/apps?id=%00")" = 200 &&
	test "$(json body "d[\"apps\"]")" = "[]"
'

test_expect_success 'PUT scale: 200 deployment result, one ScaleApplication step' '
	test "$(http PUT /v2/apps/rel/app "{\"instances\":0,\"labels\":{}}")" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header
'

test_expect_success 'PUT of an unknown id creates it: 201 deployment result' '
	test "$(http PUT /v2/apps/created "{\"cmd\":\"sleep 100\",\"instances\":0}")" = 201 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	test -n "$(header Location)" &&
	test "$(http GET /v2/apps/created)" = 200
'

test_expect_success 'partialUpdate keeps fields; partialUpdate=false resets them' '
	wait_idle &&
	test "$(http PUT /v2/apps/created "{\"env\":{\"A\":\"1\"}}")" = 200 &&
	wait_idle &&
	test "$(json_url /v2/apps/created "d[\"app\"][\"cmd\"]")" = "sleep 100" &&
	test "$(json_url /v2/apps/created "d[\"app\"][\"env\"]")" = "{\"A\": \"1\"}" &&
	test "$(http PUT "/v2/apps/created?partialUpdate=false" "{\"cmd\":\"sleep 200\",\"instances\":0}")" = 200 &&
	wait_idle &&
	test "$(json_url /v2/apps/created "\"env\" in d[\"app\"]")" = false &&
	test "$(json_url /v2/apps/created "d[\"app\"][\"cmd\"]")" = "sleep 200"
'

test_expect_success 'PATCH updates, never creates' '
	test "$(http PATCH /v2/apps/created "{\"mem\":48}")" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	wait_idle &&
	test "$(app_get created "a[\"mem\"]")" = 48
'

test_expect_success 'versions: listed, each readable, rollback by version' '
	test "$(http GET /v2/apps/created/versions)" = 200 &&
	n=$(json body "len(d[\"versions\"])") && test "$n" -ge 3 &&
	json body "\"\\n\".join(d[\"versions\"])" >listed &&
	test_line_count "$n" listed &&
	test "$(grep -Ec "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$" listed)" = "$n" &&
	first=$(json body "sorted(d[\"versions\"])[0]") &&
	test "$(http GET "/v2/apps/created/versions/$first")" = 200 &&
	test "$(json body "d[\"cmd\"]")" = "sleep 100" &&
	test "$(json body "d[\"version\"]")" = "$first" &&
	test "$(http GET /v2/apps/created/versions/2001-01-01T00:00:00.000Z)" = 404 &&
	test "$(json body "d[\"message\"]")" = "App '"'"'/created'"'"' does not exist in version 2001-01-01T00:00:00.000Z" &&
	test "$(http GET /v2/apps/created/versions/yesterday)" = 422 &&
	wait_idle &&
	test "$(http PUT /v2/apps/created "{\"version\":\"$first\"}")" = 200 &&
	dep_header &&
	wait_idle &&
	test "$(app_get created "a[\"cmd\"]")" = "sleep 100" &&
	test "$(http PUT /v2/apps/created "{\"version\":\"2001-01-01T00:00:00.000Z\"}")" = 404 &&
	test "$(http PUT /v2/apps/created "{\"version\":\"$first\",\"cmd\":\"x\"}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"errors\"][0]")" = "The '"'"'version'"'"' field may only be combined with the '"'"'id'"'"' field."
'

test_expect_success 'at most 50 versions are kept' '
	for i in $(seq 1 55); do
		http PUT "/v2/apps/created?force=true" "{\"labels\":{\"n\":\"$i\"}}" >/dev/null
	done &&
	test "$(json_url /v2/apps/created/versions "len(d[\"versions\"])")" = 50
'

lock_app='{"id":"/locked","cmd":"sleep 1000","instances":1,"cpus":0.1,"mem":16,
 "healthChecks":[{"protocol":"COMMAND","command":{"value":"false"},"gracePeriodSeconds":300,"intervalSeconds":60}]}'

test_expect_success 'a deployment that cannot finish locks the app: 409 body, force overrides' '
	wait_idle &&
	dep=$(deploy_app "$lock_app") &&
	test "$(http PUT /v2/apps/locked "{\"instances\":2}")" = 409 &&
	same_shape "$FIX/marathon-put-app-409.json" body &&
	test "$(json body "d[\"message\"]")" = "App is locked by one or more deployments. Override with the option '"'"'?force=true'"'"'. View details at '"'"'/v2/deployments/<DEPLOYMENT_ID>'"'"'." &&
	test "$(json body "d[\"deployments\"][0][\"id\"]")" = "$dep" &&
	test "$(http POST /v2/apps/locked/restart)" = 409 &&
	test "$(http PUT "/v2/apps/locked?force=true" "{\"instances\":2}")" = 200 &&
	new=$(header Marathon-Deployment-Id) &&
	test "$new" != "$dep" &&
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$new\"]"
'

test_expect_success 'GET /v2/deployments: the contract shape with steps and current actions' '
	test "$(http GET /v2/deployments)" = 200 &&
	python3 - "$FIX/marathon-deployments.json" body <<-\EOF
	import json, sys
	want = json.load(open(sys.argv[1]))[0]; got = json.load(open(sys.argv[2]))[0]
	assert set(want) == set(got), (sorted(want), sorted(got))
	assert got["steps"] == [{"actions": [{"action": "ScaleApplication", "app": "/locked"}]}], got["steps"]
	assert got["currentStep"] == 1 and got["totalSteps"] == 1
	assert got["currentActions"] == [{"action": "ScaleApplication", "app": "/locked", "readinessCheckResults": []}]
	assert got["affectedApps"] == ["/locked"] and got["affectedPods"] == []
	EOF
'

test_expect_success 'DELETE /v2/deployments/{id}: rollback answers 200 with a new deployment' '
	dep=$(json_url /v2/deployments "d[0][\"id\"]") &&
	test "$(http DELETE "/v2/deployments/$dep")" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	test "$(json body "d[\"deploymentId\"]")" != "$dep" &&
	test "$(app_get locked "a[\"instances\"]")" = 1
'

test_expect_success 'DELETE /v2/deployments/{id}?force=true: abort answers 202 with no body' '
	dep=$(json_url /v2/deployments "d[0][\"id\"]") &&
	test "$(http DELETE "/v2/deployments/$dep?force=true")" = 202 &&
	test ! -s body &&
	test "$(json_url /v2/deployments "len(d)")" = 0 &&
	test "$(json_url /v2/apps/locked "d[\"app\"][\"instances\"]")" = 1
'

test_expect_success 'an unknown deployment: 404 with the contract message' '
	test "$(http DELETE /v2/deployments/unknown_deployment)" = 404 &&
	test "$(cat body)" = "{\"message\":\"DeploymentPlan unknown_deployment does not exist\"}"
'

test_expect_success 'tasks of an app, /v2/tasks with servicePorts, kill with and without scale' '
	wait_for 20 "test \"\$(running locked)\" = 1" &&
	test "$(http GET /v2/apps/locked/tasks)" = 200 &&
	task=$(json body "d[\"tasks\"][0][\"id\"]") &&
	echo "$task" | grep -Eq "^locked\.instance-[0-9a-f-]{36}\._app\.1$" &&
	python3 - "$FIX/marathon-kill-tasks-1.10.json" body <<-\EOF &&
	import json, sys
	want = set(json.load(open(sys.argv[1]))["tasks"][0]) | {"startedAt"}
	got = set(json.load(open(sys.argv[2]))["tasks"][0])
	assert want == got, (sorted(want), sorted(got))
	EOF
	test "$(http GET /v2/tasks)" = 200 &&
	test "$(json body "len(d[\"tasks\"][0][\"servicePorts\"])")" = 1 &&
	test "$(http GET "/v2/tasks?status=staging")" = 200 &&
	test "$(json body "len(d[\"tasks\"])")" = 0 &&
	test "$(http DELETE "/v2/apps/locked/tasks/$task")" = 200 &&
	test "$(json body "d[\"task\"][\"id\"]")" = "$task" &&
	test "$(http DELETE /v2/apps/locked/tasks/locked.instance-x._app.1)" = 404 &&
	test "$(json body "d[\"message\"]")" = "Task '"'"'locked.instance-x._app.1'"'"' does not exist" &&
	test "$(http DELETE "/v2/apps/locked/tasks?scale=true&wipe=true")" = 400 &&
	wait_for 20 "test \"\$(running locked)\" = 1" &&
	test "$(http DELETE "/v2/apps/locked/tasks?scale=true&force=true")" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	test "$(json_url /v2/apps/locked "d[\"app\"][\"instances\"]")" = 0
'

test_expect_success 'DELETE /v2/apps/{id}: 200 deployment result, then gone' '
	test "$(http DELETE /v2/apps/locked)" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	test "$(http GET /v2/apps/locked)" = 404 &&
	wait_idle
'

test_expect_success 'PUT /v2/apps with an array: every app in one deployment' '
	test "$(http PUT /v2/apps "[{\"id\":\"/multi/a\",\"cmd\":\"sleep 100\",\"instances\":0},{\"id\":\"/multi/b\",\"cmd\":\"sleep 100\",\"instances\":0}]")" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header &&
	test "$(http GET /v2/apps/multi/a)" = 200 &&
	test "$(http GET /v2/apps/multi/b)" = 200 &&
	wait_idle &&
	test "$(http PATCH /v2/apps "[{\"id\":\"/multi/nope\",\"cmd\":\"x\"}]")" = 404
'

test_expect_success 'POST /v2/tasks/delete kills tasks by id' '
	dep=$(deploy_app "{\"id\":\"/killme\",\"cmd\":\"sleep 1000\",\"instances\":2,\"cpus\":0.1,\"mem\":16}") &&
	wait_deployed "$dep" &&
	ids=$(app_get killme "[t[\"id\"] for t in a[\"tasks\"]]") &&
	test "$(http POST /v2/tasks/delete "{\"ids\":$ids}")" = 200 &&
	test "$(json body "sorted(t[\"id\"] for t in d[\"tasks\"])")" = "$(echo "$ids" | python3 -c "import json,sys; print(json.dumps(sorted(json.load(sys.stdin))))")" &&
	test "$(http POST /v2/tasks/delete "{\"ids\":[\"garbage\"]}")" = 400 &&
	test "$(json body "d[\"message\"]")" = "Invalid task id '"'"'garbage'"'"'" &&
	test "$(http POST /v2/tasks/delete "{\"ids\":[]}" text/plain)" = 415 &&
	wait_for 20 "test \"\$(running killme)\" = 2" &&
	test "$(app_get killme "sorted(t[\"id\"] for t in a[\"tasks\"]) != sorted($ids)")" = true &&
	test "$(http DELETE /v2/apps/killme)" = 200
'

test_expect_success 'GET /v2/apps filters and embed' '
	test "$(json_url "/v2/apps?id=prod" "[a[\"id\"] for a in d[\"apps\"]]")" = "[\"/product/web\"]" &&
	test "$(json_url "/v2/apps?label=team==web" "[a[\"id\"] for a in d[\"apps\"]]")" = "[\"/product/web\"]" &&
	test "$(json_url "/v2/apps?cmd=sleep%20200" "len(d[\"apps\"])")" = 0 &&
	test "$(json_url "/v2/apps" "\"tasks\" in d[\"apps\"][0]")" = false &&
	test "$(json_url "/v2/apps?embed=apps.tasks" "\"tasks\" in d[\"apps\"][0]")" = true &&
	test "$(json_url "/v2/apps/product/*" "[a[\"id\"] for a in d[\"*\"]]")" = "[\"/product/web\"]"
'

test_expect_success 'restart: 200 deployment result with a RestartApplication step' '
	test "$(http POST /v2/apps/product/web/restart)" = 200 &&
	same_shape "$FIX/marathon-deployment-result.json" body &&
	dep_header
'

test_expect_success 'the queue: 404 for an app not queued' '
	test "$(http DELETE /v2/queue/product/web/delay)" = 404 &&
	test "$(json body "d[\"message\"]")" = "Application /product/web not found in tasks queue."
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
