#!/bin/sh
# roger exec -i with far more input than roger local queues for a session
# (1 MiB): the command reads nothing for a while, then a little at a time,
# then all it can.  The input connection is suspended and resumed many
# times; every run must deliver the input byte for byte, and the client
# must have been held back: when the command starts reading, the writer
# feeding roger exec cannot have finished, since the input (40 MiB, more
# where the kernel lets sockets buffer more) is more than every buffer on
# the way (the client's, the sockets', libmicrohttpd's, the session's
# queue and the command's pipe) holds.  Then the output's side:
# two readers of one session, the second late, so that the server holds
# the output back for it while the first takes all; and two readers
# asking for different formats (protobuf and JSON records).  Nothing here depends
# on how fast the machine is: the pauses only make the suspensions likely.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"
local_start --cpus 2 --mem 1024 && local_config
app='{"id": "/web/flow", "cmd": "exec '"$TESTAPP"'", "instances": 1,
      "cpus": 0.1, "mem": 16, "portDefinitions": [{"port": 0}]}'

test_expect_success 'setup: an app running, 40 MiB of input or more, a slow reader' '
	test_create_repo repo "echo \"{\\\"version\\\": 1, \\\"app\\\": \\\"flow\\\", \\\"group\\\": \\\"/web\\\"}\" >roger.json" &&
	dep=$(deploy_app "$app") &&
	wait_deployed "$dep" &&
	# 40 MiB, or more where the sockets may hold more: their largest
	# buffers, in input bytes (base64 sends 4 for 3), and 8 MiB to spare
	rmem=$(cut -f3 /proc/sys/net/ipv4/tcp_rmem 2>/dev/null || echo 6291456) &&
	wmem=$(cut -f3 /proc/sys/net/ipv4/tcp_wmem 2>/dev/null || echo 4194304) &&
	size=$(( (rmem + wmem + 8388608) * 3 / 4 + 8388608 )) &&
	if [ "$size" -lt 41943040 ]; then size=41943040; fi &&
	head -c "$size" /dev/urandom >in &&
	sha256sum <in >expect &&
	cat >slow.sh <<-\EOF &&
	# slow.sh FED: read nothing, then 64 KiB at a time, then the rest;
	# say so on stderr if FED (the writer is done) exists before reading.
	sleep 1
	if test -e "$1"; then echo "the writer finished before any read" >&2; fi
	i=0
	while test $i -lt 16; do
		dd bs=65536 count=1 iflag=fullblock status=none || exit 9
		sleep 0.05
		i=$((i + 1))
	done
	exec cat
	EOF
	test -s expect
'

for run in 1 2 3 4; do
	test_expect_success "run $run: the input, byte for byte, the writer held back" '
		rm -f fed out err &&
		{ cat in && : >fed; } |
		(cd repo && "$ROGER" exec -i -- sh "$TRASH/slow.sh" "$TRASH/fed" >../out 2>../err) &&
		sha256sum <out >got &&
		test_cmp expect got &&
		test_line_count 0 err &&
		test -e fed
	'
done

test_expect_success 'a command that ends before reading it all: its status, no hang' '
	(cd repo && test_expect_code 3 "$ROGER" exec -i -- sh -c "sleep 1; exit 3" <../in >../out 2>../err) &&
	test_line_count 0 out &&
	(cd repo && "$ROGER" exec -i -- sh -c "sleep 1; head -c 1000" <../in >../out) &&
	head -c 1000 in >want &&
	cmp want out
'

test_expect_success 'two readers of one session (ATTACH_CONTAINER_OUTPUT), one late: each gets all the output' '
	task=$(app_get web/flow "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	head -c 12582912 /dev/urandom >"$dir/big" &&
	n=$(wc -c <"$dir/big") &&
	sum=$(sha256sum <"$dir/big" | cut -d" " -f1) &&
	printf "%s %s\n" "$n" "$sum" "$n" "$sum" >want &&
	"${PYTHON:-python3}" "$TEST_SRCDIR/cli/v1readers.py" "$task" "read go; cat big" 1 >got &&
	test_cmp want got
'

test_expect_success 'two readers of one session in different formats (protobuf, JSON): each gets all the output' '
	task=$(app_get web/flow "a[\"tasks\"][0][\"id\"]") &&
	dir=$(sandbox "$task") &&
	n=$(wc -c <"$dir/big") &&
	sum=$(sha256sum <"$dir/big" | cut -d" " -f1) &&
	printf "%s %s\n" "$n" "$sum" "$n" "$sum" >want &&
	"${PYTHON:-python3}" "$TEST_SRCDIR/cli/v1readers.py" "$task" "read go; cat big" 0 protobuf json >got &&
	test_cmp want got &&
	"${PYTHON:-python3}" "$TEST_SRCDIR/cli/v1readers.py" "$task" "read go; cat big" 1 json protobuf >got &&
	test_cmp want got
'

test_expect_success 'the server is still there and answers' '
	kill -0 "$LOCAL_PID" &&
	(cd repo && "$ROGER" exec -- echo alive >../out) &&
	echo alive >want &&
	test_cmp want out
'

test_done
