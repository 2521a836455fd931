// The run page's reproducibility card: the score heron.init recorded (what a rebuild
// would lack) and, for a reproduction, the run it reproduces.
import { Link } from "react-router";
import type { Run } from "../../lib/api";
import { getPath } from "../../lib/get";
import "./lineage.css";

interface Missing {
  check: string;
  message: string;
}

/** The recorded assessment, if the run has one (heron.init with capture). */
export function reproducibility(run: Run): { score: number; missing: Missing[] } | null {
  const found = getPath(run.system ?? {}, "reproducibility") as Record<string, unknown> | null | undefined;
  if (!found || typeof found.score !== "number") return null;
  const missing = Array.isArray(found.missing)
    ? (found.missing as Missing[]).filter((m) => typeof m?.message === "string")
    : [];
  return { score: found.score, missing };
}

export function ReproducibilityCard({ run }: { run: Run }) {
  const found = reproducibility(run);
  const of = getPath(run.system ?? {}, "reproduction") as Record<string, unknown> | null | undefined;
  if (!found && !of) return null;
  const level = !found ? "" : found.score >= 80 ? "ok" : found.score >= 50 ? "warn" : "bad";
  return (
    <section className="card reproducibility" data-testid="reproducibility" data-score={found?.score ?? ""}>
      <h3>Reproducibility</h3>
      <dl>
        {found && (
          <>
            <dt>Score</dt>
            <dd>
              <span className={`score score-${level}`}>{found.score}</span>
              <span className="muted"> / 100</span>
            </dd>
          </>
        )}
        {of && typeof of.of === "string" && (
          <>
            <dt>Reproduction of</dt>
            <dd>
              <Link to={`/p/${encodeURIComponent(String(of.of_project ?? run.project))}/runs/${of.of}`}>
                {typeof of.of_name === "string" ? of.of_name : of.of}
              </Link>
            </dd>
          </>
        )}
      </dl>
      {found && found.missing.length > 0 && (
        <ul className="missing small">
          {found.missing.map((m) => (
            <li key={m.check} data-check={m.check}>
              {m.message}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        Rebuild it: <code>heron reproduce {run.id} --dir DIR --run</code>
      </p>
    </section>
  );
}
