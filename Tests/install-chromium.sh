#!/usr/bin/env bash
# Installs Chromium from Debian's packages for the page test (BrowserPageTests). Safe to run twice.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "chromium: already installed ($(command -v chromium || command -v chromium-browser))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends chromium >/tmp/nanobatch-chromium.log 2>&1; then
  $SUDO apt-get update >>/tmp/nanobatch-chromium.log 2>&1
  $SUDO apt-get install -y --no-install-recommends chromium >>/tmp/nanobatch-chromium.log 2>&1
fi
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: installed ($(chromium --version 2>/dev/null))"
else
  echo "chromium: could not be installed (see /tmp/nanobatch-chromium.log); the page test will be skipped" >&2
fi
