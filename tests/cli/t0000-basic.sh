#!/bin/sh
# The dispatcher: help, version, unknown commands, roger-X, exit statuses,
# write errors on stdout.
. "$TEST_SRCDIR/cli/lib.sh"

test_expect_success 'roger --version prints the version and the compressor of artifacts' '
	"$ROGER" --version >out &&
	test_grep "^roger [0-9][0-9.]*" out &&
	test_grep "^artifacts: \(libdeflate\|zlib\) [0-9.]* level 5$" out
'

test_expect_success 'roger version prints what --version prints, or a JSON document' '
	"$ROGER" --version >expect &&
	"$ROGER" version >out &&
	test_cmp expect out &&
	"$ROGER" version -o json >out &&
	"${PYTHON:-python3}" -c "import json,sys; d=json.load(open(\"out\")); assert d == {\"version\": sys.argv[1], \"artifacts\": sys.argv[2]}, d" \
		"$(sed -n "s/^roger //p" expect)" "$(sed -n "s/^artifacts: //p" expect)" &&
	test_expect_code 2 "$ROGER" version extra 2>err &&
	test_grep "unexpected argument .extra." err
'

# json_error FILE EXIT CODE TEXT: FILE is one JSON document whose error has
# that exit status and code, and a message holding TEXT.
json_error() {
	"${PYTHON:-python3}" - "$@" <<-\EOF
	import json, sys
	path, status, code, text = sys.argv[1:]
	doc = json.load(open(path))
	e = doc["error"]
	assert e["exit"] == int(status) and e["code"] == code, e
	assert text in e["message"], e
	EOF
}

test_expect_success '-o json: a failure is one JSON document on stdout, in every command' '
	test_expect_code 2 "$ROGER" -o json scale >out 2>err &&
	json_error out 2 usage "missing the instance count" &&
	test_line_count 1 out &&
	test_grep "^usage: roger scale" err &&
	test_expect_code 2 "$ROGER" -o json --bogus >out 2>err &&
	json_error out 2 usage "unknown option" &&
	port=$(test_free_port) &&
	ROGER_MARATHON_URL=http://127.0.0.1:$port test_expect_code 4 "$ROGER" status --app /x -o json >out 2>err &&
	json_error out 4 unreachable "cannot connect to" &&
	ROGER_MARATHON_URL=http://127.0.0.1:$port test_expect_code 4 "$ROGER" -o json history --app /x >out 2>err &&
	json_error out 4 unreachable "cannot connect to" &&
	ROGER_MARATHON_URL=http://127.0.0.1:$port test_expect_code 4 "$ROGER" -o json destroy --app /x >out 2>err &&
	json_error out 4 unreachable "cannot connect to" &&
	"${PYTHON:-python3}" -c "import json; d = json.load(open(\"out\")); assert d[\"command\"] == \"destroy\" and d[\"status\"] == \"error\", d" &&
	"$ROGER" -o json version >out &&
	"${PYTHON:-python3}" -c "import json; assert \"error\" not in json.load(open(\"out\"))" &&
	test_expect_code 2 "$ROGER" scale >out 2>err &&
	test_line_count 0 out
'

test_expect_success 'roger --help lists the commands on stdout and exits 0' '
	"$ROGER" --help >out 2>err &&
	test_grep "^usage: roger" out &&
	test_grep "^  help " out &&
	test_grep "^  completion " out &&
	test_grep ! __complete out &&
	test_line_count 0 err
'

test_expect_success 'roger without a command is a usage error (2)' '
	test_expect_code 2 "$ROGER" 2>err &&
	test_grep "^usage: roger" err
'

test_expect_success 'an unknown command fails with 2 and suggests the closest' '
	test_expect_code 2 "$ROGER" halp 2>err &&
	test_grep "roger: .halp. is not a roger command" err &&
	test_grep "^	help$" err
'

test_expect_success 'an unknown command X runs roger-X from PATH' '
	mkdir bin &&
	printf "#!/bin/sh\necho \"external \$*\"\nexit 3\n" >bin/roger-hello &&
	chmod +x bin/roger-hello &&
	PATH="$PWD/bin:$PATH" test_expect_code 3 "$ROGER" hello a b >out &&
	test_grep "^external a b$" out
'

test_expect_success 'an unknown option is a usage error naming the option' '
	test_expect_code 2 "$ROGER" help --bogus 2>err &&
	test_grep "unknown option .--bogus." err
'

