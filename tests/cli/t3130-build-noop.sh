#!/bin/sh
# A build with nothing to do answers from the last clean build's record
# (.roger/noop) without opening the repository; anything the record does
# not vouch for (a file written without touching the index, a staged
# change, a new commit, a damaged record, a copy of the project) takes the
# long way, which still sees it.
. "$TEST_SRCDIR/cli/lib.sh"

value() {
	sed -n "s/^$1  *//p" "$2"
}

# Date every tracked file of app in the past and let git record it: no
# file is then racily clean, and a build can record them all at once.  The
# date is not the one the files were made with: git refreshes an entry
# whose modification time moved, not one whose change time moved within
# the same second (it compares whole seconds), and roger then compares the
# content of such a file until it is two seconds old.
settle() {
	(cd app && git ls-files -z | xargs -0 touch -h -d 2002-03-04T05:06:07 &&
		git update-index -q --refresh)
}

# The files are dated in the past before they are added, so that none is
# racily clean (modified in the same tick as the index was written): such
# a file is recorded only once it is two seconds old, and the tests below
# must not depend on how fast they run.
cd "$TRASH" || exit 99
test_create_repo app "
	mkdir -p src/deep &&
	echo one >src/a.txt &&
	echo two >src/deep/b.txt &&
	ln -s a.txt src/link &&
	printf '%s\n' '{ \"version\": 1, \"app\": \"noop\", \"marathon\": { \"cmd\": \"true\" } }' >roger.json &&
	printf '.roger/\n' >.gitignore &&
	find . -path ./.git -prune -o -type f -exec touch -d 2001-02-03T04:05:06 {} + &&
	touch -h -d 2001-02-03T04:05:06 src/link
"

test_expect_success 'a clean build leaves a record; the next one answers from it' '
	"$ROGER" -C app build >first &&
	test "$(value cached first)" = no &&
	test -f app/.roger/noop &&
	test_grep "^entry .* src/deep/b.txt$" app/.roger/noop &&
	"$ROGER" -C app -v build >second 2>err &&
	test_grep "nothing changed since the last build" err &&
	test "$(value cached second)" = yes &&
	test "$(value sha256 second)" = "$(value sha256 first)" &&
	test "$(value commit second)" = "$(value commit first)"
'

test_expect_success 'a file written without touching the index is seen, even with its size and time kept' '
	printf "ONE\n" >app/src/a.txt &&
	touch -d 2001-02-03T04:05:06 app/src/a.txt &&
	test_expect_code 1 "$ROGER" -C app -v build >out 2>err &&
	test_grep "uncommitted changes .*src/a.txt" err &&
	test_grep ! "nothing changed" err &&
	test_grep ! "^cached" out
'

test_expect_success 'the record is not trusted for a build that refused: --allow-dirty packages the change' '
	"$ROGER" -C app build --allow-dirty >dirty 2>/dev/null &&
	test "$(value dirty dirty)" = yes &&
	test "$(value cached dirty)" = no &&
	mkdir x && tar -xzf "$(value artifact dirty)" -C x &&
	test "$(cat x/src/a.txt)" = ONE
'

test_expect_success 'put back, the tree is clean again and the same artifact comes back' '
	git -C app show HEAD:src/a.txt >app/src/a.txt &&
	"$ROGER" -C app build >back &&
	test "$(value cached back)" = yes &&
	test "$(value sha256 back)" = "$(value sha256 first)"
'

test_expect_success 'a removed file and a retargeted symbolic link are seen' '
	rm app/src/deep/b.txt &&
	test_expect_code 1 "$ROGER" -C app build 2>err &&
	test_grep "src/deep/b.txt" err &&
	git -C app checkout -q -- src/deep/b.txt &&
	ln -sf deep/b.txt app/src/link &&
	test_expect_code 1 "$ROGER" -C app build 2>err &&
	test_grep "src/link" err &&
	rm app/src/link && git -C app checkout -q -- src/link
'

test_expect_success 'a staged change is seen' '
	"$ROGER" -C app build >/dev/null &&
	echo three >app/src/c.txt &&
	git -C app add src/c.txt &&
	test_expect_code 1 "$ROGER" -C app -v build 2>err &&
	test_grep "uncommitted changes .*src/c.txt" err &&
	test_grep ! "nothing changed" err
'

test_expect_success 'a new commit builds anew, then answers from the new record' '
	git -C app commit -qm three &&
	"$ROGER" -C app build >new &&
	test "$(value cached new)" = no &&
	test "$(value commit new)" = "$(git -C app rev-parse HEAD)" &&
	"$ROGER" -C app build >again &&
	test "$(value sha256 again)" = "$(value sha256 new)"
'

test_expect_success 'HEAD moved elsewhere (packed refs, detached) is followed' '
	git -C app pack-refs --all &&
	"$ROGER" -C app build >packed &&
	test "$(value commit packed)" = "$(git -C app rev-parse HEAD)" &&
	git -C app checkout -q HEAD~1 &&
	"$ROGER" -C app build >old &&
	test "$(value commit old)" = "$(git -C app rev-parse HEAD)" &&
	test "$(value sha256 old)" = "$(value sha256 first)" &&
	git -C app checkout -q -
