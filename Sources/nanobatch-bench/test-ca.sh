#!/bin/sh
# A throwaway certificate authority for the https benchmark. URLSession on Linux (libcurl) trusts only the
# system store, so the CA goes there for the run and comes out afterwards. Needs root and openssl.
# Usage: sh test-ca.sh make DIR    writes DIR/server.crt and DIR/server.key (ECDSA P-256, for 127.0.0.1 and
#                                  localhost, valid one day), adds the CA to the system store, deletes its key
#        sh test-ca.sh remove      takes the CA out of the system store again
set -eu
ANCHOR=/usr/local/share/ca-certificates/nanobatch-bench-ca.crt
case "${1:-}" in
make)
    dir=$2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=nanobatch bench CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
        -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
    # Nothing else can be signed with it.
    rm -f "$dir/ca.key" "$dir/server.csr" "$dir/server.ext"
    cp "$dir/ca.crt" "$ANCHOR"
    update-ca-certificates >/dev/null 2>&1
    ;;
remove)
    rm -f "$ANCHOR"
    update-ca-certificates --fresh >/dev/null 2>&1
    ;;
*)
    echo "usage: sh test-ca.sh make DIR | remove" >&2
    exit 2
    ;;
esac
