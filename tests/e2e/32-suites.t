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

made=()
for suite in trixie sid; do
	for arch in arm64 armhf; do
		c=$suite-$arch
		err=$(as_user "$CR" create "$c" --arch "$arch" --suite "$suite" --quiet 2>&1); rc=$?
		expect_eq "create --suite $suite --arch $arch (minbase) exits 0" 0 "$rc"
		[ "$rc" -eq 0 ] || { diag "$err"; continue; }
		made+=("$c")
		# apt and mmdebstrap work on this one while the next is created (the
		# emulated dpkg of a create keeps one core busy, and creates run one
		# at a time: the cache has no two downloads of one .deb at once).
		(apt_checks_start "$c" "$E2E_DIR/out-$c"
			mmdebstrap_start "$c" "$suite" "$arch" minbase "$E2E_DIR/out-$c") &
		expect_eq "... /bin is a symlink to usr/bin (merged /usr)" "usr/bin" "$(run "$c" -- readlink /bin)"
		expect_eq "... /sbin and /lib too" "usr/sbin usr/lib" "$(run "$c" -- readlink /sbin /lib | paste -sd' ')"
		expect_eq "... dpkg --audit prints nothing" "" "$(run "$c" -- dpkg --audit 2>&1)"
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
