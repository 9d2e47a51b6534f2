#!/bin/bash
# create --from-tar and export: formats, owners, and hostile members.
. "$(dirname "$0")/lib.sh"
setup_mapped
src=$E2E_DIR/rootfs/rootfs-arm64.tar
chmod a+rwx "$E2E_DIR"

# Every compression libarchive detects.
for z in gz xz zst; do
	case $z in gz) gzip -c "$src" >"$E2E_DIR/r.tar.$z" ;; xz) xz -T0 -c "$src" >"$E2E_DIR/r.tar.$z" ;;
	zst) zstd -q -c "$src" >"$E2E_DIR/r.tar.$z" ;; esac
	chmod a+r "$E2E_DIR/r.tar.$z"
	as_user "$CR" create "t-$z" --arch arm64 --from-tar "$E2E_DIR/r.tar.$z" >/dev/null
	expect_eq "a .tar.$z imports" aarch64 "$(as_user "$CR" run "t-$z" -- /bin/uname -m)"
	as_user "$CR" rm "t-$z"
done

# export writes the container's own ids; it imports again with them.
as_user "$CR" create ex --arch arm64 --from-tar "$src" >/dev/null
as_user "$CR" run ex --root -- /bin/sh -c 'touch /owned && chown 1234:4321 /owned'
as_user "$CR" export ex "$E2E_DIR/ex.tar.zst"; expect_eq "export exits 0" 0 $?
listing=$(tar --zstd -tvf "$E2E_DIR/ex.tar.zst" --numeric-owner)
expect_match "the tarball holds the ids inside, not the subordinate ones" ' 1234/4321 .* \./owned$' "$listing"
expect_match "setuid bits are kept" '^-rwsr-xr-x 0/0 .* \./usr/bin/payload-suid$' "$listing"
expect_eq "the tarball belongs to the user" "$TEST_USER" "$(stat -c %U "$E2E_DIR/ex.tar.zst")"
err=$(as_user "$CR" export ex "$E2E_DIR/ex.zip" 2>&1); rc=$?
expect_eq "export to a name of no known tarball kind is bad usage" 2 "$rc"
check "... and writes nothing" test ! -e "$E2E_DIR/ex.zip"
as_user "$CR" create ex2 --arch arm64 --from-tar "$E2E_DIR/ex.tar.zst" >/dev/null
expect_eq "it imports with the same owners" "1234 4321" "$(as_user "$CR" run ex2 -- /bin/stat -c '%u %g' /owned)"

