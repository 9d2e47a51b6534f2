#!/bin/bash
# make-rootfs.sh ARCH OUT.tar [sudo]: a small rootfs tarball for the runtime
# tests: Debian's busybox-static for ARCH, taken from the mirror in the
# host's apt sources with a private apt state (the host's apt is not
# touched), plus the test payload.  With "sudo", also Debian's sudo, su
# (util-linux) and PAM with their dependencies, unpacked without maintainer
# scripts, and a sudoers rule letting every user run anything without a
# password.  Files are owned by 0:0 with the packages' modes.
set -euo pipefail
arch=$1 out=$2 extra=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
: "${PAYLOAD_DIR:?}"

# The host's Debian mirror: the first apt source (one-line or deb822 format)
# for the host's own suite (VERSION_CODENAME) with the main component.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=$(
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$suite" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /\]$/ && $2 ~ /^\[/) i++
			if ($(i+1) == suite && / main/) { print $i; exit } }'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] && awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" } {
			uri = ""; ok = 0; main = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split($i, u, " "); uri = u[2] }
				if ($i ~ /^Suites:/) { n = split($i, s, " "); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
				if ($i ~ /^Components:.* main/) main = 1
			}
			if (uri != "" && ok && main) { print uri; exit } }' "$f"
	done | head -n 1
)
[ -n "$mirror" ] && [ -n "$suite" ] || { echo "make-rootfs.sh: no Debian mirror for '$suite' in the host's apt sources" >&2; exit 1; }

work=$(mktemp -d /tmp/crossroot-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/partial" "$work/apt/etc/preferences.d" "$work/root"
touch "$work/apt/status"
echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$work/apt/sources.list"
apt_opts=(-o "Dir::State::Lists=$work/apt/lists" -o "Dir::State::status=$work/apt/status"
	-o "Dir::Cache=$work/apt/cache" -o "Dir::Etc::sourcelist=$work/apt/sources.list"
	-o "Dir::Etc::sourceparts=-" -o "Dir::Etc::preferencesparts=$work/apt/etc/preferences.d"
	-o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=$(id -un)")
apt-get "${apt_opts[@]}" -qq update
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "busybox-static:$arch")
dpkg-deb -x "$work"/busybox-static_*.deb "$work/root"
if [ "$extra" = sudo ]; then
	apt-get "${apt_opts[@]}" -qq -y --no-install-recommends install --download-only \
		sudo util-linux libpam-runtime libpam-modules >/dev/null
	for deb in "$work"/apt/cache/archives/*.deb; do
		dpkg-deb -x "$deb" "$work/root"
	done
fi

r=$work/root
mkdir -p "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/home" "$r/root" "$r/var/tmp" "$r/usr/bin" "$r/tmp"
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"
for applet in sh ash ls cat id echo sleep uname tty stty ps kill touch mkdir rm true false env \
	grep head wc stat readlink mount umount hostname whoami test chown chmod ln sed pwd tr date setsid; do
	[ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$r/etc/group"
if [ "$extra" = sudo ]; then
	printf 'ALL ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$r/etc/sudoers.d/crossroot-tests"
	chmod 0440 "$r/etc/sudoers.d/crossroot-tests"
	printf 'root:*:19000:0:99999:7:::\n' >"$r/etc/shadow"
	chmod 0640 "$r/etc/shadow"
	printf '127.0.0.1 localhost\n' >"$r/etc/hosts"
	# What pam-auth-update (libpam-runtime's postinst, not run here) would write.
	printf 'auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n' >"$r/etc/pam.d/common-auth"
	printf 'account required pam_unix.so\n' >"$r/etc/pam.d/common-account"
	printf 'password required pam_unix.so\n' >"$r/etc/pam.d/common-password"
	printf 'session required pam_unix.so\n' | tee "$r/etc/pam.d/common-session" >"$r/etc/pam.d/common-session-noninteractive"
fi
cp "$PAYLOAD_DIR/payload-$arch" "$r/usr/bin/payload"
# A setuid-root copy: proves that setuid programs work inside (mapped mode, binfmt C flag).
cp "$PAYLOAD_DIR/payload-$arch" "$r/usr/bin/payload-suid"
chmod 4755 "$r/usr/bin/payload-suid"
tar --numeric-owner --owner=0 --group=0 -C "$r" -cf "$out" .
