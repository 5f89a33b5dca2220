#!/bin/sh
# roger scale against roger local with the test app: up and down, a count
# the app already has, the dry run, -o json, a scale into a crash loop
# (exit 5, the stderr tail, the old count running again), one whose tasks
# never get healthy (exit 5), a slow one with a short --timeout (exit 6),
# --detach, a protected target, a lock (exit 7, --force), and Ctrl-C.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096

# The built-in target "local" on the port the server got, and a protected
# target on the same server.
local_config_prod

# The test app: it crashes (saying why on stderr) while $TRASH/crash
# exists, fails its health check while $TRASH/sick exists, and never
# answers while $TRASH/slow exists.  Health checks are quick, backoffs
# short.
cat >"$TRASH/run.sh" <<EOF
#!/bin/sh
test -e "$TRASH/crash" && { echo "config file missing: /etc/hello.conf" >&2; exit 3; }
test -e "$TRASH/sick" && export TESTAPP_UNHEALTHY=1
test -e "$TRASH/slow" && export TESTAPP_HANG=1
exec "$TESTAPP"
EOF
chmod +x "$TRASH/run.sh"

# hello ID HEALTH-CHECK-FRAGMENT: the app's JSON.
hello() {
	echo "{\"id\": \"$1\", \"cmd\": \"exec $TRASH/run.sh\", \"instances\": 1,
	       \"cpus\": 0.05, \"mem\": 8, \"portDefinitions\": [{\"port\": 0}],
	       \"backoffSeconds\": 1, \"backoffFactor\": 1.01, \"maxLaunchDelaySeconds\": 2,
	       \"taskKillGracePeriodSeconds\": 1 ${2:+, $2}}"
}
HC='"healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
     "gracePeriodSeconds": 1, "intervalSeconds": 1, "timeoutSeconds": 1,
     "maxConsecutiveFailures": 2}]'

test_expect_success 'setup: a project, and its app running' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$(hello /web/hello)") &&
	wait_deployed "$dep" &&
	dep=$(deploy_app "$(hello /web/checked "$HC")") &&
	wait_deployed "$dep"
'

test_expect_success 'scale up the project app: waits until every new task has settled' '
	(cd repo && "$ROGER" scale --settle 1 3 >../out 2>../err) &&
	echo "app '"'"'/web/hello'"'"' scaled to 3 instances: 3/3 running" >expect &&
	test_cmp expect out &&
	test "$(running web/hello)" = 3 &&
	test_grep "^roger: scaling '"'"'/web/hello'"'"' to 3: " err &&
	test_grep "settling" err &&
	wait_idle 5
'

