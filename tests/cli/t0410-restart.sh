#!/bin/sh
# roger restart against roger local with the test app: a healthy rolling
# restart (every task replaced, capacity kept), one whose new tasks fail
# their health checks (exit 5, rolled back, the old tasks still serving),
# a crash loop with --no-rollback and -o json, --detach and the lock it
# holds, --force, and the dry run.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

# The test app, failing its health check while $TRASH/sick exists and
# crashing while $TRASH/crash exists.
cat >"$TRASH/run.sh" <<EOF
#!/bin/sh
test -e "$TRASH/crash" && { echo "cannot reach the database" >&2; exit 4; }
test -e "$TRASH/sick" && export TESTAPP_UNHEALTHY=1
exec "$TESTAPP"
EOF
chmod +x "$TRASH/run.sh"

app='{"id": "/web/hello", "cmd": "exec '"$TRASH/run.sh"'", "instances": 2,
      "cpus": 0.05, "mem": 8, "portDefinitions": [{"port": 0}],
      "backoffSeconds": 1, "backoffFactor": 1.01, "maxLaunchDelaySeconds": 2,
      "taskKillGracePeriodSeconds": 1,
      "healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
        "gracePeriodSeconds": 1, "intervalSeconds": 1, "timeoutSeconds": 1,
        "maxConsecutiveFailures": 2}]}'

# task_ids APP: the app's task ids, sorted, one a line.
task_ids() {
	app_get "$1" '"\n".join(sorted(t["id"] for t in a["tasks"]))'
}

test_expect_success 'setup: a project and its app, two healthy tasks' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	wait_for 20 "test \"\$(app_get web/hello \"a[\\\"tasksHealthy\\\"]\")\" = 2"
'

test_expect_success 'a rolling restart replaces every task and waits until they are healthy' '
	task_ids web/hello >before &&
	(cd repo && "$ROGER" restart >../out 2>../err) &&
	echo "app '"'"'/web/hello'"'"' restarted: 2/2 healthy" >expect &&
	test_cmp expect out &&
	test_grep "^roger: restarting '"'"'/web/hello'"'"': " err &&
	task_ids web/hello >after &&
	test_line_count 2 after &&
	! grep -F -f before after &&
	test "$(app_get web/hello "a[\"tasksHealthy\"]")" = 2
'

test_expect_success 'new tasks that fail their health checks: exit 5, rolled back, old ones serving' '
	task_ids web/hello >before &&
	: >"$TRASH/sick" &&
	test_when_finished rm -f "$TRASH/sick" &&
	(cd repo && test_expect_code 5 "$ROGER" restart >../out 2>../err) &&
	rm -f "$TRASH/sick" &&
	test_grep "^roger: task .* of the new version was killed for failing its health checks: " err &&
	test_grep "^roger: rolling back deployment" err &&
	test_grep "^roger: rolled back" err &&
	test_line_count 0 out &&
	wait_idle 20 &&
	task_ids web/hello >after &&
	test_cmp before after &&
	test "$(app_get web/hello "a[\"tasksHealthy\"]")" = 2
'

test_expect_success 'a crash loop with --no-rollback and -o json: exit 5, the stderr tail, left running' '
	task_ids web/hello >before &&
	: >"$TRASH/crash" &&
	test_when_finished rm -f "$TRASH/crash" &&
	(cd repo && test_expect_code 5 "$ROGER" -o json restart --no-rollback >../out 2>../err) &&
	test "$(json out "d[\"command\"]")" = restart &&
	test "$(json out "d[\"status\"]")" = failed &&
	test "$(json out "d[\"watch\"][\"failures\"]")" = 3 &&
	test "$(json out "d[\"stderr_tail\"]")" = "cannot reach the database" &&
	test_grep "^    cannot reach the database$" err &&
	test_grep "is left running" err &&
	dep=$(json out "d[\"deployment\"]") &&
	lcurl -s "$LOCAL_URL/v2/deployments" | grep -q "$dep" &&
	task_ids web/hello >now &&
	grep -F -f before now &&
	lcurl -s -X DELETE "$LOCAL_URL/v2/deployments/$dep" >/dev/null &&
	wait_idle 20
'

test_expect_success '--detach returns at once; a restart in progress then locks the app' '
	: >"$TRASH/sick" &&
	test_when_finished rm -f "$TRASH/sick" &&
	(cd repo && "$ROGER" restart --detach >../out 2>../err) &&
	test_grep "^deployment .* of app ./web/hello. started; not waiting for it (--detach)$" out &&
	(cd repo && test_expect_code 7 "$ROGER" restart 2>../err) &&
	test_grep "app locked by deployment .* pass --force" err &&
	rm -f "$TRASH/sick" &&
	(cd repo && "$ROGER" restart --force >../out 2>../err) &&
	test_grep "restarted: 2/2 healthy" out
'

test_expect_success 'the dry run prints the request and sends nothing' '
	v=$(app_get web/hello "a[\"version\"]") &&
	(cd repo && "$ROGER" restart -n >../out) &&
	printf "POST %s/v2/apps/web/hello/restart\n" "$LOCAL_URL" >expect &&
	test_cmp expect out &&
	test "$(app_get web/hello "a[\"version\"]")" = "$v" &&
	test_expect_code 2 "$ROGER" restart extra 2>err &&
	test_grep "unexpected argument .extra." err
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
