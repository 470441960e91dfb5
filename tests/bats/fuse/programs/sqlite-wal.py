# sqlite in WAL mode, two processes: this one writes, its child holds a
# read transaction (a snapshot) on a second connection.  Ready once both
# are set; on SIGUSR1 (after the restore) each checks and goes on: a
# checkpoint of the WAL stops at the reader's snapshot, the reader still
# sees it, then, its transaction ended, every row;
# the writer writes more, which the reader sees.  Results in DIR/result.
import os
import signal
import sqlite3
import sys
import time

d = sys.argv[1]
go = []
signal.signal(signal.SIGUSR1, lambda *a: go.append(1))


def wait_go():
    while not go:
        signal.pause()


w = sqlite3.connect(d + "/db", isolation_level=None)
assert w.execute("pragma journal_mode=wal").fetchone()[0] == "wal"
w.execute("create table t(x)")
w.execute("insert into t values (1), (2), (3)")
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(rd)
    r = sqlite3.connect(d + "/db", isolation_level=None)
    r.execute("begin")
    n0 = r.execute("select count(*) from t").fetchone()[0]
    os.write(wr, b"x")
    os.close(wr)
    wait_go()
    n1 = r.execute("select count(*) from t").fetchone()[0]
    r.execute("commit")
    n2 = r.execute("select count(*) from t").fetchone()[0]
    time.sleep(0.5)
    n3 = r.execute("select count(*) from t").fetchone()[0]
    open(d + "/reader", "w").write("%d %d %d %d\n" % (n0, n1, n2, n3))
    os._exit(0)
os.close(wr)
os.read(rd, 1)
os.close(rd)
w.execute("insert into t values (4)")
open(d + "/ready", "w").close()
wait_go()
# The reader's snapshot (its WAL read lock) keeps the new frames out of
# the database file: a checkpoint copies only what precedes it.
busy, log, done = w.execute("pragma wal_checkpoint(PASSIVE)").fetchone()
held = int(busy == 0 and 0 <= done < log)
os.kill(pid, signal.SIGUSR1)
time.sleep(0.2)
w.execute("insert into t values (5)")
os.waitpid(pid, 0)
n = w.execute("select count(*) from t").fetchone()[0]
open(d + "/result", "w").write(open(d + "/reader").read().strip() +
                               " %d held %d\n" % (n, held))
