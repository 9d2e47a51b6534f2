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
# Beside them, the arch-independent tools a build runs most (dash, so
# /bin/sh, sed, grep, coreutils, ...; $tool_packages): each package's amd64
# build of the installed version (or of the version it is a binNMU of),
# its programs repacked as /usr/bin/NAME.crossroot-accel and switched per
# package, the same way; a package the archive lacks for amd64 at that
# source version stays emulated.
# Programs whose behaviour depends on the arch stay emulated ($tool_keep).
# The perl programs of autoconf, automake and dpkg-dev ($perl_tool_packages;
# text in, text out, the arch they work for asked of dpkg) run with a
# native perl: perl-base's amd64 build of the installed version, shipped as
# $lib/perl.amd64 with its module directory and libperl's modules (in
# perl-base's amd64 one, so no path of libperl's amd64 package is taken);
# each program is repacked as NAME.crossroot-accel with $lib/perl as its
# interpreter, a link the switch points at the amd64 perl while perl-base
# has that version and at /usr/bin/perl otherwise.  /usr/bin/perl, and so
# every other perl a build runs, stays emulated.
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
# The arch-independent tools run natively when installed, and the programs
# of theirs that stay emulated: uname and arch name the arch; stdbuf
# preloads its library (the container's) into its child; who, users, pinky
# and uptime read utmp, whose layout differs on x86-64 (32-bit times).
# Not here: bash (HOSTTYPE, MACHTYPE), perl (archname, XS modules), dpkg
# (--print-architecture), make (MAKE_HOST, --version: the build arch).
tool_packages="dash sed grep coreutils diffutils findutils mawk gawk m4 tar gzip xz-utils bzip2 patch"
tool_keep="uname arch stdbuf who users pinky uptime"
perl_tool_packages="autoconf automake dpkg-dev"

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

	if installed crossroot-accel:amd64 && [ -s "$state/state" ] && [ -f "$lib/programs" ] && ! grep -q ' native ' "$state/state"; then
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
	rm -rf "$work"
	mkdir -p "$work/debs" "$work/tools" "$work/perl" "$work/stage" "$work/pkg/DEBIAN"
	# shellcheck disable=SC2086
	find_builds tools $tool_packages
	find_perl
	say "downloading $cross_gcc $gcc_cross and binutils-$triplet $bin_cross for amd64, and the tools: $(awk '{ print $1 }' "$work/tools.found" "$work/perl.found" | paste -sd' ')"
	(cd "$work/debs" && apt_q download "$cross_gcc:amd64=$gcc_cross" "cpp-$major-$triplet:amd64=$gcc_cross" \
		"g++-$major-$triplet:amd64=$gcc_cross" "binutils-$triplet:amd64=$bin_cross" >&2)
	for kind in tools perl; do
		(cd "$work/$kind" && awk '{ print $1 ":amd64=" $3 }' "$work/$kind.found" | xargs -r apt-get -q -o Dpkg::Use-Pty=0 \
			-o APT::Sandbox::User=root download >&2)
	done
	depends=
	for deb in "$work"/debs/*.deb; do
		dpkg-deb -x "$deb" "$work/stage"
		depends="$depends, $(dpkg-deb -f "$deb" Depends)"
	done
	# The tools' libraries only (Multi-Arch: same, installed for amd64 beside
	# the container's): their other dependencies are the container's own.
	tool_depends=
	perl_depends=
	for deb in "$work"/tools/*.deb; do
		tool_depends="$tool_depends, $(dpkg-deb -f "$deb" Pre-Depends), $(dpkg-deb -f "$deb" Depends)"
	done
	# And the amd64 perl's (zlib1g among them), but perl's own packages.
	for deb in "$work"/perl/*.deb; do
		[ -e "$deb" ] || continue
		perl_depends="$perl_depends, $(dpkg-deb -f "$deb" Pre-Depends), $(dpkg-deb -f "$deb" Depends)"
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

# find_builds KIND PACKAGE...: those installed into $work/KIND.found
# ("PACKAGE VERSION AMD64-VERSION": the archive has that version for amd64,
# or one that differs from it only by a binNMU suffix, +bN, a rebuild of
# the same source for one arch alone) and $work/KIND.missing ("PACKAGE
# VERSION AMD64-VERSIONS": it has not; the package stays emulated).
find_builds() {
	kind=$1
	shift
	# shellcheck disable=SC2046
	dpkg-query -W -f '${Package} ${db:Status-Abbrev}${Version}\n' $(printf "%s:$arch " "$@") 2>/dev/null |
		sed -n 's/^\([^ ]*\) ii /\1 /p' | sort >"$work/$kind.installed" || true
	# Every amd64 version the archive has of each, "PACKAGE VERSION".
	# shellcheck disable=SC2046
	apt-cache show $(awk '{ printf "%s:amd64 ", $1 }' "$work/$kind.installed") 2>/dev/null |
		awk '/^Package: / { p = $2 } /^Version: / { v = $2 } /^Architecture: / { a = $2 }
			/^$/ { if (a == "amd64") print p, v; p = v = a = "" }
			END { if (a == "amd64") print p, v }' | sort -u >"$work/$kind.amd64" || true
	: >"$work/$kind.found"
	: >"$work/$kind.missing"
	while read -r pkg version; do
		source=$(echo "$version" | sed 's/+b[0-9]*$//')
		build=$(awk -v p="$pkg" -v v="$version" -v s="$source" '$1 == p && $2 == v { print $2; exit }
			$1 == p { b = $2; sub(/\+b[0-9]+$/, "", b); if (b == s) found = $2 }
			END { if (found) print found }' "$work/$kind.amd64" | head -n 1)
		if [ -n "$build" ]; then
			echo "$pkg $version $build" >>"$work/$kind.found"
		else
			have=$(awk -v p="$pkg" '$1 == p { print $2 }' "$work/$kind.amd64" | paste -sd, -)
			echo "$pkg $version ${have:--}" >>"$work/$kind.missing"
			say "$pkg $version stays emulated: the archive has no amd64 $pkg $version (it has ${have:-none})"
		fi
	done <"$work/$kind.installed"
}

# The native perl, when a package of $perl_tool_packages is installed:
# perl-base and libperlX.Y (its XS modules) of the installed version for
# amd64 into $work/perl.found, the installed packages of
# $perl_tool_packages into $perl_pkgs; when the archive lacks either perl
# package, it goes to the tools' missing list and every perl stays emulated.
find_perl() {
	: >"$work/perl.found"
	perl_pkgs=
	for pkg in $perl_tool_packages; do
		! installed "$pkg" || perl_pkgs="$perl_pkgs $pkg"
	done
	perl_v=$(version_of "perl-base:$arch")
	[ -n "$perl_pkgs" ] && [ -n "$perl_v" ] || return 0
	libperl=libperl$(echo "$perl_v" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
	find_builds perl perl-base "$libperl"
	if [ "$(wc -l <"$work/perl.found")" -ne 2 ]; then
		say "the perl programs of$perl_pkgs stay emulated: the archive has no amd64 perl-base and $libperl of the installed version"
		cat "$work/perl.missing" >>"$work/tools.missing"
		: >"$work/perl.found"
	fi
}

# The tools' programs into the package's tree: each ELF program of
# /usr/bin in a tool's amd64 .deb (but $tool_keep) as NAME.crossroot-accel;
# $lib/programs gets "NAME PACKAGE VERSION AMD64-VERSION" lines (VERSION:
# the native one the amd64 build stands for), $lib/missing the
# packages left emulated.
stage_tools() {
	: >"$p$lib/programs"
	for deb in "$work"/tools/*.deb; do
		pkg=$(dpkg-deb -f "$deb" Package)
		# The native version it stands for (the switch compares the installed one with it).
		version=$(awk -v p="$pkg" '$1 == p { print $2 }' "$work/tools.found")
		build=$(dpkg-deb -f "$deb" Version)
		rm -rf "$work/tool"
		dpkg-deb -x "$deb" "$work/tool"
		for f in "$work"/tool/usr/bin/*; do
			[ -f "$f" ] && [ ! -L "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] || continue
			case " $tool_keep " in *" ${f##*/} "*) continue ;; esac
			mv "$f" "$p/usr/bin/${f##*/}.crossroot-accel"
			echo "${f##*/} $pkg $version $build" >>"$p$lib/programs"
		done
	done
	rm -rf "$work/tool"
	cp "$work/tools.missing" "$p$lib/missing"
}