test_expect_success 'a misspelled long option gets a suggestion' '
	test_expect_code 2 "$ROGER" help --vrebose 2>err &&
	test_grep "did you mean .--verbose." err
'

test_expect_success 'a missing option argument is a usage error' '
	test_expect_code 2 "$ROGER" help --output 2>err &&
	test_grep "requires an argument" err
'

test_expect_success 'an invalid --output value is a usage error' '
	test_expect_code 2 "$ROGER" --output yaml help 2>err &&
	test_grep "invalid --output .yaml." err
'

test_expect_success 'roger help <command> prints its usage off a terminal' '
	"$ROGER" help completion >out &&
	test_grep "^usage: roger completion" out
'

tty_why=$(test_tty_why)
if [ -z "$tty_why" ]; then
test_expect_success 'roger help <command> on a terminal opens its man page, if installed' '
	mkdir -p fakeman &&
	printf "#!/bin/sh\necho \"man \$*\" >>\"$TRASH/man.log\"\n[ -z \"\${NO_PAGE:-}\" ]\n" >fakeman/man &&
	chmod +x fakeman/man &&
	PATH="$TRASH/fakeman:$PATH" script -qec "\"$ROGER\" help build" /dev/null >tty </dev/null &&
	printf "man -w roger-build\nman roger-build\n" >expect &&
	test_cmp expect man.log &&
	test_grep ! "usage:" tty &&
	rm man.log &&
	PATH="$TRASH/fakeman:$PATH" NO_PAGE=1 script -qec "\"$ROGER\" help build" /dev/null >tty </dev/null &&
	echo "man -w roger-build" >expect &&
	test_cmp expect man.log &&
	test_grep "usage: roger build" tty &&
	rm man.log &&
	PATH="$TRASH/fakeman:$PATH" "$ROGER" help build >out &&
	test ! -e man.log &&
	test_grep "^usage: roger build" out
'
else
	test_skip 'roger help <command> on a terminal opens its man page, if installed' "$tty_why"
fi

if [ -z "$tty_why" ]; then
test_expect_success 'TERM=dumb means no color, with --color=auto too; always means color' '
	test_create_repo colors "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"c\\\"}\" >roger.json" &&
	esc=$(printf "\033") &&
	(cd colors && TERM=xterm script -qec "\"$ROGER\" config" /dev/null >../tty </dev/null) &&
	test_grep "$esc" tty &&
	(cd colors && TERM=dumb script -qec "\"$ROGER\" config" /dev/null >../tty </dev/null) &&
	test_grep ! "$esc" tty &&
	(cd colors && TERM=dumb script -qec "\"$ROGER\" --color=auto config" /dev/null >../tty </dev/null) &&
	test_grep ! "$esc" tty &&
	(cd colors && TERM=dumb script -qec "\"$ROGER\" config --color auto" /dev/null >../tty </dev/null) &&
	test_grep ! "$esc" tty &&
	(cd colors && TERM=dumb "$ROGER" --color=always config >../out) &&
	test_grep "$esc" out
'
else
	test_skip 'TERM=dumb means no color, with --color=auto too; always means color' "$tty_why"
fi

test_expect_success 'roger help of an unknown command fails' '
	test_expect_code 2 "$ROGER" help nope 2>err &&
	test_grep "not a roger command" err
'

test_expect_success 'a write error on stdout is detected' '
	test -w /dev/full || exit 0
	test_expect_code 1 "$ROGER" --help >/dev/full 2>err &&
	test_grep "write error on standard output" err &&
	test_expect_code 1 "$ROGER" --version >/dev/full 2>err &&
	test_grep "write error" err
'

test_expect_success 'global options work after the command too' '
	"$ROGER" help -q >out &&
	test_grep "^usage: roger" out
'

test_expect_success '-vv after the command traces HTTP like -vv before it' '
	mkdir app &&
	cat >app/roger.json <<-EOF &&
	{"version": 1, "app": "a", "marathon": {"cmd": "true"}}
	EOF
	test_create_repo app &&
	port=$(test_free_port) &&
	export ROGER_MARATHON_URL=http://127.0.0.1:$port ROGER_MESOS_URL=http://127.0.0.1:$port &&
	test_expect_code 4 "$ROGER" -C app -vv logs 2>before &&
	test_grep "curl " before &&
	test_expect_code 4 "$ROGER" -C app logs -vv 2>after &&
	test_grep "curl " after &&
	test_expect_code 4 "$ROGER" -C app logs 2>plain &&
	test_grep ! "curl " plain
'

test_done
