#!/bin/sh
# roger local prune and the server's own collection: the sandboxes of
# finished tasks past the last few of each app, the artifacts no app (nor
# a version of one) refers to, with a running server and without one; a
# running task, its sandbox and its artifact are never touched.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start
store=$LOCAL_STATE/artifacts

# executors APP_PREFIX: how many sandboxes (executor directories) of the
# app's tasks the current generation holds.
executors() {
	ls -d "$LOCAL_STATE"/agent/slaves/*/frameworks/*/executors/"$1".* 2>/dev/null | wc -l
}

# put NAME: an artifact (a tar.gz holding one file) in the store.
put() {
	mkdir -p "$TRASH/src-$1" &&
	echo "$1" >"$TRASH/src-$1/file" &&
	tar -czf "$TRASH/$1" -C "$TRASH/src-$1" file &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T "$TRASH/$1" "$LOCAL_URL/artifacts/$1")" = 201
}

# age NAME...: date artifacts of the store two hours back, past the grace
# pruning gives what was used lately.
age() {
	for n in "$@"; do
		touch -d "2 hours ago" "$store/$n" || return 1
	done
}

test_expect_success 'setup: an app restarted five times leaves five finished tasks' '
	dep=$(deploy_app "{\"id\":\"/prune/web\",\"cmd\":\"sleep 600\",\"cpus\":0.1,\"mem\":16}") &&
	wait_deployed "$dep" &&
	for i in 1 2 3 4 5; do
		test "$(http POST /v2/apps/prune/web/restart)" = 200 &&
		wait_deployed "$(json body "d[\"deploymentId\"]")" || exit 1
	done &&
	wait_for 30 "test \"\$(executors prune_web)\" = 6" &&
	test "$(running prune/web)" = 1
'

test_expect_success 'prune keeps the sandboxes of the last three finished tasks of an app, and the running one' '
	task=$(app_get prune/web "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	test -d "$dir" &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "d[\"server_running\"]")" = true &&
	test "$(json p.json "d[\"sandboxes\"][\"removed\"]")" = 2 &&
	test "$(executors prune_web)" = 4 &&
	test -d "$dir" &&
	test "$(running prune/web)" = 1 &&
	test "$(app_get prune/web "a[\"tasks\"][0][\"id\"]")" = "$task"
'

test_expect_success '--keep 0 leaves only the running task, which goes on running' '
	dir=$(sandbox "$(app_get prune/web "a[\"tasks\"][0][\"id\"]")") &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune --keep 0 >out &&
	test_grep "^removed 3 sandboxes (" out &&
	test "$(executors prune_web)" = 1 &&
	test -d "$dir" &&
	test "$(running prune/web)" = 1
'

test_expect_success 'artifacts: what an app or a version of one names stays, as does what was used lately' '
	put v1.tar.gz && put v2.tar.gz && put orphan.tar.gz && put fresh.tar.gz &&
	dep=$(deploy_app "{\"id\":\"/prune/fetch\",\"cmd\":\"test -f file && sleep 600\",\"cpus\":0.1,\"mem\":16,
		\"fetch\":[{\"uri\":\"$LOCAL_URL/artifacts/v1.tar.gz\"}]}") &&
	wait_deployed "$dep" &&
	st=$(http PUT /v2/apps/prune/fetch "{\"cmd\":\"test -f file && sleep 600\",\"cpus\":0.1,\"mem\":16,
		\"fetch\":[{\"uri\":\"$LOCAL_URL/artifacts/v2.tar.gz\"}]}") &&
	test "$st" = 200 &&
	wait_deployed "$(json body "d[\"deploymentId\"]")" &&
	test "$(running prune/fetch)" = 1 &&
	age v1.tar.gz v2.tar.gz orphan.tar.gz &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "d[\"artifacts\"][\"removed\"]")" = 1 &&
	test "$(json p.json "\" \".join(d[\"artifacts\"][\"paths\"])")" = orphan.tar.gz &&
	test "$(json p.json "d[\"artifacts\"][\"bytes\"]")" = "$(wc -c <"$TRASH/orphan.tar.gz")" &&
	test ! -e "$store/orphan.tar.gz" &&
	test -f "$store/v1.tar.gz" &&
	test -f "$store/v2.tar.gz" &&
	test -f "$store/fresh.tar.gz" &&
	test "$(running prune/fetch)" = 1
'

