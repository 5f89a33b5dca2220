#!/bin/sh
# A COMMAND health check runs as a process of its task's, forked the one
# way roger local forks (lib/local/proc.c): it holds nothing of the
# server's (no listening socket: /dev/null as 0, 1 and 2, nothing else),
# lives in a process group of its own that the task watchdog records, and
# does not outlive its task nor the server (stopped or killed), even when
# it drops the environment by which leftover task processes are otherwise
# found.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

sleep_bin=$(command -v sleep)
checks=$TRASH/checks
# The check notes its pid, then hangs with an empty environment; its
# timeout and grace period outlast the test.
app=$(printf '{"id":"/probe","cmd":"exec %s 1000","cpus":0.1,"mem":16,"healthChecks":[{"protocol":"COMMAND","command":{"value":"echo $$ >>%s; exec env -i %s 1000"},"delaySeconds":0,"intervalSeconds":1,"timeoutSeconds":600,"gracePeriodSeconds":600,"maxConsecutiveFailures":0}]}' \
	"$sleep_bin" "$checks" "$sleep_bin")

# alive PID: whether the process runs (a zombie does not).
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	"" | Z*) return 1 ;;
	esac
}

# check_pid N: the pid of the Nth check started.
check_pid() {
	sed -n "${1}p" "$checks" 2>/dev/null
}

# hanging N: the Nth check runs and hangs in sleep.
hanging() {
	p=$(check_pid "$1") && test -n "$p" && alive "$p" &&
		test "$(ps -o comm= -p "$p")" = sleep
}

local_start

test_expect_success 'the check holds /dev/null as 0, 1 and 2 and nothing else' '
	dep=$(deploy_app "$app") &&
	wait_for 30 "hanging 1" &&
	pid=$(check_pid 1) &&
	ls "/proc/$pid/fd" | sort -n | tr "\n" " " >fds &&
	test "$(cat fds)" = "0 1 2 " &&
	for fd in 0 1 2; do
		test "$(readlink "/proc/$pid/fd/$fd")" = /dev/null || return 1
	done
'

test_expect_success 'in particular not the listening socket of the server' '
	pid=$(check_pid 1) &&
	port=$(printf "%04X" "$LOCAL_PORT") &&
	inode=$(awk -v p=":$port" "\$2 ~ p\"\$\" && \$4 == \"0A\" { print \$10 }" /proc/net/tcp) &&
	test -n "$inode" &&
	ls -l "/proc/$LOCAL_PID/fd" | grep -q "socket:\[$inode\]" &&
	! ls -l "/proc/$pid/fd" | grep -q "socket:"
'

test_expect_success 'it leads a process group of its own' '
	pid=$(check_pid 1) &&
	test "$(ps -o pgid= -p "$pid" | tr -d " ")" = "$pid"
'

test_expect_success 'it is killed with its task' '
	pid=$(check_pid 1) &&
	task=$(app_get probe "a[\"tasks\"][0][\"id\"]") &&
	test "$(http DELETE "/v2/apps/probe/tasks/$task")" = 200 &&
	wait_for 15 "! alive $pid"
'

test_expect_success 'a server that stops does not wait for it, and it goes' '
	wait_for 30 "hanging 2" &&
	pid=$(check_pid 2) &&
	kill -TERM "$LOCAL_PID" &&
	wait_for 30 "! alive $LOCAL_PID" &&
	! alive "$pid"
'

test_expect_success 'and the watchdog kills it when the server is killed' '
	local_start &&
	wait_for 30 "hanging 3" &&
	pid=$(check_pid 3) &&
	local_kill9 &&
	wait_for 15 "! alive $pid"
'

test_done
