#!/bin/sh
# roger logs against scripted servers: a Mesos master that is not the
# leader (307 to another address), an agent that is down, a sandbox that is
# gone (404) or refused (403); output bytes that are not UTF-8; prefixes,
# JSON lines, --task, a closed pipe, exit statuses, and the completion of
# task ids.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

U=-1111-2222-3333-444455556666
A=web_hello.instance-aaaaaaaa$U._app.1
B=web_hello.instance-bbbbbbbb$U._app.1
D=web_hello.instance-dddddddd$U._app.1
DOWN_PORT=$(test_free_port)

# A's stdout: a line with bytes that are not UTF-8, then many lines (more
# than a pipe holds, for the test with head).
"${PYTHON:-python3}" - "$TRASH/a-stdout.json" <<'PY'
import sys
data = b"first line\nbad \xff\xfe bytes \xc3\n"
data += b"".join(b"line %d\n" % i for i in range(30000))
body = b'{"data": "' + data.replace(b"\n", b"\\n") + b'", "offset": 0}'
open(sys.argv[1], "wb").write(body)
open(sys.argv[1] + ".size", "w").write(str(len(data)))
# The window a tail reads first: the last 4096 bytes.
tail = b'{"data": "' + data[-4096:].replace(b"\n", b"\\n") + b'", "offset": 0}'
open(sys.argv[1] + ".tail", "wb").write(tail)
PY
A_SIZE=$(cat "$TRASH/a-stdout.json.size")

# The leader: Marathon, the master's state, agent S0 and its files.
faultd_start leader "$("${PYTHON:-python3}" - "$A" "$B" "$D" "$DOWN_PORT" \
	"$TRASH/a-stdout.json" "$A_SIZE" <<'PY'
import json, sys
a, b, d, down, a_file, a_size = sys.argv[1:7]
def task(i, agent, started):
    return {"id": i, "appId": "/web/hello", "host": "127.0.0.1",
            "slaveId": agent, "state": "TASK_RUNNING", "startedAt": started}
def mtask(i, agent):
    return {"id": i, "framework_id": "F1", "slave_id": agent,
            "state": "TASK_RUNNING"}
master = {"slaves": [{"id": "S0", "hostname": "127.0.0.1", "port": "PORT"},
                     {"id": "S1", "hostname": "127.0.0.1", "port": int(down)}],
          "frameworks": [{"id": "F1", "tasks": [mtask(a, "S0"),
                          mtask(b, "S0"), mtask(d, "S1")]}]}
agent = {"id": "S0", "frameworks": [{"id": "F1", "executors": [
    {"id": a, "directory": "/sb/a"}, {"id": b, "directory": "/sb/b"}]}]}
rules = [
    {"match": "GET /v2/apps/web/hello/tasks", "times": 0,
     "json": {"tasks": [task(a, "S0", "1"), task(b, "S0", "2"),
                        task(d, "S1", "3")]}},
    {"match": "GET /master/state", "times": 0,
     "body": json.dumps(master).replace('"PORT"', "{port}"),
     "headers": {"Content-Type": "application/json"}},
    {"match": "GET /slave(1)/state", "times": 0, "json": agent},
    {"match": "GET /files/read?path=%2Fsb%2Fa%2Fstdout&offset=-1&*",
     "times": 0, "json": {"data": "", "offset": int(a_size)}},
    {"match": "GET /files/read?path=%2Fsb%2Fa%2Fstdout&offset=0&*",
     "times": 0, "body_file": a_file,
     "headers": {"Content-Type": "application/json"}},
    {"match": "GET /files/read?path=%%2Fsb%%2Fa%%2Fstdout&offset=%d&length=4096"
     % (int(a_size) - 4096), "times": 0, "body_file": a_file + ".tail",
     "headers": {"Content-Type": "application/json"}},
    {"match": "GET /files/read?path=%2Fsb%2Fa%2Fstdout&*", "times": 0,
     "json": {"data": "", "offset": int(a_size)}},
    {"match": "GET /files/read?path=%2Fsb%2Fa%2Fstderr&offset=-1&*",
     "times": 0, "json": {"data": "", "offset": 4}},
    {"match": "GET /files/read?path=%2Fsb%2Fa%2Fstderr&*", "times": 0,
     "json": {"data": "oops", "offset": 0}},
    {"match": "GET /files/read?path=%2Fsb%2Fb%2Fstderr&*", "times": 0,
     "status": 403, "body": ""},
    {"match": "GET /files/read?path=%2Fsb%2Fb%2F*", "times": 0,
     "status": 404, "body": ""},
]
print(json.dumps(rules))
PY
)"
# A master that is not the leader: 307 to the leader, protocol-relative.
faultd_start follower "[{\"match\": \"GET /master/state\", \"times\": 0,
  \"status\": 307, \"headers\": {\"Location\": \"//127.0.0.1:$leader_PORT/master/state\"}}]"

# A master that does not answer in time.
faultd_start slow "[{\"match\": \"GET /master/state\", \"times\": 0, \"delay\": 30, \"json\": {}}]"

ROGER_MARATHON_URL=$leader_URL
ROGER_MESOS_URL=$follower_URL
export ROGER_MARATHON_URL ROGER_MESOS_URL

test_expect_success 'setup' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json"
'

