#!/bin/bash
# Settings: the system's file and the user's, what `crossroot config` shows
# and where each value came from, bad lines named by file and line, and the
# default container that run and enter use when given no NAME.
. "$(dirname "$0")/lib.sh"
setup_mapped

sysconf=/etc/crossroot/crossroot.conf
ucfg=$TEST_HOME/.config/crossroot/config
# The system's file is the host's: keep what it held and put it back.  Only
# values that change nothing for other users go in (minbase and auto are the defaults).
if [ -e "$sysconf" ]; then
	cp -a "$sysconf" "$E2E_DIR/sysconf.saved"
fi
restore_sysconf() {
	if [ -e "$E2E_DIR/sysconf.saved" ]; then cp -a "$E2E_DIR/sysconf.saved" "$sysconf"; else rm -f "$sysconf"; fi
}
trap 'restore_sysconf; _e2e_cleanup' EXIT
rm -f "$sysconf"
as_user mkdir -p "$TEST_HOME/.config/crossroot"
user_config() { as_user sh -c 'cat >"$1"' sh "$ucfg"; }
conf() { as_user "$CR" config "$@"; }

# No file: every value is a default, and says so.
out=$(conf); rc=$?
expect_eq "config with no file exits 0" 0 "$rc"
expect_match "variant: minbase, by default" "^variant +minbase +default$" "$out"
expect_match "components: main, by default" "^components +main +default$" "$out"
expect_match "binfmt: auto, by default" "^binfmt +auto +default$" "$out"
expect_match "container: none, and why" "^container +- +none: you have no container$" "$out"
host_cvu=$(apt-config shell V Acquire::Check-Valid-Until/b | sed -n "s/^V='\\(.*\\)'$/\\1/p")
if [ -n "$host_cvu" ]; then
	want=$([ "$host_cvu" = true ] && echo yes || echo no)
	expect_match "check-valid-until: as the host's apt says ($host_cvu)" \
		"^check-valid-until +$want +the host's apt configuration \\(Acquire::Check-Valid-Until\\)$" "$out"
else
	expect_match "check-valid-until: yes, by default (the host's apt says nothing)" "^check-valid-until +yes +default$" "$out"
fi
expect_match "suite: the host's, or stable, saying which" \
	"^suite +[a-z]+ +(the host's release \\(/etc/os-release\\)|default \\(the host is not Debian\\))$" "$out"

# The system's file, then the user's, which wins; each value names its file and line.
mkdir -p /etc/crossroot
printf '# crossroot settings of this host\nvariant minbase\n\nbinfmt auto\n' >"$sysconf"
printf 'suite trixie\n  variant   buildd  \n# components are the archive'"'"'s\ncomponents main,contrib\nmirror http://127.0.0.1:9/debian\n' |
	user_config
out=$(conf)
expect_match "the user's value wins over the system's, naming its line" "^variant +buildd +$ucfg:2$" "$out"
expect_match "a value only the system's file gives comes from there" "^binfmt +auto +$sysconf:4$" "$out"
expect_match "suite from the user's file" "^suite +trixie +$ucfg:1$" "$out"
expect_match "components from the user's file" "^components +main,contrib +$ucfg:4$" "$out"
expect_match "mirror from the user's file" "^mirror +http://127.0.0.1:9/debian +$ucfg:5$" "$out"
expect_eq "config KEY prints the value alone" "buildd" "$(conf variant)"
printf 'check-valid-until no\n' | user_config
expect_eq "check-valid-until from the user's file" "no" "$(conf check-valid-until)"
out=$(as_user env CROSSROOT_BINFMT=host "$CR" config)
expect_match "CROSSROOT_BINFMT wins over the files" "^binfmt +host +CROSSROOT_BINFMT$" "$out"
out=$(as_user env XDG_CONFIG_HOME="$E2E_DIR/nowhere" "$CR" config variant)
expect_eq "XDG_CONFIG_HOME moves the user's file (the system's value shows)" "minbase" "$out"
err=$(conf nosuchkey 2>&1); rc=$?
expect_eq "config with an unknown KEY is bad usage (exit 2)" 2 "$rc"
expect_match "... naming the known keys" "unknown key 'nosuchkey' \\(known: container, mirror" "$err"
err=$(conf container 2>&1); rc=$?
expect_eq "config KEY of a value there is none of exits 1" 1 "$rc"
expect_match "... saying why" "container: none: you have no container" "$err"
# Root reads only the system's file: no user can steer what root's commands read.
printf 'variant nonsense\n' >"$E2E_DIR/rootcfg"
mkdir -p "$E2E_DIR/rootxdg/crossroot" && cp "$E2E_DIR/rootcfg" "$E2E_DIR/rootxdg/crossroot/config"
out=$(XDG_CONFIG_HOME="$E2E_DIR/rootxdg" "$CR" config variant 2>&1); rc=$?
expect_eq "root's config ignores a user file its XDG_CONFIG_HOME points to" "0 minbase" "$rc $out"

