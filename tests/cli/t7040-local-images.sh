#!/bin/sh
# Image apps on roger local, against Debian's docker-registry: images
# assembled from busybox-static by tests/ociimage.py (two layers, the
# second with a whiteout and an opaque directory), pulled, unpacked once
# and run as the Mesos containerizer runs them: the image's files and not
# the host's, /mnt/mesos/sandbox, Entrypoint/Cmd against cmd/args, the
# image Env under the app's, roger exec joining a task's container (its
# root, PID namespace, user, environment, sandbox), a pull whose blob does
# not match its digest, a private registry with and without credentials,
# a server killed with SIGKILL while image tasks run (no process, no mount
# left; recovered), prune.  t7043 runs this script again as an
# unprivileged user.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"
. "$TEST_SRCDIR/cli/lib-registry.sh"

if reason=$(registry_skip_reason); then
	test_skip 'image apps on roger local' "$reason"
	test_done
fi
if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1; then
	test_skip 'image apps on roger local' "no static /bin/busybox (busybox-static) to build images from"
	test_done
fi
if reason=$(containers_skip_reason); then
	test_skip 'image apps on roger local' "$reason"
	test_done
fi
registry_start || exit 1
REGISTRY_NAME=private
registry_start --auth basic || exit 1
PRIVATE_URL=$REGISTRY_URL
PRIVATE_HOST=$REGISTRY_HOST
PRIVATE_DIR=$REGISTRY_DIR
REGISTRY_NAME=registry
REGISTRY_DIR=$TRASH/registry
REGISTRY_URL=$(json "$REGISTRY_DIR/ready.json" 'd["url"]')
REGISTRY_HOST=$(json "$REGISTRY_DIR/ready.json" 'd["host"]')

# The server's --registry-auth file: Docker's config.json, empty at first.
echo '{"auths": {}}' >"$TRASH/docker-config.json"
local_start --cpus 8 --mem 8192 --registry-auth "$TRASH/docker-config.json" || exit 1

ociimage() {
	"${PYTHON:-python3}" "$TEST_SRCDIR/ociimage.py" "$@"
}

# task_of APP: the id of the app's first task.
task_of() {
	app_get "$1" 'a["tasks"][0]["id"]'
}

# failure_of APP: the message of the app's last task failure.
failure_of() {
	lcurl -s "$LOCAL_URL/v2/apps/$1?embed=apps.lastTaskFailure" >"$TRASH/.failure" &&
		json "$TRASH/.failure" 'd["app"].get("lastTaskFailure", {}).get("message", "")'
}

# serves_image APP: /img/APP's task answers with the image's page within
# 10 s.  A task is running once its process started, which can be a
# moment before busybox httpd listens (on a loaded machine, more than one).
serves_image_now() {
	port=$(app_get "img/$1" 'a["tasks"][0]["ports"][0]') &&
		test "$(curl -sS "http://127.0.0.1:$port/index.html")" = "hello from the image"
}
serves_image() {
	wait_for 10 "serves_image_now $1"
}

# remove_app APP: delete it and wait until its tasks are gone.
remove_app() {
	http DELETE "/v2/apps/$1" >/dev/null
	wait_idle 60
}

cd "$TRASH" || exit 99
mkdir -p base/bin base/etc base/opaque base/root app/etc app/opaque app/srv
cp /bin/busybox base/bin/busybox
for t in sh cat ls id env pwd sleep test httpd echo wc; do
	ln -s busybox "base/bin/$t"
done
printf 'NAME="roger test base"\nID=rogertest\n' >base/etc/os-release
echo base >base/etc/release
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/srv:/bin/sh\n' >base/etc/passwd
printf 'root:x:0:\napp:x:1000:\n' >base/etc/group
echo a >base/opaque/a
echo b >base/opaque/b
: >app/etc/.wh.release
: >app/opaque/.wh..wh..opq
echo c >app/opaque/c
echo "hello from the image" >app/srv/index.html

