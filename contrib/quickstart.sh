#!/bin/bash
# The main job, from a fresh Debian 12 machine: install what crossroot needs,
# build it, give the invoking user a persistent user namespace (root's
# one-time setup), check the host, then, as that user with no privilege:
# build an arm64 program, run it through crossroot's sandboxed binfmt_misc,
# and run it inside an arm64 container (a small Debian busybox rootfs).
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

make build/rootfs/rootfs-arm64.tar
if [ "$user" != root ]; then
	build/crossroot setup --user "$user"
fi

work=$(mktemp -d /tmp/crossroot-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp build/crossroot contrib/examples/hello.c build/rootfs/rootfs-arm64.tar "$work/"
chown -R "$user:" "$work"

# Everything below runs as the user, with no privilege.
runuser -u "$user" -- bash -euo pipefail -c '
	cd "$1"
	echo "== crossroot check"
	./crossroot check
	echo "== building hello for arm64"
	aarch64-linux-gnu-gcc -static -O2 -o hello hello.c
	file hello
	echo "== running it through a sandboxed binfmt_misc"
	./crossroot binfmt exec --arch arm64 -- ./hello
	echo "== running it in an arm64 container"
	./crossroot rm quickstart-arm64 2>/dev/null || true
	./crossroot create quickstart-arm64 --arch arm64 --from-tar rootfs-arm64.tar
	./crossroot run quickstart-arm64 --bind "$PWD:/work" -- /bin/uname -m
	./crossroot run quickstart-arm64 --bind "$PWD:/work" -- /work/hello
	./crossroot list
	./crossroot rm quickstart-arm64
' bash "$work"
