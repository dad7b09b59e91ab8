function __sg-token_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-token_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sg-token_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-token_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sg-token_parse_tokens -S
    set -l unparsed_tokens (__sg-token_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sg-token'
        __sg-token_parse_subcommand 0 'h/help'
        switch $unparsed_tokens[1]
        case 'login'
            __sg-token_parse_subcommand 0 'p/profile=' 'method=' 'h/help'
        case 'get'
            __sg-token_parse_subcommand 0 'p/profile=' 'h/help'
        case 'status'
            __sg-token_parse_subcommand 0 'p/profile=' 'json' 'h/help'
        case 'list'
            __sg-token_parse_subcommand 0 'json' 'h/help'
        case 'clear'
            __sg-token_parse_subcommand 0 'p/profile=' 'all' 'h/help'
        case 'logout'
            __sg-token_parse_subcommand 0 'p/profile=' 'h/help'
        case 'help'
            __sg-token_parse_subcommand -r 1 
        end
    end
end

function __sg-token_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sg-token_parse_subcommand -S -a positional_count
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

function __sg-token_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sg-token_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sg-token_tokens -p)
    if test -z "$(__sg-token_tokens -t)"
        set -l index (count (__sg-token_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sg-token' -f
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'login' -d 'Log in and cache the token.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'get' -d 'Print a valid access token (refreshed or renewed when possible).'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'status' -d 'The keyring in use and each profile\'s token state (no token values).'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'list' -d 'Every cached sg / Ark token in the keyring (no token values).'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'clear' -d 'Delete cached tokens: a profile\'s, or --all.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'logout' -d 'Log out on the appliance (Safeguard) and forget a profile\'s token.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_positional "sg-token" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token login" p profile' -s 'p' -l 'profile' -d 'The profile (default: SG_PROFILE, default-profile, or the only one).' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token login" method' -l 'method' -d 'pkce | password | certificate | identity | identity-service' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token login" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token get" p profile' -s 'p' -l 'profile' -d 'The profile (default: SG_PROFILE, default-profile, or the only one).' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token get" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token status" p profile' -s 'p' -l 'profile' -d 'The profile (default: SG_PROFILE, default-profile, or the only one).' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token status" json' -l 'json' -d 'JSON output.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token list" json' -l 'json' -d 'JSON output.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token clear" p profile' -s 'p' -l 'profile' -d 'The profile (default: SG_PROFILE, default-profile, or the only one).' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token clear" all' -l 'all' -d 'Every sg and Ark token in the keyring.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token clear" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token logout" p profile' -s 'p' -l 'profile' -d 'The profile (default: SG_PROFILE, default-profile, or the only one).' -rfka ''
complete -c 'sg-token' -n '__sg-token_should_offer_completions_for_flags_or_options "sg-token logout" h help' -s 'h' -l 'help' -d 'Show help information.'
