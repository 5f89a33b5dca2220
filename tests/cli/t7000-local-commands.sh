#!/bin/sh
# `roger local up|down|status|serve|token`: starting in the background,
# the second up (refused when it asks for another capacity), stale pid
# files, stopping with every task, serving in the foreground, a port taken
# by another program, the token, the capacity from the user config.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

state=$XDG_STATE_HOME/roger/local
test_atexit '"$ROGER" local down >/dev/null 2>&1 || true'

test_expect_success 'usage errors: no verb, an unknown verb, a bad port' '
	test_expect_code 2 "$ROGER" local 2>err &&
	test_grep "missing verb" err &&
	test_expect_code 2 "$ROGER" local upp 2>err &&
	test_grep "unknown verb .upp." err &&
	test_expect_code 2 "$ROGER" local --port 70000 up 2>err &&
	test_grep "invalid --port" err &&
	test_expect_code 2 "$ROGER" local up --cpus -1 2>err &&
	test_grep "invalid --cpus" err
'

test_expect_success 'completion offers the verbs and the options' '
	"$ROGER" __complete local "" >verbs &&
	printf "up\ndown\nstatus\nserve\nprune\ntoken\n" >want &&
	test_cmp want verbs &&
	"$ROGER" __complete local --st >opts &&
	test_grep "^--state-dir" opts &&
	"$ROGER" __complete local prune --ke >opts &&
	test_grep "^--keep" opts &&
	"$ROGER" __complete local up --gc >opts &&
	test_grep "^--gc-size" opts &&
	"$ROGER" __complete local up "" >after &&
	test_line_count 0 after
'

test_expect_success 'status when nothing runs: exit 1' '
	test_expect_code 1 "$ROGER" local status >out &&
	test_grep "not running" out
'

test_expect_success 'token before any server ran: exit 1, says how to get one' '
	test_expect_code 1 "$ROGER" local token >out 2>err &&
	test_line_count 0 out &&
	test_grep "^roger: roger local has no token yet in .$state.: .roger local up. makes one$" err
'

test_expect_success 'up starts it in the background in the default state directory' '
	"$ROGER" local up --port 0 >out 2>err &&
	url=$(cat out) &&
	echo "$url" | grep -Eq "^http://127\.0\.0\.1:[0-9]+$" &&
	curl -sf "$url/ping" >pong &&
	test "$(cat pong)" = pong &&
	test -s "$state/server.json" &&
	test -f "$state/server.log"
'

test_expect_success 'it binds 127.0.0.1 only' '
	port=$(json "$state/server.json" "d[\"port\"]") &&
	if command -v ss >/dev/null; then
		ss -ltnH "sport = :$port" >listen &&
		test_grep "127.0.0.1:$port" listen &&
		test_grep ! "0.0.0.0:$port" listen
	fi
'

test_expect_success 'status reports the URL and pid; -o json too' '
	"$ROGER" local status >out &&
	test_grep "roger local is running at http://127.0.0.1:" out &&
	"$ROGER" -o json local status >status.json &&
	test "$(json status.json "d[\"running\"]")" = true &&
	test "$(json status.json "d[\"token_file\"]")" = "$state/token" &&
	pid=$(json status.json "d[\"pid\"]") &&
	kill -0 "$pid"
'

test_expect_success 'token prints the token of the state directory, which the server asks for' '
	"$ROGER" local token >token 2>err &&
	test_line_count 0 err &&
	test "$(cat token)" = "$(cat "$state/token")" &&
	grep -Eqx "[0-9a-f]{64}" token &&
	test "$(stat -c %a "$state/token")" = 600 &&
	url=$(json "$state/server.json" "d[\"url\"]") &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$url/v2/apps")" = 401 &&
	curl -sf -H "Authorization: token=$(cat token)" "$url/v2/apps" >apps &&
	test "$(cat apps)" = "{\"apps\":[]}" &&
	"$ROGER" -o json local token >token.json &&
	test "$(json token.json "d[\"token\"]")" = "$(cat token)" &&
	test "$(json token.json "d[\"token_file\"]")" = "$state/token"
'

test_expect_success 'status says how to send a request, and the way it says works' '
	"$ROGER" local status >out &&
	url=$(json "$state/server.json" "d[\"url\"]") &&
	test_grep -F "roger local token | sed '\''s/^/Authorization: token=/'\'' | curl -H @- $url/v2/apps" out &&
	test_grep ! "$(cat "$state/token")" out &&
	line=$(grep "curl -H" out | sed "s/^[^:]*: //; s/^roger local/\"\$ROGER\" local/") &&
	eval "$line" >apps &&
	test "$(cat apps)" = "{\"apps\":[]}" &&
	"$ROGER" local --state-dir "$state" status >out &&
	test_grep -F "roger local --state-dir $state token | sed" out
'

test_expect_success 'a second up says it is already running and exits 0' '
	"$ROGER" local up --port 0 >out 2>err &&
	test_grep "already running at http://127.0.0.1:" err
