#!/bin/sh
# roger build with build.cache: what the build command made is restored
# into the next clean export while the key files, the command and the
# tool's version are the same; the artifact is the same bytes with and
# without it; --no-cache; damaged and hostile entries; pruning; bad
# settings.
. "$TEST_SRCDIR/cli/lib.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

# Hot copies of the entries (kept under $TMPDIR/roger-<uid>) stay in the
# trash directory.
mkdir "$TRASH/tmp" && TMPDIR=$TRASH/tmp && export TMPDIR

# The build command counts its real runs in $TRASH/runs; what it makes
# depends only on the key file (lock) and the tool version (TOOL_VERSION).
cd "$TRASH" || exit 99
cat >cmd.sh <<'EOF'
test -d deps && exit 0
echo run >>"$TRASH/runs"
mkdir -p deps/sub deps/empty
cp lock deps/lock.copy
echo "built with ${TOOL_VERSION:-1}" >deps/sub/file
printf '#!/bin/sh\n' >deps/tool && chmod +x deps/tool
ln -s sub/file deps/link
if [ -n "${BIG:-}" ]; then head -c 700000 /dev/urandom >deps/big; fi
EOF
test_create_repo app "
	cp ../cmd.sh build.sh &&
	echo one >lock &&
	echo v1 >src.txt &&
	printf '%s\n' '{ \"version\": 1, \"app\": \"cached\",' \
		'  \"build\": { \"command\": \"sh build.sh\",' \
		'    \"cache\": { \"paths\": [\"deps\"], \"key\": [\"lock\"],' \
		'               \"version\": \"echo tool \${TOOL_VERSION:-1}\", \"max_mb\": 1 } } }' >roger.json
"
runs() {
	if [ -f "$TRASH/runs" ]; then wc -l <"$TRASH/runs" | tr -d ' '; else echo 0; fi
}
commit() {
	echo "$1" >app/src.txt && git -C app commit -qam "$1"
}
entries() {
	ls app/.roger/build-cache/ | grep -c '\.tar$' || true
}

