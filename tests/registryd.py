#!/usr/bin/env python3
"""registryd.py - Debian's docker-registry (the real distribution registry)
on a loopback port, configured for one test, with the TLS certificates, the
htpasswd file and the Bearer token server that test needs.  Python 3
standard library only, plus the openssl and docker-registry binaries.

USAGE
    python3 registryd.py --dir DIR [--auth none|basic|token] [--tls]
                         [--user USER --password PASS] [--anonymous-pull]
                         [--relative-urls] [--token-expires S]

DIR (created if needed) receives everything: config.yml, the storage
(data/), the CA and server certificate (ca.pem, server.pem, server.key),
htpasswd, the token signing key and certificate (token.key, token.pem),
access.log (the registry's access log: one Apache-style line per request,
'"METHOD URI HTTP/1.1" STATUS'), registry.log (its own log) and token.log
(one JSON object per token request: path, service, scopes, user, status).

When the registry answers, one line of JSON goes to stdout (and to
DIR/ready.json):
    {"url": "http://127.0.0.1:PORT", "port": PORT, "host": "127.0.0.1:PORT",
     "ca": "DIR/ca.pem" or null, "token_url": "http://127.0.0.1:TP/token" or
     null, "dir": DIR}
then it serves until SIGTERM or SIGINT, or until its parent process exits
(so a crashed test leaves nothing behind); the registry is stopped with it.

--auth basic    htpasswd (bcrypt) with USER:PASS (default roger:s3cret).
--auth token    the registry's auth.token: a token server of ours on
                another loopback port (plain http) issues JWTs signed with
                RS256 by a key whose self-signed certificate is the
                registry's rootcertbundle, carried in the JWT's x5c header.
                Basic credentials to the token server: USER:PASS get every
                action asked for; no credentials get "pull" only with
                --anonymous-pull, else nothing; a wrong password is a 401.
--tls           HTTPS with a certificate for 127.0.0.1 signed by a CA made
                for the run.
--relative-urls Location headers relative (http.relativeurls).
"""

import warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)

import argparse  # noqa: E402
import base64  # noqa: E402
import datetime
import http.server
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import ssl

try:
    import crypt  # bcrypt for htpasswd; deprecated, still in Debian 12
except ImportError:
    crypt = None

SERVICE = "roger-test-registry"
ISSUER = "roger-test-issuer"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(args, cwd):
    with open(os.path.join(cwd, "openssl.log"), "ab") as log:
        subprocess.run(args, cwd=cwd, stdout=log, stderr=log, check=True)


def make_tls(d):
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
         "2", "-subj", "/CN=roger test CA", "-keyout", "ca.key", "-out",
         "ca.pem"], d)
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
         "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
         "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile",
         "san.ext", "-out", "server.pem"], d)


def make_token_key(d):
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
         "2", "-subj", "/CN=roger test token issuer", "-keyout", "token.key",
         "-out", "token.pem"], d)
    der = subprocess.run(["openssl", "x509", "-in", "token.pem", "-outform",
                          "DER"], cwd=d, check=True,
                         stdout=subprocess.PIPE).stdout
    return base64.b64encode(der).decode()


