#!/bin/sh
# roger local's fetcher against hostile archives, end to end: apps created
# over HTTP whose fetch URIs name archives made here.  The escape of issue
# 11 (20 nested directories, a link at the bottom back to the sandbox, a
# hard link to that link at the top, then a destPath through the hard
# link) on two servers, one resolving paths with openat2(2) and one forced
# to the O_NOFOLLOW walk (ROGER_NO_OPENAT2); a destPath through a link
# inside the sandbox; a hard link to /etc/passwd; an absolute name; a gzip
# bomb over --max-extract-bytes; a truncated archive.  Each fails its task
# as Mesos reports a fetch failure, with the reason in the sandbox's
# stderr, writes nothing outside the sandbox and leaves nothing of the
# archive in it.  Then a good archive still runs, the cap of the user
# config is used by `roger local up`, and bad cap options are usage errors.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

ART=$TRASH/art
mkdir -p "$ART"

# The archives, written with Python's tarfile, which stores names, link
# targets and hard links exactly as given.
python3 - "$ART" "$TRASH" <<'EOF' || exit 1
import io, os, sys, tarfile

art, trash = sys.argv[1], sys.argv[2]

def add(t, name, kind=tarfile.REGTYPE, data=b"", link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)

with tarfile.open(os.path.join(art, "escape.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    path = ""
    for i in range(20):
        path += "d%d/" % i
        add(t, path, tarfile.DIRTYPE)
    add(t, path + "l", tarfile.SYMTYPE, link="/".join([".."] * 20))
    add(t, "h", tarfile.LNKTYPE, link=path + "l")
with tarfile.open(os.path.join(art, "linked.tar"), "w") as t:
    add(t, "sub/", tarfile.DIRTYPE)
    add(t, "link", tarfile.SYMTYPE, link="sub")
with tarfile.open(os.path.join(art, "passwd.tar"), "w") as t:
    add(t, "ok.txt", data=b"fine\n")
    add(t, "passwd", tarfile.LNKTYPE, link="/etc/passwd")
with tarfile.open(os.path.join(art, "abs.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "ok.txt", data=b"fine\n")
    add(t, trash + "/abs-escaped", data=b"pwned\n")
with tarfile.open(os.path.join(art, "bomb.tar.gz"), "w:gz") as t:
    add(t, "zeros", data=bytes(8 << 20))
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    add(t, "first.txt", data=b"complete\n")
    add(t, "noise", data=os.urandom(300000))
open(os.path.join(art, "cut.tar.gz"), "wb").write(buf.getvalue()[:150000])
with tarfile.open(os.path.join(art, "good.tar.gz"), "w:gz") as t:
    add(t, "data/", tarfile.DIRTYPE)
    add(t, "data/greeting.txt", data=b"extracted under the cap\n")
EOF
echo "payload" >"$ART/payload.txt"

# Two servers with a 1 MiB cap: the default, and one forced to the walk.
export ROGER_NO_OPENAT2=1
LOCAL_STATE=$TRASH/walk
local_start --max-extract-bytes 1M || exit 1
WALK_URL=$LOCAL_URL
WALK_TOKEN=$LOCAL_TOKEN
WALK_PID=$LOCAL_PID
unset ROGER_NO_OPENAT2
LOCAL_STATE=$TRASH/openat2
local_start --max-extract-bytes 1M || exit 1
OPENAT2_URL=$LOCAL_URL
OPENAT2_TOKEN=$LOCAL_TOKEN
test_atexit 'kill -TERM $WALK_PID 2>/dev/null || :'

# use_server walk|openat2: the server the helpers of lib-local.sh talk to.
use_server() {
	if [ "$1" = walk ]; then
		LOCAL_URL=$WALK_URL LOCAL_TOKEN=$WALK_TOKEN
	else
		LOCAL_URL=$OPENAT2_URL LOCAL_TOKEN=$OPENAT2_TOKEN
	fi
}

# refused ID FETCH: create the app (id without its leading slash) whose
# fetch must fail, wait for its TASK_FAILED with Mesos' message, and leave
# the task's sandbox in ./sandbox_dir.
refused() {
	deploy_app "{\"id\":\"/$1\",\"cmd\":\"exec sleep 1000\",\"cpus\":0.1,\"mem\":16,
		\"backoffSeconds\":60,\"fetch\":$2}" >/dev/null &&
	wait_for 20 "app_get $1 \"a[\\\"lastTaskFailure\\\"][\\\"state\\\"]\" | grep -q TASK_FAILED" &&
	app_get "$1" "a[\"lastTaskFailure\"][\"message\"]" >message &&
	grep -q "^Failed to launch container: Failed to fetch all URIs for container .* with exit status: 256$" message &&
	task=$(app_get "$1" "a[\"lastTaskFailure\"][\"taskId\"]") &&
	sandbox "$task" >sandbox_dir &&
	test -d "$(cat sandbox_dir)"
}

# in_sandbox: the names at the top of the last sandbox, on one line.
in_sandbox() {
	ls -A "$(cat sandbox_dir)" | tr '\n' ' ' | sed 's/ $//'
}

# The issue's fetch: the archive, then a file whose destPath goes through
# `h` to a place of the trash directory ($TRASH is absolute).
escape_fetch="[{\"uri\":\"file://$ART/escape.tar\"},
	{\"uri\":\"file://$ART/payload.txt\",\"destPath\":\"h$TRASH/escaped\"}]"

for server in openat2 walk; do
	test_expect_success "the escape of issue 11 is refused, nothing outside ($server)" '
		use_server '$server' &&
		refused hostile/escape "$escape_fetch" &&
		test_grep "refusing archive '\''escape.tar'\'': entry '\''h'\'' is a hard link to a symbolic link that, from here, leads out of the sandbox" "$(cat sandbox_dir)/stderr" &&
		test ! -e "$TRASH/escaped" &&
		test "$(in_sandbox)" = "escape.tar stderr stdout" &&
		test "$(http DELETE /v2/apps/hostile/escape)" = 200
	'
done

test_expect_success 'a destPath through a link inside the sandbox is refused' '
	use_server openat2 &&
	refused hostile/linked "[{\"uri\":\"file://$ART/linked.tar\"},
		{\"uri\":\"file://$ART/payload.txt\",\"destPath\":\"link/X\"}]" &&
	test_grep "destination '\''link/X'\'' cannot be written: '\''link'\'' is a symbolic link" "$(cat sandbox_dir)/stderr" &&
	test ! -e "$(cat sandbox_dir)/sub/X" &&
	test "$(http DELETE /v2/apps/hostile/linked)" = 200
'

test_expect_success 'a hard link to /etc/passwd is refused, and the archive leaves nothing' '
	use_server openat2 &&
	links=$(stat -c %h /etc/passwd) &&
	refused hostile/passwd "[{\"uri\":\"file://$ART/passwd.tar\"}]" &&
	test_grep "entry '\''passwd'\'' is a hard link to an absolute path" "$(cat sandbox_dir)/stderr" &&
	test "$(in_sandbox)" = "passwd.tar stderr stdout" &&
	test "$(stat -c %h /etc/passwd)" = "$links" &&
	test "$(http DELETE /v2/apps/hostile/passwd)" = 200
'

test_expect_success 'an absolute name is refused' '
	use_server walk &&
	refused hostile/abs "[{\"uri\":\"file://$ART/abs.tar\"}]" &&
	test_grep "has an absolute path" "$(cat sandbox_dir)/stderr" &&
	test ! -e "$TRASH/abs-escaped" &&
	test "$(in_sandbox)" = "abs.tar stderr stdout" &&
	test "$(http DELETE /v2/apps/hostile/abs)" = 200
'

test_expect_success 'a gzip bomb over --max-extract-bytes fails, naming the archive and the cap' '
	use_server openat2 &&
	refused hostile/bomb "[{\"uri\":\"file://$ART/bomb.tar.gz\"}]" &&
	test_grep "refusing archive '\''bomb.tar.gz'\'': it holds more than 1048576 bytes, the limit set by --max-extract-bytes (local.max_extract_bytes)" "$(cat sandbox_dir)/stderr" &&
	test "$(in_sandbox)" = "bomb.tar.gz stderr stdout" &&
	test "$(http DELETE /v2/apps/hostile/bomb)" = 200
'

test_expect_success 'a truncated archive fails and leaves none of its files' '
	use_server openat2 &&
	refused hostile/cut "[{\"uri\":\"file://$ART/cut.tar.gz\"}]" &&
	test_grep "cannot read archive '\''cut.tar.gz'\''" "$(cat sandbox_dir)/stderr" &&
	test "$(in_sandbox)" = "cut.tar.gz stderr stdout" &&
	test "$(http DELETE /v2/apps/hostile/cut)" = 200
'

test_expect_success 'a good archive under the cap is extracted and runs (both servers)' '
	for server in openat2 walk; do
		use_server $server &&
		dep=$(deploy_app "{\"id\":\"/good\",\"cmd\":\"cat data/greeting.txt && exec sleep 1000\",
			\"cpus\":0.1,\"mem\":16,\"fetch\":[{\"uri\":\"file://$ART/good.tar.gz\"}]}") &&
		wait_deployed "$dep" &&
		task=$(app_get good "a[\"tasks\"][0][\"id\"]") &&
		dir=$(sandbox "$task") &&
		wait_for 10 "test -s \"$dir/stdout\"" &&
		test_grep "^extracted under the cap$" "$dir/stdout" &&
		test "$(http DELETE /v2/apps/good)" = 200 || exit 1
	done
'

test_expect_success 'local.max_extract_bytes of the user config: used by roger local up' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	echo "{\"local\": {\"max_extract_bytes\": \"2M\"}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_when_finished rm -f "$XDG_CONFIG_HOME/roger/config.json" &&
	test_when_finished "$ROGER" local --state-dir "$TRASH/up" down &&
	LOCAL_URL=$("$ROGER" local --port 0 --state-dir "$TRASH/up" up) &&
	LOCAL_TOKEN=$(cat "$TRASH/up/token") &&
	refused hostile/bomb "[{\"uri\":\"file://$ART/bomb.tar.gz\"}]" &&
	test_grep "it holds more than 2097152 bytes, the limit set by --max-extract-bytes" "$(cat sandbox_dir)/stderr"
'

test_expect_success 'bad caps are usage errors (exit 2), naming the option' '
	test_expect_code 2 "$ROGER" local --max-extract-bytes 4GB --state-dir "$TRASH/other" status 2>err &&
	test_grep "^roger: invalid --max-extract-bytes '\''4GB'\'': expected a size in bytes, or with K, M, G or T$" err &&
	test_expect_code 2 "$ROGER" local --max-extract-entries -5 --state-dir "$TRASH/other" status 2>err &&
	test_grep "^roger: invalid --max-extract-entries '\''-5'\'': expected a whole number$" err &&
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	echo "{\"local\": {\"max_extract_bytes\": \"lots\"}}" >"$XDG_CONFIG_HOME/roger/config.json" &&
	test_when_finished rm -f "$XDG_CONFIG_HOME/roger/config.json" &&
	test_expect_code 3 "$ROGER" local --state-dir "$TRASH/other" status 2>err &&
	test_grep "local.max_extract_bytes: invalid size '\''lots'\''" err
'

test_done
