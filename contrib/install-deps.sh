#!/bin/sh
# Install, with apt-get (as root, on Debian 12 or newer), everything crossroot
# needs to build, run and be tested.  Used by contrib/quickstart.sh and .ci/run.
# The benchmarks under bench/ name the tools they compare with (bubblewrap,
# mmdebstrap with uidmap, debootstrap) when those are missing: crossroot
# itself needs none of them, nor any setuid helper.
set -eu

# Build: compiler and the libraries crossroot links (pkg-config names in Makefile).
build="build-essential pkg-config libmount-dev libcap-ng-dev libseccomp-dev libarchive-dev libcurl4-openssl-dev
nettle-dev libjson-c-dev"
# Run: static QEMU user-mode emulators; gpgv and the archive keyring verify InRelease.
run="qemu-user-static gpgv debian-archive-keyring ca-certificates"
# Test: cross compilers for the static test payload, prove, and the tools the
# end-to-end tests drive (useradd/usermod, runuser/unshare, pkill, file, tmux,
# python3 for the racing second user and for manifest.py (29-ephemeral.t,
# 29-clone.t: every path of a rootfs, before and after), flock (util-linux)
# and mount for the same tests, systemd-analyze for the boot unit, and
# dpkg-architecture, whose multiarch tuples test-arch checks the table's against).
test="gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu gcc-powerpc64le-linux-gnu
gcc-s390x-linux-gnu gcc-i686-linux-gnu libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-riscv64-cross
libc6-dev-ppc64el-cross libc6-dev-s390x-cross libc6-dev-i386-cross perl passwd util-linux procps file tmux bsdutils
clang-format cppcheck curl xz-utils zstd gnupg python3 systemd
pebble openssl qemu-system-x86 busybox-static cpio kmod zsh fish podman runc mmdebstrap dpkg-dev"
# Jobs (tests/e2e/jobs-lib.sh): pebble (with pebble-challtestsrv) is the ACME
# server cert-renew is tested against, openssl makes its listener cert and
# checks what the jobs write, python3 serves the http-01 webroot.  The jobs'
# own packages (certbot, tpm2-tools, swtpm, ...) go into their containers.
# Old kernel (tests/e2e/40-old-kernel.t): qemu-system-x86 boots Debian 12's
# 6.1 kernel under TCG; busybox-static and cpio make its initramfs; kmod
# (modinfo) reads the modules' dependencies.
# OCI images (tests/e2e/28-streams-oci.t): podman loads and runs what export
# writes and saves the images create --from-oci reads; the test runs it as root
# with runc (crun refuses hosts with cgroup v1 and v2 controllers both in use),
# a store of its own (overlay) and no network.
# Shell completion (tests/e2e/25-completion.t): zsh and fish check the syntax
# of contrib/completion/_crossroot and crossroot.fish (bash is always there).
# Package selection (tests/e2e/20-create.t, 32-suites.t): mmdebstrap --simulate
# lists what it installs for the same suite, arch and sources, to compare with.

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it uses apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $build $run $test
