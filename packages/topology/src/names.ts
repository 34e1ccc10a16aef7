// Names: what a person may call labs, nodes and interfaces, and the kernel names made from them.
//
// Knows: the character sets and lengths the kernel, iproute2 and OVS accept without misreading,
// and how every kernel object's name is derived from (lab, node, interface) so that it can be
// traced back to its lab: namespaces are `tl.<lab>.<node>`, root-side interfaces and bridges
// start with the lab's short tag (at most 15 bytes in all), and carry an alias naming the lab
// and its owner (`topolab:<lab>@<owner>:<what>`: the owner id of the state directory that made
// it; `topolab:<lab>:<what>`, without one, is how labs were marked before owners existed).
// Leaves to others: choosing a lab's tag so that it is unique on the machine (engine/registry),
// and deciding what an owner may do (engine/owner.ts).

/** Lab names end up in namespace names, file paths and URLs. */
export const LAB_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Node names end up in namespace names, /etc/hosts and kernel interface names. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** Interface names inside a node: what the kernel accepts and `ip`/sysctl paths do not misread. */
export const IF_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
/** Service names end up in file names (logs, pid files). */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** A lab's short tag, the prefix of its root-namespace objects. */
export const LAB_TAG = /^[a-z0-9]{1,5}$/;

export const NS_PREFIX = "tl.";
export const ALIAS_PREFIX = "topolab:";
export const MAX_IFNAME = 15;

/**
 * Names that JavaScript objects already hold (`__proto__`, `constructor`, `toString`…): a
 * person's name used as a key must never be one of them, or a lookup finds the object's own
 * machinery instead of nothing, and `__proto__` silently swallows what is stored under it.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype"]);

/** Why `name` cannot be a key of a person's data (see RESERVED_KEYS), or null. */
export function reservedKeyProblem(name: string): string | null {
  return RESERVED_KEYS.has(name) ? `"${name}" is a reserved name (it means something else to the program that reads it); choose another` : null;
}

/** Why a lab name is refused, or null when it is fine. */
export function labNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "must be a text";
  if (name.length === 0) return "is empty";
  if (name.length > 32) return `"${name}" is ${name.length} characters; a lab name has at most 32`;
  if (!LAB_NAME.test(name)) return `"${name}" may hold only lower-case letters, digits, "-" and "_", and must start with a letter or digit`;
  return null;
}

/** Why a node name is refused, or null when it is fine. */
export function nodeNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "must be a text";
  if (name.length === 0) return "is empty";
  if (name.length > 32) return `"${name}" is ${name.length} characters; a node name has at most 32`;
  if (!NODE_NAME.test(name)) return `"${name}" may hold only letters, digits, "-" and "_", and must start with a letter or digit`;
  return reservedKeyProblem(name);
}

/** Why a service name is refused, or null when it is fine. */
export function serviceNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "must be a text";
  if (!SERVICE_NAME.test(name)) return `"${name}" may hold only lower-case letters, digits, "-" and "_" (at most 32), and must start with a letter or digit`;
  return reservedKeyProblem(name);
}

/** Why an interface name is refused, or null when it is fine. */
export function ifNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "must be a text";
  if (name.length === 0) return "is empty";
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_IFNAME) return `"${name}" is ${bytes} bytes; interface names are at most ${MAX_IFNAME}`;
  if (/\s/.test(name)) return `"${name}" contains white space, which the kernel refuses in interface names`;
  for (const ch of ["/", ":"]) {
    if (name.includes(ch)) return `"${name}" contains "${ch}", which the kernel refuses in interface names`;
  }
  if (name.startsWith("-")) return `"${name}" starts with "-", which commands would read as an option`;
  if (name === "." || name === "..") return `"${name}" is not a valid interface name`;
  if (name === "all" || name === "default") return `"${name}" is reserved (it names a sysctl directory under /proc/sys/net/*/conf)`;
  if (!IF_NAME.test(name)) return `"${name}" may hold only letters, digits, ".", "-" and "_", and must start with a letter, digit or "_"`;
  return reservedKeyProblem(name);
}

