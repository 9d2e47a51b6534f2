#!/bin/bash
# crossroot create on a real Debian archive (the host's mirror): arm64 and
# armhf buildd rootfs that compile and run a program, apt inside, an
# offline second create, an interrupted create, and single mode.
. "$(dirname "$0")/lib.sh"
setup_mapped
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
run() { as_user "$CR" run "$@"; }
cp "$TESTS_DIR/../contrib/examples/hello.c" "$E2E_DIR/hello.c" && chmod a+r "$E2E_DIR/hello.c"

for arch in arm64 armhf; do
	want=$([ $arch = arm64 ] && echo aarch64 || echo armv7l)
	file_word=$([ $arch = arm64 ] && echo "ARM aarch64" || echo "ARM, EABI5")
	out=$(as_user "$CR" create "b-$arch" --arch "$arch" --suite "$suite" --variant buildd 2>"$E2E_DIR/create-$arch.err"); rc=$?
	expect_eq "create --arch $arch --variant buildd exits 0" 0 "$rc"
	[ "$rc" -eq 0 ] || diag "$(tail -5 "$E2E_DIR/create-$arch.err")"
	expect_match "... and says so" "^created b-$arch \\($arch $suite, mapped mode\\)$" "$out"
	expect_match "progress goes to stderr as plain lines without a terminal" "^crossroot: (download|configure): " \
		"$(cat "$E2E_DIR/create-$arch.err")"
	expect_eq "uname -m inside is $want" "$want" "$(run "b-$arch" -- uname -m)"
	mkdir -p "$E2E_DIR/build-$arch" && cp "$E2E_DIR/hello.c" "$E2E_DIR/build-$arch/" && chown -R "$TEST_USER" "$E2E_DIR/build-$arch"
	run "b-$arch" --bind "$E2E_DIR/build-$arch:/src" --cwd /src -- gcc -O2 -o hello hello.c
	expect_eq "gcc inside builds the program" 0 $?
	expect_eq "it runs inside" "hello from $want" "$(run "b-$arch" --bind "$E2E_DIR/build-$arch:/src" -- /src/hello)"
	expect_match "it is a $arch binary" "$file_word" "$(file -b "$E2E_DIR/build-$arch/hello")"
	expect_eq "dpkg --audit prints nothing" "" "$(run "b-$arch" -- dpkg --audit 2>&1)"
	expect_match "passwd is setuid root (real ownership, mapped mode)" '^-rwsr-xr-x 1 0 0 ' "$(run "b-$arch" -- ls -ln /usr/bin/passwd)"
	# apt and mmdebstrap (lib.sh) work on this one while the next is created.
	(apt_checks_start "b-$arch" "$E2E_DIR/out-$arch"
		mmdebstrap_start "b-$arch" "$suite" "$arch" buildd "$E2E_DIR/out-$arch") &
	[ $arch = arm64 ] && arm64_checks=$!
done

cache=$TEST_HOME/.cache/crossroot
expect_eq "the cache and its .debs are private to the user (0700)" "700 700" \
	"$(stat -c %a "$cache") $(stat -c %a "$cache/debs")"

# apt's sources as the Debian installer writes them: deb822, deb and deb-src,
# the release and its updates, security from the host's security mirror.
sources=$(run b-arm64 -- cat /etc/apt/sources.list.d/debian.sources)
host_security=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v '^ *#' | grep -E "(^| )$suite-security( |$)")
expect_eq "debian.sources has a deb and deb-src stanza per mirror" "$([ -n "$host_security" ] && echo 2 || echo 1)" \
	"$(printf '%s\n' "$sources" | grep -c '^Types: deb deb-src$')"
expect_match "... the release and its updates from the mirror" "^Suites: $suite $suite-updates$" "$sources"
expect_match "... component main" '^Components: main$' "$sources"
expect_match "... signed by the Debian keyring that verified the bootstrap" \
	'^Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg$' "$sources"
check "... which the container has" run b-arm64 -- test -s /usr/share/keyrings/debian-archive-keyring.gpg
if [ -n "$host_security" ]; then
	expect_match "... security in its own stanza" "^Suites: $suite-security$" "$sources"
	security_uri=$(printf '%s\n' "$sources" | grep '^URIs: ' | sed -n '2s/^URIs: //p')
	check "... from the host's security mirror ($security_uri)" \
		grep -rqsF -- "${security_uri%/}" /etc/apt/sources.list /etc/apt/sources.list.d/
else
	expect_match "without a host security source, create warns" "no Debian security source" \
		"$(cat "$E2E_DIR/create-arm64.err")"
fi
run b-arm64 -- test -e /etc/apt/sources.list
expect_eq "no one-line sources.list is left" 1 $?

