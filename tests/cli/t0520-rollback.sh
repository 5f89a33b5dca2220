#!/bin/sh
# roger rollback against roger local, with releases made by PUTs carrying
# roger's labels (as roger deploy makes them): back to the previous
# release past a scale (whose count it keeps), the changes shown first,
# the release rolled back never gone back to again, --to a version and a
# commit prefix, the version already running (nothing to do), unknown and
# ambiguous --to, nothing to roll back to, the dry run, -o json, a target
# version that crash-loops (exit 5, back where it was), a protected
# target, a lock (exit 7, --force) and Ctrl-C (130).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 8 --mem 4096
local_config_prod

# Two commits that share the prefix abcdef0, and a third.
A=abcdef0111111111111111111111111111111111
B=abcdef0222222222222222222222222222222222
C=cccccccccccccccccccccccccccccccccccccccc
SHA=aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999

# The test app crashes (saying why) while $TRASH/crash-<its commit>
# exists, and never answers while $TRASH/slow exists.
cat >"$TRASH/run.sh" <<EOF
#!/bin/sh
test -e "$TRASH/crash-\$ROGER_COMMIT" && { echo "cannot open the database of \$ROGER_COMMIT" >&2; exit 3; }
test -e "$TRASH/slow" && export TESTAPP_HANG=1
exec "$TESTAPP"
EOF
chmod +x "$TRASH/run.sh"

# release APP COMMIT [JSON-FRAGMENT]: PUT APP as roger deploy would, with
# roger's labels, and wait for its deployment unless NOWAIT is set.
release() {
	body=$(python3 -c 'import json, sys
a = {"cmd": "exec " + sys.argv[1], "cpus": 0.05, "mem": 8, "instances": 1,
     "portDefinitions": [{"port": 0}], "backoffSeconds": 1,
     "backoffFactor": 1.01, "maxLaunchDelaySeconds": 2,
     "taskKillGracePeriodSeconds": 1,
     "labels": {"ROGER_APP": sys.argv[2], "ROGER_ENV": "",
                "ROGER_COMMIT": sys.argv[3], "ROGER_ARTIFACT_SHA256": sys.argv[4],
                "ROGER_VERSION": "0.1.0", "ROGER_DEPLOYED_BY": "alice@laptop"},
     "env": {"ROGER_COMMIT": sys.argv[3], "DB_PASSWORD": "pw-" + sys.argv[3][:8]}}
a.update(json.loads(sys.argv[5]))
print(json.dumps(a))' "$TRASH/run.sh" "/$1" "$2" "$SHA" "${3:-{\}}")
	st=$(http PUT "/v2/apps/$1?force=true" "$body")
	case $st in
	200|201) ;;
	*) echo "PUT answered $st:" >&2; cat body >&2; return 1 ;;
	esac
	[ -n "${NOWAIT:-}" ] || wait_deployed "$(header Marathon-Deployment-Id)" 60
}

# versions APP: the app's versions, newest first, in ./versions.
versions() {
	json_url "/v2/apps/$1/versions" "\"\\n\".join(sorted(d[\"versions\"], reverse=True))" >versions
}

commit_of() {
	app_get "$1" "a[\"labels\"][\"ROGER_COMMIT\"]"
}

test_expect_success 'setup: releases A and B of a project app, then a scale' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	release web/hello $A &&
	release web/hello $B "{\"env\": {\"ROGER_COMMIT\": \"$B\", \"DB_PASSWORD\": \"pw-abcdef02\", \"GREETING\": \"hi\"}}" &&
	lcurl -s -XPUT -H "Content-Type: application/json" -d "{\"instances\": 2}" \
		"$LOCAL_URL/v2/apps/web/hello" >/dev/null &&
	wait_idle 30 &&
	versions web/hello &&
	test_line_count 3 versions
'

