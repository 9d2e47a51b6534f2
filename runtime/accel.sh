# SPDX-License-Identifier: LGPL-2.1-or-later
# crossroot accel: run by `crossroot accel` (runtime/accel.c) as root inside
# the container, with the container's own tools (dpkg, apt, dpkg-divert):
#     sh -c SCRIPT accel enable|disable ARCH TRIPLET
# ARCH is the container's Debian arch, TRIPLET its GNU triplet.
#
# enable: Debian's amd64-hosted cross toolchain for ARCH (gcc, g++, cpp and
# binutils, of the versions the container's native ones are built from) is
# repacked into one local package, crossroot-accel (Architecture: amd64; its
# libraries come from the archive through multiarch).  The package diverts
# the native /usr/bin/TRIPLET-* programs to NAME.crossroot-native and its
# postinst points /usr/bin/TRIPLET-NAME at the cross program while the native
# package has the version the cross one was built from, at the native
# program otherwise; a dpkg file trigger on the native compilers' and
# binutils' directories runs that choice again after every upgrade.  The
# cross gcc's library directory is the native one, so every header, startup
# file and library it uses is the container's own.
# disable: purge crossroot-accel, the amd64 packages enable installed, and
# the amd64 architecture if enable added it.
#
# Exit status: 0 done, 3 refused (the reason on stderr), else failed.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
action=$1 arch=$2 triplet=$3
lib=/usr/lib/crossroot-accel
state=/var/lib/crossroot-accel
work=/var/cache/crossroot-accel
# What enable added, kept outside the package's files (disable reads them after the purge).
added=/var/lib/crossroot/accel-added

say() { echo "accel: $*" >&2; }
refuse() {
	echo "crossroot: accel: $*" >&2
	exit 3
}
apt_q() { apt-get -q -o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root "$@"; }
installed() { [ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]; }
# Known to dpkg in any state (a failed install leaves one half-configured).
known() {
	case "$(dpkg-query -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null)" in
	"" | u* | p*) return 1 ;;
	esac
}
version_of() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || true; }
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^  Candidate: //p'; }
amd64_installed() { dpkg-query -W -f '${db:Status-Abbrev}${binary:Package}\n' '*:amd64' 2>/dev/null | sed -n 's/^ii //p' | sort; }
# The package holding path (dpkg -S names diversions first).
owner() { dpkg-query -S "$1" 2>/dev/null | grep -v '^diversion by ' | sed -n 's/^\([^:,]*\)[:,].*/\1/p' | head -n 1; }

