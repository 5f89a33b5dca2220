#!/bin/sh
# roger local's router: apps answer on 127.0.0.1:<servicePort> and on the
# HTTP front by name (<app>.<group>.localhost, HAPROXY_0_VHOST,
# X-Marathon-App-Id); a rolling deploy, a restart and a scale-down under a
# load loop drop no request; no task gives a 503 naming the app and why;
# an unhealthy task gets no traffic; the listeners come back after a
# restart and after a SIGKILL of the server, on the same service ports.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

# Service ports of this run: a range of its own, so that tests running at
# the same time (each with its own server) do not compete for 10000.
SPMIN=$((20000 + ($$ % 500) * 20))
LOAD="$TEST_SRCDIR/cli/load.py"

local_start --cpus 4 --mem 4096 --service-port-min "$SPMIN"
front_port() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["router"].split(":")[1])' "$LOCAL_STATE/server.json"
}
FRONT=$(front_port)

web_app() { # ID INSTANCES [LABELS]
	printf '{"id":"%s","cmd":"exec %s","instances":%s,"cpus":0.1,"mem":16,"labels":%s,
 "healthChecks":[{"protocol":"HTTP","path":"/health","gracePeriodSeconds":5,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":0}]}' \
		"$1" "$TESTAPP" "$2" "${3:-{\}}"
}
# sp APP: the service port of the app's first port.
sp() { app_get "$1" 'a["portDefinitions"][0]["port"]'; }
# get PORT [HOST]: the body of GET / through the router.
get() {
	if [ -n "${2:-}" ]; then
		curl -s -H "Host: $2" "http://127.0.0.1:$1/"
	else
		curl -s "http://127.0.0.1:$1/"
	fi
}
healthy() { app_get "$1" 'a["tasksHealthy"]'; }
# closed PORT: the router accepts and closes at once (curl: an empty reply,
# or a reset when the request was still unread).
closed() {
	rc=0
	curl -s "http://127.0.0.1:$1/" >/dev/null || rc=$?
	test "$rc" = 52 || test "$rc" = 56
}

# load_start NAME URL [HOST] / load_stop NAME: a load loop in the background.
load_start() {
	rm -f "$TRASH/$1.stop" "$TRASH/$1.out" "$TRASH/$1.out.done"
	python3 "$LOAD" "$2" "$TRASH/$1.stop" "$TRASH/$1.out" ${3:+"$3"} &
	wait_for 10 "test -s \"$TRASH/$1.out\""
}
load_stop() {
	touch "$TRASH/$1.stop"
	wait_for 60 "test -e \"$TRASH/$1.out.done\""
}
# answers NAME: the versions answered, in order, one line per change.
answers() { awk '{print $1, $4}' "$TRASH/$1.out" | uniq; }

test_expect_success 'two apps get service ports from --service-port-min' '
	dep=$(deploy_app "$(web_app /web/one 2)") && wait_deployed "$dep" &&
	dep=$(deploy_app "$(web_app /api/two 1 "{\"HAPROXY_0_VHOST\":\"two.test\"}")") &&
	wait_deployed "$dep" &&
	test "$(sp web/one)" = "$SPMIN" &&
	test "$(sp api/two)" = "$((SPMIN + 1))" &&
	wait_for 30 "test \"\$(healthy web/one)\" = 2 && test \"\$(healthy api/two)\" = 1"
'

test_expect_success 'each answers on its service port, round robin' '
	app_get web/one "sorted(str(t[\"ports\"][0]) for t in a[\"tasks\"])" >ports &&
	for i in 1 2 3 4; do get "$SPMIN" | cut -d" " -f2; done | sort -u >seen &&
	python3 -c "import json,sys; print(\"\\n\".join(json.load(open(\"ports\"))))" >want &&
	test_cmp want seen &&
	get "$((SPMIN + 1))" | grep "^testapp $(app_get api/two "a[\"tasks\"][0][\"ports\"][0]") "
'

test_expect_success 'the front routes by *.localhost name, VHOST and X-Marathon-App-Id' '
	get "$FRONT" one.web.localhost | grep "^testapp " &&
	get "$FRONT" "One.Web.localhost:$FRONT" | grep "^testapp " &&
	get "$FRONT" two.api.localhost | grep "^testapp " &&
	get "$FRONT" two.test | grep "^testapp " &&
	curl -s -H "X-Marathon-App-Id: /api/two" "http://127.0.0.1:$FRONT/" | grep "^testapp " &&
	curl -s -o body -w "%{http_code}" -H "Host: nothing.localhost" "http://127.0.0.1:$FRONT/" >code &&
	test "$(cat code)" = 404 && grep "nothing" body
'

test_atexit 'test -s "$TRASH/idle.pid" && kill "$(cat "$TRASH/idle.pid")" 2>/dev/null; :'

test_expect_success 'thousands of idle connections stop neither the router nor the API' '
	python3 "$TEST_SRCDIR/cli/conns.py" hold "$FRONT" 3000 "$TRASH/idle.json" \
		>"$TRASH/idle.log" 2>&1 &
	echo $! >"$TRASH/idle.pid" &&
	wait_for 120 "test -s \"$TRASH/idle.json\"" &&
	test "$(json "$TRASH/idle.json" "d[\"connected\"]")" = 3000 &&
	get "$FRONT" two.test | grep "^testapp " &&
	get "$SPMIN" | grep "^testapp " &&
	test "$(http GET /v2/apps)" = 200 &&
	kill "$(cat "$TRASH/idle.pid")" && rm -f "$TRASH/idle.pid"
'

test_expect_success 'roger local status names the router' '
	"$ROGER" local --state-dir "$LOCAL_STATE" status >out &&
	test_grep "^its router is at 127.0.0.1:$FRONT: apps answer at http://APP.GROUP.localhost:$FRONT/" out &&
	"$ROGER" -o json local --state-dir "$LOCAL_STATE" status >out &&
	test "$(json out "d[\"router\"]")" = "127.0.0.1:$FRONT"
'

test_expect_success 'the front needs no token; the API still does' '
	test "$(curl -s -o /dev/null -w "%{http_code}" "$LOCAL_URL/v2/apps")" = 401
'

# check_load NAME OLD NEW: no failed request, old answers first, new last.
check_load() { # NAME OLD NEW
	! grep "^fail" "$TRASH/$1.out" &&
	test "$(answers "$1" | head -n 1)" = "ok $2" &&
	test "$(answers "$1" | tail -n 1)" = "ok $3"
}

# roll_under_load COMMAND: load loops on the service port and through the
# front of /roll/app while the deployment COMMAND starts (it prints its id)
# runs; both must see no failed request, the old version first and the new
# one last.
roll_under_load() {
	old=$(app_get roll/app "a[\"version\"]") &&
	load_start tcp "http://127.0.0.1:$(sp roll/app)/" &&
	load_start front "http://127.0.0.1:$FRONT/" app.roll.localhost &&
	dep=$($1) && wait_deployed "$dep" 60 &&
	new=$(app_get roll/app "a[\"version\"]") &&
	test "$new" != "$old" &&
	wait_for 30 "tail -n 1 \"$TRASH/tcp.out\" | grep -q \"$new\"" &&
	wait_for 30 "tail -n 1 \"$TRASH/front.out\" | grep -q \"$new\"" &&
	load_stop tcp && load_stop front &&
	check_load tcp "$old" "$new" &&
	check_load front "$old" "$new"
}
new_config() {
	test "$(http PUT /v2/apps/roll/app "{\"env\":{\"V\":\"2\"}}")" = 200 &&
	header Marathon-Deployment-Id
}
restart() {
	test "$(http POST /v2/apps/roll/app/restart)" = 200 &&
	json body "d[\"deploymentId\"]"
}

test_expect_success 'a rolling deploy of 3 instances under load drops no request' '
	dep=$(deploy_app "$(web_app /roll/app 3)") && wait_deployed "$dep" &&
	wait_for 30 "test \"\$(healthy roll/app)\" = 3" &&
	roll_under_load new_config
'

test_expect_success 'a restart under load drops no request' '
	roll_under_load restart
'

test_expect_success 'a scale-down under load drops no request' '
	v=$(app_get roll/app "a[\"version\"]") &&
	load_start tcp "http://127.0.0.1:$(sp roll/app)/" &&
	test "$(http PUT /v2/apps/roll/app "{\"instances\":1}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" 60 &&
	wait_for 30 "test \"\$(running roll/app)\" = 1" &&
	load_stop tcp &&
	! grep "^fail" "$TRASH/tcp.out" &&
	test "$(answers tcp)" = "ok $v"
'

test_expect_success 'scaled to 0: a 503 naming the app and why; TCP is closed' '
	port=$(sp roll/app) &&
	test "$(http PUT /v2/apps/roll/app "{\"instances\":0}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" 60 &&
	curl -s -o body -w "%{http_code}" -H "Host: app.roll.localhost" "http://127.0.0.1:$FRONT/" >code &&
	test "$(cat code)" = 503 &&
	grep "/roll/app" body && grep "scaled to 0" body &&
	closed "$port"
'

test_expect_success 'an unhealthy task gets no traffic' '
	sick=$(app_get web/one "a[\"tasks\"][0][\"ports\"][0]") &&
	well=$(app_get web/one "a[\"tasks\"][1][\"ports\"][0]") &&
	curl -s "http://127.0.0.1:$sick/sick" >/dev/null &&
	wait_for 30 "test \"\$(app_get web/one \"a[\\\"tasksUnhealthy\\\"]\")\" = 1" &&
	for i in 1 2 3 4 5 6; do get "$SPMIN" | cut -d" " -f2; done | sort -u >seen &&
	echo "$well" >want &&
	test_cmp want seen &&
	curl -s "http://127.0.0.1:$sick/well" >/dev/null
'

local_stop
test_expect_success 'a stopped server leaves no listener' '
	test_expect_code 7 curl -s "http://127.0.0.1:$SPMIN/"
'

local_start --cpus 4 --mem 4096
test_expect_success 'a server restart keeps the service ports and listens again' '
	test "$(sp web/one)" = "$SPMIN" &&
	test "$(sp api/two)" = "$((SPMIN + 1))" &&
	wait_for 30 "get $SPMIN | grep -q ^testapp" &&
	wait_for 30 "get $((SPMIN + 1)) | grep -q ^testapp"
'

local_kill9
# its tasks die with it (their watchdog kills them), then it can start again
wait_for 30 'local_start --cpus 4 --mem 4096'
FRONT=$(front_port)
test_expect_success 'after a SIGKILL of the server every listener comes back' '
	wait_for 30 "get $SPMIN | grep -q ^testapp" &&
	wait_for 30 "get $((SPMIN + 1)) | grep -q ^testapp" &&
	wait_for 30 "get $FRONT two.test | grep -q ^testapp" &&
	curl -s -o body -w "%{http_code}" -H "Host: app.roll.localhost" "http://127.0.0.1:$FRONT/" >code &&
	test "$(cat code)" = 503
'

test_done
