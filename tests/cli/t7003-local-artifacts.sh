#!/bin/sh
# roger local's artifact store: PUT, GET and HEAD under /artifacts/,
# uploads written atomically with flat memory, paths leaving the store
# refused.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start
store=$LOCAL_STATE/artifacts

test_expect_success 'PUT a new artifact: 201, then GET returns the same bytes' '
	printf "hello artifact\n" >a.txt &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T a.txt "$LOCAL_URL/artifacts/web/hello/a.tar.gz")" = 201 &&
	lcurl -sf "$LOCAL_URL/artifacts/web/hello/a.tar.gz" >got &&
	test_cmp a.txt got &&
	test -f "$store/web/hello/a.tar.gz"
'

test_expect_success 'HEAD: 200 with the Content-Length and no body; 404 when missing' '
	lcurl -sI "$LOCAL_URL/artifacts/web/hello/a.tar.gz" | tr -d "\r" >h &&
	test_grep "^HTTP/1.1 200" h &&
	test_grep "^Content-Length: 15$" h &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -I "$LOCAL_URL/artifacts/web/hello/nope.tar.gz")" = 404 &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" "$LOCAL_URL/artifacts/nope")" = 404
'

test_expect_success 'PUT over an existing artifact: 204 and the new content' '
	printf "second\n" >b.txt &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T b.txt "$LOCAL_URL/artifacts/web/hello/a.tar.gz")" = 204 &&
	lcurl -sf "$LOCAL_URL/artifacts/web/hello/a.tar.gz" >got &&
	test_cmp b.txt got
'

test_expect_success 'paths that escape the store are refused' '
	for p in ../escape %2e%2e/escape a/../../escape a//b ./a a/; do
		code=$(lcurl -s --path-as-is -o /dev/null -w "%{http_code}" -X PUT --data-binary @a.txt "$LOCAL_URL/artifacts/$p") &&
		test "$code" = 400 || { echo "PUT $p: $code" >&2; exit 1; }
		code=$(lcurl -s --path-as-is -o /dev/null -w "%{http_code}" "$LOCAL_URL/artifacts/$p") &&
		test "$code" = 400 || { echo "GET $p: $code" >&2; exit 1; }
	done &&
	test ! -e "$LOCAL_STATE/escape" &&
	test ! -e "$TRASH/escape"
'

test_expect_success 'a symbolic link out of the store is not followed' '
	echo secret >"$TRASH/secret" &&
	ln -s "$TRASH/secret" "$store/link" &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" "$LOCAL_URL/artifacts/link")" = 404
'

test_expect_success 'other methods: 405' '
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -X DELETE "$LOCAL_URL/artifacts/web/hello/a.tar.gz")" = 405
'

test_expect_success 'an interrupted upload leaves nothing behind' '
	dd if=/dev/zero of=big bs=1M count=20 2>/dev/null &&
	{ lcurl -s --limit-rate 1M --max-time 1 -T big "$LOCAL_URL/artifacts/partial.bin" >/dev/null 2>&1 || true; } &&
	wait_for 10 "test -z \"\$(ls -A \"$store\" | grep upload)\"" &&
	test ! -e "$store/partial.bin" &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" "$LOCAL_URL/artifacts/partial.bin")" = 404
'

test_expect_success 'a 200 MB upload: streamed to disk, memory stays flat, bytes intact' '
	before=$(sed -n "s/^VmRSS: *\([0-9]*\) kB/\1/p" /proc/$LOCAL_PID/status) &&
	dd if=/dev/urandom of=huge bs=1M count=200 2>/dev/null &&
	test "$(lcurl -s -o /dev/null -w "%{http_code}" -T huge "$LOCAL_URL/artifacts/huge.bin")" = 201 &&
	peak=$(sed -n "s/^VmHWM: *\([0-9]*\) kB/\1/p" /proc/$LOCAL_PID/status) &&
	echo "rss before $before kB, peak $peak kB" &&
	test $((peak - before)) -lt 65536 &&
	lcurl -sf "$LOCAL_URL/artifacts/huge.bin" | cmp - huge &&
	rm -f huge big
'

local_stop_status

test_expect_success 'the server stops cleanly on SIGTERM (exit 0)' '
	test "$LOCAL_EXIT" = 0 || { cat "$TRASH/local-serve.log" >&2; exit 1; }
'

test_done
