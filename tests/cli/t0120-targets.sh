#!/bin/sh
# The user config and target resolution as commands see them (through
# `roger config`): precedence, environment overrides, the target made of
# environment variables alone, auth forms, refusals, secrets masked.
. "$TEST_SRCDIR/cli/lib.sh"

UC=$XDG_CONFIG_HOME/roger/config.json

json_get() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	v = json.load(open(sys.argv[1]))
	for k in sys.argv[2].split('.'):
	    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
	    if v is None:
	        break
	print('<absent>' if v is None else v if isinstance(v, str) else json.dumps(v))
	EOF
}

write_config() {
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	cat >"$UC"
}

test_expect_success 'setup' '
	test_create_repo repo "cat >roger.json <<-\EOF
	{
	  \"version\": 1,
	  \"app\": \"hello\",
	  \"group\": \"/web\",
	  \"environments\": {
	    \"staging\": {\"target\": \"staging\"},
	    \"production\": {\"target\": \"prod\"},
	    \"dev\": {}
	  }
	}
	EOF"
'

test_expect_success 'without a user config the target is local' '
	"$ROGER" -C repo config >out &&
	test_grep "^target: *local (built-in)$" out &&
	test_grep "^marathon: *http://127.0.0.1:7878$" out &&
	test_grep "^artifacts: *http://127.0.0.1:7878/artifacts/$" out &&
	test_grep "^user config: *$UC$" out
'

test_expect_success 'a user config with targets' '
	write_config <<-EOF &&
	{
	  "default_target": "staging",
	  "local": {"port": 9911},
	  "targets": {
	    "staging": {"marathon": "http://staging.example.com:8080/"},
	    "prod": {
	      "marathon": ["https://m1.example.com:8080", "https://m2.example.com:8080"],
	      "mesos": "https://mesos.example.com:5050",
	      "artifacts": "https://artifacts.example.com/roger",
	      "auth": {"token_env": "DCOS_TOKEN"},
	      "protected": true
	    },
	    "ci": {"marathon": "http://ci:8080"}
	  }
	}
	EOF
	DCOS_TOKEN=sekrit-token "$ROGER" -C repo -e production config >out &&
	test_grep "^target: *prod (user config)$" out &&
	test_grep "^marathon: *https://m1.example.com:8080, https://m2.example.com:8080$" out &&
	test_grep "^artifacts: *https://artifacts.example.com/roger/$" out &&
	test_grep "^auth: *token, secret \*\*\*\*\*\*\*\*$" out &&
	test_grep "^protected: *yes$" out &&
	test_grep ! sekrit-token out
'

test_expect_success 'precedence: -t, ROGER_TARGET, the environment, default_target, local' '
	DCOS_TOKEN=x ROGER_TARGET=ci "$ROGER" -C repo -e production -t prod config >out &&
	test_grep "^target: *prod " out &&
	DCOS_TOKEN=x ROGER_TARGET=ci "$ROGER" -C repo -e production config >out &&
	test_grep "^target: *ci " out &&
	DCOS_TOKEN=x "$ROGER" -C repo -e production config >out &&
	test_grep "^target: *prod " out &&
	"$ROGER" -C repo -e dev config >out &&
	test_grep "^target: *staging " out &&
	"$ROGER" -C repo -t local config >out &&
	test_grep "^target: *local (built-in)$" out &&
	test_grep "^marathon: *http://127.0.0.1:9911$" out
'

test_expect_success 'environment variables override the user config' '
	echo pem >ca.pem &&
	DCOS_TOKEN=x ROGER_MARATHON_URL="http://o1:8080/, http://o2:8080" \
	ROGER_MESOS_URL=http://om:5050 ROGER_ARTIFACTS_URL=file:///srv/art \
	ROGER_CA_FILE="$PWD/ca.pem" ROGER_USER=ci ROGER_PASSWORD=pw-secret \
		"$ROGER" -C repo -o json -e production config >out.json &&
	test "$(json_get out.json target.name)" = prod &&
	test "$(json_get out.json target.marathon)" = "[\"http://o1:8080\", \"http://o2:8080\"]" &&
	test "$(json_get out.json target.mesos)" = http://om:5050 &&
	test "$(json_get out.json target.artifacts)" = file:///srv/art/ &&
	test "$(json_get out.json target.ca_file)" = "$PWD/ca.pem" &&
	test "$(json_get out.json target.auth.kind)" = basic &&
	test "$(json_get out.json target.auth.user)" = ci &&
	test "$(json_get out.json target.auth.password)" = "********" &&
	test "$(json_get out.json target.protected)" = true &&
	test_grep ! pw-secret out.json
'

test_expect_success 'a target made of environment variables alone (CI)' '
	mv "$UC" saved.json &&
	ROGER_MARATHON_URL=https://marathon.ci:8443 ROGER_TOKEN=ci-token-value \
		"$ROGER" -C repo -e production -o json config >out.json &&
	test "$(json_get out.json target.name)" = prod &&
	test "$(json_get out.json target.origin)" = environment &&
	test "$(json_get out.json target.marathon)" = "[\"https://marathon.ci:8443\"]" &&
	test "$(json_get out.json target.auth.token)" = "********" &&
	test "$(json_get out.json target.local)" = false &&
	test_grep ! ci-token-value out.json &&
	ROGER_MARATHON_URL=https://marathon.ci:8443 "$ROGER" -C repo config >out &&
	test_grep "^target: *environment (environment)$" out &&
	mv saved.json "$UC"
