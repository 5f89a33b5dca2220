#!/bin/sh
# Meta-tests: the tables in the code and the documentation agree.  Every
# command has a man page whose SYNOPSIS is its usage, handles -h, documents
# and completes every long option, and appears in roger(1) and the
# completions; the exit-status table of roger(1) is the one in lib/err.h;
# the man pages are clean under mandoc -Tlint.
. "$TEST_SRCDIR/cli/lib.sh"

top=$(cd "$TEST_SRCDIR/.." && pwd)
MANDOC=${MANDOC:-$(command -v mandoc || true)}

# render PAGE: the page as plain text without line wrapping.
render() {
	"$MANDOC" -Tascii -O width=1000 "$1" | sed 's/.\x08//g'
}

# section NAME: the lines of section NAME from a rendered page on stdin.
section() {
	awk -v s="$1" '$0 == s { on = 1; next } /^[A-Z][A-Z ]*$/ { on = 0 } on'
}

# Each line with its blanks squeezed, for text laid out in columns.
fold_lines() {
	sed 's/[[:space:]][[:space:]]*/ /g; s/^ //; s/ $//'
}

fold_ws() {
	tr '\n\t' '  ' | sed 's/  */ /g; s/^ //; s/ $//'
}

"$ROGER" __complete '' | cut -f1 >"$TRASH/commands"

test_expect_success 'the command list is not empty and sorted' '
	test -s commands &&
	LC_ALL=C sort -c commands
'

test_expect_success 'every command handles -h and --help with exit 0' '
	while read -r c; do
		"$ROGER" "$c" -h >out 2>err || { echo "$c -h failed" >&2; exit 1; }
		grep -q "^usage: roger $c" out || { echo "$c -h: no usage" >&2; cat out >&2; exit 1; }
		test ! -s err || { echo "$c -h wrote to stderr" >&2; exit 1; }
		"$ROGER" "$c" --help >out2 && test_cmp out out2
	done <commands
'

# opts: "command letter long-name takes-argument" for each option of -h
# ("-" for no letter), the global options under the name "global".
list_opts() {
	{
		"$ROGER" --help | sed -n "/^Global options/,/^\$/p" | sed "s/^/global /"
		while read -r c; do
			"$ROGER" "$c" -h | sed -n "/^Options:/,/^\$/p" | sed "s/^/$c /"
		done <commands
	} | awk '
		$2 !~ /^-/ { next }
		{
			letter = "-"; name = $2
			if ($2 ~ /^-.,$/) { letter = substr($2, 2, 1); name = $3 }
			else if ($2 ~ /^-.$/) { letter = substr($2, 2, 1); name = "-" }
			arg = (name ~ /=/ || $3 ~ /^[A-Z]+$/) ? "arg" : "flag"
			sub(/=.*/, "", name)
			print $1, letter, name, arg
		}'
}

test_expect_success 'an option means one thing in every command that has it' '
	list_opts >opts &&
	test -s opts &&
	# a long name: always the same letter, always an argument or never
	awk "\$3 != \"-\" { print \$3, \$2, \$4 }" opts | sort -u >names &&
	awk "{ print \$1 }" names | uniq -d >clashes &&
	test_line_count 0 clashes &&
	# a letter: always the same long name, but -n (a dry run or a count)
	# and -t after exec (--tty, as in kubectl; --target before it)
	awk "\$2 != \"-\" && \$2 != \"n\" && !(\$1 == \"exec\" && \$2 == \"t\") { print \$2, \$3 }" opts | sort -u >letters &&
	awk "{ print \$1 }" letters | uniq -d >clashes &&
	test_line_count 0 clashes &&
	awk "\$2 == \"n\" && \$4 == \"flag\" { print \$3 }" opts | sort -u >n_flag &&
	echo --dry-run >expect &&
	test_cmp expect n_flag &&
	# the global options are no command option
	awk "\$1 == \"global\" { print \$3 }" opts | sort >global &&
	awk "\$1 != \"global\" { print \$3 }" opts | sort -u >local &&
	comm -12 global local >clashes &&
	test_line_count 0 clashes
'

test_expect_success 'every command has a man page in man/' '
	while read -r c; do
		test -f "$top/man/roger-$c.1" || { echo "no man/roger-$c.1" >&2; exit 1; }
	done <commands
'

if [ -z "$MANDOC" ]; then
	test_skip 'man pages are clean under mandoc -Tlint' 'mandoc is not installed'
	test_skip 'each usage string equals its man page SYNOPSIS' 'mandoc is not installed'
	test_skip 'every long option is documented in the man page' 'mandoc is not installed'
	test_skip 'roger(1) lists every command' 'mandoc is not installed'
	test_skip 'roger(1) EXIT STATUS matches lib/err.h' 'mandoc is not installed'
