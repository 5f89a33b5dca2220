#!/bin/sh
# Completion candidates that come from roger.json and the user config:
# environments for -e, targets for -t; silent when the files are broken.
. "$TEST_SRCDIR/cli/lib.sh"

test_expect_success 'setup' '
	test_create_repo repo "
		mkdir -p sub/dir &&
		echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"x\\\", \\\"environments\\\": {\\\"staging\\\": {}, \\\"production\\\": {}, \\\"dev\\\": {}}}\" >roger.json" &&
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	echo "{\"targets\": {\"prod\": {\"marathon\": \"http://p\"}, \"beta\": {\"marathon\": \"http://b\"}}}" >"$XDG_CONFIG_HOME/roger/config.json"
'

test_expect_success '-e completes the environments of roger.json, in file order' '
	(cd repo && "$ROGER" __complete -e "" >../out 2>../err) &&
	printf "staging\nproduction\ndev\n" >expect &&
	test_cmp expect out &&
	test_line_count 0 err
'

test_expect_success 'environments filtered by prefix, after a command, and as --env=' '
	(cd repo/sub/dir && "$ROGER" __complete config -e pr >../../../out) &&
	echo production >expect &&
	test_cmp expect out &&
	(cd repo && "$ROGER" __complete config --env=s >../out) &&
	echo --env=staging >expect &&
	test_cmp expect out
'

test_expect_success '-C picks the project whose environments complete' '
	"$ROGER" __complete -C repo -e d >out &&
	echo dev >expect &&
	test_cmp expect out
'

test_expect_success '-t completes the targets of the user config plus local, sorted' '
	"$ROGER" __complete -t "" >out 2>err &&
	printf "beta\nlocal\nprod\n" >expect &&
	test_cmp expect out &&
	test_line_count 0 err &&
	"$ROGER" __complete --target l >out &&
	echo local >expect &&
	test_cmp expect out
'

test_expect_success 'broken files give no candidates but the built-in target, and no error' '
	echo "{" >repo/roger.json &&
	(cd repo && "$ROGER" __complete -e "" >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 0 err &&
	echo "{\"targets\": 1}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	"$ROGER" __complete -t "" >out 2>err &&
	test_line_count 0 err &&
	echo local >expect &&
	test_cmp expect out
'

test_expect_success 'outside a project, -e has no candidates' '
	mkdir nowhere &&
	(cd nowhere && "$ROGER" __complete -e "" >../out 2>../err) &&
	test_line_count 0 out &&
	test_line_count 0 err
'

test_expect_success 'init and config are listed, with their options' '
	"$ROGER" __complete "" >out &&
	test_grep "^init	" out &&
	test_grep "^config	" out &&
	"$ROGER" __complete init --f >out &&
	test_grep "^--force" out &&
	"$ROGER" __complete init -- >out &&
	test_grep "^--app=" out &&
	test_grep "^--cmd=" out &&
	test_grep "^--group=" out
'

test_expect_success 'roger help init and roger init -h print the usage' '
	"$ROGER" init -h >out &&
	test_grep -x "usage: roger init \[--app name\] \[--cmd command\] \[--force\] \[--group group\]" out &&
	"$ROGER" help config >out &&
	test_grep -x "usage: roger config" out
'

test_expect_success 'the man pages have the usage strings as SYNOPSIS' '
	for c in init config; do
		"$ROGER" $c -h | sed -n "s/^usage: //p" >usage &&
		sed -n "/^\.Sh SYNOPSIS/,/^\.Sh/p" "$TEST_SRCDIR/../man/roger-$c.1" |
			grep -v "^\.Sh" |
			sed -e "s/^\.Nm //" -e "s/^\.Op Fl -\([a-z]*\) Ar \(.*\)/[--\1 \2]/" \
			    -e "s/^\.Op Fl -\([a-z-]*\)$/[--\1]/" \
			    -e "s/^\.Op Fl \([a-z]*\)$/[-\1]/" | tr "\n" " " | sed "s/ *$//" >synopsis &&
		echo >>synopsis &&
		test_cmp usage synopsis || exit 1
	done
'

test_expect_success 'the man pages are clean for mandoc' '
	if [ -z "${MANDOC:-}" ]; then echo "mandoc not installed: only checked that the pages exist"; fi &&
	for p in roger roger-init roger-config; do
		test -f "$TEST_SRCDIR/../man/$p.1" &&
		if [ -n "${MANDOC:-}" ]; then "$MANDOC" -Tlint -W warning "$TEST_SRCDIR/../man/$p.1" || exit 1; fi
	done
'

test_done
