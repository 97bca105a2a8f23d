#!/usr/bin/env bash
# Run before `npm test` (pretest): the browser tests drive Debian's chromium, which no npm
# package ships here. Installs it with apt-get when it is missing and this user can.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "The browser tests need Chromium at /usr/bin/chromium (Debian's chromium package); install it, then run npm test again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo=sudo; else
    echo "The browser tests need Debian's chromium: run  sudo apt-get install -y chromium  then npm test again." >&2
    exit 1
  fi
fi
echo "Installing Debian's chromium for the browser tests (once)..." >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2
