#!/bin/sh
# Release correctness against roger local, with the test app: a failed
# first deploy removes the app and says so (with health checks, and
# without them when the task exits at once, after the deployment ended);
# a failed deploy is rolled back by a version that records it, so that
# history shows "failed" and a later rollback never picks it; deploy
# --ref renders that commit's roger.json, and an uncommitted roger.json
# is refused unless --allow-dirty; a dirty release is labelled and shown;
# a scale survives deploys and rollbacks until roger.json's count changes.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096
local_config_prod ", \"artifacts\": \"$LOCAL_URL/artifacts/\""

# roger.json [INSTANCES [HEALTH [EXTRA]]]: the project of app /web/rel,
# run.sh in front of the test app; HEALTH "no" leaves out health checks.
roger_json() {
	if [ "${2:-yes}" = no ]; then
		hc=
	else
		hc=', "healthChecks": [{"protocol": "HTTP", "path": "/health",
		   "gracePeriodSeconds": 1, "intervalSeconds": 1, "timeoutSeconds": 1,
		   "maxConsecutiveFailures": 2}]'
	fi
	cat >repo/roger.json <<EOF
{"version": 1, "app": "rel", "group": "/web",
 "marathon": {"cmd": "sh ./run.sh", "instances": ${1:-1}, "cpus": 0.05, "mem": 8,
   "portDefinitions": [{"port": 0}], "backoffSeconds": 1,
   "backoffFactor": 1.01, "maxLaunchDelaySeconds": 2,
   "taskKillGracePeriodSeconds": 1 ${3:+, $3} $hc}}
EOF
}

# version 'SHELL LINES' [MESSAGE]: commit a run.sh that runs them first.
version() {
	printf '%s\nexec "%s"\n' "$1" "$TESTAPP" >repo/run.sh &&
	git -C repo add -A &&
	git -C repo commit -q -m "${2:-version: $1}" &&
	git -C repo rev-parse HEAD
}

live() {
	app_get web/rel "$1"
}

gone() {
	test "$(lcurl -s -o /dev/null -w '%{http_code}' "$LOCAL_URL/v2/apps/web/rel")" = 404
}

test_expect_success 'setup: a project' '
	test_create_repo repo &&
	roger_json
'

test_expect_success 'a failed first deploy removes the app: that is the rollback, and it worked' '
	version "echo \"no database\" >&2; exit 3" >/dev/null &&
	(cd repo && test_expect_code 5 "$ROGER" -o json deploy >../out 2>../err) &&
	test_grep "^roger: 3 tasks of the new version failed\|of the new version ended in TASK_FAILED after the deployment" err &&
	test_grep "^    no database$" err &&
	test_grep "^roger: rolled back: app ./web/rel. removed, as it did not exist before$" err &&
	test_grep ! "did not complete\|was deleted during" err &&
	test "$(json out "d[\"status\"]")" = failed &&
	test "$(json out "d[\"rollback\"][\"status\"]")" = succeeded &&
	test "$(json out "d[\"rollback\"][\"removed\"]")" = true &&
	test "$(json out "d[\"error\"][\"exit\"]")" = 5 &&
	gone
'

test_expect_success 'without health checks, a task that exits at once after the deployment ended: removed too' '
	roger_json 1 no &&
	version "sleep 1; echo \"bad config\" >&2; exit 3" >/dev/null &&
	(cd repo && test_expect_code 5 "$ROGER" deploy --settle 4s >../out 2>../err) &&
	test_grep "of the new version" err &&
	test_grep ! "nothing to roll back" err &&
	test_grep "^roger: rolled back: app ./web/rel. removed, as it did not exist before$" err &&
	wait_idle 20 &&
	gone
'

test_expect_success 'setup: two good releases' '
	roger_json &&
	c1=$(version ": v1" "first: it works") && echo "$c1" >c1 &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	c2=$(version ": v2" "second: still works") && echo "$c2" >c2 &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	test "$(live "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$c2"
'

