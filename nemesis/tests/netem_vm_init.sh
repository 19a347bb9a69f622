#!/bin/busybox sh
# /init of the VM lane's initramfs (netem_vmtest.cpp): proves faultline-agent's
# per-destination netem faults on a stock Debian kernel. It builds three
# network namespaces a, b, c on one bridge, shapes a's traffic to b with the
# agent, measures with ping, and prints one "FLT <what> key=value..." line per
# result on the console for the test to parse. Then it powers the VM off.
#
# The image holds: busybox (static) in /bin, iproute2's ip and the agent in
# /opt (with their shared libraries at their usual paths), the kernel modules
# in /modules (load order in /modules/order), tc's normal.dist in /usr/lib/tc.

/bin/busybox mkdir -p /proc /sys /run /tmp /var /usr/bin /usr/sbin /sbin
/bin/busybox --install -s /bin
export PATH=/bin:/opt
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
ln -s /run /var/run
mkdir -p /run/netns

say() { echo "FLT $*"; }
finish() {
  say done uptime=$(cut -d' ' -f1 /proc/uptime)
  sync
  poweroff -f
}
say boot uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)

for m in $(cat /modules/order); do
  if ! out=$(insmod /modules/$m 2>&1); then say error step=insmod module=$m msg="$out"; finish; fi
done
say modules loaded=$(wc -l < /modules/order)

IP=/opt/ip
AGENT=/opt/faultline-agent
in_ns() { ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }

# a, b, c each hold eth0 (a veth) whose peer v<ns> is a port of br0.
if ! $IP link add br0 type bridge || ! $IP link set br0 up; then say error step=bridge; finish; fi
n=1
for ns in a b c; do
  $IP netns add $ns &&
    $IP link add v$ns type veth peer name eth0 netns $ns &&
    $IP link set v$ns master br0 && $IP link set v$ns up &&
    $IP -n $ns link set lo up && $IP -n $ns link set eth0 up &&
    $IP -n $ns addr add 10.77.0.$n/24 dev eth0 || { say error step=netns ns=$ns; finish; }
  n=$((n + 1))
done
B=10.77.0.2
C=10.77.0.3
UNUSED=10.77.0.9  # a second target, so more than one u32 filter is installed

# rtt PHASE PEER ADDR COUNT INTERVAL [ping args...]: one FLT rtt line with
# min/avg/max and every reply's time (the test judges medians: an emulated
# guest on a busy host sees the odd stalled ping).
rtt() {
  phase=$1 peer=$2 addr=$3 count=$4 interval=$5
  shift 5
  out=$(in_ns a ping -c $count -i $interval -W 2 -w 30 "$@" $addr 2>&1)
  tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
  rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
  stats=$(echo "$out" | sed -n 's|.*min/avg/max = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) ms.*|min=\1 avg=\2 max=\3|p')
  times=$(echo "$out" | sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | tr '\n' ' ')
  seqs=$(echo "$out" | sed -n 's/.* seq=\([0-9]*\) .*/\1/p' | tr '\n' ' ')
  dups=$(echo "$out" | grep -c 'DUP!')
  say rtt phase=$phase peer=$peer tx=${tx:-0} rx=${rx:-0} dups=$dups $stats times=\"$times\" seqs=\"$seqs\"
}

# agent STEP ARGS...: runs the agent in a, one FLT agent line.
agent() {
  step=$1
  shift
  out=$(in_ns a $AGENT "$@" 2>&1)
  code=$?
  say agent step=$step exit=$code out=\"$(echo "$out" | tr '\n' ' ')\"
}

# qdiscs PHASE: a's eth0 qdiscs as the agent lists them, ';'-separated.
qdiscs() {
  say qdiscs phase=$1 list=\"$(in_ns a $AGENT qdiscs --dev eth0 2>&1 | tr '\n' ';')\"
}

# ARP first, so the first measured ping does not pay for it.
in_ns a ping -c 1 -W 2 $B > /dev/null 2>&1
in_ns a ping -c 1 -W 2 $C > /dev/null 2>&1

rtt before b $B 10 0.05
rtt before c $C 10 0.05

# Per-destination delay: b is targeted, c is not.
agent delay netem --dev eth0 --dst $B,$UNUSED --delay-ms 100
qdiscs delay
rtt delay b $B 10 0.05
rtt delay c $C 10 0.05

# Loss: half of a's packets to b vanish; none to c.
agent loss netem --dev eth0 --dst $B --loss 50
rtt loss b $B 200 0.01
rtt loss c $C 100 0.01

# Duplicate, corrupt and reorder, each alone, seen from ping: every request
# doubled; nearly every request damaged (a flipped bit fails a checksum or
# misaddresses the frame); replies out of order when some requests skip
# the 50 ms delay while later ones follow 10 ms apart.
agent duplicate netem --dev eth0 --dst $B --duplicate 100
rtt duplicate b $B 10 0.05
agent corrupt netem --dev eth0 --dst $B --corrupt 100
rtt corrupt b $B 20 0.02
agent reorder netem --dev eth0 --dst $B --delay-ms 50 --reorder 50
rtt reorder b $B 40 0.01

# Every fault at once, Jepsen's defaults, normal jitter and a rate: the kernel must take it.
agent full netem --dev eth0 --dst $B --delay-ms --jitter-ms 10 --distribution normal --loss --duplicate \
  --reorder --corrupt --rate-kbit
qdiscs full

# Rate: 80 kbit/s to b queues 1 kB pings behind each other.
agent rate netem --dev eth0 --dst $B --rate-kbit 80
rtt rate b $B 20 0.02 -s 1000
rtt rate c $C 20 0.02 -s 1000

# Removal: twice (idempotent), then the tree is gone and b is fast again.
agent clear netem-clear --dev eth0
agent clear-again netem-clear --dev eth0
qdiscs cleared
rtt after b $B 10 0.05
rtt after c $C 10 0.05

# Clock faults over ssh: the agent steps this kernel's wall clock. Given this
# guest's own boot_id it must refuse (the controller's-own-kernel guard);
# given another it steps +60 s, then back.
own=$(cat /proc/sys/kernel/random/boot_id)
t0=$(date +%s)
agent clock-refuse clock-step --delta-ms 60000 --refuse-boot-id $own
t1=$(date +%s)
agent clock-forward clock-step --delta-ms 60000 --refuse-boot-id 00000000-0000-0000-0000-000000000000
t2=$(date +%s)
agent clock-back clock-step --delta-ms -60000 --refuse-boot-id 00000000-0000-0000-0000-000000000000
t3=$(date +%s)
say clock before=$t0 after_refuse=$t1 after_forward=$t2 after_back=$t3

finish
