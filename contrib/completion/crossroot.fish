# SPDX-License-Identifier: LGPL-2.1-or-later
# fish completion for crossroot(1).  Installed by `make install` as
# $(PREFIX)/share/fish/vendor_completions.d/crossroot.fish.
#
# What is completed comes from the crossroot being completed, run as you:
# container names and jobs from the first column of `crossroot list` and
# `crossroot job list`, architectures from the first column of `crossroot binfmt status`
# (every architecture crossroot knows; the static list below is used only
# when that fails).  Verbs and options follow each command's --help.

# The crossroot on the command line (build/crossroot, ~/bin/crossroot, ...).
function __crossroot_bin
    set -l cmd (commandline -opc)
    echo $cmd[1]
end

function __crossroot_containers
    set -l cr (__crossroot_bin)
    $cr list 2>/dev/null | tail -n +2 | string replace -rf '^(\S+).*' '$1'
end

function __crossroot_jobs
    set -l cr (__crossroot_bin)
    $cr job list 2>/dev/null | awk 'NR > 1 && NF { print $1 }'
end

function __crossroot_arches
    set -l cr (__crossroot_bin)
    set -l arches ($cr binfmt status 2>/dev/null | awk 'NR > 1 && NF { print $1 }')
    # Fallback: binfmt/arch.c's table, as of this version.
    test (count $arches) -gt 0
    or set arches amd64 i386 arm64 armhf armel ppc64el ppc64 s390x riscv64 mips64el mipsel loong64
    printf '%s\n' $arches
end

# The verb (the first word after crossroot; crossroot's own options take no
# value) and, for binfmt, job and accel, the subcommand (the next word that
# is not an option).
function __crossroot_verb
    set -l words (commandline -opc)
    set -e words[1]
    for w in $words
        string match -q -- '-*' $w; or begin
            echo $w
            return
        end
    end
end

function __crossroot_sub
    set -l words (commandline -opc)
    set -e words[1]
    set -l verb
    for w in $words
        string match -q -- '-*' $w; and continue
        if test -z "$verb"
            set verb $w
        else
            echo $w
            return
        end
    end
end

# __crossroot_verb_is VERB...: the verb is one of these.
function __crossroot_verb_is
    contains -- (__crossroot_verb) $argv
end

# __crossroot_sub_is VERB SUB...: the verb is VERB and its subcommand one of SUBs
# (none given: no subcommand yet).
function __crossroot_sub_is -a verb
    set -l v (__crossroot_verb)
    test "$v" = $verb; or return 1
    set -l sub (__crossroot_sub)
    if test (count $argv) -eq 1
        test -z "$sub"
    else
        contains -- "$sub" $argv[2..-1]
    end
end

# The words before the cursor after the verb (and binfmt's, job's or accel's
# subcommand), options and their values left out, up to a "--".
# Prints "dashdash" instead when the cursor is after "--".
function __crossroot_positionals
    set -l words (commandline -opc)
    set -e words[1]
    set -l argopts --user --arch --suite --variant --include --components --mirror --keyring --from-tar --from-oci --from --format \
        --bind --cwd --env --container --set --on-calendar
    set -l skip 0
    set -l verb
    set -l needsub 0
    for w in $words
        if test $skip -eq 1
            set skip 0
            continue
        end
        if test "$w" = --
            echo dashdash
            return
        end
        switch $w
            case '--*=*'
                continue
            case '-*'
                contains -- $w $argopts; and set skip 1
                continue
        end
        if test -z "$verb"
            set verb $w
            contains -- $w binfmt job accel; and set needsub 1
        else if test $needsub -eq 1
            set needsub 0
        else
            echo $w
        end
    end
end

# True when the cursor is at the Nth positional argument of the verb.
function __crossroot_at_arg -a n
    set -l pos (__crossroot_positionals)
    contains -- dashdash $pos; and return 1
    test (count $pos) -eq (math $n - 1)
end

function __crossroot_after_dashdash
    contains -- dashdash (__crossroot_positionals)
