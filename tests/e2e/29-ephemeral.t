#!/bin/bash
# run --ephemeral and start --ephemeral: the command works on an overlayfs
# view of the rootfs, and afterwards the rootfs is as it was, path for path
# (manifest.py: type, mode, owner, size, mtime, xattrs, contents, links,
# inode), whatever root and the user did inside: a package's files
# installed, files of the rootfs written, chmod'ed, chown'ed and deleted, a
# directory replaced and one renamed.  The layer goes when the command ends,
# at stop, and after a kill -9 at the next use.  Ephemeral and direct users
# of one rootfs exclude each other.  Mapped mode first, then single mode.
. "$(dirname "$0")/lib.sh"
MANIFEST=$TESTS_DIR/e2e/manifest.py
command -v python3 >/dev/null || prereq_fail "python3 is not installed (contrib/install-deps.sh installs it)"
base=$TEST_HOME/.local/share/crossroot/containers
run() { as_user "$CR" run "$@"; }
layers() { find "$base/$1/ephemeral" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# wait_for PATTERN: up to 20 s for a path matching the glob PATTERN to exist.
wait_for() {
	for _ in $(seq 200); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# in_background PIDFILE COMMAND...: COMMAND as the user, in the background,
# its pid (crossroot's own, not a shell's) in $TEST_HOME/PIDFILE.
in_background() {
	local file=$1
	shift
	rm -f "$TEST_HOME/$file"
	as_user sh -c 'echo $$ >"$0"; exec "$@"' "$file" "$@" &
	wait_for "$TEST_HOME/$file"
}

# What root does inside: install a "package" (files, a setuid program, a
# dpkg status entry, a passwd line), chmod and chown rootfs files, delete a
# file and a symlink of the rootfs, replace a directory of it (an opaque
# directory in the upper layer), rename one (EXDEV under userxattr: mv
# copies), then show that all of it is visible in the run.
ROOT_CHANGES='set -e
/bin/mkdir -p /usr/lib/fakepkg /var/lib/dpkg
/bin/echo tool >/usr/lib/fakepkg/tool
/bin/chmod 4755 /usr/lib/fakepkg/tool
/bin/echo "Package: fakepkg" >>/var/lib/dpkg/status
/bin/echo "fake:x:1234:1234::/:/bin/sh" >>/etc/passwd
/bin/chmod 600 /etc/group
/bin/chown 1234:1234 /usr/bin/payload
/bin/rm /usr/bin/payload-suid /bin/true
/bin/rm -r /usr/share/doc
/bin/mkdir /usr/share/doc
/bin/echo new >/usr/share/doc/new
/bin/busybox mv /root /root.moved
/bin/test ! -e /usr/bin/payload-suid
/bin/test ! -e /usr/share/doc/busybox-static
/bin/test -d /root.moved -a ! -e /root
/bin/grep -q fake: /etc/passwd
/bin/echo "$(/bin/stat -c "%a %u:%g" /etc/group /usr/bin/payload /usr/lib/fakepkg/tool | /bin/tr "\n" " ")"'
# What the user does: write, chmod and delete files of the rootfs's /tmp
# (its own, made by a direct run before), and replace its directory.
USER_CHANGES='set -e
/bin/echo more >>/tmp/userfile
/bin/chmod 600 /tmp/userfile
/bin/rm /tmp/userfile2
/bin/rm -r /tmp/userdir
/bin/mkdir /tmp/userdir
/bin/echo new >/tmp/new
/bin/echo "$(/bin/stat -c "%a %u" /tmp/userfile /tmp/new | /bin/tr "\n" " ")"'

# ephemeral_checks NAME MODE: everything, on container NAME (mapped or single).
ephemeral_checks() {
	local c=$1 mode=$2 rootfs=$base/$1/rootfs before after out rc layer
	# A direct run first: its files for the user, and what every run adds (passwd entry, mount points).
	run "$c" -- /bin/sh -c 'echo 1 >/tmp/userfile; echo 2 >/tmp/userfile2; mkdir /tmp/userdir; echo 3 >/tmp/userdir/f'

	# Direct and ephemeral users of the rootfs exclude each other.
	in_background eph.pid "$CR" run --ephemeral "$c" -- /bin/sleep 30
	wait_for "$base/$c/ephemeral/*/upper"
	out=$(run "$c" -- /bin/true 2>&1); rc=$?
	expect_eq "$mode: a run without --ephemeral is refused while an ephemeral one is on" 125 "$rc"
	expect_match "$mode: ... saying why and what to do" "has an ephemeral run or start going on" "$out"
	expect_eq "$mode: two ephemeral runs go together" ok "$(run --ephemeral "$c" -- /bin/echo ok)"
	out=$(as_user "$CR" start "$c" 2>&1)
	expect_eq "$mode: start without --ephemeral is refused meanwhile" 1 $?
	kill -TERM "$(cat "$TEST_HOME/eph.pid")"
	wait
	in_background direct.pid "$CR" run "$c" -- /bin/sh -c 'echo >/tmp/direct-started; sleep 30'
	wait_for "$rootfs/tmp/direct-started"
	out=$(run --ephemeral "$c" -- /bin/true 2>&1); rc=$?
	expect_eq "$mode: run --ephemeral is refused while a direct run is on" 125 "$rc"
	expect_match "$mode: ... saying why" "is in use on its rootfs itself" "$out"
	kill -TERM "$(cat "$TEST_HOME/direct.pid")"
	wait
	run "$c" -- /bin/rm /tmp/direct-started
	as_user "$CR" start "$c"
	out=$(run --ephemeral "$c" -- /bin/true 2>&1); rc=$?
	expect_eq "$mode: ... and on a container started without --ephemeral" 125 "$rc"
	as_user "$CR" stop "$c"

	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.crossroot-test", b"kept", follow_symlinks=False)' \
		"$rootfs/etc/passwd"
	before=$(python3 "$MANIFEST" "$rootfs")

	out=$(run --ephemeral "$c" -- /bin/grep ' / / ' /proc/self/mountinfo)
	expect_match "$mode: the root of an ephemeral run is an overlayfs" ' - overlay overlay .*userxattr' "$out"
	expect_eq "$mode: ... whose / has the rootfs's owner and mode" "0 0 755" "$(run --ephemeral "$c" -- /bin/stat -c '%u %g %a' /)"
	out=$(run --ephemeral --root "$c" -- /bin/sh -c "$ROOT_CHANGES" 2>&1); rc=$?
	expect_eq "$mode: root's changes work inside (install, chmod, chown, rm, replace and rename a directory)" 0 "$rc"
	if [ "$mode" = mapped ]; then
		expect_eq "$mode: ... chmod, chown and setuid take effect" "600 0:0 755 1234:1234 4755 0:0 " "$out"
	else
		expect_eq "$mode: ... chmod and setuid take effect (chown to an unmapped id has none)" \
			"600 0:0 755 0:0 4755 0:0 " "$out"
	fi
	out=$(run --ephemeral "$c" -- /bin/sh -c "$USER_CHANGES" 2>&1); rc=$?
	expect_eq "$mode: the user's changes work inside" 0 "$rc"
	expect_eq "$mode: ... as the user's own files" "600 $([ "$mode" = mapped ] && echo "$TEST_UID" || echo 0) 644 $([ "$mode" = mapped ] && echo "$TEST_UID" || echo 0) " "$out"
	expect_eq "$mode: the next ephemeral run starts from the pristine rootfs" "absent" \
		"$(run --ephemeral "$c" -- /bin/sh -c 'test -e /usr/lib/fakepkg || test -e /tmp/new || echo absent')"
	expect_eq "$mode: each run's layer is gone when it ends" 0 "$(layers "$c")"
	run --ephemeral "$c" -- /usr/bin/payload exit 42
	expect_eq "$mode: the command's exit status passes through" 42 $?
	run --ephemeral "$c" -- /bin/sh -c 'kill -KILL $$'
	expect_eq "$mode: ... and its death by a signal (128+9)" 137 $?

	# A started ephemeral container: runs join it and see each other's changes, until stop.
	as_user "$CR" start --ephemeral "$c"
	expect_eq "$mode: start --ephemeral works" 0 $?
	run --root "$c" -- /bin/sh -c 'echo kept >/etc/kept; rm /bin/cat'
	expect_eq "$mode: runs join a started ephemeral container" kept "$(run "$c" -- /bin/sh -c 'read l </etc/kept; echo $l')"
	expect_eq "$mode: ... and one layer is in use" 1 "$(layers "$c")"
	expect_eq "$mode: run --ephemeral beside it gets a pristine view of its own" yes \
		"$(run --ephemeral "$c" -- /bin/sh -c 'test ! -e /etc/kept && test -e /bin/cat && echo yes')"
	as_user "$CR" stop "$c"
	expect_eq "$mode: stop removes the layer" 0 "$(layers "$c")"
	check "$mode: ... and what the runs did is gone" test ! -e "$rootfs/etc/kept" -a -L "$rootfs/bin/cat"

	# kill -9 of crossroot: the container dies with it; its layer stays until the next use.
	in_background crash.pid "$CR" run --ephemeral "$c" -- /bin/sh -c 'echo x >/tmp/crash; sleep 60'
	wait_for "$base/$c/ephemeral/*/upper/tmp/crash"
	kill -KILL "$(cat "$TEST_HOME/crash.pid")"
	wait
	layer=$(compgen -G "$base/$c/ephemeral/*" | head -n 1)
	expect_eq "$mode: a crossroot killed with SIGKILL leaves its layer" 1 "$(layers "$c")"
	# Its container's init dies with it (PR_SET_PDEATHSIG); then the layer's lock is free.
	timeout 20 flock "$layer/lock" true
	run "$c" -- /bin/true
	expect_eq "$mode: ... which the next run removes" 0 "$(layers "$c")"

	after=$(python3 "$MANIFEST" "$rootfs")
	expect_eq "$mode: the rootfs is as before, path for path" "$before" "$after"
	[ "$before" = "$after" ] || diag "$(diff <(echo "$before") <(echo "$after"))"
	expect_eq "$mode: no layer is left" 0 "$(layers "$c")"
}

setup_mapped
create_container eph arm64
ephemeral_checks eph mapped
out=$(as_user "$CR" run --ephemeral nosuch -- /bin/true 2>&1)
expect_eq "a missing container is refused by name" 125 $?
expect_match "... naming it" "no container named 'nosuch'" "$out"
as_user "$CR" rm eph

# Single mode: 16-single.t's setup (no root's setup for the user).
if [ -n "${E2E_CREATED_USER:-}" ]; then
	"$CR" teardown --user "$TEST_USER" >/dev/null
	create_container eph1 arm64
	ephemeral_checks eph1 single
	as_user "$CR" rm eph1
else
	not_ok "single mode is tested for a user without setup: run the tests as root"
fi

done_testing
