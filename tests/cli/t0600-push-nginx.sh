#!/bin/sh
# roger push against a real nginx with WebDAV PUT: the first push uploads,
# the second sends one HEAD and nothing else, the dry run sends no PUT,
# credentials (none: exit 4; netrc; Basic on Marathon's origin, masked in
# the trace), 413 and 405 explained, a cut upload that nginx never shows,
# an object of the wrong size replaced, and the progress bar on a terminal.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-nginx.sh"

if reason=$(nginx_skip_reason); then
	test_skip 'roger push against nginx' "$reason"
	test_done
fi
nginx_start || exit 1

# value KEY FILE: the value of a "key value" output line.
value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
# 4 KiB of random bytes: larger than /small/'s 1 KiB limit once packed.
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\" }\n" >roger.json &&
	head -c 4096 /dev/urandom >data.bin &&
	echo one >version.txt
'
# Marathon is never contacted by push; the port is closed.
ROGER_MARATHON_URL=http://127.0.0.1:9
ROGER_ARTIFACTS_URL=$NGINX_URL/store/
export ROGER_MARATHON_URL ROGER_ARTIFACTS_URL

"$ROGER" -C app -o json build >build.json || exit 1
SHA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' build.json)
ART=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' build.json)
OBJ=web/hello/$SHA.tar.gz

test_expect_success 'the first push uploads the artifact under its digest' '
	nginx_log_mark &&
	"$ROGER" -C app push >out 2>err &&
	test "$(value url out)" = "$NGINX_URL/store/$OBJ" &&
	test "$(value sha256 out)" = "$SHA" &&
	test "$(value skipped out)" = no &&
	test_line_count 0 err &&
	cmp "$ART" "$NGINX_DIR/www/store/$OBJ" &&
	nginx_since >log &&
	printf "HEAD /store/%s 404\nPUT /store/%s 201\nHEAD /store/%s 200\n" \
		"$OBJ" "$OBJ" "$OBJ" >expect &&
	cut -d" " -f1-3 log >got &&
	test_cmp expect got
'

test_expect_success 'the second push sends one HEAD and nothing else' '
	nginx_log_mark &&
	"$ROGER" -C app push >out &&
	test "$(value skipped out)" = yes &&
	test "$(value url out)" = "$NGINX_URL/store/$OBJ" &&
	nginx_since >log &&
	test_line_count 1 log &&
	test_grep "^HEAD /store/$OBJ 200 " log
'

test_expect_success '-o json reports the push' '
	"$ROGER" -C app -o json push >out.json &&
	json() { python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))" out.json "$1"; } &&
	test "$(json url)" = "\"$NGINX_URL/store/$OBJ\"" &&
	test "$(json skipped)" = true &&
	test "$(json bytes_sent)" = 0 &&
	test "$(json dry_run)" = false &&
	test "$(json size)" = "$(wc -c <"$ART" | tr -d " ")"
'

