#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (one `apt-get update` at most). CI (.ci/run) calls
# this; a developer can too. Add a package to the list below with the reason, never install ad hoc in a test.
#   chromium        — ofd.js 0.2.6 renders our OFD in headless Chromium (test/thirdparty, driven by playwright-core)
#   fonts-noto-cjk  — ofd.js draws OFD text with system fonts by name; Chinese needs a CJK font in the browser
#   poppler-utils   — pdftoppm / pdftotext / pdfinfo check the PDF rendition (src/documents/pdf)
#   qpdf            — qpdf --check: the PDF writer's cross-reference table, objects and streams (src/documents/pdf)
#   zbar-tools      — zbarimg decodes both QR codes from rendered pages
#   openssl         — SM2/SM3 interop tests (src/crypto)
#   fontconfig      — fc-list, to check below that the CJK font is visible
#   fonts-hanazono  — HanaMinA/B: fallback faces for CJK Extension B+ characters (生僻字, e.g. 𠮷) in src/documents/fonts.ts
# Extra packages can be passed as arguments.
set -euo pipefail
need=(chromium fonts-noto-cjk fonts-hanazono fontconfig poppler-utils qpdf zbar-tools openssl "$@")
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The tools the tests call by path or name must now exist.
for cmd in /usr/bin/chromium pdftoppm pdftotext pdfinfo qpdf zbarimg openssl fc-list; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "ci-apt: $cmd missing after install" >&2; exit 1; }
done
fc-list :lang=zh family | grep -qi 'noto' || { echo "ci-apt: no Noto CJK font visible to fontconfig" >&2; exit 1; }
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || { echo "ci-apt: HanaMinB.ttf (fonts-hanazono) missing" >&2; exit 1; }
echo "ci-apt: system packages ready"
