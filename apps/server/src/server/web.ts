// The web app's files: apps/web/dist when it has been built (looked for at every request, so a
// build made while the server runs is served at once), with every other page path answered by
// its index.html (the app routes by itself); otherwise a page saying how to build it. Also the
// two pages a person may see before the app: "not built" and "no access".
//
// Knows: static files and HTML pages. Leaves to others: who may see them (http.ts).

import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type RequestHandler } from "express";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#eee;padding:0 .3em}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

export const notBuiltPage = page(
  "topolab: the web app is not built",
  "<p>The server is running and its API answers under <code>/api</code>, but the web app has not been built.</p>" +
    "<p>Build it with <code>pnpm build</code> (or start with <code>scripts/start</code>, which builds everything), then reload this page.</p>",
);

export const noAccessPage = page(
  "topolab: access token needed",
  "<p>This topolab server needs its access token. Open the address it printed when it started " +
    "(the one ending in <code>?token=…</code>).</p><p>The token changes at every start unless <code>TOPOLAB_TOKEN</code> is set.</p>",
);

export function webApp(webDir: string): RequestHandler[] {
  const files = express.static(webDir, {
    index: false,
    setHeaders: (res, path) => {
      // Vite names its assets by content hash: they never change under the same name
      res.setHeader("Cache-Control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  const fallback: RequestHandler = (req, res, next) => {
    // a missing file (/x.js) is a 404; any other path is one of the app's pages
    if ((req.method !== "GET" && req.method !== "HEAD") || /\.[A-Za-z0-9]+$/.test(req.path)) return next();
    const index = join(webDir, "index.html");
    if (!existsSync(index)) {
      res.status(503).type("html").send(notBuiltPage);
      return;
    }
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(index);
  };
  return [files, fallback];
}
