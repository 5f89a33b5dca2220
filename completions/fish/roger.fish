# fish completion for roger.  The candidates come from roger itself
# (`roger __complete WORD...`), so this file never changes with new commands.

function __roger_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (command $words[1] __complete $words[2..-1] 2>/dev/null)
    switch "$out"
        case :file
            __fish_complete_path (commandline -ct)
        case :dir
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $out
    end
end

complete -c roger -f -a '(__roger_complete)'
