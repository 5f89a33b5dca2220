#!/bin/sh
# roger logs reads a large file through /files/download, and goes on with
# /files/read when the download breaks off half-way or is refused: against
# a scripted agent, every line exactly once, in order.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

U=-1111-2222-3333-444455556666
C=web_big.instance-cccccccc$U._app.1
E=web_big.instance-eeeeeeee$U._app.1
CUT=700001

# Two stdouts of about 1.5 MiB (C's download is cut after $CUT bytes, E's
# is answered 500), the /files/read windows from where each download left
# off, and what roger must print.
"${PYTHON:-python3}" - "$TRASH" "$C" "$E" "$CUT" <<'PY' >"$TRASH/script.json"
import json, sys
trash, c, e, cut = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cap = 65536

def lines(tag):
    return b"".join(b"%s line %06d\n" % (tag, i) for i in range(100000))

def task(i, started):
    return {"id": i, "appId": "/web/big", "host": "127.0.0.1",
            "slaveId": "S0", "state": "TASK_RUNNING", "startedAt": started}

rules = []
expect = b""
for tid, tag, box, start, download in (
        (c, b"c", "/sb/c", cut, {"close_after": cut}),
        (e, b"e", "/sb/e", 0, {"status": 500, "body": "no"})):
    data = lines(tag)
    name = "%s/%s.stdout" % (trash, tag.decode())
    open(name, "wb").write(data)
    short = tid.split("instance-")[1][:8]
    expect += b"".join(b"[%s] %s\n" % (short.encode(), l)
                       for l in data.split(b"\n")[:-1])
    q = "path=%2Fsb%2F" + tag.decode() + "%2Fstdout"
    rules.append({"match": "GET /files/read?%s&offset=-1&*" % q, "times": 0,
                  "json": {"data": "", "offset": len(data)}})
    rules.append(dict({"match": "GET /files/download?%s" % q, "times": 0,
                       "body_file": name}, **download))
    off = start
    while off < len(data):
        rules.append({"match": "GET /files/read?%s&offset=%d&*" % (q, off),
                      "times": 0,
                      "json": {"data": data[off:off + cap].decode(),
                               "offset": off}})
        off += cap
    rules.append({"match": "GET /files/read?%s&*" % q, "times": 0,
                  "json": {"data": "", "offset": len(data)}})
    q = "path=%2Fsb%2F" + tag.decode() + "%2Fstderr"
    rules.append({"match": "GET /files/read?%s&*" % q, "times": 0,
                  "json": {"data": "", "offset": 0}})
open(trash + "/expect", "wb").write(expect)
master = {"slaves": [{"id": "S0", "hostname": "127.0.0.1", "port": "PORT"}],
          "frameworks": [{"id": "F1", "tasks": [
              {"id": i, "framework_id": "F1", "slave_id": "S0",
               "state": "TASK_RUNNING"} for i in (c, e)]}]}
agent = {"id": "S0", "frameworks": [{"id": "F1", "executors": [
    {"id": c, "directory": "/sb/c"}, {"id": e, "directory": "/sb/e"}]}]}
rules += [
    {"match": "GET /v2/apps/web/big/tasks", "times": 0,
     "json": {"tasks": [task(c, "1"), task(e, "2")]}},
    {"match": "GET /master/state", "times": 0,
     "body": json.dumps(master).replace('"PORT"', "{port}"),
     "headers": {"Content-Type": "application/json"}},
    {"match": "GET /slave(1)/state", "times": 0, "json": agent},
]
print(json.dumps(rules))
PY
faultd_start agent "$(cat "$TRASH/script.json")"
ROGER_MARATHON_URL=$agent_URL
ROGER_MESOS_URL=$agent_URL
export ROGER_MARATHON_URL ROGER_MESOS_URL

test_expect_success 'setup' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"big\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json"
'

test_expect_success 'a download cut half-way, and one refused: /files/read goes on from where it stopped' '
	(cd repo && "$ROGER" logs >../out 2>../err) &&
	test_cmp expect out &&
	test_line_count 0 err &&
	test "$(faultd_count agent GET /files/download?path=%2Fsb%2Fc)" = 1 &&
	test "$(faultd_count agent GET /files/download?path=%2Fsb%2Fe)" = 1 &&
	test "$(faultd_count agent GET "/files/read?path=%2Fsb%2Fc%2Fstdout&offset=0&")" = 0 &&
	test "$(faultd_count agent GET "/files/read?path=%2Fsb%2Fc%2Fstdout&offset=$CUT&")" = 1 &&
	test "$(faultd_count agent GET "/files/read?path=%2Fsb%2Fe%2Fstdout&offset=0&")" = 1
'

test_done