test_expect_success 'an artifact asked for lately is kept even when nothing names it yet' '
	put next.tar.gz &&
	age next.tar.gz &&
	lcurl -sfI "$LOCAL_URL/artifacts/next.tar.gz" >/dev/null &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "d[\"artifacts\"][\"removed\"]")" = 0 &&
	test -f "$store/next.tar.gz"
'

test_expect_success 'the artifacts of a destroyed app go with the next prune' '
	test "$(http DELETE /v2/apps/prune/fetch)" = 200 &&
	wait_deployed "$(json body "d[\"deploymentId\"]")" &&
	age v1.tar.gz v2.tar.gz next.tar.gz &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >p.json &&
	test "$(json p.json "\" \".join(sorted(d[\"artifacts\"][\"paths\"]))")" = "next.tar.gz v1.tar.gz v2.tar.gz" &&
	test ! -e "$store/v1.tar.gz" &&
	test -f "$store/fresh.tar.gz"
'

test_expect_success 'POST /roger/prune: the token, the method and keep are checked' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST "$LOCAL_URL/roger/prune")" = 401 &&
	test "$(http GET /roger/prune)" = 405 &&
	test "$(http POST "/roger/prune?keep=x")" = 400 &&
	test_grep "invalid keep .x." body &&
	test "$(http POST "/roger/prune?keep=-1")" = 400 &&
	test "$(executors prune_web)" = 1
'

test_expect_success 'bad --keep and --gc-size: one line, exit 2' '
	test_expect_code 2 "$ROGER" local --state-dir "$LOCAL_STATE" prune --keep -1 2>err &&
	test "$(head -n 1 err)" = "roger: invalid --keep '\''-1'\'': expected a whole number from 0 to 100000" &&
	test_expect_code 2 "$ROGER" local --state-dir "$TRASH/other" serve --gc-size lots 2>err &&
	test "$(head -n 1 err)" = "roger: invalid --gc-size '\''lots'\'': expected a size in bytes, or with K, M, G or T"
'

test_expect_success 'with no server running, prune works on the state directory' '
	local_stop &&
	test "$(executors prune_web)" = 1 &&
	test "$(executors prune_fetch)" = 2 &&
	cp "$TRASH/fresh.tar.gz" "$store/late.tar.gz" && touch -d "2 hours ago" "$store/late.tar.gz" &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune --keep 1 -o json >p.json &&
	test "$(json p.json "d[\"server_running\"]")" = false &&
	test "$(json p.json "d[\"sandboxes\"][\"removed\"]")" = 1 &&
	test "$(executors prune_web)" = 1 &&
	test "$(executors prune_fetch)" = 1 &&
	test "$(json p.json "\" \".join(d[\"artifacts\"][\"paths\"])")" = late.tar.gz &&
	test -f "$store/fresh.tar.gz"
'

test_expect_success 'an unreadable app file stops an offline prune, which removes nothing' '
	cp "$TRASH/fresh.tar.gz" "$store/kept.tar.gz" && touch -d "2 hours ago" "$store/kept.tar.gz" &&
	mkdir -p "$LOCAL_STATE/apps" &&
	echo "{not json" >"$LOCAL_STATE/apps/broken.json" &&
	test_expect_code 3 "$ROGER" local --state-dir "$LOCAL_STATE" prune 2>err &&
	test_grep "^roger: cannot read .*broken.json., so nothing is pruned$" err &&
	test -f "$store/kept.tar.gz" &&
	rm "$LOCAL_STATE/apps/broken.json"
'

# Started here, not in a test (a subshell), so that it is stopped at the end.
cp "$TRASH/fresh.tar.gz" "$store/stale.tar.gz"
touch -d "2 hours ago" "$store/stale.tar.gz"
local_start --gc-size 1

test_expect_success 'past --gc-size the server prunes by itself' '
	wait_for 30 "test ! -e \"$store/stale.tar.gz\"" &&
	wait_for 30 "test ! -e \"$LOCAL_STATE/agent/slaves.previous\"" &&
	test -f "$store/fresh.tar.gz"
'

test_expect_success 'local.gc_size of the user config: a size, checked' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	echo "{\"local\": {\"gc_size\": \"lots\"}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 "$ROGER" local --state-dir "$TRASH/other" status 2>err &&
	test_grep "gc_size" err &&
	rm "$XDG_CONFIG_HOME/roger/config.json"
'

test_done
