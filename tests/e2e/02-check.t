#!/bin/bash
# crossroot check: a truthful report, and exit 1 when the user cannot work.
. "$(dirname "$0")/lib.sh"

out=$(as_user "$CR" check); rc=$?
expect_eq "check exits 0 on this host" 0 "$rc"
expect_match "the kernel version is reported" "^ok +kernel: $(uname -r | sed 's/[.+]/\\&/g')" "$out"
expect_match "user namespaces are allowed" '^ok +user namespaces: ' "$out"
expect_match "user.max_user_namespaces is shown" "^ok +sysctl user\.max_user_namespaces: $(cat /proc/sys/user/max_user_namespaces)\$" "$out"
expect_match "sandboxed binfmt_misc is supported (Linux >= 6.7)" '^ok +sandboxed binfmt_misc: supported' "$out"
expect_match "the arm64 emulator is found static" '^ok +emulator arm64: /usr/bin/qemu-aarch64-static \(static' "$out"
expect_match "amd64 runs natively" '^ok +emulator amd64: not needed' "$out"
if [ -n "$TEST_SUBID_START" ]; then
	expect_match "the test user's subordinate uids are shown" \
		"^ok +subordinate uids: $TEST_SUBID_START-$((TEST_SUBID_START + 65535)) \(65536 ids\)" "$out"
	expect_match "the test user's subordinate gids are shown" \
		"^ok +subordinate gids: $TEST_SUBID_START-$((TEST_SUBID_START + 65535)) \(65536 ids\)" "$out"
fi
expect_match "setup is reported as not done" '^-- +setup: not done: single mode' "$out"
expect_match "the result line names the user" "^result: $TEST_USER can work here" "$out"

# check --json: the same report as one JSON object (python3 reads it back).
# json_as_text: the items as check prints them, then "ok=..." and the count.
json_as_text() { python3 -c 'import json, sys
d = json.load(sys.stdin)
w = {"ok": "ok", "info": "--", "warn": "warn", "fail": "FAIL"}
for i in d["items"]: print("%-5s %s: %s" % (w[i["level"]], i["item"], i["message"]))
print("ok=%s user=%s archs=%d" % (d["ok"], d["user"], d["foreign_architectures"]))'; }
json=$(as_user "$CR" check --json); rc=$?
expect_eq "check --json exits 0 on this host" 0 "$rc"
expect_eq "check --json holds every item of the text report, with its level" \
	"$(printf '%s\n' "$out" | grep -v '^Hint: \|^result: ')" "$(printf '%s' "$json" | json_as_text | grep -v '^ok=')"
expect_match "... the verdict, the user and the count" \
	"^ok=True user=$TEST_USER archs=$(printf '%s' "$out" | sed -n 's/^result: .*(\([0-9]*\) foreign architectures)$/\1/p')\$" \
	"$(printf '%s' "$json" | json_as_text)"

# The same user with no emulator reachable: a FAIL line, a hint, exit 1.
# A private mount namespace hides the system's emulators from check only.
out=$(as_user unshare --user --map-root-user --mount sh -c \
	'mount -t tmpfs none /usr/libexec/qemu-binfmt && mount -t tmpfs none /usr/bin && exec "$0" check' "$CR"); rc=$?
expect_eq "check exits 1 when no emulator is usable" 1 "$rc"
expect_match "the missing arm64 emulator is a warning" '^warn +emulator arm64: none found' "$out"
expect_match "no usable emulator is a FAIL" '^FAIL +emulators: none usable' "$out"
expect_match "the hint names the package" '^Hint: install the static QEMU emulators: apt-get install qemu-user-static' "$out"
expect_match "the result says crossroot cannot work" '^result: crossroot cannot work here' "$out"
json=$(as_user unshare --user --map-root-user --mount sh -c \
	'mount -t tmpfs none /usr/libexec/qemu-binfmt && mount -t tmpfs none /usr/bin && exec "$0" check --json' "$CR"); rc=$?
expect_eq "check --json exits 1 too" 1 "$rc"
expect_match "... with the verdict false" "^ok=False " "$(printf '%s' "$json" | json_as_text)"
expect_eq "... and each item's hints with it" \
	"warn emulator arm64: install the static QEMU emulators: apt-get install qemu-user-static
fail emulators: apt-get install qemu-user-static" \
	"$(printf '%s' "$json" | python3 -c 'import json, sys
for i in json.load(sys.stdin)["items"]:
    if i["item"] in ("emulator arm64", "emulators"): print("%s %s: %s" % (i["level"], i["item"], i["hints"][0]))')"

# A user with no subordinate ids: a warning and a hint, but single mode still works.
if [ -n "${E2E_CREATED_USER:-}" ]; then
	sed -i "/^$E2E_CREATED_USER:/d" /etc/subuid
	out=$(as_user "$CR" check); rc=$?
	expect_eq "check still exits 0 without subordinate uids" 0 "$rc"
	expect_match "missing subordinate uids are a warning" "^warn +subordinate uids: none for $TEST_USER" "$out"
	expect_match "the hint says how to add them" "^Hint: as root: usermod --add-subuids" "$out"
fi

done_testing
