#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# fail_nth.py - fail the n-th allocation of one operation, for n = 1, 2, ...
# until the operation completes without reaching the n-th (every allocation
# site on its path has been failed once), or a bound is reached.
#
#   fail_nth.py LABEL MAX_N SECONDS bind DRVDIR DEV
#   fail_nth.py LABEL MAX_N SECONDS open|reqbufs|streamon NODE
#
# /proc/thread-self/fail-nth counts the allocations the writing thread makes
# in the kernel (failslab and fail_page_alloc must not ignore sleeping
# allocations: the caller sets their ignore-gfp-wait to N).  The files are
# opened before the loop, so each attempt's count starts at the operation's
# own system call.  After each failed attempt the device must be unbound
# (bind) or the file usable (open, ioctls); after a bind that succeeded in
# spite of the fault, it is unbound again.  Prints one line per 50 attempts,
# and a last "# fail-nth:" line: LABEL, faults injected, whether the
# operation completed, the errnos seen.  Exit 0 when every attempt left a
# usable state and the operation completed at the end (or at the bound).
import errno
import fcntl
import os
import struct
import sys
import time

REQBUFS, QUERYBUF, QBUF = 0xc0145608, 0xc0585609, 0xc058560f
STREAMON, STREAMOFF, QUERYCAP = 0x40045612, 0x40045613, 0x80685600
BUF = "<5I4x16s16s2IQ2Ii4x"
CAPTURE = MMAP = 1
NTH = "/proc/thread-self/fail-nth"


def reqbufs(fd, count):
    return struct.unpack("5I", fcntl.ioctl(
        fd, REQBUFS, struct.pack("5I", count, CAPTURE, MMAP, 0, 0)))[0]


def qbuf(fd, i):
    fcntl.ioctl(fd, QBUF, struct.pack(BUF, i, CAPTURE, 0, 0, 0, b"", b"",
                                      0, MMAP, 0, 0, 0, 0))


class Nth:
    """The calling thread's fail-nth file, kept open."""

    def __init__(self):
        self.fd = os.open(NTH, os.O_RDWR)

    def arm(self, n):
        os.pwrite(self.fd, b"%d" % n, 0)

    def left(self):
        """What is left of the count (0: the fault was injected); disarms."""
        left = int(os.pread(self.fd, 32, 0))
        os.pwrite(self.fd, b"0", 0)
        return left


def attempt_bind(nth, n, drv, dev):
    """One bind with the n-th allocation failed: (done, errno)."""
    bind = os.open(drv + "/bind", os.O_WRONLY)
    err = 0
    nth.arm(n)
    try:
        os.write(bind, dev.encode())
    except OSError as e:
        err = e.errno
    left = nth.left()
    os.close(bind)
    bound = os.path.exists(os.path.join(drv, dev))
    if left == 0 and bound:
        # probe survived the fault: unbind for the next attempt
        with open(drv + "/unbind", "w") as f:
            f.write(dev)
    if left and not bound:
        raise RuntimeError("bind completed without fault but not bound "
                           "(errno %d)" % err)
    if left == 0 and bound == (err != 0):
        raise RuntimeError("bind returned errno %d, bound %s" % (err, bound))
    return left > 0, err


def attempt_node(nth, n, what, node):
    """One open, REQBUFS or STREAMON with the n-th allocation failed."""
    fd = -1
    err = 0
    try:
        if what == "open":
            nth.arm(n)
            try:
                fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
            except OSError as e:
                err = e.errno
            left = nth.left()
        else:
            fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
            count = 4
            if what == "streamon":
                count = reqbufs(fd, 4)
                for i in range(count):
                    qbuf(fd, i)
            nth.arm(n)
            try:
                if what == "reqbufs":
                    reqbufs(fd, count)
                else:
                    fcntl.ioctl(fd, STREAMON, struct.pack("I", CAPTURE))
            except OSError as e:
                err = e.errno
            left = nth.left()
            # the file must still work after the failed call
            fcntl.ioctl(fd, QUERYCAP, bytearray(104))
            if what == "streamon":
                fcntl.ioctl(fd, STREAMOFF, struct.pack("I", CAPTURE))
            reqbufs(fd, 0)
            if what == "reqbufs":
                reqbufs(fd, 2)
                reqbufs(fd, 0)
    finally:
        if fd >= 0:
            os.close(fd)
    return left > 0, err


def main():
    label, max_n, seconds, what = sys.argv[1], int(sys.argv[2]), \
        float(sys.argv[3]), sys.argv[4]
    nth = Nth()
    errs = {}
    end = time.monotonic() + seconds
    n = 0
    done = False
    t0 = time.monotonic()
    while not done and n < max_n and time.monotonic() < end:
        n += 1
        try:
            if what == "bind":
                done, err = attempt_bind(nth, n, sys.argv[5], sys.argv[6])
            else:
                done, err = attempt_node(nth, n, what, sys.argv[5])
        except (OSError, RuntimeError) as e:
            print("# fail-nth: %s: attempt %d left a broken state: %s"
                  % (label, n, e))
            return 1
        if err:
            name = errno.errorcode.get(err, str(err))
            errs[name] = errs.get(name, 0) + 1
        if n % 50 == 0:
            print("# %s: %d faults so far, %.0f s" %
                  (label, n, time.monotonic() - t0), flush=True)
    faults = n - 1 if done else n
    print("# fail-nth: %s: %d faults injected, %s, %.1f s; errnos: %s" %
          (label, faults, "completed at n=%d" % n if done else
           "bound reached", time.monotonic() - t0,
           " ".join("%s=%d" % kv for kv in sorted(errs.items())) or "none"))
    return 0


sys.exit(main())
