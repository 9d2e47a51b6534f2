#!/bin/bash
# The job runner: job.conf, settings, binds, isolation, logs, time limit,
# host commands, timers and bad job files.  The jobs here are test jobs of
# the user's own, run in an arm64 container of the test rootfs (--container):
# the runner does not depend on the arch.  The bundled jobs have tests of
# their own (31-jobs.t).
. "$(dirname "$0")/lib.sh"
[ -n "${E2E_CREATED_USER:-}" ] || prereq_fail "a device node for the job to declare needs root (mknod): run the tests as root"
command -v systemd-analyze >/dev/null || prereq_fail "systemd-analyze is not installed (contrib/install-deps.sh installs systemd)"
setup_mapped
# A device the job declares and the host has: a null device of the test's own.
mknod -m 0666 /dev/crossroot-probe-null c 1 3 || prereq_fail "mknod /dev/crossroot-probe-null"
trap 'rm -f /dev/crossroot-probe-null; _e2e_cleanup' EXIT
JOBS=$TEST_HOME/.config/crossroot/jobs
STATE=$TEST_HOME/.local/state/crossroot/jobs
as_user mkdir -p "$JOBS"
cp -r "$TESTS_DIR/e2e/jobs/probe" "$TESTS_DIR/e2e/jobs/slow" "$JOBS/"
chown -R "$TEST_USER:" "$TEST_HOME/.config"
export CROSSROOT_JOBS_DIR=$TESTS_DIR/../contrib/jobs
job() { as_user env CROSSROOT_JOBS_DIR="$CROSSROOT_JOBS_DIR" "$CR" job "$@"; }
as_user "$CR" create box --arch arm64 --from-tar "$E2E_DIR/rootfs/rootfs-arm64.tar" >/dev/null ||
	prereq_fail "create an arm64 container from the test rootfs"

out=$(job list); rc=$?
expect_eq "job list exits 0" 0 "$rc"
expect_match "... shows the user's own jobs" '^probe +yours +Reports its view' "$out"
expect_match "... and the bundled ones" '^cert-renew +bundled ' "$out"
expect_match "... all of them" '^tpm2 +bundled ' "$out"

# A run: exit status, environment, binds, no capabilities, no $HOME.
echo "data of the user" >"$TEST_HOME/data.txt"
echo "secret" >"$TEST_HOME/secret.txt"
as_user mkdir "$TEST_HOME/out"
chown "$TEST_USER:" "$TEST_HOME/data.txt" "$TEST_HOME/secret.txt"
touch /var/tmp/crossroot-probe-marker
out=$(job run probe --container box --set greeting=hello --set data=data.txt --set secret="$TEST_HOME/secret.txt" \
	--set outdir=out -- 7 "$TEST_HOME" 2>"$E2E_DIR/err"); rc=$?
rm -f /var/tmp/crossroot-probe-marker
expect_eq "the script's exit status is the run's" 7 "$rc"
expect_match "the script gets the arguments after --" "^args=7 $TEST_HOME\$" "$out"
expect_match "it runs as the user" "^uid=$TEST_UID\$" "$out"
expect_match "in its state directory, at /job/state" '^pwd=/job/state$' "$out"
expect_match "... which is its HOME" '^home=/job/state$' "$out"
expect_match "text settings come as JOB_SET_NAME" '^greeting=hello$' "$out"
expect_match "env lines of job.conf are set" '^fixed=fixed value$' "$out"
expect_match "file settings are bound at /job/set/NAME (a relative path taken from the caller's directory)" \
	'^data-content=data of the user$' "$out"
