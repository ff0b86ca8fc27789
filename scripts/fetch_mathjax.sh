#!/usr/bin/env bash
# Copy MathJax 3.2.2 from the npm registry into _vendor/ (ignored by git), so the site
# renders math with no network. Only the files the CHTML output needs are kept (about 4 MB).
# Without npm the site falls back to the CDN, and the build says so.
set -euo pipefail
version=3.2.2
dest=_vendor/mathjax-static/mathjax
if ! command -v npm >/dev/null 2>&1; then
  echo "WARNING: npm not found: the site will load MathJax from a CDN, so math needs a network connection." >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mathjax@$version" >/dev/null && tar -xzf "mathjax-$version.tgz")
rm -rf "$dest"
mkdir -p "$dest/es5/output/chtml/fonts"
src="$work/package/es5"
cp "$src/tex-mml-chtml.js" "$dest/es5/"
cp -r "$src/input" "$src/ui" "$src/a11y" "$dest/es5/"
cp -r "$src/output/chtml/fonts/woff-v2" "$dest/es5/output/chtml/fonts/"
cp "$work/package/LICENSE" "$dest/"
touch "$dest/.version-$version"
echo "MathJax $version copied to $dest ($(du -sh "$dest" | cut -f1))"
