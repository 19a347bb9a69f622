#!/usr/bin/env bash
# Provisions one VM of the Vagrant cluster: what a faultline node needs
# (firewall tools for partitions, iproute2 and the netem module for packet
# faults, libfaketime for clock skew) and /etc/hosts naming every member by
# its private address. Idempotent.
#   provision-node.sh NAME HOSTS   (HOSTS: "ip name" lines)
set -euo pipefail
name="$1"
hosts="$2"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nftables iptables iproute2 kmod libfaketime faketime \
  procps rsync openssh-server
# netem ships in Debian's kernel package as a module (other distributions
# split it out, e.g. kernel-modules-extra); load it now and at boot.
modprobe sch_netem || echo "provision: sch_netem not loadable; packet faults will use the NFQUEUE shaper" >&2
modprobe sch_prio || true
echo sch_netem > /etc/modules-load.d/faultline.conf

# /etc/hosts: every member by its private address, not the NAT one Vagrant
# maps the hostname to.
sed -i "/ ${name}\$/d; /# faultline-begin/,/# faultline-end/d" /etc/hosts
{
  echo "# faultline-begin"
  echo "$hosts"
  echo "# faultline-end"
} >> /etc/hosts

# The cluster's ssh key: made once, by whichever VM gets here first (the
# mkdir is the lock: VMs may provision in parallel), kept in the synced
# folder (never committed: .gitignore), trusted by root on every VM; the
# controller logs in to the nodes with it.
keydir=/vagrant/vagrant/.ssh
if mkdir -p "$(dirname "$keydir")" && mkdir "$keydir.lock" 2>/dev/null; then
  mkdir -p "$keydir"
  [ -f "$keydir/id_faultline" ] || ssh-keygen -q -t ed25519 -N '' -C faultline-vagrant -f "$keydir/id_faultline"
  touch "$keydir/ready"
fi
for _ in $(seq 1 120); do [ -f "$keydir/ready" ] && break; sleep 1; done
[ -f "$keydir/ready" ] || { echo "provision: no cluster key appeared in $keydir" >&2; exit 1; }
install -d -m 700 /root/.ssh
grep -qxF "$(cat "$keydir/id_faultline.pub")" /root/.ssh/authorized_keys 2>/dev/null ||
  cat "$keydir/id_faultline.pub" >> /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
