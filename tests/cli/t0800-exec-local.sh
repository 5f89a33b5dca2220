#!/bin/sh
# roger exec against roger local: both streams and the exit status, the
# task's sandbox and environment, words without a shell, standard input
# with -i (and without), a large output and a large input, a command that
# cannot run, a signal, a pseudo-terminal with -t driven on a pty of the
# test (its size, a resize, the terminal restored), -t off a terminal, a
# task that dies during the session, the choice among several tasks,
# --task, an interrupt, a reader that goes away, and the errors of roger
# itself.  The agent API itself with curl: the records in protobuf (the
# format roger exec asks for first) byte for byte, in JSON, and the 406
# for a Message-Accept naming neither.
. "$TEST_SRCDIR/cli/lib.sh"

if [ ! -f "$TEST_SRCDIR/cli/lib-local.sh" ] ||
   ! "$ROGER" local -h >/dev/null 2>&1; then
	test_skip 'roger exec against roger local' 'this tree has no roger local'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048
local_config

PTYRUN="${PYTHON:-python3} $TEST_SRCDIR/cli/ptyrun.py"

app='{"id": "/web/hello", "cmd": "exec '"$TESTAPP"'", "instances": 1,
      "cpus": 0.1, "mem": 16, "portDefinitions": [{"port": 0}],
      "env": {"GREETING": "hello from the app"}}'

# the first running task of APP
first_task() {
	app_get "$1" '[t["id"] for t in a["tasks"] if t["state"] == "TASK_RUNNING"][0]'
}

test_expect_success 'setup: a project and its app running' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	first_task web/hello >task1 &&
	test -s task1
'

test_expect_success 'both streams, each to its own, and the exit status' '
	(cd repo && test_expect_code 7 "$ROGER" exec -- sh -c "echo out; echo err >&2; exit 7" >../out 2>../err) &&
	echo out >expect &&
	test_cmp expect out &&
	echo err >expect &&
	test_cmp expect err
'

# v1 CALL-JSON MESSAGE-ACCEPT: POST /api/v1 asking for a stream, the
# reply's head in ./headers and body in ./body; prints the status.
v1() {
	lcurl -s -o body -D headers -w "%{http_code}" -X POST \
		-H "Content-Type: application/json" \
		-H "Accept: application/recordio" -H "Message-Accept: $2" \
		--data-binary "$1" "$LOCAL_URL/api/v1"
}

# launch_call CMD: the launch of `sh -c CMD` in task1's container.
launch_call() {
	"${PYTHON:-python3}" - "$(cat task1)" "$1" <<-\PY
	import json, sys, urllib.request, os, uuid
	req = urllib.request.Request(os.environ["LOCAL_URL"] + "/master/state",
	    headers={"Authorization": "token=" + os.environ["LOCAL_TOKEN"]})
	state = json.load(urllib.request.urlopen(req))
	parent = [s["container_status"]["container_id"]["value"]
	          for f in state["frameworks"] for t in f["tasks"]
	          if t["id"] == sys.argv[1] for s in t["statuses"]
	          if "container_status" in s][0]
	print(json.dumps({"type": "LAUNCH_NESTED_CONTAINER_SESSION",
	    "launch_nested_container_session": {
	        "container_id": {"parent": {"value": parent},
	                         "value": str(uuid.uuid4())},
	        "command": {"shell": True, "value": sys.argv[2]}}}))
	PY
}

test_expect_success 'the API asked for protobuf records: the bytes as they are, no base64' '
	call=$(launch_call "printf hello; printf oops >&2; exec <&-") &&
	test "$(v1 "$call" "application/x-protobuf, application/json")" = 200 &&
	test_grep -i "^Message-Content-Type: application/x-protobuf" headers &&
	"${PYTHON:-python3}" - <<-\PY
	body = open("body", "rb").read()
	# ProcessIO{type DATA, data{type STDOUT (2) / STDERR (3), data}}
	out = b"13\n\x08\x01\x12\x09\x08\x02\x12\x05hello"
	err = b"12\n\x08\x01\x12\x08\x08\x03\x12\x04oops"
	assert body in (out + err, err + out), body
	PY
'

test_expect_success 'the API: the first format of Message-Accept wins; JSON without it; 406 for neither' '
	call=$(launch_call "printf hi") &&
	test "$(v1 "$call" "application/json, application/x-protobuf")" = 200 &&
	test_grep -i "^Message-Content-Type: application/json" headers &&
	printf "%s" "{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":\"aGk=\"}}" >rec &&
	{ printf "%d\n" "$(wc -c <rec)" && cat rec; } >expect &&
	cmp expect body &&
	call=$(launch_call "printf hi") &&
	test "$(v1 "$call" "text/plain")" = 406 &&
	test_grep "Message-Accept" body
