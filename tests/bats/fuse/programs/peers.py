#!/usr/bin/python3
"""Both ends of a connection for tests/bats/fuse/500-peers.bats.

In the container, an echo end (each line back as "echo LINE"):
  peers.py echo-listen PORT      TCP server on 127.0.0.1:PORT, any number
                                 of connections, one at a time or more
  peers.py echo-connect PORT     TCP client of 127.0.0.1:PORT

Outside, a driver holding ONE connection, told what to send by files:
  peers.py drive-connect PORT DIR    connect to 127.0.0.1:PORT
  peers.py drive-listen PORT DIR     accept one connection on PORT
  peers.py drive-unix PATH DIR       connect to unix stream socket PATH
An end that tells what it sees, for the closed ends of peers close:
  peers.py probe tcp|unix ADDR LOG GO   in the container: connect to
                                 127.0.0.1:ADDR or unix ADDR, log
                                 "connected", wait for the file GO, then
                                 read: "data LINE" each, then "eof", then
                                 a send: "sent" or "send ENAME", "poll
                                 FLAGS", close: "closed", and exit
  peers.py serve-once tcp|unix ADDR DIR  outside: listen (DIR/listening),
                                 accept one, send "hello" (DIR/sent), wait
                                 for DIR/quit

Unix datagrams to a named socket outside (a /dev/log client):
  peers.py dgram-server PATH DIR   outside: bind PATH (DIR/listening),
                                 each datagram into DIR/got.N, until
                                 DIR/quit
  peers.py dgram-client PATH DIR   in the container: connect to PATH,
                                 send "one", then each DIR/send.N (N from
                                 2) as it appears

The drivers write DIR/ready once connected (DIR/port for drive-listen before it
accepts); then for each DIR/say.N (a line to send, made by rename), sends
it and writes DIR/heard.N: "got REPLY" (one line back), "eof" (the peer
closed), "error ENAME" (send or receive failed: ECONNRESET, EPIPE, ...)
or "timeout" (nothing in 30 s).  DIR/quit ends it.
"""
import errno
import os
import select
import socket
import sys
import time


def echo(conns, listener):
    bufs = {c: b"" for c in conns}
    while True:
        rd = list(bufs) + ([listener] if listener else [])
        ready, _, _ = select.select(rd, [], [])
        for s in ready:
            if s is listener:
                c, _ = listener.accept()
                bufs[c] = b""
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                del bufs[s]
                s.close()
                if not listener:
                    return
                continue
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                try:
                    s.sendall(b"echo " + line + b"\n")
                except OSError:
                    pass


def reply(s):
    buf = b""
    s.settimeout(30)
    try:
        while not buf.endswith(b"\n"):
            data = s.recv(65536)
            if not data:
                return "eof" if not buf else "got " + buf.decode().strip()
            buf += data
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error " + errno.errorcode.get(e.errno, str(e.errno))
    return "got " + buf.decode().strip()


def drive(s, d):
    open(os.path.join(d, "ready"), "w").close()
    n = 1
    while not os.path.exists(os.path.join(d, "quit")):
        say = os.path.join(d, "say.%d" % n)
        if not os.path.exists(say):
            time.sleep(0.05)
            continue
        line = open(say).read().rstrip("\n")
        try:
            s.sendall(line.encode() + b"\r\n")
            out = reply(s)
        except OSError as e:
            out = "error " + errno.errorcode.get(e.errno, str(e.errno))
        tmp = os.path.join(d, ".heard.%d" % n)
        with open(tmp, "w") as f:
            f.write(out + "\n")
        os.rename(tmp, os.path.join(d, "heard.%d" % n))
        n += 1


def sock(kind, addr):
    if kind == "unix":
        return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), addr
    return socket.socket(), ("127.0.0.1", int(addr))


def probe(kind, addr, log, go):
    s, a = sock(kind, addr)
    s.connect(a)
    out = open(log, "a", buffering=1)
    out.write("connected\n")
    while not os.path.exists(go):
        time.sleep(0.05)
    buf = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out.write("data " + line.decode() + "\n")
    out.write("eof\n")
    try:
        s.send(b"x")
        out.write("sent\n")
    except OSError as e:
        out.write("send " + errno.errorcode.get(e.errno, str(e.errno)) + "\n")
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLOUT)
    ev = p.poll(0)[0][1] if p.poll(0) else 0
    names = [n for n in ("POLLIN", "POLLOUT", "POLLERR", "POLLHUP")
             if ev & getattr(select, n)]
    out.write("poll " + "|".join(names) + "\n")
    s.close()
    out.write("closed\n")


def serve_once(kind, addr, d):
    s, a = sock(kind, addr)
    if kind != "unix":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(a)
    s.listen(1)
    open(os.path.join(d, "listening"), "w").close()
    c, _ = s.accept()
    c.sendall(b"hello\n")
    open(os.path.join(d, "sent"), "w").close()
    while not os.path.exists(os.path.join(d, "quit")):
        time.sleep(0.05)


def dgram_server(path, d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    open(os.path.join(d, "listening"), "w").close()
    n = 1
    while not os.path.exists(os.path.join(d, "quit")):
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        tmp = os.path.join(d, ".got.%d" % n)
        with open(tmp, "wb") as f:
            f.write(data + b"\n")
        os.rename(tmp, os.path.join(d, "got.%d" % n))
        n += 1


def dgram_client(path, d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(path)
    s.send(b"one")
    n = 2
    while True:
        f = os.path.join(d, "send.%d" % n)
        if not os.path.exists(f):
            time.sleep(0.05)
            continue
        s.send(open(f, "rb").read().strip())
        n += 1


def main():
    mode = sys.argv[1]
    if mode == "echo-listen":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(sys.argv[2])))
        ls.listen(8)
        echo([], ls)
    elif mode == "echo-connect":
        echo([socket.create_connection(("127.0.0.1", int(sys.argv[2])))],
             None)
    elif mode == "drive-connect":
        drive(socket.create_connection(("127.0.0.1", int(sys.argv[2]))),
              sys.argv[3])
    elif mode == "drive-listen":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", int(sys.argv[2])))
        ls.listen(1)
        c, _ = ls.accept()
        ls.close()
        drive(c, sys.argv[3])
    elif mode == "drive-unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[2])
        drive(s, sys.argv[3])
    elif mode == "dgram-server":
        dgram_server(sys.argv[2], sys.argv[3])
    elif mode == "dgram-client":
        dgram_client(sys.argv[2], sys.argv[3])
    elif mode == "probe":
        probe(*sys.argv[2:6])
    elif mode == "serve-once":
        serve_once(*sys.argv[2:5])
    else:
        sys.exit("peers.py: unknown mode " + mode)


if __name__ == "__main__":
    main()