end

complete -c crossroot -f
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -l help -d 'Show help'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -l version -d 'Show the version'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a check -d 'Report what this host supports and what to change'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a setup -d 'root: give a user a persistent user namespace'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a teardown -d 'root: undo setup for a user'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a create -d 'Bootstrap a Debian container, or import a rootfs tarball'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a start -d 'Start a container: it keeps its mounts until stop'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a stop -d 'Stop a container and everything in it'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a run -d 'Run a command in a container'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a enter -d 'Open a shell in a container'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a list -d 'List your containers'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a prune -d 'Remove from the cache what nothing uses'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a rm -d 'Remove a container'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a export -d "Write a container's rootfs as a tarball or an OCI image"
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a config -d 'Show the settings in force and where each comes from'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a binfmt -d 'Show, register or use binfmt_misc entries'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a job -d 'List, run or schedule jobs'
complete -c crossroot -n 'test -z "$(__crossroot_verb)"' -a accel -d "Run a container's compilers natively"

# Every verb and subcommand takes --help.
complete -c crossroot -n 'test -n "$(__crossroot_verb)"; and not __crossroot_after_dashdash' -l help -d "Show the command's help"

# setup, teardown
complete -c crossroot -n '__crossroot_verb_is setup teardown' -l user -x -a '(__fish_complete_users)' -d 'The user'
complete -c crossroot -n '__crossroot_verb_is setup' -l all -d 'Every user with a range in /etc/subuid'

# list
complete -c crossroot -n '__crossroot_verb_is list check' -l json -d 'Print JSON'
complete -c crossroot -n '__crossroot_sub_is binfmt status' -l json -d 'Print JSON'
complete -c crossroot -n '__crossroot_verb_is list' -l size -d "Add each rootfs's disk usage"
complete -c crossroot -n '__crossroot_verb_is prune' -l all -d 'Empty the cache'
complete -c crossroot -n '__crossroot_verb_is prune' -l dry-run -d 'Only say what would go'

# config
complete -c crossroot -n '__crossroot_verb_is config; and test (count (commandline -opc)) -le 2' -a 'container mirror suite variant components check-valid-until binfmt' -d 'Setting'

# create
set -l cr_create '__crossroot_verb_is create'
complete -c crossroot -n $cr_create -l arch -x -a '(__crossroot_arches)' -d 'Architecture'
complete -c crossroot -n $cr_create -l suite -x -a 'bookworm trixie sid stable testing unstable' -d 'Debian suite'
complete -c crossroot -n $cr_create -l variant -x -a 'minbase buildd' -d 'Package set'
complete -c crossroot -n $cr_create -l include -x -d 'More packages (comma-separated)'
complete -c crossroot -n $cr_create -l components -x -a 'main contrib non-free non-free-firmware' \
    -d 'Archive components (comma-separated)'
complete -c crossroot -n $cr_create -l mirror -x -d 'The archive (URL)'
complete -c crossroot -n $cr_create -l keyring -r -F -d 'Keyring for InRelease'
complete -c crossroot -n $cr_create -l offline -d 'Use only the cache'
complete -c crossroot -n $cr_create -l dpkg -x -a 'host emulated' -d 'Which dpkg installs the packages'
complete -c crossroot -n $cr_create -l accel -d 'Then run its compilers natively'
complete -c crossroot -n $cr_create -l quiet -d 'No progress'
complete -c crossroot -n $cr_create -l from-tar -r -F -d 'Import a rootfs tarball'
complete -c crossroot -n $cr_create -l from-oci -r -F -d 'Import an OCI image (layout directory or archive)'
complete -c crossroot -n $cr_create -l from -x -a '(__crossroot_containers)' -d 'Copy a container'

# Verbs whose first argument is a container.
complete -c crossroot -n '__crossroot_verb_is start stop run enter rm export; and __crossroot_at_arg 1' \
    -a '(__crossroot_containers)' -d Container