'

test_expect_success 'status tells the capacity; a second up asking for another one is refused, not ignored' '
	"$ROGER" local status >out &&
	test_grep "^its tasks may use [0-9.]* cpus and [0-9.]* MiB in all$" out &&
	cpus=$(json "$state/server.json" "d[\"cpus\"]") &&
	mem=$(json "$state/server.json" "d[\"mem\"]") &&
	"$ROGER" -o json local status >status.json &&
	test "$(json status.json "d[\"cpus\"] == $cpus and d[\"mem\"] == $mem")" = true &&
	pid=$(json "$state/server.json" "d[\"pid\"]") &&
	test_expect_code 1 "$ROGER" local up --cpus 12345 >out 2>err &&
	test_line_count 0 out &&
	test_grep "^roger: roger local is already running (pid $pid) with [0-9.]* cpus and [0-9.]* MiB; the capacity is set when it starts: run .roger local down., then .roger local up --cpus 12345.$" err &&
	test_expect_code 1 "$ROGER" local up --mem 99 --cpus 3 2>err &&
	test_grep "then .roger local up --cpus 3 --mem 99.$" err &&
	"$ROGER" local up --cpus "$cpus" >out 2>err &&
	test_grep "already running" err &&
	test "$(json "$state/server.json" "d[\"pid\"]")" = "$pid"
'

test_expect_success 'with -o json, it describes the one that runs' '
	"$ROGER" -o json local up --port 0 >out.json 2>err &&
	test_grep "already running" err &&
	test "$(json out.json "d[\"running\"]")" = true &&
	test "$(json out.json "d[\"pid\"]")" = "$(json "$state/server.json" "d[\"pid\"]")" &&
	test "$(json out.json "d[\"url\"]")" = "$(json "$state/server.json" "d[\"url\"]")"
'

test_expect_success 'down stops it and every task it started; no process is left' '
	url=$(json "$state/server.json" "d[\"url\"]") &&
	mkdir pids &&
	app=$(printf "{\"id\":\"/t\",\"cmd\":\"exec %s\",\"instances\":3,\"cpus\":0.01,\"mem\":8,\"env\":{\"TESTAPP_PIDDIR\":\"%s\"}}" "$TESTAPP" "$PWD/pids") &&
	curl -sf -H "Authorization: token=$(cat "$state/token")" -H "Content-Type: application/json" -d "$app" "$url/v2/apps" >/dev/null &&
	wait_for 20 "test \$(ls pids | wc -l) -ge 3" &&
	pid=$(json "$state/server.json" "d[\"pid\"]") &&
	"$ROGER" local down 2>err &&
	test_grep "stopped" err &&
	wait_for 5 "! kill -0 $pid" &&
	for p in $(ls pids); do
		! kill -0 "$p" 2>/dev/null || { echo "task process $p survived" >&2; exit 1; }
	done &&
	test_expect_code 1 "$ROGER" local status >out &&
	test ! -e "$state/server.json"
'

test_expect_success 'down when nothing runs: exit 1 and says so' '
	test_expect_code 1 "$ROGER" local down 2>err &&
	test_grep "not running" err
'

test_expect_success 'a stale pid file is detected and replaced' '
	sh -c "exit 0" &
	dead=$!
	wait $dead
	printf "{\"pid\":%d,\"port\":1,\"url\":\"http://127.0.0.1:1\"}\n" "$dead" >"$state/server.json" &&
	test_expect_code 1 "$ROGER" local status >out &&
	test_grep "not running" out &&
	"$ROGER" local up --port 0 >out 2>err &&
	test_grep "stale" err &&
	curl -sf "$(cat out)/ping" &&
	"$ROGER" local down 2>/dev/null
'

test_expect_success 'up reports a server that cannot start, with its log' '
	mkdir -p "$TRASH/broken/token" &&
	test_expect_code 1 "$ROGER" local up --port 0 --state-dir "$TRASH/broken" 2>err &&
	test_grep "exited at start" err &&
	test_grep "cannot rename .* to .$TRASH/broken/token." err
'

test_expect_success 'up on a port another program holds: a free one instead, recorded and said' '
	python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)" >busy &
	holder=$!
	test_when_finished kill $holder &&
	test_when_finished "$ROGER" local down --state-dir "$TRASH/other" &&
	wait_for 10 "test -s busy" &&
	busy=$(cat busy) &&
	"$ROGER" local up --port "$busy" --state-dir "$TRASH/other" >out 2>err &&
	url=$(cat out) &&
	test "$url" != "http://127.0.0.1:$busy" &&
	test_grep "^roger: port $busy is taken by another program; roger local serves on $url$" err &&
	test "$(json "$TRASH/other/server.json" "d[\"url\"]")" = "$url" &&
	"$ROGER" local status --state-dir "$TRASH/other" >st &&
	test_grep "running at $url " st &&
	curl -sf -H "Authorization: token=$(cat "$TRASH/other/token")" "$url/v2/info" >/dev/null
