#!/bin/sh
# Every man page is clean under mandoc -Tlint at its strictest level
# (STYLE messages included), and every cross reference to a roger page
# names a page that exists.  The only messages left out speak of this
# machine's manual database, not of our pages: "referenced manual not
# found" (mandoc looks references up among the installed pages, where ours
# are not before `make install`; the second test checks ours instead) and
# "outdated mandoc.db".  (mandoc writes its lint to standard output and
# its complaints about the database to standard error.)
. "$TEST_SRCDIR/cli/lib.sh"

top=$TEST_SRCDIR/..
MANDOC=${MANDOC:-$(command -v mandoc || true)}

if [ -z "$MANDOC" ]; then
	test_skip 'mandoc -Tlint reports nothing on any page' 'mandoc is not installed'
else
	test_expect_success 'mandoc -Tlint reports nothing on any page' '
		{ "$MANDOC" -Tlint "$top"/man/*.1 >lint 2>errors || true; } &&
		cat lint errors |
			grep -v -e "referenced manual not found" -e "outdated mandoc.db" >left || true
		if test -s left; then cat left >&2; false; fi
	'
fi

test_expect_success 'every Xr to a roger page names a page of man/' '
	grep -oh "Xr roger[a-z0-9-]* [0-9]" "$top"/man/*.1 | sort -u >refs &&
	test -s refs &&
	while read -r xr name section; do
		test -f "$top/man/$name.$section" || { echo "$xr $name $section: no such page" >&2; exit 1; }
	done <refs
'

test_done
