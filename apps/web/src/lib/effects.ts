// A source check for one React mistake: an effect whose arrow has an expression body returns
// that expression's value, and React calls whatever comes back as the cleanup. DOM methods
// typed `void` may return something in a browser (Chromium's scrollIntoView() returns a
// Promise), so `useEffect(() => el.scrollIntoView())` throws "is not a function" at the next
// render and takes the page down. An effect that does not clean up must have a block body.
//
// Knows: how to find `useEffect(` / `useLayoutEffect(` / `useInsertionEffect(` followed by an
// arrow whose body is not a block. Accepted as expression bodies: a function (`() => () =>
// x.close()`) and a call named for returning its removal (`register…(`, `subscribe…(`,
// `listen…(`, `watch…(`, `on…(`); anything else needs a block. Leaves to others: reading the files (effects.test.ts).

export interface EffectProblem {
  line: number;
  text: string;
}

const EFFECT = /\buse(?:Layout|Insertion)?Effect\s*\(/g;
// an arrow with no parameters or with some, possibly async, then what follows `=>`
const ARROW = /^\s*(async\s*)?(?:\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>\s*(\S)/;

// a body that is itself a function: `() => () => x.close()`
const FUNCTION_BODY = /^(?:\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>/;
// a call whose name says it returns its own removal: register…(), subscribe…(), x.on(…), …
const CLEANUP_CALL = /^[\w$.]*?\b(?:register|subscribe|listen|watch|on)[A-Z\w$]*\s*\(/;

/** Whether an arrow's expression body evidently returns a cleanup function. */
function returnsCleanup(body: string): boolean {
  return FUNCTION_BODY.test(body) || CLEANUP_CALL.test(body);
}

/** Effects in `source` whose arrow returns an expression instead of having a block body. */
export function expressionBodiedEffects(source: string): EffectProblem[] {
  const out: EffectProblem[] = [];
  for (const m of source.matchAll(EFFECT)) {
    const after = source.slice(m.index + m[0].length);
    const a = ARROW.exec(after);
    // an async arrow returns a Promise whatever its body
    if (!a || (a[2] === "{" && !a[1])) continue;
    if (!a[1] && returnsCleanup(after.slice(a.index + a[0].length - 1))) continue;
    const line = source.slice(0, m.index).split("\n").length;
    const text = source.split("\n")[line - 1]!.trim();
    if (/^(\/\/|\*|\/\*)/.test(text)) continue; // a comment that speaks of the mistake
    out.push({ line, text });
  }
  return out;
}
