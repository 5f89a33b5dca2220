#!/bin/sh
# roger top (and the cpu and memory columns of roger status) against roger
# local over HTTP: a task that burns cpu and one that holds memory, their
# numbers checked against /proc read by the test, within a tolerance; a
# JSON snapshot, the table off a terminal, the sum for the app, and the
# live table on a pseudo-terminal quitting on `q` with the terminal put
# back.
. "$TEST_SRCDIR/cli/lib.sh"

if [ ! -f "$TEST_SRCDIR/cli/lib-local.sh" ] ||
   ! "$ROGER" local -h >/dev/null 2>&1; then
	test_skip 'roger top against roger local' 'this tree has no roger local'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 2048
local_config

PTYRUN="${PYTHON:-python3} $TEST_SRCDIR/cli/ptyrun.py"
MIB=1048576

PY=${PYTHON:-python3}

# A process holding 64 MiB that it wrote (so resident), then sleeping.
cat >"$TRASH/hold.py" <<'PY'
import time
b = b"x" * (64 << 20)
time.sleep(100000)
PY

# check-cpu.py TOP-JSON T0 T1 S0 S1 HZ TASK: top's cpu of the busy task
# against its /proc times (T0, T1 ticks at S0, S1 seconds) around the run.
cat >"$TRASH/check-cpu.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t0, t1, s0, s1, hz = map(float, sys.argv[2:7])
task = sys.argv[7]
assert d["app"] == "/burn/cpu", d
assert d["interval_seconds"] == 2, d
assert len(d["tasks"]) == 1, d
t = d["tasks"][0]
assert t["id"] == task and t["error"] is None, t
# /proc over a span that holds top's two samples: the same use, give or
# take what a loaded machine moves at the edges.
proc = (t1 - t0) / hz / (s1 - s0)
used = t["cpu"]["used"]
assert proc > 0.2, proc
assert abs(used - proc) < 0.35 + 0.3 * proc, (used, proc)
# the limit: the task's 0.5 and the executor's 0.1
assert abs(t["cpu"]["limit"] - 0.6) < 1e-9, t
assert abs(t["cpu"]["percent"] - 100 * used / 0.6) < 1e-6, t
assert d["total"]["cpu"]["used"] == used, d["total"]
PY

# check-mem.py TOP-JSON KIB: the memory of the task holding 64 MiB.
cat >"$TRASH/check-mem.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
kib = int(sys.argv[2])
m = d["tasks"][0]["mem"]
assert m["rss_bytes"] >= 64 << 20, m
# the shell that started it exec-ed it: one process, the same pages
assert abs(m["rss_bytes"] - kib * 1024) < 8 << 20, (m, kib)
assert m["limit_bytes"] == (256 + 32) << 20, m
assert abs(m["percent"] - 100.0 * m["rss_bytes"] / m["limit_bytes"]) < 1e-6, m
PY

# check-idle.py TOP-JSON: two idle tasks and their sum.
cat >"$TRASH/check-idle.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ts = d["tasks"]
assert len(ts) == 2, ts
for t in ts:
    assert t["cpu"]["used"] < 0.1, t
    assert t["mem"]["rss_bytes"] < 32 << 20, t
tot = d["total"]
assert abs(tot["cpu"]["limit"] - 0.4) < 1e-9, tot
assert tot["mem"]["rss_bytes"] == sum(t["mem"]["rss_bytes"] for t in ts), tot
assert tot["mem"]["limit_bytes"] == 2 * (16 + 32) << 20, tot
PY

# check-status.py STATUS-JSON: the one task of /burn/mem with its columns.
cat >"$TRASH/check-status.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def tasks(o):
    if isinstance(o, dict):
        if "rss_bytes" in (o.get("mem") or {}):
            yield o
        for v in o.values():
            yield from tasks(v)
    elif isinstance(o, list):
        for v in o:
            yield from tasks(v)
ts = list(tasks(d))
assert len(ts) == 1, d
assert ts[0]["mem"]["rss_bytes"] >= 64 << 20, ts
assert ts[0]["cpu"]["since_start"] is True, ts
PY