test_expect_success 'a dry run checks the store and prints the PUT instead of sending it' '
	echo two >app/version.txt &&
	git -C app commit -qam two &&
	nginx_log_mark &&
	"$ROGER" -C app push -n >out &&
	test "$(value skipped out)" = no &&
	value request out >req &&
	url=$(value url out) &&
	test_grep "^curl -sS -X PUT " req &&
	test_grep -F -- "-H '\''Expect: 100-continue'\''" req &&
	test_grep -F -- "-H '\''X-Checksum-Sha256: " req &&
	test_grep -F -- "-T '\''$TRASH/app/.roger/artifacts/" req &&
	test_grep -F -- "'\''$url'\''" req &&
	nginx_since >log &&
	test_line_count 1 log &&
	test_grep "^HEAD .* 404 " log &&
	test "$(nginx_count PUT "${url#$NGINX_URL}")" = 0
'

test_expect_success 'the dry run'\''s request, run as printed, uploads the artifact' '
	sh -c "$(cat req) -o /dev/null -w %{http_code}" >code &&
	test "$(cat code)" = 201 &&
	"$ROGER" -C app push >out &&
	test "$(value skipped out)" = yes
'

test_expect_success 'a store that wants credentials and gets none: exit 4' '
	test_expect_code 4 env ROGER_ARTIFACTS_URL=$NGINX_URL/auth/ \
		"$ROGER" -C app push >out 2>err &&
	test_line_count 1 err &&
	test_grep "authentication refused by artifact store at .$NGINX_URL/auth/web/hello/" err &&
	test_grep "HTTP 401" err &&
	test_line_count 0 out &&
	test -z "$(ls -A "$NGINX_DIR/www/auth")"
'

test_expect_success 'netrc credentials of the target open the store' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	cat >"$XDG_CONFIG_HOME/roger/config.json" <<-EOF &&
	{ "targets": { "dav": { "marathon": "http://127.0.0.1:9",
	  "artifacts": "$NGINX_URL/auth/", "auth": { "netrc": true } } } }
	EOF
	printf "machine 127.0.0.1 login roger password s3cret\n" >"$HOME/.netrc" &&
	chmod 600 "$HOME/.netrc" &&
	env -u ROGER_MARATHON_URL -u ROGER_ARTIFACTS_URL \
		"$ROGER" -C app -t dav push >out &&
	test "$(value skipped out)" = no &&
	f=$(find "$NGINX_DIR/www/auth" -name "*.tar.gz") &&
	test -n "$f" &&
	cmp "$f" "$(ls app/.roger/artifacts/$(value sha256 out).tar.gz)" &&
	rm -f "$HOME/.netrc" "$XDG_CONFIG_HOME/roger/config.json"
'

test_expect_success 'Basic credentials go to a store on Marathon'\''s origin, masked in the trace' '
	rm -rf "$NGINX_DIR/www/auth/web" &&
	ROGER_MARATHON_URL=$NGINX_URL ROGER_ARTIFACTS_URL=$NGINX_URL/auth/ \
	ROGER_USER=roger ROGER_PASSWORD=s3cret \
		"$ROGER" -C app -vv push >out 2>err &&
	test "$(value skipped out)" = no &&
	test_grep "curl -sS -X PUT .*-u '\''roger:\*\*\*'\''" err &&
	test_grep ! s3cret err &&
	test_grep ! s3cret out &&
	test_expect_code 4 env ROGER_MARATHON_URL=$NGINX_URL \
		ROGER_ARTIFACTS_URL=$NGINX_URL/auth/ ROGER_USER=roger \
		ROGER_PASSWORD=wrong "$ROGER" -C app push 2>err &&
	test_grep "check the user and password" err
'

test_expect_success '413: the artifact is too large for the store, said plainly; the body is never sent' '
	nginx_log_mark &&
	test_expect_code 1 env ROGER_ARTIFACTS_URL=$NGINX_URL/small/ \
		"$ROGER" -C app push >out 2>err &&
	test_line_count 1 err &&
	test_grep "the artifact (4\.[0-9] KiB) is too large for the artifact store at .$NGINX_URL/small/" err &&
	test_grep "HTTP 413" err &&
	test_grep "client_max_body_size" err &&
	nginx_since | grep "^PUT " >put &&
	test_line_count 1 put &&
	len=$(cut -d" " -f4 put) &&
	test "$len" -lt 4096 &&
	test -z "$(find "$NGINX_DIR/www/small" -type f)"
'

test_expect_success '405: a location without WebDAV' '
	test_expect_code 1 env ROGER_ARTIFACTS_URL=$NGINX_URL/static/ \
		"$ROGER" -C app push 2>err &&
	test_grep "does not accept uploads (HTTP 405 for PUT)" err
'

test_expect_success 'an upload cut in the middle leaves nothing nginx shows; the next push uploads it whole' '
	echo three >app/version.txt &&
	head -c 3000000 /dev/urandom >app/big.bin &&
	git -C app add big.bin && git -C app commit -qam three &&
	"$ROGER" -C app -o json build >b.json &&
	path=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"path\"])" b.json) &&
	sha=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"sha256\"])" b.json) &&
	{ curl -s --limit-rate 500k --max-time 1 -T "$path" \
		"$NGINX_URL/store/web/hello/$sha.tar.gz" || true; } &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -I "$NGINX_URL/store/web/hello/$sha.tar.gz")" = 404 &&
	"$ROGER" -C app push >out &&
	test "$(value skipped out)" = no &&
	cmp "$path" "$NGINX_DIR/www/store/web/hello/$sha.tar.gz"
'

test_expect_success 'an object of another size under the name is replaced, with a warning' '
	f=$NGINX_DIR/www/store/web/hello/$(value sha256 out).tar.gz &&
	head -c 1000 "$f" >short && cp short "$f" &&
	"$ROGER" -C app push >out2 2>err &&
	test "$(value skipped out2)" = no &&
	test_grep "holds another object (the store has 1000 bytes" err &&
	cmp "$f" "app/.roger/artifacts/$(value sha256 out).tar.gz"
'

tty_why=$(test_tty_why)
if [ -z "$tty_why" ]; then
test_expect_success 'on a terminal: a progress bar with bytes, rate and time left, then the time taken' '
	echo four >app/version.txt &&
	git -C app commit -qam four &&
	script -qec "\"$ROGER\" -C app push" /dev/null </dev/null >tty.out &&
	tr "\r" "\n" <tty.out | sed "s/$(printf "\033")\[K//g" >tty.txt &&
	test_grep "^roger: uploading \[  *\]   0%  0.0 KiB/[0-9.]* [KM]iB  " tty.txt &&
	test_grep "^roger: uploading \[########################\] 100%  " tty.txt &&
	test_grep "left" tty.txt &&
	test_grep "^roger: uploaded [0-9.]* [KM]iB in [0-9.]* s ([0-9.]* MiB/s)" tty.txt &&
	test_grep "^skipped   no" tty.txt &&
	script -qec "\"$ROGER\" -q -C app push" /dev/null </dev/null >tty.out &&
	test_grep ! "uploading\|uploaded" tty.out
'
else
	test_skip 'on a terminal: a progress bar' "$tty_why"
fi

test_expect_success 'nginx logged no error of its own' '
	test_grep ! "\[crit\]\|\[alert\]\|\[emerg\]" "$NGINX_DIR/error.log"
'

test_done
