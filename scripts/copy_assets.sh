#!/usr/bin/env bash
# Copy the front-end packages installed by npm into static/vendor/, where Django serves them.
# static/vendor/ is built output: it is git-ignored and rebuilt by `make assets`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/vendor
rm -rf "$out"
mkdir -p "$out/bootstrap" "$out/bootstrap-icons" "$out/htmx" "$out/chartjs"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$out/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$out/bootstrap/"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$out/bootstrap-icons/"
cp -r node_modules/bootstrap-icons/font/fonts "$out/bootstrap-icons/"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chartjs/" 2>/dev/null || cp node_modules/chart.js/dist/chart.umd.js "$out/chartjs/chart.umd.min.js"
echo "assets copied to $out"