# rss_kib PID: the resident set of a process, from /proc, in KiB.
rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}

# cpu_ticks PID: user + system time of a process, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

test_expect_success 'setup: a task burning cpu, one holding 64 MiB, one idle' '
	dep=$(deploy_app "{\"id\": \"/burn/cpu\", \"cmd\": \"echo \$\$ >pid; while :; do :; done\",
		\"instances\": 1, \"cpus\": 0.5, \"mem\": 32}") &&
	wait_deployed "$dep" &&
	dep=$(deploy_app "{\"id\": \"/burn/mem\", \"cmd\": \"echo \$\$ >pid; exec $PY $TRASH/hold.py\",
		\"instances\": 1, \"cpus\": 0.1, \"mem\": 256}") &&
	wait_deployed "$dep" &&
	dep=$(deploy_app "{\"id\": \"/burn/idle\", \"cmd\": \"echo \$\$ >pid; exec sleep 100000\",
		\"instances\": 2, \"cpus\": 0.1, \"mem\": 16}") &&
	wait_deployed "$dep" &&
	for a in cpu mem; do
		app_get burn/$a "a[\"tasks\"][0][\"id\"]" >task-$a &&
		dir=$(sandbox "$(cat task-$a)") &&
		wait_for 20 "test -s \"$dir/pid\"" &&
		cp "$dir/pid" pid-$a || return 1
	done &&
	wait_for 30 "test \"\$(rss_kib \$(cat pid-mem))\" -gt 60000"
'

test_expect_success 'a JSON snapshot: the cpu of a busy task against /proc, and its limit' '
	pid=$(cat pid-cpu) &&
	t0=$(cpu_ticks $pid) && s0=$(date +%s.%N) &&
	"$ROGER" -o json top --app /burn/cpu --interval 2s >out &&
	t1=$(cpu_ticks $pid) && s1=$(date +%s.%N) &&
	$PY "$TRASH/check-cpu.py" out "$t0" "$t1" "$s0" "$s1" "$(getconf CLK_TCK)" "$(cat task-cpu)"
'

test_expect_success 'the memory of a task holding 64 MiB against /proc, and its limit' '
	"$ROGER" -o json top --app /burn/mem --interval 200ms >out &&
	kib=$(rss_kib $(cat pid-mem)) &&
	$PY "$TRASH/check-mem.py" out "$kib"
'

test_expect_success 'an idle app: little cpu, per task and summed over its two tasks' '
	"$ROGER" -o json top --app /burn/idle --interval 500ms >out &&
	$PY "$TRASH/check-idle.py" out
'

test_expect_success 'off a terminal: one table, a row per task and the sum' '
	"$ROGER" top --app /burn/idle --interval 200ms >out &&
	test_line_count 4 out &&
	test_grep "^TASK .*CPU%.*MEM%" out &&
	test "$(grep -c "^[0-9a-f]\{8\}  127\.0\.0\.1 " out)" = 2 &&
	test_grep "^total .*/0\.40 .*/96M$" out
'

test_expect_success 'roger status: cpu and memory columns, in JSON too' '
	"$ROGER" -o json status --app /burn/mem >out &&
	$PY "$TRASH/check-status.py" out
'

if [ -n "$(test_tty_why)" ]; then
	test_skip 'the live table on a terminal' "$(test_tty_why)"
else
test_expect_success 'on a terminal: a live table with bars, redrawn on resize, q quits, the terminal put back' '
	$PTYRUN --rows 20 --cols 100 "expect:total" "resize:30:120" \
		"sleep:0.5" "send:q" -- "$ROGER" top --app /burn/idle --interval 300ms >res &&
	test "$(json res "d[\"status\"]")" = 0 &&
	test "$(json res "d[\"restored\"]")" = true &&
	json res "d[\"output\"]" >out &&
	test_grep "/burn/idle.* on local, every 300ms (q quits)" out &&
	test_grep "^[0-9a-f]\{8\}  127\.0\.0\.1 .*\[" out
'
fi

test_done
