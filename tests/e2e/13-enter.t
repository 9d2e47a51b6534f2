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

done_testing
