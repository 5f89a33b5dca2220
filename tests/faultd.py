#!/usr/bin/env python3
"""faultd.py - a scripted HTTP/1.1 server that misbehaves on cue, for the
tests of roger's HTTP layer and of what is built on it (deploy, logs).
Python 3 standard library only.

USAGE
    python3 faultd.py --script FILE [--log FILE] [--port-file FILE]
                      [--tls-cert PEM --tls-key KEY]

It listens on 127.0.0.1 on a free port, prints "port N" on stdout (one line,
flushed) and writes N to --port-file (atomically), then serves until it gets
SIGTERM or SIGINT, or its parent process exits (so a crashed test leaves
nothing behind).  With --tls-cert and --tls-key it speaks HTTPS (a client
that refuses the certificate is just dropped).  Every request it receives is appended to the --log file as
one JSON object per line, before the reply:
    {"seq": 1, "conn": 1, "method": "PUT", "path": "/v2/apps/x?force=true",
     "headers": [["Host", "127.0.0.1:4242"], ...],
     "h": {"host": "127.0.0.1:4242", ...},      (lower-case names, last wins)
     "body": "...", "body_len": 12, "body_read": true, "rule": 0}
("body" is the body decoded as UTF-8 with replacement characters; a chunked
upload is decoded; "body_read" is false when the rule answered before
reading it; "rule" is the index of the rule that answered, -1 the default).

SCRIPT (JSON)
    {"responses": [RULE, ...], "default": RULE}
or just the list [RULE, ...].  For each request the first rule whose "match"
fits and that is not used up answers it.  Without one, "default" answers
(404 {"message":"faultd: no rule for METHOD PATH"} unless given).

RULE keys (all optional):
    match       "METHOD GLOB": fnmatch on the path with its query string;
                "GET /v2/apps/*", "* /ping", "*" (the default: anything).
    times       how many requests the rule answers before it is used up
                (default 1; 0 = forever).
    status      default 200.          reason   the reason phrase.
    headers     {"Name": "value"}; "{port}" and "{host}" in values are
                replaced by the server's own port and host.
    json        a JSON value: the body, as application/json.
    body        a string: the body as is (text/plain unless headers say).
    body_file   a file whose bytes are the body.
    html        true: a Jetty-style HTML error page for the status (like
                Marathon's 401 and 502 pages); "message" sets its reason.
    delay       seconds to wait before sending the status line.
    body_delay  seconds to pause in the middle of the body, after
                "body_delay_after" bytes (default: half of it).
    close_after send only the first N bytes of the body, then close the
                connection (Content-Length still says the whole length).
    no_length   true: no Content-Length, the body ends when the connection
                closes (as Marathon's event stream).
    reset       true: read the request, then reset the connection (RST)
                without a reply.
    reset_before_body  true: read only the request head, then reset.
    reset_after_body   N: read only the first N bytes of the request
                body (after a 100 Continue, when asked), then reset: an
                upload cut in the middle.
    proxy       "http://HOST:PORT": forward the request (method, path,
                headers less the hop-by-hop ones, body) to that server and
                relay its reply (status, headers, body) as is.
    close       true: read the request, then close without a reply.
    expect      "reject": to a request with "Expect: 100-continue", reply
                at once without reading the body (default: 100 Continue).
    chunk       write the reply in pieces of N bytes, flushing each.
    sse         a list of EVENT: serve an event stream (200,
                text/event-stream;charset=UTF-8, Connection: close, no
                length).  The request must have "Accept: text/event-stream"
                exactly, else 405 with an HTML page, as Marathon does.
                EVENT is {"event": TYPE, "data": VALUE} (VALUE: JSON, or a
                string sent as is), {"heartbeat": true} (a bare CRLF),
                {"sleep": SECONDS} or {"raw": "bytes"}.  Lines end in CRLF.
    sse_end     after the events: "close" (default), "hang" (send nothing
                until the client leaves) or "reset".

SCRIPT (simple lines), when the file does not start with '{' or '[':
    # comment
    METHOD GLOB STATUS [times=N] [delay=S] [html] [type=CONTENT-TYPE] [:: BODY]
    METHOD GLOB reset|close [times=N]
e.g. "GET /v2/apps/* 503 times=2 html" then "GET /v2/apps/* 200 :: {}".
"""

