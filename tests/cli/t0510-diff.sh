#!/bin/sh
# roger diff against roger local: an app that does not exist yet (all
# added), the rendered app PUT as it is (no differences, exit 0, nothing
# printed), a scale (kept: no difference), changes of cmd, env and
# instances in roger.json and through an environment (exit 1, one line per
# path), --ref (that commit's roger.json), -o json, a secret env
# variable masked, a dirty work tree (exit 1 told apart by an empty
# standard output), a target without a store (3) and one that cannot be
# reached (4).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 1024
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

# project CMD GREETING INSTANCES [EXTRA-ENV]: write repo/roger.json.
project() {
	cat >repo/roger.json <<EOF
{"version": 1, "app": "hello", "group": "/web",
 "marathon": {"cmd": "$1", "cpus": 0.05, "mem": 8, "instances": $3,
              "env": {"GREETING": "$2"${4:+, $4}},
              "portDefinitions": [{"port": 0}]},
 "environments": {"staging": {"marathon": {"instances": 2}}}}
EOF
}

# put_rendered: PUT the app roger diff renders (its -o json document) as
# roger deploy would, and wait until its deployment has ended.
put_rendered() {
	(cd repo && "$ROGER" push >/dev/null 2>&1) &&
	(cd repo && test_expect_code "${1:-1}" "$ROGER" -o json diff >../rendered.json) &&
	json rendered.json "d[\"rendered\"]" >app.json &&
	st=$(http PUT "/v2/apps/web/hello?force=true" "$(cat app.json)") &&
	case $st in 200|201) ;; *) cat body >&2; return 1 ;; esac &&
	wait_deployed "$(header Marathon-Deployment-Id)" 60
}

test_expect_success 'setup: a project' '
	mkdir repo &&
	project "exec $TESTAPP" hello 1 &&
	echo one >repo/file &&
	test_create_repo repo &&
	git -C repo rev-parse HEAD >head
'

test_expect_success 'an app that does not exist yet: all added, exit 1, said so' '
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	echo "roger: app '\''/web/hello'\'' does not exist on target '\''local'\'': deploy would create it" >expect &&
	test_cmp expect err &&
	test_grep "^+ id: \"/web/hello\"$" out &&
	test_grep "^+ cmd: \"exec $TESTAPP\"$" out &&
	test_grep "^+ env.GREETING: \"hello\"$" out &&
	test_grep "^+ labels.ROGER_COMMIT: \"$(cat head)\"$" out &&
	test_grep "^+ fetch\[0\]" out &&
	test_grep ! "^[-~]" out &&
	(cd repo && test_expect_code 1 "$ROGER" -q diff >../out 2>../err) &&
	test_line_count 0 err &&
	test -s out
'

