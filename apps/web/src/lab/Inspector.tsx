// The inspector: the selected node (name, label, its interfaces' addresses, DHCP and MTU; for a
// switch its type and STP; for a NAT gateway its default route), the selected link (VLAN
// access tag or trunk, bandwidth, delay, loss), or, with nothing selected, the lab itself
// (description, address plan). Routes and services are rarely used panels in a lazy chunk.
// The kernel's view of a node (its real addresses, DHCP leases included) is shown under it.
// These are the "Settings" tab; while the lab runs, tabs beside it read the kernel live
// (live/InspectorTabs: a node's interfaces, routes, MAC table…, a link's ends, the lab's drift).
//
// Knows: which fields each kind has, and the change each field sends. Leaves to others:
// validation (the server, whose reason each field shows), sending (labStore), the live tabs.

import { lazy, Suspense } from "react";
import { linkId, type Change } from "@topolab/protocol";
import { labToDocument, labWarnings, type Lab, type LabNode, type Link } from "@topolab/topology";
import { useStore } from "../lib/emitter";
import { CheckField, SelectField, TextField, splitList } from "./fields";
import { hasShell, visualKind, KindIcon } from "./kinds";
import type { EditOutcome, LabStore } from "./labStore";
import { terminals } from "../terminals/manager";
import { captureLink, captureNode, openCapture } from "../capture/captures";
import { readOnlyOk } from "../class/readOnly";
import { InspectorTabs } from "../live/InspectorTabs";
import { tabKindOf } from "../live/tabs";

const MorePanels = lazy(() => import("./InspectorMore"));

export interface Selection {
  nodes: string[];
  edges: string[];
}

/** A node as the lab file writes it (the input form updateNode takes). */
export function inputNode(lab: Lab, name: string): Record<string, unknown> {
  return (labToDocument(lab)["nodes"] as Record<string, unknown>[]).find((n) => n["name"] === name) ?? {};
}

