#!/bin/bash
# Root's setup and teardown against a second user who tries to steer them:
# symlinks and RENAME_EXCHANGE swaps raced against root for a bounded time,
# a FIFO or a foreign file at the pin path, a pin directory that is not
# root's alone.  Root must never mount or unmount anything but the user's
# own pin, never touch another user's pin, and never hang.
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "setup and teardown are root's: run the tests as root"
command -v python3 >/dev/null || prereq_fail "python3 is not installed (the racer is a python3 script)"
add_second_user
RACE_SECONDS=${RACE_SECONDS:-20}
PINS=/run/crossroot/pins

# The victim: the test user, set up; its pinned namespace must stay as it is.
setup_mapped
victim_ns() { awk -v p="$PINS/$TEST_UID" '$5 == p { print $4 }' /proc/self/mountinfo; }
victim_before=$(victim_ns)
expect_match "the victim's namespace is pinned at $PINS/UID" '^user:\[[0-9]+\]$' "$victim_before"
expect_eq "$PINS is root's, 0755" "root root 755" "$(stat -c '%U %G %a' "$PINS")"

# On a systemd host /run is a tmpfs of its own: setup must work across that mount.
out=$(unshare --mount --propagation private sh -c "mount -t tmpfs -o mode=0755 tmpfs /run && '$CR' setup --user '$OTHER_USER' &&
	grep ' /run/crossroot/pins/$OTHER_UID ' /proc/self/mountinfo" 2>&1); rc=$?
expect_eq "setup works with /run a tmpfs mount of its own" 0 "$rc"
expect_match "... and pins there" "/run/crossroot/pins/$OTHER_UID .*nsfs" "$out"

# Things root must never mount over or unmount: a root-owned 0600 file, and
# an nsfs mount of root's own (as /run/netns/NAME would be).
mkdir -m 0700 "$E2E_DIR/root-only"
echo "root's secret" >"$E2E_DIR/root-only/sentinel"
chmod 0600 "$E2E_DIR/root-only/sentinel"
SENTINEL=$E2E_DIR/root-only/sentinel
touch "$E2E_DIR/root-only/netns"
unshare --net="$E2E_DIR/root-only/netns" true || prereq_fail "unshare --net=FILE (an nsfs mount to protect)"
NETNS=$E2E_DIR/root-only/netns
# The racer may name the targets in its symlinks, it only cannot open them.
chmod 0711 "$E2E_DIR/root-only"

# The directory an older crossroot pinned in, owned by the user: the
# attacker's playground.  Root must not look inside it.
PLAY=/run/crossroot/$OTHER_UID
mkdir -m 0700 "$PLAY" && chown "$OTHER_USER:$OTHER_USER" "$PLAY"

# Deterministic cases first.
as_other ln -s "$PINS/$TEST_UID" "$PLAY/userns"
out=$("$CR" teardown --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "teardown of a user whose old pin path links to another user's pin exits 0" 0 "$rc"
expect_eq "... and the other user's namespace stays pinned" "$victim_before" "$(victim_ns)"
as_other rm -f "$PLAY/userns"
as_other mkfifo "$PLAY/userns"
out=$(timeout 20 "$CR" setup --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "a FIFO in the user's own old pin directory does not block setup" 0 "$rc"
check "... which pins at $PINS/UID" grep -q " $PINS/$OTHER_UID .* nsfs " /proc/self/mountinfo
"$CR" teardown --user "$OTHER_USER" >/dev/null
as_other rm -f "$PLAY/userns"

mkfifo -m 0644 "$PINS/$OTHER_UID"
out=$(timeout 20 "$CR" setup --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "a FIFO at the pin path: setup exits 1 at once (not hung)" 1 "$rc"
expect_match "... saying the pin path holds something crossroot did not make" \
	"$PINS/$OTHER_UID holds something crossroot did not make" "$out"
out=$(timeout 60 "$CR" setup --all 2>&1); rc=$?
expect_eq "setup --all with one user's pin path taken exits 1" 1 "$rc"
expect_match "... after setting up the others" "^$TEST_USER: already set up" "$out"
expect_match "... and names the user it could not set up" "could not be set up: .*$OTHER_USER" "$out"
out=$(timeout 20 "$CR" teardown --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "teardown leaves a foreign FIFO alone and exits 1" 1 "$rc"
check "... the FIFO is still there" test -p "$PINS/$OTHER_UID"
rm -f "$PINS/$OTHER_UID"

ln -s "$SENTINEL" "$PINS/$OTHER_UID"
out=$("$CR" setup --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "a symlink at the pin path: setup exits 1" 1 "$rc"
check "... and nothing is mounted on its target" sh -c "! grep -q ' $SENTINEL ' /proc/self/mountinfo"
rm -f "$PINS/$OTHER_UID"

chown "$OTHER_USER" "$PINS"
out=$("$CR" setup --user "$OTHER_USER" 2>&1); rc=$?
expect_eq "a pin directory owned by a user: setup exits 1" 1 "$rc"
expect_match "... saying it is not root's alone" "is not a directory of root's that only root can write to" "$out"
chown root "$PINS"

# The race: the second user swaps its old pin path between a file, a FIFO
# and symlinks to root's file, root's nsfs mount and the victim's pin, and
# tries to write into the pin directory, while root sets up (with maps
# that change every round, so each setup unmounts and mounts again) and
# tears down that user.
nsfs_mounts() { awk '$9 == "nsfs" { print $5 }' /proc/self/mountinfo | grep -v "^$PINS/[0-9]*\$" | sort; }
nsfs_before=$(nsfs_mounts)
as_other python3 "$TESTS_DIR/e2e/race-pin.py" "$PLAY" "$PINS" "$RACE_SECONDS" \
	"$SENTINEL" "$NETNS" "$PINS/$TEST_UID" >"$E2E_DIR/racer.out" 2>&1 &
racer=$!
rounds=0 failures=0 hung=0
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$RACE_SECONDS" ] && [ "$rounds" -lt 2000 ]; do
	s=$((OTHER_SUBID_START + 65536 * (rounds % 2)))
	sed -i "s/^$OTHER_USER:.*/$OTHER_USER:$s:65536/" /etc/subuid
	timeout 20 "$CR" setup --user "$OTHER_USER" >/dev/null 2>>"$E2E_DIR/root.err"
	case $? in 0) ;; 124) hung=$((hung + 1)) ;; *) failures=$((failures + 1)) ;; esac
	if [ $((rounds % 3)) -eq 2 ]; then
		timeout 20 "$CR" teardown --user "$OTHER_USER" >/dev/null 2>>"$E2E_DIR/root.err"
		case $? in 0) ;; 124) hung=$((hung + 1)) ;; *) failures=$((failures + 1)) ;; esac
	fi
	rounds=$((rounds + 1))
