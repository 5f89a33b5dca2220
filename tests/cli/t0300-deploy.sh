#!/bin/sh
# roger deploy against roger local with the test app: a first deploy (the
# app created, answering at the printed address), an update to a new
# commit, an unchanged app (nothing sent), --force, -o json, a version
# that crash-loops (exit 5, the stderr tail, the previous version running
# again), one that never gets healthy (exit 5), a slow one (exit 6 with a
# short --timeout), the lock that leaves (exit 7, --force), Ctrl-C (exit
# 130, the deployment left running), --detach, the dry run (nothing pushed
# or sent), a protected target, a definition Marathon refuses (exit 3 with
# its reasons per path), --var with secrets masked, and the built-in local
# target started when it is not running.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096

local_config_prod ", \"artifacts\": \"$LOCAL_URL/artifacts/\""

# The project: the test app started by run.sh, which is part of the
# artifact, so that each version of the app behaves as its commit says.
# roger.json ARGS: write roger.json with health check settings ARGS.
roger_json() {
	cat >repo/roger.json <<EOF
{"version": 1, "app": "hello", "group": "/web",
 "marathon": {"cmd": "sh ./run.sh", "instances": 1, "cpus": 0.05, "mem": 8,
   "portDefinitions": [{"port": 0}], "backoffSeconds": 1,
   "backoffFactor": 1.01, "maxLaunchDelaySeconds": 2,
   "taskKillGracePeriodSeconds": 1 ${2:+, $2},
   "healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
     "gracePeriodSeconds": ${1:-1}, "intervalSeconds": 1, "timeoutSeconds": 1,
     "maxConsecutiveFailures": 2}]}}
EOF
}

# version 'SHELL LINES': commit a run.sh that runs them before the app.
version() {
	printf '%s\nexec "%s"\n' "$1" "$TESTAPP" >repo/run.sh &&
	git -C repo add -A &&
	git -C repo commit -q -m "version: $1" &&
	git -C repo rev-parse HEAD
}

# live EXPR: a Python expression over the live app `a`.
live() {
	app_get web/hello "$1"
}

live_commit() {
	live 'a["labels"]["ROGER_COMMIT"]'
}

test_expect_success 'setup: a project' '
	test_create_repo repo &&
	roger_json &&
	c1=$(version ": v1") &&
	echo "$c1" >c1
'

test_expect_success 'the first deploy creates the app and prints its addresses, the stable one first' '
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	c1=$(cat c1) && short=$(echo "$c1" | cut -c1-12) &&
	test_grep "^app ./web/hello. does not exist on target .local.: creating it at commit $short$" out &&
	test_grep "^+ cmd: \"sh ./run.sh\"$" out &&
	test_grep "^+ cpus: 0.05$" out &&
	test_grep "^app ./web/hello. created at commit $short: 1/1 healthy$" out &&
	test_grep "^roger: deploying ./web/hello. at $short: " err &&
	test "$(live_commit)" = "$c1" &&
	test "$(running web/hello)" = 1 &&
	grep "^http://" out >addrs &&
	test_line_count 2 addrs &&
	front=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"router\"])" "$LOCAL_STATE/server.json") &&
	test "$(head -n 1 addrs)" = "http://hello.web.localhost:${front#*:}/" &&
	curl -sf -H "Host: hello.web.localhost" "http://$front/" >answer &&
	test_grep "^testapp " answer &&
	curl -sf "$(tail -n 1 addrs)" >answer &&
	test_grep "^testapp " answer
'

