#!/bin/bash
# The tests that need the image: those whose body begins with require_image,
# each tagged "# bats test_tags=image" (tests/bats/helpers/common.bash).
#
#   tests/vm/image-tags.sh [BATS-FILE-OR-DIR...]
#
# Prints how many of the tests in the files given (a directory: its *.bats)
# are tagged; exits 1, naming them, when a test begins with require_image
# and is not tagged, or is tagged and does not begin with it (it would be
# left out of the VM for nothing).
set -u
files=()
for p in "$@"; do
	if [[ -d $p ]]; then
		for f in "$p"/*.bats; do [[ -f $f ]] && files+=("$f"); done
	elif [[ -f $p ]]; then
		files+=("$p")
	fi
done
((${#files[@]})) || { echo 0; exit 0; }
awk '
{ sub(/\r$/, "") }
FNR == 1 { tagged = 0; first = 0 }
/^[ \t]*#[ \t]*bats[ \t]+(test|file)_tags=/ {
	t = $0
	sub(/^[^=]*=/, "", t)
	gsub(/[ \t]/, "", t)
	if (("," t ",") ~ /,image,/) {
		if ($0 ~ /file_tags=/) {
			print FILENAME ": file_tags=image: tag each test instead" > "/dev/stderr"
			bad = 1
		}
		tagged = 1
	}
	next
}
/^[ \t]*@test[ \t]/ { name = $0; first = 1; next }
first && /^[ \t]*(#.*)?$/ { next }
first {
	first = 0
	req = $0 ~ /^[ \t]*require_image[ \t]*$/
	if (req && !tagged) { print FILENAME ": not tagged image: " name > "/dev/stderr"; bad = 1 }
	if (!req && tagged) { print FILENAME ": tagged image, does not begin with require_image: " name > "/dev/stderr"; bad = 1 }
	n += req && tagged
	tagged = 0
}
END { print n + 0; exit bad }
' "${files[@]}"
