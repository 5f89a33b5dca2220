#!/bin/sh
# libroger's interface is what its installed headers declare: the dynamic
# symbols of libroger.so are exactly the functions and variables declared
# with ROGER_EXTERN in the installed headers.  A declaration without its
# symbol breaks programs at link time; a symbol without a declaration is an
# internal function that leaked out, which programs could come to rely on.
. "$TEST_SRCDIR/cli/lib.sh"

top_src=$(cd "$TEST_SRCDIR/.." && pwd)
top_build=$(cd "$TEST_BUILDDIR/.." && pwd)

# The shared library libtool built (its name is in the .la file).
dlname=$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$top_build/lib/libroger.la")
so=$top_build/lib/.libs/$dlname

# declared: the names the installed headers declare with ROGER_EXTERN, one
# a line, sorted: the headers are preprocessed with ROGER_EXTERN made a
# marker, and each marked declaration gives the name before its parameter
# list (a function) or its end (a variable).
declared() {
	for h in $TEST_PUBLIC_HEADERS; do
		printf '#include "%s/%s"\n' "$top_src" "$h"
	done >all.c &&
	# shellcheck disable=SC2086
	$TEST_CC -E -P -DROGER_EXTERN=roger_exported__ $TEST_CPPFLAGS all.c >all.i &&
	tr '\n' ' ' <all.i | tr ';' '\n' | awk '
		{ i = index($0, "roger_exported__") }
		i == 0 { next }
		{
			d = substr($0, i + length("roger_exported__"))
			p = index(d, "(")
			if (p) d = substr(d, 1, p - 1)
			else { b = index(d, "["); if (b) d = substr(d, 1, b - 1) }
			n = split(d, w, /[^A-Za-z0-9_]+/)
			while (n > 0 && w[n] == "") n--
			print w[n]
		}' | LC_ALL=C sort
}

if [ -z "$dlname" ]; then
	test_skip 'the exported symbols are the declared ones' \
		'libroger was built without a shared library (--disable-shared)'
	test_done
fi

test_expect_success 'the installed headers declare the interface' '
	declared >declared &&
	grep -qx roger_version declared &&
	grep -qx roger_buf_empty_ declared &&
	test "$(grep -c . declared)" -gt 100 &&
	test -z "$(grep -v "^roger_" declared)" &&
	test -z "$(uniq -d declared)"
'

# The exported symbols, less the ODR indicators AddressSanitizer adds for
# exported variables (__odr_asan.NAME with gcc, __odr_asan_gen_NAME with
# clang): the compiler's, not ours.
test_expect_success 'libroger.so exports exactly what the headers declare' '
	$TEST_NM -D --defined-only "$so" | awk "NF >= 3 { print \$3 }" |
		grep -v "^__odr_asan" | LC_ALL=C sort -u >exported &&
	test -s exported &&
	comm -23 declared exported >missing &&
	comm -13 declared exported >extra &&
	if test -s missing; then
		echo "declared in the installed headers, not exported:"
		cat missing
	fi &&
	if test -s extra; then
		echo "exported, not declared with ROGER_EXTERN in an installed header:"
		cat extra
	fi &&
	test ! -s missing && test ! -s extra
'

test_done
