#!/bin/sh
# roger local survives its own death: apps, versions and deployments are
# recovered from the state directory after a SIGKILL, tasks come back, and
# no task process outlives the server.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 2 --mem 1024
mkdir -p "$TRASH/pids"

app=$(printf '{"id":"/keep/web","cmd":"exec %s","instances":2,"cpus":0.1,"mem":16,"env":{"TESTAPP_PIDDIR":"%s"},
 "healthChecks":[{"protocol":"HTTP","path":"/health","gracePeriodSeconds":5,"intervalSeconds":1,"timeoutSeconds":1}]}' "$TESTAPP" "$TRASH/pids")
stuck='{"id":"/keep/stuck","cmd":"sleep 1000","instances":1,"cpus":0.1,"mem":16,
 "healthChecks":[{"protocol":"COMMAND","command":{"value":"false"},"gracePeriodSeconds":600}]}'

alive_pids() {
	for p in $(ls "$TRASH/pids"); do
		if kill -0 "$p" 2>/dev/null; then echo "$p"; fi
	done
}

test_expect_success 'set up: two apps, one deployment that cannot finish' '
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	test "$(http PUT /v2/apps/keep/web "{\"labels\":{\"v\":\"2\"}}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	test "$(running keep/web)" = 2 &&
	deploy_app "$stuck" >stuck.id &&
	json_url /v2/info "d[\"frameworkId\"]" >fid &&
	json_url /v2/apps/keep/web/versions "sorted(d[\"versions\"])" >versions &&
	app_get keep/web "a[\"version\"]" >version &&
	test "$(alive_pids | wc -l)" = 2
'

test_expect_success 'SIGKILL of the server: no task process survives it' '
	alive_pids >before &&
	test -s before &&
	local_kill9 &&
	wait_for 15 "test -z \"\$(alive_pids)\""
'

local_start --cpus 2 --mem 1024

test_expect_success 'started again: every app, version and deployment is back' '
	test "$(json_url /v2/apps "sorted(a[\"id\"] for a in d[\"apps\"])")" = "[\"/keep/stuck\", \"/keep/web\"]" &&
	test "$(app_get keep/web "a[\"version\"]")" = "$(cat version)" &&
	test "$(app_get keep/web "a[\"labels\"]")" = "{\"v\": \"2\"}" &&
	json_url /v2/apps/keep/web/versions "sorted(d[\"versions\"])" >versions2 &&
	test_cmp versions versions2 &&
	test "$(json_url /v2/info "d[\"frameworkId\"]")" = "$(cat fid)" &&
	test "$(json_url /v2/deployments "[x[\"id\"] for x in d]")" = "[\"$(cat stuck.id)\"]"
'

test_expect_success 'its tasks are brought back and get healthy' '
	wait_for 30 "test \"\$(app_get keep/web \"a[\\\"tasksHealthy\\\"]\")\" = 2" &&
	test "$(alive_pids | wc -l)" = 2 &&
	! grep -qx "$(alive_pids | head -n 1)" before
'

test_expect_success 'a graceful stop (SIGTERM) kills every task' '
	local_stop &&
	test -z "$(alive_pids)"
'

local_start --cpus 2 --mem 1024

test_expect_success 'and keeps the state' '
	test "$(json_url /v2/apps "len(d[\"apps\"])")" = 2 &&
	wait_for 30 "test \"\$(running keep/web)\" = 2"
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
