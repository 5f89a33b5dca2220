#!/bin/sh
# What goes wrong with a base image, through roger build, against
# registries scripted by tests/faultd.py: a registry that is not there
# (exit 4), one that answers with an HTML page (a proxy's, 1), a config
# blob whose bytes do not match its digest (1, and nothing of it cached),
# a manifest whose layers no Mesos can pull (zstd) or whose platform is
# another (3); each one line on stderr.  And the image section's own
# mistakes, caught before anything is asked of a registry (3).
. "$TEST_SRCDIR/cli/lib.sh"
. "$TEST_SRCDIR/cli/faultd.sh"

# registry KIND: a faultd script serving base/x:1 with a fault of KIND.
registry() {
	"${PYTHON:-python3}" - "$1" <<'PY'
import hashlib, json, sys
kind = sys.argv[1]
def digest(b): return "sha256:" + hashlib.sha256(b).hexdigest()
layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32, "digest": "sha256:" + "a" * 64}
arch = "arm64" if kind == "platform" else "amd64"
config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "b" * 64]},
                     "history": [{"created_by": "x"}]}).encode()
if kind == "zstd":
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd"
manifest = json.dumps({"schemaVersion": 2,
                       "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "size": len(config), "digest": digest(config)},
                       "layers": [layer]}).encode()
v2 = {"Docker-Distribution-Api-Version": "registry/2.0"}
mt = dict(v2, **{"Content-Type": "application/vnd.docker.distribution.manifest.v2+json",
                 "Docker-Content-Digest": digest(manifest)})
served = b'{"architecture": "amd64"}' if kind == "mismatch" else config
rules = [
    {"match": "GET /v2/", "times": 0, "json": {}, "headers": v2},
    {"match": "HEAD /v2/base/x/manifests/1", "times": 0, "headers": mt,
     "body": manifest.decode()},
    {"match": "GET /v2/base/x/manifests/*", "times": 0, "headers": mt,
     "body": manifest.decode()},
    {"match": "GET /v2/base/x/blobs/" + digest(config), "times": 0,
     "headers": dict(v2, **{"Content-Type": "application/octet-stream"}),
     "body": served.decode()},
]
if kind == "html":
    rules = [{"match": "*", "times": 0, "status": 200,
              "headers": {"Content-Type": "text/html; charset=utf-8"},
              "body": "<html><head><title>Sign in</title></head><body>proxy login</body></html>"}]
print(json.dumps({"responses": rules}))
print(digest(config), file=sys.stderr)
PY
}

for k in mismatch zstd platform html; do
	faultd_start "$k" "$(registry "$k" 2>"$TRASH/$k.config")" || exit 1
done

# app DIR BASE [IMAGE-EXTRA]: a repository with roger.json using BASE.
app() {
	test_create_repo "$1" "
		printf '{ \"version\": 1, \"app\": \"hello\", \"group\": \"/web\",\n  \"image\": { \"base\": \"%s\"%s },\n  \"marathon\": { \"cmd\": \"true\" } }\n' '$2' '${3:-}' >roger.json
	"
}

# The port of a server that was there and is gone.
closed_port() {
	"${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

test_expect_success 'a registry that is not there: exit 4, one line' '
	port=$(closed_port) &&
	app gone "127.0.0.1:$port/base/x:1" &&
	(cd gone && test_expect_code 4 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep "127.0.0.1:$port" err
'

test_expect_success 'a registry answering an HTML page: exit 1, one line' '
	app html "127.0.0.1:$html_PORT/base/x:1" &&
	(cd html && test_expect_code 1 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep -i "html" err
'

test_expect_success 'a config whose bytes are not its digest: exit 1, nothing of it cached' '
	app mismatch "127.0.0.1:$mismatch_PORT/base/x:1" &&
	(cd mismatch && test_expect_code 1 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep -i "digest" err &&
	config=$(cut -d: -f2 mismatch.config) &&
	! test -e "mismatch/.roger/blobs/sha256/$config" &&
	! ls mismatch/.roger/blobs/sha256/ | grep -v "^[0-9a-f]\{64\}\$"
'

test_expect_success 'layers no Mesos can pull: exit 3, naming the layer' '
	app zstd "127.0.0.1:$zstd_PORT/base/x:1" &&
	(cd zstd && test_expect_code 3 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep "zstd" err && grep "Mesos cannot pull" err
'

test_expect_success 'a base for another platform: exit 3' '
	app arm "127.0.0.1:$platform_PORT/base/x:1" &&
	(cd arm && test_expect_code 3 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep "linux/arm64, not linux/amd64" err &&
	app armok "127.0.0.1:$platform_PORT/base/x:1" ", \"platform\": \"linux/arm64\"" &&
	(cd armok && "$ROGER" build -o json) >out &&
	grep "\"digest\"" out
'

# The image section's mistakes: exit 3 before any request (no registry).
while read -r image words; do
	test_expect_success "roger.json image $image: exit 3" "
		rm -rf bad && app bad x &&
		printf '{ \"version\": 1, \"app\": \"hello\", \"image\": %s }\n' '$image' >bad/roger.json &&
		git -C bad commit -qam bad &&
		(cd bad && test_expect_code 3 \"\$ROGER\" build) 2>err &&
		test_line_count 1 err &&
		grep -F \"$words\" err
	"
done <<'EOF'
{"workdir":"/app"} missing 'base'
{"base":"Debian:12"} roger.json: image.base:
{"base":"x","workdir":"app"} image.workdir: invalid directory 'app'
{"base":"x","workdir":"/a/../b"} image.workdir: invalid directory
{"base":"x","runtime":"docker"} did you mean 'DOCKER'?
{"base":"x","platform":"linux"} image.platform: invalid platform
{"base":"x","env":{"DB_PASSWORD":"hunter2hunter2"}} image.env.DB_PASSWORD: this looks like a secret
{"base":"x","env":{"ROGER_COMMIT":"1"}} image.env.ROGER_COMMIT: roger sets
{"base":"x:{{tag}}"} variables are not expanded in 'image'
{"base":"x","user":""} image.user: invalid user
{"base":"x","cmd":"node"} image.cmd: expected an array
{"base":"x","basee":"y"} unknown key 'basee', did you mean 'base'?
EOF

test_expect_success 'an image section and a container image: exit 3' '
	rm -rf both && app both x &&
	printf "{ \"version\": 1, \"app\": \"hello\", \"image\": {\"base\": \"x\"}, \"marathon\": {\"container\": {\"docker\": {\"image\": \"y\"}}} }\n" >both/roger.json &&
	(cd both && test_expect_code 3 "$ROGER" build) 2>err &&
	test_line_count 1 err &&
	grep "marathon.container.docker.image: roger sets the image" err
'

test_done
