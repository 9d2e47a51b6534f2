#!/bin/bash
# crossroot run on a stopped container, in mapped mode: what is inside,
# who runs, exit codes, signals and stdio.
. "$(dirname "$0")/lib.sh"
setup_mapped
create_container a64 arm64
create_container a32 armhf
run() { as_user "$CR" run "$@"; }

out=$(run a64 -- /bin/uname -m); rc=$?
expect_eq "run exits 0" 0 "$rc"
expect_eq "uname -m inside an arm64 container is aarch64" aarch64 "$out"
expect_eq "uname -m inside an armhf container is armv7l" armv7l "$(run a32 -- /bin/uname -m)"
gid=$(id -g "$TEST_USER")
expect_eq "the command runs as the user's own uid and gid" "uid=$TEST_UID gid=$gid euid=$TEST_UID egid=$gid" \
	"$(run a64 -- /usr/bin/payload id)"
expect_eq "--root runs as uid 0" "uid=0 gid=0 euid=0 egid=0" "$(run a64 --root -- /usr/bin/payload id)"
expect_eq "the user's passwd entry is inside" "$TEST_USER:x:$TEST_UID:$gid::$TEST_HOME:/bin/sh" \
	"$(run a64 -- /bin/grep "^$TEST_USER:" /etc/passwd)"
expect_match "the user's group entry is inside" "^$TEST_USER:x:$gid:" "$(run a64 -- /bin/cat /etc/group)"
expect_eq "real ownership: files the tarball gave to root show as 0 0" "0 0" \
	"$(run a64 -- /bin/stat -c '%u %g' /usr/bin/payload)"
expect_match "setuid programs run setuid (binfmt C flag inside the namespace)" "euid=0" \
	"$(run a64 -- /usr/bin/payload-suid id)"

# Exit codes.
run a64 -- /bin/true; expect_eq "exit 0 passes through" 0 $?
run a64 -- /bin/false; expect_eq "exit 1 passes through" 1 $?
run a64 -- /usr/bin/payload exit 42; expect_eq "exit 42 passes through" 42 $?
run a64 -- /bin/sh -c 'kill -KILL $$'; expect_eq "death by SIGKILL gives 137" 137 $?
err=$(run a64 -- /no/such/cmd 2>&1); rc=$?
expect_eq "a command not found gives 127" 127 "$rc"
expect_match "... named" "/no/such/cmd: No such file or directory" "$err"
run a64 -- no-such-cmd-in-path 2>/dev/null; expect_eq "a command not found on PATH gives 127" 127 $?
run a64 -- /etc/passwd 2>/dev/null; expect_eq "a command that is not executable gives 126" 126 $?
err=$(run a64 --cwd /no/such/dir -- /bin/true 2>&1); rc=$?
expect_eq "crossroot's own failure (a missing --cwd) gives 125" 125 "$rc"
expect_match "... saying what failed" "change to the working directory: No such file or directory" "$err"
err=$(run no-such-container -- /bin/true 2>&1); rc=$?
expect_eq "an unknown container gives 125" 125 "$rc"
expect_match "... naming it" "no container named 'no-such-container'" "$err"
run a64 2>/dev/null; expect_eq "run without a command gives 125" 125 $?

# Options.
expect_eq "--env sets a variable" "bar" "$(run a64 --env FOO=bar -- /bin/sh -c 'echo $FOO')"
expect_eq "--cwd sets the working directory" "/usr/bin" "$(run a64 --cwd /usr/bin -- /usr/bin/payload cwd)"
expect_eq "by default the working directory is the caller's (\$HOME here)" "$TEST_HOME" "$(run a64 -- /usr/bin/payload cwd)"
expect_eq "HOME is the user's" "$TEST_HOME" "$(run a64 -- /bin/sh -c 'echo $HOME')"
mkdir -p "$E2E_DIR/share" && echo shared >"$E2E_DIR/share/file" && chmod -R a+rX "$E2E_DIR/share"
expect_eq "--bind SRC:DST binds a host directory" shared "$(run a64 --bind "$E2E_DIR/share:/mnt/share" -- /bin/cat /mnt/share/file)"
expect_eq "--bind SRC binds at the same path" shared "$(run a64 --bind "$E2E_DIR/share" -- /bin/cat "$E2E_DIR/share/file")"
err=$(run a64 --bind "$E2E_DIR/share:/mnt/share:ro" -- /bin/touch /mnt/share/new 2>&1); rc=$?
check "--bind ...:ro is read-only" test "$rc" -ne 0 -a ! -e "$E2E_DIR/share/new"
run a64 --bind relative:/x -- /bin/true 2>/dev/null; expect_eq "--bind with a relative path is bad usage (125)" 125 $?

