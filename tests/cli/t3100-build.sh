#!/bin/sh
# roger build: output, the cache, dirty work trees, --ref, build commands
# (failing and slow), reproducibility across clones and locales, and the
# completion of refs.
. "$TEST_SRCDIR/cli/lib.sh"

# value KEY FILE: the value of a "key value" output line.
value() {
	sed -n "s/^$1  *//p" "$2"
}

cd "$TRASH" || exit 99
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\" }\n" >roger.json &&
	mkdir -p src bin &&
	echo "hello" >src/index.txt &&
	printf "#!/bin/sh\necho hi\n" >bin/start && chmod +x bin/start &&
	ln -s src/index.txt current &&
	echo "*.log" >.gitignore
'
git -C app tag v1
git -C app tag -a -m release v1-annotated

test_expect_success 'build prints the artifact, its digest, size and commit' '
	"$ROGER" -C app build >out 2>err &&
	path=$(value artifact out) &&
	test -f "$path" &&
	case $path in "$TRASH/app/.roger/artifacts/"*.tar.gz) ;; *) exit 1 ;; esac &&
	sha=$(value sha256 out) &&
	echo "$sha  $path" | sha256sum -c - &&
	test "$(value size out)" = "$(wc -c <"$path" | tr -d " ")" &&
	test "$(value files out)" = 5 &&
	test "$(value commit out)" = "$(git -C app rev-parse HEAD)" &&
	test "$(value dirty out)" = no &&
	test "$(value cached out)" = no &&
	test_line_count 0 err
'

test_expect_success 'the artifact extracts with GNU tar, bsdtar and Python to the commit' '
	path=$(value artifact out) &&
	mkdir gnu bsd py &&
	tar -xzf "$path" -C gnu &&
	test -x gnu/bin/start &&
	test "$(readlink gnu/current)" = src/index.txt &&
	test "$(cat gnu/src/index.txt)" = hello &&
	if command -v bsdtar >/dev/null; then
		bsdtar -xzf "$path" -C bsd && diff -r gnu bsd
	fi &&
	python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$path" py &&
	diff -r gnu py &&
	git -C app archive --format=tar HEAD | (mkdir ga && tar -xf - -C ga) &&
	diff -r gnu ga
'

test_expect_success 'a second build of the same tree comes from the cache' '
	"$ROGER" -C app build >out2 &&
	test "$(value cached out2)" = yes &&
	test "$(value sha256 out2)" = "$(value sha256 out)" &&
	test "$(value artifact out2)" = "$(value artifact out)"
'

test_expect_success 'a damaged cached artifact is built again, never handed out' '
	path=$(value artifact out) &&
	printf "garbage" >"$path" &&
	"$ROGER" -C app build >out3 2>err3 &&
	test "$(value cached out3)" = no &&
	test_grep "damaged" err3 &&
	echo "$(value sha256 out)  $path" | sha256sum -c -
'