def htpasswd_line(user, password):
    if crypt is not None:
        salt = crypt.mksalt(crypt.METHOD_BLOWFISH)
        return "%s:%s\n" % (user, crypt.crypt(password, salt))
    # Python 3.13 dropped crypt: apache2-utils' htpasswd does bcrypt too.
    return subprocess.run(["htpasswd", "-Bbn", user, password], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip() + "\n"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class TokenHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cfg = self.server.cfg
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        scopes = []
        for s in q.get("scope", []):
            scopes.extend(s.split(" "))
        user, status = None, 200
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                u, p = "", None
            if u == cfg.user and p == cfg.password:
                user = u
            else:
                status = 401
        entry = {"path": url.path, "service": q.get("service", [None])[0],
                 "scopes": scopes, "user": user, "status": status}
        with cfg.lock:
            with open(cfg.token_log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if url.path != "/token":
            self.reply(404, {"details": "no such path"})
            return
        if status == 401:
            self.reply(401, {"details": "wrong user or password"},
                       [("WWW-Authenticate", 'Basic realm="tokens"')])
            return
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1]
            wanted = [a for a in actions.split(",") if a]
            if user:
                granted = wanted
            elif cfg.anonymous_pull:
                granted = [a for a in wanted if a == "pull"]
            else:
                granted = []
            access.append({"type": typ, "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [cfg.x5c]}
        claims = {"iss": ISSUER, "sub": user or "", "aud": SERVICE,
                  "exp": now + 600, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              cfg.token_key], input=signing_input.encode(),
                             stdout=subprocess.PIPE, check=True).stdout
        token = signing_input + "." + b64url(sig)
        issued = datetime.datetime.utcfromtimestamp(now).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        self.reply(200, {"token": token, "access_token": token,
                         "expires_in": cfg.expires, "issued_at": issued})


def write_config(a, d, port, token_port):
    lines = [
        "version: 0.1",
        "log:",
        "  level: info",
        "  fields:",
        "    service: registry",
        "storage:",
        "  filesystem:",
        "    rootdirectory: %s/data" % d,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        "  addr: 127.0.0.1:%d" % port,
        "  secret: roger-test-secret",
    ]
    if a.relative_urls:
        lines.append("  relativeurls: true")
    if a.tls:
        lines += ["  tls:",
                  "    certificate: %s/server.pem" % d,
                  "    key: %s/server.key" % d]
    if a.auth == "basic":
        lines += ["auth:", "  htpasswd:", "    realm: roger-test",
                  "    path: %s/htpasswd" % d]
    elif a.auth == "token":
        lines += ["auth:", "  token:",
                  "    realm: http://127.0.0.1:%d/token" % token_port,
                  "    service: %s" % SERVICE,
                  "    issuer: %s" % ISSUER,
                  "    rootcertbundle: %s/token.pem" % d]
    with open(os.path.join(d, "config.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def wait_ready(url, ca, proc):
    ctx = None
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
    for _ in range(300):
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url + "/v2/", timeout=2, context=ctx)
            return True
        except urllib.error.HTTPError as e:
            if e.code == 401:
                return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--auth", choices=["none", "basic", "token"],
                   default="none")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--user", default="roger")
    p.add_argument("--password", default="s3cret")
    p.add_argument("--anonymous-pull", action="store_true")
    p.add_argument("--relative-urls", action="store_true")
    p.add_argument("--token-expires", type=int, default=300)
    p.add_argument("--registry", default=os.environ.get(
        "DOCKER_REGISTRY", "docker-registry"))
    a = p.parse_args()
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    parent = os.getppid()

    if a.tls:
        make_tls(d)
    token_server = None
    token_port = None
    if a.auth == "basic":
        with open(os.path.join(d, "htpasswd"), "w") as f:
            f.write(htpasswd_line(a.user, a.password))
    elif a.auth == "token":
        x5c = make_token_key(d)
        token_server = TokenServer(("127.0.0.1", 0), TokenHandler)
        token_port = token_server.server_address[1]

        class Cfg:
            pass
        cfg = Cfg()
        cfg.user, cfg.password = a.user, a.password
        cfg.anonymous_pull = a.anonymous_pull
        cfg.expires = a.token_expires
        cfg.token_key = os.path.join(d, "token.key")
        cfg.token_log = os.path.join(d, "token.log")
        cfg.x5c = x5c
        cfg.lock = threading.Lock()
        open(cfg.token_log, "w").close()
        token_server.cfg = cfg
        threading.Thread(target=token_server.serve_forever,
                         daemon=True).start()

    port = free_port()
    write_config(a, d, port, token_port)
    access = open(os.path.join(d, "access.log"), "wb")
    log = open(os.path.join(d, "registry.log"), "wb")
    # The registry reads REGISTRY_* variables as configuration: none of
    # the caller's may change the one written here.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("REGISTRY_")}
    proc = subprocess.Popen([a.registry, "serve",
                             os.path.join(d, "config.yml")],
                            stdout=access, stderr=log,
                            stdin=subprocess.DEVNULL, env=env)
    scheme = "https" if a.tls else "http"
    url = "%s://127.0.0.1:%d" % (scheme, port)
    ca = os.path.join(d, "ca.pem") if a.tls else None

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if not wait_ready(url, ca, proc):
        proc.kill()
        proc.wait()
        sys.stderr.write("registryd: the registry did not start:\n")
        with open(os.path.join(d, "registry.log"), "rb") as f:
            sys.stderr.write(f.read().decode(errors="replace")[-3000:])
        sys.exit(1)
    ready = {"url": url, "port": port, "host": "127.0.0.1:%d" % port,
             "ca": ca, "dir": d,
             "token_url": ("http://127.0.0.1:%d/token" % token_port
                           if token_port else None)}
    with open(os.path.join(d, "ready.json.tmp"), "w") as f:
        json.dump(ready, f)
    os.rename(os.path.join(d, "ready.json.tmp"),
              os.path.join(d, "ready.json"))
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()

    while not stop.is_set():
        if os.getppid() != parent or proc.poll() is not None:
            break
        stop.wait(0.2)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if token_server:
        token_server.shutdown()


if __name__ == "__main__":
    main()
