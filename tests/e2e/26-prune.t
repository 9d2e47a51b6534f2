#!/bin/bash
# crossroot prune: a cache with used and unused items, --dry-run, --all, a
# symlink planted in the cache, a removal that fails, and a create running
# at the same time.
. "$(dirname "$0")/lib.sh"
setup_mapped
cache=$TEST_HOME/.cache/crossroot
store=$TEST_HOME/.local/share/crossroot/containers
prune() { as_user "$CR" prune "$@"; }
# What the cache holds, but its lock: one path per line.
contents() { (cd "$cache" && find . -mindepth 1 ! -name .lock | sort); }

create_container keep arm64
create_container plain arm64

# The cache as creates leave it, with synthetic files: used ones (recorded by
# "keep", or recent) and unused ones (old, or never used: partial, links).
as_user mkdir -p "$cache/debs" "$cache/rootfs" "$cache/archives/m/test" "$cache/archives/gone/test"
mk() { as_user sh -c 'head -c "$2" /dev/urandom >"$1"' sh "$cache/$1" "$2"; }
mk debs/aaa.deb 20000          # old, recorded by keep: kept
mk debs/bbb.deb 300000         # old, recorded by nobody: removed
mk debs/ccc.deb 20000          # recent (a create used it today): kept
mk debs/ddd.deb.part 5000      # a partial download: removed
mk rootfs/key.tar.zst 20000    # old, recorded by keep: kept
mk rootfs/old.tar.zst 1048576  # old, recorded by nobody: removed
mk archives/m/test/InRelease 2000     # recorded by keep: kept
mk archives/gone/test/InRelease 2000  # old: removed, and its directories
mk create-bad.log 3000         # an old failed create's log: removed
mkdir -p "$E2E_DIR/outside/dir" && echo secret >"$E2E_DIR/outside/secret" && chmod -R a+rX "$E2E_DIR/outside"
as_user ln -s "$E2E_DIR/outside/secret" "$cache/debs/link.deb"   # a link, even if recorded: removed as a link
as_user ln -s "$E2E_DIR/outside" "$cache/leak"                   # a link to a directory: removed as a link
printf 'debs/aaa.deb\nrootfs/key.tar.zst\narchives/m/test/InRelease\ndebs/link.deb\n' |
	as_user tee "$store/keep/cache-refs" >/dev/null
(cd "$cache" && touch -h -d '30 days ago' debs/aaa.deb debs/bbb.deb debs/ddd.deb.part rootfs/* archives/*/test/InRelease \
	create-bad.log debs/link.deb leak)
before=$(contents)

out=$(prune --dry-run); rc=$?
expect_eq "prune --dry-run exits 0" 0 "$rc"
expect_eq "... lists exactly the unused items" "would remove archives/gone/test/InRelease
would remove create-bad.log
would remove debs/bbb.deb
would remove debs/ddd.deb.part
would remove debs/link.deb
would remove leak
would remove rootfs/old.tar.zst" "$(printf '%s\n' "$out" | grep '^would remove' | sed 's/ (.*)$//')"
expect_match "... and what it would free" '^would free 7 files, 1\.[0-9]M$' "$out"
expect_eq "... and removes nothing" "$before" "$(contents)"

out=$(prune); rc=$?
expect_eq "prune exits 0" 0 "$rc"
expect_match "... says what it freed: count and size" '^freed 7 files, 1\.[0-9]M$' "$out"
expect_match "... and each item" '^removed rootfs/old\.tar\.zst \(1\.0M\)$' "$out"
expect_eq "... keeps exactly what keep records and what was used recently" "./archives
./archives/m
./archives/m/test
./archives/m/test/InRelease
./debs
./debs/aaa.deb
./debs/ccc.deb
./rootfs
./rootfs/key.tar.zst" "$(contents)"
expect_eq "the planted links' targets are untouched" "secret dir" \
	"$(cat "$E2E_DIR/outside/secret") $(ls "$E2E_DIR/outside" | grep -v secret)"
expect_eq "the containers are untouched and run" "aarch64 aarch64" \
	"$(as_user "$CR" run keep -- /bin/uname -m) $(as_user "$CR" run plain -- /bin/uname -m)"
