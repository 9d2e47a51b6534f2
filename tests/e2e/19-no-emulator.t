#!/bin/bash
# No usable emulator for a container's arch: run, enter and start fail as
# crossroot's own failure before anything runs, naming the arch, what was
# found and the package to install.  A native arch needs none.
. "$(dirname "$0")/lib.sh"
# The search path cannot hide /usr/bin/qemu-aarch64-static (discovery goes on
# to /usr/bin), so root hides it in a private mount namespace: nothing outside
# that namespace changes.
[ -n "${E2E_CREATED_USER:-}" ] ||
	prereq_fail "hiding the host's emulator needs root (a private mount namespace): run the tests as root"
command -v script >/dev/null || prereq_fail "script(1) is not installed"
setup_mapped
create_container ne arm64

# An amd64 container of the static payload alone (also as /bin/sh, which
# tells create its arch): native here.
mkdir -p "$E2E_DIR/amd64/usr/bin" "$E2E_DIR/amd64/bin" "$E2E_DIR/amd64/etc"
cp "$PAY/payload-amd64" "$E2E_DIR/amd64/usr/bin/payload"
cp "$PAY/payload-amd64" "$E2E_DIR/amd64/bin/sh"
tar --numeric-owner --owner=0 --group=0 -C "$E2E_DIR/amd64" -cf "$E2E_DIR/amd64.tar" .
chmod a+r "$E2E_DIR/amd64.tar"
as_user "$CR" create na --arch amd64 --from-tar "$E2E_DIR/amd64.tar" >/dev/null || prereq_fail "create an amd64 container"

# without_emulator HOW COMMAND...: COMMAND as the test user (as as_user does)
# in a private mount namespace where /usr/bin/qemu-aarch64-static, and with it
# the qemu-binfmt wrapper that links to it, is HOW: "dynamic", a dynamically
# linked program; "none", no program at all.
without_emulator() {
	local how=$1
	shift
	unshare --mount --propagation private bash -c '
		case $1 in
		dynamic) mount --bind /bin/true /usr/bin/qemu-aarch64-static ;;
		none) mount --bind /dev/null /usr/bin/qemu-aarch64-static ;;
		esac || exit 99
		shift
		cd "$HOME_DIR" && exec runuser -u "$USER_NAME" -- env -i HOME="$HOME_DIR" USER="$USER_NAME" \
			LOGNAME="$USER_NAME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c "exec \"\$@\"" bash "$@"' \
		bash "$how" "$@"
}
export HOME_DIR=$TEST_HOME USER_NAME=$TEST_USER
without_emulator none /bin/true || prereq_fail "a private mount namespace for the test user"

out=$(without_emulator dynamic "$CR" run ne -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "only a dynamically linked emulator: run exits 125" 125 "$rc"
expect_match "... naming the arch" "arm64" "$out"
expect_match "... and what was found" "/usr/bin/qemu-aarch64-static is dynamically linked" "$out"
expect_match "... and the package to install" "apt-get install qemu-user-static" "$out"
check "... before anything ran" bash -c '! grep -qx aarch64 <<<"$1"' bash "$out"

out=$(without_emulator none "$CR" run ne -- /usr/bin/payload uname-m 2>&1); rc=$?
expect_eq "no emulator at all: run exits 125" 125 "$rc"
expect_match "... naming the arch" "arm64" "$out"
expect_match "... and where it was looked for" \
	"no qemu-aarch64-static or qemu-aarch64 in PATH or /usr/bin, and no /usr/libexec/qemu-binfmt/aarch64-binfmt-P" "$out"
expect_match "... and the package to install" "apt-get install qemu-user-static" "$out"

out=$(without_emulator none script -qec "$CR enter ne" /dev/null </dev/null 2>&1); rc=$?
expect_eq "no emulator: enter exits 125" 125 "$rc"
expect_match "... saying why" "cannot run arm64 programs here" "$out"

out=$(without_emulator none "$CR" start ne 2>&1); rc=$?
expect_eq "no emulator: start fails (exit 1, as start's failures do)" 1 "$rc"
expect_match "... saying why" "cannot run arm64 programs here: no qemu-aarch64-static" "$out"
expect_match "... and the container is not started" '^ne +arm64 +mapped +stopped$' "$(as_user "$CR" list)"

expect_eq "a native arch needs no emulator" x86_64 "$(without_emulator none "$CR" run na -- /usr/bin/payload uname-m)"

# A dynamically linked one first on PATH is passed over for the static one in /usr/bin.
mkdir -p "$E2E_DIR/fakebin" && cp /bin/true "$E2E_DIR/fakebin/qemu-aarch64-static" && chmod -R a+rX "$E2E_DIR/fakebin"
expect_eq "a dynamic emulator on PATH is passed over for a static one" aarch64 \
	"$(as_user env PATH="$E2E_DIR/fakebin:/usr/bin:/bin" "$CR" run ne -- /usr/bin/payload uname-m)"

# A started container keeps its entries: the kernel holds the emulator open (flag F).
as_user "$CR" start ne || prereq_fail "crossroot start ne"
expect_eq "a started container keeps running its programs when the emulator goes away" aarch64 \
	"$(without_emulator none "$CR" run ne -- /usr/bin/payload uname-m)"
as_user "$CR" stop ne

done_testing