# apt inside, with its _apt sandbox: update reads every source without a
# warning; the bootstrap read the updates and security indexes and resolved
# as apt does, so nothing is left to upgrade, and it chose what mmdebstrap
# chooses for buildd from the same sources.
wait "$arm64_checks"
apt_checks b-arm64 "$suite" "$E2E_DIR/out-arm64"
compare_with_mmdebstrap b-arm64 buildd "$E2E_DIR/out-arm64"
out=$(run b-arm64 --root -- sh -c 'apt-get install -y -q --no-install-recommends hello >/dev/null && echo installed' 2>&1)
expect_match "apt-get install works inside with --root" '^installed$' "$out"
expect_match "... and the package runs" '^Hello, world!$' "$(run b-arm64 -- hello)"
expect_match "apt's download sandbox user _apt exists" '^_apt:' "$(run b-arm64 -- getent passwd _apt)"

# Building a Debian package, the daily work: the source fetched and unpacked
# by the user in a directory of theirs, the build dependencies installed by
# root of the container, the package built by the user; the .deb is arm64
# and installs inside.
work=$TEST_HOME/debian-work
as_user mkdir "$work"
t0=$SECONDS
out=$(run b-arm64 -w "$work" -- apt-get source -q hello 2>&1); rc=$?
expect_eq "apt-get source hello as the user exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$out" | tail -5)"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'hello-*' -print -quit)
expect_eq "... and unpacks it there, the user's" "$TEST_USER" "$([ -n "$src" ] && stat -c %U "$src")"
out=$(run b-arm64 --root -- apt-get build-dep -y -q hello 2>&1); rc=$?
expect_eq "apt-get build-dep -y hello with --root exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$out" | tail -5)"
out=$(run b-arm64 -w "${src:-$work}" -- dpkg-buildpackage -b -uc -us 2>&1); rc=$?
expect_eq "dpkg-buildpackage -b -uc -us as the user exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$out" | tail -5)"
deb=$(find "$work" -maxdepth 1 -name 'hello_*.deb' -print -quit)
expect_eq "... and makes an arm64 .deb, the user's" "arm64 $TEST_USER" \
	"$([ -n "$deb" ] && echo "$(dpkg-deb -f "$deb" Architecture) $(stat -c %U "$deb")")"
run b-arm64 --root -- dpkg --purge hello >/dev/null # the archive's, installed above
expect_eq "with the archive's hello purged, there is no hello" none \
	"$(run b-arm64 -- sh -c 'command -v hello || echo none')"
out=$(run b-arm64 --root -- dpkg -i "${deb:-none}" 2>&1); rc=$?
expect_eq "the built .deb installs inside (dpkg -i with --root)" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
expect_eq "... and hello prints Hello, world!" "Hello, world!" "$(run b-arm64 -- hello)"
diag "apt-get source, build-dep, dpkg-buildpackage and dpkg -i took $((SECONDS - t0)) s"

wait
apt_checks b-armhf "$suite" "$E2E_DIR/out-armhf"
compare_with_mmdebstrap b-armhf buildd "$E2E_DIR/out-armhf"

# Each bootstrap records what of the cache it uses; prune keeps all of it even
# when old, so the offline create below still finds everything.
refs=$TEST_HOME/.local/share/crossroot/containers/b-arm64/cache-refs
expect_match "a bootstrap records the cached rootfs of its set" '^rootfs/[0-9a-f]{64}\.tar\.zst$' "$(cat "$refs")"
expect_match "... its .debs" '^debs/[0-9a-f]{64}\.deb$' "$(cat "$refs")"
expect_match "... and its suite's index" '^archives/.*/Packages-arm64\.xz$' "$(cat "$refs")"
expect_eq "... all of them in the cache" "" "$(while read -r p; do [ -f "$cache/$p" ] || echo "$p"; done <"$refs")"
find "$cache" -mindepth 1 ! -name .lock -exec touch -h -d '30 days ago' {} +
out=$(as_user "$CR" prune 2>&1); rc=$?
expect_eq "prune, with everything old, exits 0" 0 "$rc"
expect_eq "... and removes nothing the containers recorded" "" \
	"$(cat "$TEST_HOME"/.local/share/crossroot/containers/b-*/cache-refs | while read -r p; do [ -e "$cache/$p" ] || echo "$p"; done)"
diag "$out"

# A second create of the same set needs no network: any attempt would fail at the proxy.
out=$(as_user env http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	"$CR" create again --arch arm64 --suite "$suite" --variant buildd --offline --quiet 2>&1); rc=$?
expect_eq "create --offline of a cached set exits 0 with the network cut" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
expect_eq "... and the container works" "hello from aarch64" "$(run again --bind "$E2E_DIR/build-arm64:/src" -- /src/hello)"
as_user "$CR" rm again

# On a terminal, progress is one line rewritten in place.
if [ -n "${E2E_CREATED_USER:-}" ]; then
	out=$(runuser -u "$TEST_USER" -- script -qec "cd; $CR create tty --arch arm64 --suite $suite --variant buildd" /dev/null </dev/null 2>&1)
else
	out=$(script -qec "$CR create tty --arch arm64 --suite $suite --variant buildd" /dev/null </dev/null 2>&1)
