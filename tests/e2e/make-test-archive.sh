#!/bin/bash
# make-test-archive.sh DIR: a tiny Debian archive for arm64, suite "test",
# signed with a key made here: DIR/keyring.gpg verifies it.  Three packages:
# fake-base (Essential, Priority required) holds 1 MiB of random data, so a
# small filesystem fills up; apt (empty) is what the minbase variant adds;
# fake-shell (optional, only with --include) holds a /bin/sh that is an ELF
# program for ia64, a machine no QEMU emulates, so the kernel refuses to
# execute it (ENOEXEC) as it would an arm64 one without its emulator;
# failing-shell (optional too) holds a /bin/sh that is the arm64 test
# payload ($PAYLOAD_DIR), which runs but is no shell, so the script fails.
# None holds dpkg, so a create gets through the first stage only.
# DIR/resign re-creates Packages.xz, Release and InRelease after a change to
# the pool; Release is dated now, or RELEASE_DATE (a date(1) -d string such
# as "now + 1 day"), and has a Valid-Until when VALID_UNTIL is set ("now -
# 1 hour" makes a stale release).
set -euo pipefail
dir=$1
mkdir -p "$dir/gnupg" "$dir/pool/main/f" "$dir/dists/test/main/binary-arm64" "$dir/pkg/DEBIAN" "$dir/pkg/usr/share/fake"
chmod 700 "$dir/gnupg"
export GNUPGHOME=$dir/gnupg
gpg --batch --quiet --passphrase '' --quick-gen-key "crossroot test archive <test@example.invalid>" ed25519 sign never
gpg --batch --quiet --export >"$dir/keyring.gpg"
head -c 1048576 /dev/urandom >"$dir/pkg/usr/share/fake/data"
cat >"$dir/pkg/DEBIAN/control" <<CONTROL
Package: fake-base
Version: 1.0
Architecture: arm64
Essential: yes
Priority: required
Maintainer: crossroot tests <test@example.invalid>
Description: a package of the crossroot test archive
CONTROL
dpkg-deb --build -Zxz "$dir/pkg" "$dir/pool/main/f/fake-base_1.0_arm64.deb" >/dev/null
mkdir -p "$dir/apt/DEBIAN" "$dir/pool/main/a"
printf 'Package: apt\nVersion: 1.0\nArchitecture: arm64\nPriority: important\nMaintainer: crossroot tests <test@example.invalid>\nDescription: stand-in\n' >"$dir/apt/DEBIAN/control"
dpkg-deb --build "$dir/apt" "$dir/pool/main/a/apt_1.0_arm64.deb" >/dev/null
mkdir -p "$dir/shell/DEBIAN" "$dir/shell/bin"
printf 'Package: fake-shell\nVersion: 1.0\nArchitecture: arm64\nPriority: optional\nMaintainer: crossroot tests <test@example.invalid>\nDescription: a shell of another machine\n' >"$dir/shell/DEBIAN/control"
# An ELF64 little-endian executable header, e_machine 50 (EM_IA_64).
python3 -c 'import struct, sys; sys.stdout.buffer.write(b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 50, 1, 0x4000, 64, 0, 0, 64, 56, 0, 64, 0, 0))' >"$dir/shell/bin/sh"
chmod 0755 "$dir/shell/bin/sh"
dpkg-deb --build "$dir/shell" "$dir/pool/main/f/fake-shell_1.0_arm64.deb" >/dev/null
mkdir -p "$dir/failing/DEBIAN" "$dir/failing/bin"
sed 's/^Package: fake-shell$/Package: failing-shell/; s/^Description: .*/Description: a shell that fails/' \
	"$dir/shell/DEBIAN/control" >"$dir/failing/DEBIAN/control"
install -m 0755 "${PAYLOAD_DIR:?}/payload-arm64" "$dir/failing/bin/sh"
dpkg-deb --build "$dir/failing" "$dir/pool/main/f/failing-shell_1.0_arm64.deb" >/dev/null
cat >"$dir/resign" <<'RESIGN'
#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
export GNUPGHOME=$PWD/gnupg
for pair in pkg:pool/main/f/fake-base_1.0_arm64.deb apt:pool/main/a/apt_1.0_arm64.deb \
	shell:pool/main/f/fake-shell_1.0_arm64.deb failing:pool/main/f/failing-shell_1.0_arm64.deb; do
	control=${pair%%:*}/DEBIAN/control deb=${pair#*:}
	grep -v '^Maintainer\|^Description' "$control"
	echo "Filename: $deb"
	echo "Size: $(stat -c %s "$deb")"
	echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
	echo
done >dists/test/main/binary-arm64/Packages
xz -kf dists/test/main/binary-arm64/Packages
p=main/binary-arm64/Packages.xz
{
	echo "Origin: crossroot tests"
	echo "Suite: test"
	echo "Codename: test"
	LC_ALL=C date -u -d "${RELEASE_DATE:-now}" '+Date: %a, %d %b %Y %H:%M:%S UTC'
	[ -z "${VALID_UNTIL:-}" ] || LC_ALL=C date -u -d "$VALID_UNTIL" '+Valid-Until: %a, %d %b %Y %H:%M:%S UTC'
	echo "Architectures: arm64"
	echo "Components: main"
	echo "SHA256:"
	echo " $(sha256sum "dists/test/$p" | cut -d' ' -f1) $(stat -c %s "dists/test/$p") $p"
} >dists/test/Release
rm -f dists/test/InRelease
gpg --batch --quiet --clearsign -o dists/test/InRelease dists/test/Release
RESIGN
chmod +x "$dir/resign"
"$dir/resign"
# DIR/make-updates makes dists/test-updates, signed the same way, with
# fake-base 1.1 (pool/main/f/fake-base_1.1_arm64.deb): a newer version
# beside the release's, as Debian's SUITE-updates has.
cat >"$dir/make-updates" <<'UPDATES'
#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
export GNUPGHOME=$PWD/gnupg
rm -rf pkg11 && cp -a pkg pkg11
sed -i 's/^Version: 1.0$/Version: 1.1/' pkg11/DEBIAN/control
dpkg-deb --build -Zxz pkg11 pool/main/f/fake-base_1.1_arm64.deb >/dev/null
mkdir -p dists/test-updates/main/binary-arm64
deb=pool/main/f/fake-base_1.1_arm64.deb
{
	grep -v '^Maintainer\|^Description' pkg11/DEBIAN/control
	echo "Filename: $deb"
	echo "Size: $(stat -c %s "$deb")"
	echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
	echo
} >dists/test-updates/main/binary-arm64/Packages
xz -kf dists/test-updates/main/binary-arm64/Packages
p=main/binary-arm64/Packages.xz
{
	echo "Suite: test-updates"
	echo "Codename: test-updates"
	LC_ALL=C date -u '+Date: %a, %d %b %Y %H:%M:%S UTC'
	echo "Architectures: arm64"
	echo "Components: main"
	echo "SHA256:"
	echo " $(sha256sum "dists/test-updates/$p" | cut -d' ' -f1) $(stat -c %s "dists/test-updates/$p") $p"
} >dists/test-updates/Release
rm -f dists/test-updates/InRelease
gpg --batch --quiet --clearsign -o dists/test-updates/InRelease dists/test-updates/Release
UPDATES
chmod +x "$dir/make-updates"
