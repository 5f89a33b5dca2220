#!/bin/sh
# roger deploy of image apps against scripted Marathons (tests/faultd.py)
# and Debian's docker-registry: the rendered container in the shape of
# the Marathon's version (its /v2/info: 1.4 puts the network inside
# docker, 1.5 and later have top-level networks), checked against the
# contract's examples (tests/fixtures/marathon-app-container-*.json);
# pinned by digest for the Docker containerizer, by the never-reused tag
# for the Mesos one; a deploy that pushes the image and PUTs the app; an
# app whose container names an image built elsewhere, deployed as it is
# with nothing built or pushed; and status and history showing the image.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"
. "$TEST_SRCDIR/cli/lib-registry.sh"

if reason=$(registry_skip_reason); then
	test_skip 'image deploys' "$reason"
	test_done
fi
IMAGETOOL=$TEST_BUILDDIR/imagetool
if [ ! -x "$IMAGETOOL" ]; then
	test_skip 'image deploys' "tests/imagetool is not built (make check builds it)"
	test_done
fi
registry_start || exit 1

DEP=7d0ab6c3-5f0e-4c51-9d3e-3c2f4a1b9e10
V2=2024-05-01T11:00:00.000Z

# marathon VERSION [LIVE-IMAGE]: a faultd script of a Marathon of VERSION
# where /web/hello does not exist, then runs once PUT (with LIVE-IMAGE as
# its ROGER_IMAGE label, for status).
marathon() {
	"${PYTHON:-python3}" - "$1" "$DEP" "$V2" "${2:-}" <<'PY'
import json, sys
version, dep, v2, image = sys.argv[1:5]
task = {"id": "web_hello.instance-00000001-68a7-11e7-a229-e6a514ca0c21._app.1",
        "appId": "/web/hello", "host": "127.0.0.1", "slaveId": "S0",
        "state": "TASK_RUNNING", "version": v2, "startedAt": v2,
        "stagedAt": v2, "ports": [31001]}
labels = {"ROGER_APP": "/web/hello", "ROGER_ENV": "",
          "ROGER_COMMIT": "0123456789abcdef0123456789abcdef01234567",
          "ROGER_IMAGE": image,
          "ROGER_IMAGE_BASE": "base/busybox:1@sha256:" + "e" * 64}
app = {"id": "/web/hello", "version": v2,
       "versionInfo": {"lastConfigChangeAt": v2, "lastScalingAt": v2},
       "instances": 1, "tasks": [task], "tasksRunning": 1,
       "container": {"type": "DOCKER", "docker": {"image": image}},
       "labels": labels}
rules = [
    {"match": "GET /v2/info", "times": 0, "json": {"name": "marathon", "version": version}},
    {"match": "GET /v2/apps/web/hello/versions", "times": 0, "json": {"versions": [v2]}},
    {"match": "GET /v2/apps/web/hello/versions/*", "times": 0, "json": app},
] + ([] if image else [
    {"match": "GET /v2/apps/web/hello*", "times": 1, "status": 404,
     "json": {"message": "App '/web/hello' does not exist"}}]) + [
    {"match": "PUT /v2/apps/web/hello*", "times": 0, "status": 201,
     "json": {"deploymentId": dep, "version": v2},
     "headers": {"Marathon-Deployment-Id": dep}},
    {"match": "GET /v2/deployments", "times": 0, "json": []},
    {"match": "GET /v2/apps/web/hello*", "times": 0, "json": {"app": app}},
    {"match": "GET /v2/queue", "times": 0, "json": {"queue": []}},
    {"match": "GET /v2/events*", "times": 0,
     "sse": [{"event": "event_stream_attached", "data": {"eventType": "event_stream_attached"}}],
     "sse_end": "hang"},
]
print(json.dumps({"responses": rules}))
PY
}

faultd_start m14 "$(marathon 1.4.13)" || exit 1
faultd_start m110 "$(marathon 1.10.26)" || exit 1
faultd_start mdeploy "$(marathon 1.10.26)" || exit 1
faultd_start mlive "$(marathon 1.7.202 "$REGISTRY_HOST/web/hello@sha256:$(printf '%064d' 7)")" || exit 1

