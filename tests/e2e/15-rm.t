#!/bin/bash
# crossroot rm: only the container's own files go, never what a symlink or a
# mount leads to; names are checked; subordinate-owned files go without root.
. "$(dirname "$0")/lib.sh"
setup_mapped
create_container rmc arm64
run() { as_user "$CR" run "$@"; }
cdir=$TEST_HOME/.local/share/crossroot/containers/rmc

# Host files a careless rm -rf would reach.
mkdir -p "$E2E_DIR/hostdir/sub"
echo precious >"$E2E_DIR/hostdir/sub/file"
chown -R "$TEST_USER" "$E2E_DIR/hostdir" 2>/dev/null
as_user sh -c 'mkdir -p ~/project && echo mine > ~/project/keep'
# Made from inside (the rootfs belongs to root of the user's namespace);
# on the host these absolute links lead to the host directories.
run rmc --root -- /bin/ln -s "$E2E_DIR/hostdir" /hostlink
run rmc --root -- /bin/ln -s "$TEST_HOME" /homelink
expect_eq "the rootfs holds a link to a host directory" "$E2E_DIR/hostdir" "$(readlink "$cdir/rootfs/hostlink")"
check "... which leads there when followed on the host" test -f "$cdir/rootfs/hostlink/sub/file"
expect_eq "the rootfs holds a link to \$HOME" "$TEST_HOME" "$(readlink "$cdir/rootfs/homelink")"
# Files of subordinate ids, some unreadable: a user alone could not remove them.
run rmc --root -- /bin/sh -c 'mkdir -p /opt/locked/deep && echo x > /opt/locked/deep/f && chmod 000 /opt/locked/deep /opt/locked && chown 1234:1234 /opt/locked'
expect_eq "the container holds files of a subordinate id" "$((TEST_SUBID_START + 1234))" "$(stat -c %u "$cdir/rootfs/opt/locked")"

as_user "$CR" start rmc
err=$(as_user "$CR" rm rmc 2>&1); rc=$?
expect_eq "rm of a started container exits 1" 1 "$rc"
expect_match "... saying to stop it first" "crossroot stop rmc' first" "$err"
check "... and removes nothing" test -d "$cdir/rootfs/usr/bin"
as_user "$CR" stop rmc

as_user "$CR" rm rmc; rc=$?
expect_eq "rm exits 0 (no root needed for subordinate-owned files)" 0 "$rc"
check "the container directory is gone" test ! -e "$cdir"
expect_eq "a host directory behind a symlink in the rootfs is intact" precious "$(cat "$E2E_DIR/hostdir/sub/file")"
expect_eq "\$HOME, bound while started and linked from the rootfs, is intact" mine "$(cat "$TEST_HOME/project/keep")"
check "list no longer shows it" sh -c "! printf '%s' \"\$1\" | grep -q rmc" sh "$(as_user "$CR" list)"
check "no hidden leftover remains" sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q rmc"
err=$(as_user "$CR" rm rmc 2>&1); rc=$?
expect_eq "rm of a missing container exits 1" 1 "$rc"
expect_match "... naming it" "no container named 'rmc'" "$err"

# Something mounted inside on the host side: rm stops before it and touches nothing below.
mkdir -p "$E2E_DIR/data-$TEST_USER" && chown "$TEST_USER" "$E2E_DIR/data-$TEST_USER"
as_user env XDG_DATA_HOME="$E2E_DIR/data-$TEST_USER" unshare --user --map-root-user --mount bash -c '
	cr=$1 tar=$2 host=$3
	"$cr" create mnt --arch arm64 --from-tar "$tar" >/dev/null || exit 1
	root=$XDG_DATA_HOME/crossroot/containers/mnt/rootfs
	mkdir -p "$root/mnt/host" && mount --bind "$host" "$root/mnt/host" || exit 1
	"$cr" rm mnt; echo "rm-rc=$?"
	ls "$root/mnt/host/sub"
' bash "$CR" "$E2E_DIR/rootfs/rootfs-arm64.tar" "$E2E_DIR/hostdir" >"$E2E_DIR/mnt.out" 2>&1
out=$(cat "$E2E_DIR/mnt.out")
expect_match "rm of a container with a mount inside exits 1" '^rm-rc=1$' "$out"
expect_match "... saying something is mounted inside" "something is mounted inside" "$out"
expect_match "... and the mounted host directory is intact" '^file$' "$out"
expect_eq "the host files are intact" precious "$(cat "$E2E_DIR/hostdir/sub/file")"

# Names.
for bad in "a/b" ".." "" "-rf" ".hidden" "$(printf 'x%.0s' {1..65})"; do
	err=$(as_user "$CR" rm "$bad" 2>&1); rc=$?
	expect_eq "rm '${bad:0:20}' is refused as bad usage" 2 "$rc"
	expect_match "... with a clear message" "invalid container name|missing the container name|unknown option" "$err"
done
err=$(as_user "$CR" create ../x --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64.tar" 2>&1); rc=$?
expect_eq "create '../x' is refused" 2 "$rc"
expect_match "... saying what a name may hold" "use 1-64 characters of A-Z a-z 0-9 . _ -" "$err"
as_user "$CR" create "$(printf 'y%.0s' {1..64})" --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64.tar" >/dev/null
expect_eq "a 64-character name is fine" 0 $?
as_user "$CR" rm "$(printf 'y%.0s' {1..64})"

done_testing
