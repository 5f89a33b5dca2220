# faultd.sh - run tests/faultd.py (the scripted fault server) from a CLI
# test.  Source it after lib.sh.
#
#	faultd_start NAME 'SCRIPT'
#		Start a server with the JSON script (see the top of
#		tests/faultd.py) and set ${NAME}_URL (http://127.0.0.1:PORT),
#		${NAME}_PORT and ${NAME}_LOG (its request log, JSON lines).
#		Call it at the top level of the test script: the server then
#		lives until the script ends (test_atexit stops it).  Started
#		inside a test body, it stops with that body's subshell.
#	faultd_count NAME METHOD PATH-PREFIX
#		Print how many logged requests have METHOD and a path
#		starting with PATH-PREFIX.
#
# $PYTHON names the interpreter when set (default python3).

faultd_start() {
	faultd_dir_="$TRASH/faultd-$1"
	mkdir -p "$faultd_dir_"
	printf '%s\n' "$2" >"$faultd_dir_/script.json"
	"${PYTHON:-python3}" "$TEST_SRCDIR/faultd.py" \
		--script "$faultd_dir_/script.json" \
		--log "$faultd_dir_/requests.jsonl" \
		--port-file "$faultd_dir_/port" \
		>/dev/null 2>"$faultd_dir_/stderr" &
	faultd_pid_=$!
	test_atexit "kill $faultd_pid_ 2>/dev/null; wait $faultd_pid_ 2>/dev/null"
	faultd_wait_=0
	while [ ! -s "$faultd_dir_/port" ]; do
		faultd_wait_=$((faultd_wait_ + 1))
		if [ "$faultd_wait_" -gt 150 ] ||
		   ! kill -0 "$faultd_pid_" 2>/dev/null; then
			echo "faultd '$1' did not start:" >&2
			cat "$faultd_dir_/stderr" >&2
			return 1
		fi
		sleep 0.1
	done
	faultd_port_=$(cat "$faultd_dir_/port")
	eval "${1}_PORT=\$faultd_port_"
	eval "${1}_URL=http://127.0.0.1:\$faultd_port_"
	eval "${1}_LOG=\$faultd_dir_/requests.jsonl"
}

faultd_count() {
	eval "faultd_log_=\$${1}_LOG"
	"${PYTHON:-python3}" - "$faultd_log_" "$2" "$3" <<'PY'
import json, sys
log, method, prefix = sys.argv[1:4]
n = 0
with open(log) as f:
    for line in f:
        r = json.loads(line)
        if r["method"] == method and r["path"].startswith(prefix):
            n += 1
print(n)
PY
}
