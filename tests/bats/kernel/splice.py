#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""splice() to and from a crfs image file (060-restore.bats).

  splice.py out IMAGE FILE   the checkpoint, spliced from IMAGE into a pipe
                             and from the pipe into FILE, until the end
  splice.py in FILE IMAGE    FILE spliced into a pipe and from it into IMAGE
                             (a restore); the errno of a failed splice is
                             the exit status, its name on stderr
  splice.py park CT FILE PID CT/image spliced whole into pipes that are
                             not read (64 KiB each), image closed; CT
                             thawed ("thaw: ERRNO", 0 for none), the top
                             page of PID's stack (in the image: its args
                             and environment) overwritten through
                             /proc/PID/mem ("poked: ADDR"); then the pipes
                             read in order into FILE ("read: N bytes")
"""
import errno
import os
import sys

CHUNK = 1 << 20


def splice_all(src, dst):
    """src to dst through a pipe, with splice() only; bytes moved."""
    r, w = os.pipe()
    total = 0
    try:
        while True:
            n = os.splice(src, w, CHUNK)
            if n == 0:
                return total
            while n:
                m = os.splice(r, dst, n)
                n -= m
                total += m
    finally:
        os.close(r)
        os.close(w)


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attempt(what, fn):
    try:
        fd = fn()
        if isinstance(fd, int) and fd >= 0 and what == "reopen":
            os.close(fd)
        return "0"
    except OSError as e:
        return errname(e)


def main():
    mode, a, b = sys.argv[1:4]
    if mode == "out":
        src = os.open(a, os.O_RDONLY)
        dst = os.open(b, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        splice_all(src, dst)
        os.close(dst)
        os.close(src)
        return 0
    if mode == "in":
        src = os.open(a, os.O_RDONLY)
        dst = os.open(b, os.O_WRONLY)
        try:
            splice_all(src, dst)
            os.close(dst)
        except OSError as e:
            print(errname(e), file=sys.stderr)
            return e.errno
        return 0
    if mode == "park":
        image, state = (os.path.join(a, f) for f in ("image", "state"))
        src = os.open(image, os.O_RDONLY)
        pipes = []
        while True:
            r, w = os.pipe()
            n = os.splice(src, w, CHUNK)
            os.close(w)
            if n == 0:
                os.close(r)
                break
            pipes.append(r)
        os.close(src)
        st = os.open(state, os.O_WRONLY)
        print("thaw: " + attempt("thaw", lambda: os.write(st, b"thaw")))
        os.close(st)
        pid = sys.argv[4]
        with open("/proc/%s/maps" % pid) as f:
            end = next(int(l.split()[0].split("-")[1], 16)
                       for l in f if l.rstrip().endswith("[stack]"))
        fd = os.open("/proc/%s/mem" % pid, os.O_RDWR)
        os.pwrite(fd, b"\xa5" * 4096, end - 4096)
        os.close(fd)
        print("poked: %x" % (end - 4096))
        total = 0
        with open(b, "wb") as f:
            for r in pipes:
                while True:
                    chunk = os.read(r, CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    total += len(chunk)
                os.close(r)
        print("read: %d bytes" % total)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
