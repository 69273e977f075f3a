#!/bin/sh
# crossbuild.sh builds PacketBuddy for every released platform with
# CGO_ENABLED=0, as CI does:
#
#   scripts/crossbuild.sh
#
#   linux/amd64, linux/arm64    $DIST/linux_$ARCH/packetbuddy, plus the .deb and .rpm
#   windows/amd64, windows/arm64 $DIST/windows_$ARCH/packetbuddy.exe, plus the zip
#   darwin/arm64                $DIST/darwin_arm64/packetbuddy (headless: the
#                               tray needs cgo, so build-macos-app.sh on a Mac)
#
# Every package of the module is compiled for each target first (go build
# -trimpath ./..., which the release builds and CI's vet then reuse; two
# targets at a time, CROSSBUILD_JOBS to change that), so a file that
# breaks one platform fails here even when the binary does not import it.
# Artefacts and their sizes are listed at the end. VERSION and DIST are
# described in build-env.sh.
set -eu
. "$(dirname "$0")/build-env.sh"
cd "$REPO"

targets="linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/arm64"
# Two targets at a time: most of a target's time is the compile of one
# large package (modernc.org/sqlite), which keeps only one core busy.
printf '%s\n' $targets | xargs -P "${CROSSBUILD_JOBS:-2}" -I{} sh -c '
	t={}
	echo "crossbuild: $t" >&2
	GOOS=${t%/*} GOARCH=${t#*/} go build -trimpath ./... || { echo "crossbuild: $t does not build" >&2; exit 1; }
' || die "a target does not build"

scripts=$(dirname "$0")
"$scripts/build-linux-packages.sh" amd64 arm64 >/dev/null
"$scripts/build-windows.sh" amd64 arm64 >/dev/null
mkdir -p "$DIST/darwin_arm64"
GOOS=darwin GOARCH=arm64 go build -trimpath -ldflags "$LDFLAGS" -o "$DIST/darwin_arm64/packetbuddy" .

echo "crossbuild: $VERSION" >&2
cd "$DIST"
ls -l linux_amd64/packetbuddy linux_arm64/packetbuddy \
	windows_amd64/packetbuddy.exe windows_arm64/packetbuddy.exe darwin_arm64/packetbuddy \
	./*.deb ./*.rpm ./*.zip | awk '{printf "%10d  %s\n", $5, $NF}'