test_expect_success 'a failed deploy: rolled back by a version that says so' '
	version "echo \"config file missing\" >&2; exit 3" "third: broken" >c3 &&
	(cd repo && test_expect_code 5 "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: rolled back to the previous version: 1/1 healthy$" err &&
	wait_idle 30 &&
	test "$(live "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(cat c2)" &&
	test "$(live "a[\"labels\"][\"ROGER_ROLLBACK_CAUSE\"]")" = failed &&
	test "$(live "a[\"labels\"][\"ROGER_ROLLBACK_COMMIT\"]")" = "$(cat c3)" &&
	test "$(live "a[\"labels\"][\"ROGER_ROLLBACK_BY\"]")" != None &&
	test "$(live "[t[\"version\"] for t in a[\"tasks\"]] == [a[\"version\"]]")" = true
'

test_expect_success 'history: the outcome of each version and its commit subject' '
	(cd repo && "$ROGER" history >../out 2>../err) &&
	test_line_count 0 err &&
	sed -n 1p out | grep "^  VERSION  *COMMIT  *OUTCOME  *ENV  *DEPLOYED BY  *CHANGES  *SUBJECT$" &&
	s1=$(cut -c1-12 c1) && s2=$(cut -c1-12 c2) && s3=$(cut -c1-12 c3) &&
	sed -n 2p out | grep "^\* [0-9T:.Z-]*  $s2  rollback  .*  second: still works$" &&
	sed -n 3p out | grep "^  [0-9T:.Z-]*  $s3  failed  .*  third: broken$" &&
	sed -n 4p out | grep "^  [0-9T:.Z-]*  $s2  deployed  .*  second: still works$" &&
	sed -n 5p out | grep "^  [0-9T:.Z-]*  $s1  deployed  .*  first: it works$" &&
	(cd repo && "$ROGER" -o json history >../out) &&
	python3 - "$(cat c3)" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	v = d["versions"]
	assert [x["outcome"] for x in v] == ["rollback", "failed", "deployed", "deployed"], v
	assert v[0]["rollback"]["of"] == v[1]["version"], v[0]
	assert v[0]["rollback"]["to"] == v[2]["version"], v[0]
	assert v[0]["rollback"]["commit"] == sys.argv[1], v[0]
	assert v[0]["rollback"]["cause"] == "failed", v[0]
	assert v[1]["subject"] == "third: broken", v[1]
	EOF
	failed=$(json out "d[\"versions\"][1][\"version\"]") &&
	(cd repo && "$ROGER" history "$failed" >../one) &&
	test_grep "^outcome:    failed$" one &&
	test_grep "^subject:    third: broken$" one
'

test_expect_success 'roger rollback passes over the release that failed' '
	(cd repo && "$ROGER" rollback --settle 1 >../out 2>../err) &&
	test_grep "rolled back to version .* (commit $(cut -c1-12 c1))" out &&
	test "$(live "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(cat c1)" &&
	test "$(live "a[\"labels\"][\"ROGER_ROLLBACK_CAUSE\"]")" = requested &&
	(cd repo && "$ROGER" -o json history >../out) &&
	test "$(json out "[x[\"outcome\"] for x in d[\"versions\"]][:2]")" = "[\"rollback\", \"rolled_back\"]" &&
	(cd repo && test_expect_code 1 "$ROGER" rollback 2>../err) &&
	test_grep "nothing to roll back to" err
'

test_expect_success 'a scale survives a deploy while roger.json keeps its count' '
	(cd repo && "$ROGER" scale 3 --settle 1 >../out 2>../err) &&
	c4=$(version ": v4") &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	test_grep "^roger: keeping the 3 live instances of app ./web/rel.: roger.json.s count (1) has not changed since the live release$" err &&
	test_grep ! "instances" out &&
	test "$(live "a[\"instances\"]")" = 3 &&
	test "$(live "a[\"labels\"][\"ROGER_INSTANCES\"]")" = 1 &&
	test "$(running web/rel)" = 3
'

test_expect_success 'roger diff says so too; a changed count in roger.json applies' '
	(cd repo && "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	roger_json 2 &&
	version ": v5" >/dev/null &&
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_grep "^~ instances: 3 -> 2$" out &&
	test_grep "^~ labels.ROGER_INSTANCES: \"1\" -> \"2\"$" out &&
	(cd repo && "$ROGER" -o json deploy >../out 2>../err) &&
	test "$(json out "d[\"instances\"]")" = "{\"live\": 3, \"roger_json\": 2, \"deployed\": 2, \"reason\": \"changed\"}" &&
	test "$(live "a[\"instances\"]")" = 2
'

test_expect_success 'a rollback keeps the scale too, while the count in roger.json is the same' '
	(cd repo && "$ROGER" scale 4 --settle 1 >../out 2>../err) &&
	version ": v6" >/dev/null &&
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	test "$(live "a[\"instances\"]")" = 4 &&
	(cd repo && "$ROGER" rollback --settle 1 >../out 2>../err) &&
	test_grep "^roger: keeping the 4 live instances" err &&
	test_grep ! "^~ instances" out &&
	test "$(live "a[\"instances\"]")" = 4 &&
	(cd repo && "$ROGER" scale 1 --settle 1 >../out 2>../err)
'

test_expect_success 'deploy --ref renders the roger.json of that commit' '
	roger_json 1 yes "\"env\": {\"GREETING\": \"old\"}" &&
	old=$(version ": v7") &&
	roger_json 1 yes "\"env\": {\"GREETING\": \"new\"}" &&
	version ": v8" >/dev/null &&
	(cd repo && "$ROGER" deploy --ref "$old" >../out 2>../err) &&
	test "$(live "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$old" &&
	test "$(live "a[\"env\"][\"GREETING\"]")" = old &&
	(cd repo && "$ROGER" diff --ref HEAD~1 >../out 2>../err) &&
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_grep "^~ env.GREETING: \"old\" -> \"new\"$" out
'

test_expect_success 'deploy --ref of a commit without roger.json: exit 1, nothing deployed' '
	v=$(live "a[\"version\"]") &&
	first=$(git -C repo rev-list --max-parents=0 HEAD) &&
	(cd repo && test_expect_code 1 "$ROGER" deploy --ref "$first" >../out 2>../err) &&
	test_grep "^roger: commit $(echo "$first" | cut -c1-12) has no .roger.json." err &&
	test "$(live "a[\"version\"]")" = "$v"
'

test_expect_success 'a roger.json with uncommitted changes is refused, or used with --allow-dirty' '
	v=$(live "a[\"version\"]") &&
	roger_json 1 yes "\"env\": {\"GREETING\": \"dirty\"}" &&
	(cd repo && test_expect_code 1 "$ROGER" deploy >../out 2>../err) &&
	echo "roger: '\''roger.json'\'' has uncommitted changes; commit it, or pass --allow-dirty to use the work tree as it is" >expect &&
	test_cmp expect err &&
	test "$(live "a[\"version\"]")" = "$v" &&
	(cd repo && "$ROGER" deploy --allow-dirty >../out 2>../err) &&
	test_grep "^roger: warning: .roger.json. has uncommitted changes: using it as it is in the work tree (--allow-dirty)$" err &&
	test "$(live "a[\"env\"][\"GREETING\"]")" = dirty &&
	test "$(live "a[\"labels\"][\"ROGER_DIRTY\"]")" = true
'

test_expect_success 'a dirty release shows in status and history' '
	head=$(git -C repo rev-parse HEAD | cut -c1-12) &&
	(cd repo && "$ROGER" status >../out 2>../err) &&
	test_grep "^release:    commit $head with uncommitted changes (--allow-dirty), " out &&
	test_grep "^local:      HEAD is the live commit, but the live release has uncommitted changes of a work tree; this one has uncommitted changes too$" out &&
	test_grep ! "HEAD is the live commit$" out &&
	(cd repo && "$ROGER" -o json status >../out) &&
	test "$(json out "d[\"release\"][\"dirty\"]")" = true &&
	test "$(json out "d[\"head\"][\"is_live\"]")" = false &&
	(cd repo && "$ROGER" history -n 1 >../out) &&
	test_grep "^\* [0-9T:.Z-]*  $head-dirty  deployed  " out
'

test_expect_success 'an untracked roger.json is refused like a dirty tree' '
	mkdir -p mono/web &&
	test_create_repo mono "echo x >README && cp ../repo/run.sh web/run.sh" &&
	cp repo/roger.json mono/web/roger.json &&
	(cd mono/web && test_expect_code 1 "$ROGER" build >../../out 2>../../err) &&
	test_grep "^roger: .roger.json. is not committed; commit it, or pass --allow-dirty" err &&
	(cd mono/web && "$ROGER" build --allow-dirty >../../out 2>../../err) &&
	test_grep "^roger: warning: .roger.json. is not committed: using it as it is in the work tree (--allow-dirty)$" err &&
	(cd mono/web && "$ROGER" -o json diff --allow-dirty >../../out 2>../../err || test $? = 1) &&
	test "$(json out "d[\"rendered\"][\"labels\"][\"ROGER_DIRTY\"]")" = true
'

test_expect_success 'a fetch that fails: the fetcher'"'"'s lines are shown, after the task'"'"'s own (none)' '
	git -C repo checkout -q roger.json &&
	roger_json 1 yes "\"fetch\": [{\"uri\": \"http://127.0.0.1:9/nothing.tar.gz\"}]" &&
	version ": v9" >/dev/null &&
	(cd repo && test_expect_code 5 "$ROGER" -o json deploy >../out 2>../err) &&
	test_grep "^roger: task .* wrote nothing on its standard error or output$" err &&
	test_grep "^roger: the fetcher.s lines for task " err &&
	test_grep "^    .*Failed to fetch" err &&
	test "$(json out "\"Failed to fetch\" in d[\"fetcher_log\"]")" = true
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
