# lib-local.sh - helpers for CLI tests that need a running roger local.
# Source it after lib.sh:
#
#	. "$TEST_SRCDIR/cli/lib-local.sh"
#	local_start [--cpus N] [--mem MIB]	# sets LOCAL_URL LOCAL_PORT LOCAL_PID LOCAL_STATE LOCAL_TOKEN
#	http GET /v2/apps			# body in ./body, status on stdout
#	lcurl -s "$LOCAL_URL/v2/apps"		# curl with the server's token
#	local_config				# the user config's "local" is this server
#	json body 'd["apps"][0]["id"]'		# a Python expression over the JSON in a file
#	wait_for 30 'test "$(json_url /v2/apps/x "d[\"app\"][\"tasksRunning\"]")" = 2'
#	local_stop / local_kill9
#
# The server runs `roger local serve --port 0 --registry-port 0 --router-port 0` (the
# kernel picks free loopback ports) with its state under $TRASH/local
# unless LOCAL_STATE is set, and is stopped when the script ends, even on
# failure.  With LOCAL_ULIMIT set (such as "-n 256"), it runs under
# `ulimit $LOCAL_ULIMIT`.  $TESTAPP is the test application
# (tests/testapp.c; see its header for its controls).  Every request but
# /ping needs the token of the state directory: talk to the server with
# `http`, `lcurl` or the other helpers, never bare curl.

: "${TESTAPP:=$TEST_BUILDDIR/testapp}"
export TESTAPP

LOCAL_PID=
LOCAL_PORT=
LOCAL_URL=

