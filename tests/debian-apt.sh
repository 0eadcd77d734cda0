# SPDX-License-Identifier: MIT
# Sourced by tests/guest/check.sh and tests/cross-libs.sh: packages of
# another architecture, downloaded from the Debian archive through a
# private apt configuration (its own sources, lists and cache), so that
# the host's apt sources and architectures are left as they are.  The
# sourcing script defines say().
#
# apt_private DIR DEBARCH SUITE...: set up a private apt in DIR for DEBARCH
#   packages of the Debian SUITEs (main) and fetch its package lists, from
#   $DEBIAN_MIRROR or else the Debian archive of the host's apt sources.
# apt_opts: the options that make apt-get and apt-cache use it.
# apt_download PKG...: download PKG... (the newest of the SUITEs) into
#   DIR/deb, replacing what was there.
# Every failure (no mirror, no network, no such package) is said and
# returned.

# The Debian archive the host's apt uses (deb822 or one-line sources).
debian_mirror() {
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's,^URIs: *\([^ ]*/debian\)/*$,\1,p' | head -1)
	[ -n "$m" ] || m=$(sed -n \
		's,^deb \(\[[^]]*\] \)*\([^ ]*/debian\)/* .*,\2,p' \
		/etc/apt/sources.list 2>/dev/null | head -1)
	echo "$m"
}

apt_private() {
	APT_DIR=$(mkdir -p "$1" && cd "$1" && pwd) || return 1
	APT_ARCH=$2
	shift 2
	mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
	[ -n "$mirror" ] || { say "no Debian archive in the host's apt" \
		"sources: set DEBIAN_MIRROR"; return 1; }
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" \
		"$APT_DIR/deb" "$APT_DIR/parts"
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	for s in "$@"; do
		echo "deb [arch=$APT_ARCH signed-by=$key] $mirror $s main"
	done > "$APT_DIR/sources.list"
	# An index that cannot be fetched is an error, not a warning.
	apt-get -qq $(apt_opts) -o APT::Update::Error-Mode=any update ||
		{ say "cannot fetch the $APT_ARCH package lists of $* from" \
			"$mirror"; return 1; }
}

apt_opts() {
	echo -o APT::Architecture=$APT_ARCH \
		-o APT::Architectures::=$APT_ARCH \
		-o Dir::State::Lists="$APT_DIR/lists" \
		-o Dir::Cache="$APT_DIR/cache" \
		-o Dir::Etc::SourceList="$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts="$APT_DIR/parts" \
		-o Dir::State::status=/dev/null
}

apt_download() {
	rm -f "$APT_DIR"/deb/*.deb
	(cd "$APT_DIR/deb" && apt-get -qq $(apt_opts) \
		-o APT::Sandbox::User=root download "$@") ||
		{ say "cannot download $APT_ARCH packages: $*"; return 1; }
}
