import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { captureMenuItems, openCaptures } from "./captures";

const lab = parseLab({
  name: "cm",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: {} } },
    { name: "s1", kind: "switch" },
    { name: "lonely", kind: "host" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }],
});

describe("the context menu's capture items", () => {
  it("capture a link on its host's end, and a linked node on all its interfaces", () => {
    const [onLink] = captureMenuItems(lab, { kind: "link", link: "h1:eth0|s1:eth1" });
    expect(onLink).toMatchObject({ id: "capture-link", label: "Capture packets (h1:eth0)" });
    void onLink!.run();
    expect(openCaptures.get().at(-1)).toMatchObject({ lab: "cm", interfaces: ["h1:eth0"] });
    const [onNode] = captureMenuItems(lab, { kind: "node", node: "s1" });
    void onNode!.run();
    expect(openCaptures.get().at(-1)).toMatchObject({ lab: "cm", interfaces: ["s1"] });
  });

  it("offer nothing for a node without links, an unknown link or the pane", () => {
    expect(captureMenuItems(lab, { kind: "node", node: "lonely" })).toEqual([]);
    expect(captureMenuItems(lab, { kind: "link", link: "x:eth0|y:eth0" })).toEqual([]);
    expect(captureMenuItems(lab, { kind: "pane" })).toEqual([]);
  });
});
