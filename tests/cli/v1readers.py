#!/usr/bin/env python3
"""v1readers.py TASK CMD [DELAY] - two readers of one session of roger local.

Launches CMD (through /bin/sh -c) in a nested container session of TASK,
attaches a second reader with ATTACH_CONTAINER_OUTPUT, then sends "go" and
the end of the input, so that CMD can wait (`read go`) until both readers
are there.  The second reader starts reading DELAY seconds later (default
0), so that the server holds the output for it meanwhile.  Prints one line
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


def main():
    task, cmd = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
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

    def stream(call):
        c = conn()
        headers = dict(auth)
        headers.update({"Content-Type": "application/json",
                        "Accept": "application/recordio",
                        "Message-Accept": "application/json"})
        c.request("POST", "/api/v1", body=json.dumps(call), headers=headers)
        r = c.getresponse()
        if r.status != 200:
            sys.exit("v1readers: %s: %d %s" % (call["type"], r.status,
                                                r.read()))
        return r

    first = stream({"type": "LAUNCH_NESTED_CONTAINER_SESSION",
                    "launch_nested_container_session": {
                        "container_id": cid,
                        "command": {"shell": True, "value": cmd}}})
    second = stream({"type": "ATTACH_CONTAINER_OUTPUT",
                     "attach_container_output": {"container_id": cid}})
    results = [None, None]

    def collect(i, r, wait):
        time.sleep(wait)
        h, n = hashlib.sha256(), 0
        while True:
            line = r.readline()
            if not line:
                break
            rec = json.loads(r.read(int(line)))
            data = rec.get("data", {})
            if rec.get("type") == "DATA" and data.get("type") == "STDOUT":
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