# Bad lines: each an error naming the file and line, for every command reading the settings.
bad_line() {
	local desc=$1 content=$2 line=$3 pattern=$4 err rc
	printf '%b' "$content" | user_config
	err=$(conf 2>&1); rc=$?
	expect_eq "$desc: config exits 1" 1 "$rc"
	expect_match "$desc: the error names the file and line" "^crossroot: $ucfg:$line: $pattern" "$err"
	err=$(as_user "$CR" run -- true 2>&1); rc=$?
	expect_eq "$desc: run exits 125" 125 "$rc"
	expect_match "$desc: ... naming the line too" "$ucfg:$line: " "$err"
}
bad_line "an unknown key" 'suite sid\nsuiet sid\n' 2 "unknown key 'suiet' \\(known: container, mirror, suite, variant, components, check-valid-until, binfmt\\)"
bad_line "an invalid variant" '# x\nvariant huge\n' 2 "invalid variant 'huge': give minbase or buildd"
bad_line "an invalid binfmt mode" 'binfmt kernel\n' 1 "invalid binfmt 'kernel': give auto, sandboxed or host"
bad_line "a key given twice" 'suite sid\nvariant buildd\nsuite trixie\n' 3 "'suite' is given again \\(first at $ucfg:1\\)"
bad_line "a key without a value" 'container\n' 1 "'container' needs a value"
bad_line "an invalid container name" 'container ../x\n' 1 "invalid container '../x': give a container name"
bad_line "components that are not a list" 'components main,,contrib\n' 1 "invalid components 'main,,contrib'"
bad_line "a mirror that is no URL" 'mirror ftp.example/debian\n' 1 "invalid mirror 'ftp.example/debian': give an http:// or https:// URL"
bad_line "check-valid-until neither yes nor no" 'check-valid-until maybe\n' 1 "invalid check-valid-until 'maybe': give yes or no"
printf 'suite trixie\0evil\n' | user_config
err=$(conf 2>&1); rc=$?
expect_eq "a NUL byte in the file: exit 1" 1 "$rc"
expect_match "... named as such" "$ucfg:1: a NUL byte: the file is not text" "$err"
as_user sh -c 'rm -f "$1" && mkfifo "$1"' sh "$ucfg"
err=$(as_user timeout 10 "$CR" config 2>&1); rc=$?
expect_eq "a FIFO at the settings path: exit 1 at once, no hang" 1 "$rc"
expect_match "... named as no regular file" "$ucfg: not a regular file" "$err"
as_user rm -f "$ucfg"
printf 'binfmt kernel\n' | user_config
out=$(as_user "$CR" check 2>&1)
expect_match "check names a bad binfmt line as a failure" "binfmt mode.*$ucfg:1: invalid binfmt 'kernel'" "$out"
: | user_config

# The default container.
err=$(as_user "$CR" run -- true 2>&1); rc=$?
expect_eq "run without NAME and without containers exits 125" 125 "$rc"
expect_match "... saying there is none yet" "no NAME given, and you have no container yet" "$err"
create_container first arm64
out=$(as_user "$CR" run -- uname -m); rc=$?
expect_eq "run -- CMD uses the only container" "0 aarch64" "$rc $out"
expect_match "config shows it as the default" "^container +first +your only container$" "$(conf)"
out=$(as_user "$CR" run -e X=1 -w / -- /bin/sh -c 'echo $X $PWD')
expect_eq "options before -- and no NAME" "1 /" "$out"
err=$(as_user "$CR" enter </dev/null 2>&1); rc=$?
expect_eq "enter without NAME and without a terminal exits 125" 125 "$rc"
expect_match "... having chosen the only container" "use 'crossroot run first -- CMD'" "$err"
if command -v script >/dev/null; then
	out=$(printf 'uname -m; exit 3\n' | as_user script -qec "$CR enter" /dev/null 2>&1); rc=$?
	expect_eq "enter without NAME opens a shell in the only container (its exit status)" 3 "$rc"
	expect_match "... which is arm64" "aarch64" "$out"
else
	prereq_fail "script(1) is not installed"
fi
create_container second armhf
err=$(as_user "$CR" run -- true 2>&1); rc=$?
expect_eq "with two containers and no default, run without NAME exits 125" 125 "$rc"
expect_match "... naming both" "you have 2 containers \\(first, second\\): name one" "$err"
expect_match "... and how to set a default" "a line 'container NAME' in $ucfg" "$err"
printf 'container second\n' | user_config
out=$(as_user "$CR" run -- uname -m)
expect_eq "run without NAME uses the configured default" "armv7l" "$out"
out=$(as_user "$CR" run first -- uname -m)
expect_eq "a NAME given still wins" "aarch64" "$out"
expect_match "config names the line of the default" "^container +second +$ucfg:1$" "$(conf)"
err=$(as_user "$CR" run echo hi 2>&1); rc=$?
expect_eq "a command given without -- is taken as a NAME (exit 125)" 125 "$rc"
expect_match "... and the hint says to put -- first" "put '--' first: crossroot run -- echo" "$err"
# A container whose config cannot be read is named by list, never silently left out.
printf 'garbage\n' >"$TEST_HOME/.local/share/crossroot/containers/second/config"
out=$(as_user "$CR" list 2>&1); rc=$?
expect_eq "list with an unreadable container exits 0" 0 "$rc"
expect_match "... and warns naming it" "warning: .*/containers/second is no readable container" "$out"
printf 'container gone\n' | user_config
err=$(as_user "$CR" run -- true 2>&1); rc=$?
expect_eq "a configured default that does not exist: exit 125" 125 "$rc"
expect_match "... naming it and where it is set" "no container named 'gone'.*is the default container set at $ucfg:1" \
	"$(printf '%s' "$err" | tr '\n' ' ')"

done_testing