import argparse
import fnmatch
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted",
    204: "No Content", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Entity",
    500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
    507: "Insufficient Storage",
}


class Hangup(Exception):
    """The client went away or the rule ended the connection."""


def parse_lines(text):
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        body = None
        if " :: " in line:
            line, body = line.split(" :: ", 1)
        words = line.split()
        if len(words) < 3:
            raise ValueError("bad script line: %r" % raw)
        rule = {"match": words[0] + " " + words[1]}
        action = words[2]
        if action in ("reset", "close"):
            rule[action] = True
        else:
            rule["status"] = int(action)
        for w in words[3:]:
            if w == "html":
                rule["html"] = True
            elif w.startswith("times="):
                rule["times"] = int(w[6:])
            elif w.startswith("delay="):
                rule["delay"] = float(w[6:])
            elif w.startswith("type="):
                rule.setdefault("headers", {})["Content-Type"] = w[5:]
            else:
                raise ValueError("bad option %r in line: %r" % (w, raw))
        if body is not None:
            rule["body"] = body
        rules.append(rule)
    return {"responses": rules}


def load_script(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("[") or stripped.startswith("{"):
        doc = json.loads(text)
        if isinstance(doc, list):
            doc = {"responses": doc}
        return doc
    return parse_lines(text)


class Script:
    def __init__(self, doc):
        self.rules = doc.get("responses", [])
        self.default = doc.get("default") or {
            "status": 404, "json": None}
        self.used = [0] * len(self.rules)
        self.lock = threading.Lock()

    def pick(self, method, path):
        with self.lock:
            for i, rule in enumerate(self.rules):
                times = rule.get("times", 1)
                if times and self.used[i] >= times:
                    continue
                if not matches(rule.get("match", "*"), method, path):
                    continue
                self.used[i] += 1
                return i, rule
        rule = dict(self.default)
        if "json" in rule and rule["json"] is None:
            rule["json"] = {"message": "faultd: no rule for %s %s" %
                            (method, path)}
        return -1, rule


def matches(pattern, method, path):
    parts = pattern.split(None, 1)
    if len(parts) == 1:
        return fnmatch.fnmatchcase(path, parts[0]) or parts[0] == "*"
    m, glob = parts
    if m != "*" and m.upper() != method.upper():
        return False
    return fnmatch.fnmatchcase(path, glob)


class Log:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.seq = 0
        if path:
            open(path, "w").close()

    def write(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry) + "\n")
                    f.flush()


def html_page(status, message, path):
    reason = message or REASONS.get(status, "Error")
    return ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" "
            "content=\"text/html;charset=utf-8\"/>\n"
            "<title>Error %d %s</title>\n</head>\n"
            "<body><h2>HTTP ERROR %d</h2>\n<p>Problem accessing %s. "
            "Reason:\n<pre>    %s</pre></p><hr>"
            "<a href=\"http://eclipse.org/jetty\">Powered by Jetty:// "
            "9.4.z-SNAPSHOT</a><hr/>\n</body>\n</html>\n"
            % (status, reason, status, path, reason)).encode()