# local_start [serve options...]: start a server and wait until /ping answers.
local_start() {
	: "${LOCAL_STATE:=$TRASH/local}"
	mkdir -p "$LOCAL_STATE"
	rm -f "$LOCAL_STATE/server.json"
	if [ -n "${LOCAL_ULIMIT:-}" ]; then
		# shellcheck disable=SC2086 # ulimit's arguments
		(ulimit $LOCAL_ULIMIT &&
		 exec "$ROGER" local serve --port 0 --registry-port 0 --router-port 0 --state-dir "$LOCAL_STATE" "$@") \
			>>"$TRASH/local-serve.log" 2>&1 &
	else
		"$ROGER" local serve --port 0 --registry-port 0 --router-port 0 --state-dir "$LOCAL_STATE" "$@" \
			>>"$TRASH/local-serve.log" 2>&1 &
	fi
	LOCAL_PID=$!
	# A server started inside a test case sets LOCAL_PID in that case's
	# subshell only: the file lets the script's end stop it too.
	echo "$LOCAL_PID" >>"$TRASH/.local-pids"
	i=0
	while [ ! -s "$LOCAL_STATE/server.json" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$LOCAL_PID" 2>/dev/null; then
			echo "roger local did not start:" >&2
			cat "$TRASH/local-serve.log" >&2
			return 1
		fi
		sleep 0.05
	done
	LOCAL_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$LOCAL_STATE/server.json")
	LOCAL_URL=http://127.0.0.1:$LOCAL_PORT
	LOCAL_TOKEN=$(cat "$LOCAL_STATE/token")
	export LOCAL_PID LOCAL_PORT LOCAL_URL LOCAL_STATE LOCAL_TOKEN
	wait_for 10 'curl -sf "$LOCAL_URL/ping" >/dev/null'
}

# lcurl ARGS...: curl with the token of the server local_start started.
lcurl() {
	curl -H "Authorization: token=$LOCAL_TOKEN" "$@"
}

# local_config: a user configuration whose built-in target "local" is the
# server local_start started (its state directory, hence its port and
# token).
local_config() {
	mkdir -p "$XDG_CONFIG_HOME/roger"
	printf '{"local": {"port": %d, "state_dir": "%s"}}\n' "$LOCAL_PORT" \
		"$LOCAL_STATE" >"$XDG_CONFIG_HOME/roger/config.json"
}

# local_term PID TENTHS: SIGTERM, up to TENTHS tenths of a second for the
# process to go, then SIGKILL.
local_term() {
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$2" ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

# local_stop: SIGTERM, then wait until the server is gone.
local_stop() {
	[ -n "$LOCAL_PID" ] || return 0
	local_term "$LOCAL_PID" 600
	wait "$LOCAL_PID" 2>/dev/null || true
	LOCAL_PID=
}

# local_stop_status: local_stop at the top level of a script (not in a
# test body), keeping the server's exit status in LOCAL_EXIT, for a test
# that it stopped cleanly (sanitizer builds exit non-zero on a leak).
local_stop_status() {
	LOCAL_EXIT=none
	[ -n "$LOCAL_PID" ] || return 0
	kill -TERM "$LOCAL_PID" 2>/dev/null || true
	LOCAL_EXIT=0
	wait "$LOCAL_PID" || LOCAL_EXIT=$?
	LOCAL_PID=
}

# local_kill9: SIGKILL the server, as a crash would.
local_kill9() {
	kill -KILL "$LOCAL_PID" 2>/dev/null || true
	{ wait "$LOCAL_PID"; } 2>/dev/null || true
	LOCAL_PID=
}

# local_stop_started: stop every server local_start started that still
# runs (SIGTERM, then SIGKILL after a grace period), whoever forgot it.
local_stop_started() {
	[ -f "$TRASH/.local-pids" ] || return 0
	for p in $(cat "$TRASH/.local-pids"); do
		grep -q "local" "/proc/$p/cmdline" 2>/dev/null || continue
		local_term "$p" 100
	done
	rm -f "$TRASH/.local-pids"
}

test_atexit 'local_stop_started'
test_atexit 'local_stop'

# containers_skip_reason: nothing (status 1) where roger local can run
# image tasks in containers of their own, else why not (for test_skip).
# In a chroot, / is no mount point: a mount namespace cannot make the
# mounts private, and roger local fails such tasks, saying so.
containers_skip_reason() {
	if [ "$(id -u)" = 0 ] && ! unshare -m true 2>/dev/null; then
		echo "the root directory is not a mount point (a chroot?): a container's mounts cannot be kept from the host's"
		return 0
	fi
	return 1
}

# wait_for SECONDS 'shell condition': poll until true or fail after the deadline.
wait_for() {
	deadline=$(($(date +%s) + $1))
	while ! eval "$2" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "timed out after $1 s waiting for: $2" >&2
			return 1
		fi
		sleep 0.1
	done
}

# http METHOD PATH [BODY [CONTENT-TYPE]]: the status on stdout, the body in
# ./body and the headers in ./headers.
http() {
	if [ $# -ge 3 ]; then
		lcurl -s -o body -D headers -w '%{http_code}' -X "$1" \
			-H "Content-Type: ${4:-application/json}" --data-binary "$3" \
			"$LOCAL_URL$2"
	else
		lcurl -s -o body -D headers -w '%{http_code}' -X "$1" "$LOCAL_URL$2"
	fi
}

# json FILE EXPR: print a Python expression over the JSON document `d`.
json() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

# json_url PATH EXPR: the same over a GET of PATH.
json_url() {
	lcurl -s "$LOCAL_URL$1" >"$TRASH/.json_url" && json "$TRASH/.json_url" "$2"
}

# header NAME: the value of a response header from ./headers.
header() {
	tr -d '\r' <headers | sed -n "s/^$1: //Ip" | head -n 1
}

# deploy_app JSON: POST an app and print its deployment id.
deploy_app() {
	st=$(http POST /v2/apps "$1")
	if [ "$st" != 201 ]; then
		echo "POST /v2/apps answered $st:" >&2
		cat body >&2
		return 1
	fi
	header Marathon-Deployment-Id
}

# wait_deployed ID [SECONDS]: wait until deployment ID is no longer listed.
wait_deployed() {
	wait_for "${2:-30}" "! lcurl -s \"\$LOCAL_URL/v2/deployments\" | grep -q '$1'"
}

# wait_idle [SECONDS]: wait until no deployment is in progress.
wait_idle() {
	wait_for "${1:-30}" 'test "$(lcurl -s "$LOCAL_URL/v2/deployments")" = "[]"'
}

# local_config_prod [EXTRA]: a user configuration with the built-in
# target "local" on this server (as local_config) and a protected target
# "prod" on the same server, with its token file; EXTRA (JSON members,
# with a leading comma) goes into prod's object.
local_config_prod() {
	mkdir -p "$XDG_CONFIG_HOME/roger"
	cat >"$XDG_CONFIG_HOME/roger/config.json" <<EOF
{"local": {"port": $LOCAL_PORT, "state_dir": "$LOCAL_STATE"},
 "targets": {"prod": {"marathon": ["$LOCAL_URL"], "mesos": "$LOCAL_URL",
                      "auth": {"token_file": "$LOCAL_STATE/token"},
                      "protected": true${1:-}}}}
EOF
}

# cancel_deployments: DELETE every deployment in progress and wait until
# the reverts are done (the cleanup of a case that may leave one behind).
cancel_deployments() {
	for d in $(lcurl -s "$LOCAL_URL/v2/deployments" |
		python3 -c 'import json,sys
for d in json.load(sys.stdin): print(d["id"])'); do
		lcurl -s -X DELETE "$LOCAL_URL/v2/deployments/$d" >/dev/null
	done
	wait_idle "${1:-30}"
}

# interrupt_roger NAME LINE ARGS...: start `roger ARGS` in the background
# in the current directory (stdout and stderr in $TRASH/NAME.out and
# NAME.err), wait until its standard error has a line starting with
# "roger: LINE" (its progress line), interrupt it as Ctrl-C does, and
# leave its exit status in $TRASH/NAME.status.
interrupt_roger() {
	name=$1
	line=$2
	shift 2
	(
		if sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$TRASH/$name.pid" \
			"$ROGER" "$@" >"$TRASH/$name.out" 2>"$TRASH/$name.err"; then
			echo 0 >"$TRASH/$name.status"
		else
			echo $? >"$TRASH/$name.status"
		fi
	) &
	wait_for 30 "grep -q '^roger: $line' '$TRASH/$name.err'" &&
	kill -INT "$(cat "$TRASH/$name.pid")" &&
	wait_for 30 "test -s '$TRASH/$name.status'"
}

# sandbox TASK: the sandbox directory of a task, running or ended.
sandbox() {
	lcurl -s "$LOCAL_URL/slave(1)/state" >"$TRASH/.agent" &&
		json "$TRASH/.agent" "[e[\"directory\"] for f in d[\"frameworks\"] + d[\"completed_frameworks\"] for e in f[\"executors\"] + f[\"completed_executors\"] if e[\"id\"] == \"$1\"][0]"
}

# app_get APP EXPR: a Python expression over the app object `a` of GET /v2/apps/APP.
app_get() {
	lcurl -s "$LOCAL_URL/v2/apps/$1" >"$TRASH/.app_get" &&
		python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))["app"]
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$TRASH/.app_get" "$2"
}

# running APP: how many of the app's tasks are TASK_RUNNING.
running() {
	app_get "$1" 'len([t for t in a.get("tasks", []) if t["state"] == "TASK_RUNNING"])'
}
