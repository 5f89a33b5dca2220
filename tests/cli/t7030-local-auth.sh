#!/bin/sh
# Who may use roger local: the token every request but /ping must carry
# and the Host rule against DNS rebinding, both checked before any handler
# runs (nothing created, nothing written, no stream); the fetcher sending
# the token to its own store and to nobody else; the local target talking
# only to the server of its own state directory: two state directories
# that want one port, a stranger's server on the port, and two Unix users
# on one machine (when run as root).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

local_start --cpus 4 --mem 2048

# bare METHOD PATH [CURL ARGS...]: a request without the token; the status
# on stdout, the body in ./body and the headers in ./headers.
bare() {
	method=$1
	path=$2
	shift 2
	curl -s -o body -D headers -w '%{http_code}' -X "$method" "$@" \
		"$LOCAL_URL$path"
}

# refused_401: ./body and ./headers are the answer to a request without
# the right token.
refused_401() {
	test "$(json body "d[\"message\"]")" = "roger local needs its token: send the header 'Authorization: token=TOKEN' with the token that 'roger local token' prints" &&
	test "$(header Content-Type)" = application/json &&
	test "$(header WWW-Authenticate)" = 'token realm="roger local"'
}

app='{"id":"/auth/app","cmd":"sleep 600","cpus":0.01,"mem":8,"instances":1}'

test_expect_success 'the token: 64 hex digits in the state directory, mode 0600' '
	grep -Eqx "[0-9a-f]{64}" "$LOCAL_STATE/token" &&
	test "$(stat -c %a "$LOCAL_STATE/token")" = 600 &&
	test "$(stat -c %u "$LOCAL_STATE/token")" = "$(id -u)"
'

test_expect_success '/ping answers without the token, to GET and HEAD' '
	test "$(bare GET /ping)" = 200 &&
	test "$(cat body)" = pong &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -I "$LOCAL_URL/ping")" = 200 &&
	test "$(bare POST /ping)" = 401
'

test_expect_success 'without the token every other path is refused: 401 and a message' '
	for p in /v2/apps /v2/apps/auth/app /v2/info /v2/leader /v2/deployments \
		/v2/queue /v2/tasks /master/state /state "/slave(1)/state" \
		"/files/read?path=/&offset=0" "/files/browse?path=/" \
		"/files/download?path=/etc/passwd" /artifacts/x/y.tar.gz /nowhere; do
		code=$(bare GET "$p") &&
		{ test "$code" = 401 || { echo "GET $p: $code" >&2; exit 1; }; } &&
		refused_401 || { echo "GET $p:" >&2; cat body headers >&2; exit 1; }
	done &&
	test "$(bare DELETE /v2/apps/auth/app)" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -I "$LOCAL_URL/artifacts/x")" = 401
'

test_expect_success 'a POST /v2/apps without the token creates nothing' '
	test "$(bare POST /v2/apps -H "Content-Type: application/json" --data-binary "$app")" = 401 &&
	refused_401 &&
	test "$(http GET /v2/apps)" = 200 &&
	test "$(cat body)" = "{\"apps\":[]}" &&
	test "$(http GET /v2/deployments)" = 200 &&
	test "$(cat body)" = "[]" &&
	test "$(ls "$LOCAL_STATE/apps" | wc -l)" = 0
'

test_expect_success 'a PUT /artifacts/ without the token writes nothing, replaces nothing' '
	echo stored >stored.txt &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T stored.txt "$LOCAL_URL/artifacts/web/a.tar.gz")" = 201 &&
	head -c 3000000 /dev/zero >big &&
	test "$(bare PUT /artifacts/web/a.tar.gz -T big)" = 401 &&
	refused_401 &&
	test "$(bare PUT /artifacts/web/new.tar.gz --data-binary @stored.txt)" = 401 &&
	cmp stored.txt "$LOCAL_STATE/artifacts/web/a.tar.gz" &&
	find "$LOCAL_STATE/artifacts" -type f >files &&
	echo "$LOCAL_STATE/artifacts/web/a.tar.gz" >want &&
	test_cmp want files
'

test_expect_success 'GET /v2/events without the token: 401 at once, no stream' '
	code=$(curl -s -m 20 -o body -D headers -w "%{http_code}" \
		-H "Accept: text/event-stream" "$LOCAL_URL/v2/events") &&
	test "$code" = 401 &&
	refused_401 &&
	test_grep ! "^event:" body
'

