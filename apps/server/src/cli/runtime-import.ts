// Loading a module at run time from the CLI's bundles.
//
// Knows: that the bundles run from V8's code cache (scripts/build.mjs loadBundle), and that
// code which comes from that cache cannot call import() in Node 20 (it fails with
// ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): bin/topolab.js, an ES module, lends its own import()
// under a global symbol. Run from source (tests), import() as usual.
// Leaves to its callers: which module, and what it exports.

const HOOK = Symbol.for("topolab.import");

export function importAtRunTime<T>(url: string): Promise<T> {
  const lent = (globalThis as Record<symbol, unknown>)[HOOK] as ((url: string) => Promise<unknown>) | undefined;
  return (lent ? lent(url) : import(url)) as Promise<T>;
}
