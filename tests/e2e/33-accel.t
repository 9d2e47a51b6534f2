#!/bin/bash
# crossroot accel: Debian's amd64-hosted cross gcc and binutils, and the
# amd64 builds of dash, coreutils, sed, ... in a trixie arm64 container.
# zlib from the archive, configured and built with Debian's hardening flags
# all emulated and then accelerated (the compilers, /bin/sh and the tools
# configure and make run natively) in the same container, gives the same
# result: every object, archive, shared object and executable is
# byte-identical but for .comment and the build-id note, and the generated
# Makefile, zconf.h, zlib.pc and configure.log are identical. The perl
# programs of autoconf, automake and dpkg-dev run with an amd64 perl while
# /usr/bin/perl stays aarch64: a small Autotools project's autoreconf
# leaves the same tree either way, dpkg-architecture and dpkg-buildflags
# say what they said emulated. After an upgrade makes a native package's
# version differ, its programs run emulated again by themselves (a dpkg
# trigger): all the compilers together, a tool's package by itself, the
# perl programs with perl-base; status says why; disable leaves
# dpkg --audit and dpkg --verify clean and nothing of it behind. bookworm
# arm64 is refused (its cross gcc lacks the native one's CVE-2023-4039 fix),
# and create --accel then removes the container again.
. "$(dirname "$0")/lib.sh"
setup_mapped
run() { as_user "$CR" run "$@"; }
containers=$TEST_HOME/.local/share/crossroot/containers

# Both bootstraps at once, while the cheap cases run.
record "$E2E_DIR/create-bookworm" as_user "$CR" create bw --arch arm64 --suite bookworm --variant buildd --accel --quiet &
bw=$!
record "$E2E_DIR/create-trixie" as_user "$CR" create tx --arch arm64 --suite trixie --variant buildd --quiet &
tx=$!

# Refused without a bootstrap, on the test rootfs: nothing changes.
create_container native amd64
out=$(as_user "$CR" accel enable native 2>&1)
expect_eq "accel enable on an amd64 container exits 1" 1 $?
expect_match "... saying its compilers run natively already" "'native' is amd64: its compilers run natively already" "$out"
create_container nogcc arm64
run nogcc -- true # a first run adds the user's passwd entry
before=$(python3 "$TESTS_DIR/e2e/manifest.py" "$containers/nogcc/rootfs")
out=$(as_user "$CR" accel enable nogcc 2>&1)
expect_eq "accel enable on an arm64 rootfs without gcc exits 1" 1 $?
expect_match "... saying to install build-essential" "has no gcc for arm64: install build-essential" "$out"
expect_eq "... and its rootfs is as it was" "$before" "$(python3 "$TESTS_DIR/e2e/manifest.py" "$containers/nogcc/rootfs")"
expect_eq "accel status says when it is not enabled" "nogcc: accel is not enabled ('crossroot accel enable nogcc')" \
	"$(as_user "$CR" accel status nogcc 2>&1)"
out=$(as_user "$CR" accel enable 2>&1)
expect_eq "accel enable without NAME exits 2" 2 $?
out=$(as_user "$CR" accel start nogcc 2>&1)
expect_eq "accel with an unknown action exits 2" 2 $?
expect_match "... naming it" "unknown action 'start'" "$out"
out=$(as_user "$CR" accel status nosuch 2>&1)
expect_eq "accel status of a missing container exits 1" 1 $?
out=$(as_user "$CR" accel status nogcc --help 2>&1)
expect_eq "accel status NAME --help exits 0" 0 $?
expect_match "... printing the usage" "^Usage: crossroot accel enable\|disable\|status NAME" "$out"
out=$(as_user "$CR" accel status --bogus 2>&1)
expect_eq "accel with an unknown option exits 2" 2 $?
expect_match "... naming it, not taking it for a container name" "unknown option '--bogus'" "$out"
expect_eq "accel status -- NAME takes NAME" "nogcc: accel is not enabled ('crossroot accel enable nogcc')" \
	"$(as_user "$CR" accel status -- nogcc 2>&1)"
out=$(as_user "$CR" create mb --arch arm64 --accel 2>&1)
expect_eq "create --accel of a minbase without gcc exits 2 before bootstrapping" 2 $?
expect_match "... saying what to give" "give --variant buildd, or --include gcc or build-essential" "$out"
out=$(as_user "$CR" create am --arch amd64 --accel 2>&1)
expect_eq "create --accel of an amd64 container exits 2 before bootstrapping" 2 $?
expect_match "... saying why, and where help is" \
	"create --accel: 'am' is amd64: its compilers run natively already.Try 'crossroot create --help'" "$(printf '%s' "$out" | tr '\n' ' ')"
