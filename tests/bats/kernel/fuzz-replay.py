#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Replay fuzz corpus inputs into the kernel crfs's image (070-fuzz-replay.bats).

  fuzz-replay.py MNT HDR TAG FILE...

Each FILE is an input of tests/fuzz (one mode byte, then an image; mode bit
0: the checksums and the trailer's counts are redone first, as
fuzz-image.c's fix_crcs() does).  The header's machine fields (arch, page
size, xfeatures, xstate size, release, machine) are set to those of HDR, an
image this kernel wrote, its crc redone only if it was right (fuzz-image.c's
this_machine()), and so are its XSAVE area and its vdso and vvar mappings
(this_kernel()), so that the kernel reads on past its machine checks: the
corpus was made on another kernel and CPU.

For each input: mkdir MNT/TAG-N, write the image into its image file, close,
then one outcome:
  refused    a write() failed with an errno, and error names the reason
  truncated  every write() succeeded, error names the reason after close()
             (the image ended before END)
  restored   the container holds the restored process(es), error empty:
             they are killed (echo kill > state), waited for and reaped
and the container is removed (rmdir).  Anything else is an anomaly: a
failure without a reason, a write() or close() that took longer than
STEP_LIMIT seconds, a container that stays populated or cannot be
removed, a restored process still alive, a child (a zombie) that a
refused restore left to the writer.  One line per input, then the counts
(SUMMARY) and the anomalies (ANOMALY), go to stdout.  Exit status 1 on
any anomaly.
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
REC_XSTATE = 0x1001
REC_FILE = 1
FILE_REG = 1
FILE_DIR = 2
FILE_SIZE = 112
REC_MM = 3
REC_VMA = 4
VMA_SIZE = 64
VMA_VDSO = 6
VMA_VVAR = 7


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


def records(b):
    """(offset, type, crc, payload length) of each whole record of @b."""
    off = HDR_SIZE
    while off + REC_HDR <= len(b):
        typ, crc, n = struct.unpack_from('<IIQ', b, off)
        if n > len(b) - off - REC_HDR:
            return
        yield off, typ, crc, n
        off += REC_HDR + n


def here_fit(img):
    """
    What of @img, an image of this kernel, other images are fitted to:
    its XSAVE area (the XSTATE payload), vdso and vvar sizes.
    """
    xs, vdso, vvar = None, 0, 0
    for off, typ, _, n in records(img):
        p = off + REC_HDR
        if typ == REC_XSTATE and xs is None:
            xs = bytes(img[p:p + n])
        elif typ == REC_VMA and n >= VMA_SIZE:
            kind, start, end = struct.unpack_from('<IQQ', img, p + 4)
            if kind == VMA_VDSO and not vdso:
                vdso = end - start
            elif kind == VMA_VVAR and not vvar:
                vvar = end - start
    if xs is None or not vdso or not vvar:
        sys.exit('fuzz-replay: no XSTATE, vdso or vvar in the image of this kernel')
    return xs, vdso, vvar


def this_kernel(b, fit):
    """
    @b fitted to this machine's FPU and this kernel's vdso, the part of
    this_machine() that fuzz-image.c (reading in userspace) has no need
    of: each XSTATE record of another size gets this machine's XSAVE area
    (its tid kept); the first VDSO mapping this kernel's vdso size, the
    first VVAR mapping this kernel's vvar size, ending where the vdso
    begins, and any other VVAR mapping ([vvar_vclock] of newer kernels) is
    dropped (MM's count of mappings and END's of records follow, if they
    were right).  The records after a change move: each PAGES record's pad
    is made again (page data at a page-aligned offset), END's byte count
    follows if it was right.  A record whose crc was right gets its crc
    again.  Return the new image (@b itself when nothing is to change).
    """
    xs, vdso_size, vvar_size = fit
    xsize = struct.unpack_from('<I', xs, 4)[0]
    vdso_start, change, nr_mm = None, False, 0
    for off, typ, _, n in records(b):
        p = off + REC_HDR
        nr_mm += typ == REC_MM
        if typ == REC_XSTATE and n >= 8:
            change |= struct.unpack_from('<I', b, p + 4)[0] != xsize
        elif typ == REC_VMA and n >= VMA_SIZE:
            kind, start, end = struct.unpack_from('<IQQ', b, p + 4)
            if kind == VMA_VDSO and vdso_start is None:
                vdso_start = start
                change |= end - start != vdso_size
            elif kind == VMA_VVAR:
                change = True
    if nr_mm > 1:
        vdso_start = None	# the kernel restores one process, one MM
    change |= any(t == REC_FILE for _, t, _, _ in records(b))
    if not change:
        return b
    out, end, mm_at, dropped = bytearray(b[:HDR_SIZE]), HDR_SIZE, None, 0
    seen_vvar, nr, kept = False, 0, 0
    for off, typ, crc, n in records(b):
        end = off + REC_HDR + n
        rh = bytearray(b[off:off + REC_HDR])
        rh[4:8] = b'\0\0\0\0'
        pl = bytearray(b[off + REC_HDR:end])
        crc_ok = crc32c(rh + pl) == crc
        if typ != REC_END:
            nr += 1	# the records before END, as the input has them
        if typ == REC_XSTATE and n >= 8:
            pl = pl[:4] + xs[4:]
        elif typ == REC_FILE and n > FILE_SIZE:
            this_file(pl)
        elif typ == REC_MM and n >= 12:
            mm_at = (len(out), crc_ok)
        elif typ == REC_VMA and n >= VMA_SIZE and vdso_start is not None:
            kind, start = struct.unpack_from('<IQ', pl, 4)
            if kind == VMA_VDSO and start == vdso_start:
                struct.pack_into('<Q', pl, 16, start + vdso_size)
            elif kind == VMA_VVAR and seen_vvar:
                dropped += 1
                continue
            elif kind == VMA_VVAR:
                seen_vvar = True
                struct.pack_into('<QQ', pl, 8, vdso_start - vvar_size, vdso_start)
        elif typ == REC_PAGES and n >= 24:
            pad = struct.unpack_from('<I', pl, 20)[0]
            if 24 + pad <= n and (n - 24 - pad) % 4096 == 0:
                newpad = -(len(out) + REC_HDR + 24) % 4096
                pl = pl[:20] + struct.pack('<I', newpad) + bytes(newpad) + pl[24 + pad:]
        elif typ == REC_END and n == 24:
            e_nr, e_bytes = struct.unpack_from('<QQ', pl, 0)
            if e_nr == nr and e_bytes == off:
                struct.pack_into('<QQ', pl, 0, kept, len(out))
        if typ != REC_END:
            kept += 1
        rh[8:16] = struct.pack('<Q', len(pl))
        rh[4:8] = struct.pack('<I', crc32c(rh + pl) if crc_ok else crc)
        out += rh + pl
    out += b[end:]
    if dropped and mm_at:
        at, crc_ok = mm_at
        n = struct.unpack_from('<Q', out, at + 8)[0]
        struct.pack_into('<I', out, at + REC_HDR + 8,
                         (struct.unpack_from('<I', out, at + REC_HDR + 8)[0] - dropped) % 2**32)
        if crc_ok:
            struct.pack_into('<I', out, at + 4, 0)
            struct.pack_into('<I', out, at + 4, crc32c(out[at:at + REC_HDR + n]))
    return out


def scratch(path, kind):
    """
    A regular file or directory that @path names under $FUZZ_REPLAY_SCRATCH
    (the writer's private tmpfs: the images' /tmp/crfs-seeds.*/... files),
    made when missing, empty, so that the restore goes on past opening it.
    Only a path already in normal form (no "..", ".", "//"), never through
    a link: nothing outside the scratch directory is touched.
    """
    top = os.environ.get('FUZZ_REPLAY_SCRATCH', '').encode()
    if (not top or kind not in (FILE_REG, FILE_DIR) or
            not path.startswith(top + b'/') or os.path.normpath(path) != path):
        return
    parent = os.path.dirname(path) if kind == FILE_REG else path
    try:
        cur = top
        for part in parent[len(top) + 1:].split(b'/'):
            cur += b'/' + part
            if not os.path.isdir(cur) or os.path.islink(cur):
                os.mkdir(cur, 0o700)
        if kind == FILE_REG:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY |
                             os.O_NOFOLLOW, 0o600))
    except (OSError, ValueError):
        pass