complete -c crossroot -n '__crossroot_verb_is export; and __crossroot_at_arg 2' -F -d 'Tarball, OCI archive or directory'
complete -c crossroot -n '__crossroot_verb_is export' -l format -x -a 'tar oci' -d 'A tarball or an OCI image'
complete -c crossroot -n '__crossroot_verb_is start run enter; and not __crossroot_after_dashdash' \
    -l bind -r -F -d 'Bind a host path: SRC[:DST[:ro]]'
complete -c crossroot -n '__crossroot_verb_is run enter; and not __crossroot_after_dashdash' \
    -l root -d 'Run as uid 0 with a build-safe set of capabilities'
complete -c crossroot -n '__crossroot_verb_is run enter; and not __crossroot_after_dashdash' \
    -l cwd -x -d 'Working directory inside'
complete -c crossroot -n '__crossroot_verb_is run enter; and not __crossroot_after_dashdash' \
    -l env -x -d 'Set a variable: KEY=VALUE'
complete -c crossroot -n '__crossroot_verb_is start run enter; and not __crossroot_after_dashdash' \
    -l ephemeral -d 'On a copy-on-write view of the rootfs, thrown away afterwards'
# The command after "--" runs in the container, which the host cannot see: file names.
complete -c crossroot -n '__crossroot_verb_is run job; and __crossroot_after_dashdash' -F

# binfmt
complete -c crossroot -n '__crossroot_sub_is binfmt' \
    -a status -d 'Table of architectures, emulators and binfmt entries'
complete -c crossroot -n '__crossroot_sub_is binfmt' \
    -a register -d "Register crossroot's entries host-wide (root)"
complete -c crossroot -n '__crossroot_sub_is binfmt' \
    -a unregister -d "Remove crossroot's host-wide entries (root)"
complete -c crossroot -n '__crossroot_sub_is binfmt' \
    -a exec -d 'Run a host command in a sandboxed binfmt_misc'
complete -c crossroot -n '__crossroot_sub_is binfmt exec; and not __crossroot_after_dashdash' \
    -l arch -x -a '(__crossroot_arches)' -d "Fail unless ARCH's entry is in place"
complete -c crossroot -n '__crossroot_sub_is binfmt exec; and __crossroot_after_dashdash' \
    -a '(__fish_complete_command)'

# job
complete -c crossroot -n '__crossroot_sub_is job' \
    -a list -d 'List the bundled jobs and yours'
complete -c crossroot -n '__crossroot_sub_is job' \
    -a run -d 'Run a job in its container'
complete -c crossroot -n '__crossroot_sub_is job' \
    -a timer -d 'Run a job on a schedule (a systemd user timer)'
complete -c crossroot -n '__crossroot_sub_is job run timer; and __crossroot_at_arg 1' \
    -a '(__crossroot_jobs)' -d Job
complete -c crossroot -n '__crossroot_sub_is job run; and not __crossroot_after_dashdash' \
    -l container -x -a '(__crossroot_containers)' -d 'Run in container NAME'
complete -c crossroot -n '__crossroot_sub_is job run; and not __crossroot_after_dashdash' \
    -l set -x -d 'A setting: NAME=VALUE'
complete -c crossroot -n '__crossroot_sub_is job timer' \
    -l on-calendar -x -a 'hourly daily weekly monthly' -d 'systemd.time(7) calendar spec'
complete -c crossroot -n '__crossroot_sub_is job timer' \
    -l print -d 'Print the units instead'

# accel
complete -c crossroot -n '__crossroot_sub_is accel' \
    -a enable -d 'Install crossroot-accel: the compilers run natively'
complete -c crossroot -n '__crossroot_sub_is accel' \
    -a disable -d 'Remove crossroot-accel and the amd64 packages it needed'
complete -c crossroot -n '__crossroot_sub_is accel' \
    -a status -d 'Which native packages run accelerated, and why not'
complete -c crossroot -n '__crossroot_sub_is accel enable disable status; and __crossroot_at_arg 1' \
    -a '(__crossroot_containers)' -d Container