test_expect_success 'a new commit: the diff, then the new version runs' '
	c2=$(version ": v2") && echo "$c2" >c2 &&
	short=$(echo "$c2" | cut -c1-12) &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	test_grep "^changes to app ./web/hello. on target .local. (commit $short):$" out &&
	test_grep "^~ labels.ROGER_COMMIT: \"$(cat c1)\" -> \"$c2\"$" out &&
	test_grep "^~ fetch\[0\].uri: " out &&
	test_grep ! "ROGER_DEPLOYED_BY" out &&
	test_grep "^app ./web/hello. deployed at commit $short: 1/1 healthy$" out &&
	test "$(live_commit)" = "$c2" &&
	test "$(live "[t[\"version\"] for t in a[\"tasks\"]] == [a[\"version\"]]")" = true
'

test_expect_success 'unchanged: nothing to deploy, nothing sent' '
	v=$(live "a[\"version\"]") &&
	short=$(cut -c1-12 c2) &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	echo "app '"'"'/web/hello'"'"' is up to date (commit $short): nothing to deploy" >expect &&
	grep "^http://hello.web.localhost:[0-9]*/$" out >>expect &&
	grep "^http://127.0.0.1:[0-9]*/$" out >>expect &&
	test_cmp expect out &&
	test_line_count 3 out &&
	test_line_count 0 err &&
	test "$(live "a[\"version\"]")" = "$v" &&
	test "$(lcurl -s "$LOCAL_URL/v2/deployments")" = "[]"
'

test_expect_success '--force deploys the unchanged app again' '
	v=$(live "a[\"version\"]") &&
	(cd repo && "$ROGER" deploy --force >../out 2>../err) &&
	test_grep "is unchanged: deploying commit .* again (--force)$" out &&
	test_grep "^app ./web/hello. deployed at commit " out &&
	test "$(live "a[\"version\"]")" != "$v"
'

test_expect_success '-o json: one document with the diff, artifact, deployment and watch' '
	c3=$(version ": v3") && echo "$c3" >c3 &&
	(cd repo && "$ROGER" -o json -q deploy >../out 2>../err) &&
	test_line_count 0 err &&
	test "$(json out "d[\"status\"]")" = succeeded &&
	test "$(json out "d[\"commit\"]")" = "$c3" &&
	test "$(json out "d[\"created\"]")" = false &&
	test "$(json out "d[\"artifact\"][\"commit\"]")" = "$c3" &&
	sha=$(json out "d[\"artifact\"][\"sha256\"]") &&
	test "$(json out "d[\"artifact\"][\"url\"]")" = "$LOCAL_URL/artifacts/web/hello/$sha.tar.gz" &&
	test "$(json out "d[\"artifact\"][\"pushed\"]")" = true &&
	test "$(json out "[c[\"op\"] for c in d[\"diff\"] if c[\"path\"] == \"labels.ROGER_COMMIT\"]")" = "[\"change\"]" &&
	test -n "$(json out "d[\"deployment\"]")" &&
	test "$(json out "d[\"watch\"][\"state\"]")" = succeeded &&
	test "$(json out "len(d[\"addresses\"])")" = 1 &&
	json out "d[\"address\"]" | grep "^http://hello.web.localhost:[0-9]*/$" &&
	test "$(live "a[\"labels\"][\"ROGER_ARTIFACT_SHA256\"]")" = "$sha"
'

test_expect_success 'a version that crash-loops: exit 5, the stderr tail, the previous one back' '
	version "echo \"config file missing: /etc/hello.conf\" >&2; exit 3" >/dev/null &&
	(cd repo && test_expect_code 5 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: 3 tasks of the new version failed" err &&
	test_grep "^roger: the last lines of the standard error of task" err &&
	test_grep "^    config file missing: /etc/hello.conf$" err &&
	grep -A1 "^roger: the last lines of the standard error of task" err | sed -n 2p >first &&
	echo "    config file missing: /etc/hello.conf" >expect &&
	test_cmp expect first &&
	test_grep ! "fetcher\\] \\|Fetching URI\\|Forked command\\|sh -c " err &&
	test_grep "^roger: rolling back deployment" err &&
	test_grep "^roger: rolled back" err &&
	test_grep ! "deployed at commit" out &&
	wait_idle 30 &&
	test "$(live_commit)" = "$(cat c3)" &&
	test "$(running web/hello)" = 1
'

test_expect_success 'a version that never gets healthy: exit 5, rolled back' '
	version "export TESTAPP_UNHEALTHY=1" >/dev/null &&
	(cd repo && test_expect_code 5 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: task .* of the new version was killed for failing its health checks" err &&
	test_grep "^roger: rolled back" err &&
	wait_idle 30 &&
	test "$(live_commit)" = "$(cat c3)"
'

test_expect_success 'a slow one with a short --timeout: exit 6, how to inspect and cancel' '
	roger_json 600 &&
	version "export TESTAPP_HANG=1" >/dev/null &&
	(cd repo && test_expect_code 6 "$ROGER" deploy --timeout 3 >../out 2>../err) &&
	test_grep "^roger: timed out after 3 s waiting for the deployment of app ./web/hello.: 0/1 healthy" err &&
	test_grep "^roger: deployment .* is left running; wait for it with .roger status --wait.$" err &&
	test_grep "^roger: to undo it: .roger rollback --to 20[-0-9T:.]*Z --force.$" err &&
	test "$(lcurl -s "$LOCAL_URL/v2/deployments" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 1
'

test_expect_success 'roger status --wait waits for the deployment left running, with its own --timeout' '
	(cd repo && test_expect_code 6 "$ROGER" status --wait --timeout 2s >../out 2>../err) &&
	test_grep "^roger: timed out after 2 s waiting for the deployment of app ./web/hello.: 0/1 healthy" err &&
	test_grep "^roger: deployment .* is left running; wait for it with .roger status --wait.$" err &&
	test_grep ! "to undo it" err &&
	test_grep "^app: *web/hello\|^app: .*/web/hello" out &&
	test_grep "^deployments:" out &&
	(cd repo && test_expect_code 6 "$ROGER" -o json status --wait --timeout 1 >../out 2>../err) &&
	test "$(json out "d[\"wait\"][\"status\"]")" = timed_out &&
	test "$(json out "d[\"error\"][\"exit\"]")" = 6 &&
	(cd repo && test_expect_code 2 "$ROGER" status --timeout 1 2>../err) &&
	test_grep "give --wait too" err
'

test_expect_success 'the deployment left running locks the app: exit 7, then --force' '
	roger_json &&
	c4=$(version ": v4") &&
	(cd repo && test_expect_code 7 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: app locked by deployment .* in progress (HTTP 409 from .*); pass --force to override it" err &&
	test_line_count 1 err &&
	(cd repo && "$ROGER" deploy --force >../out 2>../err) &&
	test_grep "^app ./web/hello. deployed at commit " out &&
	wait_idle 30 &&
	test "$(live_commit)" = "$c4"
'

# interrupt: `roger deploy` in the project, interrupted once it shows its
# progress (interrupt_roger), its output in int.out and int.err.
interrupt() {
	(cd "$TRASH/repo" && interrupt_roger int deploying deploy)
}

test_expect_success 'Ctrl-C: exit 130, the state reported, the deployment left running' '
	c4=$(live_commit) &&
	roger_json 600 &&
	version "export TESTAPP_HANG=1" >/dev/null &&
	interrupt &&
	test "$(cat int.status)" = 130 &&
	test_grep "^roger: interrupted while waiting for the deployment of app ./web/hello.: 0/1 healthy" int.err &&
	test_grep "is left running" int.err &&
	dep=$(lcurl -s "$LOCAL_URL/v2/deployments" | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") &&
	lcurl -s -X DELETE "$LOCAL_URL/v2/deployments/$dep" >/dev/null &&
	wait_idle 30 &&
	test "$(live_commit)" = "$c4" &&
	roger_json
'

test_expect_success '--detach: started, not waited for' '
	c5=$(version ": v5") &&
	(cd repo && "$ROGER" deploy --detach >../out 2>../err) &&
	test_grep "^deployment .* of app ./web/hello. started; not waiting for it (--detach)$" out &&
	test_grep "^roger: wait for it with .roger status --wait.$" err &&
	test_line_count 1 err &&
	test_grep ! "^http://" out &&
	wait_idle 30 &&
	test "$(live_commit)" = "$c5"
'

test_expect_success 'the dry run builds, prints the diff and the PUT, and sends nothing' '
	v=$(live "a[\"version\"]") &&
	c6=$(version ": v6") &&
	(cd repo && "$ROGER" deploy -n >../out 2>../err) &&
	test_grep "^~ labels.ROGER_COMMIT: .* -> \"$c6\"$" out &&
	test_grep "^PUT $LOCAL_URL/v2/apps/web/hello?partialUpdate=false$" out &&
	test_grep "\"ROGER_COMMIT\":\"$c6\"" out &&
	test "$(live "a[\"version\"]")" = "$v" &&
	(cd repo && "$ROGER" -o json deploy --dry-run >../out) &&
	test "$(json out "d[\"status\"]")" = dry_run &&
	test "$(json out "d[\"artifact\"][\"pushed\"]")" = false &&
	url=$(json out "d[\"artifact\"][\"url\"]") &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -I "$url")" = 404 &&
	test "$(json out "d[\"request\"][\"body\"][\"labels\"][\"ROGER_COMMIT\"]")" = "$c6"
'

test_expect_success 'a protected target needs --yes, and never prompts off a terminal' '
	(cd repo && test_expect_code 1 "$ROGER" -t prod deploy </dev/null >../out 2>../err) &&
	test_grep "^roger: deploy commit .* of app ./web/hello. on protected target .prod. needs confirmation and standard input is not a terminal; pass --yes$" err &&
	test "$(live_commit)" != "$(git -C repo rev-parse HEAD)" &&
	(cd repo && "$ROGER" -t prod deploy --yes >../out 2>../err) &&
	test_grep "^app ./web/hello. deployed at commit " out &&
	test "$(live_commit)" = "$(git -C repo rev-parse HEAD)"
'

test_expect_success 'a definition the schema check refuses: exit 3, the field, nothing sent' '
	roger_json 1 "\"killSelection\": \"RANDOM\"" &&
	version ": v7" >/dev/null &&
	(cd repo && test_expect_code 3 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: roger.json: marathon.killSelection: expected one of YOUNGEST_FIRST OLDEST_FIRST, got .RANDOM.$" err &&
	test_line_count 1 err &&
	test "$(live_commit)" = "$(git -C repo rev-parse HEAD~1)"
'

test_expect_success 'a definition Marathon refuses (422): exit 3, its reasons per path' '
	roger_json &&
	sed -i "s/\"portIndex\": 0/\"portIndex\": 3/" repo/roger.json &&
	version ": v7b" >/dev/null &&
	(cd repo && test_expect_code 3 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: roger.json: marathon.healthChecks\[0\]: health check port indices must address an element of the ports array" err &&
	test_line_count 1 err &&
	test "$(live_commit)" = "$(git -C repo rev-parse HEAD~2)"
'

test_expect_success 'setup: a good version again' '
	roger_json &&
	version ": v8" >/dev/null
'

test_expect_success 'variables expand, and the dry run masks secret-looking values' '
	roger_json 1 "\"env\": {\"GREETING\": \"{{ greeting }}\", \"API_TOKEN\": \"{{ token }}\"}" &&
	version ": v9" >/dev/null &&
	(cd repo && "$ROGER" deploy -n --var greeting=hi --var token=s3cr3t >../out 2>../err) &&
	test_grep "^+ env.GREETING: \"hi\"$" out &&
	test_grep "^+ env.API_TOKEN: \"\*\*\*\"$" out &&
	test_grep "\"API_TOKEN\":\"\*\*\*\"" out &&
	test_grep ! s3cr3t out &&
	test_grep ! s3cr3t err &&
	(cd repo && test_expect_code 3 "$ROGER" deploy -n --var greeting=hi >../out 2>../err) &&
	test_grep "token" err &&
	test_line_count 1 err &&
	roger_json &&
	version ": v10" >/dev/null
'

test_expect_success 'usage errors: an operand, --ref with --allow-dirty' '
	(cd repo && test_expect_code 2 "$ROGER" deploy now 2>../err) &&
	test_grep "unexpected argument .now." err &&
	(cd repo && test_expect_code 2 "$ROGER" deploy --ref HEAD --allow-dirty 2>../err) &&
	test_grep "cannot go with --ref" err
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

# The built-in target on a port of its own, with roger local not running:
# deploy starts it, saying so.
AUTO_PORT=$(test_free_port)
AUTO_CONFIG=$TRASH/auto-config
AUTO_STATE=$TRASH/auto-state
test_atexit 'XDG_CONFIG_HOME=$AUTO_CONFIG "$ROGER" local down >/dev/null 2>&1 || true'

test_expect_success 'the local target is started when it is not running' '
	mkdir -p "$AUTO_CONFIG/roger" &&
	echo "{\"local\": {\"port\": $AUTO_PORT, \"state_dir\": \"$AUTO_STATE\"}}" >"$AUTO_CONFIG/roger/config.json" &&
	! curl -sf "http://127.0.0.1:$AUTO_PORT/ping" &&
	(cd repo && XDG_CONFIG_HOME=$AUTO_CONFIG "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: starting roger local on port $AUTO_PORT (state in $AUTO_STATE)$" err &&
	test_grep "^app ./web/hello. created at commit " out &&
	curl -sf "$(grep -m 1 "^http://" out)" >answer &&
	test_grep "^testapp " answer &&
	XDG_CONFIG_HOME=$AUTO_CONFIG "$ROGER" local down >/dev/null 2>&1 &&
	! curl -sf "http://127.0.0.1:$AUTO_PORT/ping"
'

test_done
