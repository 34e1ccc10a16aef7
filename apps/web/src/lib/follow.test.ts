import { describe, expect, it } from "vitest";
import { askUntilAnswered } from "./follow";

describe("askUntilAnswered", () => {
  it("asks again after a refusal, and stops at a final one", async () => {
    const said: string[] = [];
    let n = 0;
    const value = await askUntilAnswered(
      async () => {
        if (++n < 2) throw new Error("not open yet");
        return 42;
      },
      { closed: () => false, final: /stopped/, failed: (m) => said.push(m) },
    );
    expect([value, n, said]).toEqual([42, 2, ["not open yet"]]);
    n = 0;
    const none = await askUntilAnswered(
      async () => {
        n++;
        throw new Error("lab x is stopped");
      },
      { closed: () => false, final: /stopped/, failed: () => undefined },
    );
    expect([none, n]).toEqual([null, 1]);
  });

  it("gives nothing once closed", async () => {
    expect(await askUntilAnswered(async () => 1, { closed: () => true, final: /x/, failed: () => undefined })).toBe(null);
  });
});
