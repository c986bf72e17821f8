#!/usr/bin/env bash
# The lab's PKI: one CA, and per test host a server, a peer and a client certificate with
# their keys, so every runbook can run over TLS with client authentication, as production
# etcd and Kubernetes do. Made with openssl (Debian's), ECDSA P-256, valid 825 days.
#
#   lab/pki.sh N         writes $LAB/pki/ca.{crt,key}, $LAB/pki/admin.{crt,key} (a client
#                        certificate for the controller, O=system:masters), apiserver.{crt,key}
#                        and $LAB/pki/rbhI/{server,peer,client}.{crt,key}
#
# A host's certificates name it as every client may reach it: its address, its short name and
# its FQDN (server and peer); the client certificate is a node's identity as Kubernetes'
# Node authorizer reads it (CN=system:node:rbhI, O=system:nodes). $LAB/pki/apiserver.{crt,key}
# serve the API server stand-in on the lab bridge (10.77.0.1). lab/start-host.sh copies them to /etc/rb-lab/pki on the
# host; the inventory gives the paths (pki_ca, pki_server_cert, ... in [lab:vars]).
# Idempotent: an existing CA is kept; host certificates are made again only when missing.
set -euo pipefail
N=$1
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
P=$LAB/pki
command -v openssl >/dev/null || { echo "lab/pki.sh: missing openssl (apt-get install openssl)" >&2; exit 1; }
# A layout older than this script's is made again from scratch.
LAYOUT=2
[ "$(cat "$P/layout" 2>/dev/null)" = "$LAYOUT" ] || rm -rf "$P"
mkdir -p "$P"
chmod 700 "$P"
echo "$LAYOUT" > "$P/layout"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }
if [ ! -f "$P/ca.crt" ]; then
    key "$P/ca.key"
    openssl req -x509 -new -key "$P/ca.key" -sha256 -days 825 -subj "/CN=rb lab CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$P/ca.crt" 2>/dev/null
    rm -rf "$P"/rbh* "$P"/admin.*
fi
# sign NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
sign() {
    local out=$1 subj=$2 eku=$3 san=${4:-}
    key "$out.key"
    openssl req -new -key "$out.key" -subj "$subj" -out "$out.csr" 2>/dev/null
    {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$eku"
        [ -n "$san" ] && echo "subjectAltName=$san"
    } > "$out.ext"
    openssl x509 -req -in "$out.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
        -sha256 -days 825 -extfile "$out.ext" -out "$out.crt" 2>/dev/null
    rm -f "$out.csr" "$out.ext"
}
[ -f "$P/admin.crt" ] || sign "$P/admin" "/O=system:masters/CN=rb-lab-admin" clientAuth
# The API server stand-in's serving certificate: the controller on the lab bridge.
[ -f "$P/apiserver.crt" ] || sign "$P/apiserver" "/CN=kube-apiserver" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:localhost,IP:10.77.0.1,IP:127.0.0.1"
for i in $(seq 1 "$N"); do
    h=rbh$i
    addr=10.77.0.$((10 + i))
    d=$P/$h
    [ -f "$d/client.crt" ] && continue
    mkdir -p "$d"
    names="DNS:$h,DNS:$h.rblab.internal,IP:$addr,DNS:localhost,IP:127.0.0.1"
    sign "$d/server" "/CN=$h" serverAuth "$names"
    sign "$d/peer" "/CN=$h" "serverAuth,clientAuth" "$names"
    sign "$d/client" "/O=system:nodes/CN=system:node:$h" clientAuth
    cp "$P/ca.crt" "$d/ca.crt"
done
rm -f "$P/ca.srl"
