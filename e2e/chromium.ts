// Debian's Chromium as the end-to-end tests and the browser benchmarks start it: headless,
// software rendering, and no traffic of its own (the machine's network is closed to it).

export const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
