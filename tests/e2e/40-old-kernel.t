#!/bin/bash
# A real old kernel: Debian 12's own 6.1 kernel, booted under
# qemu-system-x86_64 (TCG, no KVM needed), with this host's root shared
# read-only over 9p and a tmpfs overlay on top.  6.1 has no sandboxed
# binfmt_misc (6.7), so binfmt mode auto must fall back to the host-wide
# entries root's `crossroot setup` registers there, and the test user must
# still be able to create, run, start and stop an arm64 container.  The
# guest writes each result into a second, writable 9p share; the assertions
# are made here.  Nothing in the guest reaches the host's /etc, /home or
# binfmt_misc: the guest's writes land in its overlay.
#
# The kernel package is fetched with `apt-get download` from the host's own
# apt sources and cached (kernel and the needed modules only) under
# $XDG_CACHE_HOME/crossroot-e2e, else next to the binary under test (the
# build directory), so a rerun downloads nothing.
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "booting a VM with the host's root is root's: run the tests as root"
for tool in qemu-system-x86_64 cpio apt-get apt-cache dpkg-deb modinfo timeout file; do
	command -v "$tool" >/dev/null || prereq_fail "$tool is not installed (contrib/install-deps.sh)"
done
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	prereq_fail "no static /bin/busybox for the initramfs (apt-get install busybox-static)"

# CROSSROOT_VM_TIMEOUT bounds the VM (seconds); CROSSROOT_VM_LOG keeps its console.
VM_TIMEOUT=${CROSSROOT_VM_TIMEOUT:-600}
VM=$E2E_DIR/vm
OUT=$VM/out
mkdir -p "$VM/initramfs" "$OUT"
qemu_pid=
cleanup_vm() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM "$qemu_pid" 2>/dev/null # timeout(1) passes it on to qemu
		wait "$qemu_pid" 2>/dev/null
	fi
	_e2e_cleanup
}
trap cleanup_vm EXIT

