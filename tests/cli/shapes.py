#!/usr/bin/env python3
"""shapes.py - the CLI tests' helpers for repositories of awkward shapes.

  shapes.py make DIR      fill DIR with files whose names, sizes, modes and
                          links probe the corners of the tar format: names
                          of exactly 100 bytes, long names and link targets,
                          decomposed and composed Unicode, quotes, tabs,
                          backslashes, sizes around the 512-byte block,
                          deep nesting, a large directory
  shapes.py same A B      compare two tar files (any compression): the same
                          paths, types, modes, link targets and bytes;
                          differences go to stderr, exit status 1
"""
import os
import sys
import tarfile


def make(root):
    def w(p, data=b"x\n", mode=0o644):
        p = os.path.join(root, p)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)

    def ln(p, target):
        p = os.path.join(root, p)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)

    w("roger.json", b'{ "version": 1, "app": "shapes" }\n')
    for name in ["-leading-dash", 'quo"te', "back\\slash", "tab\there",
                 "hash#star*", "caf\u00e9", "cafe\u0301", "rocket-\U0001F680",
                 "sp ace/in dir/f"]:
        w("names/" + name)
    w("n" * 100)
    w("d" * 155 + "/" + "f" * 99)
    w("x" * 200 + "/" + "y" * 200)
    w("/".join("deep%d" % i for i in range(30)) + "/leaf")
    for size in (0, 1, 511, 512, 513, 10240, (1 << 20) + 1):
        w("sizes/s%d" % size, bytes((i * 31 + size) % 251 for i in range(size)))
    w("sizes/zeros", b"\0" * 4096)
    w("bin/tool", b"#!/bin/sh\necho tool\n", 0o755)
    w("a/b/c/run.sh", b"#!/bin/sh\n", 0o755)
    w("a/b/c/plain", b"plain\n")
    ln("links/to-dir", "../a/b")
    ln("links/absolute", "/etc/hostname")
    ln("links/dangling", "no/such/file")
    ln("links/long", "t" * 150 + "/" + "u" * 100)
    ln("links/decomposed", "cafe\u0301")
    for i in range(1500):
        w("many/f%04d.txt" % i, b"%d\n" % i)
    for name in ("a-b", "a.b", "a0", "a/z"):
        w(name, b"order\n")


def listing(path):
    out = {}
    with tarfile.open(path, encoding="utf-8", errors="surrogateescape") as t:
        for m in t:
            if m.type in (tarfile.XGLTYPE, tarfile.XHDTYPE):
                continue
            data = t.extractfile(m).read() if m.isreg() else None
            out[m.name.rstrip("/")] = (m.type, 0 if m.issym() else m.mode,
                                       m.linkname if m.issym() else None, data)
    return out


def same(a, b):
    x, y = listing(a), listing(b)
    bad = [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
    for k in bad[:10]:
        print("differs: %s: %s | %s" % (ascii(k), ascii(x.get(k))[:80],
                                        ascii(y.get(k))[:80]), file=sys.stderr)
    return 1 if bad or not x else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "same":
        sys.exit(same(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
