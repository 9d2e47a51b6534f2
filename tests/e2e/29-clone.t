#!/bin/bash
# create NEW --from NAME: the copy's rootfs equals the source's, path for
# path (manifest.py --copy: type, mode, owner, size, mtime, xattrs,
# contents, symlink targets, hard links), except what must differ: inode
# numbers, change times and directory sizes (never compared), and device
# nodes (left out, and named); the copy is independent of the source; bad
# sources are refused by name, and a failed copy leaves nothing.  Mapped
# mode, then single mode.
. "$(dirname "$0")/lib.sh"
MANIFEST=$TESTS_DIR/e2e/manifest.py
command -v python3 >/dev/null || prereq_fail "python3 is not installed (contrib/install-deps.sh installs it)"
base=$TEST_HOME/.local/share/crossroot/containers
run() { as_user "$CR" run "$@"; }

# enrich ROOTFS ROOT_UID ROOT_GID UID GID: as root on the host, what a rootfs may hold beyond
# the test tarball: hard links (one across directories), a FIFO, a socket,
# a device node, symlinks that lead out of the rootfs (never to be
# followed), xattrs on a file and a directory, odd modes (a 0555 directory
# with a file in it, a 000 file, setgid and sticky), a file of another id
# of the container, empty and larger files, and old times.  Everything is
# owned by the container's root (ROOT_UID:ROOT_GID on the host) but
# other-id (UID:GID).
enrich() {
	python3 - "$@" <<'PY'
import os, socket, stat, sys
r, ruid, rgid, uid, gid = sys.argv[1], *map(int, sys.argv[2:6])
p = lambda *a: os.path.join(r, *a)
os.makedirs(p("srv/data/ro"))
with open(p("srv/data/big"), "wb") as f:
    f.write(os.urandom(3 << 20))
open(p("srv/data/empty"), "w").close()
os.link(p("usr/bin/payload"), p("srv/data/payload-link"))
os.link(p("srv/data/big"), p("srv/data/big-link"))
os.mkfifo(p("srv/data/fifo"), 0o640)
s = socket.socket(socket.AF_UNIX)
s.bind(p("srv/data/socket"))
s.close()
os.mknod(p("srv/data/null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
os.symlink("/etc/shadow", p("srv/data/host-shadow"))
os.symlink("/", p("srv/data/host-root"))
os.symlink("../../nowhere", p("srv/data/dangling"))
os.setxattr(p("srv/data/big"), "user.origin", b"crossroot test")
os.setxattr(p("srv/data"), "user.dir", b"a directory's xattr")
open(p("srv/data/ro/inside"), "w").write("in a 0555 directory\n")
open(p("srv/data/secret"), "w").write("mode 000\n")
os.chmod(p("srv/data/secret"), 0)
os.chmod(p("srv/data/ro"), 0o555)
os.mkdir(p("srv/data/setgid"), 0o2775)
os.chmod(p("srv/data/setgid"), 0o2775)
os.mkdir(p("srv/data/sticky"))
os.chmod(p("srv/data/sticky"), 0o1777)
open(p("srv/data/other-id"), "w").write("another owner\n")
os.chown(p("srv/data/other-id"), uid, gid)
for dirpath, dirs, files in os.walk(p("srv"), topdown=False):
    for n in files + dirs:
        if n != "other-id":
            os.chown(os.path.join(dirpath, n), ruid, rgid, follow_symlinks=False)
        os.utime(os.path.join(dirpath, n), ns=(1000000000123456789, 1000000000123456789), follow_symlinks=False)
os.chown(p("srv"), ruid, rgid)
os.chmod(p("srv/data/setgid"), 0o2775)
os.utime(p("srv"), ns=(1200000000000000001, 1200000000000000001))
PY
}

# clone_checks MODE ROOT_UID ROOT_GID OTHER_UID OTHER_GID: everything, in one mode.
clone_checks() {
	local mode=$1 src=$base/src-$1/rootfs dst=$base/copy-$1/rootfs before want got out rc
	create_container "src-$mode" arm64
	# A direct run: what every run adds (passwd entry, mount points) is in the source too.
	run "src-$mode" -- /bin/true
	enrich "$src" "$2" "$3" "$4" "$5"
	before=$(python3 "$MANIFEST" "$src")
	want=$(python3 "$MANIFEST" --copy "$src" | grep -v '^srv/data/null ')

	out=$(as_user "$CR" create "copy-$mode" --from "src-$mode" 2>&1); rc=$?
	expect_eq "$mode: create --from works" 0 "$rc"
	expect_match "$mode: ... and says what it copied" "^created copy-$mode \\(arm64, $mode mode\\), a copy of src-$mode: [0-9]+ files" "$out"
	expect_match "$mode: ... and names the device node it could not copy" "warning: 1 device node not copied.*/srv/data/null" "$out"
	got=$(python3 "$MANIFEST" --copy "$dst")
	expect_eq "$mode: the copy's rootfs equals the source's, path for path (but the device node)" "$want" "$got"
	[ "$want" = "$got" ] || diag "$(diff <(echo "$want") <(echo "$got") | head -20)"
	check "$mode: ... whose symlinks were copied as links, never followed" \
		test -L "$dst/srv/data/host-root" -a -L "$dst/srv/data/host-shadow" -a ! -e "$dst/srv/data/null"
	expect_eq "$mode: the config is the source's" "$(cat "$base/src-$mode/config")" "$(cat "$base/copy-$mode/config")"
	expect_match "$mode: list shows the copy" "^copy-$mode +arm64 +$mode +stopped$" "$(as_user "$CR" list)"
	expect_eq "$mode: the copy runs" aarch64 "$(run "copy-$mode" -- /bin/uname -m)"

	run --root "copy-$mode" -- /bin/sh -c 'echo changed >>/srv/data/big-link; rm /usr/bin/payload /etc/group; echo new >/etc/new'
	expect_eq "$mode: changing the copy (a hard-linked file included) leaves the source as it was" \
		"$before" "$(python3 "$MANIFEST" "$src")"
	expect_eq "$mode: ... and the copy changed" changed "$(tail -c 8 "$dst/srv/data/big")"

	as_user "$CR" start "src-$mode"
	out=$(as_user "$CR" create "copy2-$mode" --from "src-$mode" 2>&1)
	expect_eq "$mode: a started source can be copied" 0 $?
	as_user "$CR" stop "src-$mode"

	# A failed copy leaves nothing: a mount below the source stops it (the copy never enters one).
	mount -t tmpfs none "$src/srv/data/ro" || prereq_fail "mount a tmpfs in the source"
	out=$(as_user "$CR" create "copy3-$mode" --from "src-$mode" 2>&1); rc=$?
	umount "$src/srv/data/ro"
	expect_eq "$mode: a copy that fails exits 1" 1 "$rc"
	expect_match "$mode: ... naming the path and why" "copying the rootfs of 'src-$mode': /srv/data/ro: .*mounted" "$out"
	check "$mode: ... and leaves no container, not even a hidden one" \
		sh -c "! ls -A '$base' | grep -q copy3"

	for c in "copy-$mode" "copy2-$mode" "src-$mode"; do as_user "$CR" rm "$c"; done
}

setup_mapped
clone_checks mapped "$TEST_SUBID_START" "$TEST_SUBID_START" $((TEST_SUBID_START + 1234)) $((TEST_SUBID_START + 1234))

create_container one arm64
out=$(as_user "$CR" create two --from nosuch 2>&1)
expect_eq "a missing source exits 1" 1 $?
expect_match "... naming it" "no container named 'nosuch' to copy" "$out"
out=$(as_user "$CR" create one --from one 2>&1)
expect_eq "an existing name exits 1" 1 $?
expect_match "... saying so" "container 'one' exists already" "$out"
out=$(as_user "$CR" create two --from one --arch armhf 2>&1)
expect_eq "--arch other than the source's is bad usage" 2 $?
expect_match "... saying whose arch a copy has" "'one' is arm64, and a copy has its source's arch" "$out"
out=$(as_user "$CR" create two --from one --from-tar /dev/null 2>&1)
expect_eq "--from with --from-tar is bad usage" 2 $?
out=$(as_user "$CR" create two --from .bad 2>&1)
expect_eq "an invalid source name is bad usage" 2 $?
check "none of them made anything" sh -c "! ls -A '$base' | grep -q two"
as_user "$CR" rm one

if [ -n "${E2E_CREATED_USER:-}" ]; then
	"$CR" teardown --user "$TEST_USER" >/dev/null
	# Single mode: every file is the user's (uid 0 inside); another owner cannot be kept.
	clone_checks single "$TEST_UID" "$(id -g "$TEST_USER")" "$TEST_UID" "$(id -g "$TEST_USER")"
else
	not_ok "single mode is tested for a user without setup: run the tests as root"
fi

done_testing
