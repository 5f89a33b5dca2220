#!/bin/sh
# roger local acknowledges a change only once it is saved: with the state
# directory full, a create, scale, delete or restart answers 500 and is not
# made (nothing of it in the API, the events or the files); app ids are
# limited to what can be stored; a deployments.json of the wrong shape is
# refused at start, naming the file and the field.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

long_id=$(python3 -c 'print("a" * 300)')
# 128 characters with the leading slash: the longest id there may be.
max_id=$(python3 -c 'print("/".join(["abcdefghijklmno"] * 8))')

local_start

test_expect_success 'an id longer than 128 characters: 422 that names the limit (POST and PUT)' '
	test "$(http POST /v2/apps "{\"id\":\"/$long_id\",\"cmd\":\"true\"}")" = 422 &&
	test "$(json body "d[\"message\"]")" = "Object is not valid" &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /id &&
	json body "d[\"details\"][0][\"errors\"][0]" >why &&
	test_grep "must be at most 128 characters" why &&
	test "$(http PUT "/v2/apps/${max_id}x" "{\"cmd\":\"true\"}")" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /id &&
	test "$(http GET /v2/apps)" = 200 &&
	test "$(json body "len(d[\"apps\"])")" = 0
'

test_expect_success 'an id of 128 characters runs its task' '
	dep=$(deploy_app "{\"id\":\"/$max_id\",\"cmd\":\"sleep 1000\",\"cpus\":0.1,\"mem\":16}") &&
	wait_deployed "$dep" &&
	test "$(running "$max_id")" = 1 &&
	test -s "$LOCAL_STATE/apps/$(echo "$max_id" | tr / _).json"
'

local_kill9
local_start

test_expect_success 'and survives a crash of the server' '
	test "$(http GET "/v2/apps/$max_id")" = 200 &&
	wait_for 30 "test \"\$(running \"$max_id\")\" = 1" &&
	test "$(http DELETE "/v2/apps/$max_id")" = 200
'

local_stop

test_expect_success 'a deployments.json of the wrong shape: refused at start, naming the file and the field' '
	mkdir -p bad &&
	echo "[{\"id\":\"d1\",\"version\":\"2024-01-02T03:04:05.000Z\",\"steps\":[{\"actions\":[{\"action\":\"Launch\",\"app\":\"/a\"}]}],\"currentStep\":0}]" >bad/deployments.json &&
	test_expect_code 3 timeout 60 "$ROGER" local serve --port 0 --state-dir "$TRASH/bad" >out 2>err &&
	test_line_count 1 err &&
	test_grep "invalid state file .$TRASH/bad/deployments.json.: \[0\]\.steps\[0\]\.actions\[0\]\.action: expected StartApplication" err &&
	test_grep "move the file away" err &&
	echo "{\"id\":\"d1\"}" >bad/deployments.json &&
	test_expect_code 3 timeout 60 "$ROGER" local serve --port 0 --state-dir "$TRASH/bad" 2>err &&
	test_grep "deployments.json.: expected an array of deployments" err &&
	echo "[{\"id\":\"d1\",\"version\":\"v\",\"steps\":[],\"currentStep\":\"1\"}]" >bad/deployments.json &&
	test_expect_code 3 timeout 60 "$ROGER" local serve --port 0 --state-dir "$TRASH/bad" 2>err &&
	test_grep "\[0\]\.currentStep: expected an integer" err &&
	printf "[{\"id\":" >bad/deployments.json &&
	test_expect_code 1 timeout 60 "$ROGER" local up --port 0 --state-dir "$TRASH/bad" 2>err &&
	test_grep "invalid state file .$TRASH/bad/deployments.json.: line 1:" err &&
	test_expect_code 1 "$ROGER" local status --state-dir "$TRASH/bad"
'

test_expect_success 'moved away as the message says, the server starts' '
	mv bad/deployments.json bad/deployments.json.broken &&
	"$ROGER" local up --port 0 --state-dir "$TRASH/bad" >url &&
	"$ROGER" local down --state-dir "$TRASH/bad"
'

# A state directory on a tiny file system, filled up.
tiny_why=
if [ "$(id -u)" != 0 ]; then
	tiny_why="mounting a tmpfs needs root (CI runs as root)"
else
	mkdir -p "$TRASH/tiny"
	if ! mount -t tmpfs -o size=1m tmpfs "$TRASH/tiny" 2>"$TRASH/mount.err"; then
		tiny_why="cannot mount a tmpfs here: $(cat "$TRASH/mount.err")"
	fi
fi
if [ -n "$tiny_why" ]; then
	test_skip 'a full state directory refuses every change' "$tiny_why"
	test_done
fi
test_atexit 'kill "$(cat "$TRASH/events.pid" 2>/dev/null)" 2>/dev/null; local_stop; umount "$TRASH/tiny" 2>/dev/null || :'

LOCAL_STATE=$TRASH/tiny/state
local_start

fill() {
	dd if=/dev/zero of="$LOCAL_STATE/filler" bs=4k >/dev/null 2>&1 || :
	test "$(df -k "$LOCAL_STATE" | awk "NR == 2 { print \$4 }")" = 0
}

# An event stream read into $TRASH/events by curl in the background.
events_start() {
	curl -sN -H "Authorization: token=$LOCAL_TOKEN" -H "Accept: text/event-stream" "$LOCAL_URL/v2/events" >"$TRASH/events" 2>/dev/null &
	echo $! >"$TRASH/events.pid"
	wait_for 10 "grep -q event_stream_attached \"$TRASH/events\""
}

test_expect_success 'set up: two apps saved, then the file system full' '
	test "$(http POST /v2/apps "{\"id\":\"/keep\",\"cmd\":\"true\",\"instances\":0,\"labels\":{\"v\":\"1\"}}")" = 201 &&
	test "$(http POST /v2/apps "{\"id\":\"/gone\",\"cmd\":\"true\",\"instances\":0}")" = 201 &&
	wait_idle &&
	test -s "$LOCAL_STATE/apps/keep.json" &&
	events_start &&
	fill
'

test_expect_success 'full: a create answers 500 and is not made' '
	test "$(http POST /v2/apps "{\"id\":\"/new\",\"cmd\":\"true\",\"instances\":0}")" = 500 &&
	json body "d[\"message\"]" >msg &&
	test_grep "The change cannot be saved, so it was not made: cannot write .*new.json.: No space left on device" msg &&
	test -z "$(header Marathon-Deployment-Id)" &&
	test "$(http GET /v2/apps/new)" = 404 &&
	test "$(http GET /v2/deployments)" = 200 &&
	test "$(cat body)" = "[]" &&
	test ! -e "$LOCAL_STATE/apps/new.json"
'

test_expect_success 'full: scale, update, delete and restart answer 500 and change nothing' '
	test "$(http PUT /v2/apps/keep "{\"instances\":2}")" = 500 &&
	test "$(http PUT /v2/apps/keep "{\"labels\":{\"v\":\"2\"}}")" = 500 &&
	test "$(http DELETE /v2/apps/gone)" = 500 &&
	test "$(http POST /v2/apps/keep/restart)" = 500 &&
	test "$(http PUT /v2/apps "[{\"id\":\"/keep\",\"instances\":3},{\"id\":\"/other\",\"cmd\":\"true\"}]")" = 500 &&
	test "$(app_get keep "a[\"instances\"]")" = 0 &&
	test "$(app_get keep "a[\"labels\"]")" = "{\"v\": \"1\"}" &&
	test "$(http GET /v2/apps/gone)" = 200 &&
	test "$(http GET /v2/apps/other)" = 404 &&
	test "$(http GET /v2/deployments)" = 200 &&
	test "$(cat body)" = "[]"
'

test_expect_success 'no event went out for the refused changes' '
	! grep -q "api_post_event\|group_change_success\|deployment_info" "$TRASH/events"
'

test_expect_success 'with room again, a change is saved and acknowledged, and its events go out' '
	rm -f "$LOCAL_STATE/filler" &&
	test "$(http POST /v2/apps "{\"id\":\"/new\",\"cmd\":\"true\",\"instances\":0}")" = 201 &&
	test -s "$LOCAL_STATE/apps/new.json" &&
	wait_for 10 "grep -q \"api_post_event\" \"$TRASH/events\""
'

kill "$(cat "$TRASH/events.pid")" 2>/dev/null
local_kill9
local_start

test_expect_success 'after a crash, the server has exactly what it acknowledged' '
	test "$(json_url /v2/apps "sorted(a[\"id\"] for a in d[\"apps\"])")" = "[\"/gone\", \"/keep\", \"/new\"]" &&
	test "$(app_get keep "a[\"instances\"]")" = 0 &&
	test "$(app_get keep "a[\"labels\"]")" = "{\"v\": \"1\"}"
'

test_done
