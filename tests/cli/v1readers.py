#!/usr/bin/env python3
"""v1readers.py TASK CMD [DELAY [FORMAT FORMAT]] - two readers of one
session of roger local.

Launches CMD (through /bin/sh -c) in a nested container session of TASK,
attaches a second reader with ATTACH_CONTAINER_OUTPUT, then sends "go" and
the end of the input, so that CMD can wait (`read go`) until both readers
are there.  The second reader starts reading DELAY seconds later (default
0), so that the server holds the output for it meanwhile.  Each FORMAT,
"json" (the default) or "protobuf", is the Message-Accept of one reader,
the launching one first; the reader checks that the reply's
Message-Content-Type says it and decodes its records.  Prints one line
per reader, the launching one first: the count of stdout bytes and their
sha256.  LOCAL_URL and LOCAL_TOKEN name the server (lib-local.sh).
"""
import base64
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid


MEDIA = {"json": "application/json", "protobuf": "application/x-protobuf"}


def pb_fields(b):
    """The fields of a protobuf message: (number, value) pairs, a varint's
    value as an int, a length-delimited one's as bytes."""
    i, out = 0, []

    def varint():
        nonlocal i
        v, shift = 0, 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7f) << shift
            shift += 7
            if not c & 0x80:
                return v
    while i < len(b):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        elif key & 7 == 2:
            n = varint()
            out.append((key >> 3, b[i:i + n]))
            i += n
        else:
            sys.exit("v1readers: wire type %d in a ProcessIO" % (key & 7))
    return out


def stdout_pb(raw):
    """The STDOUT bytes of a protobuf ProcessIO (b"" for anything else)."""
    top = dict(pb_fields(raw))
    if top.get(1) != 1:  # DATA
        return b""
    data = dict(pb_fields(top.get(2, b"")))
    return data.get(2, b"") if data.get(1) == 2 else b""


def main():
    task, cmd = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    formats = sys.argv[4:6] if len(sys.argv) > 5 else ["json", "json"]
    url = urllib.parse.urlsplit(os.environ["LOCAL_URL"])
    auth = {"Authorization": "token=" + os.environ["LOCAL_TOKEN"]}

    def conn():
        return http.client.HTTPConnection(url.hostname, url.port, timeout=300)

    c = conn()
    c.request("GET", "/master/state", headers=auth)
    state = json.loads(c.getresponse().read())
    parent = None
    for fw in state["frameworks"]:
        for t in fw["tasks"]:
            if t["id"] != task:
                continue
            for st in t.get("statuses", []):
                cid = st.get("container_status", {}).get("container_id")
                if cid:
                    parent = cid["value"]
    if not parent:
        sys.exit("v1readers: no container for task %s" % task)
    cid = {"parent": {"value": parent}, "value": str(uuid.uuid4())}

    def stream(call, fmt):
        c = conn()
        headers = dict(auth)
        media = MEDIA[fmt]
        headers.update({"Content-Type": "application/json",
                        "Accept": "application/recordio",
                        "Message-Accept": media})
        c.request("POST", "/api/v1", body=json.dumps(call), headers=headers)
        r = c.getresponse()
        if r.status != 200:
            sys.exit("v1readers: %s: %d %s" % (call["type"], r.status,
                                                r.read()))
        if r.getheader("Message-Content-Type") != media:
            sys.exit("v1readers: %s: Message-Content-Type %s, not %s" %
                     (call["type"], r.getheader("Message-Content-Type"),
                      media))
        return r

    first = stream({"type": "LAUNCH_NESTED_CONTAINER_SESSION",
                    "launch_nested_container_session": {
                        "container_id": cid,
                        "command": {"shell": True, "value": cmd}}},
                   formats[0])
    second = stream({"type": "ATTACH_CONTAINER_OUTPUT",
                     "attach_container_output": {"container_id": cid}},
                    formats[1])
    results = [None, None]

    def collect(i, r, wait):
        pb = formats[i] == "protobuf"
        time.sleep(wait)
        h, n = hashlib.sha256(), 0
        while True:
            line = r.readline()
            if not line:
                break
            raw = r.read(int(line))
            if pb:
                d = stdout_pb(raw)
            else:
                rec = json.loads(raw)
                data = rec.get("data", {})
                d = b""
                if rec.get("type") == "DATA" and \
                        data.get("type") == "STDOUT":
                    d = base64.b64decode(data.get("data", ""))
            h.update(d)
            n += len(d)
        results[i] = "%d %s" % (n, h.hexdigest())

    threads = [threading.Thread(target=collect, args=(0, first, 0.0)),
               threading.Thread(target=collect, args=(1, second, delay))]
    for t in threads:
        t.start()

    def record(obj):
        b = json.dumps(obj).encode()
        return str(len(b)).encode() + b"\n" + b

    def stdin(data):
        return record({"type": "ATTACH_CONTAINER_INPUT",
                       "attach_container_input": {
                           "type": "PROCESS_IO",
                           "process_io": {"type": "DATA", "data": {
                               "type": "STDIN",
                               "data": base64.b64encode(data).decode()}}}})

    body = record({"type": "ATTACH_CONTAINER_INPUT",
                   "attach_container_input": {"type": "CONTAINER_ID",
                                              "container_id": cid}})
    body += stdin(b"go\n") + stdin(b"")
    c = conn()
    headers = dict(auth)
    headers.update({"Content-Type": "application/recordio",
                    "Message-Content-Type": "application/json",
                    "Accept": "application/json"})
    c.request("POST", "/api/v1", body=body, headers=headers)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("v1readers: input: %d" % r.status)
    for t in threads:
        t.join()
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