expect_match "... read-only unless rw" '^data-writable=no$' "$out"
expect_match "dir settings rw can be written" '^outdir-written=yes$' "$out"
expect_eq "... and what was written is on the host" made "$(cat "$TEST_HOME/out/made-by-probe")"
expect_match "once settings are there for the run" '^secret-content=secret$' "$out"
expect_match "command settings are never seen inside" '^reload-env=unset$' "$out"
expect_match "the user's home directory is not visible" '^host-path=hidden$' "$out"
expect_match "nor the host's /var/tmp" '^var-tmp=own$' "$out"
expect_match "no effective capabilities" '^CapEff=0000000000000000$' "$out"
expect_match "an empty bounding set (nothing inside can get one back)" '^CapBnd=0000000000000000$' "$out"
expect_match "no_new_privs" '^NoNewPrivs=1$' "$out"
expect_match "the job directory is read-only" '^lib=read-only$' "$out"
expect_match "a device the host lacks is absent" '^absent=absent$' "$out"
expect_match "a declared device the host has is there" '^node=present$' "$out"
expect_match "stderr stays stderr" '^to-stderr$' "$(cat "$E2E_DIR/err")"
expect_eq "the state directory is private" 700 "$(stat -c %a "$STATE/probe")"

# Settings are kept, except once ones; NAME= unsets.
out=$(job run probe --container box 2>&1); rc=$?
expect_eq "a second run without --set exits 0" 0 "$rc"
expect_match "... with the saved settings" '^greeting=hello$' "$out"
expect_match "... but not the once ones" 'secret=unset$' "$out"
expect_match "... and the state kept" '^runs=2$' "$out"
out=$(job run probe --container box --set data= 2>&1)
expect_match "NAME= unsets a setting" '^data=unset ' "$out"
out=$(job run probe --container box --set greeting= 2>&1); rc=$?
expect_eq "a required setting unset: exit 125" 125 "$rc"
expect_match "... naming it" "needs setting 'greeting': give --set greeting=VALUE" "$out"
out=$(job run probe --container box --set nosuch=1 2>&1); rc=$?
expect_eq "an unknown setting: exit 125" 125 "$rc"
expect_match "... listing the job's settings" "has no setting 'nosuch' \(its settings: greeting data outdir secret reload\)" "$out"
out=$(job run probe --container box --set data=/nonexistent 2>&1); rc=$?
expect_eq "a file setting that is no file: exit 125" 125 "$rc"
expect_match "... naming it" "setting 'data': /nonexistent is not a file you can read" "$out"

# Logs: the output of each run, the last 10 kept.
log=$(ls "$STATE/probe/logs" | tail -n 1)
expect_match "the run's output is logged" '^greeting=hello$' "$(cat "$STATE/probe/logs/$log")"
expect_match "... stderr too" '^to-stderr$' "$(cat "$STATE/probe/logs/$log")"
expect_match "... with the exit status" '^# exit status 0 ' "$(cat "$STATE/probe/logs/$log")"
for i in $(seq 1 11); do job run probe --container box >/dev/null 2>&1; done
expect_eq "the last 10 runs' logs are kept" 10 "$(ls "$STATE/probe/logs" | wc -l)"

# A command setting runs on the host after a run that exits 0 and says it changed something.
hostfile=$TEST_HOME/reloaded
out=$(job run probe --container box --set reload="echo \$JOB_NAME >$hostfile" -- 0 x changed 2>&1); rc=$?
expect_eq "a run that changed something exits 0" 0 "$rc"
expect_eq "... and its command ran on the host" probe "$(cat "$hostfile" 2>&1)"
rm -f "$hostfile"
job run probe --container box >/dev/null 2>&1
check "no command when nothing changed" test ! -e "$hostfile"
job run probe --container box -- 3 x changed >/dev/null 2>&1
check "no command when the run failed" test ! -e "$hostfile"
out=$(job run probe --container box --set reload="exit 9" -- 0 x changed 2>&1); rc=$?
expect_eq "a failed command: its exit status" 9 "$rc"
expect_match "... reported" "the reload command failed \(exit status 9\)" "$out"
job run probe --container box --set reload= >/dev/null 2>&1