# The amd64 architecture goes again if enable added it and nothing of it is left.
drop_amd64() {
	[ -e "$added/arch" ] && [ -z "$(dpkg-query -W -f '${binary:Package}\n' '*:amd64' 2>/dev/null)" ] || return 0
	dpkg --remove-architecture amd64
	rm -f /var/lib/apt/lists/*_binary-amd64_Packages* "$added/arch"
}

disable() {
	if ! known crossroot-accel:amd64 && [ ! -d "$added" ]; then
		say "not enabled: nothing to do"
		return 0
	fi
	if known crossroot-accel:amd64; then
		say "removing crossroot-accel"
		dpkg --purge crossroot-accel:amd64 >&2
	fi
	# The amd64 libraries enable installed and apt still marks automatically
	# installed (one the user installed since is manual).  dpkg removes none
	# that another package needs; libc6 and libgcc-s1 are protected, even of
	# a foreign arch, hence the forces.
	if [ -s "$added/packages" ]; then
		apt-mark showauto | grep ':amd64$' | sort | comm -12 "$added/packages" - >"$added/purge" || true
		if [ -s "$added/purge" ]; then
			say "removing the amd64 libraries it needed: $(paste -sd' ' "$added/purge")"
			# shellcheck disable=SC2046
			dpkg --purge --force-remove-essential --force-remove-protected $(cat "$added/purge") >&2 ||
				say "some are needed by other packages: kept"
		fi
	fi
	rm -f "$added/purge"
	rm -f "$added/packages"
	drop_amd64
	# Kept for the amd64 packages of the user's own.
	rm -f "$added/arch"
	rmdir "$added" "${added%/*}" 2>/dev/null || true
	rm -rf "$work"
}

enable() {
	[ "$arch" != amd64 ] || refuse "the container is amd64: its compilers run natively already"
	gcc=$(readlink -f /usr/bin/gcc 2>/dev/null || true)
	case "$gcc" in
	/usr/bin/"$triplet"-gcc-[0-9]*.crossroot-accel) gcc=${gcc%.crossroot-accel} ;;
	/usr/bin/"$triplet"-gcc-[0-9]*.crossroot-native) gcc=${gcc%.crossroot-native} ;;
	/usr/bin/"$triplet"-gcc-[0-9]*) ;;
	*) refuse "the container has no gcc for $arch: install build-essential in it (crossroot run NAME --root -- apt-get install build-essential), or create it with --variant buildd" ;;
	esac
	major=${gcc##*-}
	gcc_pkg=$(owner "$gcc")
	cpp_pkg=$(owner "/usr/bin/$triplet-cpp-$major")
	bin_pkg=$(owner "/usr/bin/$triplet-as")
	[ -n "$gcc_pkg" ] && [ -n "$cpp_pkg" ] && [ -n "$bin_pkg" ] ||
		refuse "cannot tell which packages hold the container's gcc-$major, cpp-$major and binutils for $arch"
	# g++ need not be installed: its package is named as gcc's is.
	gxx_pkg=$(owner "/usr/bin/$triplet-g++-$major")
	[ -n "$gxx_pkg" ] || gxx_pkg=$(echo "$gcc_pkg" | sed 's/^gcc-/g++-/')
	gcc_native=$(version_of "$gcc_pkg:$arch")
	bin_native=$(version_of "$bin_pkg:$arch")

	if installed crossroot-accel:amd64 && [ -s "$state/state" ] && ! grep -q ' native ' "$state/state"; then
		say "already enabled"
		return 0
	fi

	mkdir -p "$added"
	if ! dpkg --print-foreign-architectures | grep -qx amd64; then
		dpkg --add-architecture amd64
		: >"$added/arch"
	fi
	# A refusal or failure from here on leaves the container as it was.
	# (and what a failed install left is listed for disable).
	trap 'status=$?; if [ "$status" -ne 0 ]; then
		[ ! -f "$work/before" ] || amd64_installed | comm -13 "$work/before" - >>"$added/packages"
		drop_amd64
	fi; rm -rf "$work/stage" "$work/pkg" "$work/before"' EXIT
	say "updating the package lists (with amd64)"
	apt_q update >&2

	cross_gcc=gcc-$major-$triplet
	gcc_cross=$(candidate "$cross_gcc:amd64")
	bin_cross=$(candidate "binutils-$triplet:amd64")
	case "$gcc_cross" in
	"" | "(none)") refuse "the archive has no $cross_gcc for amd64 (Debian's cross compiler of gcc-$major for $arch)" ;;
	esac
	case "$bin_cross" in
	"" | "(none)") refuse "the archive has no binutils-$triplet for amd64 (Debian's cross binutils for $arch)" ;;
	esac
	# Debian's cross gcc is version NATIVE+crossN of the native one it is built from.
	suffix=${gcc_cross#"$gcc_native"cross}
	if [ "$suffix" = "$gcc_cross" ] || [ -z "$suffix" ] || [ -n "$(printf %s "$suffix" | tr -d 0-9)" ]; then
		why=
		case "$arch:$gcc_native:$gcc_cross" in
		arm64:12.2.0-14+deb12u1:12.2.0-14cross1)
			why=" (the container's has the AArch64 stack-protector fix for CVE-2023-4039, the cross compiler has not)"
			;;
		esac
		refuse "the container's $gcc_pkg is $gcc_native but Debian's amd64-hosted $cross_gcc is $gcc_cross: built from other gcc sources, they would not compile the same code$why; the native compiler stays"
	fi
	[ "$bin_cross" = "$bin_native" ] ||
		refuse "the container's $bin_pkg is $bin_native but Debian's amd64-hosted binutils-$triplet is $bin_cross; the native binutils stay"

	if installed crossroot-accel:amd64; then
		say "replacing crossroot-accel"
		apt_q purge -y crossroot-accel:amd64 >&2
	fi
	say "downloading $cross_gcc $gcc_cross and binutils-$triplet $bin_cross for amd64"
	rm -rf "$work"
	mkdir -p "$work/debs" "$work/stage" "$work/pkg/DEBIAN"
	(cd "$work/debs" && apt_q download "$cross_gcc:amd64=$gcc_cross" "cpp-$major-$triplet:amd64=$gcc_cross" \
		"g++-$major-$triplet:amd64=$gcc_cross" "binutils-$triplet:amd64=$bin_cross" >&2)
	depends=
	for deb in "$work"/debs/*.deb; do
		dpkg-deb -x "$deb" "$work/stage"
		depends="$depends, $(dpkg-deb -f "$deb" Depends)"
	done
	build_package
	amd64_installed >"$work/before"
	say "installing crossroot-accel and the amd64 libraries it needs"
	apt_q install -y --no-install-recommends "$work/crossroot-accel.deb" >&2
	# Added to what an earlier enable installed (this one may be a re-enable).
	amd64_installed | comm -13 "$work/before" - | grep -vx crossroot-accel:amd64 >>"$added/packages" || true
	sort -u -o "$added/packages" "$added/packages"
	rm -f "$work"/debs/*.deb "$work/crossroot-accel.deb"
}

# The package's tree, from the cross .debs unpacked in $work/stage.
build_package() {
	p=$work/pkg s=$work/stage
	mkdir -p "$p$lib" "$p/usr/bin" "$p/usr/libexec/gcc-cross/$triplet" "$p/usr/lib/gcc-cross/$triplet" "$p/usr/$triplet" \
		"$p/usr/lib/x86_64-linux-gnu"
	# Beside the native programs: gcc and ld find their files relative to
	# where they are (gcc: make_relative_prefix()), so they stay in /usr/bin.
	for f in "$s"/usr/bin/"$triplet"-*; do
		[ -f "$f" ] && [ ! -L "$f" ] || continue
		mv "$f" "$p/usr/bin/${f##*/}.crossroot-accel"
	done
	mv "$s/usr/libexec/gcc-cross/$triplet/$major" "$p/usr/libexec/gcc-cross/$triplet/"
	# The cross gcc's library directory: the switch links each entry of the
	# native one here, and the specs make cc1 search the native include
	# directories by their native names (-iprefix relocates gcc's own
	# include directory; a cross gcc has neither /usr/local/include nor the
	# multiarch C++ directories of a native one).
	mkdir -p "$p/usr/lib/gcc-cross/$triplet/$major"
	sys=" %{!nostdinc:-isystem /usr/local/include}"
	cxx="%{!nostdinc:%{!nostdinc++:-isystem /usr/include/c++/$major -isystem /usr/include/$triplet/c++/$major -isystem /usr/include/c++/$major/backward}}"
	{
		# The native driver's specs, whole: with them the cross driver links
		# as the native one does (it is no cross compiler: startfile and
		# library directories, libgcc_s, the offload startfiles).
		"$gcc" -dumpspecs
		printf '*cc1:\n+ -iprefix /usr/lib/gcc/%s/%s/%s\n\n*cc1plus:\n+ -iprefix /usr/lib/gcc/%s/%s/ %s%s\n\n' \
			"$triplet" "$major" "$sys" "$triplet" "$major" "$cxx" "$sys"
	} >"$p/usr/lib/gcc-cross/$triplet/$major/specs"
	mv "$s/usr/$triplet/bin" "$p/usr/$triplet/"
	mv "$s"/usr/lib/x86_64-linux-gnu/* "$p/usr/lib/x86_64-linux-gnu/"
	# TOOL PACKAGE VERSION: the native package of each diverted program and
	# the version the cross one was built from.
	for f in "$p"/usr/bin/*.crossroot-accel; do
		t=${f##*/}
		t=${t%.crossroot-accel}
		case "$t" in
		"$triplet-g++-$major") echo "$t $gxx_pkg $gcc_native" ;;
		"$triplet-cpp-$major") echo "$t $cpp_pkg $gcc_native" ;;
		*"-$major") echo "$t $gcc_pkg $gcc_native" ;;
		*) echo "$t $bin_pkg $bin_native" ;;
		esac
	done | sort -k 2,2 -s >"$p$lib/tools"
	cat >"$p$lib/switch" <<EOF
