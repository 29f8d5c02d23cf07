#!/usr/bin/env bash
# Debian's packages the one-node cluster with real containers needs (kansoku cluster up
# --real-node, tests/realnode): runc (the OCI runtime containerd starts), the CNI plugins
# (bridge, host-local, loopback, portmap), iptables and nftables (kube-proxy's rules, kube-router's
# NetworkPolicy firewall), ipset (kube-router), conntrack (kube-proxy clears stale UDP entries),
# iproute2 (the node's network namespace) and util-linux's nsenter. Idempotent: does nothing when
# every program is there, so an installed machine never touches the network.
set -euo pipefail

# program -> package that provides it
declare -A NEEDED=(
    [/usr/sbin/runc]=runc
    [/usr/lib/cni/bridge]=containernetworking-plugins
    [/usr/sbin/iptables]=iptables
    [/usr/sbin/nft]=nftables
    [/usr/sbin/ipset]=ipset
    [/usr/sbin/conntrack]=conntrack
    [/usr/sbin/ip]=iproute2
    [/usr/bin/nsenter]=util-linux
)
missing=()
for program in "${!NEEDED[@]}"; do
    if [[ ! -x "$program" ]]; then
        missing+=("${NEEDED[$program]}")
    fi
done
if [[ ${#missing[@]} == 0 ]]; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "error: the real-node cluster needs Debian's ${missing[*]};" \
        "install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing Debian's ${missing[*]} for the real-node cluster" >&2
# The lists of a fresh machine may be empty or stale (a 404 on install), so refresh them; this
# runs only when a package is missing.
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