# A job cannot steer the runner: it writes its state directory, so nothing
# there is trusted.  A job plants settings (a home-directory bind, a host
# command) and a logs symlink, then runs again.
mkdir -p "$JOBS/planter"
printf 'description plants things\nsetting out dir rw optional\nsetting reload command optional\n' >"$JOBS/planter/job.conf"
cat >"$JOBS/planter/run" <<'RUN'
#!/bin/sh
ls "${JOB_SET_OUT:-/nonexistent}" 2>/dev/null | head -n 3 | sed 's/^/out: /'
printf 'out=%s\nreload=touch %s\n' "$1" "$2" >/job/state/settings
rm -rf /job/state/logs && ln -s "$1/important" /job/state/logs
ls /proc/self/fd | tr '\n' ' ' | sed 's/^/fds: /'; echo
cat <&7 2>/dev/null && echo "fd7-readable"
touch /job/state/changed
RUN
chmod 755 "$JOBS/planter/run" && chown -R "$TEST_USER:" "$JOBS"
as_user mkdir "$TEST_HOME/important"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do as_user touch "$TEST_HOME/important/2020-$i.log"; done
echo "the user's secret" >"$TEST_HOME/secret.txt"
job run planter --container box -- "$TEST_HOME" "$TEST_HOME/host-command-ran" >/dev/null 2>&1
out=$(as_user bash -c 'exec 7<"$1"; shift; exec "$@"' bash "$TEST_HOME/secret.txt" \
	env CROSSROOT_JOBS_DIR="$CROSSROOT_JOBS_DIR" "$CR" job run planter --container box -- "$TEST_HOME" \
	"$TEST_HOME/host-command-ran" 2>&1); rc=$?
check "settings a job planted in its state directory bind nothing" bash -c '! grep -q "^out: " <<<"$1"' bash "$out"
check "... and run no command on the host" test ! -e "$TEST_HOME/host-command-ran"
expect_eq "a logs symlink the job planted is not followed: nothing outside is removed" 12 "$(ls "$TEST_HOME/important" | wc -l)"
expect_eq "... and the run fails saying why" 125 "$rc"
expect_match "... naming the directory" "logs is not a directory \(did the job replace it\?\)" "$out"
rm -f "$STATE/planter/logs"
out=$(as_user bash -c 'exec 7<"$1"; shift; exec "$@"' bash "$TEST_HOME/secret.txt" \
	env CROSSROOT_JOBS_DIR="$CROSSROOT_JOBS_DIR" "$CR" job run planter --container box -- "$TEST_HOME" \
	"$TEST_HOME/host-command-ran" 2>&1)
expect_match "a job sees only its standard streams" '^fds: 0 1 2 [0-9]+ $' "$out"
check "... not a file the caller had open" bash -c '! grep -q fd7-readable <<<"$1"' bash "$out"

# The time limit kills everything the job started, however it was started.
start=$(date +%s)
out=$(job run slow --container box 2>&1); rc=$?
took=$(($(date +%s) - start))
expect_eq "a job past its time limit exits 124" 124 "$rc"
expect_match "... saying so" "time limit of 3 s reached" "$out"
check "... promptly ($took s for a 3 s limit)" test "$took" -lt 30
sleep 1
expect_eq "... and leaves no process behind" "" "$(pgrep -f 'sleep 987[1-4]')"

# A started container is refused: a job's binds and time limit are its own.
as_user "$CR" start box >/dev/null
out=$(job run probe --container box 2>&1); rc=$?
expect_eq "a started container: exit 125" 125 "$rc"
expect_match "... saying to stop it" "is started; .*crossroot stop box" "$out"
as_user "$CR" stop box

# A container without the job's packages is refused, naming them.
mkdir -p "$JOBS/needy" && printf 'description needs packages\npackages certbot openssl\n' >"$JOBS/needy/job.conf"
printf '#!/bin/sh\nexit 0\n' >"$JOBS/needy/run" && chmod 755 "$JOBS/needy/run" && chown -R "$TEST_USER:" "$JOBS"
out=$(job run needy --container box 2>&1); rc=$?
expect_eq "a container lacking packages: exit 125" 125 "$rc"
expect_match "... naming them" "lacks packages it needs: certbot openssl" "$out"
expect_match "... and how to install them" "crossroot run box --root -- apt-get install -y certbot openssl" "$out"

