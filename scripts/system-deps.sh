#!/usr/bin/env bash
# Installs the system parts the test suite needs (Debian): Chromium for the browser
# journeys, PostgreSQL for the database tests, DejaVu fonts for the PDF report.
# Run as root it installs what is missing with apt; otherwise it only checks, and
# fails with a clear message: the suite never skips those parts.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
{ command -v initdb >/dev/null 2>&1 || [ -n "$pg_bin" ]; } || missing+=(postgresql)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Paquets système manquants : ${missing[*]} (installez-les : sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
echo "Installation des paquets système manquants : ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
