#!/bin/bash
# Shell completion (contrib/completion): bash's completion function, called
# as bash calls it, as the test user (container and job names are that
# user's); zsh's and fish's files parse; make install puts all three where
# the shells look.
. "$(dirname "$0")/lib.sh"
SRC=$TESTS_DIR/../contrib/completion
mkdir "$E2E_DIR/completion"
cp "$SRC/crossroot.bash" "$SRC/_crossroot" "$SRC/crossroot.fish" "$E2E_DIR/completion/"
chmod -R a+rX "$E2E_DIR/completion"

create_container compl-box arm64
JOBS=$TEST_HOME/.config/crossroot/jobs
as_user mkdir -p "$JOBS"
cp -r "$TESTS_DIR/e2e/jobs/probe" "$JOBS/"
chown -R "$TEST_USER:" "$TEST_HOME/.config"

# complete WORD...: what bash's completion offers for the command line
# WORD... (the last word is the one being completed; the first is the
# crossroot being completed, which the function runs), one per line.
complete_words() {
	as_user env CROSSROOT_JOBS_DIR="$TESTS_DIR/../contrib/jobs" bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_crossroot crossroot "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$E2E_DIR/completion/crossroot.bash" "$CR" "$@"
}

out=$(as_user bash -c '. "$1" && complete -p crossroot' bash "$E2E_DIR/completion/crossroot.bash")
expect_match "sourcing it registers the function for crossroot" '^complete -F _crossroot crossroot$' "$out"

out=$(complete_words cr)
expect_eq "crossroot cr<TAB> completes to create" "create" "$out"
out=$(complete_words "")
expect_eq "crossroot <TAB> lists every verb" \
	"check setup teardown create start stop run enter list prune rm export config binfmt job accel" "$(echo $out)"
out=$(complete_words --v)
expect_eq "crossroot --v<TAB> is --version" "--version" "$out"

out=$(complete_words run "")
expect_match "crossroot run <TAB> lists the user's container" '^compl-box$' "$out"
out=$(complete_words rm compl)
expect_eq "crossroot rm compl<TAB> completes the name" "compl-box" "$out"
out=$(complete_words run --root "")
expect_match "... also after an option" '^compl-box$' "$out"
out=$(complete_words run compl-box "")
expect_eq "... but only as the first argument" "" "$out"
out=$(complete_words export compl-box /tm)
expect_match "export's second argument is a file" '^/tmp$' "$out"
out=$(complete_words export --format "")
expect_eq "export --format <TAB> lists the formats" "tar oci" "$(echo $out)"
out=$(complete_words export --format oci compl)
expect_eq "... and the container follows it" "compl-box" "$out"
out=$(complete_words create x --arch arm64 --from-oci /tm)
expect_match "create --from-oci takes a file or directory" '^/tmp$' "$out"

out=$(complete_words create x --arch a)
expect_match "crossroot create x --arch a<TAB> includes arm64" '^arm64$' "$out"
expect_match "... and armhf" '^armhf$' "$out"
expect_match "... every arch starting with a, from the binary" '^amd64$' "$out"
out=$(complete_words create x --arch = arm)
expect_eq "--arch=arm<TAB> completes too" "arm64 armhf armel" "$(echo $out)"
out=$(complete_words binfmt exec --arch "")
expect_eq "binfmt exec --arch <TAB>: the arches binfmt status lists" \
	"$(as_user "$CR" binfmt status | awk 'NR > 1 { print $1 }' | xargs)" "$(echo $out)"
out=$(complete_words create x --suite "")
expect_eq "--suite <TAB> lists the suites" "bookworm trixie sid stable testing unstable" "$(echo $out)"
out=$(complete_words create x --variant "")
expect_eq "--variant <TAB> lists the variants" "minbase buildd" "$(echo $out)"
out=$(complete_words create x --components "")
expect_eq "--components <TAB> lists Debian's components" "main contrib non-free non-free-firmware" "$(echo $out)"
out=$(complete_words create x --components main,non)
expect_eq "--components main,non<TAB> completes the last name of the list" "main,non-free main,non-free-firmware" \
	"$(echo $out)"

out=$(complete_words run compl-box --)
expect_eq "run's options" "--root --user --cwd --env --env-file --bind --ephemeral --help" "$(echo $out)"
out=$(complete_words start compl-box --)
expect_eq "start's options" "--bind --ephemeral --help" "$(echo $out)"
out=$(complete_words create x --from "")
expect_match "create --from <TAB> lists containers" '^compl-box$' "$out"
out=$(complete_words run compl-box --r)
expect_eq "crossroot run NAME --r<TAB> is --root" "--root" "$out"
out=$(complete_words create x --)
for o in --arch --suite --variant --include --components --mirror --keyring --offline --accel --quiet --from-tar --from-oci --from; do
	expect_match "create's options include $o" "^$o\$" "$out"
