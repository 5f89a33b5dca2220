#!/bin/sh
# roger local's task runner seen through its HTTP API: `args` without a
# shell, the fetcher (file:// extracted, executable, a missing URI failing
# the task as Mesos reports it), TCP and COMMAND health checks, an HTTP
# check that times out, the grace period, SIGTERM then SIGKILL after
# taskKillGracePeriodSeconds, a task's process group, and the memory
# capacity.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 2 --mem 512
mkdir -p "$TRASH/pids"

# app JSON-FRAGMENT: an app running the test app, with the fragment merged in.
app() {
	python3 -c 'import json, sys
a = {"cmd": "exec " + sys.argv[1], "cpus": 0.1, "mem": 16, "instances": 1}
a.update(json.loads(sys.argv[2]))
print(json.dumps(a))' "$TESTAPP" "$1"
}

# survivors: the processes of $TRASH/pids (pid files, and "child" holding
# one) still running; a zombie waiting for its reaper has ended.
survivors() {
	for p in $(ls "$TRASH/pids"); do
		pid=$p
		test "$p" != child || pid=$(cat "$TRASH/pids/child")
		case $(ps -o stat= -p "$pid") in
		"" | Z*) ;;
		*) echo "$pid" ;;
		esac
	done
}

# events NAME TYPE...: collect the events of these types in NAME (curl in
# the background, its pid in NAME.pid), once the stream is attached.
events() {
	name=$1
	shift
	q=event_type=event_stream_attached
	for t in "$@"; do q="$q&event_type=$t"; done
	lcurl -sN -H "Accept: text/event-stream" "$LOCAL_URL/v2/events?$q" >"$name" &
	echo $! >"$name.pid"
	wait_for 10 "grep -q event_stream_attached \"$name\""
}

# event_data FILE TYPE: the data of each TYPE event in FILE, one JSON a line.
event_data() {
	python3 - "$1" "$2" <<-\EOF
	import sys
	raw = open(sys.argv[1], "rb").read().decode()
	for block in raw.split("\r\n\r\n"):
	    lines = block.strip("\r\n").split("\r\n")
	    if len(lines) == 2 and lines[0] == "event: " + sys.argv[2]:
	        print(lines[1][6:])
	EOF
}

