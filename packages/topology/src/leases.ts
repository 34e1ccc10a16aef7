// Names for addresses leased by DHCP. A lab's hosts file (/etc/netns/<ns>/hosts, the same in
// every node, realize.ts's hostsFileContent) names the addresses of the document; a host that
// takes its address by DHCP has none there, so `ping green` would fail. topolab's DHCP client
// script adds a line for the leased address to the hosts file of every node of the lab when a
// lease is bound or renewed, and takes it out when the lease ends:
//
//   10.50.50.57	green	# topolab-lease green eth0
//
// The engine keeps these lines: it reads a hosts file without them (so that they are no drift)
// and carries them over when it writes the file again (a document change), except those of
// nodes that are gone. Chosen over DNS (dnsmasq answering for its leases) because it needs no
// resolver in the namespaces and works across tenants and segments, the same as the static
// names; the price is one line per lease in each node's file.
//
// Knows: the line format, the script's shell function, and merging. Leaves to others: running
// the client (engine's services.ts passes TOPOLAB_NODE, TOPOLAB_HOSTS_PREFIX and
// TOPOLAB_HOSTS_LOCK to the script with dhclient's -e) and writing files (engine's executor).

export const LEASE_TAG = "# topolab-lease";

/** A line the DHCP client script wrote: "addr<TAB>node<TAB># topolab-lease node iface". */
export function parseLeaseLine(line: string): { address: string; node: string; iface: string } | null {
  const m = /^(\S+)\t(\S+)\t# topolab-lease (\S+) (\S+)$/.exec(line);
  return m && m[2] === m[3] ? { address: m[1]!, node: m[2]!, iface: m[4]! } : null;
}

/** The hosts file without the lines of leases: what the document makes it. */
export function withoutLeaseLines(content: string): string {
  if (!content.includes(LEASE_TAG)) return content;
  return content
    .split("\n")
    .filter((l) => !parseLeaseLine(l))
    .join("\n");
}

/**
 * `content` (a hosts file as the document makes it) with the lease lines of `existing` (the
 * file as it is) whose node `keep` says is still there, after it.
 */
export function withLeaseLines(content: string, existing: string, keep: (node: string) => boolean): string {
  const leases = existing.split("\n").filter((l) => {
    const p = parseLeaseLine(l);
    return p !== null && keep(p.node);
  });
  if (!leases.length) return content;
  return `${content}${content === "" || content.endsWith("\n") ? "" : "\n"}${leases.join("\n")}\n`;
}

/**
 * The DHCP client script's function: `lease_names ADDRESS` puts this node's line (for the
 * interface in $interface) in every hosts file of the lab, `lease_names` with no address takes
 * it out. Files are written in place: a shell's /etc/hosts is a bind mount of its node's file,
 * and a renamed-over file would leave it the old one. Runs under flock, as the leases of
 * several nodes come at once. No "dollar-brace" in it: it goes into a template literal.
 */
export const LEASE_NAMES_SH = `# the lab's names: a leased address in the hosts file of every node of the lab, so that
# "ping green" works from any node (TOPOLAB_* come with -e on topolab's dhclient command line)
lease_names() {
  [ -n "$TOPOLAB_NODE" ] && [ -n "$TOPOLAB_HOSTS_PREFIX" ] && [ -n "$TOPOLAB_HOSTS_LOCK" ] || return 0
  tag="# topolab-lease $TOPOLAB_NODE $interface"
  (
    flock -w 10 9 || exit 0
    for f in "$TOPOLAB_HOSTS_PREFIX"*/hosts; do
      [ -f "$f" ] || continue
      kept=$(awk -v t="$tag" 'substr($0, length($0) - length(t) + 1) != t' "$f")
      if [ -n "$1" ]; then
        printf '%s\\n%s\\t%s\\t%s\\n' "$kept" "$1" "$TOPOLAB_NODE" "$tag" > "$f"
      else
        printf '%s\\n' "$kept" > "$f"
      fi
    done
  ) 9>>"$TOPOLAB_HOSTS_LOCK"
}
`;