class Handler(socketserver.BaseRequestHandler):
    conn_seq = 0
    conn_lock = threading.Lock()

    def setup(self):
        with Handler.conn_lock:
            Handler.conn_seq += 1
            self.conn_id = Handler.conn_seq
        self.sock = self.request
        self.rfile = None

    def handle(self):
        try:
            if self.server.tls:
                self.sock = self.server.tls.wrap_socket(self.sock,
                                                        server_side=True)
            self.rfile = self.sock.makefile("rb")
            while self.one_request():
                pass
        except (Hangup, ConnectionError, BrokenPipeError, OSError):
            pass

    def finish(self):
        try:
            if self.rfile:
                self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    # -- reading -----------------------------------------------------------
    def read_head(self):
        line = self.rfile.readline(65537)
        if not line:
            return None
        while line in (b"\r\n", b"\n"):
            line = self.rfile.readline(65537)
            if not line:
                return None
        parts = line.decode("latin-1").rstrip("\r\n").split()
        if len(parts) != 3:
            raise Hangup()
        headers = []
        while True:
            h = self.rfile.readline(65537)
            if not h:
                raise Hangup()
            h = h.decode("latin-1").rstrip("\r\n")
            if not h:
                break
            name, _, value = h.partition(":")
            headers.append([name.strip(), value.strip()])
        return parts[0], parts[1], parts[2], headers

    def read_body(self, h):
        if h.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size_line = self.rfile.readline(1024)
                if not size_line:
                    raise Hangup()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    return out
                out += self.read_exact(size)
                self.rfile.readline(1024)
        n = int(h.get("content-length", "0") or 0)
        return self.read_exact(n)

    def read_exact(self, n):
        data = self.rfile.read(n) if n else b""
        if len(data) != n:
            raise Hangup()
        return data

    # -- writing -----------------------------------------------------------
    def send(self, data, chunk=0):
        if not chunk:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            time.sleep(0.001)

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.sock.close()
        raise Hangup()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        raise Hangup()

    def subst(self, s):
        host, port = self.server.server_address[:2]
        return s.replace("{port}", str(port)).replace("{host}", host)

    # -- one exchange ------------------------------------------------------
    def one_request(self):
        head = self.read_head()
        if head is None:
            return False
        method, path, version, headers = head
        h = {}
        for name, value in headers:
            h[name.lower()] = value
        index, rule = self.server.script.pick(method, path)
        entry = {"conn": self.conn_id, "method": method, "path": path,
                 "version": version, "headers": headers, "h": h,
                 "rule": index, "body": "", "body_len": 0,
                 "body_read": False}
        has_body = ("content-length" in h and h["content-length"] != "0") \
            or h.get("transfer-encoding", "").lower() == "chunked"
        expects = h.get("expect", "").lower() == "100-continue"
        if rule.get("reset_before_body"):
            self.server.log.write(entry)
            self.reset()
        if has_body and expects and rule.get("expect") == "reject":
            self.server.log.write(entry)
            self.reply(rule, method, path, h, keep_alive=False)
            self.close()
        if has_body and expects:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if rule.get("reset_after_body") is not None:
            part = self.rfile.read(int(rule["reset_after_body"]))
            entry.update(body_len=len(part))
            self.server.log.write(entry)
            self.reset()
        body = self.read_body(h) if has_body else b""
        entry.update(body=body.decode("utf-8", "replace"),
                     body_len=len(body), body_read=True)
        self.server.log.write(entry)
        if rule.get("reset"):
            self.reset()
        if rule.get("close"):
            self.close()
        keep = h.get("connection", "").lower() != "close" and \
            version == "HTTP/1.1"
        if rule.get("proxy"):
            return self.proxy(rule["proxy"], method, path, headers, body,
                              keep)
        return self.reply(rule, method, path, h, keep_alive=keep)

    HOP = ("connection", "keep-alive", "expect", "transfer-encoding",
           "te", "trailer", "upgrade", "proxy-connection")

    def proxy(self, upstream, method, path, headers, body, keep_alive):
        import http.client
        import urllib.parse
        u = urllib.parse.urlsplit(upstream)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        fwd = {}
        for name, value in headers:
            if name.lower() not in self.HOP and name.lower() != "host":
                fwd[name] = value
        fwd["Content-Length"] = str(len(body))
        conn.request(method, path, body=body if body else None,
                     headers=fwd)
        r = conn.getresponse()
        data = r.read()
        out = "HTTP/1.1 %d %s\r\n" % (r.status, r.reason)
        for name, value in r.getheaders():
            if name.lower() in self.HOP or name.lower() == "content-length":
                continue
            out += "%s: %s\r\n" % (name, value)
        length = r.getheader("Content-Length")
        if method.upper() == "HEAD":
            out += "Content-Length: %s\r\n" % (length or "0")
            data = b""
        else:
            out += "Content-Length: %d\r\n" % len(data)
        if not keep_alive:
            out += "Connection: close\r\n"
        conn.close()
        self.send(out.encode("latin-1") + b"\r\n" + data)
        if not keep_alive:
            self.close()
        return True

    def reply(self, rule, method, path, h, keep_alive):
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        if "sse" in rule:
            return self.reply_sse(rule, path, h)
        status = int(rule.get("status", 200))
        reason = rule.get("reason", REASONS.get(status, "Unknown"))
        headers = {}
        if rule.get("html"):
            body = html_page(status, rule.get("message"), path)
            headers["Content-Type"] = "text/html;charset=iso-8859-1"
        elif "json" in rule:
            body = json.dumps(rule["json"]).encode()
            headers["Content-Type"] = "application/json"
        elif "body_file" in rule:
            with open(rule["body_file"], "rb") as f:
                body = f.read()
        elif "body" in rule:
            body = self.subst(rule["body"]).encode()
            headers["Content-Type"] = "text/plain"
        else:
            body = b""
        for name, value in rule.get("headers", {}).items():
            headers[name] = self.subst(str(value))
        if method.upper() == "HEAD":
            send_body = b""
        else:
            send_body = body
        close_after = rule.get("close_after")
        no_length = rule.get("no_length")
        if close_after is not None or no_length:
            keep_alive = False
        if not no_length:
            headers.setdefault("Content-Length", str(len(body)))
        if not keep_alive:
            headers["Connection"] = "close"
        out = "HTTP/1.1 %d %s\r\n" % (status, reason)
        for name, value in headers.items():
            out += "%s: %s\r\n" % (name, value)
        out += "\r\n"
        chunk = int(rule.get("chunk", 0))
        self.send(out.encode("latin-1"), chunk)
        if close_after is not None:
            send_body = send_body[:int(close_after)]
        if rule.get("body_delay"):
            cut = int(rule.get("body_delay_after", len(send_body) // 2))
            self.send(send_body[:cut], chunk)
            time.sleep(float(rule["body_delay"]))
            send_body = send_body[cut:]
        self.send(send_body, chunk)
        if not keep_alive:
            self.close()
        return True

    def reply_sse(self, rule, path, h):
        if h.get("accept") != "text/event-stream":
            body = html_page(405, "HTTP method GET is not supported by "
                             "this URL", path)
            self.send(("HTTP/1.1 405 Method Not Allowed\r\n"
                       "Content-Type: text/html;charset=iso-8859-1\r\n"
                       "Content-Length: %d\r\nConnection: close\r\n\r\n"
                       % len(body)).encode() + body)
            self.close()
        chunk = int(rule.get("chunk", 0))
        self.send(b"HTTP/1.1 200 OK\r\n"
                  b"Content-Type: text/event-stream;charset=UTF-8\r\n"
                  b"Connection: close\r\n\r\n")
        for ev in rule["sse"]:
            if "sleep" in ev:
                time.sleep(float(ev["sleep"]))
            elif ev.get("heartbeat"):
                self.send(b"\r\n", chunk)
            elif "raw" in ev:
                self.send(ev["raw"].encode(), chunk)
            else:
                data = ev.get("data", "")
                if not isinstance(data, str):
                    data = json.dumps(data, separators=(",", ":"))
                self.send(("event: %s\r\ndata: %s\r\n\r\n" %
                           (ev.get("event", "message"), data)).encode(),
                          chunk)
        end = rule.get("sse_end", "close")
        if end == "reset":
            self.reset()
        if end == "hang":
            self.sock.settimeout(0.2)
            while True:
                try:
                    if not self.sock.recv(4096):
                        break
                except socket.timeout:
                    continue
        self.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch_parent(ppid):
    while True:
        time.sleep(0.2)
        if os.getppid() != ppid:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(description="scripted HTTP fault server")
    ap.add_argument("--script", required=True)
    ap.add_argument("--log")
    ap.add_argument("--port-file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.tls = None
    if args.tls_cert:
        import ssl
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
    server.script = Script(load_script(args.script))
    server.log = Log(args.log)
    port = server.server_address[1]

    def stop(signum, frame):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=watch_parent, args=(os.getppid(),),
                     daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("port %d\n" % port)
    sys.stdout.flush()
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
