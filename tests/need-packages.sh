# SPDX-License-Identifier: MIT
# Sourced by the qemu-system checks (kernel/check.sh, tests/guest/check.sh):
# need_packages PKG...: install the host packages that are missing, with
# apt-get (as root), saying which; quiet when all are there.
need_packages() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	say "installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -qq -y \
		-o DPkg::Lock::Timeout=600 --no-install-recommends $missing \
		>/dev/null
}
