#!/bin/sh
# roger local's /v2/events stream: the exact Accept rule, the wire format
# (CRLF framing, no chunking, Connection: close, heartbeats), the
# event_type filter and the event sequence of a new app.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 2 --mem 1024

# sse [--accept VALUE] [--seconds N] [--until TYPE] QUERY: the raw bytes of
# the stream (headers included) in ./raw, read over a plain socket.
cat >"$TRASH/sse.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1]); query = sys.argv[2]; accept = sys.argv[3]
seconds = float(sys.argv[4]); until = sys.argv[5].encode()
s = socket.create_connection(("127.0.0.1", port))
req = "GET /v2/events%s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % query
req += "Authorization: token=%s\r\n" % open(sys.argv[6]).read().strip()
if accept:
    req += "Accept: %s\r\n" % accept
s.sendall((req + "\r\n").encode())
time.sleep(0.3)
open("connected", "w").close()
s.settimeout(0.2)
data = b""; end = time.time() + seconds
while time.time() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    data += chunk
    if until and (b"event: " + until + b"\r\n") in data:
        break
open("raw", "wb").write(data)
EOF
sse() {
	python3 "$TRASH/sse.py" "$LOCAL_PORT" "${1:-}" "${2-text/event-stream}" "${3:-3}" "${4:-}" \
		"$LOCAL_STATE/token"
}

test_expect_success 'an Accept header that is not exactly text/event-stream: 405 HTML' '
	sse "" "text/event-stream, */*" 2 &&
	head -n 1 raw | grep -q "^HTTP/1.1 405" &&
	grep -q "HTTP method GET is not supported by this URL" raw &&
	sse "" "" 2 &&
	head -n 1 raw | grep -q "^HTTP/1.1 405"
'

test_expect_success 'the stream: 200, event-stream type, no chunking, Connection: close, CRLF' '
	sse "" text/event-stream 2 event_stream_attached &&
	head -n 1 raw | grep -q "^HTTP/1.1 200" &&
	grep -qi "^Content-Type: text/event-stream;charset=UTF-8" raw &&
	grep -qi "^Connection: close" raw &&
	! grep -qi "^Transfer-Encoding" raw &&
	python3 -c "
