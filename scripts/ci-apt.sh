#!/usr/bin/env bash
# Debian packages the tests need (browser, fonts, PDF/QR tools, OpenSSL CLI). Installs only what is missing.
set -euo pipefail
need=(chromium fonts-noto-cjk poppler-utils zbar-tools openssl)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
