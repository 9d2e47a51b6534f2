# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the end-to-end tests (sourced; TAP on stdout, run by prove).
#
# Run as root (CI), it creates a throwaway unprivileged user with its own
# subordinate id ranges, copies the binary and payloads where that user can
# read them, runs the commands under test as that user, and removes the user
# and its files on exit.  Run as an ordinary user, the tests run as that user.
# A missing core prerequisite (user namespaces, QEMU, binfmt_misc) fails the
# test script: no test here is left out.

set -u
: "${CROSSROOT:?run the end-to-end tests with 'make check-e2e'}"
: "${PAYLOAD_DIR:?run the end-to-end tests with 'make check-e2e'}"

_tap_n=0
_tap_failed=0

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

# check DESCRIPTION COMMAND...: one test point from a command's success.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESCRIPTION WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "want: $2" "got:  $3"; fi
}

# expect_match DESCRIPTION PATTERN TEXT (grep -E pattern)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; diag "no line matches: $2" "in:" "$3"; fi
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# A failed prerequisite ends the script as a failure, never as a pass.
prereq_fail() {
	not_ok "prerequisite: $*"
	done_testing
}

_e2e_cleanup() {
	# Stop what the tests left started, whatever the outcome.
	if [ -n "${CR:-}" ] && [ -n "${TEST_HOME:-}" ]; then
		for d in "$TEST_HOME"/.local/share/crossroot/containers/*/ "${E2E_DIR:-/nonexistent}"/data/crossroot/containers/*/; do
			[ -f "$d/state" ] && as_user env XDG_DATA_HOME="$(dirname "$(dirname "$(dirname "$d")")")" \
				"$CR" stop "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	if [ -n "${E2E_CREATED_USER:-}" ]; then
		"$CR" teardown --user "$E2E_CREATED_USER" >/dev/null 2>&1
		[ -n "${TEST_SUBID_START:-}" ] && pkill -KILL -u "$TEST_SUBID_START" 2>/dev/null
		pkill -KILL -u "$E2E_CREATED_USER" 2>/dev/null
		_users_lock
		userdel -r "$E2E_CREATED_USER" >/dev/null 2>&1
		# userdel drops the user's subordinate ranges; make sure.
		sed -i "/^$E2E_CREATED_USER:/d" /etc/subuid /etc/subgid
		_users_unlock
	fi
	for u in ${E2E_EXTRA_USERS:-}; do
		"$CR" teardown --user "$u" >/dev/null 2>&1
		pkill -KILL -u "$u" 2>/dev/null
		_users_lock
		userdel -r "$u" >/dev/null 2>&1
		sed -i "/^$u:/d" /etc/subuid /etc/subgid
		_users_unlock
	done
	[ -n "${E2E_DIR:-}" ] && rm -rf "$E2E_DIR"
}
trap _e2e_cleanup EXIT

# Tests run side by side (make check-e2e): who picks a free subordinate
# range and adds it, or removes one, holds this lock, so no two users get
# the same range and no edit of /etc/subuid is lost.
_users_lock() {
	[ -n "${_users_lock_fd:-}" ] && return 0 # held already (a prerequisite failed while holding it)
	exec {_users_lock_fd}>>/run/lock/crossroot-e2e-users.lock && flock "$_users_lock_fd"
}
_users_unlock() { [ -n "${_users_lock_fd:-}" ] && exec {_users_lock_fd}>&-; _users_lock_fd=; }

# The first free 65536-aligned subordinate range above every range in use.
_free_subid_start() {
	cat /etc/subuid /etc/subgid 2>/dev/null |
		awk -F: 'BEGIN { top = 100000 } NF == 3 && $2 + $3 > top { top = $2 + $3 }
			 END { print int((top + 65535) / 65536) * 65536 }'
}

E2E_DIR=$(mktemp -d /tmp/crossroot-e2e.XXXXXX)
chmod 0755 "$E2E_DIR"
cp "$CROSSROOT" "$E2E_DIR/crossroot"
cp -r "$PAYLOAD_DIR" "$E2E_DIR/payload"
[ -d "${ROOTFS_DIR:-}" ] && cp -r "$ROOTFS_DIR" "$E2E_DIR/rootfs"
chmod -R a+rX "$E2E_DIR"
CR="$E2E_DIR/crossroot"
PAY="$E2E_DIR/payload"

