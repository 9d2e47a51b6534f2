#!/bin/bash
# crossroot enter under tmux: a real terminal inside, job control, window size.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || prereq_fail "tmux is not installed"
setup_mapped
create_container en arm64
session=crossroot-e2e-$$
done_file=$E2E_DIR/enter-done
touch "$done_file" && chmod a+w "$done_file" && : >"$done_file"

tmux_cmd="$CR enter en; echo rc=\$? > $done_file"
if [ -n "${E2E_CREATED_USER:-}" ]; then
	tmux_cmd="runuser -u $TEST_USER -- env -i HOME=$TEST_HOME PATH=/usr/bin:/bin TERM=xterm sh -c 'cd; $tmux_cmd'"
fi
tmux new-session -d -s "$session" -x 80 -y 24 "$tmux_cmd" || prereq_fail "tmux new-session"
trap 'tmux kill-session -t "$session" 2>/dev/null; _e2e_cleanup' EXIT

screen() { tmux capture-pane -p -t "$session" 2>/dev/null; }
# wait_for REGEX: up to 20 s for the screen to show it.
wait_for() {
	for _ in $(seq 200); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	diag "screen:" "$(screen)"
	return 1
}
type_line() { tmux send-keys -t "$session" "$1" Enter; }

check "a shell prompt appears" wait_for '[$#] *$'
type_line 'tty; test -c "$(tty)" && echo TTY-EXISTS'
check "tty names a devpts terminal" wait_for '^/dev/pts/[0-9]+'
check "... that exists inside" wait_for '^TTY-EXISTS'
type_line 'echo "SIZE $(stty size)"'
check "the window size is the outer terminal's" wait_for '^SIZE 24 80'
tmux resize-window -t "$session" -x 100 -y 30
sleep 0.5
type_line 'echo "SIZE2 $(stty size)"'
check "the window size follows a resize" wait_for '^SIZE2 30 100'

type_line '/bin/sleep 123'
sleep 1
tmux send-keys -t "$session" C-c
type_line 'echo AFTER-INT'
check "Ctrl-C interrupts the foreground command" wait_for '^AFTER-INT'
check "... which is gone" sh -c '! pgrep -f "/bin/[s]leep 123" >/dev/null'

type_line '/bin/sleep 321'
sleep 1
tmux send-keys -t "$session" C-z
check "Ctrl-Z stops the foreground command" wait_for '[Ss]topped'
type_line 'jobs; echo JOBS-DONE'
check "the stopped job is listed" wait_for 'sleep 321'
type_line 'kill -9 %1; wait; echo KILLED'
check "job control commands work" wait_for '^KILLED'

type_line 'exit 7'
# ash refuses the first exit after a job was stopped ("You have stopped jobs").
sleep 0.5
[ -s "$done_file" ] || type_line 'exit 7'
for _ in $(seq 100); do [ -s "$done_file" ] && break; sleep 0.1; done
expect_eq "enter exits with the shell's status" "rc=7" "$(cat "$done_file")"

# The outer terminal going away hangs up the shell inside, and crossroot returns.
tmux new-session -d -s "$session-2" -x 80 -y 24 "$tmux_cmd"
sleep 2
: >"$done_file"
tmux kill-session -t "$session-2"
for _ in $(seq 100); do pgrep -f "crossroot enter en" >/dev/null || break; sleep 0.1; done
check "when the outer terminal goes away, enter ends" sh -c '! pgrep -f "crossroot [e]nter en" >/dev/null'

err=$(as_user "$CR" enter en </dev/null 2>&1); rc=$?
expect_eq "enter without a terminal exits 125" 125 "$rc"
expect_match "... saying to use run" "needs a terminal" "$err"

# in_terminal LABEL LINE: run the shell command line LINE as the test user on a
# new 80x24 tmux terminal, in the background.  term_wait then waits up to 20 s
# for LINE to end and sets term_rc (its status; empty when it did not end) and
# term_screen (what the terminal showed).
term_script=$E2E_DIR/term.sh
in_terminal() {
	local cmd="sh $term_script"

	term_session=$session-$1
	printf 'cd\n%s\necho "rc=$?" >%s\nexec sleep 100\n' "$2" "$done_file" >"$term_script"
	chmod a+r "$term_script"
	: >"$done_file"
	[ -n "${E2E_CREATED_USER:-}" ] &&
		cmd="runuser -u $TEST_USER -- env -i HOME=$TEST_HOME PATH=/usr/bin:/bin TERM=xterm $cmd"
	tmux new-session -d -s "$term_session" -x 80 -y 24 "$cmd" || prereq_fail "tmux new-session"
}
term_wait() {
	for _ in $(seq 200); do [ -s "$done_file" ] && break; sleep 0.1; done
	term_rc=$(sed -n 's/^rc=//p' "$done_file")
	term_screen=$(tmux capture-pane -p -t "$term_session")
	tmux kill-session -t "$term_session" 2>/dev/null
}
# in_terminal_wait LABEL LINE: both.
in_terminal_wait() {
	in_terminal "$@"
	term_wait
}

