#!/usr/bin/env bash
# The README's workbook pictures: a downloaded workbook rendered by LibreOffice to PDF, the
# cover and the first rows of the check sheet cut out as PNG.
#   apt-get install -y libreoffice-calc-nogui poppler-utils fonts-ipafont-gothic
#   tools/workbook/screenshots.sh kensa-<id>.xlsx
set -euo pipefail
book=$1
dir=$(mktemp -d)
soffice --headless --convert-to pdf --outdir "$dir" "$book" > /dev/null
pdf="$dir/$(basename "${book%.xlsx}").pdf"
pdftoppm -r 110 -f 1 -l 1 -x 60 -y 60 -W 960 -H 740 -png "$pdf" "$dir/cover"
pdftoppm -r 160 -f 2 -l 2 -x 100 -y 100 -W 1900 -H 700 -png "$pdf" "$dir/sheet"
cp "$dir"/cover-1.png docs/screenshots/workbook.png
cp "$dir"/sheet-2.png docs/screenshots/workbook-sheet.png
