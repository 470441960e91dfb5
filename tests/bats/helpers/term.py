#!/usr/bin/python3
# A user's terminal for the tests: a pseudo-terminal whose master this
# process holds, a command run in a session of its own on the slave (as a
# terminal emulator runs a shell).
#
#   term.py DIR CMD...
#
# Runs CMD, then for each DIR/say.N (N from 1; two lines: what to type,
# what to wait for) types its first line on the terminal and waits until
# its second shows in what the terminal prints: DIR/heard.N, or
# DIR/failed.N after 10 s (each holding what was printed).  Writes
# DIR/exit (CMD's exit status) when CMD exits.  Ends when DIR/quit
# appears.
import fcntl, os, select, sys, termios, time

d, cmd = sys.argv[1], sys.argv[2:]
m, s = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(s, fd)
    os.closerange(3, 65536)
    os.execvp(cmd[0], cmd)
os.close(s)
seen, n, status = b"", 1, None


def put(name, text):
    with open(os.path.join(d, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name))


def pump(timeout):
    global seen
    r, _, _ = select.select([m], [], [], timeout)
    if r:
        try:
            seen += os.read(m, 4096)
        except OSError:
            time.sleep(timeout)


while not os.path.exists(os.path.join(d, "quit")):
    pump(0.05)
    if status is None:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = os.waitstatus_to_exitcode(st)
            put("exit", "%d\n" % status)
    say = os.path.join(d, "say.%d" % n)
    if not os.path.exists(say):
        continue
    line, want = open(say).read().split("\n")[:2]
    os.write(m, (line + "\n").encode())
    deadline = time.time() + 10
    while want.encode() not in seen and time.time() < deadline:
        pump(0.05)
    put(("heard.%d" if want.encode() in seen else "failed.%d") % n,
        seen.decode(errors="replace"))
    seen, n = b"", n + 1