'

test_expect_success 'an unknown target: 3, with a suggestion' '
	test_expect_code 3 "$ROGER" -C repo -t prdo config >out 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: unknown target .prdo. (from -t), did you mean .prod.?" err &&
	test_expect_code 3 env ROGER_TARGET=zzz "$ROGER" -C repo config 2>err &&
	test_grep "unknown target .zzz. (from ROGER_TARGET): define it under .targets. in .$UC., or set ROGER_MARATHON_URL" err
'

test_expect_success 'a token variable that is not set: 3, naming it' '
	test_expect_code 3 "$ROGER" -C repo -t prod config 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: $UC: targets.prod.auth.token_env: environment variable .DCOS_TOKEN. is not set" err
'

test_expect_success 'a bad ROGER_MARATHON_URL: 3' '
	test_expect_code 3 env ROGER_MARATHON_URL=marathon:8080 "$ROGER" -C repo config 2>err &&
	test_grep -x "roger: ROGER_MARATHON_URL: invalid URL .marathon:8080.: expected an http:// or https:// URL" err
'

test_expect_success 'a token file readable by others is refused; 0600 is accepted' '
	mkdir -p home/.dcos && printf "file-token-value\n" >home/.dcos/token && chmod 644 home/.dcos/token &&
	write_config <<-EOF &&
	{"default_target": "p", "targets": {"p": {"marathon": "http://m:8080", "auth": {"token_file": "~/.dcos/token"}}}}
	EOF
	test_expect_code 3 "$ROGER" -C repo config >out 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: token file .$HOME/.dcos/token. has mode 0644: group and others must have no access to it (chmod 600 .$HOME/.dcos/token.)" err &&
	chmod 600 home/.dcos/token &&
	"$ROGER" -C repo config >out &&
	test_grep "^auth: *token, secret \*\*\*\*\*\*\*\*$" out &&
	test_grep ! file-token-value out
'

test_expect_success 'HTTP Basic with password_env, and netrc' '
	write_config <<-EOF &&
	{"targets": {"b": {"marathon": "http://m:8080", "auth": {"user": "deploy", "password_env": "DEPLOY_PW"}},
	             "n": {"marathon": "http://m:8080", "auth": {"netrc": true, "netrc_file": "~/.netrc-x"}}}}
	EOF
	test_expect_code 3 "$ROGER" -C repo -t b config 2>err &&
	test_grep "targets.b.auth.password_env: environment variable .DEPLOY_PW. is not set" err &&
	DEPLOY_PW=basic-secret "$ROGER" -C repo -t b config >out &&
	test_grep "^auth: *basic, user deploy, secret \*\*\*\*\*\*\*\*$" out &&
	test_grep ! basic-secret out &&
	"$ROGER" -C repo -t n config >out &&
	test_grep "^auth: *netrc, $HOME/.netrc-x$" out
'

test_expect_success 'a user config with bad JSON or content: 3, file and position' '
	printf "{\n  \"targets\": {\n    \"p\": {\"marathon\": \"http://m\",}\n  }\n}\n" >"$UC" &&
	test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: $UC:3:34: string or .}. expected near .}." err &&
	printf "{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"password\": \"pw-literal\"}}}}" >"$UC" &&
	test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_grep "targets.p.auth.password: roger does not read literal secrets from its configuration" err &&
	test_grep ! pw-literal err &&
	printf "{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"protected\": \"yes\"}}}" >"$UC" &&
	test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_grep -x "roger: $UC: targets.p.protected: expected a boolean, got a string" err
'

# Tests here may run as root, for whom chmod 000 does not make a file
# unreadable; a directory where the file should be is unreadable for all.
test_expect_success 'an unreadable user config (a directory in its place): 3, naming it' '
	rm -f "$UC" && mkdir "$UC" &&
	test_expect_code 3 "$ROGER" -C repo config 2>err &&
	test_line_count 1 err &&
	test_grep -x "roger: cannot read .$UC.: Is a directory" err &&
	rmdir "$UC"
'

if [ "$(id -u)" -ne 0 ]; then
	test_expect_success 'an unreadable user config (chmod 000): 3, naming it' '
		echo "{}" >"$UC" && chmod 000 "$UC" &&
		test_expect_code 3 "$ROGER" -C repo config 2>err &&
		chmod 600 "$UC" &&
		test_grep -x "roger: cannot read .$UC.: Permission denied" err
	'
elif test_have_nobody; then
	test_expect_success 'an unreadable user config (chmod 000, as nobody): 3, naming it' '
		mkdir -p nb/home/.config/roger &&
		git clone -q repo nb/repo &&
		echo "{}" >nb/home/.config/roger/config.json &&
		chmod 000 nb/home/.config/roger/config.json &&
		test_expect_code 3 test_as_nobody nb env HOME="$TRASH/nb/home" \
			XDG_CONFIG_HOME="$TRASH/nb/home/.config" \
			"$ROGER" -C nb/repo config >out 2>err &&
		test_line_count 1 err &&
		test_grep -x "roger: cannot read .$TRASH/nb/home/.config/roger/config.json.: Permission denied" err
	'
else
	test_skip 'an unreadable user config (chmod 000)' 'running as root, which reads any file, and without setpriv(1) or a build the user nobody can run; the directory case above covers it'
fi

test_done
