#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shrink a real crfs image into a small fuzz seed that is still valid.

    shrink-image.py IN OUT [MAX_PAGES_RECORDS]

Every record but PAGES is kept as it is.  Of the PAGES records, the first
of each mapping (of each shared memory object) is kept, up to
MAX_PAGES_RECORDS (default 4), cut to its first page; the pad that aligns
page data, the checksums and the trailer are redone.  The layout is read
from include/uapi/linux/crfs.h's structures (image format 3): record
header {u32 type, u32 crc, u64 len}, PAGES {u32 owner, u32 id, u64 addr,
u32 nr_pages, u32 pad}, VMA {u32 mm_id, u32 kind, u64 start, u64 end, ...}.
"""
import struct
import sys

REC_VMA, REC_PAGES, REC_END = 4, 17, 18
PAGES_MM = 1
HDR_PAGE_SIZE_OFF = 20


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xffffffff
    for b in data:
        crc = table[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ 0xffffffff


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


crc32c.table = _table()


def record(rtype, payload):
    hdr = struct.pack("<IIQ", rtype, 0, len(payload))
    crc = crc32c(hdr + payload)
    return struct.pack("<IIQ", rtype, crc, len(payload)) + payload


def main():
    src, dst = sys.argv[1], sys.argv[2]
    max_pages = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    img = open(src, "rb").read()
    hsize = struct.unpack_from("<I", img, 12)[0]
    ps = struct.unpack_from("<I", img, HDR_PAGE_SIZE_OFF)[0]
    out = bytearray(img[:hsize])
    vmas, seen = [], set()
    nr = page_bytes = 0
    off = hsize
    while off + 16 <= len(img):
        rtype, _, n = struct.unpack_from("<IIQ", img, off)
        payload = img[off + 16:off + 16 + n]
        off += 16 + n
        if rtype == REC_END:
            end = struct.pack("<QQQ", nr, len(out), page_bytes)
            out += record(REC_END, end)
            break
        if rtype == REC_VMA:
            vmas.append(struct.unpack_from("<QQ", payload, 8))
        if rtype == REC_PAGES:
            owner, oid, addr, _, pad = struct.unpack_from("<IIQII", payload, 0)
            key = (owner, oid, next((i for i, (s, e) in enumerate(vmas)
                                     if s <= addr < e), None)
                   if owner == PAGES_MM else None)
            if key in seen or len(seen) >= max_pages:
                continue
            seen.add(key)
            page = payload[24 + pad:24 + pad + ps]
            pad = -(len(out) + 16 + 24) % ps
            payload = struct.pack("<IIQII", owner, oid, addr, 1, pad) + \
                bytes(pad) + page
            page_bytes += ps
        out += record(rtype, payload)
        nr += 1
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
