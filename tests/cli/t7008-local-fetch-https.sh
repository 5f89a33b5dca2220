#!/bin/sh
# roger local's fetcher over HTTPS, from a real nginx with a certificate
# signed by a CA made for the run: trusted with --ca-file (the archive is
# fetched and extracted), refused without it (the task fails as Mesos
# reports a fetch failure, the reason in the sandbox's stderr), and a
# --ca-file that cannot be read (usage error).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"
. "$TEST_SRCDIR/cli/lib-nginx.sh"

if why=$(nginx_skip_reason); then
	test_skip 'https:// fetches from nginx' "$why"
	test_done
fi
if ! "$NGINX" -V 2>&1 | grep -q -- --with-http_ssl_module; then
	test_skip 'https:// fetches from nginx' 'this nginx lacks the SSL module'
	test_done
fi
nginx_start --tls || exit 1

# Two servers: one trusting the test CA, one with the system's CAs.
LOCAL_STATE=$TRASH/trusting
local_start --ca-file "$NGINX_CA" || exit 1
TRUSTING_URL=$LOCAL_URL
TRUSTING_TOKEN=$LOCAL_TOKEN
TRUSTING_PID=$LOCAL_PID
LOCAL_STATE=$TRASH/plain
local_start || exit 1

# greeter ID: deploy an app that prints the greeting of the archive it
# fetches from the HTTPS server; prints the deployment id.
greeter() {
	deploy_app "{\"id\":\"$1\",\"cmd\":\"cat data/greeting.txt && exec sleep 1000\",
		\"cpus\":0.1,\"mem\":16,\"backoffSeconds\":60,
		\"fetch\":[{\"uri\":\"$NGINX_TLS_URL/static/site.tar.gz\"}]}"
}

test_expect_success 'setup: an archive on the HTTPS server, and curl trusts it with the CA' '
	mkdir -p art/data &&
	echo "fetched over https" >art/data/greeting.txt &&
	tar -czf "$NGINX_DIR/www/static/site.tar.gz" -C art data &&
	curl -sf --cacert "$NGINX_CA" -o got.tar.gz "$NGINX_TLS_URL/static/site.tar.gz" &&
	cmp got.tar.gz "$NGINX_DIR/www/static/site.tar.gz" &&
	test_expect_code 60 curl -s -o /dev/null "$NGINX_TLS_URL/static/site.tar.gz"
'

test_expect_success 'with --ca-file: the archive is fetched and extracted' '
	LOCAL_URL=$TRUSTING_URL &&
	LOCAL_TOKEN=$TRUSTING_TOKEN &&
	dep=$(greeter /tls/ok) &&
	wait_deployed "$dep" &&
	task=$(app_get tls/ok "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	wait_for 10 "test -s \"$dir/stdout\"" &&
	test_grep "^fetched over https$" "$dir/stdout" &&
	test -f "$dir/data/greeting.txt" &&
	test "$(http DELETE /v2/apps/tls/ok)" = 200
'

test_expect_success 'without it: the certificate is refused and the task fails as Mesos says' '
	greeter /tls/refused >/dev/null &&
	wait_for 20 "app_get tls/refused \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	app_get tls/refused "a[\"lastTaskFailure\"][\"message\"]" >message &&
	grep -q "^Failed to launch container: Failed to fetch all URIs for container .* with exit status: 256$" message &&
	task=$(app_get tls/refused "a[\"lastTaskFailure\"][\"taskId\"]") &&
	dir=$(sandbox "$task") &&
	test_grep -i "certificate" "$dir/stderr" &&
	test ! -e "$dir/data" &&
	test "$(http DELETE /v2/apps/tls/refused)" = 200
'

test_expect_success 'local.ca_file of the user config, relative to it: used by roger local up' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	cp "$NGINX_CA" "$XDG_CONFIG_HOME/roger/test-ca.pem" &&
	echo "{\"local\": {\"ca_file\": \"test-ca.pem\"}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_when_finished "$ROGER" local --state-dir "$TRASH/up" down &&
	url=$("$ROGER" local --port 0 --state-dir "$TRASH/up" up) &&
	LOCAL_URL=$url &&
	LOCAL_TOKEN=$("$ROGER" local --state-dir "$TRASH/up" token) &&
	dep=$(greeter /tls/config) &&
	wait_deployed "$dep" &&
	test "$(app_get tls/config "a[\"tasksRunning\"]")" = 1 &&
	"$ROGER" local --state-dir "$TRASH/up" down 2>err &&
	test_grep "stopped" err &&
	rm -f "$XDG_CONFIG_HOME/roger/config.json"
'

test_expect_success 'a --ca-file that cannot be read: exit 2, one line naming it' '
	test_expect_code 2 "$ROGER" local --ca-file "$TRASH/nope.pem" --state-dir "$TRASH/other" status 2>err &&
	echo "roger: --ca-file: cannot read '\''$TRASH/nope.pem'\'': No such file or directory" >expect &&
	test_cmp expect err
'

local_stop_status
plain_exit=$LOCAL_EXIT
LOCAL_PID=$TRUSTING_PID
local_stop_status

test_expect_success 'both servers stop cleanly on SIGTERM (exit 0)' '
	test "$plain_exit" = 0 && test "$LOCAL_EXIT" = 0 ||
		{ cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
