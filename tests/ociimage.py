#!/usr/bin/env python3
"""ociimage.py - push images of any shape to a registry, for the tests of
roger local's image apps (layers with whiteouts and opaque directories,
any Entrypoint, Cmd, Env, WorkingDir or User, an OCI or a Docker manifest,
a manifest list), which tests/imagetool cannot make.

    python3 ociimage.py --url URL [--user U --password P] [--cafile F]
        [--layer DIR]... [--tar-layer FILE]... [--entrypoint JSON]
        [--cmd JSON] [--env NAME=VALUE]... [--workdir DIR]
        [--config-user U] [--oci] [--list] [--no-history] REPO:TAG

Each --layer is a directory made into a gzip tar as it is: a file named
.wh.NAME is a whiteout, .wh..wh..opq an opaque marker, symbolic links stay
links.  Entries are sorted, dated 0 and owned by 0:0.  Each --tar-layer is
a tar file sent as it is (gzipped here), for layers a directory cannot
hold (hostile names).  With --list the tag names a Docker manifest list
(or, with --oci, an OCI index) holding the image for linux/amd64 and a
decoy for linux/s390x.  Prints {"digest", "config", "layers", "diff_ids"}
on stdout.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import ssl
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_dir(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            names = sorted(dirnames + filenames)
            for name in names:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                info = t.gettarinfo(full, arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                if info.isreg():
                    with open(full, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    return buf.getvalue()


class Registry:
    def __init__(self, url, user, password, cafile):
        self.url = url.rstrip("/")
        self.auth = None
        if user:
            self.auth = "Basic " + base64.b64encode(
                ("%s:%s" % (user, password)).encode()).decode()
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None

    def request(self, method, url, data=None, headers=None):
        if not url.startswith("http"):
            url = self.url + url
        req = urllib.request.Request(url, data=data, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, context=self.ctx) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def blob(self, repo, data):
        d = digest(data)
        st, _, _ = self.request("HEAD", "/v2/%s/blobs/%s" % (repo, d))
        if st == 200:
            return d
        st, h, body = self.request("POST", "/v2/%s/blobs/uploads/" % repo)
        if st != 202:
            sys.exit("POST upload: %d %s" % (st, body))
        loc = h["Location"]
        sep = "&" if "?" in loc else "?"
        st, h, body = self.request(
            "PUT", loc + sep + "digest=" + urllib.parse.quote(d), data,
            {"Content-Type": "application/octet-stream"})
        if st != 201:
            sys.exit("PUT blob: %d %s" % (st, body))
        return d

    def manifest(self, repo, ref, media_type, body):
        st, h, out = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref),
                                  body, {"Content-Type": media_type})
        if st != 201:
            sys.exit("PUT manifest: %d %s" % (st, out))
        return h["Docker-Content-Digest"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--cafile")
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--tar-layer", action="append", default=[])
    p.add_argument("--entrypoint")
    p.add_argument("--cmd")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir")
    p.add_argument("--config-user")
    p.add_argument("--oci", action="store_true")
    p.add_argument("--list", action="store_true")
    p.add_argument("--no-history", action="store_true")
    p.add_argument("ref")
    a = p.parse_args()
    repo, _, tag = a.ref.partition(":")
    reg = Registry(a.url, a.user, a.password, a.cafile)

    tars = [tar_dir(d) for d in a.layer]
    for f in a.tar_layer:
        with open(f, "rb") as fh:
            tars.append(fh.read())
    layers, diff_ids = [], []
    for t in tars:
        gz = gzip.compress(t, mtime=0)
        layers.append({"mediaType": OCI_LAYER if a.oci else DOCKER_LAYER,
                       "size": len(gz), "digest": reg.blob(repo, gz)})
        diff_ids.append(digest(t))
    cfg = {}
    if a.entrypoint:
        cfg["Entrypoint"] = json.loads(a.entrypoint)
    if a.cmd:
        cfg["Cmd"] = json.loads(a.cmd)
    if a.env:
        cfg["Env"] = a.env
    if a.workdir:
        cfg["WorkingDir"] = a.workdir
    if a.config_user:
        cfg["User"] = a.config_user
    config = {"architecture": "amd64", "os": "linux", "config": cfg,
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if not a.no_history:
        config["history"] = [{"created_by": "ociimage.py"} for _ in layers]
    config_bytes = json.dumps(config, sort_keys=True,
                              separators=(",", ":")).encode()
    config_desc = {"mediaType": OCI_CONFIG if a.oci else DOCKER_CONFIG,
                   "size": len(config_bytes),
                   "digest": reg.blob(repo, config_bytes)}
    manifest = {"schemaVersion": 2,
                "mediaType": OCI_MANIFEST if a.oci else DOCKER_MANIFEST,
                "config": config_desc, "layers": layers}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    mt = OCI_MANIFEST if a.oci else DOCKER_MANIFEST
    if a.list:
        image = reg.manifest(repo, digest(body), mt, body)
        decoy = dict(manifest, layers=[])
        decoy_bytes = json.dumps(decoy, separators=(",", ":")).encode()
        decoy_digest = reg.manifest(repo, digest(decoy_bytes), mt, decoy_bytes)
        lt = OCI_INDEX if a.oci else DOCKER_LIST
        index = {"schemaVersion": 2, "mediaType": lt, "manifests": [
            {"mediaType": mt, "size": len(decoy_bytes), "digest": decoy_digest,
             "platform": {"architecture": "s390x", "os": "linux"}},
            {"mediaType": mt, "size": len(body), "digest": image,
             "platform": {"architecture": "amd64", "os": "linux"}}]}
        ib = json.dumps(index, separators=(",", ":")).encode()
        reg.manifest(repo, tag, lt, ib)
        out = image
    else:
        out = reg.manifest(repo, tag, mt, body)
    json.dump({"digest": out, "config": config_desc["digest"],
               "layers": [l["digest"] for l in layers],
               "diff_ids": diff_ids}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
