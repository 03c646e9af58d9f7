# bash completion for certseal-admin(8) -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/certseal-admin.
# The global options are accepted anywhere on the line, so they are
# offered after the command too.

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

	# --json only where the command has a JSON result (its opts) and
	# before the command: the others refuse it.
	local globals='--profile --no-wait -q --quiet -v --verbose --help'
	local commands='init pair save show edit inspect client rollout seal
	    token'
	local i cmd= sub= profile=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--profile)
			profile=${words[i + 1]}
			((i++))
			;;
		--profile=*) profile=${words[i]#--profile=} ;;
		-o | --output | --password-file | --to | --token | --config | \
		    --name | --reports | --requests | --label | --days | \
		    --algorithm | --recipient | -r | --signer | --oaep-hash | \
		    --sequence | --pair | --expect | --hosts)
			((i++))
			;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ $cmd == @(pair|rollout|client|token) && -z $sub ]]
			then
				sub=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	--profile | --config | -o | --output | --password-file | \
	    --recipient | -r | --hosts)
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
	--label | --days | --name | --sequence | --expect)
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
	init) opts='--token --config --name --reports' ;;
	pair)
		case $sub in
		'')
			[[ $cur != -* ]] && COMPREPLY=($(compgen -W 'generate list
			    export activate retire remove' -- "$cur")) && return
			;;
		generate) opts='--algorithm --label --days --no-export' ;;
		list) opts='--json' ;;
		export | activate | retire | remove)
			case $sub in
			export) opts='-o --output --password-file --iterations --legacy
			    --force --to' ;;
			activate) opts='--force --expect --hosts' ;;
			retire) opts='--force' ;;
			remove) opts='-y --yes' ;;
			esac
			if [[ $cur != -* ]]; then
				COMPREPLY=($(compgen -W \
				    "$(_certseal_admin_pairs "$profile")" -- "$cur"))
				return
			fi
			;;
		esac
		;;
	save) opts='-o --output --include-pending --allow-rollback
	    --migrate-plaintext --der --pem' ;;
	show) opts='-o --output --allow-rollback' ;;
	edit) opts='--include-pending --allow-rollback --migrate-plaintext
	    --der --pem' ;;
	inspect) opts='--json' ;;
	client)
		case $sub in
		'')
			[[ $cur != -* ]] && COMPREPLY=($(compgen -W 'list approve
			    revoke' -- "$cur")) && return
			;;
		list) opts='--requests --json' ;;
		approve) opts='--all-pending --requests --days' ;;
		esac
		;;
	rollout)
		if [[ -z $sub && $cur != -* ]]; then
			COMPREPLY=($(compgen -W 'status' -- "$cur"))
			return
		fi
		opts='--reports --pair --expect --hosts --json'
		;;
	seal) opts='-r --recipient --signer --oaep-hash --name --sequence
	    -o --output --der --pem' ;;
	token)
		if [[ -z $sub && $cur != -* ]]; then
			COMPREPLY=($(compgen -W 'check' -- "$cur"))
			return
		fi
		opts='--json'
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
	else
		_filedir
	fi
} &&
	complete -F _certseal_admin certseal-admin

# ex: filetype=sh
