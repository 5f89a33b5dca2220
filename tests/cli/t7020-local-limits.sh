#!/bin/sh
# roger local under many connections: idle ones cost no thread and do not
# stop the API, idle ones time out while event streams live on, event
# streams and connections beyond their caps get a 503, and with the
# descriptors nearly exhausted tasks keep running and changes are saved.
# The caps follow from the limit of open files (roger-local(1) LIMITS):
# with `ulimit -n 256`, 86 connections are served, 21 of them streams.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

CONNS="$TEST_SRCDIR/cli/conns.py"
mkdir -p "$TRASH/pids"

# hold NAME N [conns.py options]: N idle connections (and what the options
# add) held open in the background by conns.py until hold_stop NAME; its
# report is in $TRASH/NAME.json.
hold() {
	name=$1
	n=$2
	shift 2
	rm -f "$TRASH/$name.json" "$TRASH/$name.json.post"
	python3 "$CONNS" hold "$LOCAL_PORT" "$n" "$TRASH/$name.json" \
		"$@" >"$TRASH/$name.log" 2>&1 &
	echo $! >"$TRASH/$name.hold"
	wait_for 120 "test -s '$TRASH/$name.json'"
}

hold_stop() {
	if [ -s "$TRASH/$1.hold" ]; then
		kill "$(cat "$TRASH/$1.hold")" 2>/dev/null || :
		wait "$(cat "$TRASH/$1.hold")" 2>/dev/null || :
		rm -f "$TRASH/$1.hold"
	fi
}

# Whatever a failed case left holding connections.
test_atexit 'for h in "$TRASH"/*.hold; do [ -f "$h" ] && kill "$(cat "$h")" 2>/dev/null; done; :'

# code PATH: the status of a GET (000 when nothing answers in 10 s).
code() {
	lcurl -s -o body -m 10 -w '%{http_code}' "$LOCAL_URL$1" || :
}

stream_code() {
	lcurl -s -o /dev/null -m 2 -w '%{http_code}' \
		-H 'Accept: text/event-stream' "$LOCAL_URL/v2/events" || :
}

# Live task processes (a zombie waiting for its reaper is dead).
alive_pids() {
	for p in $(ls "$TRASH/pids"); do
		case $(ps -o stat= -p "$p" 2>/dev/null) in
		"" | Z*) ;;
		*) echo "$p" ;;
		esac
	done
}

hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 4096 ]; then
	test_skip '1,000 idle connections, idle timeout, the limit of open files' \
		"the hard limit of open files here is $hard, below the 4096 these cases need"
else
	LOCAL_STATE=$TRASH/big
	LOCAL_ULIMIT="-Sn 1024"
	local_start --cpus 2 --mem 1024

	test_expect_success 'the soft limit of open files is raised to the hard one; tasks get the old one' '
		sed -n "s/^Max open files *//p" "/proc/$LOCAL_PID/limits" >limits &&
		set -- $(cat limits) &&
		test "$1" = "$2" &&
		test "$1" != 1024 &&
		dep=$(deploy_app "{\"id\":\"/ulimit\",\"cmd\":\"ulimit -Sn >$TRASH/task-ulimit; sleep 1000\",\"cpus\":0.1,\"mem\":16}") &&
		wait_for 30 "test -s \"$TRASH/task-ulimit\"" &&
		test "$(cat "$TRASH/task-ulimit")" = 1024 &&
		test "$(http DELETE /v2/apps/ulimit)" = 200
	'

	test_expect_success '1,000 idle connections: the API still answers, with no thread per connection' '
		hold idle 1000 &&
		test "$(json "$TRASH/idle.json" "d[\"connected\"]")" = 1000 &&
		test "$(code /v2/info)" = 200 &&
		test "$(json body "d[\"name\"]")" = marathon &&
		test "$(http POST /v2/apps "{\"id\":\"/under-load\",\"cmd\":\"true\",\"instances\":0}")" = 201 &&
		threads=$(ls "/proc/$LOCAL_PID/task" | wc -l) &&
		test "$threads" -lt 100 &&
		hold_stop idle
	'

	test_expect_success 'an idle connection is closed after 30 seconds; an event stream outlives it' '
		python3 "$CONNS" timeout "$LOCAL_PORT" >out &&
		test "$(json out "d[\"event_seen\"]")" = true
	'

	local_stop
fi

LOCAL_STATE=$TRASH/small
LOCAL_ULIMIT="-n 256"
local_start --cpus 4 --mem 2048

test_expect_success 'beyond 21 event streams (with 256 open files), a 503 with a Marathon-like message' '
	hold streams 0 --events 30 &&
	test "$(json "$TRASH/streams.json" "d[\"streams\"]")" = "{\"200\": 21, \"503\": 9}" &&
	echo "{\"message\":\"Too many event stream subscribers: at most 21 may be connected at once\"}" >expect &&
	json "$TRASH/streams.json" "d[\"busy\"]" >actual &&
	test_cmp expect actual &&
	test "$(stream_code)" = 503 &&
	hold_stop streams &&
	wait_for 30 "test \"\$(stream_code)\" = 200"
'

test_expect_success 'beyond 86 connections, a request gets a 503 and the connection is closed' '
	hold many 90 &&
	wait_for 20 "test \"\$(code /v2/info)\" = 503" &&
	test "$(cat body)" = "{\"message\":\"Too many connections: roger local serves at most 86 at once\"}" &&
	hold_stop many &&
	wait_for 20 "test \"\$(code /v2/info)\" = 200"
'

app=$(printf '{"id":"/busy","cmd":"exec %s","instances":10,"cpus":0.1,"mem":16,"env":{"TESTAPP_PIDDIR":"%s"},
 "healthChecks":[{"protocol":"HTTP","path":"/health","gracePeriodSeconds":5,"intervalSeconds":1,"timeoutSeconds":2}]}' "$TESTAPP" "$TRASH/pids")

test_expect_success 'descriptors nearly exhausted: a killed task is replaced, health checks hold, a change is saved' '
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" 60 &&
	test "$(app_get busy "a[\"tasksHealthy\"]")" = 10 &&
	hold flood 400 --events 30 --post "{\"id\":\"/late\",\"cmd\":\"true\",\"instances\":0}" &&
	victim=$(alive_pids | head -n 1) &&
	kill -9 "$victim" &&
	wait_for 60 "test \"\$(alive_pids | wc -l)\" = 10 && ! alive_pids | grep -qx $victim" &&
	kill -USR1 "$(cat "$TRASH/flood.hold")" &&
	wait_for 60 "test -s \"$TRASH/flood.json.post\"" &&
	test "$(json "$TRASH/flood.json.post" "d[\"status\"]")" = 201 &&
	test -s "$LOCAL_STATE/apps/late.json" &&
	hold_stop flood &&
	wait_for 30 "test \"\$(app_get busy \"a[\\\"tasksHealthy\\\"]\")\" = 10" &&
	test "$(alive_pids | wc -l)" = 10
'

test_expect_success 'no task was lost to the health checks meanwhile: only the one killed failed' '
	ls "$TRASH/pids" | wc -l >started &&
	test "$(cat started)" = 11
'

test_done