fi
expect_match "on a terminal the progress line is rewritten in place" $'\r\033\\[K\\[(index|download|extract)\\]' "$out"
expect_match "... and the create completes" "created tty" "$out"
as_user "$CR" rm tty

# Interrupted once it unpacks or configures: nothing usable is left, and the
# next create succeeds.
as_user "$CR" create cut --arch arm64 --suite "$suite" --include less,gobi-loader --components main,contrib \
	>"$E2E_DIR/cut.out" 2>&1 &
cut_pid=$!
for _ in $(seq 1200); do grep -q 'configure\|extract' "$E2E_DIR/cut.out" 2>/dev/null && break; sleep 0.1; done
expect_match "the create to interrupt got as far as unpacking" '^crossroot: (extract|configure): ' "$(cat "$E2E_DIR/cut.out")"
pkill -INT -o -f "^$CR create cut" 2>/dev/null
wait "$cut_pid"
rc=$?
check "... and SIGINT ended it with a failure ($rc)" test "$rc" -ne 0
check "an interrupted create is not listed" sh -c "! printf '%s' \"\$1\" | grep -q '^cut '" sh "$(as_user "$CR" list)"
err=$(as_user "$CR" run cut -- true 2>&1); rc=$?
expect_eq "... nor usable" 125 "$rc"
out=$(as_user "$CR" create cut --arch arm64 --suite "$suite" --include less,gobi-loader --components main,contrib \
	--quiet 2>&1); rc=$?
expect_eq "the next create of that name succeeds" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
expect_eq "less is inside" 0 "$(run cut -- sh -c 'test -x /usr/bin/less; echo $?')"
expect_match "--components main,contrib: a contrib package is installed" '^install ok installed$' \
	"$(run cut -- dpkg-query -W -f '${Status}\n' gobi-loader 2>&1)"
expect_match "... and debian.sources names both components" '^Components: main contrib$' \
	"$(run cut -- cat /etc/apt/sources.list.d/debian.sources)"
check "no hidden leftover of the interrupted create remains" \
	sh -c "! ls -A '$TEST_HOME/.local/share/crossroot/containers' | grep -q '^\.cut\.'"

# Bad input that needs no archive.
err=$(as_user "$CR" create x --arch vax 2>&1); rc=$?
expect_eq "an unknown arch is bad usage" 2 "$rc"
expect_match "... listing the known ones" "unknown architecture 'vax' \\(known: amd64, i386, arm64" "$err"
err=$(as_user "$CR" create x --arch arm64 --suite no-such-suite 2>&1); rc=$?
expect_eq "an unknown suite exits 1" 1 "$rc"
expect_match "... naming it" "unknown suite 'no-such-suite'" "$err"
err=$(as_user "$CR" create x --arch arm64 --variant huge 2>&1); rc=$?
expect_eq "an unknown variant is bad usage" 2 "$rc"
err=$(as_user "$CR" create x --arch arm64 --suite "$suite" --include no-such-package-xyz --quiet 2>&1); rc=$?
expect_eq "an unknown --include package exits 1" 1 "$rc"
expect_match "... naming it" "'no-such-package-xyz' is not in the suite" "$err"
err=$(as_user "$CR" create x --arch arm64 --components contrib 2>&1); rc=$?
expect_eq "--components without main is bad usage" 2 "$rc"
expect_match "... saying main is needed" "must include main" "$err"
err=$(as_user "$CR" create x --arch arm64 --components 'main,Non Free' 2>&1); rc=$?
expect_eq "an invalid component name is bad usage" 2 "$rc"
expect_match "... naming it" "invalid component 'Non Free'" "$err"
err=$(as_user "$CR" create x --arch arm64 --suite "$suite" --components main,no-such-component --quiet 2>&1); rc=$?
expect_eq "a component the suite does not have exits 1" 1 "$rc"
expect_match "... naming it and those it has" "has no component 'no-such-component' \\(it has: .*contrib" "$err"
check "none of these left a container" sh -c "! printf '%s' \"\$1\" | grep -q '^x '" sh "$(as_user "$CR" list)"

# Single mode: no setup at all.
"$CR" teardown --user "$TEST_USER" >/dev/null 2>&1
mkdir -p "$E2E_DIR/single-data" && chown "$TEST_USER" "$E2E_DIR/single-data"
out=$(as_user env XDG_DATA_HOME="$E2E_DIR/single-data" "$CR" create s --arch arm64 --suite "$suite" --quiet 2>&1); rc=$?
expect_eq "create in single mode exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
expect_match "... in single mode" 'single mode' "$out"
out=$(as_user env XDG_DATA_HOME="$E2E_DIR/single-data" "$CR" run s --root -- sh -c 'apt-get update -q >/dev/null && echo updated; dpkg --audit' 2>&1)
expect_eq "apt-get update works in single mode (sandbox user root) and dpkg --audit is clean" updated "$out"

done_testing