def this_file(pl):
    """
    A FILE record's identity (dev, ino, rdev, size, mtime) made that of
    the file its path names here, when there is one: the image's files are
    the host's, which the VM sees through 9p as other inodes.  The mode
    (its type) and everything else stay the image's.
    """
    kind, path_len = struct.unpack_from('<I', pl, 4)[0], struct.unpack_from('<I', pl, 76)[0]
    path = bytes(pl[FILE_SIZE:FILE_SIZE + path_len]).split(b'\0')[0]
    if not path.startswith(b'/'):
        return
    scratch(path, kind)
    try:
        st = os.stat(path, follow_symlinks=False)
    except (OSError, ValueError):
        return

    def enc(d):	# new_encode_dev()
        ma, mi = os.major(d), os.minor(d)
        return (mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)
    struct.pack_into('<QQQQq', pl, 24, enc(st.st_dev), st.st_ino,
                     enc(st.st_rdev), st.st_size, st.st_mtime_ns)


class StepTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise StepTimeout()


def read_file(path):
    try:
        with open(path, 'rb') as f:	# error may quote an image's path bytes
            return f.read().decode(errors='backslashreplace').strip()
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


def replay(mnt, here, fit, tag, k, name, data, log):
    """One input into a new container; return (outcome, anomaly or None)."""
    img = bytearray(data[1:])
    if data and data[0] & 1:
        fix_crcs(img)
    this_machine(img, here)
    img = this_kernel(img, fit)
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
    # a restored process is the writer's child: reaped here.  A refused
    # restore leaves the writer no child, not even a zombie holding the
    # image's pid (kernel.rst: killed and waited for).
    for p in pids:
        try:
            os.waitpid(p, os.WNOHANG)
        except ChildProcessError:
            pass
    try:
        child = os.waitpid(-1, os.WNOHANG)[0]
    except ChildProcessError:
        child = None
    if child is not None:
        bad = bad or 'left the writer a child%s' % (
            ' (zombie, reaped now) pid %d' % child if child else ' still running')
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
        here = f.read()
    if len(here) < HDR_SIZE:
        sys.exit('fuzz-replay: %s: no image header' % hdr)
    fit = here_fit(here)
    signal.signal(signal.SIGALRM, _alarm)
    counts, anomalies = {}, []
    t0 = time.monotonic()
    log = sys.stdout
    for k, path in enumerate(files):
        with open(path, 'rb') as f:
            data = f.read()
        name = os.path.basename(path)
        outcome, bad = replay(mnt, here, fit, tag, k, name, data, log)
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
