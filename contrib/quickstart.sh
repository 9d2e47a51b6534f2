#!/bin/bash
# The main job, from a fresh Debian 12 machine: install what crossroot needs,
# build it, give the invoking user a persistent user namespace (root's
# one-time setup), check the host, then, as that user with no privilege:
# bootstrap an arm64 Debian container with build-essential, compile a C
# program inside it, run it, and show `uname -m` inside and `file` of the
# result.
#
#   sudo contrib/quickstart.sh          (the job runs as the user who called sudo)
#   contrib/quickstart.sh --user NAME   (as root, without sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

user=${SUDO_USER:-root}
if [ "${1:-}" = "--user" ] && [ -n "${2:-}" ]; then
	user=$2
elif [ $# -gt 0 ]; then
	echo "usage: quickstart.sh [--user NAME]" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart.sh: run it as root (sudo contrib/quickstart.sh): it installs packages first" >&2
	exit 1
fi
if ! id "$user" >/dev/null 2>&1; then
	echo "quickstart.sh: no user '$user'" >&2
	exit 2
fi

contrib/install-deps.sh
# Build as the user when the tree is theirs, so that their later 'make check' can write build/.
if runuser -u "$user" -- test -w . 2>/dev/null; then
	runuser -u "$user" -- make -j"$(nproc)"
else
	make -j"$(nproc)"
fi

# Installed where every user finds it (/usr/local/bin, man page, the boot-time setup unit).
make install >/dev/null
if [ "$user" != root ]; then
	crossroot setup --user "$user"
fi
# The pins live in /run: with systemd, the unit makes them again at every boot.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload && systemctl enable crossroot-setup.service
else
	echo "No systemd here: after a reboot, run 'crossroot setup --all' as root before anyone uses crossroot."
fi

work=$(mktemp -d /tmp/crossroot-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp contrib/examples/hello.c "$work/"
chown -R "$user:" "$work"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

# Everything below runs as the user, with no privilege.
runuser -u "$user" -- bash -euo pipefail -c '
	cd "$1"
	cr=crossroot
	echo "== crossroot check"
	"$cr" check
	echo "== creating an arm64 $2 container with build-essential"
	"$cr" rm quickstart-arm64 2>/dev/null || true
	"$cr" create quickstart-arm64 --arch arm64 --suite "$2" --variant buildd
	echo "== uname -m inside"
	"$cr" run quickstart-arm64 -- uname -m
	echo "== compiling and running hello.c inside"
	"$cr" run quickstart-arm64 --bind "$PWD:/work" --cwd /work -- gcc -O2 -o hello hello.c
	"$cr" run quickstart-arm64 --bind "$PWD:/work" --cwd /work -- ./hello
	echo "== the result, seen from the host"
	file hello
	"$cr" list --size
' bash "$work" "$suite"
echo "The container stays: 'crossroot enter quickstart-arm64' as $user opens a shell in it."
