#!/bin/sh
# roger build and roger push of an app with an image section, against
# Debian's docker-registry: a base image assembled from busybox by
# tests/imagetool; the same image digest from two clones; a push that
# mounts the base layer across repositories and uploads the rest, then a
# second push that only asks (one HEAD after the ping); the pushed image
# pulled back as Mesos agents pull it (by tag, schema 2 and schema 1);
# a base tag moved, a manifest list and an OCI index resolved to the
# platform, a base with OCI media types; then a registry behind TLS and a
# password (wrong password exit 4, never printed; the environment's and
# the user config's credentials), and one with the Bearer token flow.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-registry.sh"

if reason=$(registry_skip_reason); then
	test_skip 'images against a real registry' "$reason"
	test_done
fi
IMAGETOOL=$TEST_BUILDDIR/imagetool
if [ ! -x "$IMAGETOOL" ]; then
	test_skip 'images against a real registry' "tests/imagetool is not built (make check builds it)"
	test_done
fi
registry_start || exit 1
PLAIN_URL=$REGISTRY_URL
PLAIN_HOST=$REGISTRY_HOST

# json FILE EXPR: a value of a JSON document (EXPR in Python, on `d`).
json() {
	"${PYTHON:-python3}" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# config TARGET-JSON: the user config with target "reg" (Marathon unused).
config() {
	mkdir -p "$XDG_CONFIG_HOME/roger"
	printf '{"default_target": "reg", "targets": {"reg": {"marathon": "http://127.0.0.1:9", %s}}}\n' \
		"$1" >"$XDG_CONFIG_HOME/roger/config.json"
}

# base DIR CONTENT: a root file system with busybox and /etc/release.
rootfs() {
	mkdir -p "$1/bin" "$1/etc"
	if [ -x /bin/busybox ]; then
		cp /bin/busybox "$1/bin/busybox"
	else
		printf '#!/bin/sh\necho no busybox here\n' >"$1/bin/busybox"
		chmod +x "$1/bin/busybox"
	fi
	ln -sf busybox "$1/bin/sh"
	echo "$2" >"$1/etc/release"
}

# app DIR BASE [IMAGE-EXTRA]: a repository with roger.json using BASE.
app() {
	test_create_repo "$1" "
		printf '{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\",\n  \"image\": { \"base\": \"%s\", \"env\": { \"LANG\": \"C.UTF-8\" }%s },\n  \"marathon\": { \"cmd\": \"./bin/run\" } }\n' '$2' '${3:-}' >roger.json &&
		echo 'console.log(1)' >index.js &&
		mkdir -p bin && printf '#!/bin/sh\necho run\n' >bin/run && chmod +x bin/run
	"
}

cd "$TRASH" || exit 99
rootfs rootfs base-1
BASE=$PLAIN_HOST/base/busybox:1
config "\"registry\": \"$PLAIN_URL\""
app app "$BASE"

test_expect_success 'a base image pushed from a directory' '
	"$IMAGETOOL" --url "$PLAIN_URL" base base/busybox:1 rootfs >base.json &&
	test "$(json base.json "d[\"files\"]")" = 3
'

test_expect_success 'roger build: the image, its base and its layers' '
	(cd app && "$ROGER" build -o json) >build1.json &&
	test "$(json build1.json "d[\"base\"][\"digest\"]")" = "$(json base.json "d[\"digest\"]")" &&
	test "$(json build1.json "len(d[\"layers\"])")" = 2 &&
	test "$(json build1.json "d[\"layers\"][0][\"from\"]")" = base &&
	test "$(json build1.json "d[\"layers\"][0][\"digest\"]")" = "$(json base.json "d[\"layer\"]")" &&
	test "$(json build1.json "d[\"layers\"][1][\"from\"]")" = tree &&
	test "$(json build1.json "d[\"cached\"]")" = False &&
	test "$(json build1.json "d[\"workdir\"]")" = /app &&
	case "$(json build1.json "d[\"reference\"]")" in
	"$PLAIN_HOST/web/hello@sha256:"*) ;;
	*) false ;;
	esac &&
	(cd app && "$ROGER" build) >build1.txt &&
	grep "^image       $(json build1.json "d[\"digest\"]")\$" build1.txt &&
	grep "^base-digest $(json base.json "d[\"digest\"]")\$" build1.txt &&
	grep "^cached      yes\$" build1.txt
