#!/bin/sh
# Environments that set their own app and group: staging beside the base
# app on one cluster (roger local), each command acting on the app of the
# environment -e chooses, and ids checked before any request.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048
local_config

test_expect_success 'setup: a project whose staging is an app of its own' '
	test_create_repo repo "
		printf \"exec \\\"%s\\\"\\n\" \"\$TESTAPP\" >run.sh &&
		cat >roger.json <<-\EOF
		{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\",
		 \"marathon\": {\"cmd\": \"sh ./run.sh\", \"instances\": 1, \"cpus\": 0.05, \"mem\": 8,
		   \"env\": {\"WHO\": \"{{ app }}\"},
		   \"portDefinitions\": [{\"port\": 0}],
		   \"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", \"portIndex\": 0,
		     \"gracePeriodSeconds\": 5, \"intervalSeconds\": 1, \"timeoutSeconds\": 1}]},
		 \"environments\": {
		   \"staging\": {\"app\": \"hello-staging\", \"marathon\": {\"instances\": 2}},
		   \"qa\": {\"group\": \"/qa\"}}}
		EOF"
'

test_expect_success 'roger config shows the app of the environment' '
	"$ROGER" -C repo -e staging config >out &&
	test_grep "^app id: */web/hello-staging$" out &&
	"$ROGER" -C repo config >out &&
	test_grep "^app id: */web/hello$" out &&
	"$ROGER" -C repo -e qa -o json config >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"project\"][\"id\"] == \"/qa/hello\", d"
'

test_expect_success 'staging and the base app deploy side by side' '
	"$ROGER" -C repo -e staging deploy >out 2>err &&
	test_grep "^app ./web/hello-staging. created at commit .*: 2/2 healthy$" out &&
	"$ROGER" -C repo deploy >out 2>err &&
	test_grep "^app ./web/hello. created at commit .*: 1/1 healthy$" out &&
	test "$(running web/hello-staging)" = 2 &&
	test "$(running web/hello)" = 1 &&
	test "$(app_get web/hello-staging "a[\"env\"][\"WHO\"]")" = hello-staging &&
	test "$(app_get web/hello "a[\"env\"][\"WHO\"]")" = hello &&
	test "$(app_get web/hello-staging "a[\"labels\"][\"ROGER_ENV\"]")" = staging &&
	test "$(app_get web/hello-staging "a[\"labels\"][\"ROGER_APP\"]")" = /web/hello-staging
'

test_expect_success 'diff and status act on the app of the environment' '
	"$ROGER" -C repo -e staging diff >out &&
	"$ROGER" -C repo -e staging status >out &&
	test_grep "/web/hello-staging" out &&
	test_grep ! "/web/hello\$" out &&
	"$ROGER" -C repo -e staging scale 1 --yes >out &&
	test "$(running web/hello-staging)" = 1 &&
	test "$(running web/hello)" = 1
'

test_expect_success 'an environment app id that breaks the rules: exit 3, nothing sent' '
	lcurl -s "$LOCAL_URL/v2/apps" >before &&
	sed "s/\"qa\": {\"group\": \"\/qa\"}/\"qa\": {\"group\": \"\/QA\"}/" repo/roger.json >bad.json &&
	cp bad.json repo/roger.json &&
	test_expect_code 3 "$ROGER" -C repo -e qa deploy --allow-dirty >out 2>err &&
	test_line_count 1 err &&
	test_grep "roger: roger.json: environments.qa: invalid group ./QA.: segment .QA." err &&
	lcurl -s "$LOCAL_URL/v2/apps" >after &&
	test_cmp before after &&
	git -C repo checkout -q roger.json
'

test_done
