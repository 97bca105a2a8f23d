#!/usr/bin/env bash
# Run before `npm test` (pretest): the load-balancer test (test/integration/load-balancer.test.ts)
# runs Debian's haproxy and pgbouncer, which no npm package ships. Installs the missing ones
# with apt-get when this user can; quiet when both are present. Their daemons are not used
# (the test runs its own in the foreground), so the packages' services are not started.
set -euo pipefail
missing=()
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "The load-balancer test needs HAProxy and PgBouncer at /usr/sbin (Debian's haproxy and pgbouncer packages); install ${missing[*]}, then run npm test again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then sudo=sudo; else
    echo "The load-balancer test needs Debian's ${missing[*]}: run  sudo apt-get install -y ${missing[*]}  then npm test again." >&2
    exit 1
  fi
fi
echo "Installing Debian's ${missing[*]} for the load-balancer test (once)..." >&2
# policy-rc.d answering 101 keeps the packages' init scripts from starting their daemons
# (a pgbouncer on 6432, a haproxy); removed again whatever happens.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
