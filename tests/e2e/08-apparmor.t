#!/bin/bash
# AppArmor: where the kernel restricts user namespaces to profiles that allow
# them (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu >= 23.10),
# check says so and names crossroot's profile; make install puts the profile
# in /etc/apparmor.d with the installed path; AppArmor 4's parser (Debian
# trixie's, in a container crossroot makes) accepts it.
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "faking the sysctl needs root (a private mount namespace)"
TOP=$TESTS_DIR/..

# The sysctl, as an Ubuntu kernel has it, in a private mount namespace only.
out=$(unshare --mount --propagation private sh -c '
	mount -t tmpfs -o mode=0755 tmpfs /proc/sys/kernel &&
	echo 1 >/proc/sys/kernel/apparmor_restrict_unprivileged_userns &&
	cd "$1" && runuser -u "$2" -- "$3" check' sh "$TEST_HOME" "$TEST_USER" "$CR" 2>&1)
expect_match "check reports the restricting sysctl" \
	'^warn +sysctl kernel.apparmor_restrict_unprivileged_userns: 1 \(restricts unprivileged user namespaces\)' "$out"
expect_match "... and names crossroot's profile" \
	'Hint: as root: load crossroot.s AppArmor profile .*apparmor_parser -r /etc/apparmor.d/crossroot' "$out"

# make install, where /etc/apparmor.d exists.
inst=$E2E_DIR/inst
mkdir -p "$inst/etc/apparmor.d"
make -s -C "$TOP" install DESTDIR="$inst" PREFIX=/opt/cr >/dev/null 2>&1 || prereq_fail "make install DESTDIR=..."
profile=$inst/etc/apparmor.d/crossroot
check "make install puts the profile in /etc/apparmor.d" test -f "$profile"
expect_match "... for the installed binary" '^profile crossroot /opt/cr/bin/crossroot flags=\(unconfined\) \{$' "$(cat "$profile")"
expect_match "... allowing user namespaces" '^ +userns,$' "$(cat "$profile")"
mkdir -p "$inst/none" && make -s -C "$TOP" install DESTDIR="$inst/none" PREFIX=/opt/cr >/dev/null 2>&1
check "... and nowhere without AppArmor" test ! -e "$inst/none/etc/apparmor.d/crossroot"

# AppArmor 4's parser (userns rules are new in it; Debian 12's 3.0 has none).
setup_mapped
as_user "$CR" create aa --arch amd64 --suite trixie --include apparmor --quiet >/dev/null ||
	prereq_fail "create a trixie amd64 container with apparmor"
mkdir -p "$E2E_DIR/aa" && cp "$profile" "$E2E_DIR/aa/crossroot" &&
	sed 's/^  userns,$/  usernamespaces,/' "$profile" >"$E2E_DIR/aa/broken" && chmod -R a+rX "$E2E_DIR/aa"
parse() { as_user "$CR" run aa --bind "$E2E_DIR/aa:/aa:ro" -- apparmor_parser -Q -K -I /etc/apparmor.d "/aa/$1" 2>&1; }
out=$(parse crossroot); rc=$?
expect_eq "apparmor_parser (AppArmor 4) accepts the profile" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
out=$(parse broken); rc=$?
check "... and rejects a broken copy of it (the check can fail: exit $rc)" test "$rc" -ne 0

done_testing
