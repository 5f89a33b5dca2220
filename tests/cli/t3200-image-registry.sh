#!/bin/sh
# Images against Debian's docker-registry, through tests/imagetool (a
# driver of libroger's image and registry modules, until roger build and
# roger push handle images): a base image pushed from a directory, the
# app's image built and pushed, pushed again with nothing but three
# requests, pulled back with curl the way Mesos agents pull (by tag, schema
# 2 and schema 1) and unpacked, and a registry behind TLS and a password:
# a wrong one is exit 4 and never printed, the environment's credentials
# work.
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

# json FILE EXPR: a value of a JSON document (EXPR in Python, on `d`).
json() {
	"${PYTHON:-python3}" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

cd "$TRASH" || exit 99
mkdir -p rootfs/bin rootfs/etc
if [ -x /bin/busybox ]; then
	cp /bin/busybox rootfs/bin/busybox
else
	printf '#!/bin/sh\necho no busybox here\n' >rootfs/bin/busybox
	chmod +x rootfs/bin/busybox
fi
ln -s busybox rootfs/bin/sh
echo base >rootfs/etc/release
test_create_repo app '
	printf "{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\" }\n" >roger.json &&
	echo "console.log(1)" >index.js &&
	mkdir -p bin && printf "#!/bin/sh\necho run\n" >bin/run && chmod +x bin/run
'
BASE=$REGISTRY_HOST/base/busybox:1

test_expect_success 'a base image pushed from a directory' '
	"$IMAGETOOL" --url "$REGISTRY_URL" base base/busybox:1 rootfs >base.json &&
	test "$(json base.json "d[\"files\"]")" = 3
'

test_expect_success 'the app image built and pushed' '
	registry_log_mark &&
	"$IMAGETOOL" --url "$REGISTRY_URL" --base "$BASE" --env LANG=C.UTF-8 \
		--registry "$REGISTRY_HOST" --repo web/hello push app >push1.json &&
	test "$(json push1.json "d[\"push\"][\"mounted\"]")" = 1 &&
	test "$(json push1.json "d[\"push\"][\"uploaded\"]")" = 2 &&
	test "$(registry_count POST /v2/web/hello/blobs/uploads/?mount=)" = 1 &&
	test "$(registry_count PUT /v2/web/hello/manifests/)" = 2
'

# The build asks where the base tag points; the push pings, then finds
# the tag already naming the image.
test_expect_success 'pushed again: three questions, nothing sent' '
	registry_log_mark &&
	"$IMAGETOOL" --url "$REGISTRY_URL" --base "$BASE" --env LANG=C.UTF-8 \
		--registry "$REGISTRY_HOST" --repo web/hello push app >push2.json &&
	test "$(json push2.json "d[\"push\"][\"already\"]")" = True &&
	test "$(json push2.json "d[\"cached\"]")" = True &&
	test "$(registry_count "*" /)" = 3 &&
	test "$(registry_count HEAD /v2/base/busybox/manifests/1)" = 1 &&
	test "$(registry_count HEAD /v2/web/hello/manifests/)" = 1 &&
	test "$(registry_count GET /v2/)" = 1
'

test_expect_success 'a Mesos 1.8+ agent pulls it by tag and unpacks the layers' '
	tag=$(json push1.json "d[\"push\"][\"tag\"]") &&
	curl -sS -D headers -o manifest.json \
		-H "Accept: application/vnd.docker.distribution.manifest.v2+json" \
		"$REGISTRY_URL/v2/web/hello/manifests/$tag" &&
	grep -i "^Docker-Content-Digest: $(json push1.json "d[\"digest\"]")" headers &&
	mkdir unpacked &&
	for digest in $(json manifest.json "\" \".join(l[\"digest\"] for l in d[\"layers\"])"); do
		curl -sS -o layer.tgz "$REGISTRY_URL/v2/web/hello/blobs/$digest" &&
		test "sha256:$(sha256sum <layer.tgz | cut -d" " -f1)" = "$digest" &&
		tar -xzf layer.tgz -C unpacked || exit 1
	done &&
	test -x unpacked/bin/busybox &&
	test "$(cat unpacked/app/index.js)" = "console.log(1)" &&
	test -x unpacked/app/bin/run &&
	test "$(readlink unpacked/bin/sh)" = busybox
'

test_expect_success 'a Mesos 1.4-1.7 agent gets a schema 1 manifest by tag' '
	tag=$(json push1.json "d[\"push\"][\"tag\"]") &&
	curl -sS -f -o v1.json \
		-H "Accept: application/vnd.docker.distribution.manifest.v1+json" \
		"$REGISTRY_URL/v2/web/hello/manifests/$tag" &&
	test "$(json v1.json "len(d[\"fsLayers\"])")" = 2 &&
	test "$(json v1.json "len(d[\"history\"])")" = 2
'

REGISTRY_NAME=secure
registry_start --tls --auth basic || exit 1

test_expect_success 'a wrong password: exit 4, the password never shown' '
	"$IMAGETOOL" --url "$REGISTRY_URL" --ca "$REGISTRY_CA" \
		--user roger --password s3cret base base/busybox:1 "$TRASH/rootfs" >/dev/null &&
	test_expect_code 4 "$IMAGETOOL" --url "$REGISTRY_URL" --ca "$REGISTRY_CA" \
		--user roger --password not-this-one \
		--base "$REGISTRY_HOST/base/busybox:1" \
		--registry "$REGISTRY_HOST" --repo web/hello push app 2>err &&
	grep "authentication refused" err &&
	grep "user .roger." err &&
	! grep not-this-one err
'

test_expect_success 'the credentials of the environment' '
	ROGER_REGISTRY_USER=roger ROGER_REGISTRY_PASSWORD=s3cret \
	"$IMAGETOOL" --url "$REGISTRY_URL" --ca "$REGISTRY_CA" \
		--base "$REGISTRY_HOST/base/busybox:1" \
		--registry "$REGISTRY_HOST" --repo web/hello push app >secure.json &&
	test "$(json secure.json "d[\"push\"][\"mounted\"]")" = 1
'

test_done
