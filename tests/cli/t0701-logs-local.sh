#!/bin/sh
# roger logs against roger local, with the test app writing to both
# streams: both files interleaved by default, --stdout/--stderr, tails, a
# follow that sees new lines of both files in the order written, a
# scale-up (the new task appears) and a killed task (it ends, saying so),
# --failed after a crash, --timestamps, --app outside a project, a pipe
# to head, and output bytes that are not UTF-8.
. "$TEST_SRCDIR/cli/lib.sh"

if [ ! -f "$TEST_SRCDIR/cli/lib-local.sh" ] ||
   ! "$ROGER" local -h >/dev/null 2>&1; then
	test_skip 'roger logs against roger local' 'this tree has no roger local'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048

# The built-in target "local" on the port the server got.
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

FOLLOW_PIDS=
test_atexit 'for p in $(cat "$TRASH"/follow-*.pid 2>/dev/null); do kill $p 2>/dev/null; done'

# follow NAME ARGS...: start `roger logs -f ARGS` in the repository, its
# stdout in NAME.out, its stderr in NAME.err, its pid in follow-NAME.pid
# and, once it exits, its exit status in NAME.status.
follow() {
	name=$1
	shift
	(
		# set -e holds here: the status is taken in an if.
		if cd "$TRASH/repo" &&
		   sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
			"$TRASH/follow-$name.pid" "$ROGER" logs -f "$@" \
			>"$TRASH/$name.out" 2>"$TRASH/$name.err"; then
			echo 0 >"$TRASH/$name.status"
		else
			echo $? >"$TRASH/$name.status"
		fi
	) &
	wait_for 10 "test -s \"$TRASH/follow-$name.pid\""
}

# stop_follow NAME: interrupt it as Ctrl-C does, and wait until it exited.
stop_follow() {
	kill -INT "$(cat "$TRASH/follow-$1.pid")" 2>/dev/null || true
	wait_for 20 "test -s \"$TRASH/$1.status\""
	rm -f "$TRASH/follow-$1.pid"
}

# task_port APP N: the port of the app's task N.
task_port() {
	app_get "$1" "sorted(a[\"tasks\"], key=lambda t: t[\"startedAt\"])[$2][\"ports\"][0]"
}

# short ID: the short name roger gives a task id.
short() {
	echo "$1" | sed 's/.*instance-\(........\).*/\1/; s/.*\.\(........\)-.*/\1/'
}

app='{"id": "/web/hello", "cmd": "exec '"$TESTAPP"'", "instances": 1,
      "cpus": 0.1, "mem": 16, "portDefinitions": [{"port": 0}],
      "env": {"TESTAPP_STDOUT": "hello on stdout", "TESTAPP_STDERR": "hello on stderr"}}'

test_expect_success 'setup: a project and its app running' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	app_get web/hello "a[\"tasks\"][0][\"id\"]" >task1 &&
	wait_for 10 "(cd repo && \"\$ROGER\" logs) | grep -q \"hello on stdout\""
'

test_expect_success 'both files of the task by default, each line with its short name' '
	t=$(short "$(cat task1)") &&
	(cd repo && "$ROGER" logs >../out 2>../err) &&
	test_grep "^\[$t\] hello on stdout$" out &&
	test_grep "^\[$t\] testapp listening on " out &&
	test_grep "^\[$t\] hello on stderr$" out &&
	test_line_count 0 err &&
	(cd repo && "$ROGER" logs --stdout >../out) &&
	test_grep "^\[$t\] hello on stdout$" out &&
	test_grep ! "hello on stderr" out &&
	(cd repo && "$ROGER" logs --stderr >../out) &&
	test_grep "^\[$t\] hello on stderr$" out &&
	test_grep ! "hello on stdout" out &&
	(cd repo && "$ROGER" -o json logs >../out) &&
	python3 - <<-\EOF
	import json
	streams = {json.loads(l)["stream"] for l in open("out")}
	assert streams == {"stdout", "stderr"}, streams
	EOF
'

