#!/bin/bash
# A hostile or odd rootfs and interrupted commands must never reach host
# files or leave processes behind.
. "$(dirname "$0")/lib.sh"
setup_mapped
run() { as_user "$CR" run "$@"; }

# A rootfs whose /etc is a symlink to the user's $HOME: crossroot writes the
# user's passwd, group, shadow and hosts entries into the rootfs's /etc, and
# binds resolv.conf there; with $HOME bound into the container, a careless
# order would write into the real $HOME instead.
mkdir "$E2E_DIR/evil" && tar -xf "$E2E_DIR/rootfs/rootfs-arm64.tar" -C "$E2E_DIR/evil"
rm -rf "$E2E_DIR/evil/etc" && ln -s "$TEST_HOME" "$E2E_DIR/evil/etc"
tar --numeric-owner --owner=0 --group=0 -C "$E2E_DIR/evil" -cf "$E2E_DIR/evil.tar" . && chmod a+r "$E2E_DIR/evil.tar"
for f in passwd group shadow hosts; do as_user sh -c "echo ORIGINAL > ~/$f"; done
as_user "$CR" create evil --arch arm64 --from-tar "$E2E_DIR/evil.tar" >/dev/null || prereq_fail "create evil"
run evil -- /bin/true
as_user "$CR" start evil
run evil -- /bin/true
as_user "$CR" stop evil
for f in passwd group shadow hosts; do
	expect_eq "\$HOME/$f is untouched through a rootfs /etc -> \$HOME symlink" ORIGINAL "$(cat "$TEST_HOME/$f")"
done
check "no resolv.conf appeared in \$HOME" test ! -e "$TEST_HOME/resolv.conf"
check "no file of a subordinate id appeared in \$HOME" \
	sh -c "! find '$TEST_HOME' -xdev -path '$TEST_HOME/.local' -prune -o -uid $TEST_SUBID_START -print | grep -q ."

# A bind whose target would have to be created inside the bound $HOME is refused.
mkdir -p "$E2E_DIR/src" && chmod a+rx "$E2E_DIR/src"
err=$(run evil --bind "$E2E_DIR/src:$TEST_HOME/not/there" -- /bin/true 2>&1); rc=$?
expect_eq "a bind target missing inside a bound host directory gives 125" 125 "$rc"
expect_match "... saying to create it first" "create it first" "$err"
check "... and nothing was created in \$HOME" test ! -e "$TEST_HOME/not"

# Killing create leaves no process running and no directory the user cannot remove.
as_user "$CR" create big --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" >/dev/null 2>&1 &
sleep 0.4
# The oldest process whose command line starts with the binary: crossroot, not runuser.
pkill -KILL -o -f "^$CR create big" 2>/dev/null
wait
sleep 1
expect_eq "no process of the killed create runs on" 0 "$(pgrep -f "^$CR create big" | wc -l)"
as_user "$CR" create other --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64.tar" >/dev/null
check "the next create removes the killed one's leftovers" \
	sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q '^\.big\.'"

# rm waits for a run in progress on a stopped container.
run other -- /bin/sleep 3 &
sleep 1
err=$(as_user "$CR" rm other 2>&1); rc=$?
expect_eq "rm during a run exits 1" 1 "$rc"
expect_match "... saying it is in use" "being started, stopped, removed or run" "$err"
wait
expect_eq "the run's rootfs was left alone" 0 "$(run other -- /bin/true; echo $?)"

# Killing `crossroot run` on a started container takes the command with it.
as_user "$CR" start other
run other -- /bin/sleep 444 &
sleep 1
pkill -KILL -o -f "^$CR run other -- /bin/sleep 444"
wait
sleep 0.5
check "the command of a killed run is gone" sh -c '! pgrep -f "/bin/[s]leep 444" >/dev/null'
as_user "$CR" stop other

# Input that would corrupt the config.
err=$(as_user "$CR" create x --arch arm64 --suite "$(printf 'a\nmode=single')" 2>&1); rc=$?
expect_eq "a suite with a newline is bad usage" 2 "$rc"
printf '%10240s' '' | tr ' ' '\0' >"$E2E_DIR/zeros.tar" && chmod a+r "$E2E_DIR/zeros.tar"
err=$(as_user "$CR" create zeros --arch arm64 --from-tar "$E2E_DIR/zeros.tar" 2>&1); rc=$?
expect_eq "an empty tarball is refused" 1 "$rc"
expect_match "... as no rootfs" "no members" "$err"
err=$(run other --bind /tmp:/ -- /bin/true 2>&1); rc=$?
expect_eq "a bind over / is refused" 125 "$rc"

done_testing
