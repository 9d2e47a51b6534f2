#!/bin/bash
# Root's one-time setup: a persistent user namespace for the user, checked
# input, idempotent, undone by teardown.  Needs root (CI runs the tests as root).
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "setup and teardown are root's: run the tests as root"

err=$(as_user "$CR" setup --user "$TEST_USER" 2>&1); rc=$?
expect_eq "setup as a user exits 1" 1 "$rc"
expect_match "... saying it must run as root" "must run as root" "$err"
err=$("$CR" setup 2>&1); rc=$?
expect_eq "setup without --user or --all is bad usage" 2 "$rc"
err=$("$CR" setup --user no-such-user-xyz 2>&1); rc=$?
expect_eq "setup of an unknown user exits 1" 1 "$rc"
expect_match "... naming it" "no user named 'no-such-user-xyz'" "$err"

# Bad subordinate ranges, each refused with what to fix.
cp /etc/subuid "$E2E_DIR/subuid.saved"
sed -i "/^$TEST_USER:/d" /etc/subuid
err=$("$CR" setup --user "$TEST_USER" 2>&1); rc=$?
expect_eq "a user without subordinate uids is refused" 1 "$rc"
expect_match "... saying which file lacks the range and how to add one" "/etc/subuid has no range for $TEST_USER: add one, e.g. usermod --add-subuids" "$err"
echo "$TEST_USER:$TEST_SUBID_START:1000" >>/etc/subuid
err=$("$CR" setup --user "$TEST_USER" 2>&1); rc=$?
expect_eq "a range too small is refused" 1 "$rc"
expect_match "... saying 65536 are needed" "fewer than 65536 ids" "$err"
sed -i "/^$TEST_USER:/d" /etc/subuid
echo "$TEST_USER:$((TEST_UID - 10)):65536" >>/etc/subuid
err=$("$CR" setup --user "$TEST_USER" 2>&1); rc=$?
expect_eq "a range holding the user's own uid is refused" 1 "$rc"
expect_match "... saying so" "holds $TEST_USER's own id $TEST_UID" "$err"
cp "$E2E_DIR/subuid.saved" /etc/subuid
check "nothing was pinned by the refused setups" test ! -e "/run/crossroot/pins/$TEST_UID"

out=$("$CR" setup --user "$TEST_USER"); rc=$?
expect_eq "setup exits 0" 0 "$rc"
expect_match "it reports the mapping" "^$TEST_USER: user namespace pinned: uids 0-65535 -> $TEST_SUBID_START-" "$out"
check "the namespace is pinned at /run/crossroot/pins/UID" \
	sh -c "grep -q ' /run/crossroot/pins/$TEST_UID ' /proc/self/mountinfo"
expect_eq "/run/crossroot/pins is root's alone (0755): the user cannot change what root works on" "root root 755" \
	"$(stat -c '%U %G %a' /run/crossroot/pins)"
check "no directory of the user's is made under /run/crossroot" test ! -e "/run/crossroot/$TEST_UID"
maps=$(as_user nsenter --user="/run/crossroot/pins/$TEST_UID" --preserve-credentials cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups | tr -s ' ' | sed 's/^ //')
expect_match "uid 0 maps to the start of the range" "^0 $TEST_SUBID_START $TEST_UID\$" "$maps"
expect_match "the user's own uid maps to itself" "^$TEST_UID $TEST_UID 1\$" "$maps"
expect_match "the rest of 0-65535 (65534, nobody, included) maps to the range" "^$((TEST_UID + 1)) $((TEST_SUBID_START + TEST_UID + 1)) $((65535 - TEST_UID))\$" "$maps"
expect_match "setgroups stays allowed (apt's _apt sandbox needs it)" '^allow$' "$maps"
inside=$(as_user nsenter --user="/run/crossroot/pins/$TEST_UID" --preserve-credentials id -u)
expect_eq "the user joins the namespace with no privilege and keeps their uid" "$TEST_UID" "$inside"

before=$(grep -c "/run/crossroot/pins/$TEST_UID" /proc/self/mountinfo)
out=$("$CR" setup --user "$TEST_USER"); rc=$?
expect_eq "setup again exits 0" 0 "$rc"
expect_match "... and changes nothing" "^$TEST_USER: already set up" "$out"
expect_eq "... no second pin" "$before" "$(grep -c "/run/crossroot/pins/$TEST_UID" /proc/self/mountinfo)"

out=$("$CR" setup --all); rc=$?
expect_eq "setup --all exits 0" 0 "$rc"
expect_match "setup --all covers the test user" "^$TEST_USER: already set up" "$out"

out=$(as_user "$CR" check)
expect_match "check reports mapped mode" '^ok +setup: done: mapped mode' "$out"

err=$(as_user "$CR" teardown --user "$TEST_USER" 2>&1); rc=$?
expect_eq "teardown as a user exits 1" 1 "$rc"
expect_match "... saying it must run as root, and why" "must run as root: it releases the user namespaces" "$err"
out=$("$CR" teardown --user "$TEST_USER"); rc=$?
expect_eq "teardown exits 0" 0 "$rc"
expect_eq "... saying it released the namespace" "$TEST_USER: user namespace released" "$out"
check "the pin is gone" sh -c "! grep -q ' /run/crossroot/pins/$TEST_UID ' /proc/self/mountinfo"
out=$(as_user "$CR" check)
expect_match "check reports single mode again" '^-- +setup: not done: single mode' "$out"
out=$("$CR" teardown --user "$TEST_USER"); rc=$?
expect_eq "teardown again exits 0" 0 "$rc"
expect_eq "... saying there was nothing to release" "$TEST_USER: no user namespace pinned: nothing to release" "$out"

# subuid(5) lets a line name its user by uid: setup --all takes that too.
cp /etc/subuid "$E2E_DIR/subuid.saved"
sed -i "s/^$TEST_USER:/$TEST_UID:/" /etc/subuid
out=$("$CR" setup --all 2>&1); rc=$?
cp "$E2E_DIR/subuid.saved" /etc/subuid
expect_match "setup --all sets up a user whose /etc/subuid line gives the uid" "^$TEST_USER: user namespace pinned" "$out"
"$CR" teardown --user "$TEST_USER" >/dev/null

unit="$TESTS_DIR/../contrib/systemd/crossroot-setup.service"
check "a systemd unit runs setup --all at boot" grep -q '^ExecStart=.*crossroot setup --all' "$unit"
check "... as a oneshot wanted by multi-user.target" sh -c "grep -q '^Type=oneshot' '$unit' && grep -q '^WantedBy=multi-user.target' '$unit'"
before=$(sed -n 's/^Before=//p' "$unit")
for u in systemd-user-sessions.service user.slice cron.service; do
	expect_match "... before $u (no user session, user service or cron job runs yet)" "(^| )$u( |\$)" "$before"
done
sed "s|/usr/local/bin/crossroot|$CR|" "$unit" >"$E2E_DIR/crossroot-setup.service"
out=$(systemd-analyze verify --man=no "$E2E_DIR/crossroot-setup.service" 2>&1); rc=$?
expect_eq "systemd-analyze verify accepts the unit" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"

done_testing
