import { describe, expect, it } from "vitest";
import type { Me } from "./api";
import { may, maySomewhere, roleIn, signedOut } from "./access";

const me = (over: Partial<Me>): Me => ({
  name: "ann",
  auth: true,
  account: true,
  site_admin: false,
  default_role: null,
  roles: {},
  ...over,
});

describe("access", () => {
  it("gives site admins everything", () => {
    const admin = me({ site_admin: true });
    expect(roleIn(admin, "any")).toBe("admin");
    expect(may(admin, "admin", "any")).toBe(true);
    expect(maySomewhere(admin, "write")).toBe(true);
  });

  it("reads the role granted on the project", () => {
    const viewer = me({ roles: { p: "viewer", q: "editor" } });
    expect(may(viewer, "read", "p")).toBe(true);
    expect(may(viewer, "write", "p")).toBe(false);
    expect(may(viewer, "write", "q")).toBe(true);
    expect(may(viewer, "admin", "q")).toBe(false);
    expect(may(viewer, "read", "other")).toBe(false);
  });

  it("applies the default role where it is higher or nothing is granted", () => {
    const m = me({ default_role: "editor", roles: { p: "viewer", a: "admin" } });
    expect(roleIn(m, "p")).toBe("editor");
    expect(roleIn(m, "elsewhere")).toBe("editor");
    expect(roleIn(m, "a")).toBe("admin");
  });

  it("allows the registry where some project allows the action", () => {
    expect(maySomewhere(me({ roles: { p: "viewer" } }), "write")).toBe(false);
    expect(maySomewhere(me({ roles: { p: "viewer", q: "editor" } }), "write")).toBe(true);
    expect(maySomewhere(me({ default_role: "viewer" }), "read")).toBe(true);
  });

  it("knows the local administrator of a server without accounts is signed in", () => {
    expect(signedOut(me({ auth: false, account: false, site_admin: true }))).toBe(false);
    expect(signedOut(me({ account: false, name: "anonymous" }))).toBe(true);
  });
});