test_expect_success 'a wrong token is refused like none' '
	other=$(echo "$LOCAL_TOKEN" | tr 0-9a-f 1-9a-f0) &&
	for auth in "token=$other" "token=${LOCAL_TOKEN%?}" "token=${LOCAL_TOKEN}0" \
		"token=" "Bearer $LOCAL_TOKEN" "$LOCAL_TOKEN" "Basic cm9nZXI6eA=="; do
		code=$(bare POST /v2/apps -H "Authorization: $auth" \
			-H "Content-Type: application/json" --data-binary "$app") &&
		{ test "$code" = 401 || { echo "$auth: $code" >&2; exit 1; }; } &&
		refused_401
	done &&
	test "$(http GET /v2/apps)" = 200 &&
	test "$(cat body)" = "{\"apps\":[]}"
'

test_expect_success 'a foreign Host is refused with 403 even with the token, before any handler' '
	code=$(lcurl -s -o body -w "%{http_code}" -H "Host: evil.example.com:$LOCAL_PORT" \
		-H "Content-Type: application/json" --data-binary "$app" "$LOCAL_URL/v2/apps") &&
	test "$code" = 403 &&
	test "$(json body "d[\"message\"]")" = "roger local answers only requests for 127.0.0.1, localhost or [::1] on its port (the Host header names another)" &&
	test "$(http GET /v2/apps)" = 200 &&
	test "$(cat body)" = "{\"apps\":[]}" &&
	for host in evil.example.com "evil.example.com:$LOCAL_PORT" \
		"127.0.0.1:$((LOCAL_PORT + 1))" "localhost.evil.example.com:$LOCAL_PORT" \
		"127.0.0.2:$LOCAL_PORT"; do
		test "$(lcurl -s -o /dev/null -w "%{http_code}" -H "Host: $host" "$LOCAL_URL/v2/info")" = 403 &&
		test "$(curl -s -o /dev/null -w "%{http_code}" -H "Host: $host" "$LOCAL_URL/ping")" = 403 ||
		{ echo "Host: $host was answered" >&2; exit 1; }
	done &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -X PUT -H "Host: evil.example.com" \
		--data-binary @stored.txt "$LOCAL_URL/artifacts/web/evil.tar.gz")" = 403 &&
	test ! -e "$LOCAL_STATE/artifacts/web/evil.tar.gz"
'

test_expect_success 'loopback names are answered, in any case, with the port or without' '
	for host in 127.0.0.1 "127.0.0.1:$LOCAL_PORT" localhost "LocalHost:$LOCAL_PORT" \
		"[::1]" "[::1]:$LOCAL_PORT"; do
		test "$(lcurl -s -o /dev/null -w "%{http_code}" -H "Host: $host" "$LOCAL_URL/v2/info")" = 200 ||
		{ echo "Host: $host was refused" >&2; exit 1; }
	done
'

# A stranger's file server: whatever it is asked, it answers and logs.
faultd_start stranger '{"default": {"status": 200, "body": "from a stranger\n"}}'