#!/bin/sh
# Point each /usr/bin program of $lib/tools at the cross one while its
# native package has the version that was built from, else at the native one.
set -e
lib=$lib state=$state arch=$arch
gcclib=/usr/lib/gcc/$triplet/$major crosslib=/usr/lib/gcc-cross/$triplet/$major
crossexec=/usr/libexec/gcc-cross/$triplet/$major
EOF
	cat >>"$p$lib/switch" <<'EOF'
mkdir -p "$state"
: >"$state/state.new"
# Each package's installed version, once (every emulated program counts).
dpkg-query -W -f '${Package} ${db:Status-Abbrev}${Version}\n' $(awk '{ print $2 ":" arch }' arch="$arch" "$lib/tools" | sort -u) \
	>"$state/versions" 2>/dev/null || true
# Per package: absent, or its version against the one the cross one was
# built from.  The cross programs run only all together: the cross gcc
# hands its own LTO plugin to ld, and an emulated ld cannot load it.
all=accel
for pkg in $(awk '{ print $2 }' "$lib/tools" | uniq); do
	want=$(awk -v p="$pkg" '$2 == p { print $3; exit }' "$lib/tools")
	have=$(sed -n "s/^$pkg ii //p" "$state/versions")
	if [ -z "$have" ]; then mode=absent; elif [ "$have" = "$want" ]; then mode=accel; else mode=native all=native; fi
	echo "$pkg $mode ${have:--} $want" >>"$state/state.new"
