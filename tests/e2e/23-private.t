#!/bin/bash
# Containers are private to their owner: a second user can neither read a
# rootfs nor write into its /tmp, even with the owner's home open to all.
# Leftovers of an interrupted create are removed only when their creator is
# proven gone by the lock it held, never judged by a PID.
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "a second user is made by root: run the tests as root"
setup_mapped
add_second_user
chmod 0755 "$TEST_HOME"
DATA=$TEST_HOME/.local/share/crossroot
STORE=$DATA/containers
create_container priv arm64
# denied COMMAND...: the command fails (what it prints is not wanted).
denied() { ! "$@" >/dev/null 2>&1; }

expect_eq "the data directory is 0700" 700 "$(stat -c %a "$DATA")"
expect_eq "the store is 0700" 700 "$(stat -c %a "$STORE")"
expect_eq "the container's directory is 0700" 700 "$(stat -c %a "$STORE/priv")"

as_user "$CR" run priv -- /bin/sh -c 'echo secret >/tmp/mine && chmod 0666 /tmp/mine' ||
	prereq_fail "a run that writes /tmp/mine"
check "what the container writes to /tmp stays in its rootfs" test -f "$STORE/priv/rootfs/tmp/mine"
check "... not in the host's /tmp" test ! -e /tmp/mine
check "a second user cannot list the store" denied as_other ls "$STORE"
check "... nor read a file of the rootfs" denied as_other cat "$STORE/priv/rootfs/etc/passwd"
check "... nor read the container's /tmp, even a file of mode 0666" \
	denied as_other cat "$STORE/priv/rootfs/tmp/mine"
check "... nor write into the container's /tmp" denied as_other touch "$STORE/priv/rootfs/tmp/theirs"
check "... and nothing of theirs is there" test ! -e "$STORE/priv/rootfs/tmp/theirs"
found=$(as_other find "$DATA" -readable 2>/dev/null | grep -v "^$DATA\$")
expect_eq "nothing below the data directory is readable by the second user" "" "$found"

# A store made 0755 by an older version is made private by the next create.
chmod 0755 "$DATA" "$STORE"
create_container priv2 arm64
expect_eq "an older 0755 store is 0700 after the next create" "700 700" \
	"$(stat -c %a "$DATA") $(stat -c %a "$STORE")"

# Leftovers: a hidden temporary directory whose creator still holds its lock
# is kept, whatever its PID says (here one that does not exist, as for a
# create in another pid namespace or on another host sharing the home).
ghost=$STORE/.ghost.tmp-4194300
as_user mkdir -p "$ghost/rootfs"
as_user flock -o "$ghost" sleep 60 &
holder=$!
sleep 0.5
create_container third arm64
check "a leftover whose creator holds its lock is kept, though its PID does not exist" test -d "$ghost/rootfs"
pkill -u "$TEST_USER" -f "^flock -o $ghost" || prereq_fail "stop the flock holding $ghost"
wait "$holder" 2>/dev/null
# One whose PID is alive (pid 1) but whose lock nobody holds is a leftover.
as_user mkdir -p "$STORE/.init.tmp-1/rootfs"
as_user "$CR" rm third >/dev/null
create_container third arm64
check "once the lock is released, the next create removes it" test ! -e "$ghost"
check "a leftover is removed though its PID is alive, when nobody holds its lock" test ! -e "$STORE/.init.tmp-1"

# Creates running side by side never take each other's directory for a leftover.
as_user "$CR" create par1 --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" >/dev/null 2>&1 &
p1=$!
as_user "$CR" create par2 --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" >/dev/null 2>&1 &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
expect_eq "two creates at once both succeed" "0 0" "$r1 $r2"
expect_eq "... and both containers run" "0 0" \
	"$(as_user "$CR" run par1 -- /bin/true; a=$?; as_user "$CR" run par2 -- /bin/true; echo "$a $?")"

done_testing