check "... and leaves no container" sh -c "! ls -A '$containers' | grep -qx am"

wait "$bw"
expect_eq "create --accel of bookworm arm64 exits 1" 1 "$(cat "$E2E_DIR/create-bookworm.rc")"
out=$(cat "$E2E_DIR/create-bookworm")
expect_match "... refused: the cross gcc lacks the native one's CVE-2023-4039 fix" \
	"12\.2\.0-14\+deb12u1 but Debian's amd64-hosted gcc-12-aarch64-linux-gnu is 12\.2\.0-14cross1.*CVE-2023-4039" "$out"
expect_match "... and the container is removed again" "accel was not enabled, so bw is removed again" "$out"
check "... nothing of it is left" test ! -e "$containers/bw"

wait "$tx"
rc=$(cat "$E2E_DIR/create-trixie.rc")
expect_eq "create tx (trixie arm64 buildd) exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || prereq_fail "trixie arm64: $(tail -5 "$E2E_DIR/create-trixie")"

# zlib's source from the archive (its upstream tarball: --tar-only, as this
# machine's mirror lacks the .dsc of the point release's update), unpacked
# once as the user; each build gets a fresh copy.
out=$(run tx --root -- apt-get update -q 2>&1) || diag "$out"
out=$(run tx -w "$TEST_HOME" -- sh -c 'apt-get source -q --tar-only zlib && mkdir zlib-src &&
	tar -xf zlib_*.orig.tar.* -C zlib-src --strip-components=1' 2>&1)
expect_eq "apt-get source --tar-only zlib as the user, unpacked, exits 0" 0 $?
[ -d "$TEST_HOME/zlib-src" ] || prereq_fail "zlib's source: $(echo "$out" | tail -3)"
out=$(run tx --root -- apt-get install -q -y --no-install-recommends autoconf automake 2>&1)
rc=$?
expect_eq "apt-get install autoconf automake exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || prereq_fail "apt-get install autoconf automake: $(echo "$out" | tail -3)"
# A small Autotools project; autoreconf -fi in a copy of it at one path
# (the trees then compared name no other), moved to at-NAME.
mkdir -p "$TEST_HOME/at-src"
cat >"$TEST_HOME/at-src/configure.ac" <<'EOF'
AC_INIT([t], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_CONFIG_HEADERS([config.h])
AC_PROG_CC
AC_CHECK_HEADERS([unistd.h])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
EOF
printf 'bin_PROGRAMS = t\nt_SOURCES = t.c\n' >"$TEST_HOME/at-src/Makefile.am"
printf '#include "config.h"\nint main(void) { return 0; }\n' >"$TEST_HOME/at-src/t.c"
chown -R "$TEST_USER:" "$TEST_HOME/at-src"
autoreconf_to() {
	run tx -w "$TEST_HOME" -- sh -c "rm -rf at at-$1 && cp -a at-src at && cd at && autoreconf -fi && cd .. && mv at at-$1"
}
out=$(autoreconf_to emulated 2>&1)
expect_eq "autoreconf -fi of a small Autotools project (emulated perl) exits 0" 0 $?
check "... and makes its configure" test -x "$TEST_HOME/at-emulated/configure"
flags_emulated=$(run tx -- dpkg-buildflags 2>&1)
cat >"$TEST_HOME/build-zlib" <<'EOF'
# build-zlib DIR: zlib's configure && make in DIR, with Debian's hardening flags.
set -e
rm -rf "$1"
cp -a "$HOME/zlib-src" "$1"
cd "$1"
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
# The program /bin/sh is during the build: its ELF machine (x86-64: 003e).
od -An -tx2 -j18 -N2 "$(readlink -f /bin/sh)" | tr -d ' ' >sh-machine
./configure >configure.out 2>&1
make -j2 >make.log 2>&1
EOF
cat >"$TEST_HOME/compare" <<'EOF'
# compare A B: every ELF file and ar archive of build A against B's, without
# .comment and the build-id note; prints the differing ones and a count.
set -e
n=0
cd "$1"
for f in $(find . -type f | sort); do
	case "$(head -c 4 "$f" | od -An -c | tr -d ' ')" in
	177ELF) ;;
	*) [ "$(head -c 7 "$f")" = '!<arch>' ] || continue ;;
	esac
	n=$((n + 1))
	[ -f "$2/$f" ] || { echo "missing in $2: $f"; continue; }
	objcopy -R .comment -R .note.gnu.build-id "$f" /tmp/compare-a
	objcopy -R .comment -R .note.gnu.build-id "$2/$f" /tmp/compare-b
	cmp -s /tmp/compare-a /tmp/compare-b || echo "differs: $f"
