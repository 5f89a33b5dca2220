#!/bin/sh
# Apps running on roger local with the test app (tests/testapp.c): the
# task environment, scaling, a crash loop under backoff, an unhealthy task
# replaced, a rolling upgrade that keeps minimumHealthCapacity, deployments
# cancelled by rollback and by abort, the capacity, and a malicious archive
# refused by the fetcher.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 3 --mem 2048

# app JSON-FRAGMENT: an app running the test app, with the fragment merged in.
app() {
	python3 -c 'import json, sys
a = {"cmd": "exec " + sys.argv[1], "cpus": 0.1, "mem": 16, "instances": 1}
a.update(json.loads(sys.argv[2]))
print(json.dumps(a))' "$TESTAPP" "$1"
}

# queued_crash: /crash is in the queue waiting for its backoff (entry in ./entry).
queued_crash() {
	lcurl -s "$LOCAL_URL/v2/queue" >queue &&
		json queue "[q for q in d[\"queue\"] if q[\"app\"][\"id\"] == \"/crash\" and not q[\"delay\"][\"overdue\"]][0]" >entry
}

# task_port APP [N]: the host port of the app's Nth running task.
task_port() {
	app_get "$1" "[t for t in a[\"tasks\"] if t[\"state\"] == \"TASK_RUNNING\"][${2:-0}][\"ports\"][0]"
}

