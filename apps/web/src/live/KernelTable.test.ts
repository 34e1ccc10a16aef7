import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { KernelTable, type Column, type KernelTableProps } from "./KernelTable";

interface Row {
  name: string;
  drops: number;
}

const columns: Column<Row>[] = [
  { head: "", cell: (r) => r.name, rowHead: true },
  { head: "drops", headTitle: "packets dropped", cell: (r) => r.drops, className: (r) => (r.drops ? "live-warn" : undefined), testId: "drops" },
  { head: "hidden", cell: () => "never", hidden: true },
];

const html = (props: KernelTableProps<Row>) => renderToStaticMarkup(createElement(KernelTable<Row>, props));

describe("KernelTable", () => {
  it("draws a header row and one row per item, with the columns' classes, titles and test ids, a column left out when hidden", () => {
    const out = html({
      columns,
      rows: [
        { name: "rx", drops: 0 },
        { name: "tx", drops: 3 },
      ],
      rowKey: (r) => r.name,
      rowData: (r) => ({ "data-testid": `row-${r.name}`, "data-broken": r.drops > 0 }),
      testId: "t",
      className: "live-counters",
      empty: "nothing",
    });
    expect(out).toBe(
      '<table class="live-counters" data-testid="t"><thead><tr><th></th><th title="packets dropped">drops</th></tr></thead><tbody>' +
        '<tr data-testid="row-rx" data-broken="false"><th>rx</th><td data-testid="drops">0</td></tr>' +
        '<tr data-testid="row-tx" data-broken="true"><th>tx</th><td class="live-warn" data-testid="drops">3</td></tr>' +
        "</tbody></table>",
    );
  });

  it("says its empty message instead of the table when there is no row, and draws an empty table without one", () => {
    expect(html({ columns, rows: [], rowKey: (r) => r.name, testId: "t", empty: "no routes", emptyClassName: "muted small" })).toBe(
      '<p class="muted small">no routes</p>',
    );
    expect(html({ columns, rows: [], rowKey: (r) => r.name, testId: "t" })).toBe(
      '<table class="live-table" data-testid="t"><thead><tr><th></th><th title="packets dropped">drops</th></tr></thead><tbody></tbody></table>',
    );
  });
});
