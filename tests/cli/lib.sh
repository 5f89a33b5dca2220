# lib.sh - the harness of roger's CLI tests (in the manner of git's t/).
#
# A test script sources this file, then calls
#	test_expect_success 'what it checks' 'shell commands'
# for each case and test_done at the end.  Each body runs in a subshell
# inside a fresh trash directory with its own HOME and XDG directories, so
# nothing of the user's configuration leaks in and nothing leaks out.
# $ROGER is the binary under test (set by `make check`).

set -u

: "${ROGER:?run the tests through make check, or set ROGER to the roger binary}"
: "${TEST_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${TEST_BUILDDIR:=$TEST_SRCDIR}"
export ROGER TEST_SRCDIR TEST_BUILDDIR

test_name=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/roger-$test_name.XXXXXX")
export TRASH
HOME=$TRASH/home
XDG_CONFIG_HOME=$HOME/.config
XDG_STATE_HOME=$HOME/.local/state
XDG_CACHE_HOME=$HOME/.cache
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
export HOME XDG_CONFIG_HOME XDG_STATE_HOME XDG_CACHE_HOME
# Nothing of the caller's roger or git setup may change what we test.
for v in $(env | sed -n 's/^\(ROGER_[A-Z0-9_]*\)=.*/\1/p'); do
	[ "$v" = ROGER ] || unset "$v"
done
unset NO_COLOR GIT_DIR GIT_WORK_TREE DCOS_TOKEN
GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME='A U Thor'
GIT_AUTHOR_EMAIL='author@example.com'
GIT_COMMITTER_NAME='C O Mitter'
GIT_COMMITTER_EMAIL='committer@example.com'
GIT_AUTHOR_DATE='2024-01-02T03:04:05Z'
GIT_COMMITTER_DATE='2024-01-02T03:04:05Z'
export GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_DATE
git config --global init.defaultBranch main
git config --global advice.detachedHead false
LC_ALL=C.UTF-8
export LC_ALL

test_count=0
test_failures=0
test_skipped=0
test_cleanups=

# Run `cmd` when the script ends, even on failure (servers, for instance).
test_atexit() {
	test_cleanups="$1
$test_cleanups"
}

test_finish_() {
	eval "$test_cleanups"
	if [ "$test_failures" -eq 0 ] && [ -z "${TEST_KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# trash directory kept: $TRASH"
	fi
}
trap 'test_finish_' EXIT
trap 'exit 130' INT TERM

test_expect_success() {
	test_count=$((test_count + 1))
	if [ -n "${TEST_ONLY:-}" ] && [ "$TEST_ONLY" != "$test_count" ]; then
		return 0
	fi
	cd "$TRASH" || exit 99
	rm -f "$TRASH/.cleanup"
	if (set -e; eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
		# What the commands of the case printed, when it kept them in
		# the usual files: the reason is there when a silent
		# assertion (test, json) failed.
		for f in out err; do
			[ -s "$TRASH/$f" ] || continue
			echo "#   --- $f (last 30 lines):"
			tail -n 30 "$TRASH/$f" | sed 's/^/#   /'
		done
		test_failures=$((test_failures + 1))
	fi
	cd "$TRASH" || exit 99
	if [ -f "$TRASH/.cleanup" ]; then
		(eval "$(cat "$TRASH/.cleanup")") >/dev/null 2>&1 || :
		rm -f "$TRASH/.cleanup"
	fi
}

# test_tty_why: nothing when cases can run on a pseudo-terminal (script(1)
# is there and a pty opens), else why they cannot, for test_skip.
test_tty_why() {
	if ! command -v script >/dev/null 2>&1; then
		echo "script(1) from util-linux is not installed"
	elif ! script -qec true /dev/null </dev/null >/dev/null 2>&1; then
		echo "no pseudo-terminal opens here (is /dev/pts mounted?)"
	fi
}

# test_when_finished cmd...: run cmd after the current case, passed or
# failed, so that a failure does not leave its state to the next cases.
# Arguments are quoted as given.
test_when_finished() {
	for a in "$@"; do
		printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done >>"$TRASH/.cleanup"
	echo >>"$TRASH/.cleanup"
}

# test_skip 'what' 'why': a case that cannot run here, with the reason.
test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count # skip $1 ($2)"
}

test_done() {
	echo "# $test_count tests, $test_failures failed, $test_skipped skipped"
	if [ "$test_failures" -gt 0 ]; then
		exit 1
	fi
	if [ "$test_skipped" -gt 0 ] && [ "$test_skipped" -eq "$test_count" ]; then
		exit 77
	fi
	exit 0
}

# test_expect_code N cmd...: run cmd, fail unless it exits with N.
test_expect_code() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "expected exit $want from '$*', got $got" >&2
		return 1
	fi
	return 0
}

# test_cmp expected actual
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep [-v] [grep options] pattern file: grep that shows the file on failure.
test_grep() {
	negate=
	if [ "$1" = "!" ]; then
		negate=1
		shift
	fi
	eval "last=\${$#}"
	if [ -n "$negate" ]; then
		if grep "$@" >/dev/null; then
			echo "unexpected match for '$*' in:" >&2
			cat "$last" >&2
			return 1
		fi
		return 0
	fi
	if ! grep "$@" >/dev/null; then
		echo "no match for '$*' in:" >&2
		cat "$last" >&2
		return 1
	fi
}

# test_line_count N file: the file has exactly N lines.
test_line_count() {
	n=$(wc -l <"$2")
	if [ "$n" -ne "$1" ]; then
		echo "expected $1 lines in $2, got $n:" >&2
		cat "$2" >&2
		return 1
	fi
}

# A fresh git repository with one commit, in directory $1.
test_create_repo() {
	mkdir -p "$1"
	git -C "$1" init -q
	if [ -n "${2:-}" ]; then
		(cd "$1" && eval "$2")
	fi
	git -C "$1" add -A
	git -C "$1" commit -q --allow-empty -m initial
}

# Whether test_as_nobody can run commands: as root, where chmod 000 does not
# keep a file from being read, the unprivileged user nobody still obeys it.
# It cannot when a directory above the build is closed to others (/root).
test_have_nobody() {
	[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
		id -u nobody >/dev/null 2>&1 &&
		(cd / && setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" \
			--clear-groups -- "$ROGER" --version) >/dev/null 2>&1
}

# test_as_nobody DIR CMD...: make DIR (files the command needs) owned by
# nobody, the trash directory enterable, then run CMD as nobody.
test_as_nobody() {
	_dir=$1
	shift
	chmod 755 "$TRASH" &&
	chown -R "$(id -u nobody):$(id -g nobody)" "$_dir" &&
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" \
		--clear-groups -- "$@"
}

# A free TCP port on 127.0.0.1.
test_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