# json FILE EXPR: a value of a JSON document (EXPR in Python, on `d`).
json() {
	"${PYTHON:-python3}" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# on SERVER ARGS...: roger ARGS in ./app against the Marathon of SERVER.
on() {
	eval "url=\$${1}_URL"
	shift
	(cd "$TRASH/app" && ROGER_MARATHON_URL=$url ROGER_REGISTRY_URL=$REGISTRY_URL \
		"$ROGER" "$@")
}

# rendered OUT: the app of the PUT a dry run printed (its last line).
rendered() {
	tail -n 1 "$1" >"$1.app" && json "$1.app" "1" >/dev/null
}

cd "$TRASH" || exit 99
mkdir -p rootfs/bin
cp /bin/sh rootfs/bin/sh
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\",\n  \"image\": { \"base\": \"%s/base/busybox:1\" },\n  \"marathon\": { \"cmd\": \"./server --port \$PORT0\", \"cpus\": 0.25, \"mem\": 128,\n    \"portDefinitions\": [{ \"port\": 0, \"name\": \"http\" }] },\n  \"environments\": { \"ucr\": { \"marathon\": {} } } }\n" "$REGISTRY_HOST" >roger.json &&
	printf "#!/bin/sh\n" >server && chmod +x server
'

test_expect_success 'setup: the base image' '
	"$IMAGETOOL" --url "$REGISTRY_URL" base base/busybox:1 rootfs >base.json
'

test_expect_success 'Marathon 1.10: the 1.5 shape, pinned by digest, as the contract writes it' '
	on m110 deploy -n >out 2>err &&
	rendered out &&
	"${PYTHON:-python3}" - out.app "$TEST_SRCDIR/fixtures/marathon-app-container-docker-1.5.json" "$REGISTRY_HOST" <<-\EOF &&
	import json, sys
	app, example, host = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
	c, e = app["container"], example["container"]
	# the example with host networking instead of its bridge, as roger deploys
	assert c["type"] == e["type"] == "DOCKER", c
	assert set(c) == set(e) - {"portMappings"}, (c, e)
	assert set(c["docker"]) <= set(e["docker"]), c
	assert c["docker"]["image"].startswith(host + "/web/hello@sha256:"), c
	assert app["networks"] == [{"mode": "host"}], app
	assert "network" not in c["docker"] and "fetch" not in app, app
	assert app["portDefinitions"] == [{"port": 0, "name": "http"}], app
	assert app["labels"]["ROGER_IMAGE"] == c["docker"]["image"], app
	assert app["labels"]["ROGER_IMAGE_BASE"].startswith(host + "/base/busybox:1@sha256:"), app
	assert "ROGER_ARTIFACT_SHA256" not in app["labels"], app
	EOF
	test "$(faultd_count m110 GET /v2/info)" = 1 &&
	test "$(faultd_count m110 PUT /)" = 0 &&
	test "$(registry_count PUT /v2/web/hello/)" = 0
'

test_expect_success 'Marathon 1.4: the network inside docker, no networks' '
	on m14 deploy -n >out 2>err &&
	rendered out &&
	"${PYTHON:-python3}" - out.app "$TEST_SRCDIR/fixtures/marathon-app-container-docker-1.4.json" <<-\EOF
	import json, sys
	app, example = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	c, e = app["container"], example["container"]
	assert c["type"] == "DOCKER" and c["docker"]["network"] == "HOST", c
	assert set(c["docker"]) <= set(e["docker"]), (c, e)
	assert "networks" not in app and "portMappings" not in c, app
	assert app["portDefinitions"] == [{"port": 0, "name": "http"}], app
	EOF
'

test_expect_success 'the Mesos containerizer: pinned by the tag, in either shape' '
	sed -i "s/\"base\": \"\([^\"]*\)\" }/\"base\": \"\1\", \"runtime\": \"MESOS\" }/" app/roger.json &&
	git -C app commit -qam mesos &&
	on m110 deploy -n >out 2>err &&
	rendered out &&
	"${PYTHON:-python3}" - out.app "$TEST_SRCDIR/fixtures/marathon-app-container-mesos-1.5.json" "$REGISTRY_HOST" <<-\EOF &&
	import json, re, sys
	app, example, host = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
	c, e = app["container"], example["container"]
	assert set(c) == set(e) and set(c["docker"]) == set(e["docker"]), (c, e)
	assert c["type"] == "MESOS", c
	assert re.fullmatch(re.escape(host) + r"/web/hello:[0-9a-f]{12}-[0-9a-f]{12}", c["docker"]["image"]), c
	assert app["networks"] == [{"mode": "host"}], app
	EOF
	on m14 deploy -n >out 2>err &&
	rendered out &&
	json out.app "d[\"container\"]" | grep "MESOS" &&
	test "$(json out.app "\"network\" in d[\"container\"][\"docker\"] or \"networks\" in d")" = False
