#!/bin/sh
# wine-setup.sh prepares a Wine prefix in which PacketBuddy's Windows
# binaries and Windows test binaries run:
#
#   scripts/wine-setup.sh [PREFIX]
#
# PREFIX defaults to $WINEPREFIX, else $XDG_CACHE_HOME/packetbuddy/wine
# (~/.cache/packetbuddy/wine). The script creates the prefix if needed and
# installs a shim bcryptprimitives.dll that exports ProcessPrng: Go 1.22+
# needs it and Debian 12's Wine 8.0 lacks it (it arrived in Wine 8.13). It
# is idempotent and quick on a prefix it has already set up. The prefix's
# path is printed on standard output, so a caller can run
#
#   export WINEPREFIX="$(scripts/wine-setup.sh)" WINEDEBUG=-all
#   GOOS=windows go test -exec wine ./packaging/
#
# Needs the Debian packages wine, wine64 and gcc-mingw-w64-x86-64-win32.
# No display is needed; nothing is downloaded (Mono and Gecko are disabled).
set -eu

die() { echo "wine-setup.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
shim_src="$here/../packaging/windows/wineshim"

prefix=${1:-${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/packetbuddy/wine}}
case $prefix in
/*) ;;
*) prefix="$(pwd)/$prefix" ;;
esac

command -v wine >/dev/null 2>&1 || die "wine not found (Debian: apt-get install wine wine64)"
cc=x86_64-w64-mingw32-gcc
command -v "$cc" >/dev/null 2>&1 || die "$cc not found (Debian: apt-get install gcc-mingw-w64-x86-64-win32)"
[ -f "$shim_src/bcryptprimitives.c" ] || die "missing $shim_src/bcryptprimitives.c"

export WINEPREFIX="$prefix" WINEDEBUG=-all
# An empty override disables the DLL: no dialog offering to download Mono
# or Gecko, which a headless machine could never answer.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Wine refuses a prefix owned by someone else, and a 64-bit-only Wine
# needs WINEARCH=win64 when it creates one.
export WINEARCH=win64

if [ ! -f "$prefix/system.reg" ]; then
	echo "wine-setup.sh: creating Wine prefix $prefix" >&2
	mkdir -p "$prefix"
	wine wineboot --init >&2 || die "wineboot --init failed in $prefix"
	wineserver --wait
fi
[ -f "$prefix/system.reg" ] || die "wineboot did not create $prefix/system.reg"

sys32="$prefix/drive_c/windows/system32"
dll="$sys32/bcryptprimitives.dll"
[ -d "$sys32" ] || die "$sys32 missing: the prefix is broken; delete $prefix and run again"
if [ ! -f "$dll" ] || [ "$shim_src/bcryptprimitives.c" -nt "$dll" ] || [ "$shim_src/bcryptprimitives.def" -nt "$dll" ]; then
	echo "wine-setup.sh: building ProcessPrng shim into $dll" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$cc" -shared -O2 -s -Wall -Werror -o "$tmp/bcryptprimitives.dll" \
		"$shim_src/bcryptprimitives.c" "$shim_src/bcryptprimitives.def" -ladvapi32
	cp "$tmp/bcryptprimitives.dll" "$dll"
fi
echo "$prefix"
