// @topolab/engine: the only package that touches the kernel.
//
// engine.ts        up / down / status / export / clean, with rollback on failure
// executor.ts      operations run in batches (ip -batch per namespace, one ovs-vsctl transaction)
// actual.ts        the kernel read back as resources (ip -j, ovs-vsctl --format=json, tc -j)
// capabilities.ts  OVS datapath, userspace TSO, netem and tbf, probed once
// ovs.ts           OVS database rows; starting OVS
// state.ts         the state directory, lab documents, tags and locks
// status.ts        node states from desired against actual
// processes.ts     processes inside namespaces, by PID
// shell.ts         how a node's shell is started (CLI and web terminals alike)
// confine.ts       a student's confined shell: own uid, namespaces, read-only fs, cgroup limits
// services.ts      programs run inside nodes (dnsmasq, dhclient, any command): pid files, logs
// nat.ts           root forwarding for NAT gateways, and removing topolab's NAT rules
// exec.ts          running programs by argument vector
// parse/*          pure parsers of captured command output (ip -j, ss, ovs-vsctl, nft, ip monitor)
// capture.ts       packet capture: tcpdump per interface, a bounded ring, pcapng
// journal.ts       a lab's command journal in the state directory (the CLI's commands, for the server's log)
// inspect.ts       one node read from the kernel: interfaces, routes, neighbours, sockets, MAC tables
// monitor.ts       a lab watched live: ip monitor, debounced re-reads, counters and MAC tables sampled
// drift.ts         where the kernel differs from the document (by hand, missing), and putting it back
// loss.ts          link loss (nftables netdev rules) read back as the planner's resources
// session.ts       a shell's session (its jobs included) found in /proc and ended by PID
// checks.ts        exercise checks: the probes of each kind and how their output is judged (pure)
// check-runner.ts  exercise checks run against the kernel, bounded, retried within their window
// trace.ts         a packet's path between two nodes (traceroute), on the lab's links and switches, and why it stopped

export * from "./engine";
export { useLauncher } from "./launcher";
export { ensureNeighbourRoom, fpingArgv, pingArgv, PingPairError, PAIR_LINES_MAX, PAIR_LINE_CHARS } from "./pingall";
export * from "./checks";
export * from "./check-runner";
export * from "./executor";
export * from "./actual";
export * from "./capabilities";
export * from "./ovs";
export * from "./state";
export * from "./status";
export * from "./processes";
export * from "./shell";
export * from "./confine";
export * from "./services";
export * from "./nat";
export * from "./exec";
export * from "./parse/index";
export * from "./inspect";
export * from "./monitor";
export * from "./drift";
export * from "./loss";
export * from "./session";
export * from "./capture";
export * from "./trace";
export * from "./journal";
