// Pure parsers of captured command output (no I/O): each tested on fixtures recorded on a
// real machine (fixtures/). A parser given output it cannot read throws ParseError naming the
// command and the reason: never an empty result.
export * from "./common";
export * from "./link";
export * from "./netdev";
export * from "./addr";
export * from "./route";
export * from "./neigh";
export * from "./ss";
export * from "./ovs";
export * from "./ovsfdb";
export * from "./bridgefdb";
export * from "./nft";
export * from "./monitor";
export * from "./traceroute";
export * from "./procstat";
export * from "./fping";
