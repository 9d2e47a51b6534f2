#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# manifest.py [--copy|--bootstrap] DIR: one line per path below DIR (DIR itself as "."),
# sorted, never following a symlink: type, mode, uid, gid, size, mtime in
# nanoseconds, every xattr (name and SHA-256 of its value), SHA-256 of a
# file's contents, a link's target, a device's numbers, inode number and,
# for an inode with more than one name, the first of its names.  Two
# manifests of the same tree are equal when nothing in it changed.  With
# --copy, what a copy cannot keep is left out: inode numbers and directory
# sizes (a directory's size depends on its history).  With --bootstrap, what
# two bootstraps of the same packages cannot share is left out as well: the
# mtimes (a file a maintainer script writes gets the time it was written).
import hashlib
import os
import stat
import sys

bootstrap = sys.argv[1] == "--bootstrap"
copy = sys.argv[1] == "--copy" or bootstrap
top = os.fsencode(sys.argv[-1])


def sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


entries = []
for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
    for name in [None] + dirnames + filenames:
        path = dirpath if name is None else os.path.join(dirpath, name)
        if name is None and dirpath != top:
            continue
        entries.append((os.path.relpath(path, top), os.lstat(path)))

names = {}
for rel, st in entries:
    if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
        names.setdefault((st.st_dev, st.st_ino), []).append(rel)

for rel, st in sorted(entries):
    path = os.path.join(top, rel)
    mode = st.st_mode
    fields = [repr(rel)[2:-1], "%o" % mode, "%d:%d" % (st.st_uid, st.st_gid)]
    if not bootstrap:
        fields.append("mtime=%d" % st.st_mtime_ns)
    if not (copy and stat.S_ISDIR(mode)):
        fields.append("size=%d" % st.st_size)
    if not copy:
        fields.append("ino=%d" % st.st_ino)
    for x in sorted(os.listxattr(path, follow_symlinks=False)):
        fields.append("xattr:%s=%s" % (x, sha(os.getxattr(path, x, follow_symlinks=False))))
    if stat.S_ISREG(mode):
        with open(path, "rb") as f:
            fields.append("sha256=" + sha(f.read()))
    elif stat.S_ISLNK(mode):
        fields.append("target=" + repr(os.readlink(path))[2:-1])
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        fields.append("dev=%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    links = names.get((st.st_dev, st.st_ino))
    if links:
        fields.append("link=" + repr(sorted(links)[0])[2:-1])
    print(" ".join(fields))