test_expect_success 'the previous release, past the scale: the changes first, then the wait' '
	live=$(sed -n 1p versions) &&
	va=$(sed -n 3p versions) &&
	(cd repo && "$ROGER" rollback --settle 1 >../out 2>../err) &&
	echo "rolling back app '\''/web/hello'\'' from $live (commit abcdef022222) to $va (commit abcdef011111):" >want1 &&
	sed -n 1p out >got1 &&
	test_cmp want1 got1 &&
	test_grep "^~ env.DB_PASSWORD: \"\*\*\*\" -> \"\*\*\*\"$" out &&
	test_grep "^- env.GREETING: \"hi\"$" out &&
	test_grep ! "^~ instances" out &&
	test_grep "^roger: keeping the 2 live instances of app ./web/hello.: the releases do not both record roger.json.s count$" err &&
	test_grep "^~ labels.ROGER_COMMIT: \"$B\" -> \"$A\"$" out &&
	test_grep ! "ROGER_ROLLBACK" out &&
	test_grep "^app '\''/web/hello'\'' rolled back to version $va (commit abcdef011111): 2/2 running$" out &&
	test_grep ! "pw-" out err &&
	test_grep "^roger: rolling back ./web/hello. to $va" err &&
	test "$(commit_of web/hello)" = $A &&
	test "$(app_get web/hello "a[\"instances\"]")" = 2 &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_ROLLBACK_OF\"]")" = "$live" &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_ROLLBACK_TO\"]")" = "$va" &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_ROLLBACK_CAUSE\"]")" = requested &&
	test "$(running web/hello)" = 2 &&
	test "$(app_get web/hello "a[\"tasks\"][0][\"version\"]")" = "$(app_get web/hello "a[\"version\"]")" &&
	wait_idle 10
'

test_expect_success 'the release rolled back is not gone back to: nothing older' '
	(cd repo && test_expect_code 1 "$ROGER" rollback >../out 2>../err) &&
	test_grep "^roger: app ./web/hello. has no release older than the live one (commit abcdef011111) on target .local.: nothing to roll back to$" err
'

test_expect_success 'the dry run prints the request, secrets masked, and sends nothing' '
	versions web/hello &&
	v=$(app_get web/hello "a[\"version\"]") &&
	prev=$(sed -n 2p versions) &&
	(cd repo && "$ROGER" rollback -n --to "$prev" >../out 2>../err) &&
	test_grep "^rolling back app .* to $prev (commit abcdef022222):$" out &&
	test_grep "^PUT $LOCAL_URL/v2/apps/web/hello?partialUpdate=false$" out &&
	test_grep ! "pw-" out err &&
	test "$(app_get web/hello "a[\"version\"]")" = "$v" &&
	versions web/hello &&
	test_line_count 4 versions &&
	(cd repo && "$ROGER" -o json rollback -n --force --to "$prev" >../out) &&
	test "$(json out "d[\"status\"]")" = dry_run &&
	test "$(json out "d[\"request\"][\"url\"]")" = "$LOCAL_URL/v2/apps/web/hello?force=true&partialUpdate=false" &&
	python3 - "$v" "$prev" "$B" <<-\EOF
	import json, sys
	body = json.load(open("out"))["request"]["body"]
	live, prev, commit = sys.argv[1:4]
	assert "version" not in body and "versionInfo" not in body, body
	assert body["env"]["DB_PASSWORD"] == "***", body["env"]
	assert body["labels"]["ROGER_COMMIT"] == commit, body["labels"]
	assert body["labels"]["ROGER_ROLLBACK_OF"] == live, body["labels"]
	assert body["labels"]["ROGER_ROLLBACK_TO"] == prev, body["labels"]
	assert body["labels"]["ROGER_ROLLBACK_CAUSE"] == "requested", body["labels"]
	assert body["instances"] == 2, body
	EOF
'

