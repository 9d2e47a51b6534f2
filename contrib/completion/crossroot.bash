# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for crossroot(1).  Installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/crossroot; works with or without
# the bash-completion package (it uses only COMP_WORDS and COMP_CWORD).
#
# What is completed comes from the crossroot being completed, run as you:
# container names from the first column of `crossroot list`, jobs from `crossroot job
# list`, architectures from the first column of `crossroot binfmt status`
# (every architecture crossroot knows; the static list below is used only
# when that fails).  Verbs and options follow each command's --help.

# The crossroot on the command line (build/crossroot, ~/bin/crossroot, ...).
_crossroot_bin() {
	local cr=${COMP_WORDS[0]}
	# shellcheck disable=SC2088 # a literal ~ typed on the command line
	case $cr in
	"~/"*) cr=$HOME/${cr#"~/"} ;;
	esac
	printf '%s\n' "$cr"
}

_crossroot_containers() {
	"$(_crossroot_bin)" list 2>/dev/null | awk 'NR > 1 && NF { print $1 }'
}

_crossroot_jobs() {
	"$(_crossroot_bin)" job list 2>/dev/null | awk 'NR > 1 && NF { print $1 }'
}

_crossroot_arches() {
	local arches
	arches=$("$(_crossroot_bin)" binfmt status 2>/dev/null | awk 'NR > 1 && NF { print $1 }')
	# Fallback: binfmt/arch.c's table, as of this version.
	[ -n "$arches" ] || arches="amd64 i386 arm64 armhf armel ppc64el ppc64 s390x riscv64 mips64el mipsel loong64"
	printf '%s\n' "$arches"
}

_crossroot_suites() {
	printf '%s\n' bookworm trixie sid stable testing unstable
}

# _crossroot_reply WORD CANDIDATES...: the candidates that start with WORD.
_crossroot_reply() {
	local cur=$1 w
	shift
	COMPREPLY=()
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# File names (the -o filenames behaviour only exists while completing).
_crossroot_files() {
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_crossroot() {
	local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prev=''
	local i w verb='' sub='' dashdash='' npos=0 skip=''
	local opts='' argopts=''

	COMPREPLY=()
	# With '=' in COMP_WORDBREAKS, "--arch=ar" arrives as "--arch" "=" "ar".
	if ((cword >= 1)); then
		prev=${COMP_WORDS[cword - 1]}
		if [ "$prev" = "=" ] && ((cword >= 2)); then
			prev=${COMP_WORDS[cword - 2]}
		elif [ "$cur" = "=" ]; then
			prev=${COMP_WORDS[cword - 1]}
			cur=
		fi
	fi

	# The verb, binfmt's, job's or accel's subcommand, and the positional arguments
	# before the cursor (options and their values are not counted).
	for ((i = 1; i < cword; i++)); do
		w=${COMP_WORDS[i]}
		if [ -n "$skip" ]; then
			skip=
			continue
		fi
		if [ -z "$verb" ]; then
			case $w in -*) continue ;; esac
			verb=$w
			case $verb in
			check) opts="--json --help" ;;
			config) opts="--help" ;;
			list) opts="--size --json --help" ;;
			prune) opts="--all --dry-run --help" ;;
			setup) opts="--user --all --help" argopts="--user" ;;
			teardown) opts="--user --help" argopts="--user" ;;
			create)
				opts="--arch --suite --variant --include --components --mirror --keyring --offline --dpkg --accel --quiet --from-tar --from-oci --from --help"
				argopts="--arch --suite --variant --include --components --mirror --keyring --dpkg --from-tar --from-oci --from"
				;;
			start) opts="--bind -v --ephemeral --help" argopts="--bind -v" ;;
			stop | rm) opts="--help" ;;
			export) opts="--format --help" argopts="--format" ;;
			run | enter)
				opts="--root --user -u --cwd -w --env -e --env-file --bind -v -i -t --ephemeral --help"
				argopts="--user -u --cwd -w --env -e --env-file --bind -v"
				;;
			esac
			continue
		fi
		if [ "$w" = "--" ]; then
			dashdash=1
			break
		fi
		if [ -z "$sub" ] && { [ "$verb" = binfmt ] || [ "$verb" = job ] || [ "$verb" = accel ]; }; then
			case $w in -*) continue ;; esac
			sub=$w
			case $verb/$sub in
			binfmt/exec) opts="--arch --help" argopts="--arch" ;;
			binfmt/status) opts="--json --help" ;;
			binfmt/*) opts="--help" ;;
			job/list) opts="--help" ;;
			job/run) opts="--container --set --help" argopts="--container --set" ;;
			job/timer) opts="--on-calendar --print --help" argopts="--on-calendar" ;;
			accel/*) opts="--help" ;;
			esac
			continue
		fi
		case $w in
		--*=* | =) ;;
		-*) [[ " $argopts " == *" $w "* ]] && skip=1 ;;
		*) npos=$((npos + 1)) ;;
		esac
	done

	# After "--": the command to run, which the host cannot see; file names.
	if [ -n "$dashdash" ]; then
		compopt -o default 2>/dev/null
		return 0
	fi

	if [ -z "$verb" ]; then
		case $cur in
		-*) _crossroot_reply "$cur" --help --version ;;
		*) _crossroot_reply "$cur" check setup teardown create start stop run enter list prune rm export config binfmt job accel ;;
		esac
		return 0
	fi

	# An option's value.
	if [ -n "$prev" ] && [[ " $argopts " == *" $prev "* ]]; then
		case $prev in
		--arch) mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_arches)" -- "$cur") ;;
		--suite) mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_suites)" -- "$cur") ;;
		--variant) _crossroot_reply "$cur" minbase buildd ;;
		--dpkg) _crossroot_reply "$cur" host emulated ;;
		--components)
			# A comma-separated list: complete its last name, keeping those before.
			local before=
			[[ $cur == *,* ]] && before=${cur%,*},
			_crossroot_reply "${cur##*,}" main contrib non-free non-free-firmware
			COMPREPLY=("${COMPREPLY[@]/#/$before}")
			;;
		--user) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
		--container | --from) mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_containers)" -- "$cur") ;;
		--on-calendar) _crossroot_reply "$cur" hourly daily weekly monthly ;;
		--format) _crossroot_reply "$cur" tar oci ;;
		--keyring | --from-tar | --from-oci | --bind) _crossroot_files "$cur" ;;
		esac
		return 0
	fi
	case $cur in
	--*=*) return 0 ;;
	-*)
		# shellcheck disable=SC2086
		_crossroot_reply "$cur" $opts
		return 0
		;;
	esac

	case $verb in
	binfmt)
		[ -z "$sub" ] && _crossroot_reply "$cur" status register unregister exec
		;;
	job)
		if [ -z "$sub" ]; then
			_crossroot_reply "$cur" list run timer
		elif [ "$sub" != list ] && ((npos == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_jobs)" -- "$cur")
		fi
		;;
	accel)
		if [ -z "$sub" ]; then
			_crossroot_reply "$cur" enable disable status
		elif ((npos == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_containers)" -- "$cur")
		fi
		;;
	start | stop | run | enter | rm)
		((npos == 0)) && mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_containers)" -- "$cur")
		;;
	config)
		((npos == 0)) && _crossroot_reply "$cur" container mirror suite variant components check-valid-until binfmt
		;;
	export)
		if ((npos == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_crossroot_containers)" -- "$cur")
		elif ((npos == 1)); then
			_crossroot_files "$cur"
		fi
		;;
	esac
	return 0
}

complete -F _crossroot crossroot
