import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/api";
import { ME_KEY, createQueryClient } from "../../lib/queryClient";

// A 401 from any query or mutation asks who we are again (the gate then signs in);
// other errors, and the caller's own 401, do not.
describe("the query client on 401", () => {
  const setup = () => ({ qc: createQueryClient() });
  const failing = (status: number) => () => Promise.reject(new ApiError(status, "t", "d"));
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("asks /auth/me again after a query answers 401", async () => {
    const { qc } = setup();
    await qc.fetchQuery({ queryKey: ME_KEY, queryFn: () => 1 });
    await qc.fetchQuery({ queryKey: ["runs"], queryFn: failing(401) }).catch(() => undefined);
    await settle();
    expect(qc.getQueryState(ME_KEY)?.isInvalidated).toBe(true); // fetched again when shown
  });

  it("leaves the caller alone on other errors", async () => {
    const { qc } = setup();
    await qc.fetchQuery({ queryKey: ME_KEY, queryFn: () => 1 });
    await qc.fetchQuery({ queryKey: ["runs"], queryFn: failing(500) }).catch(() => undefined);
    await qc.fetchQuery({ queryKey: ["runs", 2], queryFn: failing(403) }).catch(() => undefined);
    await settle();
    expect(qc.getQueryState(ME_KEY)?.isInvalidated).toBe(false);
  });

  it("asks again after a mutation answers 401", async () => {
    const { qc } = setup();
    await qc.fetchQuery({ queryKey: ME_KEY, queryFn: () => 1 });
    const m = qc.getMutationCache().build(qc, { mutationFn: failing(401) });
    await m.execute(undefined).catch(() => undefined);
    await settle();
    expect(qc.getQueryState(ME_KEY)?.isInvalidated).toBe(true);
  });
});