# The native perl and the perl programs into the package's tree (see the
# top): $lib/perl.amd64, perl-base's amd64 module directory with libperl's
# modules in it, NAME.crossroot-accel of each perl program in /usr/bin of
# each package of $perl_pkgs (find_perl) ("NAME PACKAGE VERSION
# VERSION" lines in $lib/programs, the package in $lib/perl-packages), and
# $lib/interpreter, "perl-base VERSION AMD64-VERSION".
stage_perl() {
	: >"$p$lib/perl-packages"
	: >"$p$lib/interpreter"
	[ -s "$work/perl.found" ] || return 0
	rm -rf "$work/perlx"
	for deb in "$work"/perl/*.deb; do
		dpkg-deb -x "$deb" "$work/perlx"
	done
	mods=/usr/lib/x86_64-linux-gnu/perl-base
	mv "$work/perlx/usr/bin/perl" "$p$lib/perl.amd64"
	mkdir -p "$p$mods"
	cp -a "$work/perlx$mods/." "$p$mods/"
	for d in "$work"/perlx/usr/lib/x86_64-linux-gnu/perl/5.*; do
		[ -d "$d" ] && [ ! -L "$d" ] || continue
		rm -rf "$d/CORE"
		cp -an "$d/." "$p$mods/"
	done
	rm -rf "$work/perlx"
	awk '$1 == "perl-base"' "$work/perl.found" >"$p$lib/interpreter"
	for pkg in $perl_pkgs; do
		version=$(version_of "$pkg")
		for f in $(dpkg-query -L "$pkg" | grep '^/usr/bin/[^/]*$'); do
			[ -f "$f" ] && [ ! -L "$f" ] && head -n 1 "$f" | grep -Eq '^#! ?/usr/bin/perl( |$)' || continue
			sed "1s|^#! \{0,1\}/usr/bin/perl|#!$lib/perl|" "$f" >"$p$f.crossroot-accel"
			chmod 755 "$p$f.crossroot-accel"
			echo "${f##*/} $pkg $version $version" >>"$p$lib/programs"
		done
		echo "$pkg" >>"$p$lib/perl-packages"
	done
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
	stage_tools
	stage_perl
	cat >"$p$lib/switch" <<EOF
