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
for arch in amd64 i386; do
	expect_match "$arch runs natively" "^$arch +\(native\) " "$out"
done
if ! grep -qs binfmt_misc /proc/mounts; then
	expect_match "an unmounted host binfmt_misc is reported" '^arm64 .* \(not mounted\) ' "$out"
fi

done_testing
