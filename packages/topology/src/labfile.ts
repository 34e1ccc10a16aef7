// Lab files: YAML or JSON text in, a validated Lab (or problems with line numbers) out, and back.
//
// Knows: the text forms of a lab, how to point a problem at its line, and the compact form a
// lab is written back in (endpoints as "node:interface", defaults left out).
// Leaves to others: the rules themselves (validate.ts) and where files live (engine/CLI).

import { LineCounter, parseDocument, stringify, isNode, visit, type Document } from "yaml";
import { capIssues, formatIssue, validateLab, type LabIssue, type LabLimits, type Validated } from "./validate";
import type { Lab } from "./schema";
import { exerciseToInput } from "./exercise";

export interface LabFileIssue extends LabIssue {
  line?: number;
}

export type ParsedLabFile = { ok: true; lab: Lab } | { ok: false; issues: LabFileIssue[] };

function pathParts(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(m[3]!) as string);
  }
  return parts;
}

function lineOf(doc: Document, counter: LineCounter, path: string): number | undefined {
  let parts = pathParts(path);
  while (parts.length) {
    const node = doc.getIn(parts, true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    parts = parts.slice(0, -1);
  }
  return undefined;
}

/** Aliases a lab file may use: each is expanded in full, so a few nested ones make a "bomb". */
export const MAX_YAML_ALIASES = 100;

/** Flow collections (`[`, `{`) nested deeper than this are refused before parsing. */
export const MAX_YAML_DEPTH = 256;

/**
 * Where the text's flow collections first nest deeper than `max` (quoted text and comments
 * skipped), as a 1-based line; null when they do not. A cheap look before the parser, whose
 * time on deeply nested text grows with the depth (256 Ki brackets took 5 to 8 s).
 */
export function tooDeep(text: string, max = MAX_YAML_DEPTH): number | null {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) line++;
    else if (ch === 91 || ch === 123) {
      if (++depth > max) return line;
    } else if (ch === 93 || ch === 125) depth = Math.max(0, depth - 1);
    else if (ch === 35 && (i === 0 || text.charCodeAt(i - 1) <= 32)) {
      // a comment, to the end of its line
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10) i++;
    } else if (ch === 34 || ch === 39) {
      // a quoted scalar: "…" with \-escapes, '…' with '' for a quote
      for (i++; i < text.length; i++) {
        const q = text.charCodeAt(i);
        if (q === 10) line++;
        if (ch === 34 && q === 92) i++;
        else if (q === ch) {
          if (ch === 39 && text.charCodeAt(i + 1) === 39) i++;
          else break;
        }
      }
    }
  }
  return null;
}

/** The line of the first alias (`*name`) in the document, if any. */
function firstAliasLine(doc: Document, counter: LineCounter): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) line = counter.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}

/**
 * Parses a lab file's text (YAML, of which JSON is a subset) and validates it. Nothing in the
 * text makes it throw: broken YAML, an alias bomb or nesting too deep for the parser are
 * problems with their line, like any other.
 */
export function parseLabText(text: string, options: { name?: string; limits?: Partial<LabLimits> } = {}): ParsedLabFile {
  const counter = new LineCounter();
  let doc: Document;
  let input: unknown;
  const deepAt = tooDeep(text);
  if (deepAt !== null) {
    return {
      ok: false,
      issues: [{ path: "", message: `the file nests lists or maps more than ${MAX_YAML_DEPTH} levels deep: a lab is never that deep`, line: deepAt }],
    };
  }
  try {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length) {
      return {
        ok: false,
        issues: capIssues(
          doc.errors.map((e) => ({
            path: "",
            message: `not valid YAML: ${e.message.split("\n")[0]}`,
            // linePos is only filled in with prettyErrors, which would also reformat the message
            line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line,
          })),
        ),
      };
    }
  } catch (e) {
    // the parser's own limits (a stack overflow on nesting thousands deep)
    return { ok: false, issues: [{ path: "", message: `cannot read the file as YAML: ${yamlFailure(e)}`, line: 1 }] };
  }
  try {
    input = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    const line = firstAliasLine(doc, counter);
    const aliases = /alias/i.test((e as Error)?.message ?? "");
    return {
      ok: false,
      issues: [
        {
          path: "",
          message: aliases
            ? `the file's aliases (*name) expand to too much data (at most ${MAX_YAML_ALIASES} uses of aliases, each small): write the values out`
            : `cannot read the file as YAML: ${yamlFailure(e)}`,
          ...(line !== undefined || !aliases ? { line: line ?? 1 } : {}),
        },
      ],
    };
  }
  const result: Validated = validateLab(input, options);
  if (result.ok) return result;
  // a path such as "--name" names a command-line option, not a place in the file
  const inFile = (path: string) => path !== "" && !path.startsWith("--");
  const issues = result.issues.map((i) => ({ ...i, line: inFile(i.path) ? lineOf(doc, counter, i.path) : undefined }));
  // in the file's order, which is how a person reads them
  return { ok: false, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

function yamlFailure(e: unknown): string {
  if (e instanceof RangeError) return "it is nested too deeply";
  return ((e as Error)?.message ?? String(e)).split("\n")[0]!.slice(0, 200);
}

export function formatFileIssue(issue: LabFileIssue, file?: string): string {
  const where = [file, issue.line].filter((x) => x !== undefined).join(":");
  return where ? `${where}: ${formatIssue(issue)}` : formatIssue(issue);
}

const fmtMs = (ms: number) => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : ms < 1 ? `${Math.round(ms * 1000)}us` : `${ms}ms`);

