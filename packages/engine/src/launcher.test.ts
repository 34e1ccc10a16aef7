// The launcher's helper's lines, read (recorded from the helper; launcher.ts's parseReply).

import { describe, expect, it } from "vitest";
import { parseReply } from "./launcher";

describe("parseReply", () => {
  it("reads the ready line, a result, and a program that could not start", () => {
    expect(parseReply('{"ready": 4242}')).toEqual({ kind: "ready", pid: 4242 });
    expect(parseReply('{"i": 7, "c": 3, "o": "out\\n", "r": "err ✓\\n"}')).toEqual({
      kind: "done",
      id: 7,
      result: { code: 3, stdout: "out\n", stderr: "err ✓\n" },
    });
    expect(parseReply('{"i": 8, "c": 127, "o": "", "r": "", "x": "[Errno 2] No such file or directory: \'/nope\'"}')).toEqual({
      kind: "done",
      id: 8,
      result: { code: 127, stdout: "", stderr: "", startError: "[Errno 2] No such file or directory: '/nope'" },
    });
  });

  it("calls anything else unknown, never a result", () => {
    for (const line of ["", "Traceback (most recent call last):", "[1, 2]", "null", '{"i": "7", "c": 0, "o": "", "r": ""}', '{"i": 7, "c": 0, "o": ""}']) {
      expect(parseReply(line)).toEqual({ kind: "unknown", line });
    }
  });
});