# Hostile tarballs: refused, nothing written outside, nothing left.
as_user sh -c 'echo keep > ~/target'
python3 - "$E2E_DIR" "$TEST_HOME" <<'PY'
import io, sys, tarfile
d, home = sys.argv[1], sys.argv[2]
def add(t, name, data=b"x", **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    i.size = len(data) if i.type == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
with tarfile.open(d + "/dotdot.tar", "w") as t:
    add(t, "./etc")
    add(t, "../../../../../../" + home.lstrip("/") + "/target", b"overwritten")
with tarfile.open(d + "/absolute.tar", "w") as t:
    add(t, home + "/target", b"overwritten")
with tarfile.open(d + "/through-symlink.tar", "w") as t:
    add(t, "escape", type=tarfile.SYMTYPE, linkname=home)
    add(t, "escape/target", b"overwritten")
with tarfile.open(d + "/hardlink.tar", "w") as t:
    add(t, "link", type=tarfile.LNKTYPE, linkname="../../../../../../" + home.lstrip("/") + "/target")
PY
for bad in dotdot absolute through-symlink hardlink; do
	chmod a+r "$E2E_DIR/$bad.tar"
	err=$(as_user "$CR" create "bad-$bad" --arch arm64 --from-tar "$E2E_DIR/$bad.tar" 2>&1); rc=$?
	expect_eq "a tarball with a $bad member is refused" 1 "$rc"
	expect_match "... with a message naming the member" "member .*: " "$err"
	expect_eq "... and the file outside is intact" keep "$(cat "$TEST_HOME/target")"
	check "... and no container is left" sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q 'bad-$bad'"
done

# Setuid and setgid bits survive only where the owner inside is a mapped id
# other than the user's own: a member of the user's uid (or gid) would be
# setuid (setgid) to the user on the host.  Device nodes are never made; a
# FIFO grants nothing and is kept.
TEST_GID=$(id -g "$TEST_USER")
cp "$src" "$E2E_DIR/setid.tar"
python3 - "$E2E_DIR/setid.tar" "$TEST_UID" "$TEST_GID" <<'PY'
import sys, tarfile
path, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
other = 1234 if uid != 1234 else 1235
def add(t, name, kind=tarfile.REGTYPE, **kw):
    i = tarfile.TarInfo(name)
    i.type = kind
    for k, v in kw.items():
        setattr(i, k, v)
    t.addfile(i)
with tarfile.open(path, "a") as t:
    add(t, "./usr/bin/suid-root", uid=0, gid=0, mode=0o4755)
    add(t, "./usr/bin/sgid-root", uid=0, gid=0, mode=0o2755)
    add(t, "./usr/bin/suid-user", uid=uid, gid=0, mode=0o4755)
    add(t, "./usr/bin/sgid-user", uid=0, gid=gid, mode=0o2755)
    add(t, "./usr/bin/both-other-uid-user-gid", uid=other, gid=gid, mode=0o6755)
    add(t, "./dev/char-node", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
    add(t, "./dev/block-node", tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o660)
    add(t, "./run/fifo", tarfile.FIFOTYPE, mode=0o644)
PY
chmod a+r "$E2E_DIR/setid.tar"
err=$(as_user "$CR" create setid --arch arm64 --from-tar "$E2E_DIR/setid.tar" 2>&1 >/dev/null); rc=$?
expect_eq "a tarball with setuid files and device nodes imports" 0 "$rc"
r=$TEST_HOME/.local/share/crossroot/containers/setid/rootfs
mode_of() { stat -c %a "$r/$1" 2>&1; }
expect_eq "a setuid-root file stays setuid" 4755 "$(mode_of usr/bin/suid-root)"
expect_eq "a setgid-root file stays setgid" 2755 "$(mode_of usr/bin/sgid-root)"
expect_eq "a file of the user's uid loses setuid" 755 "$(mode_of usr/bin/suid-user)"
expect_eq "... and is the user's on the host" "$TEST_UID" "$(stat -c %u "$r/usr/bin/suid-user")"
expect_eq "a file of the user's gid loses setgid" 755 "$(mode_of usr/bin/sgid-user)"
expect_eq "another uid with the user's gid keeps setuid, loses setgid" 4755 "$(mode_of usr/bin/both-other-uid-user-gid)"
expect_eq "the test rootfs's setuid-root payload stays setuid" 4755 "$(mode_of usr/bin/payload-suid)"
check "no character device is made" test ! -e "$r/dev/char-node"
check "no block device is made" test ! -e "$r/dev/block-node"
check "no device node at all is in the rootfs" sh -c "! find '$r' -xdev \\( -type c -o -type b \\) | grep -q ."
expect_eq "a FIFO is kept" fifo "$(stat -c %F "$r/run/fifo")"
expect_match "the dropped bits are reported with the count" "warning: .*setuid/setgid bits dropped from 3 files" "$err"
expect_match "... and the names" "suid-user.*sgid-user.*both-other-uid-user-gid" "$err"
expect_match "the skipped device nodes are reported" "warning: 2 device nodes not created.*char-node.*block-node" "$err"
# An id wider than 32 bits (a pax header may say any number) would be cut by
# chown(2): uid 2^32 + the user's uid would come out as the user's, setuid.
for wide in uid gid; do
	cp "$src" "$E2E_DIR/wide-$wide.tar"
	python3 - "$E2E_DIR/wide-$wide.tar" "$TEST_UID" "$TEST_GID" "$wide" <<'PY'
import sys, tarfile
path, uid, gid, wide = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
i = tarfile.TarInfo("./usr/bin/wide-" + wide)
i.mode = 0o6755
i.pax_headers = {wide: str(2**32 + (uid if wide == "uid" else gid))}
with tarfile.open(path, "a", format=tarfile.PAX_FORMAT) as t:
    t.addfile(i)
PY
	chmod a+r "$E2E_DIR/wide-$wide.tar"
	err=$(as_user "$CR" create "wide-$wide" --arch arm64 --from-tar "$E2E_DIR/wide-$wide.tar" 2>&1); rc=$?
	expect_eq "a member whose $wide is 2^32 + the user's own is refused" 1 "$rc"
	expect_match "... naming the member and why" "wide-$wide.*not a 32-bit id" "$err"
	check "... and no container is left" sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q 'wide-$wide'"
	check "... nor any setuid or setgid file of the user's" \
		sh -c "! find '$TEST_HOME/.local/share/crossroot' -xdev -user '$TEST_UID' -perm /6000 -type f | grep -q ."
done

err=$(as_user "$CR" create plain --arch arm64 --from-tar "$src" 2>&1 >/dev/null)
expect_eq "a tarball with nothing to drop or skip imports without a warning" "" "$err"
as_user "$CR" rm plain

# The rootfs must be of the arch asked: /bin/sh's ELF header (its symlinks
# resolved inside the rootfs) and dpkg's architecture say which it is.
# refused NAME ARCH TARBALL PATTERN DESCRIPTION: create fails, names why, leaves nothing.
refused() {
	local err rc
	err=$(as_user "$CR" create "$1" --arch "$2" --from-tar "$3" 2>&1); rc=$?
	expect_eq "$5: exit 1" 1 "$rc"
	expect_match "$5: the message says why" "$4" "$err"
	check "$5: nothing is left in the store" \
		sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q '$1'"
}
refused wrong armhf "$src" "the tarball holds an arm64 rootfs \(/bin/sh is ELF aarch64\), not armhf: use --arch arm64" \
	"an arm64 rootfs imported as armhf"
as_user "$CR" create right --arch arm64 --from-tar "$src" >/dev/null
expect_eq "imported as arm64 it works" aarch64 "$(as_user "$CR" run right -- /bin/uname -m)"
as_user "$CR" rm right
armhf=$E2E_DIR/rootfs/rootfs-armhf.tar
cp "$armhf" "$E2E_DIR/dpkg.tar"
cp "$armhf" "$E2E_DIR/inside.tar"
python3 - "$E2E_DIR" "$PAY" <<'PY'
import io, sys, tarfile
d, pay = sys.argv[1], sys.argv[2]
def add(t, name, data=b"", **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    i.size = len(data) if i.type == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
status = b"Package: base-files\nArchitecture: armhf\n\nPackage: dpkg\nStatus: install ok installed\nArchitecture: armhf\n\n"
with tarfile.open(d + "/dpkg.tar", "a") as t:
    add(t, "./var/lib/dpkg/status", status, mode=0o644)
# /bin/sh -> an absolute path that holds an arm64 program on the host and an armhf one inside.
with tarfile.open(d + "/inside.tar", "a") as t:
    add(t, "./bin/sh", type=tarfile.SYMTYPE, linkname=pay + "/payload-arm64")
    add(t, "." + pay + "/payload-arm64", open(pay + "/payload-armhf", "rb").read(), mode=0o755)
with tarfile.open(d + "/noshell.tar", "w") as t:
    add(t, "./etc/hostname", b"x\n", mode=0o644)
PY
chmod a+r "$E2E_DIR/dpkg.tar" "$E2E_DIR/inside.tar" "$E2E_DIR/noshell.tar"
refused wrong armel "$E2E_DIR/dpkg.tar" \
	"the tarball holds an armhf rootfs \(dpkg's architecture in /var/lib/dpkg/status\), not armel: use --arch armhf" \
	"an armhf rootfs (says dpkg) imported as armel"
as_user "$CR" create right --arch armhf --from-tar "$E2E_DIR/dpkg.tar" >/dev/null
expect_eq "imported as armhf it works" 0 $?
as_user "$CR" rm right
as_user "$CR" create inside --arch armhf --from-tar "$E2E_DIR/inside.tar" >/dev/null
expect_eq "an absolute /bin/sh symlink is resolved inside the rootfs, not on the host" 0 $?
as_user "$CR" rm inside
refused wrong arm64 "$E2E_DIR/noshell.tar" "no /bin/sh .*and no dpkg database.*cannot tell whether it is an arm64 rootfs" \
	"a rootfs with neither /bin/sh nor dpkg"

err=$(as_user "$CR" create nofile --arch arm64 --from-tar /nonexistent.tar 2>&1); rc=$?
expect_eq "a missing tarball exits 1" 1 "$rc"
expect_match "... naming it" "/nonexistent.tar: No such file or directory" "$err"

done_testing
