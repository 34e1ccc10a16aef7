// topolab's version, as apps/server/package.json has it: what `topolab --version` prints and the
// server reports. Its own module, so the command line gets it without loading the server.

import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