'

test_expect_success 'a damaged or truncated record is ignored, not used' '
	settle &&
	"$ROGER" -C app -vv build >want 2>err &&
	test_grep ! "no no-op record" err &&
	test -f app/.roger/noop &&
	head -c 300 app/.roger/noop >cut && cp cut app/.roger/noop &&
	"$ROGER" -C app build >got &&
	test "$(value sha256 got)" = "$(value sha256 want)" &&
	sed "s/^head .*/head 0000000000000000000000000000000000000000/" app/.roger/noop >bad &&
	cp bad app/.roger/noop &&
	"$ROGER" -C app -v build >got 2>err &&
	test_grep ! "nothing changed" err &&
	test "$(value sha256 got)" = "$(value sha256 want)" &&
	printf "garbage" >app/.roger/noop &&
	"$ROGER" -C app build >got &&
	test "$(value sha256 got)" = "$(value sha256 want)"
'

test_expect_success 'a copy of the project does not answer from the original record' '
	"$ROGER" -C app build >/dev/null &&
	cp -a app copy &&
	echo changed >copy/src/deep/b.txt &&
	test_expect_code 1 "$ROGER" -C copy -v build 2>err &&
	test_grep "uncommitted changes" err &&
	test_grep ! "nothing changed" err
'

test_expect_success 'other options (--no-cache, --ref) do not use the record' '
	"$ROGER" -C app build --no-cache >nc &&
	test "$(value cached nc)" = no &&
	"$ROGER" -C app -v build --ref HEAD >ref 2>err &&
	test_grep ! "nothing changed" err &&
	test "$(value cached ref)" = yes
'

test_expect_success 'roger.json changed and not committed is refused as before' '
	"$ROGER" -C app build >/dev/null &&
	sed "s/noop/noop2/" app/roger.json >rj && cp rj app/roger.json &&
	test_expect_code 1 "$ROGER" -C app build 2>err &&
	test_grep "roger.json" err &&
	git -C app checkout -q -- roger.json
'

# More files than the dirty check looks at on one thread: the record is
# then made from what that check saw, not from a second pass.
test_expect_success 'a tree of 1,200 files: the record holds what lstat says of each, and a change after it is seen' '
	test_create_repo big "
		for d in 0 1 2 3 4 5 6 7 8 9 10 11; do
			mkdir -p src/\$d &&
			for f in 0 1 2 3 4 5 6 7 8 9; do
				for g in 0 1 2 3 4 5 6 7 8 9; do
					echo \$d\$f\$g >src/\$d/f\$f\$g || exit 1
				done
			done
		done &&
		printf \"%s\\n\" \"{ \\\"version\\\": 1, \\\"app\\\": \\\"big\\\", \\\"marathon\\\": { \\\"cmd\\\": \\\"true\\\" } }\" >roger.json &&
		printf \".roger/\\n\" >.gitignore
	" &&
	(cd big && git ls-files -z | xargs -0 touch -h -d 2002-03-04T05:06:07 &&
		git update-index -q --refresh) &&
	test "$(git -C big ls-files | wc -l)" -gt 1200 &&
	"$ROGER" -C big build >first &&
	test "$(grep -c "^entry " big/.roger/noop)" = "$(git -C big ls-files | wc -l)" &&
	python3 -c "
import os, sys
bad = 0
for line in open(\"big/.roger/noop\"):
    if not line.startswith(\"entry \"):
        continue
    _, ino, size, mt, ct, mode, path = line.rstrip(\"\\n\").split(\" \", 6)
    st = os.lstat(os.path.join(\"big\", path))
    if (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode) != (int(ino), int(size), int(mt), int(ct), int(mode)):
        print(\"differs:\", path); bad += 1
sys.exit(1 if bad else 0)
" &&
	"$ROGER" -C big build >second &&
	test "$(value cached second)" = yes &&
	echo changed >big/src/11/f99 &&
	test_expect_code 1 "$ROGER" -C big build 2>err &&
	test_grep "uncommitted changes .*src/11/f99" err
'

# Past 2262, a time in nanoseconds no longer fits in 64 bits (the overflow
# it used to be fails this case under UBSan).  Such a file is newer than
# the index, as git sees it too, so it is compared by content and never
# old enough to stand in a record: builds take the long way, to the same
# artifact, and still see a change.
test_expect_success 'a file dated after 2262 is never trusted by its stat data, and still packaged' '
	"$ROGER" -C app build >before &&
	touch -d 2300-01-01T00:00:00 app/src/a.txt &&
	test "$(date -r app/src/a.txt +%Y)" = 2300 &&
	git -C app update-index -q --refresh &&
	"$ROGER" -C app build >first &&
	test ! -e app/.roger/noop &&
	"$ROGER" -C app -v build >second 2>err &&
	test_grep ! "nothing changed since the last build" err &&
	test ! -e app/.roger/noop &&
	test "$(value sha256 second)" = "$(value sha256 before)" &&
	echo changed >app/src/a.txt &&
	test_expect_code 1 "$ROGER" -C app build 2>err &&
	test_grep "uncommitted changes .*src/a.txt" err &&
	git -C app checkout -q -- src/a.txt
'

test_done