test_expect_success 'a task gets the environment Marathon gives it' '
	dep=$(deploy_app "$(app "{\"id\":\"/env/app\",\"labels\":{\"tier\":\"web\",\"my.label\":\"x\"},\"env\":{\"FOO\":\"bar\"},\"portDefinitions\":[{\"port\":0,\"name\":\"http\"},{\"port\":0}]}")") &&
	wait_deployed "$dep" &&
	port=$(task_port env/app) &&
	wait_for 10 "curl -sf \"http://127.0.0.1:$port/env\" >env" &&
	sp=$(app_get env/app "a[\"portDefinitions\"][0][\"port\"]") &&
	ports=$(app_get env/app "a[\"tasks\"][0][\"ports\"]") &&
	p1=$(app_get env/app "a[\"tasks\"][0][\"ports\"][1]") &&
	version=$(app_get env/app "a[\"version\"]") &&
	test_grep "^PORT0=$port$" env &&
	test_grep "^PORT1=$p1$" env &&
	test_grep "^PORT=$port$" env &&
	test_grep "^PORTS=$port,$p1$" env &&
	test_grep "^PORT_HTTP=$port$" env &&
	test_grep "^PORT_$sp=$port$" env &&
	test_grep "^HOST=127.0.0.1$" env &&
	test_grep "^MARATHON_APP_ID=/env/app$" env &&
	test_grep "^MARATHON_APP_VERSION=$version$" env &&
	test_grep "^MARATHON_APP_RESOURCE_CPUS=0.1$" env &&
	test_grep "^MARATHON_APP_RESOURCE_MEM=16.0$" env &&
	test_grep "^MARATHON_APP_RESOURCE_DISK=0.0$" env &&
	test_grep "^MARATHON_APP_RESOURCE_GPUS=0$" env &&
	test_grep "^MARATHON_APP_LABEL_TIER=web$" env &&
	test_grep "^MARATHON_APP_LABEL_MY_LABEL=x$" env &&
	grep "^MARATHON_APP_LABELS=" env | grep -q "TIER" &&
	grep "^MARATHON_APP_LABELS=" env | grep -q "MY_LABEL" &&
	test_grep "^FOO=bar$" env &&
	test_grep "^MESOS_TASK_ID=env_app.instance-" env &&
	test_grep "^MESOS_SANDBOX=/" env
'

test_expect_success 'scale up and down: deployments finish, surplus tasks are killed' '
	test "$(http PUT /v2/apps/env/app "{\"instances\":3}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	test "$(running env/app)" = 3 &&
	test "$(app_get env/app "a[\"tasksRunning\"]")" = 3 &&
	test "$(http PUT /v2/apps/env/app "{\"instances\":1}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	wait_for 10 "test \"\$(app_get env/app \"len(a[\\\"tasks\\\"])\")\" = 1"
'

test_expect_success 'a crash loop: lastTaskFailure set, backoff visible in the queue' '
	deploy_app "$(app "{\"id\":\"/crash\",\"env\":{\"TESTAPP_EXIT\":\"3\"},\"backoffSeconds\":3,\"backoffFactor\":2,\"maxLaunchDelaySeconds\":60}")" >/dev/null &&
	wait_for 20 "app_get crash \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	app_get crash "a[\"lastTaskFailure\"]" >failure &&
	test "$(json failure "d[\"message\"]")" = "Command exited with status 3" &&
	test "$(json failure "d[\"appId\"]")" = /crash &&
	test "$(json failure "sorted(d)")" = "[\"appId\", \"host\", \"message\", \"slaveId\", \"state\", \"taskId\", \"timestamp\", \"version\"]" &&
	wait_for 30 "queued_crash" &&
	test "$(json entry "d[\"count\"]")" = 1 &&
	test "$(json entry "d[\"delay\"][\"timeLeftSeconds\"] > 0")" = true &&
	test "$(json entry "sorted(d)")" = "[\"app\", \"count\", \"delay\", \"processedOffersSummary\", \"role\", \"since\"]"
'

test_expect_success 'the backoff grows by backoffFactor and resets through DELETE /v2/queue/{id}/delay' '
	wait_for 30 "test \"\$(json_url /v2/queue \"[q[\\\"delay\\\"][\\\"timeLeftSeconds\\\"] for q in d[\\\"queue\\\"]][0] > 3\")\" = true" &&
	test "$(http DELETE /v2/queue/crash/delay)" = 204 &&
	test "$(http DELETE /v2/apps/crash)" = 200 &&
	wait_idle
'

test_expect_success 'an unhealthy task is killed and replaced (unhealthy_instance_kill_event)' '
	lcurl -sN -H "Accept: text/event-stream" "$LOCAL_URL/v2/events?event_type=unhealthy_instance_kill_event" >kills &
	watcher=$!
	dep=$(deploy_app "$(app "{\"id\":\"/sick\",\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/health\",\"gracePeriodSeconds\":2,\"intervalSeconds\":1,\"timeoutSeconds\":1,\"maxConsecutiveFailures\":2}]}")") &&
	wait_deployed "$dep" &&
	old=$(app_get sick "a[\"tasks\"][0][\"id\"]") &&
	test "$(app_get sick "a[\"tasksHealthy\"]")" = 1 &&
	curl -sf "http://127.0.0.1:$(task_port sick)/sick" &&
	wait_for 20 "grep -q unhealthy_instance_kill_event kills" &&
	wait_for 20 "app_get sick \"[t[\\\"id\\\"] for t in a[\\\"tasks\\\"] if t[\\\"state\\\"] == \\\"TASK_RUNNING\\\" and t[\\\"healthCheckResults\\\"] and t[\\\"healthCheckResults\\\"][0][\\\"alive\\\"]]\" | grep -q instance" &&
	new=$(app_get sick "a[\"tasks\"][0][\"id\"]") &&
	test "$new" != "$old" &&
	grep "^data:" kills | head -n 1 | sed "s/^data: //" >kill.json &&
	test "$(json kill.json "d[\"taskId\"]")" = "$old" &&
	test "$(json kill.json "sorted(d)")" = "[\"appId\", \"eventType\", \"host\", \"instanceId\", \"reason\", \"slaveId\", \"taskId\", \"timestamp\", \"version\"]" &&
	kill $watcher &&
	test "$(http DELETE /v2/apps/sick)" = 200
'

test_expect_success 'a rolling upgrade never drops below minimumHealthCapacity' '
	wait_idle &&
	dep=$(deploy_app "$(app "{\"id\":\"/roll\",\"instances\":4,\"upgradeStrategy\":{\"minimumHealthCapacity\":0.5,\"maximumOverCapacity\":0},\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/health\",\"gracePeriodSeconds\":5,\"intervalSeconds\":1,\"timeoutSeconds\":1}]}")") &&
	wait_deployed "$dep" &&
	test "$(app_get roll "a[\"tasksHealthy\"]")" = 4 &&
	python3 - "$LOCAL_URL" <<-\EOF &&
	import json, os, sys, time, urllib.request
	url = sys.argv[1]
	auth = {"Authorization": "token=" + os.environ["LOCAL_TOKEN"]}
	get = lambda p: json.load(urllib.request.urlopen(
	    urllib.request.Request(url + p, headers=auth)))
	req = urllib.request.Request(url + "/v2/apps/roll", method="PUT",
	                             data=b"{\"env\":{\"V\":\"2\"}}",
	                             headers={"Content-Type": "application/json", **auth})
	with urllib.request.urlopen(req) as resp:
	    assert resp.status == 200
	    dep = resp.headers["Marathon-Deployment-Id"]
	samples = []
	end = time.time() + 60
	while time.time() < end and any(d["id"] == dep for d in get("/v2/deployments")):
	    tasks = get("/v2/apps/roll")["app"]["tasks"]
	    healthy = [t for t in tasks if t["state"] == "TASK_RUNNING" and t["healthCheckResults"]
	               and all(r["alive"] for r in t["healthCheckResults"])]
	    samples.append((len(healthy), len([t for t in tasks if t["state"] != "TASK_KILLING"])))
	    time.sleep(0.02)
	assert len(samples) > 5, samples
	assert min(h for h, n in samples) >= 2, samples
	assert max(n for h, n in samples) <= 4, samples
	print(samples)
	EOF
	version=$(app_get roll "a[\"versionInfo\"][\"lastConfigChangeAt\"]") &&
	test "$(app_get roll "sorted(set(t[\"version\"] for t in a[\"tasks\"]))")" = "[\"$version\"]" &&
	test "$(app_get roll "a[\"tasksHealthy\"]")" = 4
'

test_expect_success 'a deployment that cannot finish, cancelled by rollback' '
	test "$(http PUT /v2/apps/roll "{\"instances\":2,\"env\":{\"V\":\"2\"}}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	test "$(http PUT /v2/apps/roll "{\"env\":{\"V\":\"3\",\"TESTAPP_UNHEALTHY\":\"1\"},\"upgradeStrategy\":{\"minimumHealthCapacity\":1,\"maximumOverCapacity\":1}}")" = 200 &&
	dep=$(header Marathon-Deployment-Id) &&
	sleep 3 &&
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$dep\"]" &&
	test "$(app_get roll "a[\"tasksHealthy\"]")" = 2 &&
	test "$(http DELETE "/v2/deployments/$dep")" = 200 &&
	undo=$(json body "d[\"deploymentId\"]") &&
	wait_deployed "$undo" &&
	test "$(app_get roll "a[\"env\"]")" = "{\"V\": \"2\"}" &&
	test "$(app_get roll "a[\"tasksHealthy\"]")" = 2 &&
	test "$(app_get roll "len(a[\"tasks\"])")" = 2
'

test_expect_success 'a deployment aborted with force=true leaves the app half-upgraded' '
	test "$(http PUT /v2/apps/roll "{\"env\":{\"V\":\"4\",\"TESTAPP_UNHEALTHY\":\"1\"}}")" = 200 &&
	dep=$(header Marathon-Deployment-Id) &&
	version=$(app_get roll "a[\"versionInfo\"][\"lastConfigChangeAt\"]") &&
	wait_for 10 "app_get roll \"[t for t in a[\\\"tasks\\\"] if t[\\\"version\\\"] == \\\"$version\\\"]\" | grep -q instance" &&
	test "$(http DELETE "/v2/deployments/$dep?force=true")" = 202 &&
	test "$(json_url /v2/deployments "len(d)")" = 0 &&
	test "$(app_get roll "a[\"env\"][\"V\"]")" = 4 &&
	test "$(http DELETE /v2/apps/roll)" = 200 &&
	wait_idle
'

test_expect_success 'an app that does not fit the capacity waits in the queue' '
	dep=$(deploy_app "$(app "{\"id\":\"/big\",\"cpus\":5}")") &&
	wait_for 10 "json_url /v2/queue \"d[\\\"queue\\\"][0][\\\"processedOffersSummary\\\"][\\\"rejectSummaryLastOffers\\\"][0][\\\"reason\\\"]\" | grep -q InsufficientCpus" &&
	test "$(json_url /v2/queue "d[\"queue\"][0][\"count\"]")" = 1 &&
	test "$(app_get big "a[\"tasksRunning\"]")" = 0 &&
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$dep\"]" &&
	test "$(http PUT "/v2/apps/big?force=true" "{\"cpus\":0.5}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	test "$(json_url /v2/queue "len(d[\"queue\"])")" = 0 &&
	test "$(http DELETE /v2/apps/big)" = 200
'

test_expect_success 'a malicious archive is refused by the fetcher (TASK_FAILED, nothing escapes)' '
	python3 -c "
import io, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode=\"w:gz\") as t:
    data = b\"pwned\n\"
    info = tarfile.TarInfo(\"../../../../../../../../$(basename "$TRASH")-evil\")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
open(\"evil.tar.gz\", \"wb\").write(buf.getvalue())
" &&
	lcurl -sf -T evil.tar.gz "$LOCAL_URL/artifacts/evil.tar.gz" &&
	deploy_app "$(app "{\"id\":\"/evil\",\"fetch\":[{\"uri\":\"$LOCAL_URL/artifacts/evil.tar.gz\"}],\"backoffSeconds\":30}")" >/dev/null &&
	wait_for 20 "app_get evil \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	app_get evil "a[\"lastTaskFailure\"][\"message\"]" | grep -q "^Failed to launch container: Failed to fetch all URIs for container .* with exit status: 256$" &&
	test ! -e "/tmp/$(basename "$TRASH")-evil" &&
	test "$(http DELETE /v2/apps/evil)" = 200
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