done
out=$(complete_words run compl-box -- --)
expect_eq "nothing of crossroot's after --" "" "$out"

out=$(complete_words config "")
expect_eq "config <TAB> lists the settings" "container mirror suite variant components check-valid-until binfmt" "$(echo $out)"
out=$(complete_words config suite "")
expect_eq "... only as its one argument" "" "$out"

out=$(complete_words check --)
expect_eq "check's options" "--json --help" "$(echo $out)"
out=$(complete_words binfmt status --)
expect_eq "binfmt status's options" "--json --help" "$(echo $out)"

out=$(complete_words binfmt "")
expect_eq "binfmt's subcommands" "status register unregister exec" "$(echo $out)"
out=$(complete_words job "")
expect_eq "job's subcommands" "list run timer" "$(echo $out)"
out=$(complete_words job run "")
expect_match "job run <TAB> lists the user's own job" '^probe$' "$out"
expect_match "... and the bundled ones" '^tpm2$' "$out"
out=$(complete_words job timer p)
expect_eq "job timer p<TAB> completes the job" "probe" "$out"
out=$(complete_words job run probe --container "")
expect_match "job run --container <TAB> lists containers" '^compl-box$' "$out"
out=$(complete_words job run probe --)
expect_eq "job run's options" "--container --set --help" "$(echo $out)"
out=$(complete_words accel "")
expect_eq "accel's subcommands" "enable disable status" "$(echo $out)"
out=$(complete_words accel enable "")
expect_match "accel enable <TAB> lists the user's container" '^compl-box$' "$out"
out=$(complete_words accel status compl)
expect_eq "accel status compl<TAB> completes the name" "compl-box" "$out"
out=$(complete_words accel disable compl-box "")
expect_eq "... only as its one argument" "" "$out"
out=$(complete_words accel enable --)
expect_eq "accel enable's options" "--help" "$(echo $out)"

# zsh and fish: syntax (contrib/install-deps.sh installs both).
if command -v zsh >/dev/null; then
	check "zsh -n _crossroot" zsh -n "$E2E_DIR/completion/_crossroot"
else
	not_ok "zsh is not installed (contrib/install-deps.sh installs it)"
fi
if command -v fish >/dev/null; then
	check "fish --no-execute crossroot.fish" fish --no-execute "$E2E_DIR/completion/crossroot.fish"
	out=$(as_user fish -c 'source $argv[1]; complete -C "crossroot cr"' "$E2E_DIR/completion/crossroot.fish")
	expect_match "fish: crossroot cr<TAB> completes to create" '^create' "$out"
	out=$(as_user fish -c 'source $argv[1]; complete -C "crossroot run --eph"' "$E2E_DIR/completion/crossroot.fish")
	expect_match "fish: crossroot run --eph<TAB> completes to --ephemeral" '^--ephemeral' "$out"
	out=$(as_user fish -c 'source $argv[1]; complete -C "crossroot create x --acc"' "$E2E_DIR/completion/crossroot.fish")
	expect_match "fish: crossroot create x --acc<TAB> completes to --accel" '^--accel' "$out"
	out=$(as_user fish -c 'source $argv[1]; complete -C "crossroot accel "' "$E2E_DIR/completion/crossroot.fish")
	expect_eq "fish: crossroot accel <TAB> lists its subcommands (sorted)" "disable enable status" \
		"$(printf '%s\n' "$out" | cut -f1 | xargs)"
	# fish matches completions to the command's name, so $CR is found through PATH.
	out=$(as_user env PATH="$E2E_DIR:/usr/local/bin:/usr/bin:/bin" \
		fish -c 'source $argv[1]; complete -C "crossroot accel enable "' "$E2E_DIR/completion/crossroot.fish")
	expect_match "fish: crossroot accel enable <TAB> lists the user's container" '^compl-box' "$out"
else
	not_ok "fish is not installed (contrib/install-deps.sh installs it)"
fi

# make install DESTDIR: the three files where each shell looks.
dest=$E2E_DIR/dest
out=$(make -C "$TESTS_DIR/.." install DESTDIR="$dest" PREFIX=/usr 2>&1) || diag "$out"
for f in share/bash-completion/completions/crossroot share/zsh/vendor-completions/_crossroot \
	share/fish/vendor_completions.d/crossroot.fish; do
	check "make install puts /usr/$f under DESTDIR" test -f "$dest/usr/$f"
done
check "... the bash one as shipped" cmp -s "$dest/usr/share/bash-completion/completions/crossroot" "$SRC/crossroot.bash"

done_testing