test_expect_success 'args without a shell; a file:// archive extracted; an executable fetched' '
	mkdir -p art/data &&
	echo "hello from the archive" >art/data/greeting.txt &&
	tar -czf site.tar.gz -C art data &&
	printf "#!/bin/sh\ncat data/greeting.txt\necho \"args: [\$1] [\$2]\"\nexec sleep 1000\n" >tool &&
	lcurl -sf -T tool "$LOCAL_URL/artifacts/tool" &&
	dep=$(deploy_app "{\"id\":\"/fetch/ok\",\"args\":[\"./tool\",\"one two\",\"\$HOME\"],\"cpus\":0.1,\"mem\":16,
		\"fetch\":[{\"uri\":\"file://$PWD/site.tar.gz\"},{\"uri\":\"$LOCAL_URL/artifacts/tool\",\"executable\":true}]}") &&
	wait_deployed "$dep" &&
	task=$(app_get fetch/ok "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	wait_for 10 "grep -q \"^args:\" \"$dir/stdout\"" &&
	test_grep "^hello from the archive$" "$dir/stdout" &&
	grep -Fx "args: [one two] [\$HOME]" "$dir/stdout" &&
	test -x "$dir/tool" &&
	test -f "$dir/site.tar.gz" &&
	test -f "$dir/data/greeting.txt" &&
	test "$(http DELETE /v2/apps/fetch/ok)" = 200
'

test_expect_success 'a URI that cannot be fetched fails the task as Mesos reports it' '
	deploy_app "{\"id\":\"/fetch/missing\",\"cmd\":\"true\",\"cpus\":0.1,\"mem\":16,\"backoffSeconds\":60,
		\"fetch\":[{\"uri\":\"$LOCAL_URL/artifacts/not-there.tar.gz\"}]}" >/dev/null &&
	wait_for 20 "app_get fetch/missing \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	app_get fetch/missing "a[\"lastTaskFailure\"][\"message\"]" >message &&
	grep -q "^Failed to launch container: Failed to fetch all URIs for container .* with exit status: 256$" message &&
	task=$(app_get fetch/missing "a[\"lastTaskFailure\"][\"taskId\"]") &&
	dir=$(sandbox "$task") &&
	test_grep "not-there.tar.gz" "$dir/stderr" &&
	test "$(http DELETE /v2/apps/fetch/missing)" = 200
'

test_expect_success 'TCP and COMMAND health checks pass for a healthy task' '
	dep=$(deploy_app "$(app "{\"id\":\"/hc/tcp\",\"healthChecks\":[{\"protocol\":\"TCP\",\"portIndex\":0,\"gracePeriodSeconds\":5,\"intervalSeconds\":1,\"timeoutSeconds\":1}]}")") &&
	wait_deployed "$dep" &&
	test "$(app_get hc/tcp "a[\"tasksHealthy\"]")" = 1 &&
	test "$(app_get hc/tcp "a[\"tasks\"][0][\"healthCheckResults\"][0][\"alive\"]")" = true &&
	dep=$(deploy_app "$(app "{\"id\":\"/hc/cmd\",\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"test -n \\\"\$MESOS_TASK_ID\\\" && curl -sf http://127.0.0.1:\$PORT0/health\"},\"gracePeriodSeconds\":5,\"intervalSeconds\":1,\"timeoutSeconds\":2,\"maxConsecutiveFailures\":2,\"delaySeconds\":1}]}")") &&
	wait_deployed "$dep" &&
	test "$(app_get hc/cmd "a[\"tasksHealthy\"]")" = 1
'

test_expect_success 'a COMMAND check runs first after delaySeconds, as the Mesos executor does' '
	dep=$(deploy_app "$(app "{\"id\":\"/hc/delayed\",\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"true\"},\"intervalSeconds\":1,\"delaySeconds\":3}]}")") &&
	wait_deployed "$dep" 60 &&
	app_get hc/delayed "a[\"tasks\"][0]" >task.json &&
	python3 -c "import json,sys,datetime
t = json.load(open(sys.argv[1]))
ts = lambda s: datetime.datetime.strptime(s, \"%Y-%m-%dT%H:%M:%S.%fZ\")
first = ts(t[\"healthCheckResults\"][0][\"firstSuccess\"])
delay = (first - ts(t[\"startedAt\"])).total_seconds()
print(\"first check passed %.1f s after the start\" % delay)
sys.exit(0 if delay >= 2.5 else 1)" task.json &&
	test "$(http DELETE /v2/apps/hc/delayed)" = 200
'

test_expect_success 'a failing COMMAND check kills and replaces the task' '
	events cmdkill unhealthy_instance_kill_event &&
	old=$(app_get hc/cmd "a[\"tasks\"][0][\"id\"]") &&
	port=$(app_get hc/cmd "a[\"tasks\"][0][\"ports\"][0]") &&
	curl -sf "http://127.0.0.1:$port/sick" &&
	wait_for 20 "grep -q unhealthy_instance_kill_event cmdkill" &&
	kill "$(cat cmdkill.pid)" &&
	event_data cmdkill unhealthy_instance_kill_event >kill.json &&
	test "$(json kill.json "d[\"taskId\"]")" = "$old" &&
	test "$(json kill.json "d[\"reason\"]")" = "command exited with status 22" &&
	wait_for 20 "test \"\$(app_get hc/cmd \"a[\\\"tasksHealthy\\\"]\")\" = 1" &&
	test "$(app_get hc/cmd "a[\"tasks\"][0][\"id\"]")" != "$old" &&
	test "$(http DELETE /v2/apps/hc/cmd)" = 200 &&
	test "$(http DELETE /v2/apps/hc/tcp)" = 200
'

test_expect_success 'a TCP check on a port nobody listens on kills the task' '
	events tcpkill unhealthy_instance_kill_event &&
	deploy_app "$(app "{\"id\":\"/hc/deaf\",\"env\":{\"TESTAPP_HANG\":\"1\"},\"backoffSeconds\":60,\"healthChecks\":[{\"protocol\":\"TCP\",\"gracePeriodSeconds\":1,\"intervalSeconds\":1,\"timeoutSeconds\":1,\"maxConsecutiveFailures\":2}]}")" >/dev/null &&
	wait_for 20 "grep -q unhealthy_instance_kill_event tcpkill" &&
	kill "$(cat tcpkill.pid)" &&
	event_data tcpkill unhealthy_instance_kill_event >kill.json &&
	test "$(json kill.json "d[\"appId\"]")" = /hc/deaf &&
	test "$(json kill.json "d[\"reason\"]")" = "Connection refused" &&
	test "$(http DELETE /v2/apps/hc/deaf)" = 200
'

test_expect_success 'an HTTP check that gets no answer fails after timeoutSeconds' '
	events hangkill unhealthy_instance_kill_event &&
	dep=$(deploy_app "$(app "{\"id\":\"/hc/hang\",\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/health\",\"gracePeriodSeconds\":5,\"intervalSeconds\":1,\"timeoutSeconds\":1,\"maxConsecutiveFailures\":2}]}")") &&
	wait_deployed "$dep" &&
	old=$(app_get hc/hang "a[\"tasks\"][0][\"id\"]") &&
	port=$(app_get hc/hang "a[\"tasks\"][0][\"ports\"][0]") &&
	curl -sf "http://127.0.0.1:$port/hang" &&
	wait_for 20 "grep -q unhealthy_instance_kill_event hangkill" &&
	kill "$(cat hangkill.pid)" &&
	event_data hangkill unhealthy_instance_kill_event >kill.json &&
	test "$(json kill.json "d[\"taskId\"]")" = "$old" &&
	json kill.json "d[\"reason\"]" | grep -qi "timeout" &&
	test "$(http DELETE /v2/apps/hc/hang)" = 200
'

test_expect_success 'failures within gracePeriodSeconds are not counted' '
	events gracekill status_update_event unhealthy_instance_kill_event &&
	deploy_app "$(app "{\"id\":\"/hc/grace\",\"env\":{\"TESTAPP_UNHEALTHY\":\"1\"},\"backoffSeconds\":60,\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/health\",\"gracePeriodSeconds\":4,\"intervalSeconds\":1,\"timeoutSeconds\":1,\"maxConsecutiveFailures\":1}]}")" >/dev/null &&
	wait_for 30 "grep -q unhealthy_instance_kill_event gracekill" &&
	kill "$(cat gracekill.pid)" &&
	event_data gracekill status_update_event >status.json &&
	event_data gracekill unhealthy_instance_kill_event >kill.json &&
	python3 - status.json kill.json <<-\EOF &&
	import datetime, json, sys
	t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
	kill = json.loads(open(sys.argv[2]).readline())
	running = [json.loads(l) for l in open(sys.argv[1])]
	running = [e for e in running if e["taskId"] == kill["taskId"] and e["taskStatus"] == "TASK_RUNNING"]
	assert running, "no TASK_RUNNING for " + kill["taskId"]
	waited = t(kill["timestamp"]) - t(running[0]["timestamp"])
	assert waited >= 3.9, "killed %.3f s after it started, within the grace period" % waited
	EOF
	test "$(http DELETE /v2/apps/hc/grace)" = 200
'

test_expect_success 'a kill: SIGTERM, then SIGKILL after taskKillGracePeriodSeconds; the process group goes' '
	events kills status_update_event &&
	dep=$(deploy_app "{\"id\":\"/kill/stubborn\",\"cmd\":\"sleep 1000 & echo \$! >$TRASH/pids/child; exec $TESTAPP\",\"cpus\":0.1,\"mem\":16,
		\"taskKillGracePeriodSeconds\":2,\"env\":{\"TESTAPP_IGNORE_TERM\":\"1\",\"TESTAPP_PIDDIR\":\"$TRASH/pids\"}}") &&
	wait_deployed "$dep" &&
	wait_for 10 "test -s \"$TRASH/pids/child\" && test \$(ls \"$TRASH/pids\" | wc -l) = 2" &&
	test "$(survivors | wc -l)" = 2 &&
	task=$(app_get kill/stubborn "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	test "$(http PUT /v2/apps/kill/stubborn "{\"instances\":0}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	wait_for 20 "grep \"$task\" kills | grep -q TASK_KILLED\\\"" &&
	kill "$(cat kills.pid)" &&
	wait_for 10 "test -z \"\$(survivors)\"" &&
	grep -n "Sending SIGTERM\|sending SIGKILL" "$dir/stdout" >signals &&
	test_line_count 2 signals &&
	head -n 1 signals | grep -q "Sending SIGTERM to process tree" &&
	tail -n 1 signals | grep -q "did not terminate after the grace period, sending SIGKILL" &&
	event_data kills status_update_event >status.json &&
	python3 - status.json "$task" <<-\EOF &&
	import datetime, json, sys
	t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
	ev = [json.loads(l) for l in open(sys.argv[1])]
	at = {e["taskStatus"]: t(e["timestamp"]) for e in ev if e["taskId"] == sys.argv[2]}
	assert "TASK_KILLING" in at and "TASK_KILLED" in at, at
	assert at["TASK_KILLED"] - at["TASK_KILLING"] >= 1.9, at
	EOF
	test "$(http DELETE /v2/apps/kill/stubborn)" = 200
'

test_expect_success 'a task that honours SIGTERM gets no SIGKILL' '
	dep=$(deploy_app "$(app "{\"id\":\"/kill/polite\",\"taskKillGracePeriodSeconds\":30}")") &&
	wait_deployed "$dep" &&
	task=$(app_get kill/polite "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	test "$(http DELETE /v2/apps/kill/polite)" = 200 &&
	wait_idle &&
	wait_for 10 "grep -q \"Sending SIGTERM\" \"$dir/stdout\"" &&
	test_grep ! "sending SIGKILL" "$dir/stdout"
'

test_expect_success 'an app that needs more memory than the capacity waits in the queue' '
	dep=$(deploy_app "$(app "{\"id\":\"/big/mem\",\"mem\":1024}")") &&
	wait_for 10 "json_url /v2/queue \"[r[\\\"reason\\\"] for r in d[\\\"queue\\\"][0][\\\"processedOffersSummary\\\"][\\\"rejectSummaryLastOffers\\\"]]\" | grep -q InsufficientMemory" &&
	test "$(json_url /v2/queue "d[\"queue\"][0][\"app\"][\"id\"]")" = /big/mem &&
	test "$(app_get big/mem "a[\"tasksRunning\"]")" = 0 &&
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$dep\"]" &&
	test "$(http PUT "/v2/apps/big/mem?force=true" "{\"mem\":64}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	test "$(app_get big/mem "a[\"tasksRunning\"]")" = 1 &&
	test "$(http DELETE /v2/apps/big/mem)" = 200
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
