# bash completion for certseal-admin(8) -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/certseal-admin.

# Pair IDs from `certseal-admin pair list --json` (the profile given on the
# command line, if any).
_certseal_admin_pairs()
{
	local profile=$1
	"${words[0]}" ${profile:+--profile "$profile"} pair list --json \
	    2>/dev/null | sed -n 's/^ *"id": *"\([0-9a-f]*\)".*/\1/p'
}

_certseal_admin()
{
	local cur prev words cword
	_init_completion || return

	local commands='init pair client save show edit inspect rollout seal'
	local i cmd= sub= profile=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--profile)
			profile=${words[i + 1]}
			((i++))
			;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ ($cmd == pair || $cmd == rollout ||
			    $cmd == client) && -z $sub ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	--profile | --config | -o | --password-file | --recipient)
		_filedir
		return
		;;
	--reports | --requests)
		_filedir -d
		return
		;;
	--algorithm)
		COMPREPLY=($(compgen -W 'rsa-3072 rsa-4096 ec-p256 ec-p384' \
		    -- "$cur"))
		return
		;;
	--oaep-hash)
		COMPREPLY=($(compgen -W 'sha1 sha256 sha384 sha512' -- "$cur"))
		return
		;;
	--token | --to | --signer)
		COMPREPLY=($(compgen -W 'pkcs11: file:' -- "$cur"))
		compopt -o nospace
		return
		;;
	--pair)
		COMPREPLY=($(compgen -W "$(_certseal_admin_pairs "$profile")" \
		    -- "$cur"))
		return
		;;
	--label | --days | --name | --sequence)
		return
		;;
	esac

	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--profile --help --version' -- \
			    "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		;;
	init)
		COMPREPLY=($(compgen -W '--token --config --name --reports' \
		    -- "$cur"))
		;;
	pair)
		case $sub in
		'')
			COMPREPLY=($(compgen -W 'generate list export activate
			    retire remove' -- "$cur"))
			;;
		generate)
			COMPREPLY=($(compgen -W '--algorithm --label --days
			    --no-export' -- "$cur"))
			;;
		list)
			COMPREPLY=($(compgen -W '--json' -- "$cur"))
			;;
		export | activate | retire | remove)
			if [[ $cur == -* ]]; then
				case $sub in
				export) COMPREPLY=($(compgen -W '-o --password-file
				    --legacy --to' -- "$cur")) ;;
				activate) COMPREPLY=($(compgen -W '--force' -- \
				    "$cur")) ;;
				esac
			else
				COMPREPLY=($(compgen -W \
				    "$(_certseal_admin_pairs "$profile")" -- "$cur"))
			fi
			;;
		esac
		;;
	client)
		case $sub in
		'')
			COMPREPLY=($(compgen -W 'list approve revoke' -- "$cur"))
			;;
		list)
			COMPREPLY=($(compgen -W '--requests --json' -- "$cur"))
			;;
		approve)
			COMPREPLY=($(compgen -W '--all-pending --requests --days' \
			    -- "$cur"))
			;;
		esac
		;;
	save)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '-o
		    --include-pending' -- "$cur")) || _filedir
		;;
	show)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '-o' -- "$cur")) ||
		    _filedir
		;;
	edit)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--include-pending' \
		    -- "$cur")) || _filedir
		;;
	inspect)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--json' -- \
		    "$cur")) || _filedir
		;;
	rollout)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W 'status' -- "$cur"))
		else
			COMPREPLY=($(compgen -W '--reports --pair --json' -- \
			    "$cur"))
		fi
		;;
	seal)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--recipient --signer
		    --oaep-hash --name --sequence -o' -- "$cur")) || _filedir
		;;
	esac
} &&
	complete -F _certseal_admin certseal-admin

# ex: filetype=sh
