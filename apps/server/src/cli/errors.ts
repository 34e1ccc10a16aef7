// The command line's own error: the person typed something that cannot work.
//
// Kept apart from load.ts (which loads the lab model, zod and yaml) so that the commands that
// answer quickly (quick.ts) can throw it without loading them.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
