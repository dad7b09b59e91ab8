function __sg-ssh-key_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-ssh-key_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sg-ssh-key_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-ssh-key_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sg-ssh-key_parse_tokens -S
    set -l unparsed_tokens (__sg-ssh-key_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sg-ssh-key'
        __sg-ssh-key_parse_subcommand 0 'h/help'
        switch $unparsed_tokens[1]
        case 'add'
            __sg-ssh-key_parse_subcommand 1 't=' 'c' 'format=' 'h/help'
        case 'fetch'
            __sg-ssh-key_parse_subcommand 1 'o=' 'format=' 'h/help'
        case 'print'
            __sg-ssh-key_parse_subcommand 1 'format=' 'h/help'
        case 'public'
            __sg-ssh-key_parse_subcommand 1 'fingerprint' 'key' 'format=' 'h/help'
        case 'help'
            __sg-ssh-key_parse_subcommand -r 1 
        end
    end
end

function __sg-ssh-key_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sg-ssh-key_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __sg-ssh-key_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sg-ssh-key_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sg-ssh-key_tokens -p)
    if test -z "$(__sg-ssh-key_tokens -t)"
        set -l index (count (__sg-ssh-key_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sg-ssh-key' -f
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_positional "sg-ssh-key" -eq 1' -fa 'add' -d 'Add the key to ssh-agent (SSH_AUTH_SOCK); it never touches disk.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_positional "sg-ssh-key" -eq 1' -fa 'fetch' -d 'Write the key to a file (mode 0600, with FILE.pub), or print it.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_positional "sg-ssh-key" -eq 1' -fa 'print' -d 'Print the key on stdout, as the appliance served it.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_positional "sg-ssh-key" -eq 1' -fa 'public' -d 'Print the public key and its fingerprint.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_positional "sg-ssh-key" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key add" t' -s 't' -d 'Lifetime in the agent: seconds or a time like 30m, 1h30m.' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key add" c' -s 'c' -d 'Ask the agent to confirm each use of the key (through its SSH_ASKPASS).'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key add" format' -l 'format' -d 'Key format asked of the appliance: openssh, ssh2 or putty (default: the secret\'s \'format\').' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key fetch" o' -s 'o' -d 'The file to write.' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key fetch" format' -l 'format' -d 'Key format asked of the appliance: openssh, ssh2 or putty (default: the secret\'s \'format\').' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key fetch" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key print" format' -l 'format' -d 'Key format asked of the appliance: openssh, ssh2 or putty (default: the secret\'s \'format\').' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key print" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key public" fingerprint' -l 'fingerprint' -d 'Print only the SHA256 fingerprint.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key public" key' -l 'key' -d 'Print only the authorized_keys line.'
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key public" format' -l 'format' -d 'Key format asked of the appliance: openssh, ssh2 or putty (default: the secret\'s \'format\').' -rfka ''
complete -c 'sg-ssh-key' -n '__sg-ssh-key_should_offer_completions_for_flags_or_options "sg-ssh-key public" h help' -s 'h' -l 'help' -d 'Show help information.'