# $HOME, /var/tmp, resolv.conf, /dev, /proc, binfmt.
as_user sh -c 'echo from-home > ~/marker'
expect_eq "\$HOME is bound at the same path" from-home "$(run a64 -- /bin/cat "$TEST_HOME/marker")"
run a64 -- /bin/sh -c "echo from-inside > $TEST_HOME/written"
expect_eq "files written in \$HOME inside appear on the host, owned by the user" "from-inside $TEST_USER" \
	"$(cat "$TEST_HOME/written") $(stat -c %U "$TEST_HOME/written")"
tag=crossroot-e2e-$$
as_user sh -c "echo $tag > /var/tmp/$tag"
expect_eq "/var/tmp is bound" "$tag" "$(run a64 -- /bin/cat "/var/tmp/$tag")"
rm -f "/var/tmp/$tag"
if [ -e /etc/resolv.conf ]; then
	expect_eq "/etc/resolv.conf is the host's" "$(cat /etc/resolv.conf)" "$(run a64 -- /bin/cat /etc/resolv.conf)"
fi
mounts=$(run a64 -- /bin/cat /proc/self/mountinfo)
expect_match "/dev is a tmpfs" ' /dev rw,nosuid,noexec[^ ]* - tmpfs ' "$mounts"
expect_match "/dev/pts is a devpts instance of its own" ' /dev/pts [^ ]* - devpts devpts [^ ]*ptmxmode=666' "$mounts"
expect_match "/dev/shm is a tmpfs" ' /dev/shm [^ ]* - tmpfs ' "$mounts"
expect_match "/proc is a procfs" ' /proc [^ ]* - proc ' "$mounts"
expect_match "binfmt_misc is mounted inside" ' /proc/sys/fs/binfmt_misc [^ ]* - binfmt_misc ' "$mounts"
# The instance holds the entries of the container's own arch and of the arches its dpkg knows, no others.
expect_eq "binfmt_misc inside holds the container's own entry only" "crossroot-aarch64 register status" \
	"$(echo $(run a64 -- /bin/ls /proc/sys/fs/binfmt_misc))"
install -m 0755 -o "$TEST_USER" "$PAY/payload-armhf" "$TEST_HOME/payload-armhf"
run a64 -- "$TEST_HOME/payload-armhf" uname-m >/dev/null 2>&1
expect_eq "so an armhf program does not run in an arm64 container (126)" 126 $?
run a64 --root -- /bin/sh -c '/bin/mkdir -p /var/lib/dpkg && echo arm64 >/var/lib/dpkg/arch && echo armhf >>/var/lib/dpkg/arch'
expect_eq "... until its dpkg knows armhf (dpkg --add-architecture armhf)" armv7l \
	"$(run a64 -- "$TEST_HOME/payload-armhf" uname-m)"
rm -f "$TEST_HOME/payload-armhf"
expect_eq "/dev/ptmx points into the devpts" "pts/ptmx" "$(run a64 -- /bin/readlink /dev/ptmx)"
expect_eq "/dev/null works" "" "$(run a64 -- /bin/cat /dev/null)"
expect_eq "/dev/zero works" "0000" "$(run a64 -- /bin/sh -c 'head -c 2 /dev/zero | od -An -tx1 | tr -d " \n"' 2>/dev/null || run a64 -- /bin/sh -c '/bin/head -c 4 /dev/zero | /bin/wc -c')"
expect_eq "the hostname is the container's name" a64 "$(run a64 -- /bin/hostname)"
expect_eq "pid 1 is the container's init: the command is not alone" 1 "$(run a64 -- /bin/sh -c 'test -d /proc/1 && echo 1')"
# (Binds above created their mount points in the rootfs; this host path was never bound.)
out=$(run a64 -- /bin/sh -c "test -e $E2E_DIR/payload && echo visible" 2>&1)
expect_eq "the old root is gone: no host path is visible" "" "$out"

