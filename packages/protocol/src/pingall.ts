// What one pair of ping all carries (live:pingall), and one pair pinged again (live:ping): what
// was really seen, so a click on a cell of the matrix shows it. The engine's PairOutput and
// PingPairResult, checked at the boundary.
//
// Knows: the fields and their bounds (lines, their length, the output's size). Leaves to others:
// running fping and ping (engine pingall.ts), the matrix and its detail (the web app's live/).

import { z } from "zod";
import { LabNameSchema, NodeNameSchema } from "@topolab/topology";

/** The most report lines one pair carries, and the longest line kept. */
export const PAIR_LINES_MAX = 8;
export const PAIR_LINE_CHARS = 240;
/** The most characters of a ping's output carried back (ping -c 3 prints about 400). */
export const PING_OUTPUT_CHARS = 8192;

export const RttSchema = z.object({ min: z.number(), avg: z.number(), max: z.number() });

/**
 * What fping said about one pair over ping all's rounds. fping stops at the first reply, so an
 * answered pair's echo count is known only to lie between 1 and sentAtMost (sent null).
 */
export const PairOutputSchema = z.object({
  /** rounds that probed this pair (a pair without a reply is probed again, more patiently) */
  rounds: z.number().int().min(1),
  /** echoes sent, when known exactly (every round without a reply); null otherwise */
  sent: z.number().int().min(0).nullable(),
  /** the most echoes fping may have sent (1 + its retries, per round) */
  sentAtMost: z.number().int().min(0),
  received: z.number().int().min(0),
  /** percent, when sent is known */
  lossPercent: z.number().min(0).max(100).nullable(),
  /** round trips in ms of the replies (fping -e) */
  rtt: RttSchema.nullable(),
  /** fping's lines that named the target, per round, as printed (at most PAIR_LINES_MAX, each cut to PAIR_LINE_CHARS) */
  lines: z.array(z.object({ round: z.number().int().min(1), command: z.string().max(400), text: z.string().max(PAIR_LINE_CHARS) })).max(PAIR_LINES_MAX),
});
export type PairOutput = z.infer<typeof PairOutputSchema>;

export const PingAllPairSchema = z.object({ from: z.string(), to: z.string(), address: z.string(), ok: z.boolean(), output: PairOutputSchema });

/** One pair pinged again: `ping -c 3 -W 1 ADDRESS` in the source's namespace, the target's address read from the kernel. */
export const PingPairRequestSchema = z.strictObject({ lab: LabNameSchema, from: NodeNameSchema, to: NodeNameSchema });
export type PingPairRequest = z.infer<typeof PingPairRequestSchema>;

export const PingPairSchema = z.object({
  lab: z.string(),
  from: z.string(),
  to: z.string(),
  address: z.string(),
  /** the command as run (in the source's namespace) */
  argv: z.array(z.string()),
  /** ping's exit status: 0 replies, 1 none, 2 an error */
  code: z.number(),
  /** stdout then stderr, verbatim (cut to PING_OUTPUT_CHARS) */
  output: z.string().max(PING_OUTPUT_CHARS + 40),
  /** ping's statistics; null when it printed none (it could not send) */
  stats: z.object({ sent: z.number(), received: z.number(), errors: z.number(), lossPercent: z.number(), rtt: RttSchema.nullable() }).nullable(),
});
export type PingPair = z.infer<typeof PingPairSchema>;
