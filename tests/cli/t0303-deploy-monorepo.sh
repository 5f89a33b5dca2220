#!/bin/sh
# A monorepo of two apps deployed to roger local: a commit that touches
# only one app leaves the other's release as it is (same artifact, same
# ROGER_COMMIT: "up to date", live at HEAD), and a commit to it deploys.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048
local_config

# app DIR NAME: a project in DIR running the test app.
app() {
	mkdir -p "repo/$1" &&
	printf 'exec "%s"\n' "$TESTAPP" >"repo/$1/run.sh" &&
	cat >"repo/$1/roger.json" <<EOF
{"version": 1, "app": "$2", "group": "/mono",
 "marathon": {"cmd": "sh ./run.sh", "instances": 1, "cpus": 0.05, "mem": 8,
   "portDefinitions": [{"port": 0}],
   "healthChecks": [{"protocol": "HTTP", "path": "/health", "portIndex": 0,
     "gracePeriodSeconds": 5, "intervalSeconds": 1, "timeoutSeconds": 1}]}}
EOF
}

test_expect_success 'setup: a repository with two apps, both deployed' '
	test_create_repo repo &&
	app vote vote && app result result &&
	git -C repo add -A && git -C repo commit -qm "two apps" &&
	git -C repo rev-parse HEAD >c1 &&
	"$ROGER" -C repo/vote deploy >out 2>err &&
	"$ROGER" -C repo/result deploy >out 2>err &&
	test "$(app_get mono/result "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(cat c1)"
'

test_expect_success 'a commit to vote leaves result up to date and live at HEAD' '
	echo "# v2" >>repo/vote/run.sh &&
	git -C repo commit -qam "vote only" &&
	"$ROGER" -C repo/result diff >out &&
	"$ROGER" -C repo/result deploy >out 2>err &&
	test_grep "^app ./mono/result. is up to date (commit $(cut -c1-12 c1)): nothing to deploy$" out &&
	"$ROGER" -C repo/result status >out &&
	test_grep "^local: *HEAD is the live commit$" out &&
	test "$(app_get mono/result "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(cat c1)"
'

test_expect_success 'while vote has a new release of its own commit' '
	"$ROGER" -C repo/vote status >out &&
	test_grep "differs from the live commit" out &&
	"$ROGER" -C repo/vote deploy >out 2>err &&
	test "$(app_get mono/vote "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(git -C repo rev-parse HEAD)"
'

test_expect_success 'a commit to result deploys it' '
	echo "# r2" >>repo/result/run.sh &&
	git -C repo commit -qam "result" &&
	test_expect_code 1 "$ROGER" -C repo/result diff >out &&
	"$ROGER" -C repo/result deploy >out 2>err &&
	test "$(app_get mono/result "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(git -C repo rev-parse HEAD)"
'

test_done
