#!/bin/sh
# SPDX-License-Identifier: MIT
# symbols.sh BUILD_DIR: the functions declared in include/trampjit.h, the
# symbols listed in src/trampjit.map, the symbols libtrampjit.so exports
# and the pages in man/ are the same set; every page names its functions
# and renders without warnings with man -l.  Prints what to do about each
# difference.  Exits 0 pass, 1 fail.
O=${1:-build}
CC=${CC:-cc}
# The node of the version being built: 0.1.x -> TRAMPJIT_0.1.
node=TRAMPJIT_$(sed -n 's/^VERSION := \([0-9]*\.[0-9]*\).*/\1/p' Makefile)
so=$O/libtrampjit.so
tmp=$(mktemp -d /tmp/trampjit-symbols.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0
err() {
	echo "symbols: $*"
	bad=1
}

# Declarations: the preprocessed header has no comments.
$CC -E -P -x c include/trampjit.h | grep -v typedef |
	grep -oE '\b(tramp|jit|jitfd)_[a-z0-9_]+ *\(' | tr -d ' (' |
	sort -u >"$tmp/header"
# The map: every name between "global:" and "local:", in any node.
sed -e '/\/\*/,/\*\//d' src/trampjit.map | awk '
	/global:/ { g = 1; next }
	/local:|}/ { g = 0 }
	g && NF { print }' | tr -d ' \t;' | sort >"$tmp/map.all"
sort -u "$tmp/map.all" >"$tmp/map"
grep -q '[*?[]' "$tmp/map" &&
	err "src/trampjit.map: a global pattern ($(grep '[*?[]' "$tmp/map" |
		tr '\n' ' ')) would put later functions in an old version node"
for n in $(grep -o '^TRAMPJIT_[0-9.]*' src/trampjit.map); do
	[ "$(printf '%s\n%s\n' "$n" "$node" | sort -V | tail -1)" = "$node" ] ||
		err "src/trampjit.map: node $n is newer than VERSION ($node)"
done
for s in $(uniq -d "$tmp/map.all"); do
	err "$s: listed twice in src/trampjit.map"
done
nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$tmp/so"
for f in man/*.3; do basename "$f" .3; done | sort >"$tmp/man"

for s in $(comm -23 "$tmp/header" "$tmp/map"); do
	err "$s: declared in include/trampjit.h, missing in src/trampjit.map:" \
	    "add it to node $node (create it, inheriting the last node," \
	    "if it is not there)"
done
for s in $(comm -13 "$tmp/header" "$tmp/map"); do
	err "$s: in src/trampjit.map but not declared in include/trampjit.h"
done
for s in $(comm -23 "$tmp/header" "$tmp/so"); do
	err "$s: declared but not exported by $so (not defined, or hidden)"
done
for s in $(comm -13 "$tmp/header" "$tmp/so"); do
	err "$s: exported by $so but not declared in include/trampjit.h"
done
for s in $(comm -23 "$tmp/header" "$tmp/man"); do
	err "$s: no man page: add man/$s.3, or a symlink man/$s.3 to the" \
	    "page that documents it, with $s in that page's NAME section"
done
for s in $(comm -13 "$tmp/header" "$tmp/man"); do
	err "man/$s.3: documents no function of include/trampjit.h"
done

# Aliases are symlinks to a real page in man/ (".so" requests do not
# render with man -l); every page's NAME section lists its functions.
for f in man/*.3 man/*.7; do
	page=$f
	if [ -L "$f" ]; then
		t=$(readlink "$f")
		case $t in */*) err "$f: link to $t, not to a page beside it";;
		esac
		page=man/$t
		[ -f "$page" ] && [ ! -L "$page" ] ||
			{ err "$f: links to $t, which is not a page"; continue; }
	fi
	grep -q '^\.so' "$page" &&
		err "$page: .so request; make $f a symlink instead"
	case $f in *.3)
		name=$(basename "$f" .3)
		sed -n '/^\.SH NAME/,/^\.SH/p' "$page" | grep -qw "$name" ||
			err "$page: NAME section does not list $name"
	esac
done
if command -v man >/dev/null; then
	for f in man/*.3 man/*.7; do
		w=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || err "$f: man -l --warnings: $w"
		MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q . ||
			err "$f: man -l renders nothing"
	done
else
	echo "symbols: man not installed, pages not rendered (apt-get install man-db)"
fi
[ $bad = 0 ] || exit 1
echo "symbols: $(wc -l <"$tmp/header") functions: header, map, $so, man/ agree"
