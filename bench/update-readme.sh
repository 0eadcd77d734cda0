#!/bin/sh
# SPDX-License-Identifier: MIT
# update-readme.sh REPORT_DIR: splice the benchmark's headline.md into
# README.md between the headline markers and copy its call-latency chart
# to doc/calls.svg, so no figure in the README is typed by hand.
set -eu
dir=${1:-build/report}
[ -f "$dir/headline.md" ] || { echo "no $dir/headline.md: run make bench first" >&2; exit 1; }
mkdir -p doc
cp "$dir/calls.svg" doc/calls.svg
awk -v src="$dir/headline.md" '
	/<!-- headline:begin -->/ { print; while ((getline l < src) > 0) print l; skip = 1; next }
	/<!-- headline:end -->/ { skip = 0 }
	!skip { print }
' README.md > README.md.new
mv README.md.new README.md
echo "README.md and doc/calls.svg updated from $dir"