test_expect_success 'the fetcher sends the token to its own store and to nobody else' '
	echo "from the store" >tool.txt &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T tool.txt "$LOCAL_URL/artifacts/auth/tool.txt")" = 201 &&
	fetched=$(printf "{\"id\":\"/auth/fetch\",\"cmd\":\"cat tool.txt data.txt more.txt && sleep 600\",\"cpus\":0.01,\"mem\":8,\"instances\":1,\"fetch\":[{\"uri\":\"http://localhost:%d/artifacts/auth/tool.txt\"},{\"uri\":\"%s/data.txt\"},{\"uri\":\"http://localhost:%d/more.txt\"}]}" \
		"$LOCAL_PORT" "$stranger_URL" "$stranger_PORT") &&
	dep=$(deploy_app "$fetched") &&
	wait_deployed "$dep" &&
	test "$(running auth/fetch)" = 1 &&
	task=$(app_get auth/fetch "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	cmp tool.txt "$dir/tool.txt" &&
	test "$(cat "$dir/data.txt")" = "from a stranger" &&
	test "$(faultd_count stranger GET /)" = 2 &&
	test_grep ! -i "authorization" "$stranger_LOG" &&
	test_grep ! "$LOCAL_TOKEN" "$stranger_LOG" &&
	http DELETE /v2/apps/auth/fetch >/dev/null &&
	wait_idle
'

# The project the local target deploys in the cases below.
test_expect_success 'setup: a project whose app sleeps' '
	git init -q repo &&
	cat >repo/roger.json <<-\EOF &&
	{"version": 1, "app": "app", "group": "/two",
	 "marathon": {"cmd": "sleep 600", "instances": 1, "cpus": 0.01, "mem": 8}}
	EOF
	git -C repo add -A &&
	git -C repo commit -q -m app
'

B_CONFIG=$TRASH/b-config
B_STATE=$TRASH/b-state
test_atexit 'XDG_CONFIG_HOME=$B_CONFIG "$ROGER" local down >/dev/null 2>&1 || true'

test_expect_success 'the local target never talks to a server of another state directory' '
	mkdir -p "$B_CONFIG/roger" &&
	printf "{\"local\": {\"port\": %d, \"state_dir\": \"%s\"}}\n" "$stranger_PORT" "$B_STATE" \
		>"$B_CONFIG/roger/config.json" &&
	before=$(wc -l <"$stranger_LOG") &&
	(cd repo && test_expect_code 4 env XDG_CONFIG_HOME="$B_CONFIG" "$ROGER" status >../out 2>../err) &&
	test_grep "^roger: roger local is not running (state in .$B_STATE.): start it with .roger local up.$" err &&
	(cd repo && test_expect_code 4 env XDG_CONFIG_HOME="$B_CONFIG" "$ROGER" logs >../out 2>../err) &&
	test_grep "roger local is not running" err &&
	test_expect_code 1 env XDG_CONFIG_HOME="$B_CONFIG" "$ROGER" local status >out &&
	test_grep "not running (state in $B_STATE)" out &&
	test "$(wc -l <"$stranger_LOG")" = "$before"
'

faultd_start impostor '{"default": {"status": 401, "json": {"message": "not yours"}}}'

test_expect_success 'a server on the recorded port that refuses the token is said to be another: exit 4' '
	mkdir -p "$TRASH/c-state" "$TRASH/c-config/roger" &&
	cp "$LOCAL_STATE/token" "$TRASH/c-state/token" &&
	printf "{\"pid\":%d,\"port\":%d,\"url\":\"%s\"}\n" $$ "$impostor_PORT" "$impostor_URL" \
		>"$TRASH/c-state/server.json" &&
	python3 -c "import fcntl,sys,time; f=open(sys.argv[1],\"w\"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2],\"w\").close(); time.sleep(60)" \
		"$TRASH/c-state/server.lock" "$TRASH/c-locked" &
	holder=$!
	test_when_finished kill $holder &&
	wait_for 10 "test -e $TRASH/c-locked" &&
	printf "{\"local\": {\"state_dir\": \"%s\"}}\n" "$TRASH/c-state" >"$TRASH/c-config/roger/config.json" &&
	(cd repo && test_expect_code 4 env XDG_CONFIG_HOME="$TRASH/c-config" "$ROGER" status >../out 2>../err) &&
	test_grep "^roger: authentication refused by marathon at .$impostor_URL/v2/apps/two/app.*: not yours); the server on that port is not the roger local of .$TRASH/c-state., whose token it refused$" err &&
	test_grep ! "$LOCAL_TOKEN" err
'

test_expect_success 'two state directories that want one port: each deploy lands in its own server' '
	local_config &&
	printf "{\"local\": {\"port\": %d, \"state_dir\": \"%s\"}}\n" "$LOCAL_PORT" "$B_STATE" \
		>"$B_CONFIG/roger/config.json" &&
	(cd repo && XDG_CONFIG_HOME=$B_CONFIG "$ROGER" deploy --settle 1 >../out 2>../err) &&
	test_grep "^roger: starting roger local on port $LOCAL_PORT (state in $B_STATE)$" err &&
	b_url=$(json "$B_STATE/server.json" "d[\"url\"]") &&
	test "$b_url" != "$LOCAL_URL" &&
	test_grep "^roger: port $LOCAL_PORT is taken by another program; roger local serves on $b_url$" err &&
	test_grep "^app ./two/app. created at commit " out &&
	b_token=$(cat "$B_STATE/token") &&
	test "$b_token" != "$LOCAL_TOKEN" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token=$b_token" "$b_url/v2/apps/two/app")" = 200 &&
	test "$(http GET /v2/apps/two/app)" = 404 &&
	(cd repo && "$ROGER" deploy --settle 1 >../out 2>../err) &&
	test_grep ! "starting roger local" err &&
	test "$(http GET /v2/apps/two/app)" = 200 &&
	(cd repo && "$ROGER" -o json status >../a.json) &&
	(cd repo && XDG_CONFIG_HOME=$B_CONFIG "$ROGER" -o json status >../b.json) &&
	test "$(json a.json "d[\"tasks\"][0][\"id\"]")" = "$(app_get two/app "a[\"tasks\"][0][\"id\"]")" &&
	test "$(json a.json "d[\"tasks\"][0][\"id\"]")" != "$(json b.json "d[\"tasks\"][0][\"id\"]")"
'

test_expect_success 'each server refuses the other token' '
	b_url=$(json "$B_STATE/server.json" "d[\"url\"]") &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token=$(cat "$B_STATE/token")" "$LOCAL_URL/v2/apps")" = 401 &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" "$b_url/v2/apps")" = 401 &&
	XDG_CONFIG_HOME=$B_CONFIG "$ROGER" local status >out &&
	test_grep "running at $b_url " out &&
	XDG_CONFIG_HOME=$B_CONFIG "$ROGER" local down 2>/dev/null
'

# Another Unix user.  As root, `nobody` (uid 65534) gets a home of its own
# under a temporary directory it may enter, and a copy of roger there (the
# build directory may be closed to it), and runs it with setpriv(1).
nobody_why=
if [ "$(id -u)" != 0 ]; then
	nobody_why="running as uid $(id -u): becoming a second user needs root"
fi

if [ -n "$nobody_why" ]; then
	test_skip 'two Unix users: each deploy lands in its own server' "$nobody_why"
	test_done
fi

NB=$(mktemp -d "${TMPDIR:-/tmp}/roger-t7030-nobody.XXXXXX")
test_atexit 'as_nobody "$NB/bin/roger" local down >/dev/null 2>&1; rm -rf "$NB"'
chmod 755 "$NB"

# as_nobody CMD...: CMD as uid/gid 65534, with its own HOME, XDG
# directories and TMPDIR, and the copied library.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$NB/home" XDG_CONFIG_HOME="$NB/home/.config" \
		XDG_STATE_HOME="$NB/home/.local/state" \
		XDG_CACHE_HOME="$NB/home/.cache" TMPDIR="$NB/home/tmp" \
		LD_LIBRARY_PATH="$NB/lib" "$@"
}