import json, sys
raw = open(\"raw\", \"rb\").read()
body = raw.split(b\"\r\n\r\n\", 1)[1]
assert body.startswith(b\"event: event_stream_attached\r\ndata: {\"), body
line = body.split(b\"\r\n\")[1][6:]
ev = json.loads(line)
assert ev[\"eventType\"] == \"event_stream_attached\" and ev[\"remoteAddress\"] == \"127.0.0.1\", ev
assert set(ev) == {\"remoteAddress\", \"eventType\", \"timestamp\"}
"
'

test_expect_success 'a heartbeat (a bare CRLF) comes every 10 seconds' '
	sse "" text/event-stream 11.5 &&
	python3 -c "
raw = open(\"raw\", \"rb\").read()
body = raw.split(b\"\r\n\r\n\", 1)[1]
rest = body.split(b\"\r\n\r\n\", 1)[1]
assert rest == b\"\r\n\", repr(rest)
"
'

app=$(printf '{"id":"/ev/app","cmd":"exec %s","instances":1,"cpus":0.1,"mem":16,
 "healthChecks":[{"protocol":"HTTP","path":"/health","gracePeriodSeconds":10,"intervalSeconds":2,"timeoutSeconds":1}]}' "$TESTAPP")

test_expect_success 'a new app: the event sequence of the contract, section 7' '
	rm -f connected
	(sse "" text/event-stream 30 deployment_success) &
	reader=$!
	wait_for 10 "test -f connected" &&
	dep=$(deploy_app "$app") &&
	wait $reader &&
	python3 - "$dep" <<-\EOF
	import json, sys
	raw = open("raw", "rb").read().split(b"\r\n\r\n", 1)[1]
	events = []
	for block in raw.split(b"\r\n\r\n"):
	    lines = block.split(b"\r\n")
	    if len(lines) == 2 and lines[0].startswith(b"event: "):
	        events.append((lines[0][7:].decode(), json.loads(lines[1][6:])))
	names = [n for n, _ in events]
	order = ["event_stream_attached", "api_post_event", "group_change_success",
	         "deployment_info", "deployment_step_success", "deployment_info",
	         "status_update_event", "instance_changed_event",
	         "health_status_changed_event", "deployment_step_success",
	         "deployment_success"]
	pos = 0
	for n in names:
	    if pos < len(order) and n == order[pos]:
	        pos += 1
	assert pos == len(order), names
	for n, e in events:
	    assert e["eventType"] == n
	    assert e["timestamp"].endswith("Z") and len(e["timestamp"]) == 24, e
	ok = [e for n, e in events if n == "deployment_success"][0]
	assert ok["id"] == sys.argv[1] and ok["plan"]["id"] == sys.argv[1], ok
	assert [s["actions"][0]["action"] for s in ok["plan"]["steps"]] == ["StartApplication", "ScaleApplication"]
	st = [e for n, e in events if n == "status_update_event" and e["taskStatus"] == "TASK_RUNNING"][0]
	assert set(st) >= {"slaveId", "taskId", "taskStatus", "message", "appId", "host", "ipAddresses", "ports", "version"}, st
	assert st["appId"] == "/ev/app" and len(st["ports"]) == 1
	hs = [e for n, e in events if n == "health_status_changed_event"][0]
	assert hs["alive"] is True and hs["appId"] == "/ev/app"
	EOF
'

test_expect_success 'event_type filters on the server' '
	rm -f connected
	(sse "?event_type=deployment_success&event_type=deployment_info" text/event-stream 20 deployment_success) &
	reader=$!
	wait_for 10 "test -f connected" &&
	test "$(http PUT /v2/apps/ev/app "{\"instances\":2}")" = 200 &&
	wait $reader &&
	grep -a "^event: " raw | sort -u >types &&
	printf "event: deployment_info\r\nevent: deployment_success\r\n" >want &&
	test_cmp want types
'

test_expect_success 'a forced update cancels the running deployment: deployment_failed' '
	wait_idle
	rm -f connected
	(sse "?event_type=deployment_failed" text/event-stream 20 deployment_failed) &
	reader=$!
	wait_for 10 "test -f connected" &&
	test "$(http PUT /v2/apps/ev/app "{\"instances\":1,\"env\":{\"X\":\"1\"},\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"false\"}}]}")" = 200 &&
	first=$(header Marathon-Deployment-Id) &&
	test "$(http PUT "/v2/apps/ev/app?force=true" "{\"instances\":1}")" = 200 &&
	wait $reader &&
	grep -a "^data: " raw | sed "s/^data: //" >failed &&
	json failed "d[\"id\"]" | grep -q "$first" &&
	test "$(json failed "d[\"reason\"]")" = "The upgrade has been cancelled"
'

test_expect_success 'a change refused with 409 still fails a plan that never ran' '
	wait_idle &&
	dep=$(deploy_app "{\"id\":\"/ev/locked\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16,\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"false\"},\"gracePeriodSeconds\":300}]}") &&
	rm -f connected
	(sse "?event_type=deployment_failed&event_type=group_change_failed" text/event-stream 20 group_change_failed) &
	reader=$!
	wait_for 10 "test -f connected" &&
	test "$(http PUT /v2/apps/ev/locked "{\"instances\":2}")" = 409 &&
	wait $reader &&
	python3 - "$dep" <<-\EOF
	import json, sys
	raw = open("raw", "rb").read().split(b"\r\n\r\n", 1)[1]
	events = []
	for block in raw.split(b"\r\n\r\n"):
	    lines = block.split(b"\r\n")
	    if len(lines) == 2 and lines[0].startswith(b"event: "):
	        events.append((lines[0][7:].decode(), json.loads(lines[1][6:])))
	names = [n for n, _ in events]
	assert names == ["deployment_failed", "group_change_failed"], names
	failed = events[0][1]
	assert list(failed) == ["id", "plan", "eventType", "timestamp", "reason"], failed
	assert failed["id"] != sys.argv[1] and failed["plan"]["id"] == failed["id"], failed
	assert failed["reason"].startswith("App is locked by one or more deployments."), failed
	EOF
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$dep\"]" &&
	test "$(http DELETE /v2/apps/ev/locked)" = 200
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
