#!/bin/bash
# The main job, from a fresh Debian 12 machine: install what crossroot needs,
# build it, check the host, and run an arm64 program built here through
# crossroot's sandboxed binfmt_misc, as the invoking user (no root).
#
#   sudo contrib/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart.sh: run it with sudo: it installs packages first" >&2
	exit 1
fi
user=${SUDO_USER:-root}

contrib/install-deps.sh
make -j"$(nproc)"

work=$(mktemp -d /tmp/crossroot-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp build/crossroot contrib/examples/hello.c "$work/"
chown -R "$user:" "$work"

# Everything below runs as the user, with no privilege.
runuser -u "$user" -- bash -euo pipefail -c '
	cd "$1"
	echo "== crossroot check"
	./crossroot check
	echo "== building hello for arm64"
	aarch64-linux-gnu-gcc -static -O2 -o hello hello.c
	file hello
	echo "== running it"
	./crossroot binfmt exec --arch arm64 -- ./hello
' bash "$work"
