#!/usr/bin/python3
# http-load.py PORT DIR WWW CONNS FILE...: the load client of the nginx
# test.  CONNS threads, each with one keep-alive HTTP/1.1 connection to
# 127.0.0.1:PORT, ask for the FILEs (paths under the server's root, read
# from WWW) in turn, as fast as they are answered, and check each
# answer's status and body.  Every 50 ms DIR/progress says
# "ok N fail N conns N"; each failure is a line of DIR/fail.log.  A
# connection the server closes is made again (conns counts them).  The
# first connections wait up to 20 s for the server to listen.  When
# DIR/stop appears, DIR/done gets the last progress line and it exits.
import http.client, os, sys, threading, time

port, top, www, nconn = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
want = {}
for name in sys.argv[5:]:
    with open(os.path.join(www, name), "rb") as f:
        want["/" + name] = f.read()
paths = sorted(want)
lock = threading.Lock()
count = {"ok": 0, "fail": 0, "conns": 0}
stop = threading.Event()
faillog = open(os.path.join(top, "fail.log"), "a")


def fail(msg):
    with lock:
        count["fail"] += 1
        faillog.write("%.3f %s\n" % (time.time(), msg))
        faillog.flush()


def first(k):
    end = time.time() + 20
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.connect()
            return conn
        except ConnectionRefusedError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def worker(k):
    conn, i = first(k), k
    with lock:
        count["conns"] += 1
    while not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.connect()
            with lock:
                count["conns"] += 1
        path = paths[i % len(paths)]
        i += 1
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
        except Exception as e:
            fail("conn %d %s: %r" % (k, path, e))
            conn.close()
            conn = None
            continue
        if r.status != 200 or body != want[path]:
            fail("conn %d %s: status %d, %d bytes" % (k, path, r.status, len(body)))
        else:
            with lock:
                count["ok"] += 1
        if r.will_close:
            conn.close()
            conn = None


def line():
    with lock:
        return "ok %(ok)d fail %(fail)d conns %(conns)d\n" % count


def put(name, text):
    tmp = os.path.join(top, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(top, name))


threads = [threading.Thread(target=worker, args=(k,), daemon=True)
           for k in range(nconn)]
for t in threads:
    t.start()
while not os.path.exists(os.path.join(top, "stop")):
    put("progress", line())
    time.sleep(0.05)
stop.set()
for t in threads:
    t.join(70)
put("done", line())
