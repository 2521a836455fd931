// The code each compared run ran with beyond its commit: the uncommitted changes the
// SDK recorded (code/diff.patch), loaded only when asked for. Side by side for any
// number of runs; for exactly two, also a unified diff of the two diffs.
import { useState } from "react";
import { ErrorBox, Loading, Swatch } from "../../components/States";
import type { Run } from "../../lib/api";
import { DIFF_FILE } from "../run/api";
import { unifiedDiff } from "./linediff";
import { useCodeDiffs, type Recorded } from "./queries";

function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "meta";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "";
}

function DiffText({ text, outer }: { text: string; outer?: boolean }) {
  // `outer`: a diff of diffs, coloured by its own first column, the rest faint
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return (
    <pre className={`code diff${outer ? " diff-of-diffs" : ""}`}>
      {lines.map((line, i) => (
        <span key={i} className={outer && line.startsWith(" ") ? "ctx" : lineClass(line)}>
          {line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}

export function CodeDiffs({ runs, colors }: { runs: Run[]; colors: (id: string) => string }) {
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<"unified" | "side">("unified");
  const res = useCodeDiffs(runs, open);
  const two = runs.length === 2;
  return (
    <section className="code-diffs" data-view="code-diffs" data-loaded={res.data ? "1" : "0"}>
      <div className="row">
        <h2>Uncommitted code</h2>
        {!open ? (
          <button onClick={() => setOpen(true)}>Show recorded diffs</button>
        ) : (
          two && (
            <div className="segmented" role="group" aria-label="Diff layout">
              <button
                className={mode === "unified" ? "on" : ""}
                aria-pressed={mode === "unified"}
                onClick={() => setMode("unified")}
              >
                Diff of the diffs
              </button>
              <button
                className={mode === "side" ? "on" : ""}
                aria-pressed={mode === "side"}
                onClick={() => setMode("side")}
              >
                Side by side
              </button>
            </div>
          )
        )}
        <span className="muted small">the changes each run made on top of its commit (git diff), loaded on demand</span>
      </div>
      {!open ? null : res.error ? (
        <ErrorBox error={res.error} retry={res.retry} />
      ) : !res.data ? (
        <Loading what="diffs" />
      ) : two && mode === "unified" ? (
        <DiffOfDiffs runs={runs} diffs={res.data} />
      ) : (
        <div className="diff-columns">
          {runs.map((r, i) => {
            const d = res.data![i];
            return (
              <div key={r.id} className="diff-column" data-run-id={r.id}>
                <h3>
                  <Swatch color={colors(r.id)} /> {r.name}
                </h3>
                {"text" in d ? <DiffText text={d.text} /> : <div className="muted pad">{d.none}</div>}
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}

function DiffOfDiffs({ runs, diffs }: { runs: Run[]; diffs: Recorded[] }) {
  const [a, b] = diffs;
  const text = (d: Recorded) => ("text" in d ? d.text : "");
  if (text(a) === text(b)) {
    const why = "none" in a ? a.none : "";
    return (
      <div className="muted pad" data-testid="diffs-same">
        Both runs ran the same uncommitted changes{why ? ` (${why})` : ""}.
      </div>
    );
  }
  const unified = unifiedDiff(`${runs[0].name}/${DIFF_FILE}`, `${runs[1].name}/${DIFF_FILE}`, text(a), text(b));
  if (unified === null)
    return <div className="muted pad">The two diffs differ too much to diff; switch to side by side.</div>;
  return (
    <div data-testid="diff-of-diffs">
      <p className="muted small">
        Lines of {runs[0].name}'s diff only are marked −, of {runs[1].name}'s only +.
      </p>
      <DiffText text={unified} outer />
    </div>
  );
}
