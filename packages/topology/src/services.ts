// Services inside nodes: the pieces of a service's command line that are only known where it
// runs (its run directory, the DHCP client's script), and that script itself.
//
// Knows: the tokens realize() leaves in generated command lines, and the small dhclient script
// topolab uses instead of Debian's (it sets the leased address and default route, and never
// touches /etc/resolv.conf or the hostname: the node is a lab namespace, not the machine).
// Leaves to others: starting and watching processes (engine/services.ts).

import { LEASE_NAMES_SH } from "./leases";

export const RUN_TOKEN = "@RUN@";
export const DHCLIENT_SCRIPT_TOKEN = "@DHCLIENT_SCRIPT@";
export const DHCLIENT_CONF_TOKEN = "@DHCLIENT_CONF@";

/** The DHCP client's configuration file, beside its script. */
export function dhclientConfPath(dhclientScript: string): string {
  return `${dhclientScript.slice(0, dhclientScript.lastIndexOf("/") + 1)}dhclient.conf`;
}

/** Fills the tokens of a generated command line; a person's own command is never touched. */
export function fillTokens(argv: string[], where: { run: string; dhclientScript: string }): string[] {
  return argv.map((a) =>
    a
      .split(RUN_TOKEN)
      .join(where.run)
      .split(DHCLIENT_SCRIPT_TOKEN)
      .join(where.dhclientScript)
      .split(DHCLIENT_CONF_TOKEN)
      .join(dhclientConfPath(where.dhclientScript)),
  );
}

/**
 * dhclient's own defaults give up after 60 s without an answer and then wait 5 minutes: a
 * student who mends a DHCP server would wait that long for a lease. A lab's client keeps
 * asking, at most a few seconds apart, for as long as the lab runs.
 */
export const DHCLIENT_CONF = `# topolab's dhclient configuration: never give up, ask again every few seconds
timeout 31536000;
retry 5;
initial-interval 1;
backoff-cutoff 4;
request subnet-mask, broadcast-address, routers, domain-name-servers, domain-name, interface-mtu;
`;

export const DHCLIENT_SCRIPT = `#!/bin/sh
# topolab's dhclient script: puts the leased address and the default route on the interface,
# and nothing else (no /etc/resolv.conf, no hostname): the node is a lab namespace.
mask2len() {
  n=0
  for o in $(echo "$1" | tr . ' '); do
    case $o in
      255) n=$((n + 8)) ;; 254) n=$((n + 7)) ;; 252) n=$((n + 6)) ;; 248) n=$((n + 5)) ;;
      240) n=$((n + 4)) ;; 224) n=$((n + 3)) ;; 192) n=$((n + 2)) ;; 128) n=$((n + 1)) ;;
    esac
  done
  echo "$n"
}
${LEASE_NAMES_SH}case "$reason" in
  PREINIT)
    ip link set dev "$interface" up
    ;;
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr del "$old_ip_address/$(mask2len "$old_subnet_mask")" dev "$interface" 2>/dev/null
    fi
    life=\${new_dhcp_lease_time:-forever}
    ip -4 addr replace "$new_ip_address/$(mask2len "$new_subnet_mask")" dev "$interface" valid_lft "$life" preferred_lft "$life"
    if [ -n "$new_routers" ]; then
      set -- $new_routers
      ip -4 route replace default via "$1" dev "$interface" proto dhcp
    fi
    lease_names "$new_ip_address"
    ;;
  EXPIRE|FAIL|RELEASE|STOP)
    if [ -n "$old_ip_address" ]; then
      ip -4 addr del "$old_ip_address/$(mask2len "$old_subnet_mask")" dev "$interface" 2>/dev/null
    fi
    ip -4 route del default dev "$interface" proto dhcp 2>/dev/null
    lease_names
    ;;
esac
exit 0
`;
