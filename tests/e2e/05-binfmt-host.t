#!/bin/bash
# Host-wide registration (root, for kernels without sandboxed binfmt_misc).
# Run as "root" of a user namespace of the test user's own: binfmt_misc
# registers in the instance of the caller's user namespace, so this drives
# exactly the code root runs on the host, while the host's own instance is
# never touched by the test.
. "$(dirname "$0")/lib.sh"

err=$(as_user "$CR" binfmt register 2>&1); rc=$?
expect_eq "binfmt register as a user exits 1" 1 "$rc"
expect_match "... saying it must run as root" "must run as root" "$err"
expect_match "... with a hint about sandboxed binfmt_misc" "^Hint: .*sandboxed binfmt_misc" "$err"

in_root_ns() {
	as_user unshare --user --map-root-user --mount bash -c "$1" bash "$CR" "$PAY"
}

# A host whose binfmt_misc is mounted (systemd's automount) hands that
# instance down, and only its owner registers there: a fresh one goes over it.
out=$(in_root_ns '
	cr=$1 pay=$2
	if mountpoint -q /proc/sys/fs/binfmt_misc; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 1
	fi
	"$cr" binfmt register; echo "register-rc=$?"
	cat /proc/sys/fs/binfmt_misc/crossroot-aarch64
	"$pay/payload-arm64" uname-m
	"$cr" binfmt register; echo "again-rc=$?"
	"$cr" binfmt status
	"$cr" binfmt unregister; echo "unregister-rc=$?"
	ls /proc/sys/fs/binfmt_misc
' 2>&1)
expect_match "binfmt register exits 0" '^register-rc=0$' "$out"
expect_match "it mounts binfmt_misc and registers arm64" '^arm64 +registered crossroot-aarch64 -> /usr/libexec/qemu-binfmt/aarch64-binfmt-P$' "$out"
expect_match "armhf and armel share one entry" '^armhf +registered crossroot-arm ' "$out"
check "armel is not registered twice" sh -c "! printf '%s\n' \"\$1\" | grep -Eq '^armel +(registered|already)'" sh "$out"
expect_match "host-wide entries carry F and P, never C" '^flags: PF$' "$out"
expect_match "a foreign program runs through the entry" '^aarch64$' "$out"
expect_match "registering again is idempotent" '^arm64 +already registered: crossroot-aarch64$' "$out"
expect_match "... and exits 0" '^again-rc=0$' "$out"
expect_match "status shows the host entry and its flags" '^arm64 .* crossroot-aarch64 +PF +yes$' "$out"
expect_match "unregister removes crossroot's entries" '^removed crossroot-aarch64$' "$out"
expect_match "... and exits 0" '^unregister-rc=0$' "$out"
expect_eq "nothing but register and status is left" "register status" \
	"$(printf '%s\n' "$out" | sed -n '/^unregister-rc=/,$p' | sed 1d | tr '\n' ' ' | sed 's/ $//')"

# Another tool's entries: kept, reported, never replaced or removed.
out=$(in_root_ns '
	cr=$1 pay=$2
	mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 1
	m="\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00"
	k="\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff"
	echo ":qemu-riscv64:M:0:${m}\xf3\x00:${k}\xff\xff:/usr/bin/qemu-riscv64-static:F" >/proc/sys/fs/binfmt_misc/register
	echo ":other-aarch64:M:0:${m}\xb7\x00:${k}\xff\xff:/usr/bin/qemu-aarch64-static:" >/proc/sys/fs/binfmt_misc/register
	before=$(cat /proc/sys/fs/binfmt_misc/qemu-riscv64)
	"$cr" binfmt register; echo "register-rc=$?"
	[ -e /proc/sys/fs/binfmt_misc/crossroot-riscv64 ] && echo "crossroot-riscv64 exists"
	[ -e /proc/sys/fs/binfmt_misc/crossroot-aarch64 ] && echo "crossroot-aarch64 exists"
	"$cr" binfmt status
	"$cr" binfmt unregister >/dev/null; echo "unregister-rc=$?"
	[ "$before" = "$(cat /proc/sys/fs/binfmt_misc/qemu-riscv64)" ] && echo "qemu-riscv64 unchanged"
	[ -e /proc/sys/fs/binfmt_misc/other-aarch64 ] && echo "other-aarch64 kept"
	[ -e /proc/sys/fs/binfmt_misc/crossroot-s390x ] || echo "crossroot-s390x removed"
' 2>&1)
expect_match "register still exits 0" '^register-rc=0$' "$out"
expect_match "another tool's riscv64 entry is reported and kept" "^riscv64 +kept another tool's entry 'qemu-riscv64' \(interpreter /usr/bin/qemu-riscv64-static, flags F\)$" "$out"
check "crossroot does not shadow it with its own riscv64 entry" sh -c "! printf '%s\n' \"\$1\" | grep -q 'crossroot-riscv64 exists'" sh "$out"
expect_match "an entry without F gets a hint" "^Hint: 'other-aarch64' has no F flag" "$out"
check "crossroot does not shadow the other aarch64 entry" sh -c "! printf '%s\n' \"\$1\" | grep -q 'crossroot-aarch64 exists'" sh "$out"
expect_match "status names the other tool's entry as the claimant" '^riscv64 .* qemu-riscv64 +F +yes$' "$out"
expect_match "status shows an entry with no flags" '^arm64 .* other-aarch64 +none +yes$' "$out"
expect_match "unregister exits 0" '^unregister-rc=0$' "$out"
expect_match "unregister leaves another tool's entry unchanged" '^qemu-riscv64 unchanged$' "$out"
expect_match "... and the other one too" '^other-aarch64 kept$' "$out"
expect_match "... while crossroot's own are gone" '^crossroot-s390x removed$' "$out"

done_testing