# What the command sees of its terminal, from inside ($HOME is bound there).
cat >"$TEST_HOME/ttycheck.sh" <<'END'
t=$(/bin/tty) || exit 9
echo "TTY $t"
test -c "$t" && echo "EXISTS $t"
echo "SIZE $(/bin/stty size)"
END
printf 'a\nb\n' >"$TEST_HOME/ab"
chmod a+r "$TEST_HOME/ttycheck.sh" "$TEST_HOME/ab"

# run_tty_checks STATE: crossroot run from a terminal on container en, which is STATE.
run_tty_checks() {
	in_terminal_wait tty "$CR run en -- /bin/tty"
	expect_match "run from a terminal ($1): tty names a devpts terminal" '^/dev/pts/[0-9]+' "$term_screen"
	expect_eq "... and exits 0" 0 "$term_rc"
	in_terminal_wait ttycheck "$CR run en -- /bin/sh $TEST_HOME/ttycheck.sh"
	expect_match "run from a terminal ($1): that terminal exists inside" '^EXISTS /dev/pts/[0-9]+' "$term_screen"
	expect_match "... with the outer terminal's window size from the start" '^SIZE 24 80' "$term_screen"

	in_terminal_wait exit42 "$CR run en -- /usr/bin/payload exit 42"
	expect_eq "run from a terminal ($1): exit 42 passes through" 42 "$term_rc"
	in_terminal_wait kill "$CR run en -- /bin/sh -c 'kill -KILL \$\$'"
	expect_eq "run from a terminal ($1): death by SIGKILL gives 137" 137 "$term_rc"
	in_terminal_wait notfound "$CR run en -- /no/such/cmd"
	expect_eq "run from a terminal ($1): a command not found gives 127" 127 "$term_rc"
	expect_match "... named" "/no/such/cmd: No such file or directory" "$term_screen"

	in_terminal sigint "$CR run en -- /usr/bin/payload signals"
	wait_for_in "$term_session" '^ready'
	tmux send-keys -t "$term_session" C-c
	term_wait
	expect_eq "run from a terminal ($1): Ctrl-C reaches the command as SIGINT" "102" "$term_rc"
	in_terminal sigterm "$CR run en -- /usr/bin/payload signals"
	wait_for_in "$term_session" '^ready'
	pkill -TERM -n -f "$CR run en -- /usr/bin/payload signals"
	term_wait
	expect_eq "run from a terminal ($1): SIGTERM sent to crossroot reaches the command" "115" "$term_rc"

	# stdout into a pipe: no terminal inside, and the output passes through unchanged (no CR added).
	in_terminal_wait pipe "$CR run en -- /bin/cat $TEST_HOME/ab | od -An -c | tr -d ' '"
	expect_match "run from a terminal into a pipe ($1): the output is unchanged" '^a\\nb\\n$' "$term_screen"
	in_terminal_wait pipetty "$CR run en -- /bin/tty | cat"
	expect_match "... and the command has no terminal" '^not a tty|^not a terminal' "$term_screen"
	# stderr redirected: it stays the caller's, apart from the terminal.
	in_terminal_wait stderr "$CR run en -- /bin/sh -c 'echo OUT; echo ERR >&2' 2>$TEST_HOME/err.txt"
	expect_eq "run from a terminal, stderr into a file ($1): stderr goes to the file" ERR \
		"$(cat "$TEST_HOME/err.txt")"
	expect_match "... and stdout to the terminal" '^OUT' "$term_screen"
}
# wait_for_in SESSION REGEX: up to 20 s for that terminal to show it.
wait_for_in() {
	for _ in $(seq 200); do
		tmux capture-pane -p -t "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

run_tty_checks stopped
as_user "$CR" start en || prereq_fail "crossroot start en"
run_tty_checks started
# A process the command leaves running with the terminal open does not keep run waiting.
in_terminal_wait background "$CR run en -- /bin/sh -c 'trap \"\" HUP; /bin/sleep 60 & echo BG'"
expect_eq "run from a terminal (started): a background process holding the terminal does not hold run" 0 "$term_rc"
as_user "$CR" stop en

done_testing
