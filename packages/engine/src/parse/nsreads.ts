// What one `sh` runner printed for many namespaces' reads (actual.ts readNamespaces): for each
// namespace a line "\x1ens NAME", what `ip -n NAME -d -j -batch -` printed (its JSON documents,
// one per line, or its error text: stderr goes to the same stream), then "\x1eexit CODE".
// Pure: tested on recorded output.

export interface NamespaceRead {
  /** ip's exit code */
  code: number;
  /** the JSON documents (on success) */
  documents: unknown[];
  /** what ip printed that is not JSON (its error, on failure) */
  text: string;
}

const MARK = "\x1e";

/**
 * Splits a runner's output by namespace. Every namespace asked for must be there, in order,
 * with its exit code; a namespace missing (the runner died), a line outside a namespace's
 * part, or output that is not JSON after a success is an error naming what was read.
 */
export function parseNamespaceReads(output: string, namespaces: readonly string[]): Map<string, NamespaceRead> {
  const reads = new Map<string, NamespaceRead>();
  let current: { ns: string; documents: unknown[]; text: string[] } | null = null;
  let next = 0;
  output.split("\n").forEach((line, i) => {
    if (line.startsWith(`${MARK}ns `)) {
      const ns = line.slice(4);
      if (current) throw new Error(`namespace reads: ${current.ns} has no exit line before ${ns} (line ${i + 1})`);
      if (ns !== namespaces[next]) throw new Error(`namespace reads: expected ${namespaces[next] ?? "the end"}, got ${ns} (line ${i + 1})`);
      current = { ns, documents: [], text: [] };
      next++;
      return;
    }
    if (line.startsWith(`${MARK}exit `)) {
      const code = Number(line.slice(6));
      if (!current || !Number.isInteger(code)) throw new Error(`namespace reads: a stray exit line ${JSON.stringify(line)} (line ${i + 1})`);
      const { ns, documents, text }: { ns: string; documents: unknown[]; text: string[] } = current;
      if (code === 0 && text.length)
        throw new Error(`namespace reads: ip -n ${ns} succeeded but printed what is not JSON: ${JSON.stringify(text.join(" / ").slice(0, 200))}`);
      reads.set(ns, { code, documents, text: text.join("\n") });
      current = null;
      return;
    }
    if (!line.trim()) return;
    if (!current) throw new Error(`namespace reads: output outside any namespace's part: ${JSON.stringify(line.slice(0, 120))} (line ${i + 1})`);
    const c: { documents: unknown[]; text: string[] } = current;
    if (line.startsWith("[") || line.startsWith("{")) {
      try {
        c.documents.push(JSON.parse(line));
        return;
      } catch {
        /* not JSON after all: kept as text */
      }
    }
    c.text.push(line.trim());
  });
  if (current) throw new Error(`namespace reads: the output ends inside ${(current as { ns: string }).ns}'s part`);
  const missing = namespaces.filter((ns) => !reads.has(ns));
  if (missing.length)
    throw new Error(`namespace reads: no answer for ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`);
  return reads;
}
