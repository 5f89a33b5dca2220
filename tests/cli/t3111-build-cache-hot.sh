#!/bin/sh
# roger build's hot copies of build cache entries: the cached paths kept as
# a tree under $TMPDIR/roger-<uid>/build-cache and moved into the next
# export by rename instead of extracted from the tar.  The artifact is the
# same bytes whichever way the paths came back; a changed, failed or
# tampered build keeps no hot copy; a per-user directory that is not
# private is not used; a tmpfs $TMPDIR keeps none; at most three are kept.
. "$TEST_SRCDIR/cli/lib.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
mkdir tmp && TMPDIR=$TRASH/tmp && export TMPDIR
HOT=$TMPDIR/roger-$(id -u)/build-cache

# The command counts its real runs in $TRASH/runs and logs what it was
# told of the cache in $TRASH/told.  MODIFY=1 makes it change a cached
# file, FAIL=1 makes it fail after its work.
cat >cmd.sh <<'EOS'
echo "$ROGER_BUILD_CACHE" >>"$TRASH/told"
if [ ! -d deps ]; then
	echo run >>"$TRASH/runs"
	mkdir -p deps/sub deps/empty client/deps
	cp lock deps/lock.copy
	echo built >deps/sub/file
	printf '#!/bin/sh\n' >deps/tool && chmod +x deps/tool
	ln -s sub/file deps/link
	echo nested >client/deps/n
fi
if [ -n "${MODIFY:-}" ]; then echo more >>deps/sub/file; fi
if [ -n "${FAIL:-}" ]; then exit 1; fi
exit 0
EOS
test_create_repo app "
	cp ../cmd.sh build.sh &&
	echo one >lock &&
	mkdir client && echo c >client/keep &&
	echo v1 >src.txt &&
	printf '%s\n' '{ \"version\": 1, \"app\": \"hot\",' \
		'  \"build\": { \"command\": \"sh build.sh\",' \
		'    \"cache\": { \"paths\": [\"deps\", \"client/deps\"], \"key\": [\"lock\"] } } }' >roger.json
"
runs() {
	if [ -f "$TRASH/runs" ]; then wc -l <"$TRASH/runs" | tr -d ' '; else echo 0; fi
}
told() {
	tail -n 1 "$TRASH/told"
}
commit() {
	echo "$1" >app/src.txt && git -C app commit -qam "$1"
}
slots() {
	ls "$HOT" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$' || true
}
# The artifact cache would answer a second build of a commit without
# running anything: forget it, keeping the build cache.
forget_artifacts() {
	rm -rf app/.roger/artifacts app/.roger/index app/.roger/worktree-stamp
}
moved_in() {
	grep -q "build cache [0-9a-f]*: restored (moved in)$" "$1"
}
from_tar() {
	grep -q "build cache [0-9a-f]*: restored$" "$1"
}

test_expect_success 'a first build saves the entry and keeps its paths as a hot copy' '
	"$ROGER" -C app -v build >out1 2>err &&
	test "$(runs)" = 1 &&
	test_grep "build cache [0-9a-f]*: saved" err &&
	test_grep "build cache [0-9a-f]*: kept hot in .$HOT." err &&
	test "$(slots)" = 1 &&
	slot=$(ls "$HOT") &&
	test -f "$HOT/$slot/tree/deps/sub/file" &&
	test -f "$HOT/$slot/tree/client/deps/n" &&
	test "$(stat -c %a "$TMPDIR/roger-$(id -u)")" = 700
'

test_expect_success 'the next build moves the hot copy in; the artifact is the cold one and the tar-restored one' '
	commit v2 &&
	"$ROGER" -C app -v build >hot 2>err &&
	moved_in err &&
	test "$(runs)" = 1 &&
	test "$(told)" = restored &&
	test "$(value cached hot)" = no &&
	test "$(slots)" = 1 &&
	forget_artifacts &&
	rm -rf "$HOT" &&
	"$ROGER" -C app -v build >tar 2>err &&
	from_tar err &&
	test "$(told)" = restored &&
	"$ROGER" -C app build --no-cache >cold &&
	test "$(runs)" = 2 &&
	test "$(value sha256 hot)" = "$(value sha256 cold)" &&
	test "$(value sha256 tar)" = "$(value sha256 cold)" &&
	mkdir x && tar -xzf "$(value artifact hot)" -C x &&
	test "$(cat x/client/deps/n)" = nested &&
	test "$(readlink x/deps/link)" = sub/file &&
	test -x x/deps/tool && test -d x/deps/empty
'

test_expect_success 'a tar restore left unchanged becomes the hot copy again' '
	test "$(slots)" = 1 &&
	commit v3 &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	moved_in err
'

test_expect_success 'a command that changes a cached path keeps no hot copy; the next build uses the tar' '
	commit v4 &&
	MODIFY=1 "$ROGER" -C app -v build >/dev/null 2>err &&
	moved_in err &&
	test_grep "the build changed the cached paths: no hot copy kept" err &&
	test "$(slots)" = 0 &&
	commit v5 &&
	"$ROGER" -C app -v build >got 2>err &&
	from_tar err &&
	"$ROGER" -C app build --no-cache >want &&
	test "$(value sha256 got)" = "$(value sha256 want)" &&
	mkdir y && tar -xzf "$(value artifact got)" -C y &&
	test "$(cat y/deps/sub/file)" = built
