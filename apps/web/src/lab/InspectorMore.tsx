// The inspector's rarely used panels, in a lazy chunk: a host's or router's routes (one per
// line, written as `ip route` writes them) and its services (DHCP servers, processes).
//
// Knows: the text forms of routes and services. Leaves to others: validation (the server).

import type { HostNode, Lab, RouteInput, Service } from "@topolab/topology";
import { TextField, splitList } from "./fields";
import type { LabStore } from "./labStore";
import { dhcpRange } from "./linking";

/** A route as `ip route` writes it: "default via 10.0.0.254", "10.2.0.0/16 dev eth1 metric 5". */
export function routeText(r: { to: string; via?: string; dev?: string; metric?: number }): string {
  const to = r.to === "0.0.0.0/0" ? "default" : r.to === "::/0" ? "default6" : r.to;
  return [to, r.via && `via ${r.via}`, r.dev && `dev ${r.dev}`, r.metric !== undefined && `metric ${r.metric}`].filter(Boolean).join(" ");
}

/** The routes of a text, one per line; a line that does not read as a route is a problem. */
export function parseRoutes(text: string): RouteInput[] | string {
  const out: RouteInput[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [to, ...rest] = line.split(/\s+/);
    const r: RouteInput = { to: to! };
    for (let j = 0; j < rest.length; j += 2) {
      const key = rest[j];
      const value = rest[j + 1];
      if (value === undefined) return `line ${i + 1}: "${key}" needs a value`;
      if (key === "via") r.via = value;
      else if (key === "dev") r.dev = value;
      else if (key === "metric") r.metric = Number(value);
      else return `line ${i + 1}: "${key}" is not via, dev or metric`;
    }
    out.push(r);
  }
  return out;
}

function serviceLine(s: Service): string {
  if (s.type === "dhcp-server") return `dnsmasq on ${s.interface}: ${s.range[0]} – ${s.range[1]}, lease ${s.lease}${s.gateway ? `, gateway ${s.gateway}` : ""}`;
  return `${s.name}: ${s.command.join(" ")}`;
}

export default function InspectorMore({ store, node, interfaces }: { store: LabStore; lab: Lab; node: HostNode; interfaces: string[] }) {
  const update = (set: Record<string, unknown>, label: string) => store.edit([{ type: "updateNode", name: node.name, set }], { label, quiet: true });
  const setServices = (services: Service[], label: string) => update({ services: services.length ? services : null }, label);
  const firstAddressed = interfaces.find((i) => node.interfaces[i]?.addresses.some((a) => a.includes(".")));
  return (
    <>
      <h3>Routes</h3>
      <TextField
        label="One per line"
        testid="inspector-routes"
        multiline
        value={node.routes.map(routeText).join("\n")}
        // a placeholder that looked like routes was read as the host's routes: it says none,
        // and the examples are in the hint, as examples
        placeholder="(no routes)"
        hint="e.g. default via 10.0.0.254 or 10.2.0.0/16 via 10.0.0.1 — Ctrl+Enter or leave the field to apply"
        check={(t) => (typeof parseRoutes(t) === "string" ? (parseRoutes(t) as string) : null)}
        onCommit={(t) => {
          const routes = parseRoutes(t) as RouteInput[];
          return update({ routes: routes.length ? routes : null }, `Routes of ${node.name}`);
        }}
      />
      <h3>Services</h3>
      <ul className="services" data-testid="inspector-services">
        {node.services.map((s, i) => (
          <li key={`${s.name}-${i}`}>
            <code>{serviceLine(s)}</code>
            <button
              className="icon-button small"
              aria-label={`Remove service ${s.name}`}
              onClick={() =>
                void setServices(
                  node.services.filter((_, j) => j !== i),
                  `Remove ${s.name}`,
                )
              }
            >
              ×
            </button>
          </li>
        ))}
        {!node.services.length && <li className="muted">none</li>}
      </ul>
      {node.services
        .map((s, i) => [s, i] as const)
        .filter(([s]) => s.type === "dhcp-server")
        .map(([s, i]) =>
          s.type === "dhcp-server" ? (
            <TextField
              key={`range-${i}`}
              label={`DHCP range on ${s.interface}`}
              testid={`inspector-dhcp-range-${s.interface}`}
              value={`${s.range[0]} ${s.range[1]}`}
              onCommit={(t) => {
                const [a, b] = splitList(t.replace(/[–-]/g, " "));
                return setServices(
                  node.services.map((x, j) => (j === i && x.type === "dhcp-server" ? { ...x, range: [a ?? "", b ?? ""] } : x)),
                  `DHCP range of ${node.name}`,
                );
              }}
            />
          ) : null,
        )}
      <div className="button-row">
        <button
          className="button small"
          data-testid="inspector-add-dhcp"
          disabled={!firstAddressed}
          title={firstAddressed ? `dnsmasq on ${firstAddressed}` : "give an interface an IPv4 address first"}
          onClick={() => {
            const address = node.interfaces[firstAddressed!]!.addresses.find((a) => a.includes("."))!;
            const range = dhcpRange(address);
            if (range)
              void setServices(
                [...node.services, { type: "dhcp-server", name: `dhcp-${firstAddressed}`, interface: firstAddressed!, range, lease: "1h" }],
                `DHCP server on ${node.name}`,
              );
          }}
        >
          + DHCP server
        </button>
      </div>
      <TextField
        label="Add a process (name: command)"
        testid="inspector-add-process"
        value=""
        placeholder="web: python3 -m http.server 8080"
        onCommit={(t) => {
          const m = /^\s*([a-z0-9][a-z0-9_-]*)\s*:\s*(.+)$/.exec(t);
          if (!m) return { ok: false, error: { code: "invalid", message: 'write it as "name: program arguments…"' } };
          return setServices([...node.services, { type: "process", name: m[1]!, command: splitList(m[2]!) }], `Process on ${node.name}`);
        }}
      />
    </>
  );
}
