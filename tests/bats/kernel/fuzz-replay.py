#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Replay fuzz corpus inputs into the kernel crfs's image (070-fuzz-replay.bats).

  fuzz-replay.py MNT HDR TAG FILE...

Each FILE is an input of tests/fuzz (one mode byte, then an image; mode bit
0: the checksums and the trailer's counts are redone first, as
fuzz-image.c's fix_crcs() does).  The header's machine fields (arch, page
size, xfeatures, xstate size, release, machine) are set to those of HDR, an
image this kernel wrote, its crc redone only if it was right (fuzz-image.c's
this_machine()), so that the kernel reads on past its machine checks.

For each input: mkdir MNT/TAG-N, write the image into its image file, close,
then one outcome:
  refused    a write() failed with an errno, and error names the reason
  truncated  every write() succeeded, error names the reason after close()
             (the image ended before END)
  restored   the container holds the restored process(es), error empty:
             they are killed (echo kill > state) and waited for
and the container is removed (rmdir).  Anything else is an anomaly: a
failure without a reason, a write() or close() that took longer than
STEP_LIMIT seconds, a container that stays populated or cannot be
removed, a restored process still alive.  One line per input, then the
counts and the anomalies, go to stdout.  Exit status 1 on any anomaly.
"""
import errno
import os
import signal
import struct
import sys
import time

STEP_LIMIT = 30		# seconds for one write() + close()
GONE_LIMIT = 15		# seconds for a killed container to be empty, removable

HDR_SIZE = 224
REC_HDR = 16
REC_PAGES = 17
REC_END = 18


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
        t.append(c)
    return t


CRC_T = _table()


def crc32c(b):
    """crc32c as cr_crc32c(0, ...) computes it."""
    c = 0xffffffff
    t = CRC_T
    for x in b:
        c = t[(c ^ x) & 0xff] ^ (c >> 8)
    return c ^ 0xffffffff


def hdr_crc(b):
    h = bytearray(b[:HDR_SIZE])
    h[220:224] = b'\0\0\0\0'
    return crc32c(h)


def fix_crcs(b):
    """fuzz-image.c fix_crcs(): header crc, every whole record's, END's counts."""
    n_len = len(b)
    if n_len < HDR_SIZE:
        return
    struct.pack_into('<I', b, 220, hdr_crc(b))
    ps = struct.unpack_from('<I', b, 20)[0]
    off, nr, page_bytes = HDR_SIZE, 0, 0
    while off + REC_HDR <= n_len:
        typ, _, n = struct.unpack_from('<IIQ', b, off)
        if n > n_len - off - REC_HDR:
            break
        if typ == REC_PAGES and n >= 24:
            page_bytes += struct.unpack_from('<I', b, off + REC_HDR + 16)[0] * ps
        if typ == REC_END and n == 24:
            struct.pack_into('<QQQ', b, off + REC_HDR, nr & (2**64 - 1), off,
                             page_bytes & (2**64 - 1))
        struct.pack_into('<I', b, off + 4, 0)
        struct.pack_into('<I', b, off + 4,
                         crc32c(memoryview(b)[off:off + REC_HDR + n]))
        if typ != REC_END:
            nr += 1
        off += REC_HDR + n


def this_machine(b, here):
    """fuzz-image.c this_machine(): @here's machine fields in @b's header."""
    if len(b) < HDR_SIZE:
        return
    crc_ok = hdr_crc(b) == struct.unpack_from('<I', b, 220)[0]
    for lo, hi in ((16, 24), (32, 44), (88, 218)):
        b[lo:hi] = here[lo:hi]
    if crc_ok:
        struct.pack_into('<I', b, 220, hdr_crc(b))


class StepTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise StepTimeout()


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return '<%s>' % errno.errorcode.get(e.errno, e.errno)


def wait_until(pred, secs):
    deadline = time.monotonic() + secs
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def pid_gone(pid):
    """No process @pid, or only its zombie (PID 1 reaps late)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except OSError:
        return True


def write_image(path, img):
    """Write @img into @path; return (errno of the write or 0, of close or 0)."""
    werr = cerr = 0
    signal.alarm(STEP_LIMIT)
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        signal.alarm(0)
        return e.errno, 0
    try:
        try:
            mv = memoryview(img)
            while mv:
                mv = mv[os.write(fd, mv[:65536]):]
        except OSError as e:
            werr = e.errno
        try:
            os.close(fd)
        except OSError as e:
            cerr = e.errno
    finally:
        signal.alarm(0)
    return werr, cerr


def replay(mnt, here, tag, k, name, data, log):
    """One input into a new container; return (outcome, anomaly or None)."""
    img = bytearray(data[1:])
    if data and data[0] & 1:
        fix_crcs(img)
    this_machine(img, here)
    ct = os.path.join(mnt, '%s-%d' % (tag, k))
    os.mkdir(ct)
    bad = None
    try:
        werr, cerr = write_image(os.path.join(ct, 'image'), img)
    except StepTimeout:
        werr, cerr, bad = -1, 0, 'write/close took over %ds' % STEP_LIMIT
    err = read_file(os.path.join(ct, 'error'))
    procs = read_file(os.path.join(ct, 'procs')).split()
    state = read_file(os.path.join(ct, 'state'))
    pids = [int(p) for p in procs if p.isdigit()]
    if bad:
        outcome = 'hang'
    elif cerr:
        outcome, bad = 'close-failed', 'close() failed: %s' % errno.errorcode.get(cerr)
    elif werr:
        outcome = 'refused'
        if not err:
            bad = 'write() failed (%s) with no reason in error' % errno.errorcode.get(werr)
        elif pids:
            bad = 'refused, yet processes are left: %s' % procs
    elif pids:
        outcome = 'restored'
        if err:
            bad = 'restored, yet error says: %s' % err
        elif state != 'frozen':
            bad = 'restored into state %s, not frozen' % state
    else:
        outcome = 'truncated'
        if not err:
            bad = 'nothing restored and no reason in error'
    if pids:
        with open(os.path.join(ct, 'state'), 'w') as f:
            f.write('kill\n')
    if not wait_until(lambda: not read_file(os.path.join(ct, 'procs')), GONE_LIMIT):
        bad = bad or 'still populated %ds after kill: %s' % (
            GONE_LIMIT, read_file(os.path.join(ct, 'procs')))

    def removed():
        try:
            os.rmdir(ct)
            return True
        except OSError:
            return False
    if not wait_until(removed, GONE_LIMIT):
        bad = bad or 'rmdir failed for %ds' % GONE_LIMIT
    if not wait_until(lambda: all(pid_gone(p) for p in pids), GONE_LIMIT):
        bad = bad or 'restored pid(s) still alive: %s' % pids
    log.write('%s %s errno=%s pids=%s error=%s%s\n' % (
        name, outcome, errno.errorcode.get(werr, werr) if werr else 0,
        ','.join(procs) or '-', err or '-',
        ' ANOMALY: ' + bad if bad else ''))
    log.flush()
    return outcome, bad


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    mnt, hdr, tag = sys.argv[1:4]
    files = sys.argv[4:]
    with open(hdr, 'rb') as f:
        here = f.read(HDR_SIZE)
    if len(here) != HDR_SIZE:
        sys.exit('fuzz-replay: %s: no image header' % hdr)
    signal.signal(signal.SIGALRM, _alarm)
    counts, anomalies = {}, []
    t0 = time.monotonic()
    log = sys.stdout
    for k, path in enumerate(files):
        with open(path, 'rb') as f:
            data = f.read()
        name = os.path.basename(path)
        outcome, bad = replay(mnt, here, tag, k, name, data, log)
        counts[outcome] = counts.get(outcome, 0) + 1
        if bad:
            anomalies.append('%s: %s' % (name, bad))
            if outcome == 'hang':
                break	# the kernel may hold the container: stop there
    print('SUMMARY %s: %d inputs in %.1fs: %s' % (
        tag, sum(counts.values()), time.monotonic() - t0,
        ', '.join('%s %d' % kv for kv in sorted(counts.items()))))
    for a in anomalies:
        print('ANOMALY %s' % a)
    sys.exit(1 if anomalies else 0)


if __name__ == '__main__':
    main()
