# bash completion for certseal(1) -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/certseal.

_certseal()
{
	local cur prev words cword
	_init_completion -n : || return

	local globals='-s --certificate-source --accept-encrypted-data-only
	    --allow-rollback --help --version'
	local commands='open check inspect sources store report enroll'

	# The command is the first word that is not a global option (or the
	# argument of -s).
	local i cmd= sub=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --certificate-source) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ $cmd == store && -z $sub ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	-s | --certificate-source)
		COMPREPLY=($(compgen -W 'pkcs11: file: store:
		    store:LocalMachine/My store:CurrentUser/My' -- "$cur"))
		[[ $cur == file:* ]] && COMPREPLY=($(compgen -P file: -f -- \
		    "${cur#file:}"))
		compopt -o nospace
		return
		;;
	-o | --out)
		[[ $cmd == report || $cmd == enroll ]] && _filedir -d ||
		    _filedir
		return
		;;
	--finish)
		_filedir crt
		return
		;;
	--algorithm)
		COMPREPLY=($(compgen -W 'rsa-3072 rsa-4096 ec-p256 ec-p384' \
		    -- "$cur"))
		return
		;;
	--password-file)
		_filedir
		return
		;;
	--store)
		COMPREPLY=($(compgen -W 'My LocalMachine/My CurrentUser/My' \
		    -- "$cur"))
		return
		;;
	--host)
		COMPREPLY=($(compgen -A hostname -- "$cur"))
		return
		;;
	esac

	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		;;
	open)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '-o --help' -- \
		    "$cur")) || _filedir
		;;
	check | inspect)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--json --help' \
		    -- "$cur")) || _filedir
		;;
	sources)
		COMPREPLY=($(compgen -W '--json --help' -- "$cur"))
		;;
	report)
		COMPREPLY=($(compgen -W '--out --host --json --help' -- "$cur"))
		;;
	enroll)
		COMPREPLY=($(compgen -W '--out --name --algorithm --finish -s
		    --help' -- "$cur"))
		;;
	store)
		case $sub in
		'')
			COMPREPLY=($(compgen -W 'import list remove' -- "$cur"))
			;;
		import)
			[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--store
			    --password-file' -- "$cur")) || _filedir '@(p12|pfx)'
			;;
		list)
			COMPREPLY=($(compgen -W '--store --json' -- "$cur"))
			;;
		remove)
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W '--store' -- "$cur"))
			else
				# Entry IDs of the store, as `store list` prints them.
				local ids
				ids=$("${words[0]}" store list --json 2>/dev/null |
				    sed -n 's/.*"id": *"\([0-9a-fA-F]*\)".*/\1/p')
				COMPREPLY=($(compgen -W "$ids" -- "$cur"))
			fi
			;;
		esac
		;;
	esac
} &&
	complete -F _certseal certseal

# ex: filetype=sh
