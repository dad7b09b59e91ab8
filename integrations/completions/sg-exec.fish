function __sg-exec_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-exec_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sg-exec_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sg-exec_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sg-exec_parse_tokens -S
    set -l unparsed_tokens (__sg-exec_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sg-exec'
        __sg-exec_parse_subcommand -r 1 'e=+' 'f=' 'section=' 'D=+' 'mask' 'tmpfs-files' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __sg-exec_parse_subcommand -r 1 
        end
    end
end

function __sg-exec_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sg-exec_parse_subcommand -S -a positional_count
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

function __sg-exec_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sg-exec_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sg-exec_tokens -p)
    if test -z "$(__sg-exec_tokens -t)"
        set -l index (count (__sg-exec_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sg-exec' -f
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec"' -s 'e' -d 'Set VAR to the secret REF (sg:NAME, sg:NAME#FIELD, sg:token/PROFILE).' -rfka ''
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec" f' -s 'f' -d 'A summon secrets.yml.' -rfka ''
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec" section' -l 'section' -d 'The secrets.yml section to use (merged over \'common\'/\'default\'); sets SUMMON_ENV.' -rfka ''
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec"' -s 'D' -d 'Replace $KEY in secrets.yml values.' -rfka ''
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec" mask' -l 'mask' -d 'Replace secret values in COMMAND\'s stdout/stderr with <concealed by sg>.'
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec" tmpfs-files' -l 'tmpfs-files' -d 'Hand file secrets over as 0600 files on tmpfs (removed when COMMAND ends) instead of /dev/fd/N.'
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_flags_or_options "sg-exec" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sg-exec' -n '__sg-exec_should_offer_completions_for_positional "sg-exec" -eq 1' -fa 'help' -d 'Show subcommand help information.'
