#!/bin/bash
# Native is probed, not assumed: a kernel without 32-bit x86 support refuses
# i386 programs although the machine is x86_64.  Then i386 runs through
# qemu-i386 like a foreign arch; where the kernel runs them, natively with the
# 32-bit personality.  Either way uname -m says i686, and check says which.
. "$(dirname "$0")/lib.sh"
[ "$(uname -m)" = x86_64 ] || prereq_fail "an x86_64 host (this is $(uname -m))"
[ -x "$PAY/payload-i386" ] || prereq_fail "no i386 payload (make payloads builds it)"
if "$PAY/payload-i386" uname-m >/dev/null 2>&1; then native=yes; else native=no; fi
diag "this kernel ($(uname -r)) runs i386 programs natively: $native"

line=$(as_user "$CR" check | grep 'emulator i386:')
if [ "$native" = yes ]; then
	expect_match "check: i386 runs natively here" 'not needed: runs natively' "$line"
else
	expect_match "check: i386 needs the emulator here, and says why" \
		'qemu-i386.* \(static.*\): this kernel refuses its programs natively' "$line"
fi

setup_mapped
create_container x86 i386
expect_eq "an i386 program in an i386 container runs (uname -m i686)" i686 \
	"$(as_user "$CR" run x86 -- /usr/bin/payload uname-m 2>&1)"
expect_eq "... and busybox's uname agrees" i686 "$(as_user "$CR" run x86 -- /bin/uname -m 2>&1)"
as_user "$CR" start x86 || prereq_fail "start x86"
expect_eq "a started i386 container runs them too" i686 "$(as_user "$CR" run x86 -- /bin/uname -m 2>&1)"
as_user "$CR" stop x86
expect_eq "crossroot binfmt exec runs an i386 host program" i686 \
	"$(as_user "$CR" binfmt exec --arch i386 -- "$PAY/payload-i386" uname-m 2>&1)"

done_testing