test_expect_success 'scale down, with --app, health checks: healthy ones count' '
	"$ROGER" scale --app /web/checked 2 >out 2>err &&
	test_grep "scaled to 2 instances: 2/2 healthy" out &&
	"$ROGER" scale --app web/checked 1 >out 2>err &&
	test_grep "scaled to 1 instance: 1/1 healthy" out &&
	test "$(running web/checked)" = 1 &&
	test "$(app_get web/checked "len(a[\"tasks\"])")" = 1
'

test_expect_success 'the count the app already has: nothing to do' '
	(cd repo && "$ROGER" scale 3 >../out 2>../err) &&
	echo "app '"'"'/web/hello'"'"' already has 3 instances: nothing to do" >expect &&
	test_cmp expect out &&
	test_line_count 0 err
'

test_expect_success 'options may follow the count (global ones too), and -- ends them' '
	(cd repo && "$ROGER" scale 5 --force -q -n >../out 2>../err) &&
	printf "PUT %s/v2/apps/web/hello?force=true\nContent-Type: application/json\n\n{\"instances\":5}\n" "$LOCAL_URL" >expect &&
	test_cmp expect out &&
	test_line_count 0 err &&
	(cd repo && "$ROGER" scale -n -- 5 >../out) &&
	printf "PUT %s/v2/apps/web/hello\nContent-Type: application/json\n\n{\"instances\":5}\n" "$LOCAL_URL" >expect &&
	test_cmp expect out &&
	(cd repo && test_expect_code 2 "$ROGER" scale -n -- 5 --force 2>../err) &&
	test_grep "unexpected argument .--force." err &&
	test_expect_code 2 "$ROGER" -n scale --app web/hello 5 2>err &&
	test_grep "^roger: .-n. is an option of .roger scale.: give it after the command name" err &&
	test_grep "^usage: roger scale " err
'

test_expect_success 'the dry run prints the request and sends nothing' '
	v=$(app_get web/hello "a[\"version\"]") &&
	(cd repo && "$ROGER" scale -n --force 5 >../out) &&
	printf "PUT %s/v2/apps/web/hello?force=true\nContent-Type: application/json\n\n{\"instances\":5}\n" "$LOCAL_URL" >expect &&
	test_cmp expect out &&
	test "$(app_get web/hello "a[\"version\"]")" = "$v" &&
	(cd repo && "$ROGER" -o json scale --dry-run 5 >../out) &&
	test "$(json out "d[\"status\"]")" = dry_run &&
	test "$(json out "d[\"request\"][\"body\"]")" = "{\"instances\": 5}"
'

test_expect_success 'one JSON document with -o json' '
	(cd repo && "$ROGER" -o json -q scale --settle 0 2 >../out 2>../err) &&
	test_line_count 0 err &&
	test "$(json out "d[\"status\"]")" = succeeded &&
	test "$(json out "d[\"instances\"]")" = "{\"from\": 3, \"to\": 2}" &&
	test "$(json out "d[\"watch\"][\"running\"]")" = 2 &&
	test "$(json out "d[\"watch\"][\"state\"]")" = succeeded &&
	test -n "$(json out "d[\"deployment\"]")"
'

test_expect_success 'up into a crash loop: exit 5, the reason, the stderr tail, 2 running again' '
	: >"$TRASH/crash" &&
	test_when_finished rm -f "$TRASH/crash" &&
	(cd repo && test_expect_code 5 "$ROGER" scale --settle 1 4 >../out 2>../err) &&
	rm -f "$TRASH/crash" &&
	# Three failures end the deployment; but when the new tasks all run
	# before one of them dies (they die a moment after they start), the
	# deployment succeeds and the failure comes in the settle period.
	grep -E "^roger: (3 tasks of the new version failed; the last, task .web_hello.instance-.*, ended|task .web_hello.instance-.* of the new version ended) in TASK_FAILED" err &&
	test_grep "^roger: task .web_hello.instance-.* ended in TASK_FAILED" err &&
	test_grep "^roger: the last lines of the standard error of task" err &&
	test_grep "^    config file missing: /etc/hello.conf$" err &&
	test_grep "^roger: rolling back deployment" err &&
	test_grep "^roger: rolled back" err &&
	test_line_count 0 out &&
	wait_idle 10 &&
	test "$(app_get web/hello "a[\"instances\"]")" = 2 &&
	test "$(running web/hello)" = 2
'

test_expect_success 'a crash loop with --no-rollback: exit 5, left in place with the way out' '
	: >"$TRASH/crash" &&
	test_when_finished rm -f "$TRASH/crash" &&
	test_when_finished cancel_deployments &&
	test_expect_code 5 "$ROGER" -o json scale --app web/checked --no-rollback 2 >out 2>err &&
	test "$(json out "d[\"status\"]")" = failed &&
	test "$(json out "d[\"watch\"][\"failures\"]")" = 3 &&
	test "$(json out "\"config file missing\" in d[\"stderr_tail\"]")" = true &&
	test "$(json out "\"rollback\" in d")" = false &&
	dep=$(json out "d[\"deployment\"]") &&
	test_grep "^roger: deployment .$dep. is left running; wait for it with .roger status --wait --app /web/checked.$" err &&
	test_grep "^roger: to undo it: .roger scale 1 --force --app /web/checked.$" err &&
	lcurl -s "$LOCAL_URL/v2/deployments" | grep -q "$dep" &&
	rm -f "$TRASH/crash" &&
	"$ROGER" scale 1 --force --app /web/checked >out 2>err &&
	test_grep "scaled to 1 instance" out &&
	wait_idle 10 &&
	test "$(app_get web/checked "a[\"instances\"]")" = 1
'

test_expect_success 'tasks that never get healthy: exit 5, rolled back' '
	: >"$TRASH/sick" &&
	test_when_finished rm -f "$TRASH/sick" &&
	test_expect_code 5 "$ROGER" scale --app web/checked 2 >out 2>err &&
	rm -f "$TRASH/sick" &&
	test_grep "^roger: task .* of the new version was killed for failing its health checks" err &&
	test_grep "^roger: rolled back" err &&
	wait_idle 10 &&
	test "$(app_get web/checked "a[\"instances\"]")" = 1
'

test_expect_success 'a slow one with a short --timeout: exit 6, how to inspect and cancel' '
	dep=$(deploy_app "$(hello /web/slow "\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", \"gracePeriodSeconds\": 600, \"intervalSeconds\": 1}]")") &&
	wait_deployed "$dep" &&
	: >"$TRASH/slow" &&
	test_expect_code 6 "$ROGER" scale --app web/slow --timeout 3 2 >out 2>err &&
	test_grep "^roger: timed out after 3 s waiting for the deployment of app ./web/slow.: 1/2 healthy" err &&
	test_grep "^roger: deployment .* is left running; wait for it with .roger status --wait --app /web/slow.$" err &&
	test_grep "^roger: to undo it: .roger scale 1 --force --app /web/slow.$" err &&
	test "$(lcurl -s "$LOCAL_URL/v2/deployments" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" -ge 1
'

test_expect_success 'a deployment in progress locks the app: exit 7, --force overrides it' '
	test_expect_code 7 "$ROGER" scale --app web/slow 1 >out 2>err &&
	test_grep "^roger: app locked by deployment .* in progress (HTTP 409 from .*); pass --force to override it" err &&
	test_line_count 1 err &&
	"$ROGER" scale --app web/slow --force --detach 0 >out 2>err &&
	test_grep "^deployment .* of app .*/web/slow.* started; not waiting for it (--detach)$" out &&
	test_grep "^roger: wait for it with .roger status --wait --app /web/slow.$" err &&
	rm -f "$TRASH/slow" &&
	"$ROGER" status --wait --app web/slow >out 2>err &&
	test_grep "^instances:  0 of 0 running, 0 staged" out &&
	wait_idle 20 &&
	test "$(app_get web/slow "a[\"instances\"]")" = 0
'

test_expect_success 'a protected target needs --yes, and never prompts off a terminal' '
	test_expect_code 1 "$ROGER" -t prod scale --app web/checked 2 </dev/null >out 2>err &&
	test_grep "^roger: scale app ./web/checked. from 1 to 2 instances on protected target .prod. needs confirmation and standard input is not a terminal; pass --yes$" err &&
	test "$(app_get web/checked "a[\"instances\"]")" = 1 &&
	"$ROGER" -t prod scale --yes --app web/checked 2 >out 2>err &&
	test_grep "scaled to 2 instances" out &&
	"$ROGER" -t prod scale -n --app web/checked 1 >out &&
	test_grep "^PUT " out
'

tty_why=$(test_tty_why)
if [ -z "$tty_why" ]; then
test_expect_success 'on a terminal: one progress line, rewritten in place' '
	script -qec "\"$ROGER\" scale --app web/hello --settle 1 3" /dev/null </dev/null >tty.out &&
	cr=$(printf "\r\033[K") &&
	grep -F -q "${cr}roger: scaling '"'"'/web/hello'"'"' to 3: " tty.out &&
	test_grep "roger: scaling ./web/hello. to 3: .* ([0-9]* s)" tty.out &&
	test_grep "scaled to 3 instances: 3/3 running" tty.out &&
	"$ROGER" scale --app web/hello --settle 0 2 >/dev/null 2>&1
'

test_expect_success 'on a terminal, a protected target asks: no changes nothing, yes goes ahead' '
	n=$(app_get web/checked "a[\"instances\"]") &&
	printf "n\n" | test_expect_code 1 script -qec "\"$ROGER\" -t prod scale --app web/checked 3" /dev/null >tty.out &&
	test_grep "on protected target .prod.? \[y/N\]" tty.out &&
	test_grep "not confirmed: nothing changed" tty.out &&
	test "$(app_get web/checked "a[\"instances\"]")" = "$n" &&
	printf "y\n" | script -qec "\"$ROGER\" -t prod scale --app web/checked 3" /dev/null >tty.out &&
	test_grep "scaled to 3 instances: 3/3 healthy" tty.out
'
else
	test_skip 'on a terminal: one progress line, rewritten in place' "$tty_why"
	test_skip 'on a terminal, a protected target asks' "$tty_why"
fi

test_expect_success 'usage errors: a count that is not one, a bad option after it, no app' '
	test_expect_code 2 "$ROGER" scale --app web/hello many 2>err &&
	test_grep "invalid instance count .many." err &&
	test_expect_code 2 "$ROGER" scale --app web/hello -1 2>err &&
	test_expect_code 2 "$ROGER" scale --app web/hello 2 --timeout 3x 2>err &&
	test_grep "invalid --timeout .3x.: expected a duration" err &&
	test_expect_code 2 "$ROGER" scale --app web/hello 2 3 2>err &&
	test_grep "unexpected argument .3." err &&
	test_expect_code 2 "$ROGER" scale --app web/hello 2>err &&
	test_grep "missing the instance count" err &&
	test_expect_code 2 "$ROGER" scale --timeout soon --app web/hello 2 2>err &&
	test_grep "invalid --timeout .soon." err &&
	test_expect_code 1 "$ROGER" scale --app web/nope 2 2>err &&
	test_grep "does not exist" err
'

# interrupt NAME ARGS...: `roger scale ARGS`, interrupted once it shows
# its progress (interrupt_roger).
interrupt() {
	name=$1
	shift
	interrupt_roger "$name" scaling scale "$@"
}

test_expect_success 'Ctrl-C: exit 130, the state reported, the deployment left running' '
	: >"$TRASH/slow" &&
	interrupt int1 --app web/slow 1 &&
	test "$(cat int1.status)" = 130 &&
	test_grep "^roger: interrupted while waiting for the deployment of app ./web/slow.: 0/1 healthy" int1.err &&
	test_grep "is left running" int1.err &&
	dep=$(lcurl -s "$LOCAL_URL/v2/deployments" | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") &&
	lcurl -s -X DELETE "$LOCAL_URL/v2/deployments/$dep" >/dev/null &&
	rm -f "$TRASH/slow" &&
	wait_idle 20
'

test_expect_success 'Ctrl-C with --rollback-on-interrupt: rolled back, exit 130' '
	interrupt int2 --app web/hello --settle 60 --rollback-on-interrupt 4 &&
	test "$(cat int2.status)" = 130 &&
	test_grep "^roger: interrupted while waiting" int2.err &&
	test_grep "^roger: rolling back deployment" int2.err &&
	test_grep "^roger: rolled back" int2.err &&
	wait_idle 20 &&
	test "$(app_get web/hello "a[\"instances\"]")" = 2 &&
	test "$(running web/hello)" = 2
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