test_expect_success 'every task at once, a dead agent and a gone sandbox skipped' '
	(cd repo && "$ROGER" logs >../out 2>../err) &&
	test_line_count 30003 out &&
	tail -n 1 out >last &&
	echo "[aaaaaaaa] oops" >expect &&
	test_cmp expect last &&
	(cd repo && "$ROGER" logs --stdout >../out 2>../err) &&
	head -n 2 out >head2 &&
	printf "[aaaaaaaa] first line\n[aaaaaaaa] bad \377\376 bytes \303\n" >expect &&
	cmp expect head2 &&
	test_line_count 30002 out &&
	tail -n 1 out >last &&
	echo "[aaaaaaaa] line 29999" >expect &&
	test_cmp expect last &&
	test_grep "^roger: warning: skipping task .$B.: file ./sb/b/stdout. not found on agent" err &&
	test_grep "^roger: warning: skipping task .$D.: cannot connect to .http://127.0.0.1:$DOWN_PORT/slave(1)/state." err &&
	test_line_count 2 err
'

test_expect_success 'a sandbox the agent refuses (403) is skipped too; the rest go on' '
	(cd repo && "$ROGER" logs --stderr >../out 2>../err) &&
	echo "[aaaaaaaa] oops" >expect &&
	test_cmp expect out &&
	test_grep "^roger: warning: skipping task .$B.: " err &&
	grep "skipping task .$B." err | grep -q "403" &&
	test_grep "^roger: warning: skipping task .$D.: cannot connect" err &&
	test_line_count 2 err
'

test_expect_success 'the master that is not the leader redirected to it' '
	test "$(faultd_count follower GET /master/state)" -ge 1 &&
	test "$(faultd_count leader GET /master/state)" -ge 1
'

test_expect_success '-o json: one object per line, bytes that are not UTF-8 replaced' '
	(cd repo && "$ROGER" -o json logs --stdout -n 2 --task aaaa >../out 2>../err) &&
	"${PYTHON:-python3}" -c "
import json, sys
lines = [json.loads(l) for l in open(\"out\")]
assert [l[\"line\"] for l in lines] == [\"line 29998\", \"line 29999\"], lines
assert all(l[\"task\"] == \"$A\" and l[\"stream\"] == \"stdout\" for l in lines)
" &&
	(cd repo && "$ROGER" -o json logs --stdout --task aaaa >../out) &&
	sed -n 2p out >second &&
	echo "{\"task\":\"$A\",\"stream\":\"stdout\",\"line\":\"bad \\ufffd\\ufffd bytes \\ufffd\"}" >expect &&
	test_cmp expect second
'

test_expect_success '--task shows one task without prefixes; --stderr' '
	(cd repo && "$ROGER" logs --stdout --task aaaaaaaa -n 1 >../out) &&
	echo "line 29999" >expect &&
	test_cmp expect out &&
	(cd repo && "$ROGER" logs --stderr --task "$A" >../out) &&
	echo oops >expect &&
	test_cmp expect out
'

test_expect_success '--task errors: none, several, only a dead or gone one' '
	(cd repo && test_expect_code 1 "$ROGER" logs --task zzzz 2>../err) &&
	test_grep "^roger: no task of app ./web/hello. matches .zzzz.$" err &&
	(cd repo && test_expect_code 2 "$ROGER" logs --task web_hello 2>../err) &&
	test_grep "is ambiguous" err &&
	(cd repo && test_expect_code 1 "$ROGER" logs --task bbbb 2>../err) &&
	test_grep "not found on agent" err &&
	(cd repo && test_expect_code 4 "$ROGER" logs --task dddd 2>../err) &&
	test_grep "cannot connect" err
'

test_expect_success 'a closed pipe ends quietly with status 0' '
	(cd repo && { "$ROGER" logs 2>../err; echo $? >../status; } | head -n 1 >../out) &&
	echo "[aaaaaaaa] first line" >expect &&
	test_cmp expect out &&
	echo 0 >expect &&
	test_cmp expect status &&
	test_grep ! "write error" err &&
	test_grep ! "Broken pipe" err
'

test_expect_success 'usage errors' '
	(cd repo && test_expect_code 2 "$ROGER" logs -n x 2>../err) &&
	test_grep "invalid --tail .x." err &&
	(cd repo && test_expect_code 2 "$ROGER" logs extra 2>../err) &&
	test_grep "unexpected argument .extra." err &&
	(cd repo && "$ROGER" logs --stdout -n all --task aaaa >../out) &&
	test_line_count 30002 out
'

test_expect_success '--request-timeout limits each request to Mesos: status 4, naming the wait' '
	(cd repo && ROGER_MESOS_URL=$slow_URL test_expect_code 4 "$ROGER" logs --request-timeout 500ms >../out 2>../err) &&
	test_grep "timed out after 0.5 s waiting for .$slow_URL/master/state" err &&
	test_line_count 0 out
'

test_expect_success 'a target without a Mesos URL: status 3, saying how to set one' '
	(cd repo && ROGER_MESOS_URL= test_expect_code 3 "$ROGER" logs 2>../err) &&
	test_grep "has no Mesos URL; set \"mesos\"" err
'

test_expect_success 'completion offers the task ids of the app' '
	(cd repo && "$ROGER" __complete logs --task "" >../out 2>../err) &&
	printf "%s\n" "$A" "$B" "$D" >expect &&
	test_cmp expect out &&
	test_line_count 0 err &&
	(cd repo && "$ROGER" __complete logs --task=web_hello.instance-b >../out) &&
	echo "--task=$B" >expect &&
	test_cmp expect out
'

test_expect_success 'completion of task ids is silent when Marathon is down' '
	(cd repo && ROGER_MARATHON_URL=http://127.0.0.1:$DOWN_PORT \
		"$ROGER" __complete logs --task "" >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 0 err
'

test_done