'

test_expect_success 'a failed build keeps no hot copy; the next one still restores from the tar' '
	commit v6 &&
	"$ROGER" -C app build >/dev/null &&
	test "$(slots)" = 1 &&
	commit v7 &&
	! env FAIL=1 "$ROGER" -C app -v build >/dev/null 2>err &&
	moved_in err &&
	test "$(slots)" = 0 &&
	commit v8 &&
	before=$(runs) &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	from_tar err &&
	test "$(runs)" = "$before"
'

test_expect_success 'a hot copy changed behind roger'"'"'s back is removed, not used' '
	test "$(slots)" = 1 &&
	slot=$(ls "$HOT") &&
	echo planted >"$HOT/$slot/tree/deps/planted" &&
	commit v9 &&
	"$ROGER" -C app -v build >got 2>err &&
	test_grep "hot copy .$HOT/$slot. of the build cache does not match its manifest: removed" err &&
	from_tar err &&
	"$ROGER" -C app build --no-cache >want &&
	test "$(value sha256 got)" = "$(value sha256 want)" &&
	mkdir z && tar -xzf "$(value artifact got)" -C z &&
	test ! -e z/deps/planted &&
	echo again >>"$HOT/$slot/tree/deps/sub/file" &&
	commit v10 &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	test_grep "does not match its manifest: removed" err &&
	from_tar err &&
	printf garbage >"$HOT/$slot/manifest" &&
	commit v11 &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	test_grep "does not match its manifest: removed" err &&
	from_tar err &&
	test "$(slots)" = 1
'

hostile() {
	"$ROGER" -C app -v build >got 2>err &&
	test_grep ".$TMPDIR/roger-$(id -u). is not a private directory of this user ($1" err &&
	test "$(grep -c "is not a private directory" err)" = 1 &&
	from_tar err &&
	test ! -e "$TMPDIR/roger-$(id -u)/build-cache" &&
	"$ROGER" -C app build --no-cache >want &&
	test "$(value sha256 got)" = "$(value sha256 want)"
}

test_expect_success 'a per-user directory open to others is not used' '
	rm -rf "$TMPDIR/roger-$(id -u)" &&
	mkdir -m 777 "$TMPDIR/roger-$(id -u)" &&
	commit v12 &&
	hostile "a directory, owner $(id -u), mode 0777" &&
	rmdir "$TMPDIR/roger-$(id -u)"
'

test_expect_success 'a per-user directory that is a symbolic link is not used' '
	mkdir -m 700 elsewhere &&
	ln -s "$TRASH/elsewhere" "$TMPDIR/roger-$(id -u)" &&
	commit v13 &&
	hostile "a symbolic link" &&
	test -z "$(ls elsewhere)" &&
	rm "$TMPDIR/roger-$(id -u)"
'

if [ "$(id -u)" -eq 0 ] && id -u nobody >/dev/null 2>&1; then
	test_expect_success 'a per-user directory owned by someone else is not used' '
		mkdir -m 700 "$TMPDIR/roger-0" &&
		chown nobody "$TMPDIR/roger-0" &&
		commit v14 &&
		hostile "a directory, owner $(id -u nobody), mode 0700" &&
		rmdir "$TMPDIR/roger-0"
	'
else
	test_skip 'a per-user directory owned by someone else is not used' \
		'needs root (to chown to nobody)'
fi

if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	test_expect_success 'a tmpfs TMPDIR keeps no hot copy' '
		shm=$(mktemp -d /dev/shm/roger-t3111.XXXXXX) &&
		test_when_finished rm -rf "$shm" &&
		commit v15 &&
		TMPDIR=$shm "$ROGER" -C app -v build >/dev/null 2>err &&
		from_tar err &&
		test ! -e "$shm/roger-$(id -u)" &&
		commit v16 &&
		TMPDIR=$shm "$ROGER" -C app -v build >/dev/null 2>err &&
		from_tar err
	'
else
	test_skip 'a tmpfs TMPDIR keeps no hot copy' '/dev/shm is not a tmpfs here'
fi

test_expect_success 'at most three hot copies: the least recently made goes' '
	rm -rf "$TMPDIR/roger-$(id -u)" &&
	for k in k1 k2 k3 k4; do
		echo $k >app/lock && git -C app commit -qam $k &&
		"$ROGER" -C app build >/dev/null || return 1
		test -f "$TRASH/first" || ls "$HOT" >"$TRASH/first"
	done &&
	test "$(slots)" = 3 &&
	test ! -e "$HOT/$(cat first)" &&
	echo k1 >app/lock && git -C app commit -qam k1-again &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	from_tar err &&
	echo k4 >app/lock && git -C app commit -qam k4-again &&
	"$ROGER" -C app -v build >/dev/null 2>err &&
	moved_in err
'

test_expect_success '--no-cache neither uses nor keeps hot copies' '
	ls "$HOT" >before &&
	commit v17 &&
	"$ROGER" -C app -v build --no-cache >/dev/null 2>err &&
	! grep -q "build cache [0-9a-f]*:" err &&
	ls "$HOT" >after &&
	test_cmp before after
'

test_done