#!/bin/sh
# Point each /usr/bin program of $lib/tools at the cross one while its
# native package has the version that was built from, else at the native one;
# each of $lib/programs at the amd64 one while its package has its version.
set -e
lib=$lib state=$state arch=$arch
gcclib=/usr/lib/gcc/$triplet/$major crosslib=/usr/lib/gcc-cross/$triplet/$major
crossexec=/usr/libexec/gcc-cross/$triplet/$major
EOF
	cat >>"$p$lib/switch" <<'EOF'
mkdir -p "$state"
: >"$state/state.new"
# Each package's installed version, once (every emulated program counts;
# the perl programs' packages are Architecture: all).
dpkg-query -W -f '${Package} ${db:Status-Abbrev}${Version}\n' \
	$({ awk '{ print $2 }' "$lib/tools" "$lib/programs"; awk '{ print $1 }' "$lib/missing" "$lib/interpreter"; } |
		sort -u | sed "s/.*/&:$arch &:all/") >"$state/versions" 2>/dev/null || true
# The perl that runs the perl programs: "perl-base MODE NATIVE BUILT perl".
perl=
if [ -s "$lib/interpreter" ]; then
	read -r pkg want built <"$lib/interpreter"
	have=$(sed -n "s/^$pkg ii //p" "$state/versions")
	if [ "$have" = "$want" ]; then perl=accel target=perl.amd64; else perl=native target=/usr/bin/perl; fi
	ln -sfn "$target" "$lib/perl.new"
	mv -f "$lib/perl.new" "$lib/perl"
	echo "$pkg $perl ${have:--} $built perl" >>"$state/state.new"
