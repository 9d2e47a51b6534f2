#!/bin/bash
# run and enter's environment (what passes from the caller, --env KEY,
# --env-file), podman's letters -e -v -w -u -i -t, and long options that
# are never abbreviated, in mapped mode.
. "$(dirname "$0")/lib.sh"
setup_mapped
create_container e64 arm64
run() { as_user "$CR" run "$@"; }
# with VAR=VALUE... -- COMMAND...: the caller's environment has these too.
with() {
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	as_user env "${vars[@]}" "$@"
}

# What passes by default, and what does not.
passed=(LANG=de_DE.UTF-8 LC_ALL=C.UTF-8 LC_TIME=en_GB.UTF-8 LC_MESSAGES=fr_FR TZ=Europe/Berlin
	http_proxy=http://p:3128 https_proxy=http://s:3128 ftp_proxy=http://f:21 no_proxy=localhost
	all_proxy=socks5://a:1080 HTTP_PROXY=http://P:3128 HTTPS_PROXY=http://S:3128 FTP_PROXY=http://F:21
	NO_PROXY=.example ALL_PROXY=socks5://A:1080)
names=$(printf '%s\n' "${passed[@]}" | cut -d= -f1 | tr '\n' ' ')
out=$(with "${passed[@]}" FOO=foo EDITOR=vi -- "$CR" run e64 -- /bin/sh -c \
	"for v in $names FOO EDITOR; do eval echo \$v=\\\${\$v-unset}; done")
expect_eq "LANG, every LC_*, TZ and the proxy variables in both cases pass into run" \
	"$(printf '%s\n' "${passed[@]}" FOO=unset EDITOR=unset)" "$out"
out=$(with FOO=foo -- "$CR" run e64 -e FOO -- /bin/sh -c 'echo FOO=${FOO-unset}')
expect_eq "-e KEY takes the caller's value" FOO=foo "$out"
out=$(with FOO=foo -- "$CR" run e64 --env FOO --env BAR -- /bin/sh -c 'echo ${FOO-unset} ${BAR-unset}')
expect_eq "--env KEY the caller does not have is not set inside" "foo unset" "$out"
out=$(with TZ=UTC -- "$CR" run e64 -e TZ=Asia/Tokyo -e PATH=/bin -- /bin/sh -c 'echo $TZ $PATH')
expect_eq "-e KEY=VALUE wins over what passes and over crossroot's own" "Asia/Tokyo /bin" "$out"
out=$(run e64 -- /bin/sh -c 'echo $USER $HOME')
expect_eq "crossroot still sets USER and HOME" "$TEST_USER $TEST_HOME" "$out"

# --env-file.
cat >"$E2E_DIR/vars" <<'VARS'
# a comment
ONE=1

  TWO=two words "quoted" = kept
FOO
EMPTY=
VARS
printf 'GOOD=1\n# fine\nnot a variable\n' >"$E2E_DIR/bad-vars"
chmod a+r "$E2E_DIR/vars" "$E2E_DIR/bad-vars"
out=$(with FOO=host -- "$CR" run e64 --env-file "$E2E_DIR/vars" -- /bin/sh -c \
	'echo "$ONE|$TWO|$FOO|${EMPTY-unset}|${BAR-unset}"')
expect_eq "--env-file: KEY=VALUE taken literally, bare KEY from the caller, comments and blank lines skipped" \
	'1|two words "quoted" = kept|host||unset' "$out"
err=$(run e64 --env-file "$E2E_DIR/bad-vars" -- /bin/true 2>&1); rc=$?
expect_eq "--env-file with a bad line is bad usage (125)" 125 "$rc"
expect_match "... naming FILE:LINE" "$E2E_DIR/bad-vars:3: " "$err"
err=$(run e64 --env-file "$E2E_DIR/no-such-file" -- /bin/true 2>&1); rc=$?
expect_eq "--env-file with a missing file is bad usage (125)" 125 "$rc"
expect_match "... naming it" "no-such-file: No such file or directory" "$err"

# podman's letters.
expect_eq "-e KEY=VALUE is --env" bar "$(run e64 -e FOO=bar -- /bin/sh -c 'echo $FOO')"
expect_eq "-w DIR is --cwd" /usr/bin "$(run e64 -w /usr/bin -- /usr/bin/payload cwd)"
mkdir -p "$E2E_DIR/share" && echo shared >"$E2E_DIR/share/file" && chmod -R a+rX "$E2E_DIR/share"
expect_eq "-v SRC:DST is --bind" shared "$(run e64 -v "$E2E_DIR/share:/mnt/v" -- /bin/cat /mnt/v/file)"
run e64 -v "$E2E_DIR/share:/mnt/v:ro" -- /bin/touch /mnt/v/new 2>/dev/null
check "-v SRC:DST:ro is read-only" test ! -e "$E2E_DIR/share/new"
err=$(run e64 -v "$E2E_DIR/share" -- /bin/true 2>&1); rc=$?
expect_eq "-v SRC alone (podman: an anonymous volume) is bad usage (125)" 125 "$rc"
expect_match "... pointing to --bind" "SRC:DST" "$err"
expect_eq "-u UID runs the command as that uid, gid 0 without a passwd entry" \
	"uid=1234 gid=0 euid=1234 egid=0" "$(run e64 -u 1234 -- /usr/bin/payload id)"
expect_eq "--user NAME runs as that user of the container's /etc/passwd" \
	"uid=65534 gid=65534 euid=65534 egid=65534" "$(run e64 --user nobody -- /usr/bin/payload id)"
expect_eq "... with its USER and HOME" "nobody /nonexistent" \
	"$(run e64 -u nobody -w / -- /bin/sh -c 'echo $USER $HOME')"
err=$(run e64 -u no-such-user -- /bin/true 2>&1); rc=$?
expect_eq "-u with an unknown name fails as crossroot (125)" 125 "$rc"
expect_match "... naming it" "user 'no-such-user'" "$err"
run e64 --root -u 1234 -- /bin/true 2>/dev/null
expect_eq "--root and --user together are bad usage (125)" 125 $?
expect_eq "-i and -t are accepted" ok "$(run e64 -i -t -- /bin/echo ok </dev/null)"
expect_eq "-it and --interactive --tty too" ok:ok \
	"$(run e64 -it -- /bin/echo ok </dev/null):$(run e64 --interactive --tty -- /bin/echo ok </dev/null)"

# A started container: the same rules for a command that joins it.
as_user "$CR" start e64 || not_ok "start e64"
out=$(with TZ=Europe/Paris FOO=foo -- "$CR" run e64 -u 1234 -- /bin/sh -c 'echo $TZ ${FOO-unset} $(/usr/bin/payload id)')
expect_eq "joining a started container: TZ passes, FOO does not, -u works" \
	"Europe/Paris unset uid=1234 gid=0 euid=1234 egid=0" "$out"
err=$(as_user "$CR" start e64 -e FOO=1 2>&1); rc=$?
expect_eq "start refuses run's options" 2 "$rc"
as_user "$CR" stop e64

# Single mode: --user is refused clearly.
if [ -n "${E2E_CREATED_USER:-}" ]; then
	"$CR" teardown --user "$TEST_USER" >/dev/null
	create_container s64 arm64
	err=$(run s64 -u 1234 -- /bin/true 2>&1); rc=$?
	expect_eq "--user in single mode fails (125)" 125 "$rc"
	expect_match "... saying it needs mapped mode" "--user needs mapped mode" "$err"
fi

# Long options are never taken by prefix.
for args in "list --jso" "run e64 --ro -- /bin/true" "create x --ar arm64" "run e64 --env-fil /dev/null -- /bin/true" \
	"--hel" "start e64 --bin /tmp"; do
	err=$(as_user "$CR" $args 2>&1); rc=$?
	set -- $args
	opt=$(printf '%s\n' "$@" | grep -m1 -- '^--')
	check "'crossroot $args' is refused (exit $rc)" test "$rc" -ne 0
	expect_match "... naming '$opt' as an abbreviation" "unknown option '$opt': options are never abbreviated" "$err"
done
expect_eq "list --jso exits 2" 2 "$(as_user "$CR" list --jso >/dev/null 2>&1; echo $?)"
expect_eq "run --ro exits 125" 125 "$(as_user "$CR" run e64 --ro -- /bin/true >/dev/null 2>&1; echo $?)"
expect_match "the full option still works" '^\[' "$(as_user "$CR" list --json)"

done_testing
