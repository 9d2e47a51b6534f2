#!/bin/bash
# The command layer: help, version, usage errors and their exit codes.
. "$(dirname "$0")/lib.sh"

out=$(as_user "$CR" --help); rc=$?
expect_eq "--help exits 0" 0 "$rc"
expect_match "--help lists the commands on stdout" '^  check ' "$out"

out=$(as_user "$CR" --version); rc=$?
expect_eq "--version exits 0" 0 "$rc"
expect_match "--version prints the version" '^crossroot [0-9]+\.[0-9]+' "$out"

err=$(as_user "$CR" frobnicate 2>&1 >/dev/null); rc=$?
expect_eq "an unknown command exits 2" 2 "$rc"
expect_match "an unknown command is named" "unknown command 'frobnicate'" "$err"
expect_match "an unknown command points at --help" "^Try 'crossroot --help'" "$err"

err=$(as_user "$CR" 2>&1 >/dev/null); rc=$?
expect_eq "no command exits 2" 2 "$rc"

err=$(as_user "$CR" check --frob 2>&1 >/dev/null); rc=$?
expect_eq "an unknown option exits 2" 2 "$rc"
expect_match "an unknown option points at the command's --help" "^Try 'crossroot check --help'" "$err"

err=$(as_user "$CR" check extra 2>&1 >/dev/null); rc=$?
expect_eq "a stray argument exits 2" 2 "$rc"

err=$(as_user "$CR" binfmt frob 2>&1 >/dev/null); rc=$?
expect_eq "an unknown binfmt command exits 2" 2 "$rc"
expect_match "it points at binfmt --help" "^Try 'crossroot binfmt --help'" "$err"

for cmd in check "binfmt" "binfmt status" "binfmt register" "binfmt unregister" "binfmt exec" \
	"job" "job list" "job run" "job timer"; do
	# shellcheck disable=SC2086
	out=$(as_user "$CR" $cmd --help); rc=$?
	expect_eq "crossroot $cmd --help exits 0" 0 "$rc"
	expect_match "crossroot $cmd --help prints usage to stdout" '^Usage: crossroot' "$out"
done

err=$(as_user "$CR" check -xh 2>&1 >/dev/null); rc=$?
expect_eq "grouped unknown short options exit 2" 2 "$rc"
expect_match "... naming the unknown option itself" "unknown option '-x'" "$err"

as_user "$CR" --help >/dev/full 2>/dev/null; rc=$?
expect_eq "output that cannot be written is a failure" 1 "$rc"
err=$(as_user "$CR" binfmt status 2>&1 >/dev/full); rc=$?
expect_eq "binfmt status to a full disk exits 1" 1 "$rc"
expect_match "... with a write error" "write error: No space left on device" "$err"

err=$(as_user "$CR" binfmt exec 2>&1 >/dev/null); rc=$?
expect_eq "binfmt exec without a command exits 125" 125 "$rc"
err=$(as_user "$CR" binfmt exec --arch vax -- /bin/true 2>&1 >/dev/null); rc=$?
expect_eq "binfmt exec with an unknown arch exits 125" 125 "$rc"
expect_match "the unknown arch is named with the known ones" "unknown architecture 'vax' \(known: amd64, i386, arm64" "$err"

done_testing