if [ "$(id -u)" -eq 0 ]; then
	E2E_CREATED_USER="crt$$"
	_users_lock
	useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$E2E_CREATED_USER" || prereq_fail "useradd $E2E_CREATED_USER"
	start=$(_free_subid_start)
	usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" \
		"$E2E_CREATED_USER" || prereq_fail "usermod --add-subuids for $E2E_CREATED_USER"
	_users_unlock
	TEST_USER=$E2E_CREATED_USER
	TEST_SUBID_START=$start
else
	TEST_USER=$(id -un)
	TEST_SUBID_START=
fi
TEST_UID=$(id -u "$TEST_USER")
TEST_HOME=$(getent passwd "$TEST_USER" | cut -d: -f6)

# as_user COMMAND...: run as the unprivileged test user, in its home directory.
# bash execs the command: unlike env(1) it never retries an ENOEXEC file with /bin/sh.
as_user() {
	if [ -n "${E2E_CREATED_USER:-}" ]; then
		(cd "$TEST_HOME" && runuser -u "$TEST_USER" -- env -i HOME="$TEST_HOME" USER="$TEST_USER" \
			LOGNAME="$TEST_USER" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
			bash -c 'exec "$@"' bash "$@")
	else
		"$@"
	fi
}

# Core prerequisites.
[ -x /usr/bin/qemu-aarch64-static ] || prereq_fail "qemu-user-static is not installed"
grep -qw binfmt_misc /proc/filesystems || prereq_fail "the kernel has no binfmt_misc"
as_user unshare --user true 2>/dev/null || prereq_fail "$TEST_USER cannot create a user namespace"

# add_second_user: another throwaway user with its own subordinate range
# (root only), for tests where one user attacks root or another user.
# Sets OTHER_USER, OTHER_UID, OTHER_HOME and OTHER_SUBID_START.
add_second_user() {
	OTHER_USER="crx$$"
	_users_lock
	useradd --create-home --shell /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$OTHER_USER" ||
		prereq_fail "useradd $OTHER_USER"
	E2E_EXTRA_USERS="${E2E_EXTRA_USERS:-} $OTHER_USER"
	OTHER_SUBID_START=$(_free_subid_start)
	usermod --add-subuids "$OTHER_SUBID_START-$((OTHER_SUBID_START + 65535))" \
		--add-subgids "$OTHER_SUBID_START-$((OTHER_SUBID_START + 65535))" "$OTHER_USER" ||
		prereq_fail "usermod --add-subuids for $OTHER_USER"
	_users_unlock
	OTHER_UID=$(id -u "$OTHER_USER")
	OTHER_HOME=$(getent passwd "$OTHER_USER" | cut -d: -f6)
}

# as_other COMMAND...: run as the second user, in its home directory.
as_other() {
	(cd "$OTHER_HOME" && runuser -u "$OTHER_USER" -- env -i HOME="$OTHER_HOME" USER="$OTHER_USER" \
		LOGNAME="$OTHER_USER" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c 'exec "$@"' bash "$@")
}

# setup_mapped: root's one-time setup for the test user (mapped mode).
setup_mapped() {
	if [ -n "${E2E_CREATED_USER:-}" ]; then
		"$CR" setup --user "$TEST_USER" >/dev/null || prereq_fail "crossroot setup --user $TEST_USER"
	elif ! "$CR" check | grep -q '^ok +setup: done'; then
		prereq_fail "mapped mode needs root's setup for $TEST_USER: run the tests as root, or ask root to run 'crossroot setup --user $TEST_USER'"
	fi
}

# create_container NAME ARCH: a container of the test rootfs for ARCH.
create_container() {
	[ -f "$E2E_DIR/rootfs/rootfs-$2.tar" ] || prereq_fail "no test rootfs for $2 (make check-e2e builds it)"
	as_user "$CR" create "$1" --arch "$2" --from-tar "$E2E_DIR/rootfs/rootfs-$2.tar" >/dev/null ||
		prereq_fail "crossroot create $1 --arch $2"
}

# record FILE COMMAND...: run COMMAND with its output (stdout and stderr) to
# FILE and its exit status to FILE.rc, for a check reported later (the
# *_start functions below run in the background while a test goes on).
record() {
	local f=$1
	shift
	"$@" >"$f" 2>&1
	echo $? >"$f.rc"
}

