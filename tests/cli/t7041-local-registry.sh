#!/bin/sh
# roger local's own registry: on a loopback port of its own, shown by
# `roger local status`, guarded by the server's token in the forms registry
# clients send, answering the distribution API as docker-registry 2.8 does
# (REGISTRY.md, recorded behaviour), written to by roger's own registry
# client (tests/imagetool) and read by the server's tasks.
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/lib-local.sh"

local_start || exit 1
REG=$(json "$LOCAL_STATE/server.json" 'd["registry"]')
RURL=http://$REG
IMAGETOOL=$TEST_BUILDDIR/imagetool

# reg METHOD PATH [CURL ARGS...]: a request with the token as the Basic
# password; the status on stdout, the body in ./body, headers in ./headers.
reg() {
	method=$1
	path=$2
	shift 2
	if [ "$method" = HEAD ]; then
		set -- -I "$@"
	else
		set -- -X "$method" "$@"
	fi
	curl -s -o body -D headers -w '%{http_code}' \
		-u "anyone:$LOCAL_TOKEN" "$@" "$RURL$path"
}

# hdr NAME: a header of ./headers.
hdr() {
	tr -d '\r' <headers | sed -n "s/^$1: //Ip" | head -n 1
}

test_expect_success 'status shows where the registry is' '
	"$ROGER" local --state-dir "$LOCAL_STATE" status >out &&
	test_grep "^its registry is at $REG " out &&
	"$ROGER" -o json local --state-dir "$LOCAL_STATE" status >st.json &&
	test "$(json st.json "d[\"registry\"]")" = "$REG" &&
	test "${REG%%:*}" = 127.0.0.1 &&
	test "${REG#*:}" != "$LOCAL_PORT"
'

test_expect_success 'the token, in the forms registry clients send' '
	test "$(curl -s -o body -D headers -w "%{http_code}" "$RURL/v2/")" = 401 &&
	test "$(hdr WWW-Authenticate)" = "Basic realm=\"roger local\"" &&
	test "$(hdr Docker-Distribution-Api-Version)" = registry/2.0 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = UNAUTHORIZED &&
	test "$(reg GET /v2/)" = 200 &&
	test "$(cat body)" = "{}" &&
	test "$(hdr Docker-Distribution-Api-Version)" = registry/2.0 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $LOCAL_TOKEN" "$RURL/v2/")" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: token=$LOCAL_TOKEN" "$RURL/v2/")" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -u "anyone:not-the-token" "$RURL/v2/")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -u "$LOCAL_TOKEN:" "$RURL/v2/")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Host: evil.example.com" -u "anyone:$LOCAL_TOKEN" "$RURL/v2/")" = 403
'

test_expect_success 'roger'\''s registry client pushes an image there, then only asks' '
	mkdir -p rootfs/bin rootfs/etc &&
	cp /bin/busybox rootfs/bin/busybox 2>/dev/null || printf "#!/bin/sh\n" >rootfs/bin/busybox &&
	ln -sf busybox rootfs/bin/sh &&
	echo "from the local registry" >rootfs/etc/motd &&
	"$IMAGETOOL" --url "$RURL" --user roger --password "$LOCAL_TOKEN" base test/base:1 rootfs >push.json &&
	digest=$(json push.json "d[\"digest\"]") &&
	test "$(reg GET /v2/test/base/manifests/1 -H "Accept: application/vnd.docker.distribution.manifest.v2+json")" = 200 &&
	test "$(hdr Docker-Content-Digest)" = "$digest" &&
	test "$(hdr Content-Type)" = application/vnd.docker.distribution.manifest.v2+json &&
	test "sha256:$(sha256sum <body | cut -d" " -f1)" = "$digest" &&
	test "$(reg GET /v2/test/base/manifests/1 -H "If-None-Match: \"$digest\"")" = 304 &&
	test "$(reg HEAD "/v2/test/base/manifests/$digest")" = 200 &&
	test "$(reg GET /v2/test/base/tags/list)" = 200 &&
	test "$(json body "d[\"tags\"]")" = "[\"1\"]" &&
	test "$(reg GET /v2/_catalog)" = 200 &&
	test "$(json body "d[\"repositories\"]")" = "[\"test/base\"]"
'

test_expect_success 'uploads: Range, the latest Location, a stale one ends the upload' '
	printf "0123456789" >blob &&
	printf "abcdef" >more &&
	d=sha256:$(cat blob more | sha256sum | cut -d" " -f1) &&
	test "$(reg POST /v2/test/up/blobs/uploads/)" = 202 &&
	test "$(hdr Range)" = 0-0 &&
	loc1=$(hdr Location) &&
	case "$loc1" in "$RURL/v2/test/up/blobs/uploads/"*"?_state="*) ;; *) false ;; esac &&
	test "$(curl -s -o body -D headers -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PATCH \
		-H "Content-Type: application/octet-stream" --data-binary @blob "$loc1")" = 202 &&
	test "$(hdr Range)" = 0-9 &&
	loc2=$(hdr Location) &&
	test "$loc2" != "$loc1" &&
	test "$(curl -s -o body -D headers -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X GET "$loc2")" = 204 &&
	test "$(hdr Range)" = 0-9 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PUT \
		-H "Content-Type: application/octet-stream" --data-binary @more "$loc2&digest=$d")" = 201 &&
	test "$(reg HEAD "/v2/test/up/blobs/$d")" = 200 &&
	test "$(hdr Content-Length)" = 16 &&
	test "$(reg POST /v2/test/up/blobs/uploads/)" = 202 &&
	loc1=$(hdr Location) &&
	test "$(curl -s -o body -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PATCH -H "Content-Type: text/plain" --data-binary @blob "$loc1")" = 500 &&
	curl -s -o /dev/null -u "x:$LOCAL_TOKEN" -X PATCH -H "Content-Type: application/octet-stream" --data-binary @blob "$loc1" &&
	test "$(curl -s -o body -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PATCH -H "Content-Type: application/octet-stream" --data-binary @more "$loc1")" = 404 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = BLOB_UPLOAD_INVALID
