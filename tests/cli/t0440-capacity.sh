#!/bin/sh
# Out of capacity, against a roger local of 1 cpu and 512 MiB: scale and
# deploy say what the waiting tasks need and what the agent has free while
# the launch queue declines offers for them, in the progress, on timeout
# and in -o json; once the capacity is there again, nothing more is said.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 1 --mem 512
local_config_prod ", \"artifacts\": \"$LOCAL_URL/artifacts/\""

test_expect_success 'setup: an app of 0.4 cpus and 32 MB a task' '
	dep=$(deploy_app "{\"id\": \"/web/big\", \"cmd\": \"exec $TESTAPP\", \"cpus\": 0.4, \"mem\": 32}") &&
	wait_deployed "$dep"
'

test_expect_success 'scale past the capacity: waiting for resources, said, then exit 6' '
	test_expect_code 6 "$ROGER" scale --app web/big 3 --settle 0 --timeout 6s >out 2>err &&
	test_grep "^roger: scaling ./web/big. to 3: 2/3 running; waiting for resources: needs 0.4 cpus / 32 MB, 0.2 cpus / 448 MB free$" err &&
	test_grep "^roger: timed out after 6 s waiting for the deployment of app ./web/big.: 2/3 running; waiting for resources: needs 0.4 cpus / 32 MB, 0.2 cpus / 448 MB free$" err &&
	test_grep "^roger: to undo it: .roger scale 1 --force --app /web/big.$" err
'

test_expect_success 'status --wait -o json: the wait in numbers' '
	test_expect_code 6 "$ROGER" -o json status --app web/big --wait --timeout 3s >out 2>err &&
	python3 - <<-\EOF
	import json
	d = json.load(open("out"))
	w = d["wait"]["watch"]["waiting_for_resources"]
	assert w["tasks"] == 1 and abs(w["cpus"] - 0.4) < 1e-9 and w["mem"] == 32, w
	assert abs(w["free"]["cpus"] - 0.2) < 1e-9 and w["free"]["mem"] == 448, w
	assert w["free"]["agents"] == 1, w
	EOF
'

test_expect_success 'once there is room again, the wait ends without a word about resources' '
	"$ROGER" scale --app web/big 2 --force >out 2>err &&
	test_grep ! "waiting for resources" out &&
	test "$(running web/big)" = 2
'

test_expect_success 'deploy says it too' '
	test_create_repo repo &&
	cat >repo/roger.json <<-EOF &&
	{"version": 1, "app": "wide", "group": "/web",
	 "marathon": {"cmd": "exec $TESTAPP", "instances": 2, "cpus": 0.3, "mem": 16,
	   "portDefinitions": [{"port": 0}]}}
	EOF
	git -C repo add roger.json && git -C repo commit -q -m wide &&
	(cd repo && test_expect_code 6 "$ROGER" deploy --settle 0 --timeout 5s >../out 2>../err) &&
	test_grep "^roger: deploying ./web/wide. at [0-9a-f]*: 0/2 running; waiting for resources: 2 tasks need 0.3 cpus / 16 MB each, 0.2 cpus / 448 MB free$" err
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