# apt_checks_start NAME DIR: apt inside bootstrapped container NAME, as root of
# it: update, upgrade simulated, check; the outputs to DIR for apt_checks.
apt_checks_start() {
	mkdir -p "$2"
	record "$2/update" as_user "$CR" run "$1" --root -- apt-get update -q
	record "$2/upgrade" as_user "$CR" run "$1" --root -- apt-get -s -q upgrade
	record "$2/check" as_user "$CR" run "$1" --root -- apt-get check -q
}

# apt_checks NAME SUITE DIR: update read every source (the deb-src ones too)
# with no warning or error, and the container is up to date and consistent
# (the bootstrap chose what apt would).
apt_checks() {
	expect_eq "$1: apt-get update inside with --root exits 0" 0 "$(cat "$3/update.rc")"
	expect_eq "... with no warning or error" "" "$(grep -E '^(W|E):' "$3/update")"
	expect_match "... having read the sources indexes too (deb-src)" "$2(-updates)?/main Sources" "$(cat "$3/update")"
	expect_match "$1 is up to date: apt-get -s upgrade upgrades nothing" \
		'^0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded\.$' "$(cat "$3/upgrade")"
	expect_eq "... and apt-get check finds every dependency met" 0 "$(cat "$3/check.rc")"
	[ "$(cat "$3/check.rc")" -eq 0 ] || diag "$(cat "$3/check")"
}

# mmdebstrap_start NAME SUITE ARCH VARIANT DIR: to DIR, the packages dpkg
# has installed in container NAME ("ours") and what mmdebstrap --simulate
# installs for VARIANT and ARCH from NAME's deb sources (what its bootstrap
# read: the same suites, mirrors and components), "theirs"; both sorted
# "package version" lines. mmdebstrap needs no root to simulate, and with
# --mode=chrootless no fakechroot or newuidmap; it runs no emulator
# (its check of QEMU is left out). Its simulation installs the Essential set,
# then the rest into an empty status where a real run has the Essential set
# installed: the union of both steps is what a real run installs.
mmdebstrap_start() {
	local sources
	mkdir -p "$5"
	# The deb822 stanzas of debian.sources as one-line "deb [OPTIONS] URI SUITE
	# COMPONENTS" (Check-Valid-Until: no as check-valid-until=no).
	sources=$(as_user "$CR" run "$1" -- cat /etc/apt/sources.list.d/debian.sources | awk '
		function flush() { for (i = 1; i <= n; i++) print "deb " opt uri " " suites[i] " " comps; n = 0; opt = "" }
		/^$/ { flush() } /^URIs:/ { uri = $2 } /^Suites:/ { n = split(substr($0, 9), suites, " ") }
		/^Components:/ { comps = substr($0, 13) } /^Check-Valid-Until: no$/ { opt = "[check-valid-until=no] " }
		END { flush() }')
	printf '%s\n' "$sources" >"$5/sources"
	record "$5/mmdebstrap" as_user mmdebstrap --mode=chrootless --simulate --verbose --skip=check/qemu --variant="$4" \
		--architectures="$3" "$2" "$TEST_HOME/mmdebstrap-$1.tar" - <"$5/sources"
	sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' "$5/mmdebstrap" | sort -u >"$5/theirs"
	as_user "$CR" run "$1" -- dpkg-query -W -f '${Package} ${Version}\n' | sort -u >"$5/ours"
}

# compare_with_mmdebstrap NAME VARIANT DIR [ALLOWED]: the packages installed
# in NAME are mmdebstrap's (DIR as mmdebstrap_start left it). ALLOWED: lines
# "+PKG" (only crossroot installs it) or "-PKG" (only mmdebstrap), each a
# known difference the caller explains; any other difference is a failure.
compare_with_mmdebstrap() {
	local diff
	command -v mmdebstrap >/dev/null || prereq_fail "mmdebstrap is not installed (contrib/install-deps.sh)"
	if [ "$(cat "$3/mmdebstrap.rc")" -ne 0 ] || [ ! -s "$3/theirs" ]; then
		not_ok "$1: mmdebstrap --simulate --variant $2 lists the packages it installs"
		diag "sources given:" "$(cat "$3/sources")" "$(tail -5 "$3/mmdebstrap")"
		return
	fi
	diff=$( (comm -23 "$3/ours" "$3/theirs" | sed 's/^/+/'
		comm -13 "$3/ours" "$3/theirs" | sed 's/^/-/') |
		awk -v allowed="${4:-}" 'BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 } !ok[$1]')
	expect_eq "$1: the packages installed are mmdebstrap's for $2, names and versions ($(wc -l <"$3/theirs") packages)" \
		"" "$diff"
}
