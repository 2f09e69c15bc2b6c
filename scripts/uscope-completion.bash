# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bash completion for uscope: the commands, each command's own options (read
# from `uscope COMMAND --help`, so they never drift), option values, PIDs,
# files, and after `run|profile|top ... --` the command.
# Installed by `cmake --install` as share/bash-completion/completions/uscope;
# or: source scripts/uscope-completion.bash

_uscope_words() {
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_uscope_files() {
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -- "$1"))
}

_uscope() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd=${COMP_WORDS[1]} i

	if ((COMP_CWORD == 1)); then
		_uscope_words $'run\nattach\nreport\ndiff\nprobes\ncall\nprofile\ntop\ndump\n--help\n--version' "$cur"
		return
	fi
	for ((i = 2; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- && $cmd =~ ^(run|profile|top)$ ]]; then
			if ((i + 1 == COMP_CWORD)); then
				local IFS=$'\n'
				COMPREPLY=($(compgen -c -- "$cur"))
			else
				_uscope_files "$cur"
			fi
			return
		fi
	done
	case $prev in
	--format) _uscope_words $'tree\nflat\njson\ntimeline\ntimeline-json\nchrome\nmemory\npatterns\nbottlenecks\nfolded\nspeedscope\npprof\nflamegraph' "$cur"; return ;;
	--sort) _uscope_words $'total\nself\ncalls\nname\nfirst' "$cur"; return ;;
	--color) _uscope_words $'auto\nalways\nnever' "$cur"; return ;;
	-p | --pid) _uscope_words "$(ps -eo pid= | tr -d ' ')" "$cur"; return ;;
	-o | --output | --report | --binary | --python | --scope) _uscope_files "$cur"; return ;;
	esac
	if [[ $cur == -* ]]; then
		_uscope_words "$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
			sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p')" "$cur"
		return
	fi
	[[ $cmd == report || $cmd == diff ]] && _uscope_files "$cur"
}

complete -F _uscope uscope