# stdio: binary-safe, large, closed stdin.
head -c 3000000 /dev/urandom >"$E2E_DIR/big"
chmod a+r "$E2E_DIR/big"
want=$(sha256sum <"$E2E_DIR/big" | cut -d' ' -f1)
got=$(as_user "$CR" run a64 -- /bin/cat <"$E2E_DIR/big" | sha256sum | cut -d' ' -f1)
expect_eq "3 MB of binary stdin come back unchanged on stdout" "$want" "$got"
got=$(as_user "$CR" run a64 -- /bin/sh -c '/bin/cat >&2' <"$E2E_DIR/big" 2>&1 >/dev/null | sha256sum | cut -d' ' -f1)
expect_eq "... and on stderr" "$want" "$got"
out=$(as_user "$CR" run a64 -- /bin/sh -c '/bin/cat; echo done:$?' <&-)
expect_eq "a closed stdin reads as empty, never as some other file" "done:0" "$out"
out=$(as_user "$CR" run a64 -- /bin/cat </dev/null); rc=$?
expect_eq "an empty stdin gives empty output" "0:" "$rc:$out"

# Signals sent to crossroot reach the command.
for sig in INT TERM HUP; do
	fifo=$E2E_DIR/sig-$sig
	mkfifo "$fifo" && chmod a+rw "$fifo"
	as_user "$CR" run a64 -- /usr/bin/payload signals >"$fifo" &
	pid=$!
	exec 9<"$fifo"
	read -r -t 20 line <&9
	# The runuser/bash wrapper execs crossroot: $pid is crossroot itself once it reads "ready".
	crossroot_pid=$(pgrep -f -n "crossroot run a64 -- /usr/bin/payload signals")
	kill -s "$sig" "$crossroot_pid"
	read -r -t 20 got <&9
	wait "$pid"; rc=$?
	exec 9<&-
	num=$(kill -l "$sig")
	expect_eq "SIG$sig sent to crossroot run reaches the command" "ready/got $num/$((100 + num))" "$line/$got/$rc"
done

# A run on a stopped container leaves nothing behind.
run a64 -- /bin/sh -c '/bin/sleep 300 & echo started' >/dev/null
sleep 0.5
check "what a run on a stopped container left running is gone with it" sh -c '! pgrep -f "/bin/[s]leep 300" >/dev/null'

# pid 1 of a run is crossroot-init, run from a memfd.  Where executable
# memfds are refused (vm.memfd_noexec=2, set here in a pid namespace of its
# own: the setting is per pid namespace) it is a fork of crossroot, and
# runs behave the same.
expect_eq "pid 1 of a run is crossroot-init" crossroot-init "$(run a64 -- /bin/cat /proc/1/comm)"
noexec_run() {
	unshare --pid --fork --mount-proc bash -c 'echo 2 >/proc/sys/vm/memfd_noexec || exit 99
		export E2E_CREATED_USER="$1" TEST_HOME="$2" TEST_USER="$3"; shift 3
		'"$(declare -f as_user)"'
		as_user "$@"' bash "${E2E_CREATED_USER:-}" "$TEST_HOME" "$TEST_USER" "$CR" run "$@"
}
out=$(noexec_run a64 -- /bin/sh -c 'cat /proc/1/comm; exit 3'); rc=$?
expect_eq "with vm.memfd_noexec=2, pid 1 is a fork of crossroot, and the exit status passes" "crossroot:3" "$out:$rc"
out=$(noexec_run a64 -- /bin/sh -c '/bin/sleep 300 & echo started'); rc=$?
sleep 0.5
expect_eq "... and what it left running is gone with it" "started:0:none" \
	"$out:$rc:$(pgrep -f '/bin/[s]leep 300' >/dev/null && echo some || echo none)"

# crossroot killed with SIGKILL in the middle of a run: nothing of the container outlives it.
as_user "$CR" run a64 -- /bin/sh -c '/bin/sleep 301 & exec /bin/sleep 302' &
for _ in $(seq 100); do pgrep -f '/bin/[s]leep 302' >/dev/null && break; sleep 0.1; done
crossroot_pid=$(pgrep -f -n "crossroot run a64 -- /bin/sh -c /bin/sleep 301")
init=$(pgrep -P "$crossroot_pid" -x crossroot-init)
kill -KILL "$crossroot_pid"
wait
# Gone, or a zombie its new parent has yet to reap.
init_gone() { [ -n "$init" ] && { [ ! -e "/proc/$init" ] || grep -q '^State:.*Z' "/proc/$init/status" 2>/dev/null; }; }
for _ in $(seq 50); do ! pgrep -f '/bin/[s]leep 30[12]' >/dev/null && init_gone && break; sleep 0.1; done
check "crossroot killed mid-run: its command and what that started are gone" sh -c '! pgrep -f "/bin/[s]leep 30[12]"'
check "... and so is the container's init ($init)" init_gone

done_testing