'

test_expect_success 'the token is kept across restarts' '
	"$ROGER" local token --state-dir "$TRASH/other" >before &&
	"$ROGER" local up --port 0 --state-dir "$TRASH/other" >out 2>/dev/null &&
	"$ROGER" local down --state-dir "$TRASH/other" 2>/dev/null &&
	"$ROGER" local up --port 0 --state-dir "$TRASH/other" >out &&
	"$ROGER" local token --state-dir "$TRASH/other" >after &&
	test_cmp before after &&
	curl -sf -H "Authorization: token=$(cat after)" "$(cat out)/v2/info" >/dev/null &&
	"$ROGER" local down --state-dir "$TRASH/other" 2>/dev/null
'

test_expect_success 'serve runs in the foreground and stops on SIGTERM with exit 0' '
	"$ROGER" local serve --port 0 --state-dir "$TRASH/fg" >fg.out 2>fg.err &
	fg=$!
	wait_for 10 "test -s fg.out" &&
	test_grep "^roger local listening on http://127.0.0.1:" fg.out &&
	test_expect_code 1 "$ROGER" local serve --port 0 --state-dir "$TRASH/fg" 2>err2 &&
	test_grep "already running" err2 &&
	kill -TERM $fg &&
	wait $fg
'

test_expect_success 'the user config sets the default port and state directory' '
	port=$(test_free_port) &&
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	printf "{\"local\":{\"port\":%d,\"state_dir\":\"%s\"}}\n" "$port" "$TRASH/configured" >"$XDG_CONFIG_HOME/roger/config.json" &&
	"$ROGER" local up >out &&
	test "$(cat out)" = "http://127.0.0.1:$port" &&
	test -s "$TRASH/configured/server.json" &&
	"$ROGER" local status >st &&
	test_grep "$TRASH/configured" st &&
	"$ROGER" local down 2>/dev/null &&
	rm "$XDG_CONFIG_HOME/roger/config.json"
'

test_expect_success 'the user config sets the capacity; an invalid one names its key' '
	port=$(test_free_port) &&
	printf "{\"local\":{\"port\":%d,\"state_dir\":\"%s\",\"cpus\":1.5,\"mem\":300}}\n" "$port" "$TRASH/sized" >"$XDG_CONFIG_HOME/roger/config.json" &&
	"$ROGER" local up >out &&
	test "$(json "$TRASH/sized/server.json" "d[\"cpus\"]")" = 1.5 &&
	test "$(json "$TRASH/sized/server.json" "d[\"mem\"]")" = 300 &&
	"$ROGER" local status >st &&
	test_grep "^its tasks may use 1.5 cpus and 300 MiB in all$" st &&
	test_expect_code 1 "$ROGER" local up --cpus 2 2>err &&
	test_grep "with 1.5 cpus and 300 MiB" err &&
	"$ROGER" local down 2>/dev/null &&
	printf "{\"local\":{\"cpus\":-1}}\n" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 "$ROGER" local status 2>err &&
	test_grep "local.cpus: expected a positive number, got -1" err &&
	rm "$XDG_CONFIG_HOME/roger/config.json"
'

test_expect_success 'the user config sets the router port and the first service port' '
	port=$(test_free_port) &&
	rport=$(test_free_port) &&
	printf "{\"local\":{\"port\":%d,\"state_dir\":\"%s\",\"router_port\":%d,\"service_port_min\":23456,\"registry_port\":0}}\n" "$port" "$TRASH/routed" "$rport" >"$XDG_CONFIG_HOME/roger/config.json" &&
	"$ROGER" local up >out &&
	test "$(json "$TRASH/routed/server.json" "d[\"router\"]")" = "127.0.0.1:$rport" &&
	token=$("$ROGER" local token) &&
	curl -sf -H "Authorization: token=$token" -H "Content-Type: application/json" \
		-d "{\"id\":\"/sp\",\"cmd\":\"sleep 100\",\"instances\":0,\"portDefinitions\":[{\"port\":0}]}" \
		"http://127.0.0.1:$port/v2/apps" >/dev/null &&
	curl -sf -H "Authorization: token=$token" "http://127.0.0.1:$port/v2/apps/sp" >app.json &&
	test "$(json app.json "d[\"app\"][\"portDefinitions\"][0][\"port\"]")" = 23456 &&
	"$ROGER" local down 2>/dev/null &&
	printf "{\"local\":{\"router_port\":70000}}\n" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 "$ROGER" local status 2>err &&
	test_grep "local.router_port" err &&
	printf "{\"local\":{\"service_port_min\":80}}\n" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 "$ROGER" local status 2>err &&
	test_grep "local.service_port_min" err &&
	rm "$XDG_CONFIG_HOME/roger/config.json"
'

test_done