test_expect_success 'the first build runs the command and saves what it made' '
	"$ROGER" -C app -v build >out 2>err &&
	test "$(runs)" = 1 &&
	test_grep "build cache [0-9a-f]*: not there yet" err &&
	test_grep "build cache [0-9a-f]*: saved" err &&
	test "$(entries)" = 1 &&
	tar -tf app/.roger/build-cache/*.tar >list &&
	test_grep "^deps/sub/file$" list &&
	test_grep "^deps/empty/$" list
'

test_expect_success 'a new commit with the same key files gets them back: the command finds its work done' '
	commit v2 &&
	"$ROGER" -C app -v build >out2 2>err &&
	test "$(runs)" = 1 &&
	test_grep "build cache [0-9a-f]*: restored" err &&
	test "$(value cached out2)" = no
'

test_expect_success 'the artifact is byte-identical with and without the cache' '
	"$ROGER" -C app build --no-cache >out3 &&
	test "$(runs)" = 2 &&
	test "$(value sha256 out3)" = "$(value sha256 out2)" &&
	mkdir x && tar -xzf "$(value artifact out2)" -C x &&
	test -x x/deps/tool &&
	test "$(readlink x/deps/link)" = sub/file &&
	test -d x/deps/empty &&
	test "$(cat x/deps/sub/file)" = "built with 1"
'

test_expect_success '--no-cache neither restores nor saves' '
	test "$(entries)" = 1 &&
	commit v3 &&
	echo two >app/lock && git -C app commit -qam lock &&
	"$ROGER" -C app build --no-cache >/dev/null &&
	test "$(entries)" = 1
'

test_expect_success 'a changed key file or tool version is a new key' '
	before=$(runs) &&
	commit v3b &&
	"$ROGER" -C app build >/dev/null &&
	test "$(runs)" = $((before + 1)) &&
	test "$(entries)" = 2 &&
	commit v4 &&
	TOOL_VERSION=2 "$ROGER" -C app build >out4 &&
	test "$(runs)" = $((before + 2)) &&
	mkdir y && tar -xzf "$(value artifact out4)" -C y &&
	test "$(cat y/deps/sub/file)" = "built with 2"
'

test_expect_success 'a damaged entry is discarded, not used, and the build is the same' '
	commit v5 &&
	# A hot copy is used before the tar is read: drop them to reach it.
	rm -rf "$TMPDIR/roger-$(id -u)" &&
	for f in app/.roger/build-cache/*.tar; do
		printf "garbage" | dd of="$f" bs=1 seek=600 conv=notrunc status=none
	done &&
	before=$(runs) &&
	"$ROGER" -C app build >got 2>err &&
	test_grep "build cache entry .* is damaged, building without it" err &&
	test "$(runs)" = $((before + 1)) &&
	"$ROGER" -C app build --no-cache >want &&
	test "$(value sha256 got)" = "$(value sha256 want)"
'

test_expect_success 'an entry that would write outside the export is refused and leaves nothing' '
	mkdir -p evil/deps && echo pwned >evil/deps/x &&
	python3 -c "
import hashlib, io, json, os, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode=\"w\", format=tarfile.PAX_FORMAT) as t:
    t.add(\"evil/deps/x\", arcname=\"deps/x\")
    t.add(\"evil/deps/x\", arcname=\"../../../escaped\")
data = buf.getvalue()
d = \"app/.roger/build-cache/\"
for name in os.listdir(d):
    if name.endswith(\".json\"):
        key = name[:-5]
        open(d + key + \".tar\", \"wb\").write(data)
        json.dump({\"sha256\": hashlib.sha256(data).hexdigest(), \"size\": len(data)}, open(d + name, \"w\"))
" &&
	commit v6 &&
	"$ROGER" -C app build >got 2>err &&
	test_grep "cannot be restored" err &&
	test ! -e "$TRASH/escaped" && test ! -e /tmp/escaped &&
	"$ROGER" -C app build --no-cache >want &&
	test "$(value sha256 got)" = "$(value sha256 want)"
'

test_expect_success 'the cache stays under build.cache.max_mb: least recently used entries go first' '
	ls app/.roger/build-cache/*.tar >before &&
	commit v7 &&
	echo three >app/lock && git -C app commit -qam three &&
	BIG=1 "$ROGER" -C app build >/dev/null &&
	echo four >app/lock && git -C app commit -qam four &&
	BIG=1 "$ROGER" -C app build >/dev/null 2>err &&
	test "$(du -cb app/.roger/build-cache/*.tar | tail -1 | cut -f1)" -le 1048576 &&
	test "$(entries)" -ge 1 &&
	echo three >app/lock && commit v8 &&
	before=$(runs) &&
	BIG=1 "$ROGER" -C app build >/dev/null &&
	test "$(runs)" = $((before + 1))
'

test_expect_success 'an entry larger than the cache is not saved, and says so' '
	sed "s/700000/1200000/" app/build.sh >b && mv b app/build.sh &&
	echo five >app/lock && git -C app commit -qam five &&
	BIG=1 "$ROGER" -C app build >/dev/null 2>err &&
	test_grep "more than build.cache.max_mb: not saved" err
'

test_expect_success 'a version command that fails: the build runs without the cache' '
	sed "s/echo tool/false tool/" app/roger.json >j && mv j app/roger.json &&
	git -C app commit -qam broken-version &&
	before=$(runs) &&
	"$ROGER" -C app build >/dev/null 2>err &&
	test_grep "build.cache.version .*; building without the build cache" err &&
	test "$(runs)" = $((before + 1))
'

test_expect_success 'bad build.cache settings name the field' '
	test_create_repo bad "echo {} >roger.json" &&
	for c in \
		"{\"command\": \"true\", \"cache\": {\"paths\": [\"/abs\"], \"key\": [\"k\"]}}|build.cache.paths\[0\]: ./abs. is absolute" \
		"{\"command\": \"true\", \"cache\": {\"paths\": [\"a/../b\"], \"key\": [\"k\"]}}|build.cache.paths\[0\]: .a/../b. has a" \
		"{\"command\": \"true\", \"cache\": {\"paths\": [\"a\"]}}|build.cache: missing .key." \
		"{\"command\": \"true\", \"cache\": {\"paths\": [], \"key\": [\"k\"]}}|build.cache.paths: expected at least one element" \
		"{\"command\": \"true\", \"cache\": {\"paths\": [\"a\"], \"key\": [\"k\"], \"max\": 1}}|build.cache: unknown key .max." \
		"{\"cache\": {\"paths\": [\"a\"], \"key\": [\"k\"]}}|build.cache: caches what build.command makes, and there is no build.command"
	do
		printf "{\"version\": 1, \"app\": \"bad\", \"build\": %s}\n" "${c%%|*}" >bad/roger.json &&
		test_expect_code 3 "$ROGER" -C bad build --allow-dirty 2>err &&
		test_grep "roger.json: ${c#*|}" err || return 1
	done
'

test_done
