#!/bin/bash
# Debian's suites past the host's: trixie and sid, minbase, for arm64 and
# armhf (merged /usr; trixie's 64-bit time_t library names on armhf). In
# each, apt-get update reads every source without a warning, nothing is left
# to upgrade, dpkg and apt find nothing wrong, and the packages are those
# mmdebstrap installs for the same suite, arch and mirror. bookworm, the
# host's suite, is tested the same way in 20-create.t.
# The host's dpkg installs the packages (create's default: only maintainer
# scripts run emulated); trixie arm64 is made the slow way too (--dpkg
# emulated: the rootfs's own dpkg, all emulated) and the two rootfs must be
# the same, path by path: type, mode, owner, size, contents, link target.
. "$(dirname "$0")/lib.sh"
setup_mapped
run() { as_user "$CR" run "$@"; }

# Valid-Until is checked as the host's apt does (or the setting says): a
# mirror that keeps a snapshot serves a sid past its Valid-Until.
cvu=$(as_user "$CR" config check-valid-until)
made=()
containers=$TEST_HOME/.local/share/crossroot/containers
# manifest NAME: its rootfs path by path (manifest.py --bootstrap), but for
# what two bootstraps cannot share: /etc/hosts (it names the container),
# the logs and ldconfig's aux-cache (they hold times), and the emulated
# way's mount point of the .debs (/var/cache/crossroot-debs, empty).
differs='^(etc/hosts|var/log/dpkg\.log|var/log/alternatives\.log|var/cache/ldconfig/aux-cache|var/cache/crossroot-debs) '
manifest() { python3 "$TESTS_DIR/e2e/manifest.py" --bootstrap "$containers/$1/rootfs" | grep -Ev "$differs"; }
for suite in trixie sid; do
	# The two arches of a suite are created at once (each create's emulated
	# dpkg keeps one core busy; their downloads of one arch: all .deb do not
	# collide), while apt and mmdebstrap check the suite before.
	creates=()
	for arch in arm64 armhf; do
		record "$E2E_DIR/create-$suite-$arch" as_user "$CR" create "$suite-$arch" --arch "$arch" --suite "$suite" --quiet &
		creates+=($!)
	done
	# The slow way beside sid's (its .debs are in the cache by now).
	if [ "$suite" = sid ]; then
		record "$E2E_DIR/create-emulated" as_user "$CR" create trixie-arm64-emulated --arch arm64 --suite trixie \
			--dpkg emulated --quiet &
		creates+=($!)
	fi
	wait "${creates[@]}"
	for arch in arm64 armhf; do
		c=$suite-$arch
		rc=$(cat "$E2E_DIR/create-$c.rc")
		expect_eq "create --suite $suite --arch $arch (minbase) exits 0" 0 "$rc"
		[ "$rc" -eq 0 ] || { diag "$(tail -5 "$E2E_DIR/create-$c")"; continue; }
		made+=("$c")
		# As created: any run adds your passwd entry, apt's lists and caches.
		[ "$c" != trixie-arm64 ] || host_made=$(manifest trixie-arm64)
		(apt_checks_start "$c" "$E2E_DIR/out-$c"
			mmdebstrap_start "$c" "$suite" "$arch" minbase "$E2E_DIR/out-$c") &
		expect_eq "... /bin is a symlink to usr/bin (merged /usr)" "usr/bin" "$(run "$c" -- readlink /bin)"
		expect_eq "... /sbin and /lib too" "usr/sbin usr/lib" "$(run "$c" -- readlink /sbin /lib | paste -sd' ')"
		expect_eq "... dpkg --audit prints nothing" "" "$(run "$c" -- dpkg --audit 2>&1)"
		expect_eq "... its apt sources check Valid-Until as crossroot did (check-valid-until $cvu)" "$cvu" \
			"$(run "$c" -- grep -q '^Check-Valid-Until: no$' /etc/apt/sources.list.d/debian.sources && echo no || echo yes)"
		if [ "$arch" = armhf ]; then
			expect_match "... its libraries are those of the 64-bit time_t ABI (libssl3t64)" \
				'^install ok installed$' "$(run "$c" -- dpkg-query -W -f '${Status}\n' libssl3t64 2>&1)"
		fi
	done
done
wait

for c in "${made[@]}"; do
	apt_checks "$c" "${c%-*}" "$E2E_DIR/out-$c"
	compare_with_mmdebstrap "$c" minbase "$E2E_DIR/out-$c"
	expect_eq "$c: dpkg --verify finds every file as its package has it" "" "$(run "$c" -- dpkg --verify 2>&1)"
done

# The host's dpkg against the rootfs's own, all emulated (manifest above).
rc=$(cat "$E2E_DIR/create-emulated.rc")
expect_eq "create --dpkg emulated (trixie arm64) exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(tail -5 "$E2E_DIR/create-emulated")"
emulated=$(manifest trixie-arm64-emulated)
expect_eq "trixie arm64 by the host's dpkg has $(wc -l <<<"$host_made") paths, as by the emulated dpkg" \
	"$(wc -l <<<"$emulated")" "$(wc -l <<<"$host_made")"
if [ "$host_made" = "$emulated" ]; then
	ok "... and every path is the same: type, mode, owner, size, contents, link target"
else
	not_ok "... and every path is the same: type, mode, owner, size, contents, link target"
	diag "$(diff <(echo "$emulated") <(echo "$host_made") | head -20)"
fi
# dpkg.log: the packages became "installed" (configured) in the same order.
configured() { sed -n 's/^[^ ]* [^ ]* status installed //p' "$containers/$1/rootfs/var/log/dpkg.log"; }
expect_match "... dpkg.log says dpkg was configured" "^dpkg:arm64 " "$(configured trixie-arm64)"
expect_eq "... and the packages were configured in the order the emulated dpkg configured them" \
	"$(configured trixie-arm64-emulated)" "$(configured trixie-arm64)"

done_testing