'

test_expect_success 'the command runs in the task sandbox with the task environment' '
	(cd repo && "$ROGER" exec -- sh -c "pwd -P; echo \$GREETING; echo \$MESOS_TASK_ID; test -t 0 || echo no terminal" >../out) &&
	sandbox "$(cat task1)" >want_dir &&
	{ cd "$(cat want_dir)" && pwd -P && cd "$TRASH"; } >expect &&
	echo "hello from the app" >>expect &&
	cat task1 >>expect &&
	echo "no terminal" >>expect &&
	test_cmp expect out
'

test_expect_success 'words pass as they are, without a shell' '
	(cd repo && "$ROGER" exec -- printf "%s|" "a b" "\$HOME" "*" >../out) &&
	printf "%s|" "a b" "\$HOME" "*" >expect &&
	test_cmp expect out
'

test_expect_success 'standard input reaches the command with -i, and its end' '
	printf "one\ntwo\nthree\n" >in &&
	(cd repo && "$ROGER" exec -i -- sort -r <../in >../out) &&
	printf "two\nthree\none\n" >expect &&
	test_cmp expect out
'

test_expect_success 'without -i, the command reads nothing' '
	(cd repo && echo "not for it" | "$ROGER" exec -- sh -c "cat; echo end" >../out) &&
	echo end >expect &&
	test_cmp expect out
'

test_expect_success 'a large input and output, byte for byte (the streams wait for each other)' '
	head -c 6000000 /dev/urandom >big &&
	(cd repo && "$ROGER" exec -i -- cat <../big >../big.out) &&
	cmp big big.out &&
	(cd repo && "$ROGER" exec -- head -c 9000000 /dev/zero | wc -c >../n) &&
	test "$(cat n)" -eq 9000000
'

test_expect_success 'a command that cannot run: 127 and a line saying why' '
	(cd repo && test_expect_code 127 "$ROGER" exec -- no-such-program-here >../out 2>../err) &&
	test_grep "cannot run .no-such-program-here.: No such file or directory" err
'

test_expect_success 'a command ended by a signal: 128 plus the signal' '
	(cd repo && test_expect_code 143 "$ROGER" exec -- sh -c "kill -TERM \$\$" 2>../err) &&
	test_line_count 0 err
'

if [ -n "$(test_tty_why)" ]; then
	test_skip 'a pseudo-terminal with -t' "$(test_tty_why)"
	test_skip 'a resize reaches the command' "$(test_tty_why)"
else
test_expect_success 'a pseudo-terminal with -t: its size, TERM, one stream, the terminal restored' '
	(cd repo && TERM=vt100 $PTYRUN --rows 33 --cols 101 -- "$ROGER" exec -t -- sh -c "tty; stty size; echo \$TERM; echo to-err >&2; exit 3") >res &&
	test "$(json res "d[\"status\"]")" = 3 &&
	test "$(json res "d[\"restored\"]")" = true &&
	json res "d[\"output\"]" >out &&
	test_grep "^/dev/pts/" out &&
	test_grep "^33 101$" out &&
	test_grep "^vt100$" out &&
	test_grep "^to-err$" out
'

test_expect_success 'an interactive shell with -it: a resize reaches the command, Ctrl-D ends it' '
	(cd repo && $PTYRUN --rows 20 --cols 70 \
		"expect:\$ " "send:stty size\n" "expect:20 70" \
		"resize:41:132" "sleep:0.5" "send:stty size\n" "expect:41 132" \
		"send:echo \$((6 * 7))\n" "expect:42" "send:\x04" \
		-- "$ROGER" exec -it -- env PS1="\$ " sh) >res &&
	test "$(json res "d[\"status\"]")" = 0 &&
	test "$(json res "d[\"restored\"]")" = true
'
fi

test_expect_success '-t off a terminal: a warning, and no pseudo-terminal' '
	(cd repo && "$ROGER" exec -t -- sh -c "test -t 1 || echo plain" </dev/null >../out 2>../err) &&
	echo plain >expect &&
	test_cmp expect out &&
	test_grep "^roger: warning: -t: standard input is not a terminal" err
'

