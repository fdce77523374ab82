#!/usr/bin/env bash
# Installs nginx from Debian's packages for the remote-store tests (NginxRemoteStoreTests). Safe to run twice.
set -u
if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; then
  echo "nginx: already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends nginx-light >/tmp/nanobatch-nginx.log 2>&1; then
  $SUDO apt-get update >>/tmp/nanobatch-nginx.log 2>&1
  $SUDO apt-get install -y --no-install-recommends nginx-light >>/tmp/nanobatch-nginx.log 2>&1
fi
# The package starts a system nginx on port 80; the tests start their own, so stop it.
$SUDO service nginx stop >>/tmp/nanobatch-nginx.log 2>&1 || true
if [ -x /usr/sbin/nginx ]; then
  echo "nginx: installed ($(/usr/sbin/nginx -v 2>&1))"
else
  echo "nginx: could not be installed (see /tmp/nanobatch-nginx.log); the remote-store tests against nginx will be skipped" >&2
fi