/** The lab in its compact input form: what a person would have written. */
export function labToDocument(lab: Lab): Record<string, unknown> {
  const nodes = lab.nodes.map((n) => {
    const out: Record<string, unknown> = { name: n.name, kind: n.kind };
    if (n.label !== undefined) out["label"] = n.label;
    if (n.kind === "switch") {
      if (n.type !== "ovs") out["type"] = n.type;
      if (n.stp) out["stp"] = true;
    } else if (n.kind === "nat") {
      if (Object.keys(n.interfaces).length) out["interfaces"] = n.interfaces;
      if (!n.defaultRoute) out["defaultRoute"] = false;
    } else {
      const ifs: Record<string, unknown> = {};
      for (const [name, cfg] of Object.entries(n.interfaces)) {
        const c: Record<string, unknown> = {};
        if (cfg.addresses.length) c["addresses"] = cfg.addresses;
        if (cfg.mtu !== undefined) c["mtu"] = cfg.mtu;
        if (cfg.mac !== undefined) c["mac"] = cfg.mac;
        if (!cfg.up) c["up"] = false;
        if (cfg.dhcp) c["dhcp"] = true;
        ifs[name] = c;
      }
      if (Object.keys(ifs).length) out["interfaces"] = ifs;
      if (n.routes.length) out["routes"] = n.routes.map((r) => ({ ...r }));
      if (n.services.length) out["services"] = n.services.map((x) => ({ ...x }));
      if (n.sysctls && Object.keys(n.sysctls).length) out["sysctls"] = { ...n.sysctls };
    }
    if (n.position) out["position"] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
    if (n.state === "stopped") out["state"] = "stopped";
    return out;
  });
  const links = lab.links.map((l) => {
    const out: Record<string, unknown> = { endpoints: l.endpoints.map((e) => `${e.node}:${e.interface}`) };
    if (l.vlan !== undefined) out["vlan"] = l.vlan;
    if (l.trunk) out["trunk"] = l.trunk;
    if (l.internal) out["internal"] = true;
    if (l.bandwidth !== undefined) out["bandwidth"] = l.bandwidth;
    if (l.delay !== undefined) out["delay"] = fmtMs(l.delay);
    if (l.jitter !== undefined) out["jitter"] = fmtMs(l.jitter);
    if (l.loss !== undefined) out["loss"] = l.loss;
    if (l.state === "down") out["state"] = "down";
    return out;
  });
  return {
    version: 1,
    name: lab.name,
    ...(lab.description !== undefined ? { description: lab.description } : {}),
    ...(lab.addressPlan !== undefined ? { addressPlan: lab.addressPlan } : {}),
    nodes,
    links,
    ...(lab.exercise ? { exercise: exerciseToInput(lab.exercise) } : {}),
  };
}

export function labToYaml(lab: Lab): string {
  return stringify(labToDocument(lab), { lineWidth: 0, flowCollectionPadding: false });
}

export function labToJson(lab: Lab): string {
  return JSON.stringify(labToDocument(lab), null, 2) + "\n";
}
