#!/bin/bash
# binfmt modes: auto (sandboxed where the kernel has it, else the host's
# entries), sandboxed, host.  Host mode is what kernels before 6.7 get: the
# host-wide entries root registered, each entry's interpreter bound
# read-only into the container.  Forced here with CROSSROOT_BINFMT and
# /etc/crossroot/crossroot.conf; root registers and removes crossroot's
# host-wide entries itself (another tool's are never touched).
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "host-wide binfmt entries are root's: run the tests as root"
setup_mapped
create_container box arm64
CONF=/etc/crossroot/crossroot.conf
mounted_here=
conf_saved=
cleanup_binfmt() {
	"$CR" binfmt unregister >/dev/null 2>&1
	[ -n "$mounted_here" ] && umount /proc/sys/fs/binfmt_misc 2>/dev/null
	if [ -n "$conf_saved" ]; then cp "$E2E_DIR/crossroot.conf.saved" "$CONF"; else rm -f "$CONF"; fi
	_e2e_cleanup
}
trap cleanup_binfmt EXIT
[ -e "$CONF" ] && cp "$CONF" "$E2E_DIR/crossroot.conf.saved" && conf_saved=1
grep -q ' /proc/sys/fs/binfmt_misc ' /proc/self/mountinfo || mounted_here=1

out=$(as_user env CROSSROOT_BINFMT=bogus "$CR" run box -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "an unknown binfmt mode: exit 125" 125 "$rc"
expect_match "... naming where it came from and the modes" "CROSSROOT_BINFMT: invalid binfmt mode 'bogus': give auto, sandboxed or host" "$out"

# Without a host entry for the container's arch, host mode says what root must
# do.  Another tool's entry may claim arm64 on some hosts: then armhf.
status=$(as_user "$CR" binfmt status)
noentry=
for a in arm64 armhf; do
	grep -Eq "^$a +[^ ]+ +[^ ]+ +(-|\(not mounted\)) " <<<"$status" && { noentry=$a; break; }
done
[ -n "$noentry" ] || prereq_fail "other tools' host entries claim both arm64 and armhf: the no-entry case needs one without"
create_container "noentry-$noentry" "$noentry"
out=$(as_user env CROSSROOT_BINFMT=host "$CR" run "noentry-$noentry" -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "host mode without a host entry for $noentry: exit 125" 125 "$rc"
expect_match "... saying what root must run" "no host binfmt entry runs $noentry programs \(binfmt mode host\): root must run 'crossroot binfmt register'" "$out"

"$CR" binfmt register >/dev/null || prereq_fail "crossroot binfmt register (root)"
expect_match "check names the host entry that runs arm64 programs" \
	'^ok +emulator arm64: .* through host entry crossroot-aarch64 \(flags P?F\)' \
	"$(as_user env CROSSROOT_BINFMT=host "$CR" check 2>&1)"
emu=$(sed -n 's/^interpreter //p' /proc/sys/fs/binfmt_misc/crossroot-aarch64)
emu_sum=$(sha256sum <"$emu")
out=$(as_user env CROSSROOT_BINFMT=host "$CR" run box -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "host mode: an arm64 program runs through root's host-wide entry" "0 aarch64" "$rc $out"
inside=$(as_user env CROSSROOT_BINFMT=host "$CR" run box -- /bin/sh -c \
	"grep -c ' $emu ' /proc/self/mountinfo; ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -c crossroot" 2>&1)
expect_eq "... with the entry's interpreter bound at its path, and no sandboxed instance" "1 0" "$(echo $inside)"
out=$(as_user env CROSSROOT_BINFMT=host "$CR" run box --root -- /bin/sh -c "echo replaced >$emu" 2>&1); rc=$?
check "... read-only: root inside cannot replace it (exit $rc)" test "$rc" -ne 0
expect_eq "... and the host's emulator is unchanged" "$emu_sum" "$(sha256sum <"$emu")"
as_user env CROSSROOT_BINFMT=host "$CR" start box || prereq_fail "start box in host mode"
expect_eq "a started container in host mode runs arm64 programs" aarch64 \
	"$(as_user "$CR" run box -- /usr/bin/payload uname-m 2>&1)"
as_user "$CR" stop box

# The system file chooses the mode; the variable overrides it.  With host
# mode there, root's setup registers the host-wide entries.
"$CR" binfmt unregister >/dev/null
mkdir -p /etc/crossroot
printf '# crossroot\nbinfmt host\n' >"$CONF"
out=$("$CR" setup --user "$TEST_USER" 2>&1)
expect_match "setup registers host-wide entries when the mode is host" '^arm64 +registered crossroot-aarch64' "$out"
inside=$(as_user "$CR" run box -- /bin/sh -c "ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -c crossroot; /usr/bin/payload uname-m" 2>&1)
expect_eq "binfmt host in $CONF: host mode" "0 aarch64" "$(echo $inside)"
inside=$(as_user env CROSSROOT_BINFMT=sandboxed "$CR" run box -- /bin/sh -c "ls /proc/sys/fs/binfmt_misc | grep -c crossroot-aarch64" 2>&1)
expect_eq "CROSSROOT_BINFMT=sandboxed overrides it: crossroot's own instance inside" 1 "$inside"
printf 'binfmt\n' >"$CONF"
out=$(as_user "$CR" run box -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "a bad binfmt line: exit 125" 125 "$rc"
expect_match "... naming the file and line" "$CONF:1: 'binfmt' needs a value" "$out"
rm -f "$CONF"
inside=$(as_user "$CR" run box -- /bin/sh -c "ls /proc/sys/fs/binfmt_misc | grep -c crossroot-aarch64" 2>&1)
expect_eq "without a setting, auto uses a sandboxed instance on this kernel ($(uname -r))" 1 "$inside"

done_testing