else
test_expect_success 'man pages are clean under mandoc -Tlint' '
	"$MANDOC" -Tlint -W warning "$top"/man/*.1
'

# A quote opened inside another one, as an enclosure macro that swallows
# the next macro's words renders it ("`stdout or `stderr''").
test_expect_success 'no man page renders a quote inside a quote' '
	for page in "$top"/man/*.1; do
		render "$page" | awk -v page="${page##*/}" "
			{
				for (i = 1; i <= length(\$0); i++) {
					c = substr(\$0, i, 1)
					if (c == \"\140\" && open) { print page \": \" NR \": \" \$0; bad = 1 }
					if (c == \"\140\") open = 1
					else if (c == \"\047\") open = 0
				}
			}
			END { exit bad }" || exit 1
	done
'

test_expect_success 'roger-init(1) shows what roger init prints' '
	test_create_repo hello "
		echo \"{\\\"scripts\\\": {\\\"start\\\": \\\"node index.js\\\"}, \\\"dependencies\\\": {\\\"express\\\": \\\"^4\\\"}}\" >package.json &&
		echo {} >package-lock.json" &&
	(cd hello && "$ROGER" init) | fold_lines >printed &&
	render "$top/man/roger-init.1" | section DESCRIPTION |
		sed -n "/^ *app: /,/^\$/p" | sed "/^\$/d" | fold_lines >shown &&
	test -s shown &&
	test_cmp shown printed
'

test_expect_success 'each usage string equals its man page SYNOPSIS' '
	while read -r c; do
		"$ROGER" "$c" -h | sed -n "1,/^\$/p" | sed "s/^usage: //; s/^   or: //" |
			fold_ws >usage
		render "$top/man/roger-$c.1" | section SYNOPSIS | fold_ws >synopsis
		test_cmp usage synopsis || { echo "in roger-$c.1" >&2; exit 1; }
	done <commands
'

test_expect_success 'every long option is documented in the man page' '
	while read -r c; do
		render "$top/man/roger-$c.1" >page
		"$ROGER" "$c" -h | sed -n "/^Options:/,/^\$/p" |
			grep -o -- "--[a-z][a-z0-9-]*" | sort -u >opts || true
		while read -r o; do
			grep -q -- "$o" page || { echo "roger-$c.1 lacks $o" >&2; exit 1; }
		done <opts
	done <commands
'

test_expect_success 'roger(1) lists every command' '
	render "$top/man/roger.1" | section COMMANDS >listed &&
	while read -r c; do
		grep -q "^     $c\$\|^     $c " listed || { echo "roger(1) lacks $c" >&2; exit 1; }
	done <commands
'

test_expect_success 'the README command table lists every command' '
	sed -n "s/^| \`\([a-z][a-z-]*\)\` |.*/\1/p" "$top/README.md" >readme &&
	test_cmp commands readme
'

test_expect_success 'roger(1) EXIT STATUS matches lib/err.h' '
	sed -n "s/^[[:space:]]*X(ROGER_EXIT_[A-Z_]*, \([0-9]*\), \"\(.*\)\").*/\1 \2/p" \
		"$top/lib/err.h" | fold_ws >code &&
	test -s code &&
	render "$top/man/roger.1" | section "EXIT STATUS" | sed 1d | fold_ws >doc &&
	test_cmp code doc
'
fi

test_expect_success 'every command and long option is offered by completion' '
	"$ROGER" __complete "" | cut -f1 >all &&
	test_cmp commands all &&
	while read -r c; do
		"$ROGER" "$c" -h | sed -n "/^Options:/,/^\$/p" |
			grep -o -- "--[a-z][a-z0-9-]*" | sort -u >opts || true
		"$ROGER" __complete "$c" -- | cut -f1 | sed "s/=\$//" >offered
		while read -r o; do
			grep -qx -- "$o" offered || { echo "completion of $c lacks $o" >&2; exit 1; }
		done <opts
	done <commands
'

test_expect_success 'the bash completion script completes commands and options' '
	mkdir -p bin &&
	printf "#!/bin/sh\nexec \"%s\" \"\$@\"\n" "$ROGER" >bin/roger &&
	chmod +x bin/roger &&
	PATH="$PWD/bin:$PATH" bash -c "
		. \"$top/completions/bash/roger\"
		COMP_WORDS=(roger comp); COMP_CWORD=1; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\" >reply1
		COMP_WORDS=(roger completion \"\"); COMP_CWORD=2; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\" >reply2
		COMP_WORDS=(roger --output \"\"); COMP_CWORD=2; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\" >reply3
		COMP_WORDS=(roger --color = al); COMP_CWORD=3; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\" >reply4
	" &&
	echo completion >expect1 && test_cmp expect1 reply1 &&
	printf "bash\nzsh\nfish\n" >expect2 && test_cmp expect2 reply2 &&
	printf "text\njson\n" >expect3 && test_cmp expect3 reply3 &&
	echo always >expect4 && test_cmp expect4 reply4
'

if command -v fish >/dev/null 2>&1; then
test_expect_success 'the fish completion script completes commands' '
	mkdir -p bin &&
	printf "#!/bin/sh\nexec \"%s\" \"\$@\"\n" "$ROGER" >bin/roger &&
	chmod +x bin/roger &&
	PATH="$PWD/bin:$PATH" HOME="$TRASH/home" fish --no-config -c "
		source \"$top/completions/fish/roger.fish\"
		complete -C \"roger comp\"
		complete -C \"roger completion \"
	" >out &&
	test_grep "^completion" out &&
	test_grep "^zsh" out
'
else
	test_skip 'the fish completion script completes commands' 'fish is not installed'
fi

# roger on PATH for the shells, and a project with environments for the
# candidates that come from roger.json.
mkdir -p "$TRASH/bin" &&
printf '#!/bin/sh\nexec "%s" "$@"\n' "$ROGER" >"$TRASH/bin/roger" &&
chmod +x "$TRASH/bin/roger" || exit 99
test_create_repo proj '
	echo "{\"version\": 1, \"app\": \"p\", \"environments\": {\"staging\": {}, \"production\": {}}}" >roger.json
'

test_expect_success 'the bash completion script registers _roger and completes environments' '
	(cd proj && PATH="$TRASH/bin:$PATH" bash -c "
		. \"$top/completions/bash/roger\"
		complete -p roger
		COMP_WORDS=(roger -e \"\"); COMP_CWORD=2; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\"
		COMP_WORDS=(roger build --env pro); COMP_CWORD=3; _roger
		printf \"%s\n\" \"\${COMPREPLY[@]}\"
	") >reply &&
	printf "complete -F _roger roger\nstaging\nproduction\nproduction\n" >expect &&
	test_cmp expect reply
'

tty_why=$(test_tty_why)
if command -v bash >/dev/null 2>&1 && [ -z "$tty_why" ]; then
test_expect_success 'at a bash prompt, a word with colons completes whole' '
	mkdir -p colon &&
	cat >colon/roger <<-\EOF &&
	#!/bin/sh
	# candidates with colons, as the versions of an app are
	if [ "$1" = __complete ]; then
		eval "last=\${$#}"
		for v in 2026-01-02T03:04:05.678Z 2026-01-02T03:04:09.001Z; do
			case $v in "$last"*) echo "$v" ;; esac
		done
		exit 0
	fi
	printf "%s\n" "$@" >"$TRASH/ran"
	EOF
	chmod +x colon/roger &&
	printf "PS1=\"$ \"\nPATH=\"%s:\$PATH\"\n. \"%s\"\n" "$TRASH/colon" \
		"$top/completions/bash/roger" >colon/rc &&
	printf "roger rollback --to 2026-01-02T03:04:05\t\nexit\n" |
		script -qec "bash --rcfile colon/rc -i" /dev/null >/dev/null 2>&1 &&
	printf "rollback\n--to\n2026-01-02T03:04:05.678Z\n" >expect &&
	test_cmp expect ran
'
else
	test_skip 'at a bash prompt, a word with colons completes whole' \
		"${tty_why:-bash is not installed}"
fi

if command -v zsh >/dev/null 2>&1 && [ -z "$tty_why" ]; then
test_expect_success 'the zsh completion script is valid zsh' '
	zsh -n "$top/completions/zsh/_roger"
'

test_expect_success 'the zsh completion script completes at a zsh prompt' '
	(cd proj && PATH="$TRASH/bin:$PATH" zsh -f "$TEST_SRCDIR/cli/complete.zsh" \
		"$top/completions/zsh" "roger comp" "roger completion " \
		"roger --output " "roger -e " "roger build --re" "roger lo") >reply &&
	cat >expect <<-\EOF &&
	completion
	--
	bash
	fish
	zsh
	--
	json
	text
	--
	production
	staging
	--
	--ref=
	--request-timeout=
	--
	local
	logs
	--
	EOF
	test_cmp expect reply
'
else
	test_skip 'the zsh completion script completes at a zsh prompt' \
		"${tty_why:-zsh is not installed}"
fi

test_expect_success 'make install puts the completion scripts under the prefix, unless told' '
	: "${TEST_PREFIX:?run through make check}" &&
	config=$("$TEST_CONFIG_STATUS" --config) &&
	case $config in
	*completiondir=*) echo "configure was given the directories: $config"; exit 0 ;;
	esac &&
	for d in $TEST_COMPLETIONDIRS; do
		case $d in
		"$TEST_PREFIX"/*) ;;
		*) echo "$d is outside the prefix $TEST_PREFIX" >&2; exit 1 ;;
		esac
	done
'

test_expect_success 'roger completion prints the installed scripts byte for byte' '
	"$ROGER" completion bash >bash.out && cmp bash.out "$top/completions/bash/roger" &&
	"$ROGER" completion zsh >zsh.out && cmp zsh.out "$top/completions/zsh/_roger" &&
	"$ROGER" completion fish >fish.out && cmp fish.out "$top/completions/fish/roger.fish" &&
	test_expect_code 2 "$ROGER" completion tcsh 2>err &&
	test_grep "unknown shell .tcsh." err
'

test_done