test_expect_success '--to a version: that one runs again' '
	vb=$(sed -n 3p versions) &&
	"$ROGER" rollback --app web/hello --to "$vb" --settle 1 >out 2>err &&
	test_grep "rolled back to version $vb (commit abcdef022222): 2/2 running" out &&
	test "$(commit_of web/hello)" = $B &&
	test "$(app_get web/hello "a[\"env\"][\"GREETING\"]")" = hi
'

test_expect_success '--to a commit prefix: the newest release of it' '
	versions web/hello &&
	newest_a=$(sed -n 2p versions) &&
	(cd repo && "$ROGER" rollback --to abcdef01 --settle 1 >../out 2>../err) &&
	test_grep "rolled back to version $newest_a (commit abcdef011111)" out &&
	test "$(commit_of web/hello)" = $A
'

test_expect_success 'the version already running: nothing to do, exit 0, nothing sent' '
	versions web/hello &&
	live=$(sed -n 1p versions) &&
	(cd repo && "$ROGER" rollback --to "$live" >../out 2>../err) &&
	echo "app '\''/web/hello'\'' already runs version $live (commit abcdef011111): nothing to do" >expect &&
	test_cmp expect out &&
	test_line_count 0 err &&
	(cd repo && "$ROGER" rollback --to abcdef0111 >../out 2>../err) &&
	test_cmp expect out &&
	(cd repo && "$ROGER" -o json rollback --to "$live" >../out) &&
	test "$(json out "d[\"status\"]")" = unchanged &&
	test "$(json out "d[\"from\"][\"version\"]")" = "$live" &&
	test "$(json out "d[\"to\"][\"version\"]")" = "$live" &&
	versions web/hello &&
	test "$(sed -n 1p versions)" = "$live"
'

test_expect_success 'unknown and ambiguous --to: 1 and 2, nothing sent' '
	versions web/hello &&
	cp versions before &&
	(cd repo && test_expect_code 1 "$ROGER" rollback --to 1234567 >../out 2>../err) &&
	echo "roger: app '\''/web/hello'\'' has no release of commit '\''1234567'\'' on target '\''local'\''" >expect &&
	test_cmp expect err &&
	test_line_count 0 out &&
	(cd repo && test_expect_code 1 "$ROGER" rollback --to 2020-01-02T03:04:05.678Z 2>../err) &&
	test_grep "has no version .2020-01-02T03:04:05.678Z." err &&
	(cd repo && test_expect_code 2 "$ROGER" rollback --to abcdef0 >../out 2>../err) &&
	echo "roger: commit '\''abcdef0'\'' is ambiguous among the releases of app '\''/web/hello'\'': abcdef011111 and abcdef022222; give more digits" >expect &&
	test_cmp expect err &&
	test_line_count 0 out &&
	(cd repo && test_expect_code 2 "$ROGER" rollback --to yesterday 2>../err) &&
	test_grep "invalid version .yesterday." err &&
	(cd repo && test_expect_code 2 "$ROGER" rollback 2020-01-02T03:04:05.678Z 2>../err) &&
	test_grep "unexpected argument .* (use --to VERSION)" err &&
	versions web/hello &&
	test_cmp before versions
'

test_expect_success 'nothing to roll back to: exit 1, one line' '
	release web/solo $C &&
	lcurl -s -XPUT -H "Content-Type: application/json" -d "{\"instances\": 2}" \
		"$LOCAL_URL/v2/apps/web/solo" >/dev/null &&
	wait_idle 30 &&
	test_expect_code 1 "$ROGER" rollback --app web/solo >out 2>err &&
	echo "roger: app '\''/web/solo'\'' has no release older than the live one (commit cccccccccccc) on target '\''local'\'': nothing to roll back to" >expect &&
	test_cmp expect err &&
	test_line_count 0 out &&
	test_expect_code 1 "$ROGER" -o json rollback --app web/solo >out 2>err &&
	test "$(json out "d[\"status\"]")" = nothing_to_roll_back &&
	dep=$(deploy_app "{\"id\": \"/web/plain\", \"cmd\": \"exec $TESTAPP\", \"cpus\": 0.05, \"mem\": 8}") &&
	wait_deployed "$dep" &&
	test_expect_code 1 "$ROGER" rollback --app web/plain 2>err &&
	test_grep "has no release older than the live version" err &&
	test_expect_code 1 "$ROGER" rollback --app web/nope 2>err &&
	test_grep "^roger: app ./web/nope. does not exist on target .local.$" err
