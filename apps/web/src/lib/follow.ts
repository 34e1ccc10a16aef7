// Following something on the server (a lab's live state, its exercise): the request that
// starts it, asked again a few times with growing waits while the lab is being opened or the
// connection comes back, given up at once on an answer that will not change (a stopped lab).
//
// Knows: the retry policy. Leaves to others: what is followed and what its answer means.

/**
 * Asks until answered: at most `attempts` times, 400 ms more between each; null when it gave
 * up (closed meanwhile, a final refusal, or out of attempts). Each refusal is told to `failed`.
 */
export async function askUntilAnswered<T>(
  ask: () => Promise<T>,
  o: { closed: () => boolean; final: RegExp; failed: (message: string) => void; attempts?: number },
): Promise<T | null> {
  const attempts = o.attempts ?? 5;
  for (let attempt = 0; attempt < attempts && !o.closed(); attempt++) {
    try {
      const value = await ask();
      return o.closed() ? null : value;
    } catch (e) {
      const message = (e as Error).message;
      o.failed(message);
      if (o.final.test(message)) return null;
      await new Promise((r) => setTimeout(r, 400 * (attempt + 1)));
    }
  }
  return null;
}
