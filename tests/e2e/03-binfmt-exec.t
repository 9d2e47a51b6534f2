#!/bin/bash
# Foreign programs run through crossroot's sandboxed binfmt_misc, as an
# unprivileged user, with no host entry; outside they fail to execute.
. "$(dirname "$0")/lib.sh"

declare -A qemu=([arm64]=aarch64 [armhf]=arm [riscv64]=riscv64 [ppc64el]=ppc64le [s390x]=s390x)
declare -A uname_m=([arm64]=aarch64 [armhf]=armv7l [riscv64]=riscv64 [ppc64el]=ppc64le [s390x]=s390x)

for arch in arm64 armhf riscv64 ppc64el s390x; do
	if [ -d /proc/sys/fs/binfmt_misc ] && grep -qs "^magic" /proc/sys/fs/binfmt_misc/*"${qemu[$arch]}"* 2>/dev/null; then
		prereq_fail "a host binfmt entry for ${qemu[$arch]} exists; this test needs a host without one"
	fi
	file_out=$(file -b "$PAY/payload-$arch")
	expect_match "payload-$arch is a static $arch ELF" 'statically linked' "$file_out"

	err=$(as_user "$PAY/payload-$arch" uname-m 2>&1); rc=$?
	expect_eq "payload-$arch outside crossroot fails to execute" 126 "$rc"
	expect_match "... with Exec format error" 'Exec format error' "$err"

	out=$(as_user "$CR" binfmt exec --arch "$arch" -- "$PAY/payload-$arch" uname-m); rc=$?
	expect_eq "payload-$arch runs under crossroot binfmt exec" 0 "$rc"
	expect_eq "payload-$arch reports uname -m ${uname_m[$arch]}" "${uname_m[$arch]}" "$out"
done

out=$(as_user "$CR" binfmt exec -- "$PAY/payload-arm64" id)
expect_eq "the program runs as the user's own uid and gid" \
	"uid=$TEST_UID gid=$(id -g "$TEST_USER") euid=$TEST_UID egid=$(id -g "$TEST_USER")" "$out"

out=$(as_user "$CR" binfmt exec -- bash -c "exec -a renamed $PAY/payload-arm64 argv0")
expect_eq "argv[0] is preserved (P flag with Debian's -binfmt-P wrapper)" "renamed" "$out"

out=$(as_user "$CR" binfmt exec -- cat /proc/sys/fs/binfmt_misc/crossroot-aarch64)
expect_match "the entry is visible inside, enabled" '^enabled$' "$out"
expect_match "the entry has flags F, C (with O) and P" '^flags: [POCF]*$' "$out"
expect_match "the entry's interpreter is the emulator" '^interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P$' "$out"
flags=$(printf '%s\n' "$out" | sed -n 's/^flags: //p')
for f in F C O P; do
	case $flags in *$f*) ok "flag $f is set" ;; *) not_ok "flag $f is set (flags: $flags)" ;; esac
done

as_user "$CR" binfmt exec -- "$PAY/payload-arm64" exit 42; rc=$?
expect_eq "the program's exit status is passed through" 42 "$rc"
err=$(as_user "$CR" binfmt exec -- /nonexistent/cmd 2>&1); rc=$?
expect_eq "a missing command exits 127" 127 "$rc"
expect_match "... naming the command" '/nonexistent/cmd: No such file or directory' "$err"
as_user "$CR" binfmt exec -- /etc/passwd 2>/dev/null; rc=$?
expect_eq "a command that is not executable exits 126" 126 "$rc"

# A binary no entry claims fails as a binary; it is never handed to /bin/sh.
cp "$PAY/payload-arm64" "$E2E_DIR/sparc"
printf '\x02' | dd of="$E2E_DIR/sparc" bs=1 seek=18 conv=notrunc status=none   # e_machine = EM_SPARC
err=$(as_user "$CR" binfmt exec -- "$E2E_DIR/sparc" 2>&1); rc=$?
expect_eq "an unclaimed foreign binary exits 126" 126 "$rc"
expect_match "... saying Exec format error" 'sparc: cannot run it: Exec format error' "$err"
printf '#!/nonexistent/interpreter\n' >"$E2E_DIR/script"
chmod 755 "$E2E_DIR/script"
err=$(as_user "$CR" binfmt exec -- "$E2E_DIR/script" 2>&1); rc=$?
expect_eq "a script whose interpreter is missing exits 126" 126 "$rc"
expect_match "... naming the missing interpreter" 'script: cannot run it: its interpreter' "$err"
as_user env PATH="/nonexistent:$E2E_DIR" "$CR" binfmt exec -- script 2>/dev/null; rc=$?
expect_eq "a command found through PATH whose interpreter is missing exits 126" 126 "$rc"

# The entries live exactly as long as the command's namespace: the host never sees them.
check "no entry is left on the host afterwards" \
	sh -c '! grep -qs . /proc/sys/fs/binfmt_misc/crossroot-aarch64'
err=$(as_user "$PAY/payload-arm64" uname-m 2>&1); rc=$?
expect_eq "payload-arm64 outside still fails afterwards" 126 "$rc"

# Binary-safe pass-through of stdout.
expected=$(head -c 65536 /dev/urandom | base64 -w0)
printf '%s' "$expected" >"$E2E_DIR/blob"
got=$(as_user "$CR" binfmt exec -- "$PAY/payload-arm64" cat "$E2E_DIR/blob")
expect_eq "64 KiB of output pass through unchanged" "$expected" "$got"

done_testing
