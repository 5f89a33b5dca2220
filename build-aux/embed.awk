# embed.awk - turn text files into C string constants.
# usage: awk -f embed.awk -v names="a b c" file1 file2 file3 > out.h
# Each file becomes `static const char <name>[] = "...";`.
BEGIN { split(names, name, " "); idx = 0 }
FNR == 1 {
	if (idx > 0)
		print ";"
	idx++
	printf "static const char %s[] =\n", name[idx]
}
{
	line = $0
	gsub(/\\/, "&&", line)
	gsub(/"/, "\\\"", line)
	gsub(/\t/, "\\t", line)
	printf "\t\"%s\\n\"\n", line
}
END { if (idx > 0) print ";" }
