#!/usr/bin/env python3
"""load.py - a load loop for the router's tests: GET requests one after the
other, without pause, each on a new connection, until a stop file appears.

    load.py URL STOPFILE OUT [HOST]

URL is http://127.0.0.1:PORT/PATH; HOST, when given, is sent as the Host
header (to reach an app by name through the router's front).  OUT gets one
line per answer: "ok <body>" for a 200, "fail <why>" otherwise; the loop
writes OUT.done when it has stopped.
"""
import http.client
import os
import sys
import urllib.parse


def main():
    url, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
    host = sys.argv[4] if len(sys.argv) > 4 else None
    u = urllib.parse.urlsplit(url)
    with open(out, "w", buffering=1) as f:
        while not os.path.exists(stop):
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            try:
                headers = {"Host": host} if host else {}
                c.request("GET", u.path or "/", headers=headers)
                r = c.getresponse()
                body = r.read().decode("utf-8", "replace").strip()
                if r.status == 200:
                    f.write("ok %s\n" % body)
                else:
                    f.write("fail %d %s\n" % (r.status, body))
            except Exception as e:  # every failure counts: print it
                f.write("fail %s\n" % repr(e))
            finally:
                c.close()
    open(out + ".done", "w").close()


main()
