#!/bin/sh
# roger destroy against roger local: confirmation refused off a terminal
# (naming --yes, nothing changed), --yes (the app and its tasks gone
# afterwards), a deployment in progress (exit 7 unless --force), the dry
# run, an app that does not exist, and -o json.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

# app ID [HEALTH]: the test app as ID, two instances.
app() {
	echo "{\"id\": \"$1\", \"cmd\": \"exec $TESTAPP\", \"instances\": 2,
	       \"cpus\": 0.05, \"mem\": 8, \"portDefinitions\": [{\"port\": 0}],
	       \"taskKillGracePeriodSeconds\": 1 ${2:+, $2}}"
}

test_expect_success 'setup: a project and its app running' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$(app /web/hello)") &&
	wait_deployed "$dep" &&
	test "$(running web/hello)" = 2
'

test_expect_success 'off a terminal, without --yes: refused, naming --yes, nothing changed' '
	(cd repo && test_expect_code 1 "$ROGER" destroy </dev/null >../out 2>../err) &&
	echo "roger: destroy app '"'"'/web/hello'"'"' and its 2 tasks on target '"'"'local'"'"' needs confirmation and standard input is not a terminal; pass --yes" >expect &&
	test_cmp expect err &&
	test_line_count 0 out &&
	test "$(http GET /v2/apps/web/hello)" = 200 &&
	test "$(running web/hello)" = 2
'

test_expect_success 'the dry run prints the request (force=false) and sends nothing' '
	(cd repo && "$ROGER" destroy -n </dev/null >../out) &&
	printf "DELETE %s/v2/apps/web/hello?force=false\n" "$LOCAL_URL" >expect &&
	test_cmp expect out &&
	test "$(http GET /v2/apps/web/hello)" = 200
'

test_expect_success 'with --yes: waits until the tasks are stopped and the app is gone' '
	pids=$(app_get web/hello "\" \".join(str(t[\"ports\"][0]) for t in a[\"tasks\"])") &&
	(cd repo && "$ROGER" destroy --yes >../out 2>../err) &&
	echo "app '"'"'/web/hello'"'"' destroyed" >expect &&
	test_cmp expect out &&
	test "$(http GET /v2/apps/web/hello)" = 404 &&
	test "$(lcurl -s "$LOCAL_URL/v2/deployments")" = "[]" &&
	for p in $pids; do
		! curl -sf "http://127.0.0.1:$p/" >/dev/null || { echo "port $p still answers" >&2; exit 1; }
	done
'

test_expect_success 'an app that does not exist: exit 1' '
	(cd repo && test_expect_code 1 "$ROGER" destroy --yes 2>../err) &&
	test_grep "^roger: app ./web/hello. does not exist" err &&
	test_line_count 1 err
'

test_expect_success 'a deployment in progress: exit 7 unless --force, which cancels it' '
	dep=$(deploy_app "$(app /web/slow "\"healthChecks\": [{\"protocol\": \"COMMAND\", \"command\": {\"value\": \"false\"}, \"gracePeriodSeconds\": 600}]")") &&
	test_expect_code 7 "$ROGER" destroy --yes --app web/slow 2>err &&
	test_grep "^roger: app ./web/slow. has a deployment in progress (.$dep.); pass --force to cancel it and destroy the app$" err &&
	test "$(http GET /v2/apps/web/slow)" = 200 &&
	"$ROGER" -o json destroy --yes --force --app web/slow >out 2>err &&
	test "$(json out "d[\"status\"]")" = succeeded &&
	test "$(json out "d[\"command\"]")" = destroy &&
	test "$(json out "d[\"watch\"][\"state\"]")" = succeeded &&
	test "$(http GET /v2/apps/web/slow)" = 404
'

test_expect_success '--detach: the request only' '
	dep=$(deploy_app "$(app /web/quick)") &&
	wait_deployed "$dep" &&
	"$ROGER" destroy --yes --detach --app web/quick >out &&
	test_grep "^deployment .* of app ./web/quick. started; not waiting for it (--detach)$" out &&
	wait_for 20 "test \"\$(http GET /v2/apps/web/quick)\" = 404"
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
