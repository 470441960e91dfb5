#!/usr/bin/python3
# holdimg.py IMAGE OUT GO: read IMAGE through one descriptor into OUT,
# close it (flush ends the transfer), keep a dup until the file GO exists,
# then close the dup (flush + release end the same transfer again).
import os, sys, time
img, out, go = sys.argv[1:4]
fd = os.open(img, os.O_RDONLY)
fd2 = os.dup(fd)
with open(out, "wb") as f:
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            break
        f.write(b)
os.close(fd)
open(out + ".done", "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
os.close(fd2)
open(out + ".closed", "w").close()
