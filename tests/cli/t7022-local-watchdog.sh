#!/bin/sh
# The task watchdog of roger local is itself watched: killed, it is
# replaced by a new one that protects every running task (a later SIGKILL
# of the server still takes the tasks down with it), and `roger local
# status` says so.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

mkdir -p "$TRASH/pids"
app=$(printf '{"id":"/guarded","cmd":"exec %s","instances":3,"cpus":0.1,"mem":16,"env":{"TESTAPP_PIDDIR":"%s"}}' "$TESTAPP" "$TRASH/pids")

# Live task processes (a zombie waiting for its reaper is dead).  A task
# runs once it is executed; its pid file comes a moment later, hence the
# waits for the count below.
alive_pids() {
	for p in $(ls "$TRASH/pids"); do
		case $(ps -o stat= -p "$p" 2>/dev/null) in
		"" | Z*) ;;
		*) echo "$p" ;;
		esac
	done
}

watchdog() {
	json "$LOCAL_STATE/server.json" "d[\"watchdog_pid\"]"
}

local_start

test_expect_success 'set up: three tasks, the watchdog in server.json and in status' '
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	wait_for 10 "test \"\$(alive_pids | wc -l)\" = 3" &&
	watchdog >wd1 &&
	test "$(ps -o comm= -p "$(cat wd1)")" = roger-watchdog &&
	"$ROGER" -o json local status --state-dir "$LOCAL_STATE" >st.json &&
	test "$(json st.json "d[\"watchdog\"]")" = "{\"pid\": $(cat wd1), \"running\": true, \"restarts\": 0}" &&
	"$ROGER" local status --state-dir "$LOCAL_STATE" >st &&
	! grep -q "task watchdog" st
'

test_expect_success 'kill -9 of the watchdog: a new one takes over, and status says so' '
	kill -9 "$(cat wd1)" &&
	wait_for 10 "test \"\$(watchdog)\" != \"$(cat wd1)\"" &&
	watchdog >wd2 &&
	test "$(ps -o comm= -p "$(cat wd2)")" = roger-watchdog &&
	"$ROGER" local status --state-dir "$LOCAL_STATE" >st &&
	test_grep "its task watchdog died once and was replaced (pid $(cat wd2) now)" st &&
	"$ROGER" -o json local status --state-dir "$LOCAL_STATE" >st.json &&
	test "$(json st.json "d[\"watchdog\"][\"restarts\"]")" = 1 &&
	grep -q "the task watchdog died; a new one (pid $(cat wd2)) watches the tasks" "$TRASH/local-serve.log" &&
	test "$(alive_pids | wc -l)" = 3
'

test_expect_success 'a task started after the new watchdog is guarded too' '
	test "$(http PUT /v2/apps/guarded "{\"instances\":4}")" = 200 &&
	wait_deployed "$(header Marathon-Deployment-Id)" &&
	wait_for 10 "test \"\$(alive_pids | wc -l)\" = 4"
'

test_expect_success 'then a SIGKILL of the server: no task outlives it' '
	alive_pids >before &&
	test_line_count 4 before &&
	local_kill9 &&
	wait_for 15 "test -z \"\$(alive_pids)\""
'

test_done