'

test_expect_success 'a deploy: the image pushed, then the app PUT with it' '
	registry_log_mark &&
	on mdeploy deploy --settle 0 -o json >out 2>err &&
	test "$(json out "d[\"status\"]")" = succeeded &&
	test "$(json out "d[\"image\"][\"pushed\"]")" = True &&
	tag=$(json out "d[\"image\"][\"tag\"]") &&
	test "$(registry_count PUT "/v2/web/hello/manifests/$tag")" = 1 &&
	"${PYTHON:-python3}" - "$mdeploy_LOG" "$(json out "d[\"image\"][\"tagged\"]")" <<-\EOF &&
	import json, sys
	puts = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["method"] == "PUT"]
	assert len(puts) == 1, puts
	app = json.loads(puts[0]["body"])
	assert app["container"] == {"type": "MESOS", "docker": {"image": sys.argv[2]}}, app
	assert app["labels"]["ROGER_IMAGE"] == sys.argv[2], app
	EOF
	curl -sSf -o /dev/null -H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"$REGISTRY_URL/v2/web/hello/manifests/$tag"
'

test_expect_success 'a target without a registry: deploy is exit 3 before anything is built' '
	(cd app && ROGER_MARATHON_URL=$m110_URL test_expect_code 3 "$ROGER" deploy -n) >out 2>err &&
	test_line_count 1 err &&
	grep "has no registry" err &&
	test "$(faultd_count m110 PUT /)" = 0
'

test_expect_success 'an image built elsewhere: deployed as it is, nothing built or pushed' '
	test_create_repo ext "printf \"{ \\\"version\\\": 1, \\\"app\\\": \\\"hello\\\", \\\"group\\\": \\\"/web\\\", \\\"marathon\\\": { \\\"container\\\": { \\\"type\\\": \\\"MESOS\\\", \\\"docker\\\": { \\\"image\\\": \\\"nginx:{{ tag }}\\\" } }, \\\"cpus\\\": 0.1 } }\n\" >roger.json" &&
	registry_log_mark &&
	(cd ext && ROGER_MARATHON_URL=$m110_URL "$ROGER" deploy -n --var tag=1.25) >out 2>err &&
	rendered out &&
	test "$(json out.app "d[\"container\"]")" = "{'"'"'type'"'"': '"'"'MESOS'"'"', '"'"'docker'"'"': {'"'"'image'"'"': '"'"'nginx:1.25'"'"'}}" &&
	test "$(json out.app "d[\"labels\"][\"ROGER_IMAGE\"]")" = nginx:1.25 &&
	test "$(json out.app "\"fetch\" in d or \"ROGER_ARTIFACT_SHA256\" in d[\"labels\"]")" = False &&
	! test -e ext/.roger &&
	test "$(registry_count "*" /)" = 0 &&
	(cd ext && "$ROGER" build) >build.out &&
	grep "built elsewhere: nothing to build" build.out &&
	! test -e ext/.roger
'

test_expect_success 'status and history show the image of the live release' '
	on mlive status >out 2>err &&
	grep "^image:      $REGISTRY_HOST/web/hello@sha256:0*7 (built on base/busybox:1@sha256:e*)\$" out &&
	on mlive -o json status >out.json &&
	test "$(json out.json "d[\"release\"][\"image\"]")" = "$REGISTRY_HOST/web/hello@sha256:$(printf "%064d" 7)" &&
	on mlive history "$V2" >hist &&
	grep "^image:      $REGISTRY_HOST/web/hello@sha256:" hist
'

test_expect_success 'the local target pushes to local.registry of the user config' '
	mkdir -p "$XDG_CONFIG_HOME/roger" &&
	printf "{\"local\": {\"registry\": \"%s/laptop\"}}\n" "$REGISTRY_URL" >"$XDG_CONFIG_HOME/roger/config.json" &&
	(cd app && "$ROGER" -t local push -o json) >local.json &&
	case "$(json local.json "d[\"tagged\"]")" in
	"$REGISTRY_HOST/laptop/web/hello:"*) ;;
	*) false ;;
	esac
'

test_done