fi
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
# The tools, each package by itself: "PACKAGE MODE NATIVE BUILT PROGRAMS"
# (BUILT: the version of the amd64 build, which stands for the native
# version enable found, or one it is a binNMU of; PROGRAMS: a
# comma-separated list).
awk '{ print $2, $3, $4 }' "$lib/programs" | uniq >"$state/tools"
while read -r pkg want built; do
	have=$(sed -n "s/^$pkg ii //p" "$state/versions")
	if [ -z "$have" ]; then mode=absent; elif [ "$have" = "$want" ]; then mode=accel; else mode=native; fi
	link=$mode
	# A perl program's package of its version, while the native perl is not perl-base's.
	if [ "$mode" = accel ] && [ "$perl" != accel ] && grep -qx "$pkg" "$lib/perl-packages"; then mode=held link=native; fi
	awk -v p="$pkg" '$2 == p { print $1 }' "$lib/programs" >"$state/programs"
	echo "$pkg $mode ${have:--} $built $(paste -sd, "$state/programs")" >>"$state/state.new"
	while read -r tool; do
		if [ "$mode" = absent ] || [ ! -e "/usr/bin/$tool.crossroot-native" ]; then
			[ ! -L "/usr/bin/$tool" ] || rm -f "/usr/bin/$tool"
		else
			ln -sfn "$tool.crossroot-$link" "/usr/bin/$tool.crossroot-new"
			mv -f "/usr/bin/$tool.crossroot-new" "/usr/bin/$tool"
		fi
	done <"$state/programs"
done <"$state/tools"
# Those enable found no amd64 build of: "PACKAGE missing NATIVE AMD64-VERSIONS".
while read -r pkg version amd64; do
	have=$(sed -n "s/^$pkg ii //p" "$state/versions")
	echo "$pkg missing ${have:-$version} $amd64" >>"$state/state.new"
