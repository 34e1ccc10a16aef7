import { describe, expect, it } from "vitest";
import { pieces, prose } from "./prose";

describe("prose", () => {
  it("joins a paragraph's hard line breaks and keeps blank lines between paragraphs", () => {
    const text = "a server's data and management sides\nwith the same address; a service\nonly on the management side\n\nTry it.";
    expect(prose(text).map((b) => b.map((p) => p.text).join(""))).toEqual([
      "a server's data and management sides with the same address; a service only on the management side",
      "Try it.",
    ]);
  });

  it("marks backticks as code", () => {
    expect(prose("run `ip vrf exec mgmt`\nfrom the `server`")).toEqual([
      [
        { code: false, text: "run " },
        { code: true, text: "ip vrf exec mgmt" },
        { code: false, text: " from the " },
        { code: true, text: "server" },
      ],
    ]);
  });

  it("keeps list items on lines of their own", () => {
    expect(prose("Steps:\n- one\n  continued\n- two").map((b) => b.map((p) => p.text).join(""))).toEqual(["Steps:", "- one continued", "- two"]);
  });

  it("leaves an unmatched backtick as text", () => {
    expect(pieces("a `b` c`d")).toEqual([
      { code: false, text: "a " },
      { code: true, text: "b" },
      { code: false, text: " c`d" },
    ]);
  });
});
