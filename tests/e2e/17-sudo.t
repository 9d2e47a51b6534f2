#!/bin/bash
# Privilege inside: in mapped mode sudo and su work for a rootfs that has
# them (binfmt C flag inside the user's namespace only); in single mode sudo
# cannot, and says so.
. "$(dirname "$0")/lib.sh"
setup_mapped
[ -f "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" ] || prereq_fail "no test rootfs with sudo (make check-e2e builds it)"
as_user "$CR" create sd --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" >/dev/null ||
	prereq_fail "crossroot create sd"
run() { as_user "$CR" run "$@"; }

expect_match "sudo is setuid root inside" '^-rwsr-xr-x +1 0 +0 ' "$(run sd -- /bin/ls -ln /usr/bin/sudo)"
err=$(run sd -- /usr/bin/sudo -n true 2>&1); rc=$?
expect_eq "sudo -n true works" 0 "$rc"
check "... without complaining about the hostname" sh -c "! printf '%s' \"\$1\" | grep -q 'unable to resolve host'" sh "$err"
expect_eq "sudo gives root" "uid=0 gid=0 euid=0 egid=0" "$(run sd -- /usr/bin/sudo -n /usr/bin/payload id 2>/dev/null)"
expect_eq "su -c as root runs as the user" "uid=$TEST_UID" \
	"$(run sd --root -- /bin/su -c '/usr/bin/payload id' "$TEST_USER" 2>/dev/null | cut -d' ' -f1)"
out=$(run sd -- /bin/cat /proc/sys/fs/binfmt_misc/crossroot-aarch64)
expect_match "the entry inside carries C" '^flags: .*C' "$out"
check "the host has no C entry of crossroot's" sh -c "! grep -qs 'flags: .*C' /proc/sys/fs/binfmt_misc/crossroot-* 2>/dev/null"

# Single mode: one id only, so sudo cannot switch users.
if [ -n "${E2E_CREATED_USER:-}" ]; then
	"$CR" teardown --user "$TEST_USER" >/dev/null
	mkdir -p "$E2E_DIR/single-$TEST_USER" && chown "$TEST_USER" "$E2E_DIR/single-$TEST_USER"
	as_user env XDG_DATA_HOME="$E2E_DIR/single-$TEST_USER" "$CR" create one --arch arm64 \
		--from-tar "$E2E_DIR/rootfs/rootfs-arm64-sudo.tar" >/dev/null 2>&1
	err=$(as_user env XDG_DATA_HOME="$E2E_DIR/single-$TEST_USER" "$CR" run one -- /usr/bin/sudo -n true 2>&1); rc=$?
	check "in single mode sudo fails (its documented limit)" test "$rc" -ne 0
	expect_match "... with sudo's own message" 'sudo' "$err"
fi

done_testing
