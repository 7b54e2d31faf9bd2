#!/usr/bin/env bash
# Copy the front-end packages installed by npm into static/vendor/, where Django serves them.
# static/vendor/ is built output: it is git-ignored and rebuilt by `make assets`.
#
# Each file travels with the source map it names (`sourceMappingURL=...`): collectstatic with the
# production (manifest) storage follows those references and fails on a missing file. A file whose
# map the package does not ship gets the reference removed instead.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/vendor
rm -rf "$out"
mkdir -p "$out/bootstrap" "$out/bootstrap-icons" "$out/htmx" "$out/chartjs"

# copy SRC DEST_DIR [NAME]: the file (renamed to NAME if given) and the map it references
copy() {
  local src="$1" dest="$2" name="${3:-$(basename "$1")}"
  cp "$src" "$dest/$name"
  local map
  map="$(grep -o 'sourceMappingURL=[^ *]*' "$src" | tail -n 1 | cut -d= -f2- || true)"
  if [ -z "$map" ]; then
    return
  fi
  if [ -f "$(dirname "$src")/$map" ]; then
    cp "$(dirname "$src")/$map" "$dest/$map"
  else
    sed -i -e 's#//[#@] sourceMappingURL=.*$##' -e 's#/\*[#@] sourceMappingURL=[^*]*\*/##' "$dest/$name"
  fi
}

copy node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap"
copy node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap"
copy node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons"
cp -r node_modules/bootstrap-icons/font/fonts "$out/bootstrap-icons/"
copy node_modules/htmx.org/dist/htmx.min.js "$out/htmx"
if [ -f node_modules/chart.js/dist/chart.umd.min.js ]; then
  copy node_modules/chart.js/dist/chart.umd.min.js "$out/chartjs"
else
  copy node_modules/chart.js/dist/chart.umd.js "$out/chartjs" chart.umd.min.js
fi
echo "assets copied to $out"