expect_eq "a second prune frees nothing" "freed 0 files, 0B" "$(prune)"

# Once keep is gone, what only it recorded is unused.
as_user "$CR" rm keep
out=$(prune)
expect_eq "after rm, its old items go; the recent one stays" "removed archives/m/test/InRelease
removed debs/aaa.deb
removed rootfs/key.tar.zst" "$(printf '%s\n' "$out" | grep '^removed' | sed 's/ (.*)$//')"
expect_match "... freeing their size" '^freed 3 files, [0-9.]+K$' "$out"
check "... and so do their empty index directories" test ! -e "$cache/archives/m"

# A removal that fails (a directory of root's inside) is reported, exit 1, and the rest still goes.
mkdir -p "$cache/stuck/sub" && touch "$cache/stuck/sub/f" && chown -R "$TEST_USER" "$cache/stuck" && chown root "$cache/stuck/sub"
touch -d '30 days ago' "$cache/stuck"
mk debs/eee.deb 1000 && touch -d '30 days ago' "$cache/debs/eee.deb"
out=$(prune 2>&1); rc=$?
expect_eq "a failed removal: exit 1" 1 "$rc"
expect_match "... naming it" "cannot remove stuck: " "$out"
check "... the other items are removed" test ! -e "$cache/debs/eee.deb"
rm -rf "$cache/stuck"

# Bad usage.
prune --no-such >/dev/null 2>&1; expect_eq "an unknown option is bad usage" 2 $?
prune extra >/dev/null 2>&1; expect_eq "an argument is bad usage" 2 $?

# A create running at the same time, against a local archive that serves
# each .deb slowly: prune waits for it, a dry run does not.
archive=$E2E_DIR/archive
bash "$TESTS_DIR/e2e/make-test-archive.sh" "$archive" || prereq_fail "building the test archive"
chmod a+rx "$archive" && chmod -R a+rX "$archive/dists" "$archive/pool" "$archive/keyring.gpg"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$archive" "$port" <<'PY' &
import http.server, os, sys, time
class Slow(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith(".deb"):
            time.sleep(4)
        super().do_GET()
    def log_message(self, *args):
        pass
os.chdir(sys.argv[1])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Slow).serve_forever()
PY
server=$!
trap 'kill $server 2>/dev/null; _e2e_cleanup' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/dists/test/Release" >/dev/null && break; sleep 0.1; done
as_user "$CR" create slow --arch arm64 --suite test --mirror "http://127.0.0.1:$port" --keyring "$archive/keyring.gpg" \
	--quiet >"$E2E_DIR/create.out" 2>&1 &
create=$!
for _ in $(seq 100); do flock -n -x "$cache/.lock" true || break; sleep 0.05; done
check "a create holds the cache's lock" sh -c "! flock -n -x '$cache/.lock' true"
out=$(as_user timeout 5 "$CR" prune --dry-run 2>&1); rc=$?
expect_eq "prune --dry-run does not wait for it" 0 "$rc"
as_user "$CR" prune --all >"$E2E_DIR/prune.out" 2>&1 &
pruner=$!
sleep 1
check "prune --all waits for the create" kill -0 "$pruner"
expect_match "... saying so" "waiting for the running creates to finish" "$(cat "$E2E_DIR/prune.out")"
wait "$create"
# The test archive has no shell: a create gets through download and extraction, then stops there.
expect_match "the create got all its .debs (it failed only at the second stage)" "no /bin/sh" "$(cat "$E2E_DIR/create.out")"
wait "$pruner"; rc=$?
expect_eq "then prune --all exits 0" 0 "$rc"
expect_match "... having freed the create's .debs and index" '^freed [0-9]+ files, 1\.[0-9]M$' "$(cat "$E2E_DIR/prune.out")"
expect_eq "--all empties the cache (files and links; the top directories and the lock stay)" "./archives
./debs
./rootfs" "$(contents)"
expect_eq "the remaining container still runs" aarch64 "$(as_user "$CR" run plain -- /bin/uname -m)"

# No cache at all.
rm -rf "$cache"
expect_eq "without a cache, prune says so" "$cache: nothing cached" "$(prune)"

done_testing
