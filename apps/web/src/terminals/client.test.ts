import { describe, expect, it } from "vitest";
import { clientName } from "./client";

describe("clientName", () => {
  it("names the browser and its system from recorded user agents", () => {
    expect(clientName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(clientName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.224 Safari/537.36")).toBe(
      "Headless Chrome on Linux",
    );
    expect(clientName("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0")).toBe("Firefox on macOS");
    expect(
      clientName("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"),
    ).toBe("Edge on Windows");
    expect(
      clientName("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"),
    ).toBe("Safari on iOS");
    expect(clientName("curl/8.5.0")).toBe("A browser");
  });
});
