#!/usr/bin/python3
# Mininet's side of `pnpm bench:up` (not part of the product): one lab made, pinged and removed
# with Mininet 2.3's Python API, timed, as JSON on stdout.
#
# Knows: Mininet's star (SingleSwitchTopo) and chain (LinearTopo) with every name prefixed
# (default "bgm": switches bgms1.., hosts bgmh1..) so that its OVS bridges and veths can be told
# from every other lab on this shared machine; OVS in the userspace datapath (datapath='user',
# i.e. datapath_type=netdev, as topolab uses here) as a standalone learning switch, no
# controller. Mininet.init's fixLimits() (machine-wide sysctls) is turned off: the benchmark
# makes room in the ARP table itself, the same for both tools. Leaves to the caller: checking
# that nothing of the run is left, and removing it by name if it is (never `mn -c`, which
# deletes every OVS bridge and every *-ethN link on the machine).
#
#   /usr/bin/python3 benchmarks/mininet_run.py star|linear N [--pingall] [--prefix bgm] [--started-ms EPOCH_MS]
#
# upMs is build + start through the API, in this process; with --started-ms (the caller's
# clock when it started this process) upProcessMs is the same from the process's start, with
# Python starting and importing Mininet: what `topolab up` through its CLI is measured as.

import json
import sys
import time
from functools import partial

import mininet.net
import mininet.util

# no machine-wide sysctls from a benchmark on a shared machine
mininet.net.fixLimits = lambda: None
mininet.util.fixLimits = lambda: None

from mininet.log import setLogLevel  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.node import OVSSwitch  # noqa: E402
from mininet.topo import Topo  # noqa: E402


class Star(Topo):
    def build(self, n=2, p="bgm"):
        s = self.addSwitch(f"{p}s1")
        for i in range(1, n + 1):
            self.addLink(self.addHost(f"{p}h{i}"), s)


class Linear(Topo):
    # Mininet's LinearTopo, names prefixed: a host on each switch, then the chain
    def build(self, n=2, p="bgm"):
        last = None
        for i in range(1, n + 1):
            h = self.addHost(f"{p}h{i}")
            s = self.addSwitch(f"{p}s{i}")
            self.addLink(h, s)
            if last:
                self.addLink(s, last)
            last = s


def main():
    args = sys.argv[1:]
    topo_name, n = args[0], int(args[1])
    prefix = args[args.index("--prefix") + 1] if "--prefix" in args else "bgm"
    setLogLevel("error")
    topo = (Star if topo_name == "star" else Linear)(n=n, p=prefix)
    switch = partial(OVSSwitch, datapath="user", failMode="standalone")
    out = {"topology": topo_name, "n": n}
    t = time.perf_counter()
    net = Mininet(topo=topo, switch=switch, controller=None, build=False, autoSetMacs=False, waitConnected=False)
    try:
        net.build()
        net.start()
        out["upMs"] = (time.perf_counter() - t) * 1000
        if "--started-ms" in args:
            out["upProcessMs"] = time.time() * 1000 - float(args[args.index("--started-ms") + 1])
        if "--pingall" in args:
            t = time.perf_counter()
            out["pingallDropped"] = net.pingAll(timeout="1")
            out["pingallMs"] = (time.perf_counter() - t) * 1000
    finally:
        t = time.perf_counter()
        net.stop()
        out["downMs"] = (time.perf_counter() - t) * 1000
    print(json.dumps(out))


if __name__ == "__main__":
    main()
