#compdef sg-token

__sg-token_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__sg-token_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __sg-token_complete "${completions[@]:0:-1}"
    fi
}

__sg-token_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_sg-token() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'login:Log in and cache the token.'
            'get:Print a valid access token (refreshed or renewed when possible).'
            'status:The keyring in use and each profile'\''s token state (no token values).'
            'list:Every cached sg / Ark token in the keyring (no token values).'
            'clear:Delete cached tokens: a profile'\''s, or --all.'
            'logout:Log out on the appliance (Safeguard) and forget a profile'\''s token.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        login|get|status|list|clear|logout|help)
            "_sg-token_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sg-token_login() {
    local -i ret=1
    local -ar arg_specs=(
        '(-p --profile)'{-p,--profile}'[The profile (default\: SG_PROFILE, default-profile, or the only one).]:profile:'
        '--method[pkce | password | certificate | identity | identity-service]:method:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_get() {
    local -i ret=1
    local -ar arg_specs=(
        '(-p --profile)'{-p,--profile}'[The profile (default\: SG_PROFILE, default-profile, or the only one).]:profile:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_status() {
    local -i ret=1
    local -ar arg_specs=(
        '(-p --profile)'{-p,--profile}'[The profile (default\: SG_PROFILE, default-profile, or the only one).]:profile:'
        '--json[JSON output.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_list() {
    local -i ret=1
    local -ar arg_specs=(
        '--json[JSON output.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_clear() {
    local -i ret=1
    local -ar arg_specs=(
        '(-p --profile)'{-p,--profile}'[The profile (default\: SG_PROFILE, default-profile, or the only one).]:profile:'
        '--all[Every sg and Ark token in the keyring.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_logout() {
    local -i ret=1
    local -ar arg_specs=(
        '(-p --profile)'{-p,--profile}'[The profile (default\: SG_PROFILE, default-profile, or the only one).]:profile:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-token_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _sg-token ]]; then
    _sg-token "${@}"
else
    compdef _sg-token sg-token
fi
