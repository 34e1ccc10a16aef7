// One table of the live inspector (what the kernel has: routes, neighbours, sockets, a
// switch's ports and MAC table…): a header row, one row per item, and a message in place of
// the table when there is no item. Columns are data: a header, how a cell reads, its class,
// title and test id; a column can be left out (shown on demand).
//
// Knows: the markup and classes of the inspector's tables (live.css: live-table, live-counters,
// muted). Leaves to others: what the rows are and how each cell reads (LiveTabs).

import type { ReactNode } from "react";

/** Per row, or the same for every row. */
type PerRow<R, T> = T | ((row: R) => T);

export interface Column<R> {
  /** the header cell's content ("" for an empty corner) */
  head: ReactNode;
  /** the header cell's tooltip */
  headTitle?: string;
  /** the cell's content */
  cell: (row: R) => ReactNode;
  className?: PerRow<R, string | undefined>;
  title?: PerRow<R, string | undefined>;
  testId?: PerRow<R, string | undefined>;
  /** the cell heads its row (<th>): the counters' "rx" and "tx" */
  rowHead?: boolean;
  /** left out, header and cells (a column shown on demand) */
  hidden?: boolean;
}

export interface KernelTableProps<R> {
  // R comes from the rows alone: a column written for another row is an error, not a wider R
  columns: Column<NoInfer<R>>[];
  rows: readonly R[];
  rowKey: (row: R, index: number) => string;
  /** the row's data-* attributes (data-testid, data-broken…) */
  rowData?: (row: R) => Record<`data-${string}`, string | boolean | undefined>;
  /** the table's data-testid */
  testId?: string;
  /** live-table, or live-counters for an interface's counters */
  className?: "live-table" | "live-counters";
  /** shown instead of the table when there is no row; without it, an empty table */
  empty?: ReactNode;
  /** the empty message's class */
  emptyClassName?: string;
}

const perRow = <R, T>(v: PerRow<R, T>, row: R): T => (typeof v === "function" ? (v as (row: R) => T)(row) : v);

export function KernelTable<R>({ columns, rows, rowKey, rowData, testId, className = "live-table", empty, emptyClassName = "muted" }: KernelTableProps<R>) {
  if (rows.length === 0 && empty !== undefined) return <p className={emptyClassName}>{empty}</p>;
  const shown = columns.filter((c) => !c.hidden);
  return (
    <table className={className} data-testid={testId}>
      <thead>
        <tr>
          {shown.map((c, i) => (
            <th key={i} title={c.headTitle}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, k) => (
          <tr key={rowKey(row, k)} {...rowData?.(row)}>
            {shown.map((c, i) => {
              const Cell = c.rowHead ? "th" : "td";
              return (
                <Cell key={i} className={perRow(c.className, row)} title={perRow(c.title, row)} data-testid={perRow(c.testId, row)}>
                  {c.cell(row)}
                </Cell>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
