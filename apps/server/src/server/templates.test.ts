import { describe, expect, it } from "vitest";
import { describeTemplate } from "./templates";

describe("describeTemplate", () => {
  it("takes the title and description from the leading comments, and the lab name", () => {
    const text =
      "\n# VLANs on one switch\n#\n# red and green are on VLANs 100 and 200:\n#   they cannot reach each other.\nname: vlans\nnodes: []\n# not this\n";
    expect(describeTemplate("vlans", text)).toEqual({
      id: "vlans",
      title: "VLANs on one switch",
      description: "red and green are on VLANs 100 and 200:\n  they cannot reach each other.",
      lab: "vlans",
    });
  });

  it("falls back to the id when there is no comment", () => {
    expect(describeTemplate("bare", "nodes: []\n")).toEqual({ id: "bare", title: "bare", description: "" });
  });
});