test_expect_success 'the rendered app is live: no differences, exit 0, nothing printed' '
	put_rendered &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_COMMIT\"]")" = "$(cat head)" &&
	(cd repo && "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 0 err &&
	(cd repo && "$ROGER" -o json diff >../out) &&
	test "$(json out "d[\"differences\"]")" = false &&
	test "$(json out "d[\"changes\"]")" = "[]" &&
	test "$(json out "d[\"exists\"]")" = true
'

test_expect_success 'a scale is kept: no difference while roger.json keeps its count' '
	lcurl -s -XPUT -H "Content-Type: application/json" -d "{\"instances\": 2}" \
		"$LOCAL_URL/v2/apps/web/hello" >/dev/null &&
	wait_idle 30 &&
	(cd repo && "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	echo "roger: keeping the 2 live instances of app '\''/web/hello'\'': roger.json'\''s count (1) has not changed since the live release" >expect &&
	test_cmp expect err &&
	(cd repo && "$ROGER" -q diff >../out 2>../err) &&
	test_line_count 0 err &&
	lcurl -s -XPUT -H "Content-Type: application/json" -d "{\"instances\": 1}" \
		"$LOCAL_URL/v2/apps/web/hello" >/dev/null &&
	wait_idle 30 &&
	(cd repo && "$ROGER" diff >../out)
'

test_expect_success 'cmd, env and instances changed in a new commit: exit 1, each path' '
	project "exec $TESTAPP --v2" bonjour 3 &&
	git -C repo commit -q -am "v2" &&
	new=$(git -C repo rev-parse HEAD) &&
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 err &&
	test_grep "^~ cmd: \"exec $TESTAPP\" -> \"exec $TESTAPP --v2\"$" out &&
	test_grep "^~ env.GREETING: \"hello\" -> \"bonjour\"$" out &&
	test_grep "^~ instances: 1 -> 3$" out &&
	test_grep "^~ labels.ROGER_INSTANCES: \"1\" -> \"3\"$" out &&
	test_grep "^~ labels.ROGER_COMMIT: \"$(cat head)\" -> \"$new\"$" out &&
	test_grep "^~ env.ROGER_COMMIT: " out &&
	test_grep "^~ labels.ROGER_ARTIFACT_SHA256: " out &&
	test_grep ! "ROGER_DEPLOYED_BY\|ROGER_VERSION" out &&
	cut -c3- out | sed "s/:.*//" >paths &&
	LC_ALL=C sort -c paths
'

test_expect_success '--ref: that commit, its artifact and its roger.json' '
	(cd repo && "$ROGER" diff --ref HEAD~1 >../out 2>../err) &&
	test_line_count 0 err &&
	test_line_count 0 out &&
	(cd repo && "$ROGER" -o json diff --ref HEAD~1 >../out 2>../err) &&
	test "$(json out "d[\"commit\"]")" = "$(cat head)" &&
	test "$(json out "d[\"rendered\"][\"cmd\"]")" = "exec $TESTAPP"
'

test_expect_success 'an environment: its overlay and its label' '
	(cd repo && test_expect_code 1 "$ROGER" -e staging diff --ref HEAD~1 >../out) &&
	printf "%s\n" "~ instances: 1 -> 2" \
		"~ labels.ROGER_ENV: \"\" -> \"staging\"" \
		"~ labels.ROGER_INSTANCES: \"1\" -> \"2\"" >expect &&
	test_cmp expect out &&
	(cd repo && test_expect_code 3 "$ROGER" -e nope diff 2>../err) &&
	test_grep "unknown environment .nope." err
'

test_expect_success '-o json: one document with the changes and the rendered app' '
	(cd repo && test_expect_code 1 "$ROGER" -o json diff >../out 2>../err) &&
	test_line_count 0 err &&
	python3 - "$(git -C repo rev-parse HEAD)" "$LOCAL_URL" <<-\EOF
	import json, sys
	d = json.load(open("out"))
	assert d["app"] == "/web/hello" and d["target"] == "local", d
	assert d["env"] is None and d["commit"] == sys.argv[1], d
	assert d["exists"] is True and d["differences"] is True, d
	assert d["live_version"].endswith("Z"), d
	sha = d["artifact_sha256"]
	assert d["artifact_url"] == sys.argv[2] + "/artifacts/web/hello/" + sha + ".tar.gz", d
	ch = {c["path"]: c for c in d["changes"]}
	assert ch["instances"] == {"path": "instances", "op": "change", "old": 1, "new": 3}, ch
	assert ch["env.GREETING"]["new"] == "bonjour", ch
	assert [c["path"] for c in d["changes"]] == sorted(ch), d["changes"]
	r = d["rendered"]
	assert r["id"] == "/web/hello" and r["instances"] == 3, r
	assert r["fetch"][0] == {"uri": d["artifact_url"], "extract": True}, r
	assert r["labels"]["ROGER_ARTIFACT_SHA256"] == sha, r
	EOF
'

test_expect_success 'a secret env variable: masked in the text and in the JSON' '
	project "exec $TESTAPP --v2" bonjour 3 "\"DB_PASSWORD\": \"{{ db_password }}\"" &&
	git -C repo commit -q -am "a password" &&
	(cd repo && ROGER_VAR_db_password=hunter2-xyz test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_grep "^+ env.DB_PASSWORD: \"\*\*\*\"$" out &&
	(cd repo && ROGER_VAR_db_password=hunter2-xyz test_expect_code 1 "$ROGER" -o json diff >../out.json 2>>../err) &&
	test "$(json out.json "d[\"rendered\"][\"env\"][\"DB_PASSWORD\"]")" = "***" &&
	test "$(json out.json "[c[\"new\"] for c in d[\"changes\"] if c[\"path\"] == \"env.DB_PASSWORD\"][0]")" = "***" &&
	! grep -q hunter2 out out.json err
'

test_expect_success 'a secret that changes on the live side only: still masked' '
	(cd repo && "$ROGER" push >/dev/null 2>&1) &&
	(cd repo && ROGER_VAR_db_password=old-pass-123 test_expect_code 1 "$ROGER" -o json diff >../r.json) &&
	python3 -c "import json; d = json.load(open(\"r.json\"))[\"rendered\"]; d[\"env\"][\"DB_PASSWORD\"] = \"old-pass-123\"; print(json.dumps(d))" >app.json &&
	st=$(http PUT "/v2/apps/web/hello?force=true" "$(cat app.json)") &&
	test "$st" = 200 &&
	wait_idle 60 &&
	(cd repo && ROGER_VAR_db_password=new-pass-456 test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	echo "~ env.DB_PASSWORD: \"***\" -> \"***\"" >expect &&
	test_cmp expect out &&
	! grep -q "pass-" out err &&
	(cd repo && ROGER_VAR_db_password=old-pass-123 "$ROGER" diff >../out) &&
	test_line_count 0 out
'

# From here on roger.json needs the variable.
ROGER_VAR_db_password=old-pass-123
export ROGER_VAR_db_password

test_expect_success 'a dirty work tree: a failure (exit 1, nothing on stdout), --allow-dirty diffs it' '
	echo two >repo/file &&
	(cd repo && test_expect_code 1 "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	test_grep "^roger: .*uncommitted changes" err &&
	(cd repo && test_expect_code 1 "$ROGER" diff --allow-dirty >../out 2>../err) &&
	test_grep "packaged the work tree with its uncommitted changes" err &&
	test_grep "^~ labels.ROGER_ARTIFACT_SHA256: " out &&
	test_grep ! "ROGER_COMMIT" out &&
	git -C repo checkout -q file
'

test_expect_success 'usage errors: an operand, --ref with --allow-dirty' '
	(cd repo && test_expect_code 2 "$ROGER" diff web/hello 2>../err) &&
	test_grep "unexpected argument .web/hello." err &&
	(cd repo && test_expect_code 2 "$ROGER" diff --ref HEAD --allow-dirty 2>../err) &&
	test_grep "cannot go with --ref" err &&
	test_expect_code 1 "$ROGER" diff >out 2>err &&
	test_line_count 0 out &&
	test_grep "not inside a git work tree" err
'

test_expect_success 'a target without an artifact store: 3, before building' '
	port=$(test_free_port) &&
	(cd repo && ROGER_MARATHON_URL=http://127.0.0.1:$port \
		test_expect_code 3 "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 1 err &&
	test_grep "^roger: .*artifact" err
'

test_expect_success 'a target that cannot be reached: 4, nothing on stdout but the JSON error' '
	port=$(test_free_port) &&
	(cd repo && ROGER_MARATHON_URL=http://127.0.0.1:$port \
		ROGER_ARTIFACTS_URL=http://127.0.0.1:$port/artifacts/ \
		test_expect_code 4 "$ROGER" diff >../out 2>../err) &&
	test_line_count 0 out &&
	test_grep "^roger: cannot connect to .http://127.0.0.1:$port/v2/apps/web/hello" err &&
	echo "{\"local\": {\"port\": $port}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	(cd repo && test_expect_code 4 "$ROGER" -o json diff >../out 2>../err) &&
	test_line_count 1 out &&
	test_grep "^{\"error\":{\"message\":\"roger local is not running (state in .*\"code\":\"unreachable\",\"exit\":4}}$" out &&
	test_grep "roger local is not running (state in .*): start it with .roger local up." err &&
	local_config
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