done
echo "compared $n"
# The generated text files, each tree's path (in -ffile-prefix-map) as
# TREE; configure.log names its test files by the shell's pid (ztestPID)
# and starts with the date.
for f in Makefile zconf.h zlib.pc configure.log; do
	[ -f "$1/$f" ] && [ -f "$2/$f" ] || { echo "missing: $f"; continue; }
	sed -E "s|$1|TREE|g; s/ztest[0-9]+/ztest/g; 1,3{/^[A-Z][a-z]{2} [A-Z][a-z]{2} /d}" "$1/$f" >/tmp/compare-a
	sed -E "s|$2|TREE|g; s/ztest[0-9]+/ztest/g; 1,3{/^[A-Z][a-z]{2} [A-Z][a-z]{2} /d}" "$2/$f" >/tmp/compare-b
	cmp -s /tmp/compare-a /tmp/compare-b || { echo "differs: $f"; diff /tmp/compare-a /tmp/compare-b | head -5; }
done
EOF
chmod a+r "$TEST_HOME/build-zlib" "$TEST_HOME/compare"
t0=$SECONDS
out=$(run tx -w "$TEST_HOME" -- sh build-zlib "$TEST_HOME/zlib-emulated" 2>&1)
expect_eq "zlib builds with the emulated native toolchain" 0 $?
emulated=$((SECONDS - t0))
expect_eq "... /bin/sh being the emulated dash (aarch64, ELF machine 183)" 00b7 "$(cat "$TEST_HOME/zlib-emulated/sh-machine")"

t0=$SECONDS
out=$(as_user "$CR" accel enable tx 2>"$E2E_DIR/enable.err")
rc=$?
expect_eq "accel enable tx exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(tail -15 "$E2E_DIR/enable.err")"
diag "accel enable took $((SECONDS - t0)) s"
expect_match "... and says gcc is accelerated" "^  gcc-14-aarch64-linux-gnu 14\.2\.0-[^ ]*: accelerated$" "$out"
expect_match "... binutils too" "^  binutils-aarch64-linux-gnu [^ ]*: accelerated$" "$out"
gcc=$(run tx -- readlink -f /usr/bin/gcc)
expect_match "gcc is now the cross one" "^/usr/bin/aarch64-linux-gnu-gcc-14\.crossroot-accel$" "$gcc"
expect_eq "... an x86-64 program (ELF machine 62)" 003e "$(run tx -- od -An -tx2 -j18 -N2 "$gcc" | tr -d ' ')"
expect_match "as and ld are the cross ones" "as\.crossroot-accel .*ld\.bfd\.crossroot-accel$" \
	"$(run tx -- readlink -f /usr/bin/as /usr/bin/ld | paste -sd' ')"
# grep too, although trixie's arm64 grep is a binNMU (3.11-4+b1) of amd64's 3.11-4.
for p in dash coreutils sed grep diffutils findutils mawk tar gzip patch; do
	expect_match "... enable says $p runs natively" "^  $p [^ ]*: accelerated: " "$out"
done
expect_eq "... and the others it names run natively or say why not (no amd64 build of that version)" "" \
	"$(echo "$out" | sed -n '/^tools/,$p' | grep -Ev '^tools |: accelerated: |: emulated: the archive has no amd64 build of this version \(amd64: [^ ]*\)$')"
expect_eq "/bin/sh, sed, grep, mv and patch are the amd64 programs (ELF machine 62)" "003e 003e 003e 003e 003e" \
	"$(run tx -- sh -c 'for p in /bin/sh /usr/bin/sed /usr/bin/grep /usr/bin/mv /usr/bin/patch; do od -An -tx2 -j18 -N2 "$(readlink -f $p)"; done' | tr -d ' ' | paste -sd' ')"
expect_eq "uname, stdbuf, bash, perl, dpkg and make stay emulated (aarch64, 183)" "00b7 00b7 00b7 00b7 00b7 00b7" \
	"$(run tx -- sh -c 'for p in uname stdbuf bash perl dpkg make; do od -An -tx2 -j18 -N2 "$(readlink -f /usr/bin/$p)"; done' | tr -d ' ' | paste -sd' ')"
