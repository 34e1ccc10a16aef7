import { describe, expect, it } from "vitest";
import { allowList, normalizeOrigin, reachableNames, resolveConfig, tokenProblem } from "./config";
import { Guard, parseCookies } from "./security";

const guard = new Guard("s3cret-token-0123456789", allowList("127.0.0.1", 7380, ["https://lab.example.org"]), 7380);

describe("allow-lists", () => {
  it("a loopback server answers to its loopback names on its port only", () => {
    const { origins, hosts } = allowList("127.0.0.1", 7380, []);
    expect([...origins].sort()).toEqual(["http://127.0.0.1:7380", "http://[::1]:7380", "http://localhost:7380"]);
    expect(hosts.has("localhost:7380")).toBe(true);
    expect(hosts.has("localhost:7381")).toBe(false);
  });

  it("a server on one address answers to that address; on all of them, to each", () => {
    expect(reachableNames("192.0.2.7")).toEqual(["192.0.2.7"]);
    expect(reachableNames("0.0.0.0")).toEqual(expect.arrayContaining(["127.0.0.1", "localhost"]));
  });

  it("extra origins are normalised and their hosts allowed", () => {
    expect(normalizeOrigin("HTTPS://Lab.Example.org:443/")).toBe("https://lab.example.org");
    expect(() => normalizeOrigin("ftp://x")).toThrow(/not an http/);
    expect(guard.hostAllowed("lab.example.org")).toBe(true);
  });

  it("takes the token and origins from the environment, and refuses a weak token", () => {
    const c = resolveConfig(
      {},
      { TOPOLAB_TOKEN: "abcdefghijklmnopq", TOPOLAB_PORT: "9000", TOPOLAB_HOST: "::1", TOPOLAB_ALLOWED_ORIGINS: "http://a.example, http://b.example:8080" },
    );
    expect(c).toMatchObject({ token: "abcdefghijklmnopq", port: 9000, host: "::1", extraOrigins: ["http://a.example", "http://b.example:8080"] });
    expect(resolveConfig({}, {}).token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(resolveConfig({}, { TOPOLAB_TOKEN: "", TOPOLAB_PORT: "" })).toMatchObject({ port: 7380, token: expect.stringMatching(/^.{32}$/) });
    expect(tokenProblem("short")).toMatch(/16 to 256/);
    expect(tokenProblem("has spaces in it, yes")).not.toBeNull();
    expect(() => resolveConfig({}, { TOPOLAB_TOKEN: "x" })).toThrow(/TOPOLAB_TOKEN/);
  });
});

describe("Guard", () => {
  it("accepts the token as a bearer header or as its cookie, nothing else", () => {
    expect(guard.authenticate({ authorization: "Bearer s3cret-token-0123456789" })).toBe("bearer");
    expect(guard.authenticate({ cookie: "a=1; topolab-7380=s3cret-token-0123456789" })).toBe("cookie");
    expect(guard.authenticate({ cookie: "topolab-7381=s3cret-token-0123456789" })).toBeNull();
    expect(guard.authenticate({ authorization: "Bearer s3cret-token-012345678" })).toBeNull();
    expect(guard.authenticate({ authorization: "Basic czNjcmV0" })).toBeNull();
    expect(guard.authenticate({})).toBeNull();
    expect(guard.tokenMatches("x".repeat(5000))).toBe(false);
  });

  it("checks origins exactly: no missing, null, foreign or look-alike origin", () => {
    expect(guard.originAllowed("http://127.0.0.1:7380")).toBe(true);
    expect(guard.originAllowed("https://lab.example.org")).toBe(true);
    for (const o of [undefined, "null", "http://127.0.0.1:7381", "http://127.0.0.1:7380.evil.example", "http://evil.example", "https://127.0.0.1:7380"]) {
      expect(guard.originAllowed(o), String(o)).toBe(false);
    }
  });

  it("sets an HttpOnly, SameSite=Strict cookie named after the port", () => {
    expect(guard.cookie()).toBe("topolab-7380=s3cret-token-0123456789; Path=/; HttpOnly; SameSite=Strict");
    expect(parseCookies(" a=1 ;b= 2;junk; c=x=y")).toEqual(
      new Map([
        ["a", "1"],
        ["b", "2"],
        ["c", "x=y"],
      ]),
    );
  });
});
