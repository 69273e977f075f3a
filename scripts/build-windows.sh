#!/bin/sh
# build-windows.sh builds the Windows release of PacketBuddy:
#
#   scripts/build-windows.sh [ARCH...]     (default: amd64 arm64)
#
# For each ARCH it writes $DIST/windows_$ARCH/packetbuddy.exe and
# $DIST/packetbuddy_${VERSION}_windows_$ARCH.zip (the exe, README.txt and
# LICENSE.txt) and prints the zip's path. VERSION and DIST are described in
# build-env.sh.
#
# The exe is linked with -H=windowsgui, so it opens no console window (its
# commands still print in a console: see console_windows.go), and carries
# the icon, the manifest (per-monitor DPI awareness, common controls v6,
# long paths) and the version information from packaging/windows/winres.json,
# compiled by go-winres (a Go tool in go.mod) into rsrc_windows_*.syso in the
# repository root for the duration of the build.
set -eu
. "$(dirname "$0")/build-env.sh"
cd "$REPO"

need_file packaging/windows/winres.json
need_file packaging/windows/README.txt
need_file assets/icons/packetbuddy.ico "the tray's icon set, see assets/icons"
command -v zip >/dev/null 2>&1 || die "zip not found (Debian: apt-get install zip)"
license=packaging/linux/copyright
[ -f LICENSE ] && license=LICENSE

[ $# -gt 0 ] || set -- amd64 arm64
# go build links every .syso file in the package directory; these exist
# only while this script runs.
trap 'rm -f "$REPO"/rsrc_windows_*.syso' EXIT
go tool go-winres make --in packaging/windows/winres.json --out rsrc \
	--arch "$(echo "$@" | tr ' ' ,)" \
	--product-version "$VERSION" --file-version "$VERSION"

for arch in "$@"; do
	need_file "rsrc_windows_$arch.syso" "go-winres output"
	out="$DIST/windows_$arch"
	rm -rf "$out"
	mkdir -p "$out"
	GOOS=windows GOARCH=$arch go build -trimpath -ldflags "$LDFLAGS -H=windowsgui" -o "$out/packetbuddy.exe" .
	# Windows users open text files in Notepad: CRLF line ends.
	sed 's/$/\r/' packaging/windows/README.txt >"$out/README.txt"
	sed 's/$/\r/' "$license" >"$out/LICENSE.txt"
	zipfile="$DIST/packetbuddy_${VERSION}_windows_$arch.zip"
	rm -f "$zipfile"
	(cd "$out" && zip -q -X -9 "$zipfile" packetbuddy.exe README.txt LICENSE.txt)
	echo "$zipfile"
done