test_expect_success '--stdout and --stderr together: a usage error' '
	(cd repo && test_expect_code 2 "$ROGER" logs --stdout --stderr >../out 2>../err) &&
	test_line_count 0 out &&
	test_grep "\-\-stdout and \-\-stderr" err
'

test_expect_success '--timestamps: each line starts with the time it was read, in UTC' '
	t=$(short "$(cat task1)") &&
	(cd repo && "$ROGER" logs --timestamps --stdout >../out) &&
	test_grep "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9][0-9][0-9]Z \[$t\] hello on stdout$" out &&
	test_grep ! "^\[" out &&
	(cd repo && "$ROGER" -o json logs --timestamps --stderr >../out) &&
	python3 - <<-\EOF
	import json, re
	lines = [json.loads(l) for l in open("out")]
	assert lines and all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", l["time"]) for l in lines), lines
	assert any(l["line"] == "hello on stderr" for l in lines), lines
	EOF
'

test_expect_success '--app: another app, no roger.json needed' '
	t=$(short "$(cat task1)") &&
	"$ROGER" logs --app web/hello --stdout >out 2>err &&
	test_grep "^\[$t\] hello on stdout$" out &&
	test_expect_code 1 "$ROGER" logs --app web/nope >out 2>err &&
	test_grep "web/nope" err
'

test_expect_success 'the tail of a file, read backward' '
	port=$(task_port web/hello 0) &&
	i=0 && while [ $i -lt 300 ]; do
		curl -sf "http://127.0.0.1:$port/log?stdout=filler-line-$i-0123456789abcdefghijklmnopqrstuvwxyz" >/dev/null
		i=$((i + 1))
	done &&
	t=$(short "$(cat task1)") &&
	(cd repo && "$ROGER" logs --stdout -n 3 --task "$t" >../out) &&
	printf "filler-line-%d-0123456789abcdefghijklmnopqrstuvwxyz\n" 297 298 299 >expect &&
	test_cmp expect out &&
	(cd repo && "$ROGER" logs -n 0 >../out) &&
	test_line_count 0 out &&
	long=$(printf "%0900d" 0) &&
	i=0 && while [ $i -lt 40 ]; do
		curl -sf "http://127.0.0.1:$port/log?stdout=long-$i-$long" >/dev/null
		i=$((i + 1))
	done &&
	(cd repo && "$ROGER" logs --stdout -n 30 >../out) &&
	test_line_count 30 out &&
	head -n 1 out | grep -q "^\[.*\] long-10-0000" &&
	tail -n 1 out | grep -q "^\[.*\] long-39-0000"
'

test_expect_success 'bytes that are not UTF-8 pass through, and JSON replaces them' '
	port=$(task_port web/hello 0) &&
	curl -sf "http://127.0.0.1:$port/log?stdout=bad%FF%FEbytes" >/dev/null &&
	t=$(cat task1) &&
	(cd repo && "$ROGER" logs --stdout -n 1 --task "$t" >../out) &&
	printf "bad\377\376bytes\n" >expect &&
	cmp expect out &&
	(cd repo && "$ROGER" -o json logs --stdout -n 1 >../out) &&
	echo "{\"task\":\"$(cat task1)\",\"stream\":\"stdout\",\"line\":\"bad\\ufffd\\ufffdbytes\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'follow, both files: their new lines in the order written' '
	follow f0 -n 1 &&
	port=$(task_port web/hello 0) &&
	t=$(short "$(cat task1)") &&
	wait_for 10 "test \$(wc -l <f0.out) -ge 2" &&
	curl -sf "http://127.0.0.1:$port/log?stdout=first-on-stdout" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t\] first-on-stdout\$\" f0.out" &&
	curl -sf "http://127.0.0.1:$port/log?stderr=then-on-stderr" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t\] then-on-stderr\$\" f0.out" &&
	curl -sf "http://127.0.0.1:$port/log?stdout=last-on-stdout" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t\] last-on-stdout\$\" f0.out" &&
	printf "[%s] %s\n" "$t" first-on-stdout "$t" then-on-stderr "$t" last-on-stdout >expect &&
	tail -n 3 f0.out >last &&
	test_cmp expect last &&
	stop_follow f0
