#!/usr/bin/python3
# Where `topolab up`'s wall time goes (not part of the product): runs `topolab up --topo SPEC`
# through the CLI under strace (execve, openat, rename and exit timestamps only, with
# --seccomp-bpf so that the rest of the process runs untraced), takes the lab down, and prints
# the phases as a Markdown table, medians over the runs: Node's start and the bundle's
# staleness check, loading the bundles and the lab, the capabilities probe, the kernel read,
# the root `ip -batch`, the OVS transaction (until ovs-vswitchd applied it), the namespaces'
# batches, and what follows the last command.
#
# Knows: which programs topolab starts for which step, by their argument vectors. Leaves to
# the caller: a quiet machine (say the load average with the figures), strace (Debian's strace).
#
#   python3 benchmarks/up_phases.py single,50 [--runs 3] [--name buph] [--bin apps/server/bin/topolab.js]
#
# Labs: the name given (default buph), in a state directory of its own, taken down after each run.

import os
import re
import statistics
import subprocess
import sys
import tempfile


def phases(trace_path):
    ev = []
    with open(trace_path) as f:
        for line in f:
            m = re.match(r"(\d+) +(\d+\.\d+) (.*)", line)
            if m:
                ev.append((float(m.group(2)), int(m.group(1)), m.group(3)))
    if not ev:
        raise SystemExit(f"{trace_path}: strace recorded nothing")
    t0 = ev[0][0]

    def ms(t):
        return (t - t0) * 1000

    def exit_of(pid):
        return next((t for t, p, s in ev if p == pid and ("exited with" in s or "killed by" in s)), None)

    def span(pred):
        starts = [(t, p) for t, p, s in ev if "execve(" in s and pred(s)]
        if not starts:
            return None
        ends = [e for e in (exit_of(p) for _, p in starts) if e is not None]
        return ms(starts[0][0]), ms(max(ends)), len(starts)

    bundle = next((t for t, p, s in ev if "openat" in s and 'dist/cli.cjs"' in s), None)
    caps = span(lambda s: "ovs-vsctl" in s and "ovs_version" in s)
    read = [x for x in (span(lambda s: '"-j", "-d", "addr"' in s), span(lambda s: "ovs-vsctl" in s and "--format=json" in s and "Bridge" in s)) if x]
    root = span(lambda s: re.search(r'"/usr/s?bin/ip", "-force", "-batch"', s) is not None)
    ovs = span(lambda s: "ovs-vsctl" in s and "add-br" in s)
    ns = span(lambda s: re.search(r'"/usr/s?bin/ip", "-n"', s) is not None)
    end = ms(ev[-1][0])
    last = max(x[1] for x in (ovs, ns, root) if x)
    r = {}
    r["Node start and staleness check (to the bundle's open)"] = ms(bundle) if bundle else float("nan")
    r["bundles, lab file or topology, validation (to the first program)"] = caps[0] - (ms(bundle) if bundle else 0) if caps else float("nan")
    r["capabilities probe"] = caps[1] - caps[0] if caps else float("nan")
    r["lock, state, kernel read (to the root batch)"] = root[0] - caps[1] if root and caps else float("nan")
    r["  of which the kernel read (ip -j addr, ovs-vsctl list)"] = max(x[1] for x in read) - min(x[0] for x in read) if read else float("nan")
    r["root ip -batch (namespaces, veth pairs)"] = root[1] - root[0] if root else float("nan")
    r["OVS transaction, until ovs-vswitchd applied it"] = ovs[1] - ovs[0] if ovs else float("nan")
    r["namespaces configured (first ip -n to the last one's end)"] = ns[1] - ns[0] if ns else float("nan")
    r["  ip -n processes"] = ns[2] if ns else 0
    r["the lab's commands (root batch start to last end)"] = last - root[0] if root else float("nan")
    r["state written and exit (after the last command)"] = end - last
    r["total"] = end
    return r


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        raise SystemExit(__doc__ or "usage: up_phases.py SPEC [--runs N] [--name LAB] [--bin PATH]")

    def opt(name, default):
        return args[args.index(name) + 1] if name in args else default

    spec, runs, name = args[0], int(opt("--runs", "3")), opt("--name", "buph")
    bin_ = opt("--bin", "apps/server/bin/topolab.js")
    env = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
    results = []
    with tempfile.TemporaryDirectory(prefix="topolab-phases-") as d:
        env["TOPOLAB_STATE_DIR"] = os.path.join(d, "state")
        subprocess.run(["node", bin_, "caps"], env=env, check=True, stdout=subprocess.DEVNULL)
        for i in range(runs):
            trace = os.path.join(d, f"trace{i}.txt")
            try:
                subprocess.run(
                    ["strace", "-f", "--seccomp-bpf", "-ttt", "-e", "trace=execve,openat,rename,exit_group", "-e", "signal=none", "-o", trace,
                     "node", bin_, "up", "--topo", spec, "--name", name],
                    env=env, check=True, stdout=subprocess.DEVNULL,
                )
                results.append(phases(trace))
            finally:
                subprocess.run(["node", bin_, "down", name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"`topolab up --topo {spec}`: {runs} runs, load average after {' '.join(load)}")
    print()
    print("| phase | median | runs |")
    print("|---|---:|---|")
    for k in results[0]:
        vals = [r[k] for r in results]
        unit = "" if k.strip().endswith("processes") else " ms"
        print(f"| {k} | {statistics.median(vals):.0f}{unit} | {' / '.join(f'{v:.0f}' for v in vals)} |")


if __name__ == "__main__":
    main()
