#!/bin/sh
# roger push to a file:// store: the object and its mode, the skip, a
# missing or wrong store directory, no permission, concurrent pushes of
# the same artifact, the dry run, a percent-encoded path.
. "$TEST_SRCDIR/cli/lib.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web/team\" }\n" >roger.json &&
	head -c 8000000 /dev/urandom >data.bin
'
"$ROGER" -C app -o json build >build.json || exit 1
SHA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' build.json)
ART=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' build.json)
OBJ=web/team/hello/$SHA.tar.gz
ROGER_MARATHON_URL=http://127.0.0.1:9
export ROGER_MARATHON_URL

test_expect_success 'push copies the artifact into the store, readable by all' '
	mkdir store &&
	ROGER_ARTIFACTS_URL=file://$TRASH/store/ "$ROGER" -C app push >out 2>err &&
	test "$(value url out)" = "file://$TRASH/store/$OBJ" &&
	test "$(value skipped out)" = no &&
	test_line_count 0 err &&
	cmp "$ART" "store/$OBJ" &&
	test "$(stat -c %a "store/$OBJ")" = 644 &&
	test "$(stat -c %a store/web/team/hello)" = 755 &&
	test "$(find store -type f | wc -l)" = 1
'

test_expect_success 'the second push finds it with one stat and copies nothing' '
	before=$(stat -c %Y.%i "store/$OBJ") &&
	ROGER_ARTIFACTS_URL=file://$TRASH/store/ "$ROGER" -C app push >out &&
	test "$(value skipped out)" = yes &&
	test "$(stat -c %Y.%i "store/$OBJ")" = "$before"
'

test_expect_success 'a store directory that does not exist is an error, and is not created' '
	test_expect_code 1 env ROGER_ARTIFACTS_URL=file://$TRASH/nowhere/ \
		"$ROGER" -C app push >out 2>err &&
	test_line_count 1 err &&
	test_grep "the artifact store directory .$TRASH/nowhere. does not exist" err &&
	test_line_count 0 out &&
	test ! -e nowhere
'

test_expect_success 'a store that is a file is an error' '
	echo x >plain &&
	test_expect_code 1 env ROGER_ARTIFACTS_URL=file://$TRASH/plain/ \
		"$ROGER" -C app push 2>err &&
	test_grep "the artifact store .$TRASH/plain. is not a directory" err
'

test_expect_success 'a file:// URL with a host is refused as configuration (exit 3)' '
	test_expect_code 3 env ROGER_ARTIFACTS_URL=file://nfs.example.com/srv/ \
		"$ROGER" -C app push 2>err &&
	test_grep "invalid URL .file://nfs.example.com/srv/." err
'

# A directory we may not write: as root, push runs as nobody.
as_nobody=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1 &&
	   setpriv --reuid=65534 --regid=65534 --clear-groups "$ROGER" --version >/dev/null 2>&1; then
		as_nobody='setpriv --reuid=65534 --regid=65534 --clear-groups'
	fi
fi
if [ "$(id -u)" = 0 ] && [ -z "$as_nobody" ]; then
	test_skip 'no permission on the store: exit 4' 'running as root without setpriv, or nobody cannot run the roger binary'
else
test_expect_success 'no permission on the store: exit 4, and nothing left behind' '
	mkdir -p locked && chmod 755 locked &&
	cp -R app app-nobody &&
	chmod 755 "$TRASH" &&
	if [ -n "$as_nobody" ]; then chown -R 65534:65534 app-nobody; else chmod 555 locked; fi &&
	test_expect_code 4 $as_nobody env HOME="$TRASH/app-nobody" \
		ROGER_ARTIFACTS_URL=file://$TRASH/locked/ \
		"$ROGER" -C app-nobody push >out 2>err &&
	test_grep "no permission to create the directory .$TRASH/locked/web. in the artifact store" err &&
	test -z "$(ls -A locked)" &&
	chmod 755 locked && chmod 700 "$TRASH"
'
fi

test_expect_success 'concurrent pushes of the same artifact: all succeed, one whole object, no temporary file left' '
	mkdir shared &&
	for i in 1 2 3 4 5 6; do
		( if ROGER_ARTIFACTS_URL=file://$TRASH/shared/ "$ROGER" -C app push >push-$i.out 2>push-$i.err; then
			echo 0; else echo $?; fi >push-$i.status ) &
	done &&
	wait &&
	for i in 1 2 3 4 5 6; do
		test "$(cat push-$i.status)" = 0 || { cat push-$i.err >&2; exit 1; }
	done &&
	cmp "$ART" "shared/$OBJ" &&
	find shared -type f >files &&
	test_line_count 1 files
'

test_expect_success 'a dry run says what it would copy and creates nothing' '
	mkdir empty &&
	ROGER_ARTIFACTS_URL=file://$TRASH/empty/ "$ROGER" -C app push -n >out &&
	test "$(value skipped out)" = no &&
	test_grep "^request   copy .$ART. to .$TRASH/empty/$OBJ. " out &&
	test -z "$(ls -A empty)"
'

test_expect_success 'a percent-encoded store path' '
	mkdir "with space" &&
	ROGER_ARTIFACTS_URL="file://$TRASH/with%20space/" "$ROGER" -C app push >out &&
	test "$(value url out)" = "file://$TRASH/with%20space/$OBJ" &&
	cmp "$ART" "with space/$OBJ"
'

test_done
