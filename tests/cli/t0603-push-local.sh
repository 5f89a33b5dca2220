#!/bin/sh
# roger push to roger local's own store (the default target's): the object
# lands in the store, a second push skips it, a Marathon app whose fetch
# entry names the pushed URL runs from the extracted artifact, and a push
# to the local target starts roger local when it is not running.
. "$TEST_SRCDIR/cli/lib.sh"

if [ ! -f "$TEST_SRCDIR/cli/lib-local.sh" ] ||
   ! "$ROGER" local -h >/dev/null 2>&1; then
	test_skip 'roger push to roger local' 'this tree has no roger local'
	test_done
fi
. "$TEST_SRCDIR/cli/lib-local.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

local_start --cpus 2 --mem 1024
mkdir -p "$XDG_CONFIG_HOME/roger"
local_config

cd "$TRASH" || exit 99
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\" }\n" >roger.json &&
	echo pushed >marker.txt &&
	printf "#!/bin/sh\ncp marker.txt \"\$OUT\" && exec sleep 600\n" >run.sh &&
	chmod +x run.sh
'

test_expect_success 'push to the local target stores the artifact in roger local' '
	"$ROGER" -C app push >out 2>err &&
	sha=$(value sha256 out) &&
	test "$(value url out)" = "$LOCAL_URL/artifacts/web/hello/$sha.tar.gz" &&
	test "$(value skipped out)" = no &&
	test_line_count 0 err &&
	cmp "app/.roger/artifacts/$sha.tar.gz" "$LOCAL_STATE/artifacts/web/hello/$sha.tar.gz" &&
	lcurl -sf "$(value url out)" | cmp - "app/.roger/artifacts/$sha.tar.gz"
'

test_expect_success 'a second push skips it' '
	"$ROGER" -C app push >out2 &&
	test "$(value skipped out2)" = yes &&
	test "$(value url out2)" = "$(value url out)"
'

test_expect_success 'an app fetching the pushed URL runs from the extracted artifact' '
	url=$(value url out) &&
	app="{\"id\": \"/web/hello\", \"cmd\": \"./run.sh\", \"instances\": 1,
	      \"cpus\": 0.1, \"mem\": 16,
	      \"fetch\": [{\"uri\": \"$url\", \"extract\": true}],
	      \"env\": {\"OUT\": \"$TRASH/seen\"}}" &&
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	wait_for 20 "test \"\$(cat \"$TRASH/seen\")\" = pushed" &&
	test "$(running web/hello)" = 1
'

# Whatever happens, the roger local started by push stops with the script.
test_atexit '"$ROGER" local down --state-dir "$TRASH/other" >/dev/null 2>&1'

test_expect_success 'push to the local target starts roger local when it is not running' '
	port=$(test_free_port) &&
	mkdir -p cfg/roger &&
	echo "{\"local\": {\"port\": $port, \"state_dir\": \"$TRASH/other\"}}" >cfg/roger/config.json &&
	XDG_CONFIG_HOME=$TRASH/cfg "$ROGER" -C app push >out3 2>err3 &&
	test_grep "starting roger local on port $port" err3 &&
	test "$(value url out3)" = "http://127.0.0.1:$port/artifacts/web/hello/$(value sha256 out).tar.gz" &&
	test -f "$TRASH/other/artifacts/web/hello/$(value sha256 out).tar.gz" &&
	XDG_CONFIG_HOME=$TRASH/cfg "$ROGER" local down >/dev/null 2>&1
'

test_expect_success 'a dry run does not start roger local' '
	port=$(test_free_port) &&
	echo "{\"local\": {\"port\": $port, \"state_dir\": \"$TRASH/third\"}}" >cfg/roger/config.json &&
	test_expect_code 4 env XDG_CONFIG_HOME=$TRASH/cfg "$ROGER" -C app push -n >out4 2>err4 &&
	test_grep "^roger: roger local is not running (state in .$TRASH/third.): start it with .roger local up.$" err4 &&
	test ! -e "$TRASH/third/server.json"
'

local_stop_status

test_expect_success 'roger local stopped cleanly' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
