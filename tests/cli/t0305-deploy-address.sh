#!/bin/sh
# The stable address: roger deploy and roger status print it first (the
# router of roger local; on a cluster target, its "router" template filled
# with the service port Marathon assigned, read back after the deployment),
# -o json carries it, and `expose` becomes marathon-lb labels, which the
# router of roger local serves too (HAPROXY_0_VHOST).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start --cpus 4 --mem 4096 --service-port-min $((30000 + ($$ % 500) * 20))
local_config_prod ", \"artifacts\": \"$LOCAL_URL/artifacts/\", \"router\": {\"address\": \"http://lb.example.com:{servicePort}\", \"group\": \"external\"}"
FRONT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["router"])' "$LOCAL_STATE/server.json")

test_expect_success 'setup: a project that exposes a vhost' '
	test_create_repo repo &&
	printf "exec \"%s\"\n" "$TESTAPP" >repo/run.sh &&
	cat >repo/roger.json <<-EOF &&
	{"version": 1, "app": "hello", "group": "/web",
	 "expose": {"vhost": "Hello.Example.com"},
	 "marathon": {"cmd": "sh ./run.sh", "instances": 1, "cpus": 0.05, "mem": 8,
	   "healthChecks": [{"protocol": "HTTP", "path": "/health", "gracePeriodSeconds": 2,
	     "intervalSeconds": 1, "timeoutSeconds": 1}]}}
	EOF
	git -C repo add -A && git -C repo commit -q -m v1
'

test_expect_success 'deploy to roger local: the router address first, then the task' '
	(cd repo && "$ROGER" deploy >../out 2>../err) &&
	grep "^http://" out >addrs &&
	test_line_count 2 addrs &&
	test "$(head -n 1 addrs)" = "http://hello.web.localhost:${FRONT#*:}/" &&
	grep "^http://127.0.0.1:" addrs &&
	test "$(app_get web/hello "a[\"labels\"][\"HAPROXY_0_VHOST\"]")" = hello.example.com &&
	test "$(app_get web/hello "a[\"labels\"][\"HAPROXY_0_MODE\"]")" = http &&
	test "$(app_get web/hello "a[\"labels\"].get(\"HAPROXY_GROUP\")")" = null &&
	curl -sf -H "Host: hello.example.com" "http://$FRONT/" | grep "^testapp "
'

test_expect_success 'status shows the address first, -o json carries it' '
	(cd repo && "$ROGER" status >../out) &&
	sed -n 2p out >line &&
	echo "address:    http://hello.web.localhost:${FRONT#*:}/" >expect &&
	test_cmp expect line &&
	(cd repo && "$ROGER" -o json status >../out) &&
	test "$(json out "d[\"address\"]")" = "http://hello.web.localhost:${FRONT#*:}/"
'

test_expect_success 'a cluster target: labels from its router, the service port read back' '
	(cd repo && "$ROGER" --target prod deploy --yes --force >../out 2>../err) &&
	sp=$(app_get web/hello "a[\"portDefinitions\"][0][\"port\"]") &&
	test "$sp" -gt 0 &&
	test "$(grep -m 1 "^http://" out)" = "http://lb.example.com:$sp" &&
	test "$(app_get web/hello "a[\"labels\"][\"HAPROXY_GROUP\"]")" = external &&
	(cd repo && "$ROGER" --target prod -o json deploy --yes --force >../out 2>../err) &&
	test "$(json out "d[\"address\"]")" = "http://lb.example.com:$sp"
'

test_expect_success 'a bad router in the user config: one line naming it' '
	cp "$XDG_CONFIG_HOME/roger/config.json" config.good &&
	sed "s/{servicePort}/{port}/" config.good >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 sh -c "cd repo && \"\$ROGER\" --target prod status" 2>err;
	rc=$? &&
	cp config.good "$XDG_CONFIG_HOME/roger/config.json" &&
	test "$rc" = 0 &&
	test_grep "targets.prod.router.address" err &&
	test_grep "{port}" err
'

test_done