'

test_expect_success 'follow: new lines as the task writes them' '
	follow f1 --stdout -n 1 &&
	port=$(task_port web/hello 0) &&
	t=$(short "$(cat task1)") &&
	wait_for 10 "test -s f1.out" &&
	curl -sf "http://127.0.0.1:$port/log?stdout=written-while-following" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t\] written-while-following\$\" f1.out" &&
	curl -sf "http://127.0.0.1:$port/log?stderr=not-this-stream" >/dev/null &&
	curl -sf "http://127.0.0.1:$port/log?stdout=second-line" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t\] second-line\$\" f1.out" &&
	test_grep ! "not-this-stream" f1.out
'

test_expect_success 'follow: a scale-up shows the new task from its first line' '
	test "$(http PUT /v2/apps/web/hello "{\"instances\": 2}")" = 200 &&
	wait_for 30 "test \"\$(running web/hello)\" = 2" &&
	app_get web/hello "[t[\"id\"] for t in a[\"tasks\"] if t[\"id\"] != \"$(cat task1)\"][0]" >task2 &&
	t2=$(short "$(cat task2)") &&
	wait_for 15 "grep -q \"^roger: \[$t2\] task .$(cat task2). started\" f1.err" &&
	wait_for 15 "grep -q \"^\[$t2\] hello on stdout\$\" f1.out" &&
	port=$(task_port web/hello 1) &&
	curl -sf "http://127.0.0.1:$port/log?stdout=from-the-new-task" >/dev/null &&
	wait_for 10 "grep -q \"^\[$t2\] from-the-new-task\$\" f1.out"
'

test_expect_success 'each task has a color of its own on a terminal (--color always)' '
	(cd repo && "$ROGER" --color always logs --stdout -n 1 >../out) &&
	python3 - out <<-\EOF &&
	import re, sys
	seen = {}
	for line in open(sys.argv[1], "rb").read().decode().splitlines():
	    m = re.match("^\x1b\\[(3[1-6])m\\[([0-9a-f.]+)\\]\x1b\\[m ", line)
	    assert m, repr(line)
	    seen.setdefault(m.group(2), set()).add(m.group(1))
	assert len(seen) == 2, seen
	colors = [c for cs in seen.values() for c in cs]
	assert len(colors) == 2 and colors[0] != colors[1], seen
	EOF
	(cd repo && "$ROGER" logs --stdout -n 1 >../plain) &&
	test_line_count 2 plain &&
	! grep -q "$(printf "\033")" plain
'

test_expect_success 'follow: a killed task ends, saying so, and the rest go on' '
	t1=$(short "$(cat task1)") &&
	test "$(http DELETE "/v2/apps/web/hello/tasks/$(cat task1)?scale=true")" = 200 &&
	wait_for 20 "grep -q \"^roger: \[$t1\] task .$(cat task1). ended (TASK_KILLED)\$\" f1.err" &&
	port=$(task_port web/hello 0) &&
	curl -sf "http://127.0.0.1:$port/log?stdout=still-following" >/dev/null &&
	wait_for 10 "grep -q \"still-following\$\" f1.out" &&
	kill -0 "$(cat follow-f1.pid)" &&
	test ! -e f1.status &&
	stop_follow f1 &&
	echo 130 >expect &&
	test_cmp expect f1.status &&
	test_grep ! "warning" f1.err &&
	test_grep ! "ERROR\|runtime error" f1.err
'

test_expect_success 'follow of one task ends by itself when the task ends' '
	app_get web/hello "a[\"tasks\"][0][\"id\"]" >task2 &&
	follow f2 --task "$(cat task2)" &&
	wait_for 10 "grep -q \"hello on stdout\" f2.out" &&
	test_grep ! "^\[" f2.out &&
	port=$(task_port web/hello 0) &&
	curl -sf "http://127.0.0.1:$port/exit?code=0" >/dev/null &&
	wait_for 20 "test -s f2.status" &&
	rm -f follow-f2.pid &&
	echo 0 >expect &&
	test_cmp expect f2.status &&
	test_grep "ended (TASK_FINISHED)" f2.err
