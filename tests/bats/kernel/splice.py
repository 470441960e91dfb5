#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""splice() to and from a crfs image file (060-restore.bats).

  splice.py out IMAGE FILE   the checkpoint, spliced from IMAGE into a pipe
                             and from the pipe into FILE, until the end
  splice.py in FILE IMAGE    FILE spliced into a pipe and from it into IMAGE
                             (a restore); the errno of a failed splice is
                             the exit status, its name on stderr
  splice.py hold CT FILE     one splice() of CT/image into a pipe that is
                             not read; image closed; then, one line each:
                             "thaw: ERRNO" and "reopen: ERRNO" (0 or the
                             name of the error of a write of thaw to
                             CT/state, of an open of CT/image), the error
                             file after each, CT/state after the thaw;
                             then the pipe is read into FILE and closed
                             ("read: N bytes, all")
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
    if mode == "hold":
        image, state, err = (os.path.join(a, f) for f in ("image", "state", "error"))
        src = os.open(image, os.O_RDONLY)
        r, w = os.pipe()
        n = os.splice(src, w, CHUNK)
        os.close(src)
        st = os.open(state, os.O_WRONLY)
        print("thaw: " + attempt("thaw", lambda: os.write(st, b"thaw")))
        os.close(st)
        print("state: " + open(state).read().strip())
        print("error: " + open(err).read().strip())
        print("reopen: " + attempt("reopen", lambda: os.open(image, os.O_RDONLY)))
        print("error: " + open(err).read().strip())
        os.close(w)
        data = b""
        while len(data) < n:
            chunk = os.read(r, n - len(data))
            if not chunk:
                break
            data += chunk
        os.close(r)
        with open(b, "wb") as f:
            f.write(data)
        print("read: %d bytes, %s" % (n, "all" if len(data) == n else "short"))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
