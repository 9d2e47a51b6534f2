#!/bin/bash
# crossroot create against a small archive served on 127.0.0.1 and signed
# with a key made here, with one thing wrong per case: a clear message,
# exit 1, and no container left behind.
. "$(dirname "$0")/lib.sh"
setup_mapped
archive=$E2E_DIR/archive
bash "$TESTS_DIR/e2e/make-test-archive.sh" "$archive" || prereq_fail "building the test archive"
chmod a+rx "$archive" && chmod -R a+rX "$archive/dists" "$archive/pool" "$archive/keyring.gpg"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$archive" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; _e2e_cleanup' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/dists/test/Release" >/dev/null && break; sleep 0.1; done
mirror=http://127.0.0.1:$port
keyring=$archive/keyring.gpg
deb=$archive/pool/main/f/fake-base_1.0_arm64.deb
cp "$deb" "$E2E_DIR/fake-base.good"

# create_bad DESCRIPTION PATTERN [OPTIONS...]: create fails with exit 1, the
# message matches, and nothing of it is listed or left in the store.  The
# message stays in $last_err.
create_bad() {
	local desc=$1 pattern=$2 err rc
	shift 2
	err=$(as_user "$CR" create bad --arch arm64 --suite test --mirror "$mirror" --keyring "$keyring" --quiet "$@" 2>&1); rc=$?
	expect_eq "$desc: exit 1" 1 "$rc"
	expect_match "$desc: the message says what is wrong" "$pattern" "$err"
	check "$desc: no container is listed" sh -c "! printf '%s' \"\$1\" | grep -q '^bad '" sh "$(as_user "$CR" list)"
	check "$desc: nothing is left in the store" \
		sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' 2>/dev/null | grep -q 'bad'"
	last_err=$err
}

# The archive as made has no /bin/sh: the second stage cannot start, and fails cleanly too.
create_bad "a second stage that cannot start" \
	"the packages gave the new rootfs no /bin/sh, so its second stage .* could not start \\(log: .*create-bad.log\\)"
check "... and its log is kept in the cache" test -s "$TEST_HOME/.cache/crossroot/create-bad.log"
# (These cases run the rootfs's own /bin/sh before the host's dpkg runs;
# with --dpkg emulated the second stage is that shell: the same message.)
create_bad "a second stage that cannot start (--dpkg emulated)" \
	"the packages gave the new rootfs no /bin/sh, so its second stage .* could not start \\(log: .*create-bad.log\\)" \
	--dpkg emulated
# A /bin/sh the kernel cannot execute (ENOEXEC), as every program of the
# rootfs would be without the arch's emulator: the message says so, and what
# to check, not that a shell is missing.
create_bad "a rootfs whose programs the kernel cannot execute" \
	"the kernel could not execute the programs of the new arm64 rootfs \\(/bin/sh: Exec format error\\).*'crossroot check'.*qemu-user-static" \
	--include fake-shell
expect_match "... and that this /bin/sh is no arm64 program" "its /bin/sh is not a program for arm64 at all \\(ELF machine 50\\)" "$last_err"
# An arm64 /bin/sh that runs (under the emulator) but fails the script: the end of its output is quoted.
create_bad "a second stage whose script fails" \
	"dpkg failed inside the new rootfs \\(log: .*create-bad.log\\); it ended with:" --include failing-shell
expect_match "... quoting the end of its output" "^usage: payload" "$last_err"
create_bad "the Debian keyring cannot verify the test archive (verification is never bypassed)" \
	"does not verify against /usr/share/keyrings/debian-archive-keyring.gpg" --keyring /usr/share/keyrings/debian-archive-keyring.gpg
create_bad "an unknown suite" "unknown suite 'nosuch'" --suite nosuch
create_bad "an unreachable mirror (curl's reason quoted once)" \
	"^crossroot: creating .bad.: the mirror http://127.0.0.1:1 cannot be reached \\(http://127.0.0.1:1/dists/test/InRelease: Couldn.t connect to server\\); check --mirror or the network$" --mirror http://127.0.0.1:1
create_bad "a missing keyring" "keyring /nonexistent.gpg: No such file" --keyring /nonexistent.gpg

