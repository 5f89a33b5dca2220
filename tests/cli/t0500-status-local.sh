#!/bin/sh
# roger status and roger history against roger local, with the test app:
# releases made by PUTs carrying roger's labels (roger deploy does not exist
# yet), the live commit against the project's HEAD, healthy tasks, a
# deployment that stays in progress, a crash loop (last failure and the
# queue's backoff), -o json, --app, a missing app, one version by timestamp
# and by commit, the completion of app ids and versions, and a local
# target that is not running.
. "$TEST_SRCDIR/cli/lib.sh"

if [ ! -f "$TEST_SRCDIR/cli/lib-local.sh" ] ||
   ! "$ROGER" local -h >/dev/null 2>&1; then
	test_skip 'roger status against roger local' 'this tree has no roger local'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

SHA=aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999
OTHER=0000000000000000000000000000000000000001

# release COMMIT ENV BY [JSON-FRAGMENT]: PUT /web/hello as roger deploy
# would, with roger's labels; waits for its deployment to end unless
# NOWAIT is set.
release() {
	body=$(python3 -c 'import json, sys
a = {"cmd": "exec " + sys.argv[1], "cpus": 0.1, "mem": 16, "instances": 1,
     "portDefinitions": [{"port": 0}],
     "healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
                       "gracePeriodSeconds": 5, "intervalSeconds": 1,
                       "timeoutSeconds": 1, "maxConsecutiveFailures": 3}],
     "labels": {"ROGER_APP": "/web/hello", "ROGER_ENV": sys.argv[3],
                "ROGER_COMMIT": sys.argv[2], "ROGER_ARTIFACT_SHA256": sys.argv[5],
                "ROGER_VERSION": "0.1.0", "ROGER_DEPLOYED_BY": sys.argv[4]},
     "env": {"ROGER_COMMIT": sys.argv[2]}}
a.update(json.loads(sys.argv[6]))
print(json.dumps(a))' "$TESTAPP" "$1" "$2" "$3" "$SHA" "${4:-{\}}")
	st=$(http PUT "/v2/apps/web/hello?force=true" "$body")
	case $st in
	200|201) ;;
	*) echo "PUT answered $st:" >&2; cat body >&2; return 1 ;;
	esac
	[ -n "${NOWAIT:-}" ] || wait_deployed "$(header Marathon-Deployment-Id)"
}

test_expect_success 'setup: a project, its first release healthy' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	git -C repo rev-parse HEAD >head &&
	release "$(cat head)" "" alice@laptop &&
	wait_for 20 "test \"\$(app_get web/hello \"a[\\\"tasksHealthy\\\"]\")\" = 1"
'

test_expect_success 'status: the release, HEAD is live, a healthy task with its address' '
	(cd repo && "$ROGER" status >../out 2>../err) &&
	test_line_count 0 err &&
	short=$(cut -c1-12 head) &&
	port=$(app_get web/hello "a[\"tasks\"][0][\"ports\"][0]") &&
	task=$(app_get web/hello "a[\"tasks\"][0][\"id\"]") &&
	version=$(app_get web/hello "a[\"version\"]") &&
	test_grep "^app:        /web/hello on target local$" out &&
	test_grep "^version:    $version$" out &&
	test_grep "^release:    commit $short, environment (base), deployed by alice@laptop with roger 0.1.0$" out &&
	test_grep "^local:      HEAD is the live commit$" out &&
	test_grep "^instances:  1 of 1 running, 0 staged, 1 healthy, 0 unhealthy$" out &&
	test_grep "^  $task  127.0.0.1:$port  TASK_RUNNING  healthy  " out &&
	test_grep ! "^deployments:" out &&
	test_grep ! "^last failure:" out &&
	test_grep ! "^queue:" out
'

