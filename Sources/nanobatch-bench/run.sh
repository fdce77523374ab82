#!/bin/sh
# Runs every benchmark against a release build and prints a table; exits 1 when a target is missed.
# Usage: sh Sources/nanobatch-bench/run.sh      (from the repository root, as root; installs ninja-build, nginx-light
# and openssl if absent; the https rows trust a throwaway CA in the system store for their run, then remove it)
set -u
cd "$(dirname "$0")/../.." || exit 2
install() { (apt-get install -y "$@" || (apt-get update && apt-get install -y "$@")) >/dev/null 2>&1; }
command -v ninja >/dev/null 2>&1 || install ninja-build
[ -x /usr/sbin/nginx ] || install nginx-light
command -v openssl >/dev/null 2>&1 || install openssl
# The tool is measured as README › Quick start installs it: Swift's libraries linked in (--static-swift-stdlib),
# which needs libcurl's development link (Debian: libcurl4-openssl-dev). Without it, a plain release build.
[ -e /usr/lib/x86_64-linux-gnu/libcurl.so ] || [ -e /usr/lib/aarch64-linux-gnu/libcurl.so ] || install libcurl4-openssl-dev
if swift build -c release --static-swift-stdlib --product nanobatch >/dev/null 2>&1; then
    LINKING="Swift libraries linked in (--static-swift-stdlib)"
else
    swift build -c release --product nanobatch >/dev/null || exit 2
    LINKING="Swift libraries linked dynamically (the static build failed)"
fi
swift build -c release --product nanobatch-bench >/dev/null || exit 2
NINJA=$(command -v ninja || echo missing)
TOOL=.build/release/nanobatch
BENCH=.build/release/nanobatch-bench
echo "machine: $(nproc) cores, $(uname -sm), $(swift --version 2>/dev/null | head -1)"
echo "ninja: $NINJA $($NINJA --version 2>/dev/null)"
echo "nanobatch: $LINKING"
# Work folders live in one fresh folder, removed only at the end (see temporaryFolder in main.swift).
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/nanobatch-bench.XXXXXX") || exit 2
export TMPDIR
SHM=""
trap 'rm -rf "$TMPDIR" $SHM; [ -z "${TLS:-}" ] || sh Sources/nanobatch-bench/test-ca.sh remove' EXIT
echo "work folder: $TMPDIR ($(stat -f -c %T "$TMPDIR"))"
status=0
run() {
    echo "\$ $BENCH $*"
    "$BENCH" "$@" || status=1
}
# Rows that are reported, not targets: what URLSession costs (README › Performance says why it decides).
report() {
    echo "\$ $*"
    env "$@"
}
run throughput sync "$TOOL" 2000 64 50
run throughput async "$TOOL" 2000 64 50
# The same two on tmpfs, when there is one: the tool's own overhead without the disk's cost per new file.
if [ -d /dev/shm ] && SHM=$(mktemp -d /dev/shm/nanobatch-bench.XXXXXX 2>/dev/null); then
    TMPDIR=$SHM run throughput sync "$TOOL" 2000 64 50
    TMPDIR=$SHM run throughput async "$TOOL" 2000 64 50
fi
# The same two through URLSession instead of the own HTTP client.
report NANOBATCH_HTTP_CLIENT=urlsession "$BENCH" throughput sync "$TOOL" 2000 64 50
report NANOBATCH_HTTP_CLIENT=urlsession "$BENCH" throughput async "$TOOL" 2000 64 50
# https: nginx terminates TLS in front of the same server, HTTP/1.1 and then HTTP/2 (what real providers offer).
TLS=$TMPDIR/tls
mkdir -p "$TLS" && sh Sources/nanobatch-bench/test-ca.sh make "$TLS" || exit 2
echo "nginx: $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //'), $(openssl version | cut -d' ' -f1-2)"
for protocol in h1 h2; do
    report "$BENCH" throughput-https sync "$TOOL" "$TLS" 2000 64 50 "$protocol"
    report "$BENCH" throughput-https async "$TOOL" "$TLS" 2000 64 50 "$protocol"
done
sh Sources/nanobatch-bench/test-ca.sh remove
TLS=""
run plan "$TOOL" 100000
run noop "$TOOL" "$NINJA" 10000 5
run noop "$TOOL" "$NINJA" 100000 3
run memory "$TOOL" 2000 64
run remote-store "$TOOL" 10000
# Rate control: a provider enforcing 40 requests/s (sliding 1 s window, 429 + Retry-After beyond it), and a
# gateway answering 429 to 10 % of requests at random (wall time against the same run without them).
run rate-limit "$TOOL" 800 8 40 5
run rate-noise "$TOOL" 400 8 5 10
# The contact sheet of a 5,000-job build, opened in headless Chromium (Tests/install-chromium.sh installs it).
command -v chromium >/dev/null 2>&1 || sh Tests/install-chromium.sh >/dev/null 2>&1
run page "$TOOL" "$(command -v chromium || command -v chromium-browser || echo missing)" 5000 3
exit $status
