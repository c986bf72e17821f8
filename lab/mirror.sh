#!/usr/bin/env bash
# Build a download mirror for the lab: Kubernetes worker binaries laid out like dl.k8s.io
# (vRELEASE/bin/linux/amd64/NAME and NAME.sha256) — kubelet and kube-proxy are the stand-in
# lab/stand-ins/kubelet (Debian packages neither), kubectl is the real one — and flanneld
# laid out like flannel's GitHub releases (flannel-io/flannel/releases/download/vVERSION/
# flanneld-amd64, and no digest file: flannel publishes none), the stand-in
# lab/stand-ins/flanneld, and etcd laid out like
# etcd's GitHub releases (etcd-io/etcd/releases/download/vV/etcd-vV-linux-amd64.tar.gz and
# SHA256SUMS), made from this machine's real etcd and etcdctl (Debian's etcd-server).
#
#   lab/mirror.sh DIR [RELEASE]      then serve DIR over HTTP on the lab bridge (10.77.0.1)
set -euo pipefail
dir=$1
release=${2:-1.28.5}
here=$(cd "$(dirname "$0")" && pwd)
out=$dir/v$release/bin/linux/amd64
mkdir -p "$out"
install -m 0755 "$here/stand-ins/kubelet" "$out/kubelet"
install -m 0755 "$here/stand-ins/kubelet" "$out/kube-proxy"
install -m 0755 "$(readlink -f "$(command -v kubectl)")" "$out/kubectl"
for b in kubelet kube-proxy kubectl; do
    sha256sum "$out/$b" | cut -d' ' -f1 > "$out/$b.sha256"
done
flannel=$dir/flannel-io/flannel/releases/download/v${FLANNEL_VERSION:-0.25.1}
mkdir -p "$flannel"
install -m 0755 "$here/stand-ins/flanneld" "$flannel/flanneld-amd64"
# No digest beside it: flannel's releases publish none (a runbook must pin flanneld_sha256).
etcd_v=$(etcd --version | sed -n 's/^etcd Version: //p')
etcd_rel=$dir/etcd-io/etcd/releases/download/v$etcd_v
name=etcd-v$etcd_v-linux-amd64
mkdir -p "$etcd_rel" "$dir/.build/$name"
install -m 0755 "$(readlink -f "$(command -v etcd)")" "$dir/.build/$name/etcd"
install -m 0755 "$(readlink -f "$(command -v etcdctl)")" "$dir/.build/$name/etcdctl"
tar -czf "$etcd_rel/$name.tar.gz" -C "$dir/.build" "$name"
(cd "$etcd_rel" && sha256sum "$name.tar.gz" > SHA256SUMS)