'

test_expect_success 'the same commit in another clone: the same image digest' '
	git clone -q app clone &&
	(cd clone && "$ROGER" build -o json) >clone.json &&
	test "$(json clone.json "d[\"cached\"]")" = False &&
	test "$(json clone.json "d[\"digest\"]")" = "$(json build1.json "d[\"digest\"]")"
'

test_expect_success 'roger push: the base layer mounted, the rest uploaded' '
	registry_log_mark &&
	(cd app && "$ROGER" push -o json) >push1.json 2>push1.err &&
	test "$(json push1.json "d[\"already\"]")" = False &&
	test "$(json push1.json "d[\"blobs\"][\"mounted\"]")" = 1 &&
	test "$(json push1.json "d[\"blobs\"][\"uploaded\"]")" = 2 &&
	test "$(json push1.json "isinstance(d[\"elapsed_ms\"], int) and d[\"elapsed_ms\"] >= 0")" = True &&
	test "$(registry_count POST /v2/web/hello/blobs/uploads/?mount=)" = 1 &&
	test "$(registry_count PUT /v2/web/hello/manifests/)" = 2
'

# The build asks where the base tag points; the push pings, then finds
# the tag already naming the image.
test_expect_success 'pushed again: only questions, nothing sent' '
	registry_log_mark &&
	(cd app && "$ROGER" push) >push2.txt 2>push2.err &&
	grep "^already   yes\$" push2.txt &&
	grep "is already there" push2.err &&
	test "$(registry_count "*" /)" = 3 &&
	test "$(registry_count HEAD /v2/base/busybox/manifests/1)" = 1 &&
	test "$(registry_count HEAD /v2/web/hello/manifests/)" = 1 &&
	test "$(registry_count GET /v2/)" = 1
'

test_expect_success 'push -n asks and sends nothing' '
	echo again >>app/again.txt && git -C app add again.txt && git -C app commit -q -m again &&
	registry_log_mark &&
	(cd app && "$ROGER" push -n) >dry.txt &&
	grep "^already   no\$" dry.txt &&
	test "$(registry_count PUT /)" = 0 &&
	test "$(registry_count POST /)" = 0
'

test_expect_success 'a Mesos 1.8+ agent pulls it by tag and unpacks the layers' '
	tag=$(json push1.json "d[\"tag\"]") &&
	curl -sS -D headers -o manifest.json \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"$PLAIN_URL/v2/web/hello/manifests/$tag" &&
	grep -i "^Docker-Content-Digest: $(json push1.json "d[\"digest\"]")" headers &&
	grep -i "^Content-Type: application/vnd.docker.distribution.manifest.v2+json" headers &&
	mkdir unpacked &&
	for digest in $(json manifest.json "\" \".join(l[\"digest\"] for l in d[\"layers\"])"); do
		curl -sS -o layer.tgz "$PLAIN_URL/v2/web/hello/blobs/$digest" &&
		test "sha256:$(sha256sum <layer.tgz | cut -d" " -f1)" = "$digest" &&
		tar -xzf layer.tgz -C unpacked || exit 1
	done &&
	test -x unpacked/bin/busybox &&
	test "$(cat unpacked/app/index.js)" = "console.log(1)" &&
	test -x unpacked/app/bin/run &&
	test "$(readlink unpacked/bin/sh)" = busybox
'

test_expect_success 'a Mesos 1.4-1.7 agent gets a schema 1 manifest by tag' '
	tag=$(json push1.json "d[\"tag\"]") &&
	curl -sS -f -o v1.json \
		-H "Accept: application/vnd.docker.distribution.manifest.v1+json" \
		"$PLAIN_URL/v2/web/hello/manifests/$tag" &&
	test "$(json v1.json "len(d[\"fsLayers\"])")" = 2 &&
	test "$(json v1.json "len(d[\"history\"])")" = 2
'

test_expect_success 'another app on the same base: its layer mounted again' '
	app other "$BASE" &&
	sed -i "s/\"hello\"/\"other\"/" other/roger.json &&
	git -C other commit -qam other &&
	registry_log_mark &&
	(cd other && "$ROGER" push -o json) >other.json &&
	test "$(json other.json "d[\"blobs\"][\"mounted\"]")" = 1 &&
	test "$(registry_count POST /v2/web/other/blobs/uploads/?mount=)" = 1
'

test_expect_success 'the base tag moved: a new base digest, a new image' '
	rootfs rootfs2 base-2 &&
	"$IMAGETOOL" --url "$PLAIN_URL" base base/busybox:1 rootfs2 >base2.json &&
	(cd app && "$ROGER" build -o json) >build2.json &&
	test "$(json build2.json "d[\"base\"][\"digest\"]")" = "$(json base2.json "d[\"digest\"]")" &&
	test "$(json build2.json "d[\"base\"][\"digest\"]")" != "$(json build1.json "d[\"base\"][\"digest\"]")" &&
	test "$(json build2.json "d[\"digest\"]")" != "$(json build1.json "d[\"digest\"]")" &&
	test "$(json build2.json "d[\"tag\"]")" != "$(json build1.json "d[\"tag\"]")"
'

test_expect_success 'a manifest list: the linux/amd64 image, or the platform asked for' '
	"$IMAGETOOL" --url "$PLAIN_URL" --arch arm64 base base/multi:arm64 rootfs >arm.json &&
	"$IMAGETOOL" --url "$PLAIN_URL" base base/multi:amd64 rootfs2 >amd.json &&
	"$IMAGETOOL" --url "$PLAIN_URL" index base/multi:1 arm64 amd64 >list.json &&
	app multi "$PLAIN_HOST/base/multi:1" &&
	(cd multi && "$ROGER" build -o json) >multi.json &&
	test "$(json multi.json "d[\"base\"][\"digest\"]")" = "$(json amd.json "d[\"digest\"]")" &&
	test "$(json multi.json "d[\"base\"][\"index_digest\"]")" = "$(json list.json "d[\"digest\"]")" &&
	app multiarm "$PLAIN_HOST/base/multi:1" ", \"platform\": \"linux/arm64\"" &&
	(cd multiarm && "$ROGER" build -o json) >multiarm.json &&
	test "$(json multiarm.json "d[\"base\"][\"digest\"]")" = "$(json arm.json "d[\"digest\"]")"
'

test_expect_success 'a platform the list lacks: exit 3, naming what it has' '
	app multippc "$PLAIN_HOST/base/multi:1" ", \"platform\": \"linux/ppc64le\"" &&
	(cd multippc && test_expect_code 3 "$ROGER" build) 2>ppc.err &&
	test_line_count 1 ppc.err &&
	grep "linux/ppc64le" ppc.err && grep "linux/arm64" ppc.err
'

test_expect_success 'a base with OCI media types, and an OCI index: a Docker image still' '
	"$IMAGETOOL" --oci --url "$PLAIN_URL" base base/oci:amd64 rootfs >oci.json &&
	"$IMAGETOOL" --oci --url "$PLAIN_URL" index base/oci:1 amd64 >ociindex.json &&
	app ociapp "$PLAIN_HOST/base/oci:1" &&
	(cd ociapp && "$ROGER" push -o json) >ocipush.json &&
	test "$(json ocipush.json "d[\"base\"][\"digest\"]")" = "$(json oci.json "d[\"digest\"]")" &&
	test "$(json ocipush.json "set(l[\"media_type\"] for l in d[\"layers\"])")" = "{'"'"'application/vnd.docker.image.rootfs.diff.tar.gzip'"'"'}" &&
	curl -sS -D ociheaders -o ocimanifest.json \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"$PLAIN_URL/v2/web/hello/manifests/$(json ocipush.json "d[\"tag\"]")" &&
	grep -i "^Content-Type: application/vnd.docker.distribution.manifest.v2+json" ociheaders &&
	test "$(json ocimanifest.json "d[\"config\"][\"mediaType\"]")" = application/vnd.docker.container.image.v1+json
'

test_expect_success 'the base does not exist: exit 3, one line' '
	app nobase "$PLAIN_HOST/base/busybox:nope" &&
	(cd nobase && test_expect_code 3 "$ROGER" build) 2>nobase.err &&
	test_line_count 1 nobase.err &&
	grep "base image .*busybox:nope. not found" nobase.err
'

test_expect_success 'a target without a registry: push is exit 3, naming the fix' '
	(
		config "\"artifacts\": \"file://$TRASH/store/\"" &&
		cd app && test_expect_code 3 "$ROGER" push
	) 2>noreg.err &&
	test_line_count 1 noreg.err &&
	grep "target .reg. has no registry" noreg.err && grep ROGER_REGISTRY_URL noreg.err
'

test_expect_success 'ROGER_REGISTRY_URL: a registry for a target without one' '
	(
		config "\"artifacts\": \"file://$TRASH/store/\"" &&
		cd app && ROGER_REGISTRY_URL=$PLAIN_URL/team "$ROGER" push -o json
	) >prefix.json &&
	case "$(json prefix.json "d[\"tagged\"]")" in
	"$PLAIN_HOST/team/web/hello:"*) ;;
	*) false ;;
	esac
'

REGISTRY_NAME=secure
registry_start --tls --auth basic || exit 1
SECURE_URL=$REGISTRY_URL
SECURE_HOST=$REGISTRY_HOST
SECURE_CA=$REGISTRY_CA
app secureapp "$SECURE_HOST/base/busybox:1"

test_expect_success 'a registry behind TLS and a password: a wrong one is exit 4, never shown' '
	"$IMAGETOOL" --url "$SECURE_URL" --ca "$SECURE_CA" \
		--user roger --password s3cret base base/busybox:1 rootfs >/dev/null &&
	config "\"registry\": {\"url\": \"$SECURE_URL\", \"ca_file\": \"$SECURE_CA\", \"auth\": {\"user\": \"roger\", \"password_env\": \"REG_PASSWORD\"}}" &&
	(cd secureapp && REG_PASSWORD=not-this-one test_expect_code 4 "$ROGER" push) 2>wrong.err &&
	test_line_count 1 wrong.err &&
	grep "authentication refused" wrong.err &&
	grep "user .roger." wrong.err &&
	! grep not-this-one wrong.err
'

test_expect_success 'the user config password, then the environment credentials' '
	(cd secureapp && REG_PASSWORD=s3cret "$ROGER" push -o json) >secure.json &&
	test "$(json secure.json "d[\"blobs\"][\"mounted\"]")" = 1 &&
	echo again >>secureapp/again.txt && git -C secureapp add again.txt && git -C secureapp commit -q -m again &&
	config "\"registry\": {\"url\": \"$SECURE_URL\", \"ca_file\": \"$SECURE_CA\"}" &&
	(cd secureapp && ROGER_REGISTRY_USER=roger ROGER_REGISTRY_PASSWORD=s3cret \
		"$ROGER" push -o json) >secure2.json &&
	test "$(json secure2.json "d[\"already\"]")" = False &&
	(cd secureapp && test_expect_code 4 "$ROGER" push) 2>nocreds.err &&
	grep "ROGER_REGISTRY_USER" nocreds.err
'

test_expect_success 'a CA the registry is not signed by: exit 4' '
	config "\"registry\": {\"url\": \"$SECURE_URL\"}" &&
	(cd secureapp && ROGER_REGISTRY_USER=roger ROGER_REGISTRY_PASSWORD=s3cret \
		test_expect_code 4 "$ROGER" push) 2>tls.err &&
	test_line_count 1 tls.err
'

REGISTRY_NAME=token
registry_start --auth token || exit 1
app tokenapp "$REGISTRY_HOST/base/busybox:1"

test_expect_success 'the Bearer token flow: a scoped token from the realm' '
	"$IMAGETOOL" --url "$REGISTRY_URL" --user roger --password s3cret \
		base base/busybox:1 rootfs >/dev/null &&
	config "\"registry\": {\"url\": \"$REGISTRY_URL\", \"auth\": {\"user\": \"roger\", \"password_env\": \"REG_PASSWORD\"}}" &&
	(cd tokenapp && REG_PASSWORD=s3cret "$ROGER" push -o json) >token.json &&
	test "$(json token.json "d[\"blobs\"][\"mounted\"]")" = 1 &&
	grep "repository:web/hello:pull,push" "$REGISTRY_DIR/token.log" &&
	(cd tokenapp && REG_PASSWORD=wrong test_expect_code 4 "$ROGER" push) 2>tokbad.err &&
	test_line_count 1 tokbad.err
'

test_done
