#!/bin/bash
# Debian's suites past the host's: trixie and sid, minbase, for arm64 and
# armhf (merged /usr; trixie's 64-bit time_t library names on armhf). In
# each, apt-get update reads every source without a warning, nothing is left
# to upgrade, dpkg and apt find nothing wrong, and the packages are those
# mmdebstrap installs for the same suite, arch and mirror. bookworm, the
# host's suite, is tested the same way in 20-create.t.
. "$(dirname "$0")/lib.sh"
setup_mapped
run() { as_user "$CR" run "$@"; }

# Valid-Until is checked as the host's apt does (or the setting says): a
# mirror that keeps a snapshot serves a sid past its Valid-Until.
cvu=$(as_user "$CR" config check-valid-until)
made=()
for suite in trixie sid; do
	# The two arches of a suite are created at once (each create's emulated
	# dpkg keeps one core busy; their downloads of one arch: all .deb do not
	# collide), while apt and mmdebstrap check the suite before.
	creates=()
	for arch in arm64 armhf; do
		record "$E2E_DIR/create-$suite-$arch" as_user "$CR" create "$suite-$arch" --arch "$arch" --suite "$suite" --quiet &
		creates+=($!)
	done
	wait "${creates[@]}"
	for arch in arm64 armhf; do
		c=$suite-$arch
		rc=$(cat "$E2E_DIR/create-$c.rc")
		expect_eq "create --suite $suite --arch $arch (minbase) exits 0" 0 "$rc"
		[ "$rc" -eq 0 ] || { diag "$(tail -5 "$E2E_DIR/create-$c")"; continue; }
		made+=("$c")
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
done

done_testing
