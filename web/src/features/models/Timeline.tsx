// The model's history, newest first: who moved what, from where to where, when and why.
import { Empty } from "../../components/States";
import { fmtAgo, fmtDate } from "../../lib/format";
import type { HistoryEntry } from "../../lib/api";
import { buildTimeline } from "./registryLogic";

export function Timeline({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0)
    return <Empty title="No transitions yet">Promote a version or set an alias: every change is recorded here.</Empty>;
  return (
    <ol className="timeline" data-view="history" data-count={history.length}>
      {buildTimeline(history).map((t) => (
        <li
          key={t.id}
          className={`timeline-item kind-${t.kind}${t.rollbackOf !== null ? " rollback" : ""}`}
          data-history-id={t.id}
          data-kind={t.kind}
          data-rollback={t.rollbackOf !== null ? "1" : undefined}
        >
          <span className="timeline-dot" aria-hidden="true" />
          <div className="timeline-main">
            <span className="strong subject">{t.subject}</span>{" "}
            <span className="move">
              {t.from} <span aria-label="to">→</span> <strong>{t.to}</strong>
            </span>
            {t.rollbackOf !== null && (
              <span className="badge rollback-badge" title={`undoes history entry #${t.rollbackOf}`}>
                rollback
              </span>
            )}
            {t.auto && <span className="badge auto-badge">auto-archived</span>}
          </div>
          <div className="timeline-meta muted small">
            <span className="actor">{t.actor}</span> · <time title={fmtDate(t.time)}>{fmtAgo(t.time)}</time> · #{t.id}
          </div>
          {t.reason && <div className="timeline-reason">“{t.reason}”</div>}
        </li>
      ))}
    </ol>
  );
}
