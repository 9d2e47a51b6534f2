#!/bin/bash
# crossroot binfmt status: one true line per architecture.
. "$(dirname "$0")/lib.sh"

out=$(as_user "$CR" binfmt status); rc=$?
expect_eq "binfmt status exits 0" 0 "$rc"
expect_match "a header names the columns" '^ARCH +EMULATOR +STATIC +HOST ENTRY +FLAGS +SANDBOXED$' "$out"
expect_eq "one line per architecture" 13 "$(printf '%s\n' "$out" | wc -l)"
for arch in arm64 armhf armel ppc64el ppc64 s390x riscv64 mips64el mipsel loong64; do
	expect_match "$arch: static emulator, sandboxed yes" "^$arch +/usr/bin/qemu-[a-z0-9_]+-static +yes +.* yes\$" "$out"
done
expect_match "amd64 runs natively" "^amd64 +\(native\) " "$out"
# i386 natively only where this kernel runs 32-bit x86 programs (07-native-probe.t).
if "$PAY/payload-i386" uname-m >/dev/null 2>&1; then
	expect_match "i386 runs natively on this kernel" "^i386 +\(native\) " "$out"
else
	expect_match "i386 needs qemu-i386 on this kernel, which refuses 32-bit x86 programs" \
		"^i386 +/usr/bin/qemu-i386-static +yes +.* yes\$" "$out"
fi
if ! grep -qs binfmt_misc /proc/mounts; then
	expect_match "an unmounted host binfmt_misc is reported" '^arm64 .* \(not mounted\) ' "$out"
fi

done_testing
