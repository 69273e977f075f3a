# build-env.sh is sourced by the other build scripts; it is not run on its
# own. It sets:
#
#   REPO     the repository root (the scripts may be called from anywhere)
#   VERSION  $VERSION if set, else the newest vX.Y.Z tag without its "v",
#            else 0.1.0-dev; it becomes main.version and the package version
#   DIST     $DIST if set, else $REPO/dist: where the results go
#   LDFLAGS  linker flags for a release binary
#   CGO_ENABLED=0, exported
#
# and defines die and need_file.

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# need_file fails clearly when an input of the build is missing, naming
# what produces it.
need_file() {
	[ -f "$1" ] || die "missing $1${2:+ ($2)}"
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${VERSION:-}" ]; then
	VERSION=$(git -C "$REPO" describe --tags --match 'v[0-9]*' --abbrev=0 2>/dev/null || true)
	VERSION=${VERSION#v}
	VERSION=${VERSION:-0.1.0-dev}
fi
case $VERSION in
[0-9]*) ;;
*) die "VERSION=$VERSION: want a version such as 1.2.3 or 1.2.3-rc1" ;;
esac
DIST=${DIST:-$REPO/dist}
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
LDFLAGS="-s -w -X main.version=$VERSION"
# Static binaries: the .deb depends on nothing, and Windows needs no DLLs
# beyond the system's. Only the macOS bundle turns cgo back on.
export CGO_ENABLED=0