/** The interfaces a node has: those of its links, and any with settings (lo). */
export function interfacesOf(lab: Lab, node: LabNode): string[] {
  const names = new Set<string>();
  for (const l of lab.links) for (const e of l.endpoints) if (e.node === node.name) names.add(e.interface);
  if (node.kind !== "switch") for (const k of Object.keys(node.interfaces)) names.add(k);
  return [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

export function Inspector({ store, selection }: { store: LabStore; selection: Selection }) {
  const doc = useStore(store.state, (s) => s.doc);
  if (!doc) return null;
  const total = selection.nodes.length + selection.edges.length;
  let body;
  if (total > 1) body = <MultiInspector store={store} selection={selection} />;
  else if (selection.nodes.length === 1) {
    const node = doc.nodes.find((n) => n.name === selection.nodes[0]);
    body = node ? <NodeInspector key={node.name} store={store} lab={doc} node={node} /> : null;
  } else if (selection.edges.length === 1) {
    const link = doc.links.find((l) => linkId(l) === selection.edges[0]);
    body = link ? <LinkInspector key={selection.edges[0]} store={store} link={link} id={selection.edges[0]!} /> : null;
  } else body = <LabInspector store={store} lab={doc} />;
  return (
    <aside className="inspector" data-testid="inspector" aria-label="Inspector">
      {body}
    </aside>
  );
}

function MultiInspector({ store, selection }: { store: LabStore; selection: Selection }) {
  return (
    <div className="inspector-section">
      <h2>{selection.nodes.length + selection.edges.length} selected</h2>
      <p className="muted">
        {selection.nodes.length} nodes, {selection.edges.length} links. Drag one to move them all.
      </p>
      <button className="button danger" data-testid="inspector-delete" onClick={() => void deleteSelection(store, selection)}>
        Delete them
      </button>
    </div>
  );
}

/** One edit that removes the selected links and nodes (a node's links go with it). */
export function deleteSelection(store: LabStore, selection: Selection): Promise<EditOutcome> {
  const changes: Change[] = [
    ...selection.edges
      .filter((id) => !selection.nodes.some((n) => id.split("|").some((end) => end.startsWith(`${n}:`))))
      .map((link): Change => ({ type: "removeLink", link })),
    ...selection.nodes.map((name): Change => ({ type: "removeNode", name })),
  ];
  const what = changes.length === 1 ? (selection.nodes[0] ?? "link") : `${changes.length} items`;
  return store.edit(changes, { label: `Delete ${what}` });
}

function NodeInspector({ store, lab, node }: { store: LabStore; lab: Lab; node: LabNode }) {
  const status = useStore(store.state, (s) => s.status.get(node.name));
  const update = (set: Record<string, unknown>, label = `Edit ${node.name}`) =>
    store.edit([{ type: "updateNode", name: node.name, set }], { label, quiet: true });
  const ifaces = interfacesOf(lab, node);
  const kind = visualKind(node);
  const ifInput = () => (inputNode(lab, node.name)["interfaces"] ?? {}) as Record<string, Record<string, unknown>>;
  const setIf = (iface: string, patch: Record<string, unknown>) => {
    const all = ifInput();
    const cfg = { ...all[iface], ...patch };
    for (const [k, v] of Object.entries(cfg)) if (v === undefined || (Array.isArray(v) && !v.length)) delete cfg[k];
    return update({ interfaces: { ...all, [iface]: cfg } }, `Edit ${node.name}:${iface}`);
  };
  const stopped = node.kind !== "switch" && node.kind !== "nat" && node.state === "stopped";
  return (
    <div className="inspector-section" data-testid="inspector-node">
      <h2>
        <KindIcon kind={kind} /> {node.name}{" "}
        <span className="muted small">{node.kind === "switch" ? (node.type === "ovs" ? "OVS switch" : "Linux bridge") : node.kind}</span>
      </h2>
      <div className="button-row inspector-actions">
        {hasShell(node) && (
          <button className="button" data-testid="inspector-terminal" onClick={() => void terminals.open(store.name, node.name)}>
            Open terminal
          </button>
        )}
        {node.kind !== "nat" && ifaces.length > 0 && (
          <button
            className="button"
            data-testid="inspector-capture"
            {...readOnlyOk}
            title="Watch the packets on all its interfaces"
            onClick={() => captureNode(lab, node.name)}
          >
            Capture packets
          </button>
        )}
        {(node.kind === "host" || node.kind === "router") && (
          <button
            className="button"
            data-testid={`inspector-node-${stopped ? "start" : "stop"}`}
            title={stopped ? "Its links carry again" : "Every link of the node loses carrier (saved in the document; undo brings it back)"}
            onClick={() =>
              void store.edit([{ type: "updateNode", name: node.name, set: { state: stopped ? null : "stopped" } }], {
                label: `${stopped ? "Start" : "Stop"} ${node.name}`,
              })
            }
          >
            {stopped ? "Start node" : "Stop node"}
          </button>
        )}
      </div>
      <InspectorTabs kind={tabKindOf(node)} target={{ type: "node", node }}>
        <TextField label="Name" testid="inspector-name" value={node.name} onCommit={(v) => update({ name: v.trim() }, `Rename ${node.name}`)} />
        <TextField
          label="Label"
          testid="inspector-label"
          value={node.label ?? ""}
          placeholder="shown on the canvas"
          onCommit={(v) => update({ label: v.trim() || null })}
        />
        {node.kind === "switch" && (
          <>
            <SelectField
              label="Type"
              testid="inspector-switch-type"
              value={node.type}
              options={[
                ["ovs", "Open vSwitch bridge"],
                ["bridge", "Linux bridge"],
              ]}
              onCommit={(v) => update({ type: v })}
            />
            <CheckField label="Spanning tree (STP), for labs with loops" testid="inspector-stp" value={node.stp} onCommit={(v) => update({ stp: v || null })} />
          </>
        )}
        {node.kind !== "switch" && (
          <>
            <h3>Interfaces</h3>
            {!ifaces.length && <p className="muted">No links yet: drag from this node's handle to another node.</p>}
            {ifaces.map((iface) => {
              const cfg = node.interfaces[iface];
              const dhcp = !!(cfg && "dhcp" in cfg && cfg.dhcp);
              return (
                <fieldset key={iface} className="iface" data-testid={`inspector-if-${iface}`}>
                  <legend>
                    {iface}{" "}
                    {node.kind !== "nat" && lab.links.some((l) => l.endpoints.some((e) => e.node === node.name && e.interface === iface)) && (
                      <button
                        type="button"
                        className="link-button small"
                        data-testid={`inspector-if-${iface}-capture`}
                        {...readOnlyOk}
                        title={`Watch the packets on ${node.name}:${iface}`}
                        onClick={() => openCapture(lab.name, [`${node.name}:${iface}`])}
                      >
                        capture
                      </button>
                    )}
                  </legend>
                  <TextField
                    label="Addresses"
                    testid={`inspector-if-${iface}-addresses`}
                    value={(cfg?.addresses ?? []).join(", ")}
                    placeholder={dhcp ? "by DHCP" : "10.0.0.1/24, fd00::1/64"}
                    onCommit={(v) => setIf(iface, { addresses: splitList(v) })}
                  />
                  {node.kind !== "nat" && (
                    <>
                      <CheckField
                        label="Take an address by DHCP"
                        testid={`inspector-if-${iface}-dhcp`}
                        value={dhcp}
                        onCommit={(v) => setIf(iface, { dhcp: v || undefined })}
                      />
                      <TextField
                        label="MTU"
                        testid={`inspector-if-${iface}-mtu`}
                        value={cfg && "mtu" in cfg && cfg.mtu !== undefined ? String(cfg.mtu) : ""}
                        placeholder="1500"
                        onCommit={(v) => setIf(iface, { mtu: v.trim() ? Number(v) : undefined })}
                      />
                    </>
                  )}
                </fieldset>
              );
            })}
          </>
        )}
        {node.kind === "nat" && (
          <CheckField
            label="Give hosts of its subnet a default route through it"
            testid="inspector-nat-default-route"
            value={node.defaultRoute}
            onCommit={(v) => update({ defaultRoute: v ? null : false })}
          />
        )}
        {(node.kind === "host" || node.kind === "router") && (
          <Suspense fallback={<p className="muted">loading…</p>}>
            <MorePanels store={store} lab={lab} node={node} interfaces={ifaces} />
          </Suspense>
        )}
        {labWarnings(lab)
          .filter((w) => w.node === node.name)
          .map((w) => (
            <p key={w.path} className="field-warning" role="note" data-testid="inspector-warning">
              {w.message}
            </p>
          ))}
        {status && (
          <details className="kernel-view" open data-testid="inspector-kernel">
            <summary>
              In the kernel: <span className={`dot ${status.state === "up" ? "up" : "error"}`} /> {status.state}
              {status.namespace ? <span className="muted small"> · {status.namespace}</span> : null}
            </summary>
            <table>
              <tbody>
                {status.interfaces.map((i) => (
                  <tr key={i.name}>
                    <td>
                      <code>{i.name}</code>
                    </td>
                    <td className={i.state === "up" ? "" : "warn"}>{i.state}</td>
                    <td>
                      <code>{i.addresses.join(" ") || "–"}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {status.problems.map((p) => (
              <p key={p} className="field-error">
                {p}
              </p>
            ))}
          </details>
        )}
        <button className="button danger" data-testid="inspector-delete" onClick={() => void deleteSelection(store, { nodes: [node.name], edges: [] })}>
          Delete {node.name}
        </button>
      </InspectorTabs>
    </div>
  );
}

function LinkInspector({ store, link, id }: { store: LabStore; link: Link; id: string }) {
  const update = (set: Record<string, unknown>) => store.edit([{ type: "updateLink", link: id, set }], { label: `Edit link ${id}`, quiet: true });
  const [a, b] = link.endpoints;
  const num = (v: string) => (v.trim() === "" ? null : Number(v));
  return (
    <div className="inspector-section" data-testid="inspector-link">
      <h2>
        Link{" "}
        <code>
          {a.node}:{a.interface}
        </code>{" "}
        —{" "}
        <code>
          {b.node}:{b.interface}
        </code>
      </h2>
      <InspectorTabs kind="link" target={{ type: "link", link, id }}>
        <TextField
          label="VLAN (access port)"
          testid="inspector-vlan"
          value={link.vlan !== undefined ? String(link.vlan) : ""}
          placeholder="none"
          hint="on the OVS switch end(s); 1–4094"
          onCommit={(v) => update({ vlan: num(v) })}
        />
        <TextField
          label="Trunk VLANs"
          testid="inspector-trunk"
          value={(link.trunk ?? []).join(", ")}
          placeholder="e.g. 100, 200"
          hint="a trunk carries these VLANs tagged; a port is access or trunk, not both"
          onCommit={(v) => update({ trunk: splitList(v).length ? splitList(v).map(Number) : null })}
        />
        <TextField
          label="Bandwidth"
          testid="inspector-bandwidth"
          value={link.bandwidth !== undefined ? `${link.bandwidth}mbit` : ""}
          placeholder="unlimited (e.g. 10mbit, 500kbit)"
          onCommit={(v) => update({ bandwidth: v.trim() === "" ? null : /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v.trim() })}
        />
        <TextField
          label="Delay"
          testid="inspector-delay"
          value={link.delay !== undefined ? `${link.delay}ms` : ""}
          placeholder="none (e.g. 20ms)"
          hint="needs netem in the kernel"
          onCommit={(v) => update({ delay: v.trim() || null })}
        />
        <TextField
          label="Loss (%)"
          testid="inspector-loss"
          value={link.loss !== undefined ? String(link.loss) : ""}
          placeholder="0"
          onCommit={(v) => update({ loss: num(v) })}
        />
        <CheckField
          label="OVS internal port moved into the host (instead of a veth pair)"
          testid="inspector-internal"
          value={!!link.internal}
          onCommit={(v) => update({ internal: v || null })}
        />
        <button
          className="button"
          data-testid="inspector-link-capture"
          {...readOnlyOk}
          title="Watch the packets crossing this link"
          onClick={() => {
            const lab = store.state.get().doc;
            if (lab) captureLink(lab, link);
          }}
        >
          Capture packets
        </button>
        <button className="button danger" data-testid="inspector-delete" onClick={() => void deleteSelection(store, { nodes: [], edges: [id] })}>
          Delete link
        </button>
      </InspectorTabs>
    </div>
  );
}

function LabInspector({ store, lab }: { store: LabStore; lab: Lab }) {
  const running = useStore(store.state, (s) => s.running);
  const update = (set: { description?: string | null; addressPlan?: string | null }) =>
    store.edit([{ type: "updateLab", set }], { label: "Edit the lab", quiet: true });
  const name = encodeURIComponent(lab.name);
  return (
    <div className="inspector-section" data-testid="inspector-lab">
      <h2>Lab {lab.name}</h2>
      <p className="muted">
        {lab.nodes.length} nodes, {lab.links.length} links · {running ? "running" : "stopped"}
      </p>
      <InspectorTabs kind="lab" target={{ type: "lab" }}>
        <TextField
          label="Description"
          testid="inspector-description"
          multiline
          value={lab.description ?? ""}
          onCommit={(v) => update({ description: v.trim() || null })}
        />
        <TextField
          label="Address plan"
          testid="inspector-address-plan"
          value={lab.addressPlan ?? ""}
          placeholder="e.g. 10.0.0.0/24"
          hint="new links get addresses from it: a subnet per switch or link, hosts a default route via the router"
          onCommit={(v) => update({ addressPlan: v.trim() || null })}
        />
        <div className="button-row">
          {running ? (
            <button className="button" data-testid="lab-stop" onClick={() => void store.stop()}>
              Stop the lab
            </button>
          ) : (
            <button className="button primary" data-testid="lab-start" onClick={() => void store.start()}>
              Start the lab
            </button>
          )}
        </div>
        <h3>Download</h3>
        <div className="button-row">
          <a className="button" href={`/api/labs/${name}/export?format=yaml`} download={`${lab.name}.yaml`} data-testid="download-lab">
            Lab file (YAML)
          </a>
          <a className="button" href={`/api/labs/${name}/export?format=sh`} download={`${lab.name}.sh`} data-testid="export-script-inspector">
            Rebuild script
          </a>
        </div>
        <p className="muted small">Select a node or a link to edit it. Shift-click or Shift-drag selects several.</p>
      </InspectorTabs>
    </div>
  );
}