'

test_expect_success '-o json: one document with both sides and the changes' '
	(cd repo && "$ROGER" -o json -q rollback --to abcdef02 --settle 0 >../out 2>../err) &&
	test_line_count 0 err &&
	python3 - "$A" "$B" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	assert d["command"] == "rollback" and d["app"] == "/web/hello", d
	assert d["status"] == "succeeded", d
	assert d["from"]["commit"] == sys.argv[1] and d["to"]["commit"] == sys.argv[2], d
	assert d["to"]["version"].endswith("Z"), d
	paths = [c["path"] for c in d["changes"]]
	assert "labels.ROGER_COMMIT" in paths and "env.GREETING" in paths, paths
	pw = [c for c in d["changes"] if c["path"] == "env.DB_PASSWORD"][0]
	assert pw["old"] == "***" and pw["new"] == "***", pw
	assert d["watch"]["state"] == "succeeded", d
	EOF
	test "$(commit_of web/hello)" = $B
'

test_expect_success 'a target version that crash-loops: exit 5, back where it was' '
	v=$(app_get web/hello "a[\"version\"]") &&
	: >"$TRASH/crash-$A" &&
	(cd repo && test_expect_code 5 "$ROGER" rollback --to abcdef01 --settle 1 >../out 2>../err) &&
	rm -f "$TRASH/crash-$A" &&
	# Three failures during the deployment, or (on a slow machine, where
	# the deployment ends first) one within the settle period.
	test_grep "^roger: 3 tasks of the new version failed\|^roger: task .* of the new version ended in TASK_FAILED after the deployment" err &&
	test_grep "^    cannot open the database of $A$" err &&
	test_grep "^roger: rolling back deployment" err &&
	test_grep "^roger: rolled back to the previous version: 2/2 running$" err &&
	wait_idle 20 &&
	test "$(commit_of web/hello)" = $B &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_ROLLBACK_CAUSE\"]")" = failed &&
	test "$(running web/hello)" = 2
'

test_expect_success 'a crash loop with --no-rollback: exit 5, left in place' '
	: >"$TRASH/crash-$A" &&
	(cd repo && test_expect_code 5 "$ROGER" -o json rollback --to abcdef01 --no-rollback --settle 1 >../out 2>../err) &&
	rm -f "$TRASH/crash-$A" &&
	test "$(json out "d[\"status\"]")" = failed &&
	test "$(json out "\"rollback\" in d")" = false &&
	test_grep "^roger: not rolling back (--no-rollback)\|is left running" err &&
	wait_idle 20 &&
	test "$(commit_of web/hello)" = $A &&
	(cd repo && "$ROGER" rollback --to abcdef02 --settle 1 >../out 2>../err) &&
	test "$(commit_of web/hello)" = $B
'

test_expect_success '--to completes to the versions and the release commits of the app' '
	versions web/hello &&
	(cd repo && "$ROGER" __complete rollback --to "" >../out 2>../err) &&
	test_line_count 0 err &&
	while read -r v; do grep -qx "$v" out || { echo "missing $v"; exit 1; }; done <versions &&
	grep -qx abcdef011111 out &&
	grep -qx abcdef022222 out &&
	(cd repo && "$ROGER" __complete rollback --to abcdef02 >../out) &&
	echo abcdef022222 >expect &&
	test_cmp expect out
'