expect_eq "... and uname -m says aarch64" aarch64 "$(run tx -- uname -m)"
expect_match "... enable says perl-base's amd64 perl runs the perl programs" \
	"^  perl-base [^ ]*: accelerated: the perl that runs the perl programs below \(/usr/bin/perl stays emulated\)$" "$out"
expect_match "... autoconf's programs among them" "^  autoconf [^ ]*: accelerated: .*autom4te" "$out"
expect_match "... automake's" "^  automake [^ ]*: accelerated: .*aclocal-1\.[0-9]*" "$out"
expect_match "... dpkg-dev's" "^  dpkg-dev [^ ]*: accelerated: .*dpkg-architecture" "$out"
expect_eq "autom4te, automake and dpkg-architecture run with #!/usr/lib/crossroot-accel/perl, an x86-64 program" \
	"#!/usr/lib/crossroot-accel/perl #!/usr/lib/crossroot-accel/perl #!/usr/lib/crossroot-accel/perl 003e" \
	"$(run tx -- sh -c 'for p in autom4te automake dpkg-architecture; do head -n 1 "$(readlink -f /usr/bin/$p)" | cut -d" " -f1; done
		od -An -tx2 -j18 -N2 "$(readlink -f /usr/lib/crossroot-accel/perl)"' | tr -d ' ' | paste -sd' ')"
expect_eq "perl's archname stays aarch64's" aarch64-linux-gnu-thread-multi \
	"$(run tx -- perl -MConfig -e 'print $Config{archname}')"
expect_eq "dpkg-architecture (amd64 perl) says arm64 for the build and host arch, aarch64-linux-gnu for the multiarch" \
	"arm64 arm64 aarch64-linux-gnu" \
	"$(run tx -- sh -c 'for v in BUILD_ARCH HOST_ARCH HOST_MULTIARCH; do dpkg-architecture -qDEB_$v; done' | paste -sd' ')"
expect_eq "dpkg-buildflags says what it said emulated" "$flags_emulated" "$(run tx -- dpkg-buildflags 2>&1)"
out=$(autoreconf_to accel 2>&1)
expect_eq "autoreconf -fi of the Autotools project (amd64 perl) exits 0" 0 $?
expect_eq "... and leaves the tree the emulated one did (configure, Makefile.in, config.h.in, autom4te.cache, ...)" "" \
	"$(diff -r "$TEST_HOME/at-emulated" "$TEST_HOME/at-accel" 2>&1)"
expect_eq "... whose configure and make build its program" 0 \
	"$(run tx -w "$TEST_HOME/at-accel" -- sh -c './configure >/dev/null && make >/dev/null && ./t; echo $?' 2>&1)"
out=$(as_user "$CR" accel enable tx 2>&1)
expect_eq "accel enable again exits 0" 0 $?
expect_match "... saying it is already enabled" "accel: already enabled" "$out"
expect_eq "dpkg --audit and dpkg --verify find nothing wrong with accel enabled" "" \
	"$(run tx -- sh -c 'dpkg --audit; dpkg --verify' 2>&1)"

t0=$SECONDS
out=$(run tx -w "$TEST_HOME" -- sh build-zlib "$TEST_HOME/zlib-accel" 2>&1)
expect_eq "zlib builds with the accelerated toolchain" 0 $?
diag "zlib configure && make: emulated ${emulated} s, accelerated $((SECONDS - t0)) s"
expect_eq "... /bin/sh being the amd64 dash (x86-64, 62)" 003e "$(cat "$TEST_HOME/zlib-accel/sh-machine")"
out=$(run tx -- sh "$TEST_HOME/compare" "$TEST_HOME/zlib-emulated" "$TEST_HOME/zlib-accel" 2>&1)
expect_match "zlib: the two builds hold the same ELF files and archives (objects, libz.a, libz.so, programs)" \
	"^compared [1-9][0-9]+$" "$out"
expect_eq "... and each is byte-identical but for .comment and the build-id note; Makefile, zconf.h, zlib.pc and configure.log are identical" "" \
	"$(echo "$out" | grep -v '^compared ')"