test_expect_success 'status: a new commit in the work tree, and uncommitted changes' '
	echo change >repo/file &&
	git -C repo add file &&
	git -C repo commit -q -m second &&
	new=$(git -C repo rev-parse HEAD | cut -c1-12) &&
	(cd repo && "$ROGER" status >../out) &&
	test_grep "^local:      HEAD $new differs from the live commit$" out &&
	echo more >>repo/file &&
	(cd repo && "$ROGER" status >../out) &&
	test_grep "^local:      HEAD $new differs from the live commit (and has uncommitted changes)$" out
'

test_expect_success 'status -o json: one document with every part' '
	(cd repo && "$ROGER" -o json status >../out) &&
	python3 - "$(cat head)" "$SHA" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	assert d["app"] == "/web/hello" and d["target"] == "local", d
	r = d["release"]
	assert r == {"commit": sys.argv[1], "env": "", "artifact_sha256": sys.argv[2],
	             "image": None, "image_base": None,
	             "deployed_by": "alice@laptop", "roger_version": "0.1.0",
	             "dirty": False}, r
	assert d["head"]["dirty"] is True and d["head"]["is_live"] is False, d["head"]
	assert d["instances"] == {"wanted": 1, "running": 1, "staged": 0,
	                          "healthy": 1, "unhealthy": 0}, d["instances"]
	t = d["tasks"][0]
	assert t["state"] == "TASK_RUNNING" and t["health"] == "healthy", t
	assert t["host"] == "127.0.0.1" and len(t["ports"]) == 1, t
	assert isinstance(t["age_seconds"], int) and t["age_seconds"] >= 0, t
	assert d["deployments"] == [] and d["last_task_failure"] is None, d
	assert d["queue"] is None, d
	EOF
'

test_expect_success 'a deployment that stays in progress, with its steps' '
	NOWAIT=1 release "$OTHER" prod ci "{\"env\": {\"ROGER_COMMIT\": \"$OTHER\", \"TESTAPP_UNHEALTHY\": \"1\"}}" &&
	dep=$(header Marathon-Deployment-Id) &&
	(cd repo && "$ROGER" status >../out) &&
	test_grep "^deployments:$" out &&
	test_grep "^  $dep (version [0-9T:.Z-]*): step 1 of 1$" out &&
	test_grep "^    > 1. RestartApplication /web/hello$" out &&
	test_grep "^release:    commit 000000000000, environment prod, deployed by ci with roger 0.1.0$" out &&
	(cd repo && "$ROGER" -o json status >../out.json) &&
	test "$(json out.json "d[\"deployments\"][0][\"id\"]")" = "$dep" &&
	test "$(json out.json "d[\"deployments\"][0][\"steps\"][0][\"actions\"][0][\"action\"]")" = RestartApplication
'

test_expect_success 'a task of the previous version is marked as such' '
	(cd repo && "$ROGER" status >../out) &&
	test_grep "  (previous version [0-9T:.Z-]*)$" out
'

test_expect_success 'history: newest first, the live one marked, what changed' '
	release "$(cat head)" "" alice@laptop "{\"instances\": 1}" &&
	lcurl -s -XPUT -H "Content-Type: application/json" -d "{\"instances\": 2}" \
		"$LOCAL_URL/v2/apps/web/hello" >/dev/null &&
	wait_idle 30 &&
	(cd repo && "$ROGER" history >../out 2>../err) &&
	test_line_count 0 err &&
	lcurl -s "$LOCAL_URL/v2/apps/web/hello/versions" >versions &&
	json versions "\"\\n\".join(sorted(d[\"versions\"], reverse=True))" >sorted &&
	short=$(cut -c1-12 head) &&
	test_line_count 5 out &&
	sed -n 1p out >header &&
	test_grep "^  VERSION  *COMMIT  *OUTCOME  *ENV  *DEPLOYED BY  *CHANGES  *SUBJECT$" header &&
	sed -n 2p out | grep "^\* $(sed -n 1p sorted)  $short  scaled  *(base)  *alice@laptop  instances 1 -> 2  initial$" &&
	sed -n 3p out | grep "^  $(sed -n 2p sorted)  $short  deployed  *(base)  *alice@laptop  commit, env  *initial$" &&
	sed -n 4p out | grep "^  $(sed -n 3p sorted)  000000000000  deployed  *prod  *ci  *commit, env  *-$" &&
	sed -n 5p out | grep "^  $(sed -n 4p sorted)  $short  deployed  *(base)  *alice@laptop  created  *initial$"
