#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Forge one field of a crfs image, its crc32c made again (060-restore.bats).

  forge.py hdr IN OUT OFF VALUE
      the header's 32-bit field at OFF set to VALUE; the header's crc
      (at 220, over the 224 header bytes) made again
  forge.py rec IN OUT TYPE KIND WHERE FMT VALUE
      in the first record of TYPE (and, unless KIND is -, whose second
      32-bit word, a FILE's kind, is KIND), the field at WHERE of its
      payload packed with struct format FMT ("<I", "<Q"); WHERE is a byte
      offset, or "ext": a FILE's state after its path (struct crfs_file is
      112 bytes, path_len at 76); VALUE "id": the record's own id (its
      first 32-bit word); the record's crc made again.  Exit 1 if no such
      record.

Records follow the 224-byte header: u32 type, u32 crc (of the header with
crc 0, and the payload), u64 payload length.  OUT is written, IN is not.
"""
import struct
import sys

HDR = 224


def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
    return c ^ 0xffffffff


def forge_hdr(b, off, val):
    struct.pack_into('<I', b, off, val)
    struct.pack_into('<I', b, 220, 0)
    struct.pack_into('<I', b, 220, crc32c(bytes(b[:HDR])))


def forge_rec(b, typ, kind, where, fmt, val):
    o = HDR
    while o + 16 <= len(b):
        t, _, ln = struct.unpack_from('<IIQ', b, o)
        body = o + 16
        if t == typ and (kind is None or struct.unpack_from('<I', b, body + 4)[0] == kind):
            if where == "ext":
                plen = struct.unpack_from('<I', b, body + 76)[0]
                off = body + 112 + ((plen + 7) & ~7)
            else:
                off = body + int(where)
            if val == "id":
                val = struct.unpack_from('<I', b, body)[0]
            struct.pack_into(fmt, b, off, int(val, 0) if isinstance(val, str) else val)
            struct.pack_into('<I', b, o + 4, 0)
            struct.pack_into('<I', b, o + 4, crc32c(bytes(b[o:body + ln])))
            return True
        o = body + ln
    return False


def main():
    mode, src, dst = sys.argv[1:4]
    b = bytearray(open(src, 'rb').read())
    if mode == "hdr":
        forge_hdr(b, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "rec":
        typ, kind, where, fmt, val = sys.argv[4:9]
        if not forge_rec(b, int(typ), None if kind == "-" else int(kind),
                         where, fmt, val):
            print("no record of type %s" % typ, file=sys.stderr)
            return 1
    else:
        return 2
    open(dst, 'wb').write(b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