cat >"$TEST_HOME/hello.cc" <<'EOF'
#include <iostream>
#include <vector>
int main() { std::vector<int> v{1, 2, 3}; std::cout << "sum " << v[0] + v[1] + v[2] << std::endl; }
EOF
out=$(run tx -w "$TEST_HOME" -- sh -c 'g++ -O2 -o hello-cc hello.cc && ./hello-cc &&
	g++ -g -O2 -c -o a.o hello.cc && aarch64-linux-gnu-g++-14.crossroot-native -g -O2 -c -o n.o hello.cc && cmp a.o n.o && echo same' 2>&1)
expect_eq "g++ (accelerated) builds a C++ program that runs, its object the native g++'s" "sum 6
same" "$out"

# An upgrade that makes the native binutils differ from the cross ones: a
# package of another version (dpkg -i, as apt-get upgrade would unpack it).
# upgraded PACKAGE: the archive's PACKAGE for arm64 into $orig, and a copy of
# another version (VERSION+upgrade1) as $TEST_HOME/PACKAGE-upgraded.deb.
upgraded() {
	out=$(run tx -w "$TEST_HOME" -- apt-get download -q "$1" 2>&1)
	orig=$(ls "$TEST_HOME/$1"_*.deb 2>/dev/null | head -1)
	[ -n "$orig" ] || prereq_fail "apt-get download $1: $out"
	rm -rf "$E2E_DIR/fake"
	dpkg-deb -R "$orig" "$E2E_DIR/fake" && sed -i 's/^Version: .*/&+upgrade1/' "$E2E_DIR/fake/DEBIAN/control" &&
		dpkg-deb -b "$E2E_DIR/fake" "$TEST_HOME/$1-upgraded.deb" >/dev/null && chmod a+r "$TEST_HOME/$1-upgraded.deb" ||
		prereq_fail "repacking $orig"
}
upgraded binutils-aarch64-linux-gnu
out=$(run tx --root -- dpkg -i --force-depends "$TEST_HOME/binutils-aarch64-linux-gnu-upgraded.deb" 2>&1)
expect_eq "dpkg -i of binutils of another version exits 0" 0 $?
expect_match "... and the trigger switched as and ld back to the native ones" \
	"as\.crossroot-native .*ld\.bfd\.crossroot-native$" "$(run tx -- readlink -f /usr/bin/as /usr/bin/ld | paste -sd' ')"
expect_match "... and gcc with them (the cross programs run only together)" "gcc-14\.crossroot-native$" \
	"$(run tx -- readlink -f /usr/bin/gcc)"
out=$(as_user "$CR" accel status tx 2>&1)
expect_match "accel status says why binutils run emulated" \
	"^  binutils-aarch64-linux-gnu [^ ]*\+upgrade1: emulated: the cross one was built from [^ ]*; 'crossroot accel enable tx' installs a matching one" \
	"$out"
expect_match "... and gcc with them" "^  gcc-14-aarch64-linux-gnu [^ ]*: emulated with the others" "$out"
expect_eq "... and gcc compiles and links (emulated)" "ok" \
	"$(run tx -w "$TEST_HOME" -- sh -c 'echo "int main(void) { return 0; }" >t.c && gcc -o t t.c && ./t && echo ok' 2>&1)"
out=$(run tx --root -- dpkg -i "$orig" 2>&1)
expect_eq "binutils of the archive's version again: dpkg -i exits 0" 0 $?
expect_match "... and gcc, as and ld are the cross ones again" \
	"gcc-14\.crossroot-accel .*as\.crossroot-accel .*ld\.bfd\.crossroot-accel$" \
	"$(run tx -- readlink -f /usr/bin/gcc /usr/bin/as /usr/bin/ld | paste -sd' ')"

# A tool's package of another version: sed alone runs emulated again.
upgraded sed
out=$(run tx --root -- dpkg -i "$TEST_HOME/sed-upgraded.deb" 2>&1)
expect_eq "dpkg -i of sed of another version exits 0" 0 $?
expect_eq "... and the trigger switched sed back to the native one, and only sed" \
	"/usr/bin/sed.crossroot-native /usr/bin/dash.crossroot-accel /usr/bin/gcc-14.crossroot-accel" \
	"$(run tx -- readlink -f /usr/bin/sed /bin/sh /usr/bin/gcc | sed 's|aarch64-linux-gnu-||' | paste -sd' ')"
expect_eq "... which runs (emulated)" "b" "$(run tx -- sh -c 'echo a | sed s/a/b/')"
out=$(as_user "$CR" accel status tx 2>&1)
expect_match "accel status says why sed runs emulated" \
	"^  sed [^ ]*\+upgrade1: emulated: the amd64 build is [^ ]*; 'crossroot accel enable tx' installs a matching one" "$out"
expect_match "... while dash stays accelerated" "^  dash [^ ]*: accelerated: dash$" "$out"
out=$(run tx --root -- dpkg -i "$orig" 2>&1)
expect_eq "sed of the archive's version again: dpkg -i exits 0" 0 $?
expect_eq "... and sed is the amd64 one again" /usr/bin/sed.crossroot-accel "$(run tx -- readlink -f /usr/bin/sed)"
# perl-base of another version: the perl programs run with the native perl.
upgraded perl-base
out=$(run tx --root -- dpkg -i --force-depends "$TEST_HOME/perl-base-upgraded.deb" 2>&1)
expect_eq "dpkg -i of perl-base of another version exits 0" 0 $?
expect_eq "... and the trigger switched autom4te and dpkg-architecture to the native ones, the native perl's link to /usr/bin/perl; /bin/sh stays amd64's" \
	"/usr/bin/autom4te.crossroot-native /usr/bin/dpkg-architecture.crossroot-native /usr/bin/perl /usr/bin/dash.crossroot-accel" \
	"$(run tx -- sh -c 'readlink -f /usr/bin/autom4te /usr/bin/dpkg-architecture; readlink /usr/lib/crossroot-accel/perl; readlink -f /bin/sh' | paste -sd' ')"
expect_eq "... which run (emulated perl)" "arm64" "$(run tx -- dpkg-architecture -qDEB_HOST_ARCH 2>&1)"
out=$(as_user "$CR" accel status tx 2>&1)
expect_match "accel status says why the perl programs run emulated" \
	"^  perl-base [^ ]*\+upgrade1: emulated: the amd64 perl is [^ ]*, so the perl programs below run emulated" "$out"
expect_match "... autoconf with it" "^  autoconf [^ ]*: emulated with the native perl \(perl-base's version differs, above\)$" "$out"
out=$(run tx --root -- dpkg -i "$orig" 2>&1)
expect_eq "perl-base of the archive's version again: dpkg -i exits 0" 0 $?
expect_eq "... and autom4te runs with the amd64 perl again" \
	"/usr/bin/autom4te.crossroot-accel /usr/lib/crossroot-accel/perl.amd64" \
	"$(run tx -- readlink -f /usr/bin/autom4te /usr/lib/crossroot-accel/perl | paste -sd' ')"
expect_eq "dpkg --audit and dpkg --verify find nothing wrong after the upgrades" "" \
	"$(run tx -- sh -c 'dpkg --audit; dpkg --verify' 2>&1)"

out=$(as_user "$CR" accel disable tx 2>&1)
rc=$?
expect_eq "accel disable tx exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(echo "$out" | tail -5)"
expect_eq "... dpkg --audit and dpkg --verify find nothing wrong" "" "$(run tx -- sh -c 'dpkg --audit; dpkg --verify' 2>&1)"
expect_eq "... no diversion, no amd64 package, no amd64 architecture is left" "0 0" \
	"$(run tx -- sh -c 'echo $(dpkg-divert --list | grep -c crossroot) $(dpkg-query -W "*:amd64" 2>/dev/null | wc -l) $(dpkg --print-foreign-architectures)' 2>&1)"
expect_eq "... gcc is the native program again" /usr/bin/aarch64-linux-gnu-gcc-14 "$(run tx -- readlink -f /usr/bin/gcc)"
expect_eq "... /bin/sh is the native dash again (aarch64), sed and mv too" \
	"/usr/bin/dash 00b7 /usr/bin/sed 00b7 /usr/bin/mv 00b7" \
	"$(run tx -- sh -c 'for p in /bin/sh /usr/bin/sed /usr/bin/mv; do f=$(readlink -f $p); echo $f $(od -An -tx2 -j18 -N2 $f); done' | paste -sd' ')"
expect_eq "... and no file of it is left in /usr/bin" "" "$(run tx -- sh -c 'ls /usr/bin | grep crossroot' 2>&1)"
expect_eq "... nor the amd64 perl and its modules" "gone" \
	"$(run tx -- sh -c 'test -e /usr/lib/crossroot-accel || test -e /usr/lib/x86_64-linux-gnu/perl-base || echo gone' 2>&1)"
expect_eq "... and autom4te is the native one again" /usr/bin/autom4te "$(run tx -- readlink -f /usr/bin/autom4te)"
expect_eq "... and compiles" ok "$(run tx -w "$TEST_HOME" -- sh -c 'gcc -o t t.c && ./t && echo ok' 2>&1)"
expect_eq "... and status says it is not enabled" "tx: accel is not enabled ('crossroot accel enable tx')" \
	"$(as_user "$CR" accel status tx 2>&1)"

done_testing