# Bad job files fail naming the file and the line.
bad() { # bad DESCRIPTION CONF PATTERN
	mkdir -p "$JOBS/bad" && printf '%b' "$2" >"$JOBS/bad/job.conf"
	printf '#!/bin/sh\n' >"$JOBS/bad/run" && chmod 755 "$JOBS/bad/run" && chown -R "$TEST_USER:" "$JOBS"
	out=$(job run bad --container box 2>&1); rc=$?
	expect_eq "$1: exit 125" 125 "$rc"
	expect_match "... naming the file and line" "$3" "$out"
}
bad "an unknown key" 'description x\nfrobnicate yes\n' "$JOBS/bad/job.conf:2: unknown key 'frobnicate'"
bad "a bind the user cannot read" '# binds\nbind /root ro\n' "$JOBS/bad/job.conf:2: bind /root ro: you cannot read it"
bad "a bind without ro or rw" 'bind /tmp\n' "$JOBS/bad/job.conf:1: "
bad "a bad timeout" '\n\ntimeout soon\n' "$JOBS/bad/job.conf:3: timeout 'soon'"
bad "a bad setting type" 'setting key blob required\n' "$JOBS/bad/job.conf:1: unknown setting type 'blob'"
printf 'description no script\n' >"$JOBS/bad/job.conf" && rm "$JOBS/bad/run"
out=$(job run bad --container box 2>&1); rc=$?
expect_eq "a missing script: exit 125" 125 "$rc"
expect_match "... naming it" "the script $JOBS/bad/run is missing" "$out"
out=$(job run nosuchjob 2>&1); rc=$?
expect_eq "an unknown job: exit 125" 125 "$rc"
expect_match "... saying where it looked" "no job named 'nosuchjob' in $JOBS or " "$out"
out=$(job run 2>&1); rc=$?
expect_eq "no job name: exit 125" 125 "$rc"
out=$(job run ../x 2>&1); rc=$?
expect_match "a job name with a slash is refused" "invalid job name" "$out"

# Timers: the units are written (or printed without systemd).
out=$(job timer probe --on-calendar daily --print); rc=$?
expect_eq "job timer --print exits 0" 0 "$rc"
expect_match "... prints the service" "^ExecStart=\"$CR\" job run probe\$" "$out"
expect_match "... and the timer" '^OnCalendar=daily$' "$out"
expect_match "... persistent" '^Persistent=true$' "$out"
out=$(job timer probe --on-calendar daily 2>&1); rc=$?
units=$TEST_HOME/.config/systemd/user
check "job timer writes the service" grep -q "^ExecStart=\"$CR\" job run probe\$" "$units/crossroot-job-probe.service"
check "... and the timer" grep -q '^OnCalendar=daily$' "$units/crossroot-job-probe.timer"
if [ -d /run/systemd/system ]; then
	# The test user has no user manager (no session, no linger): enabling fails, saying what to do.
	expect_eq "... and, systemd running without a user manager, exits 1" 1 "$rc"
	expect_match "... saying how to enable it" "systemctl --user daemon-reload && systemctl --user enable --now crossroot-job-probe.timer" "$out"
else
	expect_eq "... and, systemd not running here, exits 0" 0 "$rc"
	expect_match "... saying nothing was enabled and how to" "systemd does not run this machine: nothing enabled" "$out"
fi
{
	out=$(job timer probe --on-calendar 'not a time' 2>&1); rc=$?
	expect_eq "a calendar spec systemd rejects is bad usage" 2 "$rc"
	dir=$E2E_DIR/units && mkdir -p "$dir"
	job timer probe --on-calendar daily --print | awk -v d="$dir" '/^# .*\.(service|timer)$/ { f = d "/" substr($2, match($2, /[^\/]*$/)); next } /^# / { next } f { print > f }'
	check "the units pass systemd-analyze verify" \
		systemd-analyze verify --man=no "$dir/crossroot-job-probe.timer" "$dir/crossroot-job-probe.service"
}

done_testing