'

test_expect_success 'wrong and missing digests: 400 DIGEST_INVALID, nothing stored' '
	test "$(reg POST /v2/test/up/blobs/uploads/)" = 202 &&
	loc=$(hdr Location) &&
	test "$(curl -s -o body -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PUT --data-binary @blob \
		"$loc&digest=sha256:0000000000000000000000000000000000000000000000000000000000000000")" = 400 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = DIGEST_INVALID &&
	test ! -e "$LOCAL_STATE/registry/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000" &&
	test "$(reg POST /v2/test/up/blobs/uploads/)" = 202 &&
	loc=$(hdr Location) &&
	test "$(curl -s -o body -w "%{http_code}" -u "x:$LOCAL_TOKEN" -X PUT --data-binary @blob "$loc")" = 400 &&
	test "$(json body "d[\"errors\"][0][\"detail\"]")" = "digest missing" &&
	test "$(reg GET /v2/test/up/blobs/sha256:abc)" = 400 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = DIGEST_INVALID
'

test_expect_success 'blobs belong to repositories; a mount links one across' '
	d=sha256:$(cat blob more | sha256sum | cut -d" " -f1) &&
	test "$(reg HEAD "/v2/test/other/blobs/$d")" = 404 &&
	test "$(reg GET "/v2/test/other/blobs/$d")" = 404 &&
	test "$(json body "d[\"errors\"][0][\"detail\"]")" = "$d" &&
	test "$(reg POST "/v2/test/other/blobs/uploads/?mount=$d&from=test/up")" = 201 &&
	test "$(hdr Docker-Content-Digest)" = "$d" &&
	test "$(reg GET "/v2/test/other/blobs/$d")" = 200 &&
	test "$(cat body)" = 0123456789abcdef &&
	test "$(reg POST "/v2/test/third/blobs/uploads/?mount=$d&from=test/nowhere")" = 202 &&
	test "$(reg DELETE "/v2/test/other/blobs/$d")" = 405 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = UNSUPPORTED
'

test_expect_success 'manifests: the media type, one error per missing blob, OCI needs its Accept' '
	cfg=sha256:$(printf x | sha256sum | cut -d" " -f1) &&
	layer=sha256:$(printf y | sha256sum | cut -d" " -f1) &&
	m="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1,\"digest\":\"$cfg\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":1,\"digest\":\"$layer\"}]}" &&
	test "$(reg PUT /v2/test/m/manifests/v1 -H "Content-Type: application/vnd.docker.distribution.manifest.v2+json" --data-binary "$m")" = 400 &&
	test "$(json body "[e[\"code\"] for e in d[\"errors\"]]")" = "[\"MANIFEST_BLOB_UNKNOWN\", \"MANIFEST_BLOB_UNKNOWN\"]" &&
	test "$(reg PUT /v2/test/m/manifests/v1 -H "Content-Type: application/json" --data-binary "$m")" = 400 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = MANIFEST_INVALID &&
	base=$(json push.json "d[\"digest\"]") &&
	reg GET "/v2/test/base/manifests/$base" >/dev/null &&
	sed "s/application\/vnd.docker.distribution.manifest.v2+json/application\/vnd.oci.image.manifest.v1+json/; s/application\/vnd.docker.container.image.v1+json/application\/vnd.oci.image.config.v1+json/; s/application\/vnd.docker.image.rootfs.diff.tar.gzip/application\/vnd.oci.image.layer.v1.tar+gzip/g" body >oci.json &&
	test "$(reg PUT /v2/test/base/manifests/oci -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary @oci.json)" = 201 &&
	test "$(reg GET /v2/test/base/manifests/oci -H "Accept: application/vnd.docker.distribution.manifest.v2+json")" = 404 &&
	test "$(json body "d[\"errors\"][0][\"message\"]")" = "OCI manifest found, but accept header does not support OCI manifests" &&
	test "$(reg GET /v2/test/base/manifests/oci -H "Accept: application/vnd.oci.image.manifest.v1+json")" = 200 &&
	test "$(hdr Content-Type)" = application/vnd.oci.image.manifest.v1+json &&
	test "$(reg GET /v2/test/base/manifests/nope)" = 404 &&
	test "$(json body "d[\"errors\"][0][\"detail\"][\"Tag\"]")" = nope &&
	test "$(reg GET /v2/Test/Base/tags/list)" = 404 &&
	test "$(cat body)" = "404 page not found" &&
	test "$(reg GET /v2/test/none/tags/list)" = 404 &&
	test "$(json body "d[\"errors\"][0][\"code\"]")" = NAME_UNKNOWN
'

if reason=$(containers_skip_reason); then
	test_skip 'a task of the server pulls from it with the token' "$reason"
else
test_expect_success 'a task of the server pulls from it with the token' '
	image=$REG/test/base:1 &&
	dep=$(deploy_app "{\"id\":\"/reg/app\",\"cpus\":0.1,\"mem\":32,\"cmd\":\"read line </etc/motd; echo \\\"\$line\\\" >\$MESOS_SANDBOX/motd; exec sleep 600\",\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"$image\"}}}") &&
	wait_deployed "$dep" 60 &&
	dir=$(sandbox "$(app_get reg/app "a[\"tasks\"][0][\"id\"]")") &&
	wait_for 10 "test -s \"$dir/motd\"" &&
	test "$(cat "$dir/motd")" = "from the local registry"
'
fi

test_done
