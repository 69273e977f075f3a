#!/bin/sh
# build-macos-app.sh builds PacketBuddy.app, on a Mac:
#
#   scripts/build-macos-app.sh                 on macOS with Xcode's command line tools
#   scripts/build-macos-app.sh --plist FILE    anywhere: only render Info.plist
#
# The first form writes $DIST/PacketBuddy.app, a universal (arm64 + x86_64)
# bundle signed ad hoc (or with $CODESIGN_IDENTITY), and
# $DIST/packetbuddy_${VERSION}_macos.zip, and prints the zip's path. The
# tray uses Cocoa through cgo, so this needs a Mac: cross-builds from
# Linux are headless (CGO_ENABLED=0). The second form is what CI runs to
# check the template. VERSION and DIST are described in build-env.sh.
#
# The bundle is an agent (LSUIElement): a menu bar icon, no Dock icon and
# no app menu. Install by dragging PacketBuddy.app to /Applications.
set -eu
. "$(dirname "$0")/build-env.sh"
cd "$REPO"

template=packaging/macos/Info.plist.tmpl
need_file "$template"
# CFBundleShortVersionString and CFBundleVersion must be one to three
# integers: 1.2.3-rc1 becomes 1.2.3.
short_version=$(echo "$VERSION" | sed 's/[^0-9.].*//; s/\.$//')
[ -n "$short_version" ] || die "VERSION=$VERSION has no numeric part"

render_plist() {
	sed -e "s/@SHORT_VERSION@/$short_version/g" -e "s/@VERSION@/$VERSION/g" "$template" >"$1"
	if grep -n '@[A-Z_]*@' "$1" >&2; then
		die "$template: placeholders left unreplaced"
	fi
}

if [ "${1:-}" = --plist ]; then
	[ $# -eq 2 ] || die "usage: $0 --plist FILE"
	render_plist "$2"
	exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--plist FILE]"

[ "$(uname -s)" = Darwin ] || die "the .app needs a Mac (the tray is Cocoa through cgo); on other systems only --plist FILE works"
for tool in lipo sips iconutil plutil codesign ditto; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install Xcode's command line tools: xcode-select --install)"
done
for size in 16 32 256; do
	need_file "assets/icons/packetbuddy-$size.png" "the tray's icon set, see assets/icons"
done

# The menu bar icon is Cocoa, through cgo.
export CGO_ENABLED=1 MACOSX_DEPLOYMENT_TARGET=12.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

app="$DIST/PacketBuddy.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"

for arch in arm64 amd64; do
	GOOS=darwin GOARCH=$arch go build -trimpath -ldflags "$LDFLAGS" -o "$work/packetbuddy-$arch" .
done
lipo -create -output "$app/Contents/MacOS/packetbuddy" "$work/packetbuddy-arm64" "$work/packetbuddy-amd64"

iconset="$work/PacketBuddy.iconset"
mkdir -p "$iconset"
cp assets/icons/packetbuddy-16.png "$iconset/icon_16x16.png"
cp assets/icons/packetbuddy-32.png "$iconset/icon_16x16@2x.png"
cp assets/icons/packetbuddy-32.png "$iconset/icon_32x32.png"
sips -z 64 64 assets/icons/packetbuddy-256.png --out "$iconset/icon_32x32@2x.png" >/dev/null
sips -z 128 128 assets/icons/packetbuddy-256.png --out "$iconset/icon_128x128.png" >/dev/null
cp assets/icons/packetbuddy-256.png "$iconset/icon_128x128@2x.png"
cp assets/icons/packetbuddy-256.png "$iconset/icon_256x256.png"
iconutil --convert icns --output "$app/Contents/Resources/PacketBuddy.icns" "$iconset"

render_plist "$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist" >&2
printf 'APPL????' >"$app/Contents/PkgInfo"

codesign --force --sign "${CODESIGN_IDENTITY:--}" --timestamp=none "$app"
codesign --verify --strict "$app"

zipfile="$DIST/packetbuddy_${VERSION}_macos.zip"
rm -f "$zipfile"
ditto -c -k --sequesterRsrc --keepParent "$app" "$zipfile"
echo "$zipfile"
