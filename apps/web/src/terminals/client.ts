// How this browser names itself to the server (the handshake's `client`), so that the shells it
// opens are listed to other browsers as "opened by Firefox on macOS (10.0.0.7)".
//
// Knows: user-agent strings, roughly. Leaves to others: the address (the server sees it).

/** "Chromium on Linux", "Firefox on Windows", ... from a user-agent string. */
export function clientName(ua: string): string {
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /HeadlessChrome\//.test(ua)
          ? "Headless Chrome"
          : /Chromium\//.test(ua)
            ? "Chromium"
            : /Chrome\//.test(ua)
              ? "Chrome"
              : /Safari\//.test(ua)
                ? "Safari"
                : "A browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /CrOS/.test(ua)
          ? "ChromeOS"
          : /Mac OS X|Macintosh/.test(ua)
            ? "macOS"
            : /Linux/.test(ua)
              ? "Linux"
              : "";
  return (os ? `${browser} on ${os}` : browser).slice(0, 64);
}