/** The network namespace of a node. */
export function nsName(lab: string, node: string): string {
  return `${NS_PREFIX}${lab}.${node}`;
}

/** The lab and node a namespace belongs to, or null when it is not topolab's. */
export function parseNsName(ns: string): { lab: string; node: string } | null {
  if (!ns.startsWith(NS_PREFIX)) return null;
  const rest = ns.slice(NS_PREFIX.length);
  const dot = rest.indexOf(".");
  if (dot < 0) return null;
  const lab = rest.slice(0, dot);
  const node = rest.slice(dot + 1);
  if (!LAB_NAME.test(lab) || !NODE_NAME.test(node)) return null;
  return { lab, node };
}

/** 53-bit string hash (cyrb53), stable across platforms. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function base36(n: number, width: number): string {
  return n.toString(36).padStart(width, "0").slice(-width);
}

/**
 * Tags to try, in order, for a lab: the lab's own name when it is short, then the first
 * letters of the name followed by hash characters. Tags never contain "-" or "_", so a
 * tag followed by "-" can never be mistaken for a longer tag.
 */
export function labTagCandidates(lab: string, count = 50): string[] {
  const out: string[] = [];
  if (LAB_TAG.test(lab)) out.push(lab);
  const stem = lab.replace(/[^a-z0-9]/g, "").slice(0, 3);
  // distinct tags only: two hash characters repeat often enough within 50 tries
  for (let i = 0; out.length < count && i < count * 100; i++) {
    const tag = stem + base36(hash53(lab, i), 5 - stem.length);
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

/**
 * A root-namespace interface name for `parts` of a lab with `tag`: readable
 * (`demo-s1-eth1`) when it fits in 15 bytes, otherwise `tag_` and a hash.
 */
export function rootIfName(tag: string, ...parts: string[]): string {
  const readable = `${tag}-${parts.join("-")}`;
  if (readable.length <= MAX_IFNAME) return readable;
  const room = MAX_IFNAME - tag.length - 1;
  return `${tag}_${base36(hash53(parts.join("\u0000")), room)}`;
}

/** A state directory's owner id (engine/owner.ts makes one per state directory). */
export const OWNER_ID = /^[a-z0-9]{6,16}$/;

/** The alias (ifalias) that marks a root-side object as the lab's (and its owner's, when given). */
export function ownerAlias(lab: string, what: string, owner?: string): string {
  return `${ALIAS_PREFIX}${lab}${owner ? `@${owner}` : ""}:${what}`;
}

/**
 * The lab (and owner, when the alias has one) named in an alias, or null when the alias is not
 * topolab's. An alias without an owner is an old-format mark: `owner` is absent.
 */
export function aliasLab(alias: string | undefined): { lab: string; what: string; owner?: string } | null {
  if (!alias || !alias.startsWith(ALIAS_PREFIX)) return null;
  const rest = alias.slice(ALIAS_PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon < 0) return null;
  const head = rest.slice(0, colon);
  const at = head.indexOf("@");
  const lab = at < 0 ? head : head.slice(0, at);
  if (!LAB_NAME.test(lab)) return null;
  if (at < 0) return { lab, what: rest.slice(colon + 1) };
  const owner = head.slice(at + 1);
  if (!OWNER_ID.test(owner)) return null;
  return { lab, what: rest.slice(colon + 1), owner };
}

/** OVS external_ids keys that mark a bridge or port as a lab's. */
export const OVS_LAB_KEY = "topolab-lab";
export const OVS_NODE_KEY = "topolab-node";
export const OVS_LINK_KEY = "topolab-link";
/** The owner id of the state directory that made the bridge or port (absent: an old-format mark). */
export const OVS_OWNER_KEY = "topolab-owner";

/** The service name of the DHCP client topolab runs for an interface. */
export function dhcpClientName(ifname: string): string {
  return `dhclient-${ifname.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}`;
}

/** "red:eth0" -> {node, interface}; null when it has no ':' */
export function splitNodeIf(text: string): { node: string; interface: string } | null {
  const i = text.indexOf(":");
  if (i <= 0 || i === text.length - 1) return null;
  return { node: text.slice(0, i), interface: text.slice(i + 1) };
}