# --- The kernel: Debian 12's linux-image-6.1.0-N-amd64, cached. -------------
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
CACHE=${XDG_CACHE_HOME:+$XDG_CACHE_HOME/crossroot-e2e}
CACHE=${CACHE:-$(dirname "$CROSSROOT")/old-kernel}
if [ -z "$pkg" ]; then
	# No usable apt lists (offline?): a kernel cached by an earlier run will do.
	pkg=$(ls -d "$CACHE"/linux-image-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1)
	pkg=${pkg##*/}
	[ -n "$pkg" ] || prereq_fail "the host's apt sources offer no Debian 12 6.1 kernel (linux-image-amd64 -> linux-image-6.1.0-N-amd64)"
fi
KDIR=$CACHE/$pkg
if [ ! -f "$KDIR/load-order" ]; then
	dl=$(mkdir -p "$CACHE" && mktemp -d "$CACHE/.download.XXXXXX") || prereq_fail "cannot create a download directory in $CACHE"
	(cd "$dl" && apt-get -qq -o APT::Sandbox::User=root download "$pkg") >"$dl/apt.log" 2>&1 ||
		{ diag "$(cat "$dl/apt.log")"; rm -rf "$dl"; prereq_fail "apt-get download $pkg"; }
	dpkg-deb -x "$dl"/"$pkg"_*.deb "$dl/x" || { rm -rf "$dl"; prereq_fail "dpkg-deb -x $pkg"; }
	kver=${pkg#linux-image-}
	mods=$dl/x/lib/modules/$kver
	mkdir -p "$dl/k/modules"
	cp "$dl/x/boot/vmlinuz-$kver" "$dl/k/vmlinuz"
	# What the guest needs: virtio PCI, 9p over virtio, overlayfs and
	# binfmt_misc, each after what it depends on (modinfo's depends); a
	# module built into Debian's kernel is skipped, a compressed one
	# decompressed here (busybox insmod takes plain .ko files).
	declare -A seen=()
	order=()
	add_module() {
		local m=$1 f d
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		f=$(find "$mods/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n 1)
		if [ -z "$f" ]; then
			grep -q "/$m\.ko\$" "$mods/modules.builtin" && return 0
			echo "module $m: neither a module nor built in" >&2
			return 1
		fi
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_module "$d" || return 1; done
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -qdc "$f" ;;
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac >"$dl/k/modules/$m.ko" || return 1
		order+=("$m")
	}
	for m in virtio_pci 9pnet_virtio 9p overlay binfmt_misc; do
		add_module "$m" 2>"$dl/mod.err" || { diag "$(cat "$dl/mod.err")"; rm -rf "$dl"; prereq_fail "the modules of $pkg"; }
	done
	printf '%s\n' "${order[@]}" >"$dl/k/load-order"
	echo "$kver" >"$dl/k/kernel-release"
	rm -rf "$KDIR"
	mv "$dl/k" "$KDIR" || prereq_fail "caching $pkg in $KDIR"
	rm -rf "$dl"
	diag "fetched $pkg; kernel and modules cached in $KDIR"
else
	diag "$pkg from the cache in $KDIR"
fi
KVER=$(cat "$KDIR/kernel-release")

# --- The guest's programs. ----------------------------------------------------
# Stage 2, on the host's root (overlaid): runs as the guest's PID 1 after
# switch_root, records each step in $OUT, then powers the VM off.  Each
# result is NAME.rc and NAME.out; a line RESULT NAME RC also goes to the
# console for the log.
cat >"$VM/guest.sh" <<'EOF'
#!/bin/bash
CR=$1 TEST_USER=$2 TEST_HOME=$3 ROOTFS=$4 OUT=$5
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
cut -d' ' -f1 /proc/uptime >"$OUT/boot-seconds.out"
# What the host's own /run, /dev/shm, /dev/pts and binfmt_misc would be
# after a boot (through 9p the host's own would show).
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
cd "$TEST_HOME" || exit 1
# As lib.sh's as_user, but a command (timeout runs it).
as_user=(runuser -u "$TEST_USER" -- env -i HOME="$TEST_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER"
	PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c 'exec "$@"' bash)
result() {
	local name=$1 rc t0 t1
	shift
	read -r t0 _ </proc/uptime
	timeout -k 5 240 "$@" >"$OUT/$name.out" 2>&1 </dev/null
	rc=$?
	read -r t1 _ </proc/uptime
	echo "$rc" >"$OUT/$name.rc"
	echo "RESULT $name $rc ($(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s) $(head -c 300 "$OUT/$name.out" | tr '\n' '|')" >/dev/console
}
result uname uname -r
result setup "$CR" setup --user "$TEST_USER"
result binfmt-entries sh -c 'cd /proc/sys/fs/binfmt_misc && for e in crossroot-*; do echo "== $e"; cat "$e"; done'
result check "${as_user[@]}" "$CR" check
cut -d' ' -f1 /proc/uptime >"$OUT/run-start.out"
result create "${as_user[@]}" "$CR" create box --arch arm64 --from-tar "$ROOTFS/rootfs-arm64.tar"
result run "${as_user[@]}" "$CR" run box -- /usr/bin/payload uname-m
result run-sh "${as_user[@]}" "$CR" run box -- /bin/sh -c 'echo $(uname -m) $(id -u)'
# The entry's interpreter is bound read-only at its path; no sandboxed
# instance is mounted (6.1 has none); root inside cannot replace the emulator.
emu=$(sed -n 's/^interpreter //p' /proc/sys/fs/binfmt_misc/crossroot-aarch64)
result inside "${as_user[@]}" "$CR" run box -- /bin/sh -c \
	"grep -c ' $emu ' /proc/self/mountinfo; ls /proc/sys/fs/binfmt_misc 2>/dev/null | grep -c crossroot"
sha256sum <"$emu" >"$OUT/emu-before.out"
result replace-emu "${as_user[@]}" "$CR" run box --root -- /bin/sh -c "echo replaced >$emu"
sha256sum <"$emu" >"$OUT/emu-after.out"
if [ -f "$ROOTFS/rootfs-amd64.tar" ]; then
	result create-amd64 "${as_user[@]}" "$CR" create native --arch amd64 --from-tar "$ROOTFS/rootfs-amd64.tar"
	result run-amd64 "${as_user[@]}" "$CR" run native -- /usr/bin/payload uname-m
fi
# 32-bit x86: this kernel runs it natively (Debian's IA32 emulation), so
# crossroot takes it for native and gives it the 32-bit personality.
if [ -f "$ROOTFS/rootfs-i386.tar" ]; then
	result direct-i386 "${ROOTFS%/rootfs}/payload/payload-i386" uname-m
	result create-i386 "${as_user[@]}" "$CR" create x86 --arch i386 --from-tar "$ROOTFS/rootfs-i386.tar"
	result run-i386 "${as_user[@]}" "$CR" run x86 -- /bin/uname -m
fi
result start "${as_user[@]}" "$CR" start box
result run-started "${as_user[@]}" "$CR" run box -- /usr/bin/payload uname-m
result stop "${as_user[@]}" "$CR" stop box
result run-stopped "${as_user[@]}" "$CR" run box -- /usr/bin/payload uname-m
cut -d' ' -f1 /proc/uptime >"$OUT/run-end.out"
echo done >"$OUT/done"
sync
echo o >/proc/sysrq-trigger
sleep 30
EOF
chmod 0755 "$VM/guest.sh"

# Stage 1, the initramfs: load the modules, mount the host's root (9p,
# read-only) under a tmpfs overlay, the writable result share on top, then
# switch_root (a chrooted caller could not create user namespaces).
ir=$VM/initramfs
mkdir -p "$ir"/{bin,dev,proc,sys,lower,rw,newroot,lib/modules}
cp /bin/busybox "$ir/bin/busybox"
cp "$KDIR"/modules/*.ko "$ir/lib/modules/"
cp "$KDIR/load-order" "$ir/load-order"
mknod -m 0600 "$ir/dev/console" c 5 1
cat >"$ir/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
fail() { echo "INITFAIL \$*"; echo o >/proc/sysrq-trigger; sleep 30; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in \$(cat /load-order); do insmod /lib/modules/\$m.ko || fail "insmod \$m"; done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /lower || fail "mount the host's root"
mount -t tmpfs -o mode=0755 rw /rw && mkdir /rw/upper /rw/work || fail "tmpfs for the overlay"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay on the host's root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /newroot$OUT || fail "mount the result share"
echo "INIT switch_root after \$(cut -d' ' -f1 /proc/uptime) s"
for d in proc sys dev; do mount --move /\$d /newroot/\$d || fail "move /\$d"; done
exec switch_root /newroot /bin/bash $VM/guest.sh $CR $TEST_USER $TEST_HOME $E2E_DIR/rootfs $OUT
fail "switch_root"
EOF
chmod 0755 "$ir/init"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM/initramfs.gz" || prereq_fail "building the initramfs"

# --- Boot. ------------------------------------------------------------------
t0=$(date +%s.%N)
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 1G \
	-nographic -monitor none -no-reboot -nic none \
	-kernel "$KDIR/vmlinuz" -initrd "$VM/initramfs.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$OUT",mount_tag=results,security_model=none \
	</dev/null >"$VM/console.log" 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=
t1=$(date +%s.%N)
[ -n "${CROSSROOT_VM_LOG:-}" ] && cp "$VM/console.log" "$CROSSROOT_VM_LOG"

r() { cat "$OUT/$1.${2:-out}" 2>/dev/null; }
rc() { cat "$OUT/$1.rc" 2>/dev/null || echo "(not run)"; }
if [ ! -f "$OUT/done" ]; then
	not_ok "the VM ran the guest script to the end (qemu exit $qemu_rc after $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }") s)"
	diag "console (last 40 lines):" "$(tail -n 40 "$VM/console.log" | tr -d '\r')"
else
	ok "the VM ran the guest script to the end"
fi
diag "$(awk -v t0="$t0" -v t1="$t1" -v b="$(r boot-seconds)" -v s="$(r run-start)" -v e="$(r run-end)" \
	'BEGIN { printf "guest %s: boot to the test %.1f s, setup+check %.1f s, create..stop %.1f s, all (qemu wall) %.1f s", "'"$KVER"'", b, s - b, e - s, t1 - t0 }')"
grep '^RESULT ' "$VM/console.log" | tr -d '\r' | sed 's/^/guest: /' | while IFS= read -r l; do diag "$l"; done

expect_eq "the guest runs Debian 12's kernel ($pkg)" "0 $KVER" "$(rc uname) $(r uname)"
expect_match "... a 6.1 kernel" '^6\.1\.' "$(r uname)"
expect_eq "root's crossroot setup --user succeeds on 6.1" 0 "$(rc setup)"
expect_match "... registering host-wide entries, since 6.1 has no sandboxed binfmt_misc" \
	'^arm64 +registered crossroot-aarch64' "$(r setup)"
expect_match "... with the F flag" '^flags: .*F' "$(r binfmt-entries)"
diag "check as $TEST_USER in the guest:" "$(r check)"
expect_eq "crossroot check as the user exits 0" 0 "$(rc check)"
expect_match "... says sandboxed binfmt_misc is unavailable" '^[a-z-]+ +sandboxed binfmt_misc: not supported' "$(r check)"
expect_match "... and that auto uses root's host-wide entries" '^ok +binfmt mode: auto .*host-wide entries' "$(r check)"
expect_match "... and that the user can work" '^result: .* can work' "$(r check)"
expect_eq "the user creates an arm64 container from the test rootfs" 0 "$(rc create)"
[ "$(rc create)" = 0 ] || diag "$(r create)"
expect_eq "an arm64 program runs in it through root's host-wide entry" "0 aarch64" "$(rc run) $(r run)"
expect_eq "... and the rootfs's busybox sh, as the user's own uid" "0 aarch64 $TEST_UID" "$(rc run-sh) $(r run-sh)"
expect_eq "... with the entry's interpreter bound at its path, and no sandboxed instance" "1 0" "$(r inside | tr '\n' ' ' | sed 's/ $//')"
check "... read-only: root inside cannot replace it (exit $(rc replace-emu))" test -f "$OUT/replace-emu.rc" -a "$(rc replace-emu)" != 0
check "... and the emulator is unchanged" test -s "$OUT/emu-before.out" -a "$(r emu-before)" = "$(r emu-after)"
if [ -f "$OUT/run-amd64.rc" ]; then
	expect_eq "a native amd64 container runs too" "0 x86_64" "$(rc run-amd64) $(r run-amd64)"
else
	not_ok "an amd64 test rootfs in $ROOTFS_DIR (make check-e2e builds it)"
fi
if [ -f "$OUT/run-i386.rc" ]; then
	expect_eq "this kernel runs i386 programs itself (uname -m x86_64 without a 32-bit personality)" \
		"0 x86_64" "$(rc direct-i386) $(r direct-i386)"
	expect_match "... so check takes i386 for native" '^ok +emulator i386: not needed: runs natively' "$(r check)"
	expect_eq "... and an i386 container says i686 (the 32-bit personality)" "0 i686" "$(rc run-i386) $(r run-i386)"
else
	not_ok "an i386 test rootfs in $ROOTFS_DIR (make check-e2e builds it)"
fi
expect_eq "crossroot start box" "0" "$(rc start)"
[ "$(rc start)" = 0 ] || diag "$(r start)"
expect_eq "run in the started container" "0 aarch64" "$(rc run-started) $(r run-started)"
expect_eq "crossroot stop box" "0" "$(rc stop)"
[ "$(rc stop)" = 0 ] || diag "$(r stop)"
expect_eq "run after stop still works" "0 aarch64" "$(rc run-stopped) $(r run-stopped)"

done_testing
