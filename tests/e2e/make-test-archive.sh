#!/bin/bash
# make-test-archive.sh DIR: a tiny Debian archive for arm64, suite "test",
# signed with a key made here: DIR/keyring.gpg verifies it.  Two packages:
# fake-base (Essential, Priority required) holds 1 MiB of random data, so a
# small filesystem fills up; apt (empty) is what the minbase variant adds.
# Neither holds dpkg, so a create gets through the first stage only.
# DIR/resign re-creates Packages.xz, Release and InRelease after a change to
# the pool.
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
cat >"$dir/resign" <<'RESIGN'
#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
export GNUPGHOME=$PWD/gnupg
for pair in pkg:pool/main/f/fake-base_1.0_arm64.deb apt:pool/main/a/apt_1.0_arm64.deb; do
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
