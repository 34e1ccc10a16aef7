// @topolab/capture: packet capture, pure. No I/O; the browser, the server and the CLI import it.
//
// pcap.ts     the classic pcap stream tcpdump writes (`-w -`), read incrementally
// decode.ts   one frame -> summary, source, destination, field tree with byte offsets
// pcapng.ts   the pcapng file of a capture: one interface block per "node:if"
// filter.ts   display filters on decoded packets
// wire.ts     the packet batches the server sends the browser, in binary
// ring.ts     a bounded ring of packets in one byte buffer (the server's, the page's worker's)
export * from "./pcap";
export * from "./decode";
export * from "./pcapng";
export * from "./filter";
export * from "./wire";
export * from "./ring";
