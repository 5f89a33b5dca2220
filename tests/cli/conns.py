#!/usr/bin/env python3
"""conns.py - many client connections to one server, for the tests of
roger local's limits (t7020).  Loopback only; every mode prints one JSON
line with what it saw, on stdout or in the file given.

  conns.py hold PORT N OUT [--events K] [--post BODY]
      Open K /v2/events streams and N idle connections, write
      {"connected", "streams": {status: count}, "refused", "busy": body of a
      503} to OUT, then keep them open until SIGTERM: a connection the
      server closes is opened again, streams are read as they come.  With
      --post, a POST /v2/apps of BODY is opened first and sent but for its
      last byte, a byte every few seconds; SIGUSR1 sends the rest and
      writes {"status": S, "body": B} to OUT.post.
  conns.py timeout PORT
      An idle connection and an event stream: wait (at most 90 s) until the
      server closes the idle one, check the stream is open, POST an app and
      wait for its api_post_event on the stream.
"""
import json
import os
import resource
import select
import signal
import socket
import sys
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > 1 << 20:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def readable(socks, timeout):
    """The sockets of `socks` with something to read (or closed); poll(2),
    since select(2) cannot take descriptors above 1023."""
    if not socks:
        time.sleep(timeout)
        return []
    p = select.poll()
    by_fd = {}
    for s in socks:
        p.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    try:
        events = p.poll(max(0, timeout) * 1000)
    except InterruptedError:
        return []
    return [by_fd[fd] for fd, _ in events]


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setblocking(False)
    return s


def status_of(data):
    """The status of an HTTP response head, or None when incomplete."""
    if b"\r\n" not in data:
        return None
    parts = data.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 else 0


def body_of(data):
    if b"\r\n\r\n" not in data:
        return ""
    return data.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace")


def read_head(s, deadline):
    """Read until the end of the response head or of the connection."""
    data = b""
    while time.time() < deadline and b"\r\n\r\n" not in data:
        if not readable([s], deadline - time.time()):
            break
        try:
            chunk = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    # The short body of an error (a 503) follows the head at once.
    end = time.time() + 0.5
    while b"\r\n\r\n" in data and status_of(data) != 200 and \
            time.time() < end:
        if not readable([s], 0.1):
            break
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


# roger local's token (lib-local.sh exports it): every request needs it.
AUTH = "Authorization: token=%s\r\n" % os.environ.get("LOCAL_TOKEN", "")
EVENTS_REQ = (b"GET /v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
              AUTH.encode() + b"Accept: text/event-stream\r\n\r\n")


def open_stream(port):
    """An event stream: the socket, the status (None when no answer came
    within 3 seconds, the server being out of connections) and the body
    of an error."""
    s = connect(port)
    s.sendall(EVENTS_REQ)
    data = read_head(s, time.time() + 3)
    return s, status_of(data), body_of(data)


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    os.rename(tmp, path)


def hold(port, n, out, events, post):
    raise_nofile()
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    send_rest = []
    signal.signal(signal.SIGUSR1, lambda *a: send_rest.append(1))

    post_sock = None
    post_left = b""
    if post is not None:
        body = post.encode() + b" " * 64
        head = ("POST /v2/apps HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH +
                "Content-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        post_sock = connect(port)
        post_sock.sendall(head + body[:-16])
        post_left = body[-16:]

    # Streams first: beyond the server's last connection, a new one
    # waits in the kernel's queue and would never see its answer.
    refused = 0
    streams = []
    counts = {}
    busy = ""
    for _ in range(events):
        try:
            s, st, body = open_stream(port)
        except OSError:
            refused += 1
            continue
        counts[str(st)] = counts.get(str(st), 0) + 1
        if st == 200:
            streams.append(s)
        else:
            busy = busy or body
            s.close()
    idle = []
    for i in range(n):
        try:
            idle.append(connect(port, 2))
        except OSError:
            # The kernel's queue is full: so would it be for the rest.
            refused += n - i
            break
    write_json(out, {"connected": len(idle), "streams": counts,
                     "refused": refused, "busy": busy})

    last_byte = time.time()
    while not stop:
        if send_rest and post_sock is not None:
            post_sock.setblocking(True)
            post_sock.sendall(post_left)
            data = read_head(post_sock, time.time() + 30)
            write_json(out + ".post", {"status": status_of(data),
                                       "body": body_of(data)})
            post_sock.close()
            post_sock = None
        if post_sock is not None and time.time() - last_byte > 5 and \
                len(post_left) > 1:
            # Not idle: the server's idle timeout must not end it.
            post_sock.sendall(post_left[:1])
            post_left = post_left[1:]
            last_byte = time.time()
        for s in readable(idle + streams, 0.5):
            try:
                chunk = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if chunk:
                continue
            # Closed by the server (its idle timeout): open another.
            s.close()
            if s in idle:
                idle.remove(s)
                try:
                    idle.append(connect(port, 2))
                except OSError:
                    pass
            else:
                streams.remove(s)
    for s in idle + streams:
        s.close()


def timeout(port):
    import http.client
    idle = connect(port)
    stream, st, _ = open_stream(port)
    if st != 200:
        print(json.dumps({"error": "stream answered %s" % st}))
        return 1
    got = b""
    start = time.time()
    idle_closed = None
    while time.time() - start < 90 and idle_closed is None:
        for s in readable([idle, stream], 1):
            try:
                chunk = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if s is idle and not chunk:
                idle_closed = time.time() - start
            elif s is stream:
                if not chunk:
                    print(json.dumps({"error": "the stream was closed"}))
                    return 1
                got += chunk
    if idle_closed is None:
        print(json.dumps({"error": "the idle connection is still open"}))
        return 1
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/v2/apps",
              body='{"id":"/after-timeout","cmd":"true","instances":0}',
              headers={"Content-Type": "application/json",
                       "Authorization": "token=" + os.environ.get("LOCAL_TOKEN", "")})
    posted = c.getresponse().status
    seen = False
    end = time.time() + 30
    while time.time() < end and not seen:
        if readable([stream], 1):
            chunk = stream.recv(65536)
            if not chunk:
                break
            got += chunk
            seen = b"event: api_post_event" in got
    print(json.dumps({"idle_closed_after": round(idle_closed),
                      "stream_bytes": len(got), "posted": posted,
                      "event_seen": seen}))
    return 0 if seen and posted == 201 else 1


def main(argv):
    if len(argv) >= 5 and argv[1] == "hold":
        events = 0
        post = None
        rest = argv[5:]
        while rest:
            if rest[0] == "--events":
                events = int(rest[1])
            elif rest[0] == "--post":
                post = rest[1]
            else:
                sys.stderr.write("conns.py: unknown option %s\n" % rest[0])
                return 2
            rest = rest[2:]
        hold(int(argv[2]), int(argv[3]), argv[4], events, post)
        return 0
    if len(argv) == 3 and argv[1] == "timeout":
        return timeout(int(argv[2]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
