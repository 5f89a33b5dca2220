#!/bin/sh
# roger apps against roger local: outside a project every app of the
# target, sorted, with its instances, health and release; in a project the
# project's app only, --all for the others; a project app not on the
# target (said, exit 0); -o json; a target that cannot be reached (4).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096
local_config

C=0123456789abcdef0123456789abcdef01234567
SHA=aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999

# release APP INSTANCES [JSON-FRAGMENT]: PUT APP as roger deploy would.
release() {
	body=$(python3 -c 'import json, sys
a = {"cmd": "exec " + sys.argv[1], "cpus": 0.05, "mem": 8, "instances": int(sys.argv[3]),
     "portDefinitions": [{"port": 0}],
     "labels": {"ROGER_APP": sys.argv[2], "ROGER_ENV": "", "ROGER_COMMIT": sys.argv[4],
                "ROGER_ARTIFACT_SHA256": sys.argv[5], "ROGER_VERSION": "0.1.0",
                "ROGER_DEPLOYED_BY": "alice@laptop"}}
a.update(json.loads(sys.argv[6]))
print(json.dumps(a))' "$TESTAPP" "/$1" "$2" "$C" "$SHA" "${3:-{\}}")
	st=$(http PUT "/v2/apps/$1?force=true" "$body") &&
	case $st in 200|201) ;; *) cat body >&2; return 1 ;; esac &&
	wait_deployed "$(header Marathon-Deployment-Id)" 60
}

test_expect_success 'setup: three apps, one of them not roger'"'"'s' '
	release web/hello 2 "{\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", \"gracePeriodSeconds\": 30, \"intervalSeconds\": 1}]}" &&
	release db/cache 1 "{\"labels\": {\"ROGER_APP\": \"/db/cache\", \"ROGER_ENV\": \"prod\", \"ROGER_COMMIT\": \"$C\", \"ROGER_DIRTY\": \"true\"}}" &&
	dep=$(deploy_app "{\"id\": \"/plain\", \"cmd\": \"exec $TESTAPP\", \"cpus\": 0.05, \"mem\": 8, \"instances\": 0}") &&
	wait_deployed "$dep" &&
	wait_for 30 "test \"\$(app_get web/hello \"a[\\\"tasksHealthy\\\"]\")\" = 2"
'

test_expect_success 'outside a project: every app, sorted, one line each' '
	"$ROGER" apps >out 2>err &&
	test_line_count 0 err &&
	test_line_count 4 out &&
	sed -n 1p out | grep "^ID  *ADDRESS  *INSTANCES  *HEALTH  *COMMIT  *ENV  *DEPLOYMENT$" &&
	sed -n 2p out | grep "^/db/cache  *[^ ]*  *1/1  *-  *0123456789ab-dirty  *prod  *-$" &&
	sed -n 3p out | grep "^/plain  *[^ ]*  *0/0  *-  *-  *-  *-$" &&
	sed -n 4p out | grep "^/web/hello  *http://hello.web.localhost:[0-9]*/  *2/2  *2/2 healthy  *0123456789ab  *(base)  *-$"
'

test_expect_success '-o json: each app with its stable address' '
	"$ROGER" -o json apps >out &&
	json out "[a[\"address\"] for a in d[\"apps\"] if a[\"id\"] == \"/web/hello\"][0]" >addr &&
	grep "^http://hello.web.localhost:[0-9]*/$" addr
'

test_expect_success 'in a project: its app only; --all for every one' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	(cd repo && "$ROGER" apps >../out 2>../err) &&
	test_line_count 2 out &&
	sed -n 2p out | grep "^/web/hello  " &&
	(cd repo && "$ROGER" apps --all >../out 2>../err) &&
	test_line_count 4 out
'

test_expect_success 'a project app not on the target: said, nothing listed, exit 0' '
	test_create_repo other "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"nope\\\"}\" >roger.json" &&
	(cd other && "$ROGER" apps >../out 2>../err) &&
	test_line_count 0 out &&
	echo "roger: app '\''/nope'\'' is not on target '\''local'\''; --all lists every app there" >expect &&
	test_cmp expect err &&
	(cd other && "$ROGER" -o json apps >../out 2>../err) &&
	test "$(json out "d[\"apps\"]")" = "[]"
'

test_expect_success '-o json: one document' '
	"$ROGER" -o json apps >out &&
	python3 - "$C" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	assert d["target"] == "local" and d["all"] is True, d
	apps = {a["id"]: a for a in d["apps"]}
	assert [a["id"] for a in d["apps"]] == ["/db/cache", "/plain", "/web/hello"], d
	h = apps["/web/hello"]
	assert h["instances"] == {"wanted": 2, "running": 2, "staged": 0, "healthy": 2, "unhealthy": 0}, h
	assert h["health_checks"] is True and h["release"]["commit"] == sys.argv[1], h
	assert h["deployments"] == [] and h["version"].endswith("Z"), h
	assert apps["/db/cache"]["release"]["dirty"] is True, apps["/db/cache"]
	assert apps["/plain"]["release"] is None, apps["/plain"]
	EOF
'

test_expect_success 'a target that cannot be reached: 4' '
	port=$(test_free_port) &&
	ROGER_MARATHON_URL=http://127.0.0.1:$port test_expect_code 4 "$ROGER" apps >out 2>err &&
	test_line_count 0 out &&
	test_grep "127.0.0.1:$port" err
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