test_expect_success 'a reader that goes away ends the session: 141, and the command is gone' '
	(cd repo && {
		if "$ROGER" exec -- sh -c "echo \$\$ >pid; exec yes" 2>../err; then
			echo 0 >../status
		else
			echo $? >../status
		fi
	} | head -n 2 >../out) &&
	test "$(cat status)" = 141 &&
	pid=$(cat "$(sandbox "$(cat task1)")/pid") &&
	wait_for 10 "! kill -0 $pid" &&
	test_line_count 2 out
'

test_expect_success 'an interrupt: exit 130, and the command is killed' '
	dir=$(sandbox "$(cat task1)") &&
	test -n "$dir" &&
	{ (
		cd repo &&
		if sh -c "echo \$\$ >../int.pid; exec \"\$0\" exec -- sh -c \"echo \\\$\\\$ >pid2; exec sleep 300\"" "$ROGER" 2>../int.err; then
			echo 0 >../int.status
		else
			echo $? >../int.status
		fi
	) & } &&
	wait_for 20 "test -s \"$dir/pid2\"" &&
	kill -INT "$(cat int.pid)" &&
	wait_for 20 "test -s int.status" &&
	test "$(cat int.status)" = 130 &&
	wait_for 10 "! kill -0 $(cat "$dir/pid2")"
'

test_expect_success 'the task dies during the session: exit 1, saying so' '
	(
		cd repo &&
		if "$ROGER" exec -- sh -c "echo started; exec sleep 300" >../dies.out 2>../dies.err; then
			echo 0 >../dies.status
		else
			echo $? >../dies.status
		fi
	) &
	wait_for 20 "grep -q started dies.out" &&
	http DELETE "/v2/apps/web/hello/tasks/$(cat task1)" >/dev/null &&
	wait_for 30 "test -s dies.status" &&
	test "$(cat dies.status)" = 1 &&
	test_grep "^roger: task .$(cat task1). ended (TASK_KILLED) while the command ran in it$" dies.err
'

test_expect_success 'several tasks: the oldest healthy one, said; --task picks another' '
	wait_for 30 "test \"\$(running web/hello)\" = 1" &&
	http PUT /v2/apps/web/hello "{\"instances\": 2}" >/dev/null &&
	wait_for 30 "test \"\$(running web/hello)\" = 2" &&
	app_get web/hello "[t[\"id\"] for t in sorted(a[\"tasks\"], key=lambda t: t[\"startedAt\"])]" >ids &&
	old=$(json ids "d[0]") && new=$(json ids "d[1]") &&
	(cd repo && "$ROGER" exec -- sh -c "echo \$MESOS_TASK_ID" >../out 2>../err) &&
	echo "$old" >expect &&
	test_cmp expect out &&
	test_grep "^roger: app ./web/hello. has 2 running tasks; running in .$old., the oldest one (--task picks another)$" err &&
	short=$(echo "$new" | sed "s/.*instance-\(........\).*/\1/") &&
	(cd repo && "$ROGER" exec --task "$short" -- sh -c "echo \$MESOS_TASK_ID" >../out 2>../err) &&
	echo "$new" >expect &&
	test_cmp expect out &&
	test_line_count 0 err &&
	(cd repo && test_expect_code 1 "$ROGER" exec --task nothing-like-it -- true 2>../err) &&
	test_grep "^roger: no running task of app ./web/hello. matches .nothing-like-it.$" err
'

test_expect_success 'another app with --app, and one without a running task' '
	dep=$(deploy_app "{\"id\": \"/other/idle\", \"cmd\": \"sleep 1000\", \"instances\": 0}") &&
	wait_deployed "$dep" &&
	test_expect_code 1 "$ROGER" exec --app /other/idle -- true 2>err &&
	test_grep "^roger: app ./other/idle. has no running task$" err &&
	test_expect_code 1 "$ROGER" exec --app /no/such -- true 2>err &&
	test_line_count 1 err
'

test_expect_success 'usage: a command is needed; a target needs a Mesos URL' '
	(cd repo && test_expect_code 2 "$ROGER" exec 2>../err) &&
	test_grep "^roger: missing the command to run" err &&
	(cd repo && ROGER_MARATHON_URL=$LOCAL_URL ROGER_TOKEN=$LOCAL_TOKEN \
		test_expect_code 3 "$ROGER" exec -- true 2>../err) &&
	test_grep "has no Mesos URL" err
'

test_expect_success 'credentials the cluster refuses: exit 4' '
	(cd repo && ROGER_MARATHON_URL=$LOCAL_URL ROGER_MESOS_URL=$LOCAL_URL ROGER_TOKEN=wrong \
		test_expect_code 4 "$ROGER" exec -- true 2>../err) &&
	test_line_count 1 err
'

test_done
