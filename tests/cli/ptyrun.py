#!/usr/bin/env python3
"""ptyrun.py - run a command on a pseudo-terminal of its own and drive it,
for the CLI tests of what roger does on a terminal (exec -t, top).

USAGE
    python3 ptyrun.py [--rows N] [--cols N] [--timeout S] [STEP ...] -- CMD ARG...

The command runs as the leader of a new session whose controlling
terminal is the slave side of a new pty of ROWS x COLS (default 24 x 80),
standard input, output and error all on it.  The steps run in order:
    expect:TEXT     wait until the output so far contains TEXT
    send:TEXT       write TEXT to the terminal (\\n, \\r, \\x04... escapes)
    resize:R:C      set the window size to R rows, C columns (the kernel
                    sends SIGWINCH to the terminal's foreground group)
    sleep:S         wait S seconds
Then it waits for the command to exit and prints one JSON object:
    {"status": exit status (128+N for signal N), "restored": whether the
     terminal's modes are those it had before the command ran,
     "output": everything the command wrote, with \\r dropped}
An `expect` that times out prints the same object with "status": null and
"timeout": the text, and exits 1 (the command is killed).
"""
import argparse
import codecs
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("steps", nargs="*")
    argv = sys.argv[1:]
    if "--" not in argv:
        ap.error("no command after --")
    cut = argv.index("--")
    args = ap.parse_args(argv[:cut])
    cmd = argv[cut + 1:]

    master, slave = os.openpty()
    set_size(slave, args.rows, args.cols)
    before = termios.tcgetattr(slave)

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=child_setup, close_fds=True)
    out = bytearray()

    def pump(wait):
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            out.extend(data)
            return bool(data)
        return False

    result = {"status": None}
    for step in args.steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            deadline = time.time() + args.timeout
            want = codecs.decode(arg, "unicode_escape").encode()
            while want not in out.replace(b"\r", b""):
                if time.time() > deadline or (proc.poll() is not None
                                              and not pump(0.1)):
                    proc.kill()
                    proc.wait()
                    result["timeout"] = arg
                    result["output"] = out.replace(b"\r", b"").decode(
                        "utf-8", "replace")
                    print(json.dumps(result))
                    return 1
                pump(0.1)
        elif kind == "send":
            os.write(master, codecs.decode(arg, "unicode_escape").encode())
        elif kind == "resize":
            rows, _, cols = arg.partition(":")
            set_size(master, int(rows), int(cols))
        elif kind == "sleep":
            end = time.time() + float(arg)
            while time.time() < end:
                pump(0.05)
        else:
            ap.error("unknown step " + step)
    deadline = time.time() + args.timeout
    while proc.poll() is None and time.time() < deadline:
        pump(0.05)
    if proc.poll() is None:
        proc.kill()
    status = proc.wait()
    while pump(0.05):
        pass
    after = termios.tcgetattr(slave)
    result["status"] = 128 - status if status < 0 else status
    result["restored"] = before == after
    result["output"] = out.replace(b"\r", b"").decode("utf-8", "replace")
    print(json.dumps(result))
    os.close(master)
    os.close(slave)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
