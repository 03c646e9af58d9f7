# bash completion for certseal(1) -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/certseal.
# The global options are accepted anywhere on the line, so they are
# offered after the command too.

_certseal()
{
	local cur prev words cword
	_init_completion -n : || return

	# --json only where the command has a JSON result (its opts) and
	# before the command: the others refuse it.
	local globals='-s --certificate-source --accept-encrypted-data-only
	    --allow-rollback -q --quiet -v --verbose --help'
	local commands='open check inspect sources store report enroll'

	# The command is the first word that is not an option or the value of
	# one.
	local i cmd= sub=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --certificate-source | -o | --output | --out | --owner | \
		    --mode | --store | --password-file | --host | --name | \
		    --algorithm | --finish)
			((i++))
			;;
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
	-o | --out | --output)
		[[ $cmd == @(report|enroll) ]] && _filedir -d || _filedir
		return
		;;
	--password-file | --finish)
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
	--algorithm)
		COMPREPLY=($(compgen -W 'rsa-3072 rsa-4096 ec-p256 ec-p384' \
		    -- "$cur"))
		return
		;;
	--owner | --mode | --name)
		return
		;;
	esac

	local opts=
	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals --json --version" \
			    -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
		;;
	open) opts='-o --output --owner --mode' ;;
	check | inspect) opts='--json' ;;
	sources) opts='--check --json' ;;
	report) opts='--out --host --json' ;;
	enroll) opts='--out --name --algorithm --finish --trust-signer' ;;
	store)
		case $sub in
		'')
			[[ $cur != -* ]] && COMPREPLY=($(compgen -W 'import list
			    remove' -- "$cur")) && return
			;;
		import)
			opts='--store --password-file --json'
			if [[ $cur != -* ]]; then
				_filedir '@(p12|pfx)'
				return
			fi
			;;
		list) opts='--store --json' ;;
		remove)
			opts='--store'
			if [[ $cur != -* ]]; then
				# Entry IDs of the store, as `store list` prints them.
				local ids
				ids=$("${words[0]}" store list --json 2>/dev/null |
				    sed -n 's/.*"id": *"\([0-9a-fA-F]*\)".*/\1/p')
				COMPREPLY=($(compgen -W "$ids" -- "$cur"))
				return
			fi
			;;
		esac
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
	else
		_filedir
	fi
} &&
	complete -F _certseal certseal

# ex: filetype=sh
