#!/bin/bash
# Started containers: state that lasts across runs, run joins like podman
# exec, stop leaves nothing, and list never reports a state that is not true.
. "$(dirname "$0")/lib.sh"
setup_mapped
create_container st arm64
run() { as_user "$CR" run "$@"; }
state_of() { as_user "$CR" list --json | tr -d ' \n' | grep -o "\"name\":\"$1\",[^}]*" | sed 's/.*"state":"\([a-z]*\)".*/\1/'; }

expect_eq "a new container is stopped" stopped "$(state_of st)"
as_user "$CR" start st; expect_eq "start exits 0" 0 $?
expect_eq "list shows it started" started "$(state_of st)"
expect_match "list shows arch, mode and state, and no size" '^st +arm64 +mapped +started$' "$(as_user "$CR" list)"
expect_match "list --size adds the size" '^st +arm64 +mapped +started +[0-9.]+[KM]$' "$(as_user "$CR" list --size)"
# json_objects: each object of a JSON array on stdin as "key=value,..." (python3 parses it).
json_objects() { python3 -c 'import json, sys
for o in json.load(sys.stdin): print(",".join("%s=%s" % kv for kv in o.items()))'; }
expect_eq "list --json has no size without --size" "name=st,arch=arm64,mode=mapped,state=started" \
	"$(as_user "$CR" list --json | json_objects)"
expect_match "list --json --size has it in bytes" '^name=st,arch=arm64,mode=mapped,state=started,size=[0-9]+$' \
	"$(as_user "$CR" list --json --size | json_objects)"
err=$(as_user "$CR" start st 2>&1); rc=$?
expect_eq "starting it again exits 1" 1 "$rc"
expect_match "... saying it is started" "already started" "$err"

run st -- /bin/sh -c 'echo kept > /dev/shm/note'
expect_eq "a file in a tmpfs inside outlives the run that wrote it" kept "$(run st -- /bin/cat /dev/shm/note)"
run st -- /bin/sh -c '/bin/sleep 400 >/dev/null 2>&1 &'
sleep 0.3
expect_match "what a run leaves running stays, seen from the next run" "sleep 400" "$(run st -- /bin/ps)"
expect_match "the binfmt entries stay" '^enabled$' "$(run st -- /bin/cat /proc/sys/fs/binfmt_misc/crossroot-aarch64)"
expect_eq "run joins as the user" "uid=$TEST_UID" "$(run st -- /usr/bin/payload id | cut -d' ' -f1)"
expect_eq "run --root joins as root" "uid=0" "$(run st --root -- /usr/bin/payload id | cut -d' ' -f1)"
run st -- /usr/bin/payload exit 42; expect_eq "exit 42 passes through from a started container" 42 $?
run st -- /bin/sh -c 'kill -KILL $$'; expect_eq "SIGKILL gives 137 in a started container" 137 $?
run st -- /no/such 2>/dev/null; expect_eq "not found gives 127 in a started container" 127 $?
run st -- /etc/passwd 2>/dev/null; expect_eq "not executable gives 126 in a started container" 126 $?
err=$(run st --bind /tmp -- /bin/true 2>&1); rc=$?
expect_eq "--bind on a started container gives 125" 125 "$rc"
expect_match "... saying to give it to start" "give --bind to start" "$err"

init=$(cut -d' ' -f1 "$TEST_HOME/.local/share/crossroot/containers/st/state")
mntns=$(readlink "/proc/$init/ns/mnt")
check "the init is alive while started" kill -0 "$init"
as_user "$CR" stop st; expect_eq "stop exits 0" 0 $?
expect_eq "list shows it stopped" stopped "$(state_of st)"
# Its parent (crossroot start) is gone, so reaping it falls to the host's init: a zombie counts as gone.
check "the init is gone" sh -c "! kill -0 $init 2>/dev/null || grep -q '^State:.*Z' /proc/$init/status"
check "no process is left in the container's mount namespace" \
	sh -c "for ns in /proc/[0-9]*/ns/mnt; do [ \"\$(readlink \$ns 2>/dev/null)\" = '$mntns' ] && exit 1; done; exit 0"
check "the process a run left running is gone" sh -c '! pgrep -f "/bin/[s]leep 400" >/dev/null'
err=$(as_user "$CR" stop st 2>&1); rc=$?
expect_eq "stopping a stopped container exits 1" 1 "$rc"
expect_match "... saying it is not started" "is not started" "$err"
expect_eq "a run after stop sets up a fresh container: the tmpfs is new" "" "$(run st -- /bin/sh -c 'cat /dev/shm/note 2>/dev/null')"

# Two starts at once: exactly one wins, the other says why.
as_user "$CR" start st >"$E2E_DIR/start1" 2>&1 & p1=$!
as_user "$CR" start st >"$E2E_DIR/start2" 2>&1 & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
expect_eq "of two concurrent starts exactly one succeeds" "0 1" "$(printf '%s\n' $r1 $r2 | sort | tr '\n' ' ' | sed 's/ $//')"
expect_match "the other gets a clear error" "already started|being started" "$(cat "$E2E_DIR/start1" "$E2E_DIR/start2")"
as_user "$CR" stop st

# crossroot killed with SIGKILL in the middle of start: list tells the truth.
for delay in 0.01 0.03 0.06 0.1 0.2; do
	as_user "$CR" start st >/dev/null 2>&1 &
	sleep "$delay"
	# The oldest process whose command line starts with the binary: crossroot, not runuser.
	pkill -KILL -o -f "^$CR start st" 2>/dev/null
	wait
	sleep 0.2
	state=$(state_of st)
	if [ "$state" = started ]; then
		run st -- /bin/true
		expect_eq "killed after ${delay}s: list says started, and it is" "started:0" "$state:$?"
		as_user "$CR" stop st
	else
		left=$(pgrep -f "^$CR start st" | wc -l)
		expect_eq "killed after ${delay}s: list says stopped, and nothing of it runs" "stopped:0" "$state:$left"
	fi
done
as_user "$CR" start st; expect_eq "start works after the interrupted ones" 0 $?
as_user "$CR" stop st

done_testing
