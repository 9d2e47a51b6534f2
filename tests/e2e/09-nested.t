#!/bin/bash
# Nested: crossroot inside a user namespace another runtime made.  Inside
# `unshare -Urmpf --mount-proc` with /proc partly masked, as Docker and
# Kubernetes leave it, single mode works.  Inside a crossroot container:
# without CAP_SETFCAP (a plain run) no uid 0 can be mapped in a nested
# namespace (Linux >= 5.12), and check says exactly that; with --root (which
# keeps it) everything works.
. "$(dirname "$0")/lib.sh"
cp "$E2E_DIR/rootfs/rootfs-arm64.tar" "$E2E_DIR/box.tar" && chmod a+r "$E2E_DIR/box.tar"
as_user mkdir -p "$TEST_HOME/nested"

# (a) A Docker-like namespace: /proc of its own with files masked and /proc/sys read-only.
out=$(as_user unshare -Urmpf --mount-proc bash -c '
	cr=$1 tar=$2
	for p in /proc/kcore /proc/keys /proc/timer_list; do [ -e "$p" ] && mount --bind /dev/null "$p"; done
	mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys || echo "masking failed"
	export XDG_DATA_HOME=$HOME/nested/data XDG_CACHE_HOME=$HOME/nested/cache
	"$cr" check >/dev/null; echo "check=$?"
	"$cr" create nb --arch arm64 --from-tar "$tar" >/dev/null 2>&1; echo "create=$?"
	echo "run=$("$cr" run nb -- /usr/bin/payload uname-m)"
	"$cr" start nb; echo "start=$?"
	echo "started-run=$("$cr" run nb -- /bin/uname -m)"
	"$cr" stop nb; echo "stop=$?"
' bash "$CR" "$E2E_DIR/box.tar" 2>&1)
check "the masking was applied" bash -c '! grep -q "masking failed" <<<"$1"' bash "$out"
expect_match "in a Docker-like namespace: check passes" '^check=0$' "$out"
expect_match "... create works (single mode)" '^create=0$' "$out"
expect_match "... an arm64 program runs" '^run=aarch64$' "$out"
expect_match "... a container starts" '^start=0$' "$out"
expect_match "... and runs programs while started" '^started-run=aarch64$' "$out"
expect_match "... and stops" '^stop=0$' "$out"

# (b) crossroot in a crossroot container (amd64, with the libraries crossroot
# loads), in single mode: there a plain run has no capability at all.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
as_user "$CR" create outer --arch amd64 --suite "$suite" --include libarchive13 --quiet >/dev/null ||
	prereq_fail "create an amd64 container for crossroot to run in"
expect_match "the outer container is in single mode" '^outer +amd64 +single ' "$(as_user "$CR" list)"
inner=(--bind "$CR:/usr/local/bin/crossroot:ro" --bind /usr/bin/qemu-aarch64-static:/usr/bin/qemu-aarch64-static:ro
	--bind "$E2E_DIR/box.tar:/box.tar:ro" --env XDG_DATA_HOME=/root/inner --env XDG_CACHE_HOME=/root/inner-cache)
out=$(as_user "$CR" run outer "${inner[@]}" -- crossroot check 2>&1); rc=$?
expect_eq "in a plain crossroot run, check fails" 1 "$rc"
expect_match "... naming what is missing: CAP_SETFCAP to map uid 0" \
	'^FAIL +user namespaces: can create one but not be root in it: this process lacks CAP_SETFCAP' "$out"
expect_match "... and what to do" '^Hint: inside a crossroot container: run the outer one with --root' "$out"
out=$(as_user "$CR" run outer --root "${inner[@]}" -- sh -c '
	crossroot check >/dev/null; echo "check=$?"
	crossroot create inner --arch arm64 --from-tar /box.tar >/dev/null 2>&1; echo "create=$?"
	echo "run=$(crossroot run inner -- /usr/bin/payload uname-m)"
	crossroot start inner; echo "start=$?"
	echo "started-run=$(crossroot run inner -- /bin/uname -m)"
	crossroot stop inner; echo "stop=$?"' 2>&1)
expect_match "with --root outside, check passes inside" '^check=0$' "$out"
expect_match "... crossroot creates a container in the container" '^create=0$' "$out"
expect_match "... runs an arm64 program in it" '^run=aarch64$' "$out"
expect_match "... starts it" '^start=0$' "$out"
expect_match "... runs in the started one" '^started-run=aarch64$' "$out"
expect_match "... and stops it" '^stop=0$' "$out"

done_testing