'

test_expect_success 'history -n: fewer versions, a note about the others' '
	(cd repo && "$ROGER" history -n 2 >../out 2>../err) &&
	test_line_count 3 out &&
	echo "roger: showing the 2 newest of 4 versions; -n all shows every one" >expect &&
	test_cmp expect err &&
	(cd repo && "$ROGER" -q history -n 1 >../out 2>../err) &&
	test_line_count 0 err &&
	(cd repo && test_expect_code 2 "$ROGER" history -n 0 2>../err) &&
	test_grep "invalid --count .0." err
'

test_expect_success 'history -o json' '
	(cd repo && "$ROGER" -o json history -n all >../out) &&
	python3 - "$(cat head)" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	assert d["app"] == "/web/hello" and d["total"] == 4, d
	v = d["versions"]
	assert [x["version"] for x in v] == sorted([x["version"] for x in v], reverse=True)
	assert v[0]["live"] and not any(x["live"] for x in v[1:]), v
	assert d["live_version"] == v[0]["version"], d
	assert v[0]["summary"] == "instances 1 -> 2", v[0]
	assert [x["outcome"] for x in v] == ["scaled", "deployed", "deployed", "deployed"], v
	assert v[0]["subject"] == "initial" and v[2]["subject"] is None, v
	assert v[0]["rollback"] is None, v[0]
	assert v[0]["changes"] == [{"path": "instances", "op": "change", "old": 1, "new": 2}], v[0]
	assert v[2]["release"]["commit"] == "0" * 39 + "1" and v[2]["release"]["env"] == "prod"
	assert v[3]["summary"] == "created" and v[3]["changes"] is None, v[3]
	EOF
'

test_expect_success 'history VERSION and history COMMIT: one version and its changes' '
		v=$(sed -n 3p sorted) &&
	(cd repo && "$ROGER" history "$v" >../out) &&
	h=$(cat head) &&
	printf "%s\n" "version:    $v" \
		"release:    commit $OTHER, environment prod, deployed by ci with roger 0.1.0" \
		"outcome:    deployed" \
		"changes from $(sed -n 4p sorted):" \
		"~ env.ROGER_COMMIT: \"$h\" -> \"$OTHER\"" \
		"+ env.TESTAPP_UNHEALTHY: \"1\"" \
		"~ labels.ROGER_COMMIT: \"$h\" -> \"$OTHER\"" \
		"~ labels.ROGER_ENV: \"\" -> \"prod\"" >expect &&
	test_cmp expect out &&
	(cd repo && "$ROGER" history 0000000000 >../out2) &&
	test_cmp out out2 &&
	live=$(sed -n 1p sorted) &&
	(cd repo && "$ROGER" -o json history "$live" >../out) &&
	test "$(json out "d[\"live\"]")" = true &&
	test "$(json out "d[\"definition\"][\"instances\"]")" = 2 &&
	test "$(json out "d[\"previous\"]")" = "$(sed -n 2p sorted)" &&
	(cd repo && test_expect_code 1 "$ROGER" history 1234567 2>../err) &&
	echo "roger: app '\''/web/hello'\'' has no release of commit '\''1234567'\'' on target '\''local'\''" >expect &&
	test_cmp expect err &&
	(cd repo && test_expect_code 2 "$ROGER" history yesterday 2>../err) &&
	test_grep "invalid version .yesterday." err
'

