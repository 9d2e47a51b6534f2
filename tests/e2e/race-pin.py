#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A second user racing root's setup and teardown, for a bounded time.

Usage: race-pin.py PLAYGROUND PIN_DIR SECONDS TARGET...

In PLAYGROUND (a directory the user owns, where an older crossroot kept the
pin) it swaps "userns" with renameat2(RENAME_EXCHANGE) between a plain file,
a FIFO and symlinks to each TARGET, as fast as it can; in PIN_DIR, where root
keeps the pins, it tries to create, link and rename the same things.  Prints
"swaps N pin_dir_writes M" at the end: M must be 0.
"""
import ctypes
import os
import sys
import time

AT_FDCWD = -100
RENAME_EXCHANGE = 2
libc = ctypes.CDLL(None, use_errno=True)


def exchange(a, b):
    return libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE) == 0


def succeeds(attempt):
    try:
        return attempt() is not False
    except OSError:
        return False


def main():
    play, pin_dir, seconds, targets = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    userns = os.path.join(play, "userns")
    decoys = []
    for i, t in enumerate(targets):
        d = os.path.join(play, "link%d" % i)
        os.symlink(t, d)
        decoys.append(d)
    fifo = os.path.join(play, "fifo")
    os.mkfifo(fifo)
    decoys.append(fifo)
    if not os.path.lexists(userns):
        open(userns, "w").close()
    swaps = writes = 0
    mine = os.path.join(pin_dir, str(os.getuid()))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for d in decoys:
            swaps += exchange(userns, d)
            swaps += exchange(userns, d)
        writes += succeeds(lambda: os.symlink(targets[0], mine + ".new"))
        writes += succeeds(lambda: os.mkfifo(mine + ".fifo"))
        writes += succeeds(lambda: os.rename(decoys[0], mine))
        writes += succeeds(lambda: exchange(mine, decoys[0]))
    print("swaps %d pin_dir_writes %d" % (swaps, writes))


main()
