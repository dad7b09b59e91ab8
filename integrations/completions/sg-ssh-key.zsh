#compdef sg-ssh-key

__sg-ssh-key_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__sg-ssh-key_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __sg-ssh-key_complete "${completions[@]:0:-1}"
    fi
}

__sg-ssh-key_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_sg-ssh-key() {
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
            'add:Add the key to ssh-agent (SSH_AUTH_SOCK); it never touches disk.'
            'fetch:Write the key to a file (mode 0600, with FILE.pub), or print it.'
            'print:Print the key on stdout, as the appliance served it.'
            'public:Print the public key and its fingerprint.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        add|fetch|print|public|help)
            "_sg-ssh-key_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_sg-ssh-key_add() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '-t[Lifetime in the agent\: seconds or a time like 30m, 1h30m.]:t:'
        '-c[Ask the agent to confirm each use of the key (through its SSH_ASKPASS).]'
        '--format[Key format asked of the appliance\: openssh, ssh2 or putty (default\: the secret'\''s '\''format'\'').]:format:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-ssh-key_fetch() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '-o[The file to write.]:o:'
        '--format[Key format asked of the appliance\: openssh, ssh2 or putty (default\: the secret'\''s '\''format'\'').]:format:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-ssh-key_print() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '--format[Key format asked of the appliance\: openssh, ssh2 or putty (default\: the secret'\''s '\''format'\'').]:format:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-ssh-key_public() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '--fingerprint[Print only the SHA256 fingerprint.]'
        '--key[Print only the authorized_keys line.]'
        '--format[Key format asked of the appliance\: openssh, ssh2 or putty (default\: the secret'\''s '\''format'\'').]:format:'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_sg-ssh-key_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _sg-ssh-key ]]; then
    _sg-ssh-key "${@}"
else
    compdef _sg-ssh-key sg-ssh-key
fi
