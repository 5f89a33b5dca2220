#!/bin/sh
# Image apps and the local target: with no registry in the user config,
# roger pushes to roger local's own registry (the server's token as the
# Basic password) and roger local pulls from there; the base comes from
# Debian's docker-registry.  A dry run does not start roger local, and
# says what is missing when it does not run.  `roger run` runs a command
# in the image of the live release, or with --ref in the image of another
# commit, built and pushed first.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"
. "$TEST_SRCDIR/cli/lib-registry.sh"

if reason=$(registry_skip_reason); then
	test_skip 'image apps on the local target' "$reason"
	test_done
fi
if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1; then
	test_skip 'image apps on the local target' "no static /bin/busybox (busybox-static) to build the base from"
	test_done
fi
IMAGETOOL=$TEST_BUILDDIR/imagetool
if [ ! -x "$IMAGETOOL" ]; then
	test_skip 'image apps on the local target' "tests/imagetool is not built (make check builds it)"
	test_done
fi
registry_start || exit 1

cd "$TRASH" || exit 99
mkdir -p rootfs/bin
cp /bin/busybox rootfs/bin/busybox
for t in sh sleep; do
	ln -s busybox "rootfs/bin/$t"
done
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\",\n  \"image\": { \"base\": \"%s/base/busybox:1\", \"runtime\": \"MESOS\" },\n  \"marathon\": { \"cmd\": \"exec sleep 600\", \"cpus\": 0.1, \"mem\": 32 } }\n" "$REGISTRY_HOST" >roger.json
'

test_expect_success 'setup: the base image' '
	"$IMAGETOOL" --url "$REGISTRY_URL" base base/busybox:1 rootfs >base.json
'

test_expect_success 'roger local not running: a dry run says so, exit 4, starts nothing' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	printf "{\"local\": {\"port\": %d, \"state_dir\": \"%s\"}}\n" "$(test_free_port)" \
		"$TRASH/stopped" >"$XDG_CONFIG_HOME/roger/config.json" &&
	(cd app && test_expect_code 4 "$ROGER" -t local push -n) >out 2>err &&
	test_line_count 1 err &&
	test_grep "^roger: roger local is not running (state in .$TRASH/stopped.): start it with .roger local up. for its registry" err &&
	test ! -e "$TRASH/stopped/server.json"
'

local_start || exit 1
REG=$(json "$LOCAL_STATE/server.json" 'd["registry"]')

test_expect_success 'roger push: into roger local'\''s own registry' '
	local_config &&
	(cd app && "$ROGER" -t local push -o json) >push.json 2>push.err &&
	test "$(json push.json "d[\"already\"]")" = false &&
	tag=$(json push.json "d[\"tag\"]") &&
	test "$(json push.json "d[\"tagged\"]")" = "$REG/web/hello:$tag" &&
	test "$(curl -s -o manifest.json -w "%{http_code}" -u "any:$LOCAL_TOKEN" \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"http://$REG/v2/web/hello/manifests/$tag")" = 200 &&
	test "$(json manifest.json "d[\"config\"][\"digest\"]")" != "" &&
	(cd app && "$ROGER" -t local push -o json) >push2.json &&
	test "$(json push2.json "d[\"already\"]")" = true
'

if reason=$(containers_skip_reason); then
	test_skip 'image apps deployed to roger local and run' "$reason"
	test_done
fi

test_expect_success 'roger deploy: the app runs the image roger local pulled from its registry' '
	(cd app && "$ROGER" -t local deploy --settle 1 -o json) >deploy.json 2>deploy.err &&
	test "$(json deploy.json "d[\"status\"]")" = succeeded &&
	tag=$(json push.json "d[\"tag\"]") &&
	test "$(app_get web/hello "a[\"container\"][\"type\"]")" = MESOS &&
	test "$(app_get web/hello "a[\"container\"][\"docker\"][\"image\"]")" = "$REG/web/hello:$tag" &&
	test "$(app_get web/hello "a[\"labels\"][\"ROGER_IMAGE\"]")" = "$REG/web/hello:$tag" &&
	wait_for 60 "test \"\$(running web/hello)\" = 1" &&
	(cd app && "$ROGER" -t local status) >status.out &&
	test_grep "$REG/web/hello:$tag" status.out
'

test_expect_success 'roger run: the command runs in the app'\''s image' '
	(cd app && test_expect_code 3 "$ROGER" -t local run -- "test -x /bin/busybox && test ! -e /usr/bin/env && echo in-the-image; exit 3") >run.out 2>run.err &&
	test "$(cat run.out)" = in-the-image
'

test_expect_success 'roger run --ref: the image of that commit, built and pushed, the app untouched' '
	version=$(app_get web/hello "a[\"version\"]") &&
	live=$(app_get web/hello "a[\"container\"][\"docker\"][\"image\"]") &&
	(cd app && echo from-the-ref >marker.txt && git add marker.txt &&
	 git commit -qm marker) &&
	(cd app && "$ROGER" -t local run --ref HEAD -- "cat marker.txt") >ref.out 2>ref.err &&
	test "$(cat ref.out)" = from-the-ref &&
	pushed=$(sed -n "s/^roger: pushed image .\(.*\).$/\1/p" ref.err) &&
	case "$pushed" in "$REG/web/hello:"*) ;; *) echo "no push: $pushed"; false;; esac &&
	test "$pushed" != "$live" &&
	test "$(app_get web/hello "a[\"version\"]")" = "$version" &&
	(cd app && "$ROGER" -t local run -- "test ! -e marker.txt && echo not-in-the-live-image") >live.out 2>live.err &&
	test "$(cat live.out)" = not-in-the-live-image
'

test_expect_success 'roger deploy: the DOCKER runtime (the default) runs the image pulled by digest' '
	(cd app && sed "s/, \"runtime\": \"MESOS\"//" roger.json >r.tmp && mv r.tmp roger.json &&
	 git commit -qam "docker runtime") &&
	(cd app && "$ROGER" -t local deploy --settle 1 -o json) >deploy2.json 2>deploy2.err &&
	test "$(json deploy2.json "d[\"status\"]")" = succeeded &&
	test "$(app_get web/hello "a[\"container\"][\"type\"]")" = DOCKER &&
	image=$(app_get web/hello "a[\"container\"][\"docker\"][\"image\"]") &&
	case "$image" in "$REG/web/hello@sha256:"*) ;; *) echo "not by digest: $image"; false;; esac &&
	wait_for 60 "test \"\$(running web/hello)\" = 1"
'

test_expect_success 'roger run: in the DOCKER runtime'\''s image too' '
	(cd app && "$ROGER" -t local run -- "test ! -e /usr/bin/env && echo in-the-docker-image") >run2.out 2>run2.err &&
	test "$(cat run2.out)" = in-the-docker-image
'

test_done
