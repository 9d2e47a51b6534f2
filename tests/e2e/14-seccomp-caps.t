#!/bin/bash
# The default seccomp filter and the capability sets, in mapped mode.
. "$(dirname "$0")/lib.sh"
setup_mapped
create_container sc arm64
run() { as_user "$CR" run "$@"; }

# TIOCSTI would push input into the terminal; inside it fails with EPERM (1).
# script(1) gives the command a terminal of its own (crossroot run, from that
# terminal, one of the container's), which echoes what is pushed, and what
# script sends at the end of its empty stdin: only the "errno N" counts.
on_tty() {
	if [ -n "${E2E_CREATED_USER:-}" ]; then
		runuser -u "$TEST_USER" -- script -qec "cd; $1" /dev/null </dev/null 2>&1
	else
		script -qec "$1" /dev/null </dev/null 2>&1
	fi | grep -ao 'errno [0-9]*' | tail -n 1
}
baseline=$(on_tty "$PAY/payload-amd64 tiocsti")
if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo 1)" = 1 ]; then
	expect_eq "outside crossroot TIOCSTI works on this host (the baseline)" "errno 0" "$baseline"
else
	expect_eq "outside crossroot this kernel refuses TIOCSTI itself (the baseline)" "errno 1" "$baseline"
fi
expect_eq "TIOCSTI on a terminal fails with EPERM inside" "errno 1" "$(on_tty "$CR run sc -- /usr/bin/payload tiocsti")"
expect_eq "TIOCSTI fails for --root too" "errno 1" "$(run sc --root -- /usr/bin/payload tiocsti </dev/null)"
expect_eq "the keyring syscalls fail with ENOSYS (38)" "errno 38" "$(run sc -- /usr/bin/payload keyctl)"
expect_match "a seccomp filter is loaded" '^Seccomp:[[:space:]]+2$' "$(run sc -- /bin/cat /proc/self/status)"
expect_match "no_new_privs is off, so setuid programs work" '^NoNewPrivs:[[:space:]]+0$' "$(run sc -- /bin/cat /proc/self/status)"

# Capabilities: none for the user; Docker's default set for --root, the rest dropped.
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
build=00000000a80405fb
status=$(run sc -- /bin/cat /proc/self/status)
expect_match "the user's command has no effective capabilities" '^CapEff:[[:space:]]+0000000000000000$' "$status"
expect_match "... and none permitted" '^CapPrm:[[:space:]]+0000000000000000$' "$status"
expect_match "its bounding set is the build-safe set (what sudo can get back)" "^CapBnd:[[:space:]]+$build\$" "$status"
status=$(run sc --root -- /bin/cat /proc/self/status)
expect_match "--root has the build-safe set effective" "^CapEff:[[:space:]]+$build\$" "$status"
expect_match "--root's bounding set has nothing more" "^CapBnd:[[:space:]]+$build\$" "$status"
err=$(run sc --root -- /bin/hostname other 2>&1); rc=$?
check "--root cannot change the hostname (CAP_SYS_ADMIN is dropped)" test "$rc" -ne 0

# Normal work is unaffected: files, pipes, processes, signals.
out=$(run sc -- /bin/sh -c 'mkdir -p /tmp/w && cd /tmp/w && echo a > f && ln -s f l && cat l | wc -c && ls | sort | tr "\n" " "; kill -0 $$ && echo signals-ok')
expect_eq "files, links, pipes and signals work under the filter" "$(printf '2\nf l signals-ok')" "$out"

done_testing