test_expect_success 'a crash loop: the last failure and the backoff in the queue' '
	dep=$(deploy_app "{\"id\": \"/web/crash\", \"cmd\": \"exec $TESTAPP\", \"cpus\": 0.1, \"mem\": 16,
		\"env\": {\"TESTAPP_EXIT\": \"3\"}, \"backoffSeconds\": 20, \"backoffFactor\": 2}") &&
	wait_for 20 "app_get web/crash \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	wait_for 20 "json_url /v2/queue \"[q[\\\"delay\\\"][\\\"timeLeftSeconds\\\"] for q in d[\\\"queue\\\"] if q[\\\"app\\\"][\\\"id\\\"] == \\\"/web/crash\\\"][0] > 0\" | grep -q true" &&
	(cd repo && "$ROGER" status --app web/crash >../out 2>../err) &&
	test_line_count 0 err &&
	test_grep "^release:    not deployed by roger (no ROGER_COMMIT label)$" out &&
	test_grep "^last failure: TASK_FAILED [0-9]*[smhd] ago, task web_crash\.[^ ]* on 127.0.0.1: Command exited with status 3$" out &&
	test_grep "^queue:      1 instance waiting to launch, delayed [0-9]* s more (backoff after failures) since " out &&
	test_grep ! "^local:" out &&
	(cd repo && "$ROGER" -o json status --app /web/crash >../out) &&
	test "$(json out "d[\"last_task_failure\"][\"state\"]")" = TASK_FAILED &&
	test "$(json out "d[\"queue\"][\"count\"]")" = 1 &&
	test "$(json out "d[\"release\"]")" = null &&
	test "$(json out "d[\"head\"]")" = null
'

test_expect_success '--app works outside a project' '
	"$ROGER" status --app /web/hello >out &&
	test_grep "^app:        /web/hello on target local$" out &&
	test_grep ! "^local:" out &&
	"$ROGER" history --app web/hello -n 1 >out &&
	test_line_count 2 out
'

test_expect_success 'a missing app: status 1 and one line naming it and the target' '
	test_expect_code 1 "$ROGER" status --app /web/nope >out 2>err &&
	echo "roger: app '\''/web/nope'\'' does not exist on target '\''local'\''" >expect &&
	test_cmp expect err &&
	test_line_count 0 out &&
	test_expect_code 1 "$ROGER" history --app /web/nope 2>err &&
	test_cmp expect err &&
	test_expect_code 2 "$ROGER" status --app /Web 2>err &&
	test_grep "invalid --app" err
'

test_expect_success 'completion: app ids of the target, then the versions and commits of one' '
	"$ROGER" __complete status --app "" >out 2>err &&
	printf "/web/crash\n/web/hello\n" >expect &&
	sort out >sorted-out &&
	test_cmp expect sorted-out &&
	test_line_count 0 err &&
	"$ROGER" __complete history --app web/h >out &&
	echo web/hello >expect &&
	test_cmp expect out &&
	"$ROGER" __complete history --app=/web/c >out &&
	echo --app=/web/crash >expect &&
	test_cmp expect out &&
	(cd repo && "$ROGER" __complete history "" >../out 2>../err) &&
	test_line_count 0 err &&
	cat sorted >expect &&
	cut -c1-12 head >>expect &&
	echo 000000000000 >>expect &&
	test_cmp expect out &&
	"$ROGER" __complete history --app /web/hello 0000 >out &&
	echo 000000000000 >expect &&
	test_cmp expect out
'

test_expect_success 'a local target that is not running: status 4, saying how to start it' '
	port=$(test_free_port) &&
	echo "{\"local\": {\"port\": $port}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	(cd repo && test_expect_code 4 "$ROGER" status >../out 2>../err) &&
	test_line_count 1 err &&
	test_grep "^roger: roger local is not running (state in .$XDG_STATE_HOME/roger/local.): start it with .roger local up.$" err &&
	test_line_count 0 out &&
	test ! -e "$XDG_STATE_HOME/roger/local/server.json" &&
	(cd repo && test_expect_code 4 "$ROGER" history 2>../err) &&
	test_grep "roger local is not running" err &&
	(cd repo && "$ROGER" __complete status --app "" >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 0 err
'

test_done
