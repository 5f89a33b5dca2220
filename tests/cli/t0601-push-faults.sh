#!/bin/sh
# roger push through faults nginx cannot produce, from tests/faultd.py
# standing in front of a real nginx (its "proxy" rule): a 503 then success,
# a connection cut in the middle of the upload, a store that stays
# unavailable, 507 and 409 explained, reported digests trusted or not, a
# store that answers 2xx but does not hold the object, an unreachable
# store, and an interrupt.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"
. "$TEST_SRCDIR/cli/lib-nginx.sh"

if reason=$(nginx_skip_reason); then
	test_skip 'roger push through faults' "$reason"
	test_done
fi
nginx_start || exit 1

value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\" }\n" >roger.json &&
	head -c 300000 /dev/urandom >data.bin
'
"$ROGER" -C app -o json build >build.json || exit 1
SHA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' build.json)
ART=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' build.json)
SIZE=$(wc -c <"$ART" | tr -d ' ')
OBJ=hello/$SHA.tar.gz
OTHER=0000000000000000000000000000000000000000000000000000000000000000
ROGER_MARATHON_URL=http://127.0.0.1:9
export ROGER_MARATHON_URL

# Each server: its own faults first, then everything else goes to nginx.
PROXY="{\"match\": \"*\", \"times\": 0, \"proxy\": \"$NGINX_URL\"}"
faultd_start busy "[{\"match\": \"PUT /store/busy/*\", \"status\": 503, \"html\": true}, $PROXY]"
faultd_start cut "[{\"match\": \"PUT /store/cut/*\", \"reset_after_body\": 100000}, $PROXY]"
faultd_start down "[{\"match\": \"PUT *\", \"status\": 503, \"times\": 0, \"headers\": {\"Retry-After\": \"0\"}}, $PROXY]"
faultd_start full "[{\"match\": \"HEAD *\", \"status\": 404, \"times\": 0},
 {\"match\": \"PUT /full/*\", \"status\": 507, \"times\": 0},
 {\"match\": \"PUT /conflict/*\", \"status\": 409, \"times\": 0}]"
faultd_start sums "[{\"match\": \"HEAD /same/*\", \"times\": 0, \"headers\": {\"Content-Length\": \"$SIZE\", \"X-Checksum-Sha256\": \"$SHA\"}},
 {\"match\": \"HEAD /other/*\", \"times\": 1, \"headers\": {\"Content-Length\": \"$SIZE\", \"X-Checksum-Sha256\": \"$OTHER\"}},
 {\"match\": \"HEAD /short/*\", \"times\": 1, \"status\": 404},
 {\"match\": \"HEAD /short/*\", \"times\": 0, \"headers\": {\"Content-Length\": \"10\"}},
 {\"match\": \"PUT *\", \"times\": 0, \"status\": 201},
 {\"match\": \"HEAD /other/*\", \"times\": 0, \"headers\": {\"Content-Length\": \"$SIZE\", \"X-Checksum-Sha256\": \"$SHA\"}}]"
faultd_start slow "[{\"match\": \"HEAD *\", \"status\": 404, \"times\": 0},
 {\"match\": \"PUT *\", \"status\": 201, \"delay\": 60}]"

test_expect_success 'a 503 is retried, and the second PUT stores the artifact' '
	ROGER_ARTIFACTS_URL=$busy_URL/store/busy/ "$ROGER" -C app -v push >out 2>err &&
	test "$(value skipped out)" = no &&
	test "$(faultd_count busy PUT /store/busy/)" = 2 &&
	test_grep "artifact store answered HTTP 503, retrying" err &&
	cmp "$ART" "$NGINX_DIR/www/store/busy/$OBJ"
'

test_expect_success 'a connection cut mid-upload is retried from the first byte; the store is consistent' '
	ROGER_ARTIFACTS_URL=$cut_URL/store/cut/ "$ROGER" -C app -o json push >out.json 2>err &&
	test "$(faultd_count cut PUT /store/cut/)" = 2 &&
	python3 - "$cut_LOG" "$SIZE" out.json <<-\EOF &&
	import json, sys
	puts = [json.loads(l) for l in open(sys.argv[1]) if "\"PUT\"" in l]
	size = int(sys.argv[2])
	assert puts[0]["body_len"] == 100000, puts[0]["body_len"]
	assert puts[1]["h"]["content-length"] == str(size)
	out = json.load(open(sys.argv[3]))
	assert out["attempts"] == 2, out
	assert out["bytes_sent"] >= size + 100000, out
	EOF
	cmp "$ART" "$NGINX_DIR/www/store/cut/$OBJ" &&
	test -z "$(ls -A "$NGINX_DIR/tmp/body")" &&
	test "$(find "$NGINX_DIR/www/store/cut" -type f | wc -l)" = 1
'

test_expect_success 'a store that stays unavailable: exit 4 after the retries' '
	test_expect_code 4 env ROGER_ARTIFACTS_URL=$down_URL/down/ \
		"$ROGER" -C app push >out 2>err &&
	test_line_count 1 err &&
	test_grep "artifact store at .$down_URL/down/$OBJ. is unavailable (HTTP 503" err &&
	test "$(faultd_count down PUT /down/)" = 6 &&
	test ! -e "$NGINX_DIR/www/down"
'

test_expect_success '507: the store is out of space, said plainly' '
	test_expect_code 1 env ROGER_ARTIFACTS_URL=$full_URL/full/ \
		"$ROGER" -C app push >out 2>err &&
	test_grep "the artifact store at .$full_URL/full/$OBJ. is out of space (HTTP 507 Insufficient Storage)" err &&
	test "$(faultd_count full PUT /full/)" = 1
'

test_expect_success '409: a missing parent collection, said plainly' '
	test_expect_code 1 env ROGER_ARTIFACTS_URL=$full_URL/conflict/ \
		"$ROGER" -C app push 2>err &&
	test_grep "HTTP 409 Conflict: a parent collection is missing" err
'

test_expect_success 'a reported SHA-256 that agrees: skipped' '
	ROGER_ARTIFACTS_URL=$sums_URL/same/ "$ROGER" -C app push >out &&
	test "$(value skipped out)" = yes &&
	test "$(faultd_count sums PUT /same/)" = 0
'

test_expect_success 'the right size but another reported SHA-256: uploaded again' '
	ROGER_ARTIFACTS_URL=$sums_URL/other/ "$ROGER" -C app push >out 2>err &&
	test "$(value skipped out)" = no &&
	test "$(faultd_count sums PUT /other/)" = 1 &&
	test_grep "holds another object (the store reports the SHA-256 000000000000" err
'

test_expect_success 'a store that says 201 but holds less: exit 1' '
	test_expect_code 1 env ROGER_ARTIFACTS_URL=$sums_URL/short/ \
		"$ROGER" -C app push >out 2>err &&
	test_grep "accepted .$sums_URL/short/$OBJ. but does not hold it whole afterwards (the store has 10 bytes" err &&
	test_line_count 0 out
'

test_expect_success 'an unreachable store: exit 4, naming it' '
	port=$(test_free_port) &&
	test_expect_code 4 env ROGER_ARTIFACTS_URL=http://127.0.0.1:$port/ \
		"$ROGER" -C app push >out 2>err &&
	test_grep "cannot connect to .http://127.0.0.1:$port/$OBJ." err
'

test_expect_success 'an interrupt during the upload: exit 130, naming what was in flight' '
	( ROGER_ARTIFACTS_URL=$slow_URL/slow/ "$ROGER" -C app push >out 2>err &
	  echo $! >pid; if wait $!; then echo 0; else echo $?; fi >status ) &
	wait_until_put() {
		i=0
		while [ "$(faultd_count slow PUT /slow/)" = 0 ]; do
			i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
		done
	} &&
	wait_until_put &&
	kill -INT "$(cat pid)" &&
	i=0 && while [ ! -s status ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done &&
	test "$(cat status)" = 130 &&
	test_grep "interrupted while waiting for .$slow_URL/slow/$OBJ." err
'

test_done
