# complete.zsh - drive zsh's completion system as a user at a terminal
# would, for the meta-tests: an interactive `zsh -f` on a pseudo-terminal
# (zsh/zpty) loads compinit with FPATH_DIR first in $fpath, then each LINE
# is typed followed by TAB.  compadd is wrapped so that every candidate the
# completion functions offer is also written to a file; after each line the
# candidates are printed sorted, followed by a line "--".
#
# Usage: zsh -f complete.zsh FPATH_DIR LINE...
# Exit status: 0, or 1 when the shell on the terminal stops answering.
zmodload zsh/zpty || exit 1
dir=$1
shift
out=$PWD/zsh-candidates.$$

# Wait until the shell has run everything typed so far.
settle() {
	rm -f $out.ready
	zpty -w z "print ready >$out.ready"
	local i
	for i in {1..200}; do
		[[ -e $out.ready ]] && return 0
		sleep 0.05
	done
	print -u2 "complete.zsh: the shell on the terminal does not answer"
	return 1
}

zpty z zsh -f -i
zpty -w z "PS1=''; PS2=''; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
# Calls that only ask for matches (-O, -A, -D) add nothing: pass them on.
zpty -w z 'compadd() { if [[ " $* " == *" -"[OAD]" "* ]]; then builtin compadd "$@"; return; fi; local -a m; builtin compadd -A m "$@"; print -rl -- $m >>'$out'; builtin compadd "$@"; }'
settle || { zpty -d z; exit 1; }
for line in "$@"; do
	: >$out
	zpty -w -n z "$line"$'\t'
	# Ctrl-U drops the line instead of running it.
	zpty -w -n z $'\C-u'
	settle || { zpty -d z; rm -f $out $out.ready; exit 1; }
	sort -u $out
	print -- --
done
zpty -d z
rm -f $out $out.ready
