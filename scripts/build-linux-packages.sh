#!/bin/sh
# build-linux-packages.sh builds PacketBuddy's .deb and .rpm with nfpm:
#
#   scripts/build-linux-packages.sh [ARCH...]     (default: amd64)
#
# ARCH is a Go architecture (amd64, arm64). VERSION and DIST are described
# in build-env.sh. For each ARCH the static binary is built with
# CGO_ENABLED=0 into $DIST/linux_$ARCH/packetbuddy, then
#
#   $DIST/packetbuddy_${VERSION}_$ARCH.deb   (Debian's version: 1.2.3~rc1)
#   $DIST/packetbuddy-$VERSION-1.$RPMARCH.rpm (rpm: 1.2.3~rc1-1.x86_64, aarch64)
#
# are written; their paths are printed on standard output. nfpm runs as a
# Go tool (go.mod's tool directive): nothing but the Go proxy is needed.
set -eu
. "$(dirname "$0")/build-env.sh"
cd "$REPO"

for f in packaging/linux/nfpm.yaml \
	packaging/linux/io.github.packetbuddy.PacketBuddy.desktop \
	packaging/linux/io.github.packetbuddy.PacketBuddy.metainfo.xml \
	packaging/linux/copyright; do
	need_file "$f"
done
for size in 16 22 24 32 48 256; do
	need_file "assets/icons/packetbuddy-$size.png" "the tray's icon set, see assets/icons"
done
LICENSE_FILE=./packaging/linux/copyright
[ -f LICENSE ] && LICENSE_FILE=./LICENSE

[ $# -gt 0 ] || set -- amd64
for arch in "$@"; do
	out="$DIST/linux_$arch"
	mkdir -p "$out"
	GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$LDFLAGS" -o "$out/packetbuddy" .
	for packager in deb rpm; do
		# nfpm prints "created package: PATH" on standard error.
		VERSION=$VERSION ARCH=$arch BINARY="$out/packetbuddy" LICENSE_FILE=$LICENSE_FILE \
			go tool nfpm package --config packaging/linux/nfpm.yaml \
			--packager "$packager" --target "$DIST/" >"$out/nfpm-$packager.log" 2>&1 ||
			{ cat "$out/nfpm-$packager.log" >&2; die "nfpm $packager for $arch failed"; }
		sed -n 's/.*created package: //p' "$out/nfpm-$packager.log"
	done
done
