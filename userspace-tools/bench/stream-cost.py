#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# stream-cost.py DEV COUNT LOG: stream COUNT frames from DEV into 4 mmap
# buffers with v4l2-ctl (which only dequeues and requeues) and print one
# line
#   frames fps distinct_fps missing repeated guest_us_per_frame
#   process_us_per_frame wall_ms
# fps from the first and last buffer timestamps; missing: sequence numbers
# skipped; repeated: a frame whose sequence is not above the one before
# (vivid repeats one when its thread catches up); CPU per frame from the
# whole guest's /proc/stat (user, nice, system, irq, softirq, steal: the
# emulated hardware included) and from getrusage() of the capture process.
# v4l2-ctl's output goes to LOG.  Exits 1 without frames.
import re
import resource
import subprocess
import sys
import time

dev, count, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def busy():
    # user nice system irq softirq steal, in clock ticks, all CPUs
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def cpu(r):
    return r.ru_utime + r.ru_stime


ticks = 100.0  # USER_HZ
r0, j0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), busy(), \
    time.monotonic()
p = subprocess.run(["v4l2-ctl", "-d", dev, "--verbose", "--stream-mmap=4",
                    "--stream-count=%d" % count],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, timeout=count / 2 + 60)
r1, j1, t1 = resource.getrusage(resource.RUSAGE_CHILDREN), busy(), \
    time.monotonic()
open(log, "w").write(p.stdout)
seq, ts = [], []
for m in re.finditer(r"seq: *(\d+) .*? ts: *([0-9.]+)", p.stdout):
    seq.append(int(m.group(1)))
    ts.append(float(m.group(2)))
n = len(seq)
if p.returncode or n < 2 or "returned -1" in p.stdout or ts[-1] <= ts[0]:
    sys.exit(1)
fps = (n - 1) / (ts[-1] - ts[0])
missing = sum(max(b - a - 1, 0) for a, b in zip(seq, seq[1:]))
repeated = sum(b <= a for a, b in zip(seq, seq[1:]))
guest = (j1 - j0) / ticks / n * 1e6
proc = (cpu(r1) - cpu(r0)) / n * 1e6
distinct = (n - 1 - repeated) / (ts[-1] - ts[0])
print("%d %.2f %.2f %d %d %.0f %.0f %.0f" % (n, fps, distinct, missing,
                                             repeated, guest, proc,
                                             (t1 - t0) * 1000))
