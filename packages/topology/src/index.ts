// @topolab/topology: the pure model of a lab. No I/O; the browser imports it too.
//
// schema.ts    the lab document (zod) and its canonical types
// kinds.ts     which nodes are hosts (no zod: the engine and the CLI's fast commands use it)
// issues.ts    a problem of a lab and the error that carries them (no zod)
// validate.ts  every problem with its place, and the canonical form
// labfile.ts   YAML/JSON text in and out, with line numbers
// names.ts     name rules and the kernel names derived from them
// topos.ts     Mininet's single/linear/tree topologies
// realize.ts   Lab -> desired kernel resources
// plan.ts      plan(desired, actual) -> ordered operations
// commands.ts  the commands of each operation
// script.ts    the operations as a standalone bash script
// capabilities.ts  what a lab needs from the machine
// jsonschema.ts    the lab file as JSON Schema, for editors
// services.ts      tokens of service command lines, the DHCP client script
// suggest.ts       next free interface name and address, for the canvas
// leases.ts        names of DHCP-leased addresses in the lab's hosts files
// exercise.ts      a task and the checks that prove it solved

export * from "./address";
export * from "./names";
export * from "./schema";
export * from "./kinds";
export * from "./issues";
export * from "./validate";
export * from "./labfile";
export * from "./topos";
export * from "./resources";
export * from "./realize";
export * from "./switchlinks";
export * from "./commands";
export * from "./plan";
export * from "./script";
export * from "./capabilities";
export * from "./jsonschema";
export * from "./services";
export * from "./suggest";
export * from "./leases";
export * from "./exercise";
