// What the capture panel draws with, pure: the hex dump's rows and the protocols' colours. The
// packets themselves are kept and decoded in the panel's worker (store.ts).

/** Rows of a hex dump: offset, 16 bytes in hex, and their ASCII. */
export function hexRows(data: Uint8Array): { offset: number; bytes: number[] }[] {
  const rows: { offset: number; bytes: number[] }[] = [];
  for (let o = 0; o < data.length; o += 16) rows.push({ offset: o, bytes: Array.from(data.subarray(o, o + 16)) });
  return rows;
}

export const PROTOCOL_COLORS: Record<string, string> = {
  ARP: "#e8a33d",
  ICMP: "#3fae5a",
  ICMPv6: "#3fae5a",
  TCP: "#3b7dd8",
  HTTP: "#3b7dd8",
  UDP: "#9b59b6",
  DNS: "#9b59b6",
  MDNS: "#9b59b6",
  DHCP: "#d35480",
};

export function colorOf(protocol: string): string {
  return PROTOCOL_COLORS[protocol] ?? "#888";
}