# complete.bash SCRIPT WORD: what bash completion offers for
# `roger rollback --to WORD`, WORD split at its colons as bash splits it.
cat >"$TRASH/complete.bash" <<\EOF
. "$1"
IFS=: read -r -a parts <<<"$2"
COMP_WORDS=(roger rollback --to "${parts[0]}")
for p in "${parts[@]:1}"; do COMP_WORDS+=(: "$p"); done
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="roger rollback --to $2"
COMP_POINT=${#COMP_LINE}
_roger
printf "%s\n" "${COMPREPLY[@]}"
EOF
mkdir -p "$TRASH/bin" &&
printf '#!/bin/sh\nexec "%s" "$@"\n' "$ROGER" >"$TRASH/bin/roger" &&
chmod +x "$TRASH/bin/roger" || exit 99

if command -v bash >/dev/null 2>&1; then
test_expect_success 'bash completes a version past its colons, replacing what follows the last one' '
	versions web/hello &&
	v=$(head -n 1 versions) &&
	(cd repo && PATH="$TRASH/bin:$PATH" bash ../complete.bash \
		"$TEST_SRCDIR/../completions/bash/roger" "${v%?}") >reply &&
	echo "${v##*:}" >expect &&
	test_cmp expect reply
'
else
	test_skip 'bash completes a version past its colons, replacing what follows the last one' 'bash is not installed'
fi

test_expect_success 'a protected target needs --yes, and never prompts off a terminal' '
	v=$(app_get web/hello "a[\"version\"]") &&
	(cd repo && test_expect_code 1 "$ROGER" -t prod rollback --to abcdef01 </dev/null >../out 2>../err) &&
	test_grep "^roger: roll back app ./web/hello. to version .* (commit abcdef011111) on protected target .prod. needs confirmation and standard input is not a terminal; pass --yes$" err &&
	test "$(app_get web/hello "a[\"version\"]")" = "$v" &&
	(cd repo && "$ROGER" -t prod rollback --to abcdef01 --yes --settle 1 >../out 2>../err) &&
	test_grep "rolled back to version" out &&
	test "$(commit_of web/hello)" = $A
'

test_expect_success 'a deployment in progress locks the app: exit 7, --force overrides it' '
	release web/locked $A &&
	: >"$TRASH/slow" &&
	NOWAIT=1 release web/locked $B "{\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", \"gracePeriodSeconds\": 600, \"intervalSeconds\": 1}]}" &&
	test_expect_code 7 "$ROGER" rollback --app web/locked >out 2>err &&
	test_grep "^roger: app locked by deployment .* in progress (HTTP 409 from .*); pass --force to override it" err &&
	test_line_count 1 err &&
	rm -f "$TRASH/slow" &&
	"$ROGER" rollback --app web/locked --force --detach >out 2>err &&
	test_grep "^deployment .* of app .*/web/locked.* started; not waiting for it (--detach)$" out &&
	wait_idle 30 &&
	test "$(commit_of web/locked)" = $A
'

# interrupt NAME ARGS...: `roger rollback ARGS`, interrupted once it shows
# its progress (interrupt_roger).
interrupt() {
	name=$1
	shift
	interrupt_roger "$name" "rolling back" rollback "$@"
}

test_expect_success 'Ctrl-C: exit 130, the state reported, the deployment left running' '
	release web/slow $A "{\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", \"gracePeriodSeconds\": 600, \"intervalSeconds\": 1}]}" &&
	release web/slow $B &&
	: >"$TRASH/slow" &&
	interrupt int1 --app web/slow --to abcdef01 &&
	test "$(cat int1.status)" = 130 &&
	test_grep "^roger: interrupted while waiting for the deployment of app ./web/slow." int1.err &&
	test_grep "is left running" int1.err &&
	rm -f "$TRASH/slow" &&
	dep=$(lcurl -s "$LOCAL_URL/v2/deployments" | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") &&
	lcurl -s -X DELETE "$LOCAL_URL/v2/deployments/$dep" >/dev/null &&
	wait_idle 30
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
