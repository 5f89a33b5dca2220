#!/bin/sh
# Incremental packaging: a sequence of commits (an edit, new and deleted
# files, a rename, a mode change, a symbolic link, a large file, a build
# command's output) built each time from the segments of the builds before
# it, and again cold: the same bytes every time, a valid gzip stream, and
# most segments reused.  A damaged segment index or a changed artifact
# only costs the reuse.
. "$TEST_SRCDIR/cli/lib.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"inc\" }\n" >roger.json &&
	for d in a b c d e f g h; do
		mkdir -p src/$d &&
		for i in $(seq 1 40); do
			seq $i $((i * 50)) | sed "s/^/$d line /" >src/$d/file$i.txt || exit 1
		done
	done &&
	printf "#!/bin/sh\necho hi\n" >run.sh && chmod +x run.sh
'

# check NAME: the incremental build of HEAD equals a cold build of it, is
# valid gzip with one member and extracts to the commit's tree.
check() {
	"$ROGER" -C app -v build >"$1.inc" 2>"$1.err" &&
	test "$(value cached "$1.inc")" = no &&
	"$ROGER" -C app build --no-cache >"$1.cold" &&
	test "$(value sha256 "$1.inc")" = "$(value sha256 "$1.cold")" &&
	path=$(value artifact "$1.inc") &&
	gzip -t "$path" &&
	python3 -c "
import sys, zlib
d = open(sys.argv[1], \"rb\").read()
z = zlib.decompressobj(31)
z.decompress(d)
assert z.eof and not z.unused_data, \"not one gzip member\"
" "$path" &&
	rm -rf x && mkdir x && tar -xzf "$path" -C x &&
	git -C app archive --format=tar HEAD | (rm -rf y && mkdir y && tar -xf - -C y) &&
	diff -r x y
}

reused() {
	sed -n "s/.*segments, \([0-9]*\) of them reused/\1/p" "$1.err"
}

test_expect_success 'the first build has nothing to reuse' '
	check c0 &&
	test "$(reused c0)" = 0
'

test_expect_success 'an edited file: the same bytes as a cold build, the other segments reused' '
	echo edited >>app/src/c/file7.txt && git -C app commit -qam edit &&
	check c1 &&
	test "$(reused c1)" -gt 5
'

test_expect_success 'new and deleted files, a rename, a mode change, a link' '
	echo new >app/src/a/new.txt &&
	git -C app rm -q src/h/file3.txt &&
	git -C app mv src/b/file9.txt src/b/renamed.txt &&
	chmod +x app/src/d/file2.txt &&
	ln -s ../run.sh app/src/link &&
	git -C app add -A && git -C app commit -qm many &&
	check c2 &&
	test "$(reused c2)" -gt 5
'

test_expect_success 'a large file of its own, then edited again' '
	head -c 3000000 /dev/urandom | od -An -tx1 >app/big.txt &&
	git -C app add -A && git -C app commit -qm big &&
	check c3 &&
	echo tail >>app/big.txt && git -C app commit -qam big2 &&
	check c4 &&
	test "$(reused c4)" -gt 5
'

test_expect_success 'a tree seen before is the artifact built before, whatever the commit' '
	git -C app revert --no-edit HEAD >/dev/null &&
	"$ROGER" -C app build >c5 &&
	test "$(value sha256 c5)" = "$(value sha256 c3.inc)"
'

test_expect_success 'a damaged segment index, or an artifact changed since, is not used' '
	for f in app/.roger/artifacts/*.idx; do echo "{" >"$f"; done &&
	echo again >>app/src/e/file1.txt && git -C app commit -qam e &&
	check c6 &&
	test "$(reused c6)" = 0 &&
	echo more >>app/src/e/file2.txt && git -C app commit -qam e2 &&
	for f in app/.roger/artifacts/*.tar.gz; do touch "$f"; done &&
	check c7 &&
	test "$(reused c7)" = 0
'

test_expect_success 'a build command: its output reuses segments too' '
	printf "{ \"version\": 1, \"app\": \"inc\", \"build\": { \"command\": \"mkdir -p out && cp -r src out/copy\" } }\n" >app/roger.json &&
	git -C app commit -qam command &&
	"$ROGER" -C app -v build >d0 2>d0.err &&
	echo once-more >>app/src/f/file5.txt && git -C app commit -qam f &&
	"$ROGER" -C app -v build >d1 2>d1.err &&
	test "$(reused d1)" -gt 5 &&
	"$ROGER" -C app build --no-cache >d1.cold &&
	test "$(value sha256 d1)" = "$(value sha256 d1.cold)"
'

test_done