# --dpkg: host (the host's dpkg unpacks, natively) or emulated; nothing else,
# and host only where the host has dpkg (hidden here in a mount namespace).
err=$(as_user "$CR" create bad --arch arm64 --suite test --mirror "$mirror" --keyring "$keyring" --dpkg sometimes 2>&1); rc=$?
expect_eq "create --dpkg sometimes: exit 2" 2 "$rc"
expect_match "... the message names the value and the choices" "unknown --dpkg 'sometimes': use host or emulated" "$err"
dpkg_bin=$(command -v dpkg)
err=$(unshare -m -- sh -c 'mount --bind /dev/null "$1" && shift && cd "$HOME" && exec runuser -u "$@"' sh "$dpkg_bin" \
	"$TEST_USER" -- env -i HOME="$TEST_HOME" PATH=/usr/bin:/bin "$CR" create bad --arch arm64 --suite test \
	--mirror "$mirror" --keyring "$keyring" --dpkg host 2>&1); rc=$?
expect_eq "create --dpkg host on a host without dpkg: exit 2" 2 "$rc"
expect_match "... the message says what to install, or to give --dpkg emulated" \
	"--dpkg host: this host has no dpkg, dpkg-deb or chroot .*install Debian's dpkg, or give --dpkg emulated" "$err"
check "... and nothing is left in the store" \
	sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' 2>/dev/null | grep -q 'bad'"

# Validly signed releases apt would refuse: an expired one (a mirror
# replaying an old release), one dated ahead of the clock, another suite.
# Valid-Until is checked unless the settings (or else the host's apt) say
# not to: the setting is given here, whatever this host's apt says.
ucfg=$TEST_HOME/.config/crossroot/config
as_user mkdir -p "$(dirname "$ucfg")"
printf 'check-valid-until yes\n' | as_user sh -c 'cat >"$1"' sh "$ucfg"
VALID_UNTIL="2020-01-02 03:04:05" RELEASE_DATE="2019-12-26 03:04:05" "$archive/resign"
create_bad "an expired release" \
	"dists/test/InRelease expired on Thu, 02 Jan 2020 03:04:05 UTC \\(its Valid-Until; the time here is .*\\): the mirror serves an outdated release"
printf 'check-valid-until no\n' | as_user sh -c 'cat >"$1"' sh "$ucfg"
create_bad "with check-valid-until no, an expired release is used (apt's Check-Valid-Until no)" \
	"the packages gave the new rootfs no /bin/sh"
rm -f "$ucfg"
future=$(date -u -d 'now + 1 hour' '+%Y-%m-%d %H:%M:%S UTC')
RELEASE_DATE=$future "$archive/resign"
create_bad "a release dated in the future" \
	"dists/test/InRelease is not valid yet: it is dated $(LC_ALL=C date -u -d "$future" '+%a, %d %b %Y %H:%M:%S') UTC, but the time here is"
"$archive/resign"
cp -r "$archive/dists/test" "$archive/dists/other"
create_bad "a release of another suite" \
	"dists/other/InRelease is of another suite than 'other' \\(its Suite is 'test', its Codename 'test'\\)" --suite other
rm -r "$archive/dists/other"

# An InRelease whose signed text was altered.
sed -i 's/^Origin: crossroot tests$/Origin: crossroot tests!/' "$archive/dists/test/InRelease"
create_bad "an InRelease whose signature does not verify" "does not verify.*BAD signature"
"$archive/resign"

# A Packages index other than the one Release lists (the cached good copy goes first).
rm -rf "$TEST_HOME/.cache/crossroot/archives"
cp "$archive/dists/test/main/binary-arm64/Packages.xz" "$E2E_DIR/Packages.xz.good"
printf 'Package: other\n\n' | xz >"$archive/dists/test/main/binary-arm64/Packages.xz"
create_bad "a Packages index whose hash does not match" "Packages.xz: SHA-256 [0-9a-f]{64}, but the signed Release says"
cp "$E2E_DIR/Packages.xz.good" "$archive/dists/test/main/binary-arm64/Packages.xz"

# A .deb other than the one the index lists.
rm -rf "$TEST_HOME/.cache/crossroot/debs"
printf 'X' | dd of="$deb" bs=1 seek=2000 conv=notrunc status=none
create_bad "a .deb whose hash does not match" "fake-base_1.0_arm64.deb: SHA-256 [0-9a-f]{64}, the index says"
good_sha=$(sha256sum "$E2E_DIR/fake-base.good" | cut -d' ' -f1)
check "... and it is not kept in the cache, whole or in part" \
	sh -c "! ls '$TEST_HOME/.cache/crossroot/debs' | grep -q '$good_sha\|\.part'"

# A truncated .deb that the (re-signed) index describes faithfully.
head -c 600000 "$E2E_DIR/fake-base.good" >"$deb"
"$archive/resign"
create_bad "a truncated .deb" "fake-base .*(Truncated|truncated|damaged|EOF|not a .deb)"
cp "$E2E_DIR/fake-base.good" "$deb"
"$archive/resign"