test_expect_success 'setup: a home and a copy of roger for nobody' '
	command -v setpriv >/dev/null &&
	mkdir -p "$NB/bin" "$NB/lib" &&
	real=$ROGER &&
	if head -c 2 "$ROGER" | grep -q "^#!"; then
		real=$(dirname "$ROGER")/.libs/$(basename "$ROGER") &&
		cp -P "$(dirname "$ROGER")"/lib/.libs/libroger.so* "$NB/lib/"
	fi &&
	cp "$real" "$NB/bin/roger" &&
	chmod -R a+rX "$NB/bin" "$NB/lib" &&
	mkdir -p "$NB/home/.config/roger" "$NB/home/tmp" &&
	printf "{\"local\": {\"port\": %d}}\n" "$LOCAL_PORT" >"$NB/home/.config/roger/config.json" &&
	cp -R repo "$NB/home/repo" &&
	chown -R 65534:65534 "$NB/home" &&
	as_nobody "$NB/bin/roger" --version >/dev/null &&
	test_expect_code 1 as_nobody "$NB/bin/roger" local status >out &&
	test_grep "not running (state in $NB/home/.local/state/roger/local)" out
'

test_expect_success 'two Unix users: the second one deploys to a server of its own, on another port' '
	(cd "$NB/home/repo" && as_nobody "$NB/bin/roger" deploy --settle 1 >"$TRASH/out" 2>"$TRASH/err") &&
	b_state=$NB/home/.local/state/roger/local &&
	test_grep "^roger: port $LOCAL_PORT is taken by another program; roger local serves on " err &&
	test_grep "^app ./two/app. created at commit " out &&
	b_url=$(json "$b_state/server.json" "d[\"url\"]") &&
	test "$b_url" != "$LOCAL_URL" &&
	test "$(stat -c %u "$b_state/token")" = 65534 &&
	test "$(stat -c %a "$b_state/token")" = 600 &&
	b_pid=$(json "$b_state/server.json" "d[\"pid\"]") &&
	test "$(stat -c %u "/proc/$b_pid")" = 65534 &&
	as_nobody "$NB/bin/roger" local token >b_token &&
	test "$(curl -s -o b.json -w "%{http_code}" -H "Authorization: token=$(cat b_token)" "$b_url/v2/apps/two/app/tasks")" = 200 &&
	b_task=$(json b.json "d[\"tasks\"][0][\"id\"]") &&
	(cd "$NB/home/repo" && as_nobody "$NB/bin/roger" -o json status >"$TRASH/b-status.json") &&
	test "$(json b-status.json "d[\"tasks\"][0][\"id\"]")" = "$b_task" &&
	test "$(app_get two/app "a[\"tasks\"][0][\"id\"]")" != "$b_task"
'

test_expect_success 'two Unix users: the first one'\''s server and token are closed to the second' '
	test_expect_code 1 as_nobody cat "$LOCAL_STATE/token" 2>err &&
	as_nobody curl -si -H "Authorization: token=$(cat b_token)" "$LOCAL_URL/v2/apps" >resp &&
	head -n 1 resp | grep -q "^HTTP/1.1 401 " &&
	test_grep "roger local needs its token" resp &&
	as_nobody curl -si -H "Content-Type: application/json" \
		--data-binary "{\"id\":\"/intruder\",\"cmd\":\"id\"}" "$LOCAL_URL/v2/apps" >resp &&
	head -n 1 resp | grep -q "^HTTP/1.1 401 " &&
	test "$(http GET /v2/apps/intruder)" = 404 &&
	as_nobody "$NB/bin/roger" local down 2>/dev/null
'

test_done
