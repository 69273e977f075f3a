#!/bin/sh
# Refreshes the vendored Chart.js 4 UMD build in dashboard/static/vendor/
# from the npm registry. Usage: scripts/vendor-chartjs.sh [4.x version]
# Needs npm (Debian package "npm") or curl + tar; run from anywhere.
set -eu
version="${1:-4}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/dashboard/static/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
if command -v npm >/dev/null 2>&1; then
	tarball="$(npm pack --silent "chart.js@$version")"
else
	# Without npm: ask the registry for the exact version's tarball URL.
	meta="$(curl -fsSL "https://registry.npmjs.org/chart.js/$version")"
	url="$(printf '%s' "$meta" | sed -n 's/.*"tarball":"\([^"]*\)".*/\1/p')"
	tarball="chart.js.tgz"
	curl -fsSL -o "$tarball" "$url"
fi
tar -xzf "$tarball"
got="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package/package.json | head -n 1)"
case "$got" in
4.*) ;;
*) echo "vendor-chartjs: expected Chart.js 4.x, got $got" >&2; exit 1 ;;
esac

mkdir -p "$dest"
cp package/dist/chart.umd.min.js "$dest/chart.umd.min.js"
cp package/LICENSE.md "$dest/LICENSE.md"
sha="$(sha256sum "$dest/chart.umd.min.js" | cut -d' ' -f1)"
cat >"$dest/VERSION" <<NOTE
Chart.js $got (MIT licence, see LICENSE.md), from the npm registry package
chart.js@$got, file dist/chart.umd.min.js.
sha256 $sha
Refresh with scripts/vendor-chartjs.sh [version].
NOTE
echo "vendored Chart.js $got into $dest"
