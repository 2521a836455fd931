import { describe, expect, it } from "vitest";
import { chooseColumns, loadColumns, rememberRunsQuery, runsHref, saveColumns, type KeyValue } from "./prefs";

function memory(): KeyValue & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const broken: KeyValue = {
  getItem: () => {
    throw new Error("SecurityError");
  },
  setItem: () => {
    throw new Error("QuotaExceededError");
  },
  removeItem: () => {
    throw new Error("SecurityError");
  },
};

describe("column choice per project", () => {
  it("saves, loads and forgets a pick per project", () => {
    const kv = memory();
    expect(loadColumns("vision", kv)).toBeNull();
    saveColumns("vision", ["config.lr", "metrics.a,b"], kv);
    saveColumns("nlp", [], kv);
    expect(loadColumns("vision", kv)).toEqual(["config.lr", "metrics.a,b"]);
    expect(loadColumns("nlp", kv)).toEqual([]); // "no data columns" is a choice too
    saveColumns("vision", null, kv);
    expect(loadColumns("vision", kv)).toBeNull();
    expect(loadColumns("nlp", kv)).toEqual([]);
  });

  it("ignores what it cannot read and survives storage that throws", () => {
    const kv = memory();
    kv.setItem("heron-columns:p", "{not json");
    expect(loadColumns("p", kv)).toBeNull();
    kv.setItem("heron-columns:p", '["a", 3]');
    expect(loadColumns("p", kv)).toBeNull();
    expect(loadColumns("p", broken)).toBeNull();
    expect(() => saveColumns("p", ["a"], broken)).not.toThrow();
    expect(loadColumns("p", null)).toBeNull();
  });

  it("prefers the URL's pick, then the saved one, then the defaults", () => {
    const defaults = ["metrics.loss"];
    expect(chooseColumns({ custom: true, columns: ["config.x"] }, ["config.y"], defaults)).toEqual({
      columns: ["config.x"],
      from: "url",
    });
    expect(chooseColumns({ custom: false, columns: [] }, ["config.y"], defaults)).toEqual({
      columns: ["config.y"],
      from: "saved",
    });
    expect(chooseColumns({ custom: false, columns: [] }, null, defaults)).toEqual({
      columns: defaults,
      from: "defaults",
    });
  });
});

describe("links back to the runs table", () => {
  it("carry the last query of that project", () => {
    const kv = memory();
    expect(runsHref("my proj", undefined, kv)).toBe("/p/my%20proj");
    rememberRunsQuery("my proj", "?q=config.lr+%3C+1&sort=-created&cc=1&col=config.lr", kv);
    rememberRunsQuery("other", "q=x", kv);
    expect(runsHref("my proj", undefined, kv)).toBe("/p/my%20proj?q=config.lr+%3C+1&sort=-created&cc=1&col=config.lr");
    rememberRunsQuery("my proj", "", kv);
    expect(runsHref("my proj", undefined, kv)).toBe("/p/my%20proj");
    expect(runsHref("other", undefined, kv)).toBe("/p/other?q=x");
  });

  it("replace the selection when asked (the comparison's way back)", () => {
    const kv = memory();
    rememberRunsQuery("p", "q=x&all=1&ex=a&sel=old", kv);
    expect(runsHref("p", ["r1", "r2"], kv)).toBe("/p/p?q=x&sel=r1&sel=r2");
    expect(runsHref("p", undefined, kv)).toBe("/p/p?q=x&all=1&ex=a&sel=old");
    expect(runsHref("p", [], broken)).toBe("/p/p");
  });
});