done
[ "$all" = accel ] || sed -i 's/^\([^ ]*\) accel /\1 held /' "$state/state.new"
absent=" $(sed -n 's/ absent .*//p' "$state/state.new" | paste -sd' ') "
while read -r tool pkg want; do
	case "$absent" in *" $pkg "*) pkg= ;; esac
	if [ -z "$pkg" ] || [ ! -e "/usr/bin/$tool.crossroot-native" ]; then
		rm -f "/usr/bin/$tool"
	else
		ln -sfn "$tool.crossroot-$all" "/usr/bin/$tool.crossroot-new"
		mv -f "/usr/bin/$tool.crossroot-new" "/usr/bin/$tool"
	fi
done <"$lib/tools"
# The native library directory's entries, again (a trigger runs this after
# an upgrade changed them), but its plugins (for the container's arch).
find "$crosslib" -mindepth 1 -maxdepth 1 -type l -delete
set --
for f in "$gcclib"/*; do
	case "${f##*/}" in
	'*' | liblto_plugin.so | libcc1.so* | plugin) ;;
	*) set -- "$@" "$f" ;;
	esac
done
ln -s "$@" "$crossexec/liblto_plugin.so" "$crosslib/"
rm -f "$state/versions"
mv -f "$state/state.new" "$state/state"
EOF
	chmod 755 "$p$lib/switch"
	tools=$(awk '{ print $1 }' "$p$lib/tools")
	[ -n "$tools" ] || refuse "the cross packages hold no program for $triplet"
	{
		echo "#!/bin/sh"
		echo "set -e"
		echo 'case "$1" in install | upgrade)'
		for t in $tools; do
			echo "	dpkg-divert --quiet --package crossroot-accel --rename --divert /usr/bin/$t.crossroot-native --add /usr/bin/$t"
		done
		echo ";; esac"
	} >"$p/DEBIAN/preinst"
	printf '#!/bin/sh\nset -e\ncase "$1" in configure | triggered) %s/switch ;; esac\n' "$lib" >"$p/DEBIAN/postinst"
	{
		echo "#!/bin/sh"
		echo "set -e"
		echo 'case "$1" in remove | purge | abort-install | abort-upgrade | disappear)'
		for t in $tools; do
			echo "	if [ -L /usr/bin/$t ]; then rm -f /usr/bin/$t; fi"
			echo "	dpkg-divert --quiet --package crossroot-accel --rename --divert /usr/bin/$t.crossroot-native --remove /usr/bin/$t"
		done
		echo ";; esac"
		echo "if [ \"\$1\" = purge ]; then rm -rf $state; fi"
	} >"$p/DEBIAN/postrm"
	printf '#!/bin/sh\nset -e\ncase "$1" in remove | deconfigure) find %s -mindepth 1 -maxdepth 1 -type l -delete ;; esac\n' \
		"/usr/lib/gcc-cross/$triplet/$major" >"$p/DEBIAN/prerm"
	chmod 755 "$p/DEBIAN/preinst" "$p/DEBIAN/postinst" "$p/DEBIAN/prerm" "$p/DEBIAN/postrm"
	# Every upgrade of the native compilers or binutils puts files here.
	{
		echo "interest-noawait /usr/lib/gcc/$triplet/$major"
		echo "interest-noawait /usr/libexec/gcc/$triplet/$major"
		echo "interest-noawait /usr/lib/$triplet/ldscripts"
	} >"$p/DEBIAN/triggers"
	# The libraries the cross programs link with, from the archive (amd64);
	# not the cross packages themselves, nor the cross target libraries.
	deps=$(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' |
		grep -Ev "^($cross_gcc|cpp-$major-$triplet|gcc-$major-$triplet-base|gcc-$major-cross-base|binutils-$triplet|binutils-common|libcc1-0|lib[a-z+0-9-]*-$arch-cross)( |$)" |
		sort -u | paste -sd, - | sed 's/,/, /g')
	cat >"$p/DEBIAN/control" <<EOF
Package: crossroot-accel
Version: $gcc_cross
Architecture: amd64
Maintainer: crossroot accel <root@localhost>
Section: devel
Priority: optional
Depends: $deps
Description: native cross toolchain for this $arch container (crossroot accel)
 $cross_gcc $gcc_cross and binutils-$triplet $bin_cross, Debian's
 amd64-hosted cross compiler and binutils for $arch, run natively in place of
 the container's emulated $gcc_pkg $gcc_native and $bin_pkg $bin_native.
 Made by crossroot accel enable; crossroot accel disable removes it.
EOF
	dpkg-deb --root-owner-group -Znone -b "$p" "$work/crossroot-accel.deb" >&2
}

case "$action" in
enable) enable ;;
disable) disable ;;
*)
	echo "accel: unknown action $action" >&2
	exit 2
	;;
esac