'

partial='{"id": "/web/partial", "instances": 1, "cpus": 0.1, "mem": 16,
           "cmd": "printf half-; while [ ! -e '"$TRASH"'/go ]; do sleep 0.1; done; echo line; exec '"$TESTAPP"'"}'

test_expect_success 'follow: a line written in two parts is printed once, whole' '
	test_create_repo partial "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"partial\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$partial") &&
	wait_deployed "$dep" &&
	task=$(app_get web/partial "a[\"tasks\"][0][\"id\"]") &&
	t=$(short "$task")
	(
		cd "$TRASH/partial" &&
		sh -c "echo \$\$ >\"$TRASH/follow-f3.pid\"; exec \"$ROGER\" logs -f" >"$TRASH/f3.out" 2>"$TRASH/f3.err"
	) &
	wait_for 10 "test -s follow-f3.pid" &&
	lcurl -s "$LOCAL_URL/slave(1)/state" >agent.json &&
	dir=$(json agent.json "[e[\"directory\"] for f in d[\"frameworks\"] for e in f[\"executors\"] if e[\"id\"] == \"$task\"][0]") &&
	wait_for 10 "grep -q half- \"$dir/stdout\"" &&
	sleep 2.5 &&
	touch go &&
	wait_for 15 "grep -q \"^\[$t\] half-line\$\" f3.out" &&
	test_grep ! "^\[$t\] half-\$" f3.out &&
	test_grep ! "^\[$t\] line\$" f3.out &&
	kill -INT "$(cat follow-f3.pid)" &&
	rm -f follow-f3.pid &&
	test "$(http DELETE /v2/apps/web/partial)" = 200
'

crash='{"id": "/web/crash", "cmd": "echo started; echo boom: no config >&2; exit 3",
        "instances": 1, "cpus": 0.1, "mem": 16}'

test_expect_success '--failed shows a crashed task and how it ended' '
	test_create_repo crash "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"crash\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	test "$(http POST /v2/apps "$crash")" = 201 &&
	wait_for 30 "test \"\$(app_get web/crash \"(a.get(\\\"lastTaskFailure\\\") or {}).get(\\\"state\\\")\")\" = TASK_FAILED" &&
	(cd crash && "$ROGER" logs --failed --stderr >../out 2>../err) &&
	test_grep "] boom: no config$" out &&
	test_grep "has ended (TASK_FAILED)" err &&
	(cd crash && "$ROGER" logs --failed -n 5 >../out) &&
	test_grep "] started$" out &&
	test "$(http DELETE /v2/apps/web/crash)" = 200
'

many='{"id": "/web/many", "cmd": "seq 1 200000; exec '"$TESTAPP"'",
       "instances": 1, "cpus": 0.1, "mem": 16}'

test_expect_success 'a pipe to head ends quietly' '
	test_create_repo many "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"many\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$many") &&
	wait_deployed "$dep" &&
	wait_for 20 "(cd many && \"\$ROGER\" logs -n 1) | grep -q listening" &&
	(cd many && { "$ROGER" logs 2>../err; echo $? >../status; } | head -n 3 >../out) &&
	test_line_count 3 out &&
	echo 0 >expect &&
	test_cmp expect status &&
	test_line_count 0 err &&
	(cd many && { "$ROGER" logs -f 2>../err; echo $? >../status; } | grep -m 1 "] 150000$" >../out) &&
	test_cmp expect status &&
	test_line_count 0 err
'

test_expect_success 'a whole file comes through one /files/download, byte for byte' '
	(cd many && "$ROGER" -vv logs --stdout >../out 2>../err) &&
	test_grep "/files/download?path=" err &&
	test "$(grep -c "/files/read?path=[^ ]*stdout&offset=0&" err)" = 0 &&
	sed "s/^\[[^]]*\] //" out | grep -x "[0-9]*" >got &&
	seq 1 200000 >expect &&
	test_cmp expect got &&
	(cd many && "$ROGER" logs --stdout -n 5 >../out) &&
	test_line_count 5 out
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