# SUITE-updates beside the release, read as apt reads both: the newer
# fake-base there is the one chosen and fetched (from the update's index).
"$archive/make-updates"
rm -rf "$TEST_HOME/.cache/crossroot/debs"
create_bad "with test-updates too: still no /bin/sh" "the packages gave the new rootfs no /bin/sh"
new_sha=$(sha256sum "$archive/pool/main/f/fake-base_1.1_arm64.deb" | cut -d' ' -f1)
check "... the newer fake-base of test-updates is fetched" test -s "$TEST_HOME/.cache/crossroot/debs/$new_sha.deb"
check "... and not the release's older one" test ! -e "$TEST_HOME/.cache/crossroot/debs/$good_sha.deb"
rm -r "$archive/dists/test-updates"

# A target filesystem that fills up: a 512 KiB tmpfs for the containers, in a
# mount namespace of the user's own (single mode there; the 1 MiB package
# cannot fit).
mkdir -p "$E2E_DIR/full-cache" "$E2E_DIR/full" && chown "$TEST_USER" "$E2E_DIR/full-cache" "$E2E_DIR/full"
out=$(as_user unshare --user --map-root-user --mount bash -c '
	cr=$1 mirror=$2 keyring=$3 cache=$4 full=$5
	mount -t tmpfs -o size=512k tmpfs "$full" || exit 1
	XDG_DATA_HOME=$full XDG_CACHE_HOME=$cache "$cr" create full --arch arm64 --suite test \
		--mirror "$mirror" --keyring "$keyring" --quiet; echo "rc=$?"
	XDG_DATA_HOME=$full "$cr" list
	# The store'"'"'s own .lock is not a container.
	echo "left: $(ls -A "$full/crossroot/containers" 2>/dev/null | grep -vx .lock | tr "\n" " ")"
' bash "$CR" "$mirror" "$keyring" "$E2E_DIR/full-cache" "$E2E_DIR/full" 2>&1)
expect_match "a full filesystem: exit 1" '^rc=1$' "$out"
expect_match "... saying the disk is full" "No space left on device" "$out"
expect_match "... nothing listed or left" '^left: $' "$out"

# Settings give create its defaults (mirror, suite, variant); options win.
printf 'mirror %s\nsuite test\n' "$mirror" | as_user sh -c 'cat >"$1"' sh "$ucfg"
err=$(as_user "$CR" create bad --arch arm64 --keyring "$keyring" --quiet 2>&1); rc=$?
expect_eq "create with the mirror and suite of the settings: exit 1 (this archive cannot make a rootfs)" 1 "$rc"
expect_match "... got as far as this archive's missing /bin/sh: the mirror and suite came from the settings" \
	"the packages gave the new rootfs no /bin/sh" "$err"
err=$(as_user "$CR" create bad --arch arm64 --suite nosuch --keyring "$keyring" --quiet 2>&1)
expect_match "--suite wins over the settings' suite" "unknown suite 'nosuch'" "$err"
printf 'mirror %s\nsuite test\nvariant buildd\n' "$mirror" | as_user sh -c 'cat >"$1"' sh "$ucfg"
err=$(as_user "$CR" create bad --arch arm64 --keyring "$keyring" --quiet 2>&1)
expect_match "the settings' variant buildd asks for build-essential" "build-essential" "$err"
err=$(as_user "$CR" create bad --arch arm64 --variant minbase --keyring "$keyring" --quiet 2>&1)
expect_match "--variant wins over the settings' variant" "the packages gave the new rootfs no /bin/sh" "$err"
printf 'mirror %s\nsuite test\ncomponents main,contrib\n' "$mirror" | as_user sh -c 'cat >"$1"' sh "$ucfg"
err=$(as_user "$CR" create bad --arch arm64 --keyring "$keyring" --quiet 2>&1)
expect_match "the settings' components are read (this archive has only main)" "has no component 'contrib'" "$err"
err=$(as_user "$CR" create bad --arch arm64 --components main --keyring "$keyring" --quiet 2>&1)
expect_match "--components wins over the settings'" "the packages gave the new rootfs no /bin/sh" "$err"
printf 'suite bad/suite\n' | as_user sh -c 'cat >"$1"' sh "$ucfg"
err=$(as_user "$CR" create bad --arch arm64 --suite test --mirror "$mirror" --keyring "$keyring" --quiet 2>&1); rc=$?
expect_eq "a bad line in the settings fails create (exit 1) even with every option given" 1 "$rc"
expect_match "... naming the file and line" "$ucfg:1: invalid suite 'bad/suite'" "$err"
check "... and no container is left" sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' 2>/dev/null | grep -q bad"
rm -f "$ucfg"

done_testing
