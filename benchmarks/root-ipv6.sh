#!/bin/bash
# Benchmark (not a test): what one IPv6 multicast packet (a neighbour solicitation, as hosts
# flood them) costs the namespace that receives it, by how many interfaces that namespace
# has, with IPv6 on or off on the receiving device. The root namespace is where topolab's
# switch ports live: with IPv6 on, every ND/MLD/RS a host floods is taken up by the root's
# stack once per port it crosses, and its route lookup walks one fe80::/64 and one ff00::/8
# route per interface (why realize.ts's rootIpv6Off turns IPv6 off on switch ports).
# Everything runs in two private namespaces (dpx-r, dpx-s), removed after and checked gone.
#
#   sudo benchmarks/root-ipv6.sh [INTERFACES...]      (default: 200 600 2000)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
cleanup() { ip netns del dpx-r 2>/dev/null || true; ip netns del dpx-s 2>/dev/null || true; }
trap cleanup EXIT
send() {
  ip netns exec dpx-s python3 - <<'PY'
import resource, socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("s0", 0))
mac = bytes.fromhex("020000000001")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xFFFF); t += t >> 16
    return ~t & 0xFFFF
sip, dip, tgt = (socket.inet_pton(socket.AF_INET6, a) for a in ("fe80::1", "ff02::1:ff00:2", "fe80::2"))
icmp = struct.pack("!BBHI", 135, 0, 0, 0) + tgt + struct.pack("!BB", 1, 1) + mac
icmp = icmp[:2] + struct.pack("!H", csum(sip + dip + struct.pack("!I3xB", len(icmp), 58) + icmp)) + icmp[4:]
frame = bytes.fromhex("3333ff000002") + mac + b"\x86\xdd" + struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + sip + dip + icmp
n = 50000
r0 = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(n):
    s.send(frame)
r1 = resource.getrusage(resource.RUSAGE_SELF)
# the receiving namespace's softirq runs in the sender's context: its CPU time counts both
print("%.1f us CPU per packet" % ((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / n * 1e6))
PY
}
echo "$(date -u '+%F %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${@:-200 600 2000}"; do
  for count in $n; do
    cleanup
    ip netns add dpx-r
    ip netns add dpx-s
    ip -n dpx-r link add r0 type veth peer name s0 netns dpx-s
    ip -n dpx-s link set s0 up
    ip -n dpx-r link set r0 up
    # the other interfaces of the receiving namespace: veth pairs, both ends there and up
    for i in $(seq 1 $((count / 2))); do printf 'link add a%d type veth peer name b%d\nlink set a%d up\nlink set b%d up\n' "$i" "$i" "$i" "$i"; done | ip -n dpx-r -batch -
    sleep 2
    routes=$(ip -n dpx-r -6 route | grep -c fe80 || true)
    ip netns exec dpx-r sysctl -qw net.ipv6.conf.r0.disable_ipv6=0
    on=$(send)
    ip netns exec dpx-r sysctl -qw net.ipv6.conf.r0.disable_ipv6=1
    off=$(send)
    echo "$((count + 1)) interfaces ($routes fe80::/64 routes): IPv6 on the receiving port $on; off $off"
  done
done
cleanup
if ip netns list | grep -q '^dpx-'; then echo "left behind: $(ip netns list | grep '^dpx-')" >&2; exit 1; fi
