#!/bin/sh
# t7040 again, as an ordinary user: roger local as uid 65534 runs image
# tasks in user namespaces of their own (the user mapped to the image's
# user), over overlayfs or a copy, and everything t7040 checks holds
# there too.  As root, the script runs t7040 with setpriv(1) as nobody,
# from a copy of the binary, the library and the test scripts that nobody
# can read (the build tree may be closed to it), in a home of its own.
# As another user, t7040 itself already ran unprivileged: nothing to add.
. "$TEST_SRCDIR/cli/lib.sh"

if [ "$(id -u)" != 0 ]; then
	test_skip 't7040 as an unprivileged user' "running as uid $(id -u): t7040 itself ran unprivileged"
	test_done
fi
if ! command -v setpriv >/dev/null 2>&1; then
	test_skip 't7040 as an unprivileged user' 'setpriv(1) from util-linux is not installed'
	test_done
fi
if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur true 2>/dev/null; then
	test_skip 't7040 as an unprivileged user' 'this machine gives no user namespaces to ordinary users (unshare -Ur fails as nobody)'
	test_done
fi

NB=$(mktemp -d "${TMPDIR:-/tmp}/roger-t7043-nobody.XXXXXX")
test_atexit 'rm -rf "$NB"'
chmod 755 "$NB"

test_expect_success 'setup: a copy of roger and of the tests that nobody can read' '
	mkdir -p "$NB/bin" "$NB/lib" "$NB/tests/cli" "$NB/tmp" &&
	real=$ROGER &&
	if head -c 2 "$ROGER" | grep -q "^#!"; then
		real=$(dirname "$ROGER")/.libs/$(basename "$ROGER") &&
		cp -P "$(dirname "$ROGER")"/lib/.libs/libroger.so* "$NB/lib/"
	fi &&
	cp "$real" "$NB/bin/roger" &&
	cp "$TEST_SRCDIR"/cli/lib.sh "$TEST_SRCDIR"/cli/lib-local.sh \
		"$TEST_SRCDIR"/cli/lib-registry.sh \
		"$TEST_SRCDIR"/cli/t7040-local-images.sh "$NB/tests/cli/" &&
	cp "$TEST_SRCDIR"/registryd.py "$TEST_SRCDIR"/ociimage.py "$NB/tests/" &&
	chmod -R a+rX "$NB" &&
	chown 65534:65534 "$NB/tmp" &&
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env LD_LIBRARY_PATH="$NB/lib" "$NB/bin/roger" --version >/dev/null
'

test_expect_success 't7040 passes as uid 65534, in user namespaces' '
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env -u TEST_KEEP_TRASH HOME="$NB/tmp" TMPDIR="$NB/tmp" \
		LD_LIBRARY_PATH="$NB/lib" ROGER="$NB/bin/roger" \
		TEST_SRCDIR="$NB/tests" TEST_BUILDDIR="$NB/tests" \
		sh "$NB/tests/cli/t7040-local-images.sh" >out 2>err ||
	{ cat out; sed "s/^/err: /" err; false; } &&
	cat out &&
	test_grep "^ok 16 " out &&
	test_grep ! "^not ok" out &&
	# only the case that builds a chroot needs root
	! grep "# skip" out | grep -v "(building a chroot needs root)$"
'

test_done