test_expect_success 'a partial cache entry is never used: artifact cut short, missing, or without its index entry' '
	path=$(value artifact out) &&
	head -c 100 "$path" >part && mv part "$path" &&
	"$ROGER" -C app build >o 2>err &&
	test "$(value cached o)" = no &&
	test_grep "damaged" err &&
	echo "$(value sha256 out)  $path" | sha256sum -c - &&
	rm "$path" &&
	"$ROGER" -C app build >o 2>err &&
	test "$(value cached o)" = no &&
	test_grep "missing" err &&
	echo "$(value sha256 out)  $path" | sha256sum -c - &&
	head -c 100 /dev/zero >"$(dirname "$path")/.tmp-abcdef" &&
	rm app/.roger/index/*.json &&
	"$ROGER" -C app build >o 2>err &&
	test "$(value cached o)" = no &&
	test_line_count 0 err &&
	echo "$(value sha256 out)  $path" | sha256sum -c - &&
	"$ROGER" -C app build >o &&
	test "$(value cached o)" = yes
'

test_expect_success 'a cached build trusts the index: the artifact is read again only when its inode, size or mtime changed' '
	"$ROGER" -C app build >o &&
	path=$(value artifact o) &&
	sha=$(value sha256 o) &&
	touch -d "2020-01-02 03:04:05" "$path" &&
	"$ROGER" -C app build >o2 2>err &&
	test "$(value cached o2)" = yes &&
	test_line_count 0 err &&
	size=$(wc -c <"$path") &&
	head -c "$size" /dev/zero | dd of="$path" conv=notrunc status=none &&
	touch -d "2020-01-02 03:04:05" "$path" &&
	"$ROGER" -C app build >o3 2>err &&
	test "$(value cached o3)" = yes &&
	test "$(value sha256 o3)" = "$sha" &&
	touch "$path" &&
	"$ROGER" -C app build >o4 2>err &&
	test "$(value cached o4)" = no &&
	test_grep "damaged" err &&
	echo "$sha  $path" | sha256sum -c -
'

test_expect_success 'a cache entry whose digest is not one names no other file' '
	"$ROGER" -C app build >o &&
	for f in app/.roger/index/*.json; do
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
d[\"sha256\"] = \"../\" * 20 + \"x\" * 4
json.dump(d, open(sys.argv[1], \"w\"))
" "$f" || exit 1
	done &&
	"$ROGER" -C app build >o2 2>err &&
	test "$(value cached o2)" = no &&
	test_grep "cache entry .* is damaged, building again" err &&
	test "$(value sha256 o2)" = "$(value sha256 o)"
'

test_expect_success '-o json gives one document' '
	"$ROGER" -C app -o json build >json &&
	python3 -c "
import json, sys
d = json.load(open(\"json\"))
assert d[\"cached\"] is True, d
assert d[\"dirty\"] is False, d
assert len(d[\"sha256\"]) == 64 and d[\"files\"] == 5, d
assert d[\"path\"].endswith(d[\"sha256\"] + \".tar.gz\"), d
assert d[\"lfs_pointers\"] == [], d
"
'

tty_why=$(test_tty_why)
if [ -z "$tty_why" ]; then
test_expect_success 'progress on a terminal only, and not with -q' '
	script -qec "\"$ROGER\" -C app build --no-cache" /dev/null >tty </dev/null &&
	test_grep "roger: packaging: [0-9]* files, [0-9.]* MiB" tty &&
	test_grep "^sha256  *$(value sha256 out)" tty &&
	script -qec "\"$ROGER\" -q -C app build --no-cache" /dev/null >tty-q </dev/null &&
	test_grep ! "packaging" tty-q &&
	"$ROGER" -C app build --no-cache >o 2>err &&
	test_line_count 0 err
'
else
	test_skip 'progress on a terminal only, and not with -q' "$tty_why"
fi

test_expect_success 'two clones give the same artifact, in any locale' '
	git clone -q app clone1 &&
	git clone -q app clone2 &&
	touch -d 2001-01-01 clone2/src/index.txt &&
	LC_ALL=C "$ROGER" -C clone1 build >c1 &&
	LC_ALL=C.UTF-8 "$ROGER" -C clone2 build >c2 &&
	test "$(value sha256 c1)" = "$(value sha256 out)" &&
	test "$(value sha256 c2)" = "$(value sha256 out)"
'

test_expect_success 'a dirty work tree is refused (exit 1) and names --allow-dirty' '
	echo changed >app/src/index.txt &&
	test_expect_code 1 "$ROGER" -C app build >o 2>err &&
	test_grep "uncommitted changes" err &&
	test_grep "src/index.txt" err &&
	test_grep -e "--allow-dirty" err &&
	test_line_count 0 o
'

test_expect_success 'a staged change is refused after a cached build too' '
	git -C app checkout -q src/index.txt &&
	"$ROGER" -C app build >o &&
	test "$(value cached o)" = yes &&
	echo staged >app/staged.txt &&
	git -C app add staged.txt &&
	test_expect_code 1 "$ROGER" -C app build 2>err &&
	test_grep "staged.txt" err &&
	git -C app rm -q --cached staged.txt &&
	rm app/staged.txt &&
	"$ROGER" -C app build >o &&
	test "$(value cached o)" = yes &&
	echo changed >app/src/index.txt
'

test_expect_success '--allow-dirty packages the work tree and says so' '
	echo new >app/untracked.txt &&
	echo noise >app/debug.log &&
	"$ROGER" -C app build --allow-dirty >o 2>err &&
	test "$(value dirty o)" = yes &&
	test_grep "uncommitted changes" err &&
	mkdir dirty && tar -xzf "$(value artifact o)" -C dirty &&
	test "$(cat dirty/src/index.txt)" = changed &&
	test -f dirty/untracked.txt &&
	test ! -e dirty/debug.log &&
	test ! -e dirty/.roger &&
	git -C app checkout -q src/index.txt &&
	rm app/untracked.txt app/debug.log
'

test_expect_success '--ref packages a tag, an annotated tag or an id without looking at the work tree' '
	echo v2 >app/src/index.txt &&
	git -C app commit -qam v2 &&
	echo dirty >app/src/index.txt &&
	for ref in v1 v1-annotated $(git -C app rev-parse --short v1) HEAD~1; do
		"$ROGER" -C app build --ref "$ref" >r || exit 1
		test "$(value sha256 r)" = "$(value sha256 out)" || exit 1
		test "$(value commit r)" = "$(git -C app rev-parse v1^{commit})" || exit 1
	done &&
	git -C app checkout -q src/index.txt
'

test_expect_success 'a detached HEAD builds its commit' '
	git -C app checkout -q --detach v1 &&
	"$ROGER" -C app build >d &&
	test "$(value sha256 d)" = "$(value sha256 out)" &&
	git -C app checkout -q main
'

test_expect_success 'an unknown --ref is a usage error (2)' '
	test_expect_code 2 "$ROGER" -C app build --ref no-such-thing 2>err &&
	test_grep "unknown revision .no-such-thing." err
'

test_expect_success '--allow-dirty with --ref is a usage error' '
	test_expect_code 2 "$ROGER" -C app build --ref v1 --allow-dirty 2>err &&
	test_grep "cannot go with --ref" err
'

test_expect_success 'an empty repository has nothing to build' '
	mkdir empty && git -C empty init -q &&
	echo "{ \"version\": 1, \"app\": \"e\" }" >empty/roger.json &&
	test_expect_code 1 "$ROGER" -C empty build 2>err &&
	test_grep "no commit yet" err
'

test_expect_success 'a Git LFS pointer is packaged as it is, with a warning and in -o json' '
	test_create_repo lfs "
		echo \"{ \\\"version\\\": 1, \\\"app\\\": \\\"lfs\\\" }\" >roger.json &&
		mkdir -p assets &&
		printf \"version https://git-lfs.github.com/spec/v1\\noid sha256:%064d\\nsize 1234\\n\" 7 >assets/big.bin" &&
	"$ROGER" -C lfs build >o 2>err &&
	test_grep "^roger: warning: .assets/big.bin. is a Git LFS pointer" err &&
	"$ROGER" -C lfs -o json build >json 2>/dev/null &&
	"${PYTHON:-python3}" -c "import json; d = json.load(open(\"json\")); assert d[\"lfs_pointers\"] == [\"assets/big.bin\"], d"
'

test_expect_success 'a file name that is not UTF-8: exit 3, one line naming it, and no artifact' '
	test_create_repo latin "
		echo \"{ \\\"version\\\": 1, \\\"app\\\": \\\"l\\\" }\" >roger.json &&
		echo x >\"$(printf "caf\351")\" && echo y >ok.txt" &&
	test_expect_code 3 "$ROGER" -C latin build >o 2>err &&
	test_line_count 0 o &&
	test_line_count 1 err &&
	test_grep -x "roger: file name .caf\\\\351. is not valid UTF-8: .*" err &&
	test -z "$(ls latin/.roger/artifacts 2>/dev/null)" &&
	printf "caf* export-ignore\n" >latin/.gitattributes &&
	git -C latin add .gitattributes && git -C latin commit -qm ignore &&
	"$ROGER" -C latin build >o &&
	test "$(value files o)" = 3
'

test_expect_success 'an awkwardly shaped repository: the same tree as git archive, byte for byte' '
	test_create_repo shapes "\"${PYTHON:-python3}\" \"$TEST_SRCDIR/cli/shapes.py\" make ." &&
	"$ROGER" -C shapes build >o &&
	git -C shapes -c tar.umask=022 archive --format=tar HEAD >shapes.tar &&
	"${PYTHON:-python3}" "$TEST_SRCDIR/cli/shapes.py" same "$(value artifact o)" shapes.tar &&
	mkdir gnu-shapes && tar -xzf "$(value artifact o)" -C gnu-shapes &&
	test -f "gnu-shapes/names/$(printf "cafe\314\201")" &&
	test -f "gnu-shapes/names/$(printf "caf\303\251")" &&
	test "$(readlink gnu-shapes/links/decomposed)" = "$(printf "cafe\314\201")"
'

cd "$TRASH" || exit 99
test_create_repo cmd '
	mkdir web &&
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"echo compiling; mkdir -p dist && cat ../VERSION >dist/version && echo to stderr >&2\", \"exclude\": [\"*.md\"], \"inputs\": [\"../VERSION\"] } }\n" >web/roger.json &&
	echo 7 >VERSION &&
	echo doc >web/README.md &&
	echo src >web/app.js &&
	echo "dist/" >web/.gitignore
'

test_expect_success 'the build command runs in a clean export and its output is streamed' '
	"$ROGER" -C cmd/web build >o 2>err &&
	test_grep "^build: compiling$" err &&
	test_grep "^build: to stderr$" err &&
	test ! -e cmd/web/dist &&
	mkdir x && tar -xzf "$(value artifact o)" -C x &&
	test "$(cat x/dist/version)" = 7 &&
	test -f x/app.js &&
	test ! -e x/README.md &&
	test -f cmd/web/.roger/.gitignore &&
	"$ROGER" -C cmd/web build >o2 2>err2 &&
	test "$(value cached o2)" = yes &&
	test_grep ! "build:" err2
'

test_expect_success 'a commit outside the project and its inputs makes the same artifact, of the same commit' '
	"$ROGER" -C cmd/web build >o1 &&
	mkdir -p cmd/api && echo api >cmd/api/server.js &&
	git -C cmd add api && git -C cmd commit -qm "another app" &&
	"$ROGER" -C cmd/web build >o2 &&
	test "$(value cached o2)" = yes &&
	test "$(value sha256 o2)" = "$(value sha256 o1)" &&
	test "$(value commit o2)" = "$(value commit o1)" &&
	test "$(value commit o2)" != "$(git -C cmd rev-parse HEAD)"
'

test_expect_success 'a change to an input makes a new artifact, of that commit' '
	echo 8 >cmd/VERSION && git -C cmd commit -qam "version 8" &&
	"$ROGER" -C cmd/web build >o3 &&
	test "$(value cached o3)" = no &&
	test "$(value commit o3)" = "$(git -C cmd rev-parse HEAD)" &&
	mkdir y && tar -xzf "$(value artifact o3)" -C y &&
	test "$(cat y/dist/version)" = 8
'

test_expect_success 'the build sees only the project directory and its inputs' '
	cp cmd/web/roger.json saved.json &&
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"cat ../VERSION\" } }\n" >cmd/web/roger.json &&
	git -C cmd commit -qam "no inputs" &&
	test_expect_code 1 "$ROGER" -C cmd/web build >o 2>err &&
	test_grep "No such file" err &&
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"true\", \"inputs\": [\"../../x\"] } }\n" >cmd/web/roger.json &&
	git -C cmd commit -qam "outside" &&
	test_expect_code 3 "$ROGER" -C cmd/web build >o 2>err &&
	test_grep "build.inputs: .\.\./\.\./x. is outside the repository" err &&
	cp saved.json cmd/web/roger.json && git -C cmd commit -qam "inputs again"
'

test_expect_success 'a failing build command exits 1 with its status and last lines' '
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo step \$i; done; exit 4\" } }\n" >cmd/web/roger.json &&
	git -C cmd commit -qam failing &&
	test_expect_code 1 "$ROGER" -q -C cmd/web build >o 2>err &&
	test_grep "failed with exit status 4" err &&
	test_grep "last lines of its output" err &&
	test_grep "| step 15$" err &&
	test_grep ! "| step 2$" err &&
	test_line_count 0 o
'

test_expect_success 'a build step whose program is not installed says so' '
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"no-such-tool-$$ install\" } }\n" >cmd/web/roger.json &&
	git -C cmd commit -qam missing &&
	test_expect_code 1 "$ROGER" -C cmd/web build >o 2>err &&
	test_grep "failed with exit status 127: a program it runs is not installed here (its output names it); install it, or change build.command" err &&
	test_grep "no-such-tool-$$" err
'

# The sleeps carry this script's pid, so that pgrep sees only this run's.
test_expect_success 'a slow build command is stopped at build.timeout' '
	printf "{ \"version\": 1, \"app\": \"web\", \"build\": { \"command\": \"echo waiting; sleep 59.$$ & sleep 58.$$\", \"timeout\": 1 } }\n" >cmd/web/roger.json &&
	git -C cmd commit -qam slow &&
	start=$(date +%s) &&
	test_expect_code 1 "$ROGER" -C cmd/web build 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -lt 20 &&
	test_grep "timed out after 1 s" err &&
	test_grep "build: waiting" err &&
	sleep 1 &&
	! pgrep -x -f "sleep 5[89]\\.$$"
'

test_expect_success 'completion offers branches, tags and HEAD for --ref' '
	"$ROGER" -C app __complete build --ref "" >c 2>err ||
	(cd app && "$ROGER" __complete build --ref "") >c &&
	test_grep "^main$" c &&
	test_grep "^v1$" c &&
	test_grep "^v1-annotated$" c &&
	test_grep "^HEAD$" c &&
	(cd app && "$ROGER" __complete build --ref=v) >refs &&
	test_grep "^--ref=v1$" refs
'

test_done