test_expect_success 'setup: images pushed to the registry' '
	ociimage --url "$REGISTRY_URL" --layer base --layer app \
		--entrypoint "[\"/bin/busybox\"]" --cmd "[\"sh\",\"-c\",\"echo from-cmd\"]" \
		--env GREETING=from-image --env PATH=/bin --env KEEP=image \
		--workdir /srv test/app:1 >app1.json &&
	ociimage --url "$REGISTRY_URL" --layer base --cmd "[\"/bin/busybox\",\"echo\",\"dropped\"]" \
		--env PATH=/bin test/cmdonly:1 >cmdonly.json &&
	ociimage --url "$REGISTRY_URL" --layer base --env PATH=/bin test/noexec:1 >noexec.json &&
	ociimage --url "$REGISTRY_URL" --layer base --layer app --oci --list \
		--env PATH=/bin test/index:1 >index.json &&
	test "$(json app1.json "len(d[\"layers\"])")" = 2
'

APP1=$REGISTRY_HOST/test/app:1

test_expect_success 'an image app deployed by roger deploy serves HTTP on $PORT0 from the image' '
	local_config &&
	test_create_repo web "
		printf \"{\\\"version\\\": 1, \\\"app\\\": \\\"web\\\", \\\"group\\\": \\\"/img\\\", \\\"marathon\\\": {\\\"cmd\\\": \\\"exec httpd -f -p \\\$PORT0 -h /srv\\\", \\\"cpus\\\": 0.1, \\\"mem\\\": 32, \\\"container\\\": {\\\"type\\\": \\\"DOCKER\\\", \\\"docker\\\": {\\\"image\\\": \\\"$APP1\\\"}}}}\\n\" >roger.json
	" &&
	(cd web && "$ROGER" deploy --settle 1 >../out 2>../err) &&
	test "$(running img/web)" = 1 &&
	serves_image web &&
	test "$(app_get img/web "a[\"container\"][\"docker\"][\"image\"]")" = "$APP1"
'

# probe APP JSON-EXTRA CMD: an app running CMD in test/app:1 that writes
# what it sees into its sandbox, then sleeps.
probe() {
	deploy_app "{\"id\":\"/img/$1\",\"cpus\":0.1,\"mem\":32,$2\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$APP1\"}}}" >dep &&
	wait_deployed "$(cat dep)" 60 &&
	test "$(running "img/$1")" = 1
}

test_expect_success 'the task sees the image'\''s files, not the host'\''s, with the layers applied' '
	probe facts "\"env\":{\"GREETING\":\"from-app\"},\"cmd\":\"cat /etc/os-release >\$MESOS_SANDBOX/os; ls /opaque >\$MESOS_SANDBOX/opaque; test -e /etc/release || echo gone >\$MESOS_SANDBOX/release; pwd >\$MESOS_SANDBOX/pwd; env >\$MESOS_SANDBOX/env; id -u >\$MESOS_SANDBOX/uid; ls /mnt/mesos/sandbox >\$MESOS_SANDBOX/listing; exec sleep 600\"," &&
	dir=$(sandbox "$(task_of img/facts)") &&
	wait_for 10 "test -s \"$dir/listing\"" &&
	grep -q "roger test base" "$dir/os" &&
	! cmp -s "$dir/os" /etc/os-release &&
	test "$(cat "$dir/opaque")" = c &&
	test "$(cat "$dir/release")" = gone &&
	test "$(cat "$dir/pwd")" = /srv &&
	grep -qx "MESOS_SANDBOX=/mnt/mesos/sandbox" "$dir/env" &&
	grep -qx "MESOS_DIRECTORY=$dir" "$dir/env" &&
	grep -q "^stdout$" "$dir/listing" &&
	test "$(cat "$dir/uid")" = 0
'

test_expect_success 'the image Env under the app'\''s env and Marathon'\''s variables' '
	dir=$(sandbox "$(task_of img/facts)") &&
	grep -qx "GREETING=from-app" "$dir/env" &&
	grep -qx "KEEP=image" "$dir/env" &&
	grep -qx "PATH=/bin" "$dir/env" &&
	grep -q "^PORT0=[0-9]" "$dir/env" &&
	grep -qx "MARATHON_APP_ID=/img/facts" "$dir/env" &&
	! grep -q "^HOME=$HOME" "$dir/env"
'

test_expect_success 'roger exec joins the container: its files, PID namespace, user, environment, sandbox' '
	"$ROGER" exec --app /img/facts -- sh -c "grep -c \"roger test base\" /etc/os-release; pwd; echo \$GREETING \$KEEP \$MESOS_SANDBOX; id -u; test \$\$ -lt 100 && echo small-pid" >out 2>err &&
	printf "1\n/mnt/mesos/sandbox\nfrom-app image /mnt/mesos/sandbox\n0\n" >expect &&
	head -n 4 out >head &&
	test_cmp expect head &&
	test "$(sed -n 5p out)" = small-pid &&
	test_line_count 0 err &&
	dir=$(sandbox "$(task_of img/facts)") &&
	"$ROGER" exec --app /img/facts -- sh -c ": >made-by-exec" &&
	test -f "$dir/made-by-exec" &&
	echo "through stdin" | "$ROGER" exec -i --app /img/facts -- cat >out &&
	test "$(cat out)" = "through stdin" &&
	test_expect_code 5 "$ROGER" exec --app /img/facts -- sh -c "exit 5" &&
	test_expect_code 127 "$ROGER" exec --app /img/facts -- no-such-program 2>err &&
	test_grep "cannot run .no-such-program.: No such file or directory" err
'

test_expect_success 'a COMMAND health check runs in the container, as Mesos runs it' '
	probe hc "\"cmd\":\"exec sleep 600\",\"env\":{\"GREETING\":\"from-app\"},\"healthChecks\":[{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"grep -q \\\"roger test base\\\" /etc/os-release && test \\\"\$GREETING \$KEEP\\\" = \\\"from-app image\\\" && test \$(pwd) = /mnt/mesos/sandbox\"},\"gracePeriodSeconds\":60,\"intervalSeconds\":1,\"timeoutSeconds\":10,\"maxConsecutiveFailures\":3}]," &&
	wait_for 30 "test \"\$(app_get img/hc \"a[\\\"tasksHealthy\\\"]\")\" = 1" &&
	test "$(app_get img/hc "a[\"tasksUnhealthy\"]")" = 0 &&
	remove_app img/hc
'

test_expect_success 'args go to the image Entrypoint' '
	probe entry "\"args\":[\"sh\",\"-c\",\"echo \$0 ran >\$MESOS_SANDBOX/args; exec sleep 600\"]," &&
	dir=$(sandbox "$(task_of img/entry)") &&
	wait_for 10 "test -s \"$dir/args\"" &&
	test "$(cat "$dir/args")" = "sh ran" &&
	grep -q "^/bin/busybox\$" "$dir/stdout"
'

test_expect_success 'without an Entrypoint, args follow Cmd[0] and replace the rest (the UCR rule)' '
	deploy_app "{\"id\":\"/img/cmdonly\",\"cpus\":0.1,\"mem\":32,\"args\":[\"sh\",\"-c\",\"echo \$0 ran >\$MESOS_SANDBOX/args; exec sleep 600\"],\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$REGISTRY_HOST/test/cmdonly:1\"}}}" >dep &&
	wait_deployed "$(cat dep)" 60 &&
	dir=$(sandbox "$(task_of img/cmdonly)") &&
	wait_for 10 "test -s \"$dir/args\"" &&
	test "$(cat "$dir/args")" = "sh ran" &&
	remove_app img/cmdonly
'

test_expect_success 'an image with nothing to run: TASK_FAILED, No executable is found' '
	deploy_app "{\"id\":\"/img/noexec\",\"cpus\":0.1,\"mem\":32,\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$REGISTRY_HOST/test/noexec:1\"}}}" >dep &&
	wait_for 30 "test -n \"\$(failure_of img/noexec)\"" &&
	test "$(failure_of img/noexec)" = "Failed to launch container: Failed to determine the launch command: No executable is found" &&
	remove_app img/noexec
'

test_expect_success 'an OCI index resolves to the image of this platform' '
	deploy_app "{\"id\":\"/img/index\",\"cpus\":0.1,\"mem\":32,\"cmd\":\"ls /opaque >\$MESOS_SANDBOX/opaque; exec sleep 600\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$REGISTRY_HOST/test/index:1\"}}}" >dep &&
	wait_deployed "$(cat dep)" 60 &&
	dir=$(sandbox "$(task_of img/index)") &&
	wait_for 10 "test -s \"$dir/opaque\"" &&
	test "$(cat "$dir/opaque")" = c &&
	remove_app img/index
'

test_expect_success 'a layer whose bytes do not match its digest: TASK_FAILED, nothing kept' '
	mkdir -p corrupt/etc && echo "only in this image" >corrupt/etc/unique &&
	ociimage --url "$REGISTRY_URL" --layer corrupt --cmd "[\"x\"]" test/corrupt:1 >corrupt.json &&
	layer=$(json corrupt.json "d[\"layers\"][0]") &&
	hex=${layer#sha256:} &&
	data=$REGISTRY_DIR/data/docker/registry/v2/blobs/sha256/$(echo "$hex" | cut -c1-2)/$hex/data &&
	test -f "$data" &&
	printf "not the layer" >"$data" &&
	deploy_app "{\"id\":\"/img/corrupt\",\"cpus\":0.1,\"mem\":32,\"cmd\":\"true\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$REGISTRY_HOST/test/corrupt:1\"}}}" >dep &&
	wait_for 30 "test -n \"\$(failure_of img/corrupt)\"" &&
	failure_of img/corrupt >msg &&
	test_grep "^Failed to launch container: cannot pull image .$REGISTRY_HOST/test/corrupt:1.: " msg &&
	test_grep "$layer" msg &&
	test ! -e "$LOCAL_STATE/images/blobs/sha256/$hex" &&
	test -z "$(ls "$LOCAL_STATE/images/tmp")" &&
	remove_app img/corrupt
'

PRIVATE=$PRIVATE_HOST/test/private:1

test_expect_success 'a private registry without credentials: TASK_FAILED, unauthorized' '
	ociimage --url "$PRIVATE_URL" --user roger --password s3cret --layer base \
		--env PATH=/bin test/private:1 >private.json &&
	deploy_app "{\"id\":\"/img/private\",\"cpus\":0.1,\"mem\":32,\"cmd\":\"exec sleep 600\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$PRIVATE\"}}}" >dep &&
	wait_for 30 "test -n \"\$(failure_of img/private)\"" &&
	failure_of img/private >msg &&
	test_grep "^Failed to launch container: cannot pull image .$PRIVATE.: " msg &&
	test_grep -i "authentication" msg &&
	test "$(running img/private)" = 0
'

test_expect_success 'the same registry with the credentials of --registry-auth: it runs' '
	auth=$(printf roger:s3cret | base64) &&
	printf "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n" "$PRIVATE_HOST" "$auth" \
		>"$TRASH/docker-config.json" &&
	wait_for 60 "test \"\$(running img/private)\" = 1" &&
	test_grep ! s3cret "$TRASH/local-serve.log" &&
	remove_app img/private
'

test_expect_success 'apps that roger local cannot run as asked are refused with 422' '
	for extra in "\"privileged\":true" "\"parameters\":[{\"key\":\"cap-add\",\"value\":\"ALL\"}]" "\"network\":\"BRIDGE\""; do
		test "$(http POST /v2/apps "{\"id\":\"/img/refused\",\"cmd\":\"true\",\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"$APP1\",$extra}}}")" = 422 ||
		{ echo "accepted: $extra" >&2; exit 1; }
	done &&
	test "$(http POST /v2/apps "{\"id\":\"/img/refused\",\"cmd\":\"true\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$APP1\"},\"volumes\":[{\"containerPath\":\"/data\",\"hostPath\":\"/etc\",\"mode\":\"RW\"}]}}")" = 422 &&
	test_grep "no volumes besides the sandbox" body &&
	test "$(http GET /v2/apps/img/refused)" = 404
'

# Processes whose environment names a sandbox of this server, and mounts
# (in any mount namespace) of its state directory.
leftovers() {
	for p in /proc/[0-9]*; do
		if { tr "\0" "\n" <"$p/environ"; } 2>/dev/null | grep -q "^MESOS_DIRECTORY=$LOCAL_STATE/"; then
			echo "process ${p#/proc/}"
		fi
		if { cat "$p/mountinfo"; } 2>/dev/null | grep -q "$LOCAL_STATE"; then
			echo "mounts of ${p#/proc/}"
		fi
	done
}

test_expect_success 'SIGKILL of the server while image tasks run: no process or mount left, then recovered' '
	test "$(running img/facts)" = 1 &&
	test "$(running img/web)" = 1 &&
	test -n "$(leftovers)" &&
	old=$(ls "$LOCAL_STATE/agent/provisioner/containers") &&
	test -n "$old" &&
	local_kill9 &&
	wait_for 30 "test -z \"\$(leftovers)\"" &&
	local_start --cpus 8 --mem 8192 --registry-auth "$TRASH/docker-config.json" --port "$LOCAL_PORT" &&
	wait_for 60 "test \"\$(running img/web)\" = 1 && test \"\$(running img/facts)\" = 1" &&
	for c in $old; do
		test ! -e "$LOCAL_STATE/agent/provisioner/containers/$c" || exit 1
	done &&
	serves_image web
'

test_expect_success 'prune keeps what apps name, removes the rest' '
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >prune1.json &&
	test "$(json prune1.json "d[\"images\"]")" -ge 2 &&
	test -d "$LOCAL_STATE/images/rootfs/$(json app1.json "d[\"digest\"]" | cut -d: -f2)" &&
	remove_app img/facts &&
	remove_app img/entry &&
	remove_app img/web &&
	"$ROGER" local --state-dir "$LOCAL_STATE" prune -o json >prune2.json &&
	test "$(json prune2.json "d[\"images\"]")" = 1 &&
	test ! -e "$LOCAL_STATE/images/rootfs/$(json app1.json "d[\"digest\"]" | cut -d: -f2)" &&
	test -z "$(ls "$LOCAL_STATE/images/blobs/sha256")" &&
	test -z "$(ls "$LOCAL_STATE/agent/provisioner/containers")"
'

test_expect_success 'where overlayfs cannot be used, a copy of the image: the same view, the image untouched' '
	mkdir -p "$TRASH/copy"
	ROGER_NO_OVERLAY=1 "$ROGER" local serve --port 0 --registry-port 0 \
		--state-dir "$TRASH/copy" >>"$TRASH/copy.log" 2>&1 &
	pid=$! &&
	test_when_finished kill $pid &&
	wait_for 10 "test -s \"$TRASH/copy/server.json\"" &&
	url=$(json "$TRASH/copy/server.json" "d[\"url\"]") &&
	tok=$(cat "$TRASH/copy/token") &&
	test "$(curl -s -o body -w "%{http_code}" -H "Authorization: token=$tok" \
		-H "Content-Type: application/json" -X POST "$url/v2/apps" \
		--data-binary "{\"id\":\"/img/copy\",\"cpus\":0.1,\"mem\":32,\"cmd\":\"ls /opaque >\$MESOS_SANDBOX/opaque; rm /etc/os-release; echo changed >/srv/index.html; exec sleep 600\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$APP1\"}}}")" = 201 &&
	wait_for 60 "ls \"$TRASH\"/copy/agent/slaves/*/frameworks/*/executors/img_copy*/runs/latest/opaque" &&
	dir=$(ls -d "$TRASH"/copy/agent/slaves/*/frameworks/*/executors/img_copy*/runs/latest) &&
	wait_for 10 "test -s \"$dir/opaque\"" &&
	test "$(cat "$dir/opaque")" = c &&
	ls "$TRASH/copy/agent/provisioner/containers/"*/rootfs/etc >/dev/null &&
	test ! -e "$TRASH/copy/agent/provisioner/containers/"*/upper &&
	root=$(ls -d "$TRASH"/copy/images/rootfs/* | grep -v "\.lock$") &&
	test -e "$root/etc/os-release" &&
	test "$(cat "$root/srv/index.html")" = "hello from the image"
'

# image_app_refused STATE_DIR NAME REASON: the server of STATE_DIR answers
# an image app /img/NAME with 422 at /container saying REASON, keeps no such
# app, and its command never ran.
image_app_refused() {
	url=$(json "$1/server.json" "d[\"url\"]") &&
	tok=$(cat "$1/token") &&
	code=$(curl -s -o body -w "%{http_code}" -H "Authorization: token=$tok" \
		-H "Content-Type: application/json" -X POST "$url/v2/apps" \
		--data-binary "{\"id\":\"/img/$2\",\"cmd\":\"touch $TRASH/ran-$2\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"$APP1\"}}}") &&
	test "$code" = 422 &&
	test "$(json body "d[\"details\"][0][\"path\"]")" = /container &&
	test_grep "$3" body &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token=$tok" "$url/v2/apps/img/$2")" = 404 &&
	test ! -e "$TRASH/ran-$2"
}

test_expect_success 'where no container can be made, image apps are refused with 422, never run on the host' '
	mkdir -p "$TRASH/nocont"
	ROGER_NO_CONTAINERS=1 "$ROGER" local serve --port 0 --registry-port 0 \
		--state-dir "$TRASH/nocont" >>"$TRASH/nocont.log" 2>&1 &
	pid=$! &&
	test_when_finished kill $pid &&
	wait_for 10 "test -s \"$TRASH/nocont/server.json\"" &&
	image_app_refused "$TRASH/nocont" host "containers are turned off here"
'

# A chroot whose / is no mount point, built in a mount namespace of its own
# (so the host never sees its mounts): every top-level directory of the host
# bind-mounted at the same path under an ordinary directory.
if [ "$(id -u)" != 0 ]; then
	test_skip 'in a chroot, image apps are refused with 422' 'building a chroot needs root'
elif ! command -v chroot >/dev/null 2>&1; then
	test_skip 'in a chroot, image apps are refused with 422' 'chroot(8) is not installed'
else
test_expect_success 'in a chroot, where / is no mount point, image apps are refused with 422 saying why, never run on the host' '
	mkdir -p "$TRASH/chr/root" "$TRASH/chr/state" &&
	cat >"$TRASH/chr/enter.sh" <<-\EOF &&
	set -e
	root=$1
	shift
	for x in /*; do
		n=${x#/}
		if [ -L "$x" ]; then
			cp -P "$x" "$root/$n"
		elif [ -d "$x" ]; then
			mkdir -p "$root/$n"
			mount --rbind "$x" "$root/$n"
		fi
	done
	exec chroot "$root" "$@"
	EOF
	unshare -m --propagation private --fork --kill-child=TERM \
		sh "$TRASH/chr/enter.sh" "$TRASH/chr/root" \
		"$ROGER" local serve --port 0 --registry-port 0 \
		--state-dir "$TRASH/chr/state" >>"$TRASH/chr.log" 2>&1 &
	pid=$! &&
	test_when_finished kill $pid &&
	wait_for 20 "test -s \"$TRASH/chr/state/server.json\"" &&
	spid=$(json "$TRASH/chr/state/server.json" "d[\"pid\"]") &&
	test_when_finished kill $spid &&
	image_app_refused "$TRASH/chr/state" chroot \
		"the root directory is not a mount point (a chroot?)" &&
	test -z "$(ls "$TRASH/chr/root/usr")"
'
fi

test_done