done <"$lib/missing"
rm -f "$state/tools" "$state/programs"
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
	programs=$(awk '{ print $1 }' "$p$lib/programs")
	# The tools' programs (sh, mv, ln, ...) are never missing, not even for
	# a moment, as the maintainer scripts themselves run them: the native
	# one gets a second name (a hard link) before it is diverted, and the
	# program's name then becomes a symlink to it, renamed into place; on
	# removal the hard link is renamed back over the symlink, and
	# dpkg-divert --rename drops the second name.
	{
		echo "#!/bin/sh"
		echo "set -e"
		cat <<'EOF'
tool_divert() {
	[ ! -L "/usr/bin/$1" ] || return 0
	ln -f "/usr/bin/$1" "/usr/bin/$1.crossroot-native"
	dpkg-divert --quiet --package crossroot-accel --no-rename --divert "/usr/bin/$1.crossroot-native" --add "/usr/bin/$1"
	ln -sfn "$1.crossroot-native" "/usr/bin/$1.crossroot-new"
	mv -f "/usr/bin/$1.crossroot-new" "/usr/bin/$1"
}
EOF
		echo 'case "$1" in install | upgrade)'
		for t in $tools; do
			echo "	dpkg-divert --quiet --package crossroot-accel --rename --divert /usr/bin/$t.crossroot-native --add /usr/bin/$t"
		done
		for t in $programs; do
			echo "	tool_divert $t"
		done
		echo ";; esac"
	} >"$p/DEBIAN/preinst"
	printf '#!/bin/sh\nset -e\ncase "$1" in configure | triggered) %s/switch ;; esac\n' "$lib" >"$p/DEBIAN/postinst"
	{
		echo "#!/bin/sh"
		echo "set -e"
		cat <<'EOF'
tool_undivert() {
	n="/usr/bin/$1.crossroot-native"
	if [ -L "/usr/bin/$1" ] || [ ! -e "/usr/bin/$1" ]; then
		if [ -e "$n" ]; then
			ln -f "$n" "/usr/bin/$1.crossroot-new"
			mv -f "/usr/bin/$1.crossroot-new" "/usr/bin/$1"
		else
			rm -f "/usr/bin/$1"
		fi
	fi
	dpkg-divert --quiet --package crossroot-accel --rename --divert "$n" --remove "/usr/bin/$1"
	if [ -e "$n" ] && [ "/usr/bin/$1" -ef "$n" ]; then rm -f "$n"; fi
}
EOF
		echo 'case "$1" in remove | purge | abort-install | abort-upgrade | disappear)'
		for t in $tools; do
			echo "	if [ -L /usr/bin/$t ]; then rm -f /usr/bin/$t; fi"
			echo "	dpkg-divert --quiet --package crossroot-accel --rename --divert /usr/bin/$t.crossroot-native --remove /usr/bin/$t"
		done
		for t in $programs; do
			echo "	tool_undivert $t"
		done
		echo ";; esac"
		echo "if [ \"\$1\" = purge ]; then rm -rf $state; fi"
	} >"$p/DEBIAN/postrm"
	# Before dpkg removes the amd64 programs, their names lead to the native
	# ones again (the postrm itself runs /bin/sh).
	{
		echo "#!/bin/sh"
		echo "set -e"
		echo 'case "$1" in remove | deconfigure)'
		echo "	find /usr/lib/gcc-cross/$triplet/$major -mindepth 1 -maxdepth 1 -type l -delete"
		echo "	rm -f $lib/perl"
		echo "	for t in $(echo $programs); do"
		cat <<'EOF'
		if [ -L "/usr/bin/$t" ]; then
			ln -sfn "$t.crossroot-native" "/usr/bin/$t.crossroot-new"
			mv -f "/usr/bin/$t.crossroot-new" "/usr/bin/$t"
		fi
	done
	;;
esac
EOF
	} >"$p/DEBIAN/prerm"
	chmod 755 "$p/DEBIAN/preinst" "$p/DEBIAN/postinst" "$p/DEBIAN/prerm" "$p/DEBIAN/postrm"
	# Every upgrade of the native compilers or binutils puts files here.
	{
		echo "interest-noawait /usr/lib/gcc/$triplet/$major"
		echo "interest-noawait /usr/libexec/gcc/$triplet/$major"
		echo "interest-noawait /usr/lib/$triplet/ldscripts"
		# And of each tool's package: its programs, under their diverted names.
		for t in $programs; do
			echo "interest-noawait /usr/bin/$t.crossroot-native"
		done
		# And of perl-base, whose version the native perl must have.
		[ ! -s "$p$lib/interpreter" ] || echo "interest-noawait /usr/bin/perl"
	} >"$p/DEBIAN/triggers"
	# The libraries the cross programs link with, from the archive (amd64);
	# not the cross packages themselves, nor the cross target libraries.
	deps=$(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' |
		grep -Ev "^($cross_gcc|cpp-$major-$triplet|gcc-$major-$triplet-base|gcc-$major-cross-base|binutils-$triplet|binutils-common|libcc1-0|lib[a-z+0-9-]*-$arch-cross)( |$)" |
		sort -u | paste -sd, - | sed 's/,/, /g')
	tool_deps=$(printf '%s\n' "$tool_depends" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep '^lib' | sort -u | paste -sd, - | sed 's/,/, /g')
	[ -z "$tool_deps" ] || deps="$deps, $tool_deps"
	perl_deps=$(printf '%s\n' "$perl_depends" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -Ev '^($|perl|dpkg)' | sort -u | paste -sd, - | sed 's/,/, /g')
	[ -z "$perl_deps" ] || deps="$deps, $perl_deps"
	perl_text=
	[ ! -s "$p$lib/interpreter" ] ||
		perl_text="
 The perl programs of $(paste -sd' ' "$p$lib/perl-packages") run with the amd64 build of perl-base $(awk '{ print $2 }' "$p$lib/interpreter")."
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
 the container's emulated $gcc_pkg $gcc_native and $bin_pkg $bin_native,
 and the amd64 builds of the container's versions of $(awk '{ print $1 }' "$work/tools.found" | paste -sd' ').$perl_text
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
