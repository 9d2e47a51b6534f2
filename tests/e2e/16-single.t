#!/bin/bash
# Single mode: no root anywhere.  The user's own uid is uid 0 inside and no
# other id exists; every command still works, with the documented limits.
. "$(dirname "$0")/lib.sh"
if [ -n "${E2E_CREATED_USER:-}" ]; then
	"$CR" teardown --user "$TEST_USER" >/dev/null
elif "$CR" check | grep -q '^ok +setup: done'; then
	prereq_fail "single mode is tested for a user without setup: run the tests as root"
fi
run() { as_user "$CR" run "$@"; }

expect_match "check reports single mode" '^-- +setup: not done: single mode' "$(as_user "$CR" check)"
out=$(as_user "$CR" create one --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64.tar" 2>/dev/null); rc=$?
expect_eq "create works without setup" 0 "$rc"
expect_match "... in single mode" 'single mode' "$out"
expect_match "list shows single mode" '^one +arm64 +single +stopped$' "$(as_user "$CR" list)"
expect_eq "uname -m is aarch64" aarch64 "$(run one -- /bin/uname -m)"
expect_eq "the user is uid 0 inside" "uid=0 gid=0 euid=0 egid=0" "$(run one -- /usr/bin/payload id)"
status=$(run one -- /bin/cat /proc/self/status)
expect_match "without --root the command has no capabilities" '^CapEff:[[:space:]]+0000000000000000$' "$status"
expect_match "... and cannot get any (empty bounding set)" '^CapBnd:[[:space:]]+0000000000000000$' "$status"
expect_match "--root has the build-safe set" '^CapEff:[[:space:]]+00000000a80405fb$' "$(run one --root -- /bin/cat /proc/self/status)"
run one --root -- /bin/sh -c 'echo x > /tmp/owned'
expect_eq "files made inside belong to the user on the host" "$TEST_USER" \
	"$(stat -c %U "$TEST_HOME/.local/share/crossroot/containers/one/rootfs/tmp/owned")"
run one --root -- /bin/chown 1234:1234 /tmp/owned
expect_eq "chown to an unmapped id succeeds (dpkg can unpack)" 0 $?
expect_eq "... without effect" "0 0" "$(run one -- /bin/stat -c '%u %g' /tmp/owned)"
run one -- /usr/bin/payload exit 42; expect_eq "exit codes pass through" 42 $?
run one -- /bin/sh -c 'kill -KILL $$'; expect_eq "SIGKILL gives 137" 137 $?
expect_eq "\$HOME is bound" "$TEST_HOME" "$(run one -- /usr/bin/payload cwd)"

# Every file is the user's on the host: no setuid or setgid bit survives, not
# even root's inside.
cp "$E2E_DIR/rootfs/rootfs-arm64.tar" "$E2E_DIR/setid.tar"
python3 - "$E2E_DIR/setid.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "a") as t:
    for name, mode in (("./usr/bin/sgid-root", 0o2755), ("./usr/bin/both-root", 0o6755)):
        i = tarfile.TarInfo(name)
        i.mode = mode
        t.addfile(i)
PY
chmod a+r "$E2E_DIR/setid.tar"
err=$(as_user "$CR" create setid --arch arm64 --from-tar "$E2E_DIR/setid.tar" 2>&1 >/dev/null)
r=$TEST_HOME/.local/share/crossroot/containers/setid/rootfs
expect_eq "a setuid-root file loses setuid" 755 "$(stat -c %a "$r/usr/bin/payload-suid")"
expect_eq "a setgid-root file loses setgid" 755 "$(stat -c %a "$r/usr/bin/sgid-root")"
expect_eq "a setuid and setgid root file loses both" 755 "$(stat -c %a "$r/usr/bin/both-root")"
check "... and no setuid or setgid file is left in the rootfs" sh -c "! find '$r' -xdev -type f -perm /6000 | grep -q ."
expect_match "the dropped bits are reported" "warning: .*setuid/setgid bits dropped from 3 files.*payload-suid" "$err"
as_user "$CR" rm setid

as_user "$CR" start one; expect_eq "start works" 0 $?
run one -- /bin/sh -c 'echo kept > /dev/shm/n'
expect_eq "a started container keeps its tmpfs" kept "$(run one -- /bin/cat /dev/shm/n)"
expect_eq "run joins a started single-mode container as uid 0" "uid=0" "$(run one -- /usr/bin/payload id | cut -d' ' -f1)"
as_user "$CR" stop one; expect_eq "stop works" 0 $?
as_user "$CR" rm one; expect_eq "rm works" 0 $?

# On a host whose / is shared (as under systemd), nothing leaks back: the
# container's mounts stay in its namespace and the old root is not unmounted.
mkdir -p "$E2E_DIR/shared-$TEST_USER" && chown "$TEST_USER" "$E2E_DIR/shared-$TEST_USER"
out=$(as_user env XDG_DATA_HOME="$E2E_DIR/shared-$TEST_USER" unshare --user --map-root-user --mount bash -c '
	cr=$1 tar=$2
	mount --make-rshared / || exit 1
	"$cr" create sh --arch arm64 --from-tar "$tar" >/dev/null || exit 1
	before=$(sed "s/ [0-9]* [0-9]* / /" /proc/self/mountinfo | sort | md5sum)
	"$cr" run sh -- /bin/uname -m
	"$cr" start sh && "$cr" run sh -- /bin/true && "$cr" stop sh
	after=$(sed "s/ [0-9]* [0-9]* / /" /proc/self/mountinfo | sort | md5sum)
	[ "$before" = "$after" ] && echo mounts-unchanged
	grep -c " / / .*shared:" /proc/self/mountinfo
' bash "$CR" "$E2E_DIR/rootfs/rootfs-arm64.tar" 2>&1)
expect_match "with a shared /, the container still runs" '^aarch64$' "$out"
expect_match "... and no mount propagates back, nor does the old root's unmount" '^mounts-unchanged$' "$out"
expect_match "... and / is still shared afterwards" '^1$' "$out"

done_testing
