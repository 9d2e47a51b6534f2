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

# --json: the same table, typed (python3 reads it back into the table's words).
json=$(as_user "$CR" binfmt status --json); rc=$?
expect_eq "binfmt status --json exits 0" 0 "$rc"
expect_eq "binfmt status --json holds the table's rows" "$(printf '%s\n' "$out" | tail -n +2)" \
	"$(printf '%s' "$json" | python3 -c 'import json, sys
def yn(v): return "-" if v is None else ("yes" if v else "no")
for a in json.load(sys.stdin):
    emu = "(native)" if a["native"] else (a["emulator"] or "(none)")
    host = "-" if a["native"] else ("(not mounted)" if not a["host_mounted"] else (a["host_entry"] or "-"))
    flags = "-" if not a["host_entry"] else (a["host_flags"] or "none")
    print("%-9s %-34s %-6s %-22s %-6s %s" % (a["arch"], emu, yn(a["static"]), host, flags, yn(a["sandboxed"])))')"
err=$(as_user "$CR" binfmt status --jso 2>&1); rc=$?
expect_eq "binfmt status --jso is not --json (exit 2)" 2 "$rc"

done_testing