done
wait "$racer"
racer_out=$(cat "$E2E_DIR/racer.out")
diag "$rounds rounds of setup in $(($(date +%s) - start)) s; racer: $racer_out"
expect_match "the racer ran and swapped its paths" '^swaps [1-9][0-9]* ' "$racer_out"
expect_match "... but could write nothing into $PINS" ' pin_dir_writes 0$' "$racer_out"
check "root ran many rounds against it ($rounds)" test "$rounds" -ge 20
expect_eq "no setup or teardown hung" 0 "$hung"
expect_eq "no setup or teardown failed" 0 "$failures"
[ "$failures" -eq 0 ] || diag "$(sort -u "$E2E_DIR/root.err")"
expect_eq "root's 0600 file is intact" "root's secret" "$(cat "$SENTINEL")"
check "... and nothing is mounted on it" sh -c "! grep -q ' $SENTINEL ' /proc/self/mountinfo"
check "root's nsfs mount is still there" grep -q " $NETNS .* nsfs " /proc/self/mountinfo
expect_eq "the victim's namespace is still the one pinned" "$victim_before" "$(victim_ns)"
# (Mounts that vanished are the targets' business, checked above and below.)
expect_eq "no namespace was mounted anywhere but in $PINS" "" "$(comm -13 <(echo "$nsfs_before") <(nsfs_mounts))"
check "the user's last setup left its pin in $PINS" sh -c \
	"grep -q ' $PINS/$OTHER_UID .* nsfs ' /proc/self/mountinfo || ! test -e $PINS/$OTHER_UID"

# Root's helper processes run as the user, or in the namespace the user
# owns (where the user holds CAP_KILL): the second user stops everything it
# may signal, over and over, while root sets it up (maps changing each
# round) and sets everybody up.  Root must neither hang nor set up the
# others any less.
STOP_SECONDS=${STOP_SECONDS:-10}
as_other python3 -c '
import os, signal, sys, time
end, sent = time.monotonic() + float(sys.argv[1]), 0
while time.monotonic() < end:
    try:
        os.kill(-1, signal.SIGSTOP)
        sent += 1
    except OSError:
        pass
print("stops", sent)' "$STOP_SECONDS" >"$E2E_DIR/stopper.out" 2>&1 &
stopper=$!
rounds=0 hung=0 timed_out=0 others_missed=0
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$STOP_SECONDS" ]; do
	s=$((OTHER_SUBID_START + 65536 * (rounds % 2)))
	sed -i "s/^$OTHER_USER:.*/$OTHER_USER:$s:65536/" /etc/subuid
	out=$(timeout 30 "$CR" setup --user "$OTHER_USER" 2>&1)
	case $? in 124) hung=$((hung + 1)) ;; esac
	case $out in *"did not get going within"*) timed_out=$((timed_out + 1)) ;; esac
	out=$(timeout 60 "$CR" setup --all 2>&1)
	case $? in 124) hung=$((hung + 1)) ;; esac
	grep -q "^$TEST_USER: already set up" <<<"$out" || others_missed=$((others_missed + 1))
	rounds=$((rounds + 1))
done
wait "$stopper"
diag "$rounds rounds of setup against a stopper ($(cat "$E2E_DIR/stopper.out")); $timed_out setups found their helper stopped"
expect_match "the stopper ran" '^stops [0-9]+$' "$(cat "$E2E_DIR/stopper.out")"
check "root ran rounds against it ($rounds)" test "$rounds" -ge 1
expect_eq "no setup hung on a stopped helper" 0 "$hung"
expect_eq "every setup --all still set up the other user" 0 "$others_missed"
expect_eq "the victim's namespace is still the one pinned" "$victim_before" "$(victim_ns)"
expect_eq "and once the stopper is gone, setup works" 0 "$(timeout 30 "$CR" setup --user "$OTHER_USER" >/dev/null 2>&1; echo $?)"

umount "$NETNS"
rm -rf "$PLAY"
done_testing
