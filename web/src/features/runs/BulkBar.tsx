// Actions on the selected runs: compare, tag, untag, delete. One request each
// (POST /projects/{p}/runs/bulk), by ids or, with "all matching" selected, by the
// filter less the exclusions; the server resolves the runs and caps how many.
import { useIsFetching, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError, type BulkRequest, type BulkResult } from "../../lib/api";
import { useAccess } from "../auth/queries";
import { runIdsQuery, runsKeys, useBulkRuns } from "./queries";
import { MAX_COMPARE, bulkTarget, compareRefusal, isEmpty, type Selection } from "./selection";

interface Props {
  project: string;
  selection: Selection;
  count: number | null; // runs the selection holds (null: not counted yet)
  total: number | null; // runs matching the filter
  filter: string; // the effective filter ("" for every run)
  offerAll: boolean; // every loaded row is selected and more runs match
  onSelectAll: () => void;
  onClear: () => void;
}

/** The delete confirmation: what the server's dry run found. */
interface Confirm {
  matched: number;
  running: number;
  note?: string; // why we ask again (a run started meanwhile)
  target: string; // the runs it counted (another selection needs another count)
}

const runs = (n: number) => `${n.toLocaleString("en-US")} run${n === 1 ? "" : "s"}`;

function failures(r: BulkResult): string {
  if (r.failed.length === 0) return "";
  const first = r.failed[0];
  const more = r.failed.length > 1 ? ` (and ${r.failed.length - 1} more)` : "";
  return ` ${runs(r.failed.length)} could not be changed: ${first.detail}${more}.`;
}

export function BulkBar(props: Props) {
  const { project, selection, count, total, filter, offerAll, onSelectAll, onClear } = props;
  const navigate = useNavigate();
  const qc = useQueryClient();
  const bulk = useBulkRuns(project); // a real action refreshes the table
  const { canWrite, readOnly } = useAccess(project); // viewers: compare only
  const counting = useIsFetching({ queryKey: [...runsKeys.project(project), "ids"] }) > 0;
  const busy = bulk.isPending || counting;
  const [tag, setTag] = useState("");
  const [counted, setConfirm] = useState<Confirm | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const target = bulkTarget(selection, filter);
  const call = (body: Omit<BulkRequest, "ids" | "filter" | "exclude">) =>
    bulk.mutateAsync({ ...target, ...body } as BulkRequest);
  // a confirmation counted for another selection would name the wrong runs
  const targetKey = JSON.stringify(target);
  if (counted !== null && counted.target !== targetKey) setConfirm(null); // count again when asked again
  const confirm = counted;
  const shownCount = count === null ? "…" : count.toLocaleString("en-US");
  const refusal = compareRefusal(count);

  const run = async (fn: () => Promise<void>) => {
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    }
  };

  const tagAll = (add: boolean) => {
    const t = tag.trim();
    if (!t) return setMessage({ text: "Type a tag first.", error: true });
    void run(async () => {
      const r = await call({ action: add ? "add_tags" : "remove_tags", tags: [t] });
      setMessage({
        text: `${add ? "Tagged" : "Untagged"} ${runs(r.done)} “${t}”.${failures(r)}`,
        error: r.failed.length > 0,
      });
    });
  };

  // Ask the server first how many runs a delete takes and how many still run, so the
  // confirmation names both (and offers force instead of failing with a 409).
  const askDelete = () =>
    void run(async () => {
      const r = await call({ action: "delete", dry_run: true });
      setConfirm({ matched: r.matched, running: r.running, target: targetKey });
    });

  const doDelete = (c: Confirm) =>
    void run(async () => {
      try {
        const r = await call({ action: "delete", force: c.running > 0 });
        setConfirm(null);
        onClear();
        setMessage({ text: `Deleted ${runs(r.done)}.${failures(r)}`, error: r.failed.length > 0 });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
        // a run started meanwhile: count again and ask for force
        const again = await call({ action: "delete", dry_run: true });
        setConfirm({ matched: again.matched, running: Math.max(1, again.running), note: e.message, target: targetKey });
      }
    });

  const compareAll = () =>
    void run(async () => {
      if (!selection.all) return;
      // the filter's first runs, less the exclusions: at most MAX_COMPARE of them
      const first = await qc.fetchQuery(runIdsQuery(project, filter, MAX_COMPARE + selection.excluded.length + 1));
      const ids = first.filter((id) => !selection.excluded.includes(id));
      const why = compareRefusal(ids.length);
      if (why) return setMessage({ text: why, error: true });
      navigate(`/p/${encodeURIComponent(project)}/compare?${new URLSearchParams(ids.map((id) => ["runs", id]))}`);
    });

  const compareIds = selection.all ? [] : selection.ids;
  if (isEmpty(selection)) {
    // The bar keeps its place when nothing is selected, so ticking the first run does
    // not push the table (and the next click) down. It says what the last action did.
    if (!message && total === 0) return null; // no rows to tick
    return (
      <div className="bulk-bar idle" data-selected="0" data-all="0">
        {message ? (
          <span className={message.error ? "error-text" : "muted"} role="status">
            {message.text}
          </span>
        ) : (
          <span className="muted">Tick runs (or press x on one) to compare, tag or delete them.</span>
        )}
      </div>
    );
  }
  return (
    <div
      className="bulk-bar"
      role="toolbar"
      aria-label="Selected runs"
      data-selected={count ?? ""}
      data-all={selection.all ? "1" : "0"}
    >
      <strong data-testid="selected-count">
        {shownCount} selected{selection.all ? (filter ? " (all matching the filter)" : " (all runs)") : ""}
      </strong>
      {refusal ? (
        <button
          className="primary"
          aria-disabled="true"
          title={refusal}
          onClick={() => setMessage({ text: refusal, error: true })}
        >
          Compare
        </button>
      ) : selection.all ? (
        <button className="primary" disabled={busy} onClick={compareAll} title="Compare the selected runs side by side">
          Compare
        </button>
      ) : (
        <Link
          className="button primary"
          to={`/p/${encodeURIComponent(project)}/compare?${new URLSearchParams(compareIds.map((id) => ["runs", id]))}`}
          title="Compare the selected runs side by side"
        >
          Compare
        </Link>
      )}
      <input
        className="tag-input"
        placeholder="tag"
        aria-label="Tag for the selected runs"
        value={tag}
        disabled={!canWrite}
        title={readOnly || undefined}
        onChange={(e) => setTag(e.target.value)}
      />
      <button disabled={busy || !canWrite} title={readOnly || undefined} onClick={() => tagAll(true)}>
        Add tag
      </button>
      <button disabled={busy || !canWrite} title={readOnly || undefined} onClick={() => tagAll(false)}>
        Remove tag
      </button>
      {!canWrite ? (
        <span className="badge read-only" title={readOnly} data-testid="bulk-read-only">
          read-only
        </span>
      ) : confirm ? (
        <span className="confirm" role="group" aria-label="Confirm delete" data-running={confirm.running}>
          <span className="warn-text">
            Delete {runs(confirm.matched)} and their data?
            {confirm.running > 0 &&
              ` ${confirm.running.toLocaleString("en-US")} ${confirm.running === 1 ? "is" : "are"} still running: ` +
                "what they logged so far is lost, and their scripts keep going."}
          </span>
          {confirm.note && <span className="muted small">{confirm.note}</span>}
          <button className="danger" disabled={busy} onClick={() => doDelete(confirm)}>
            {confirm.running > 0 ? `Force delete ${runs(confirm.matched)}` : `Yes, delete ${runs(confirm.matched)}`}
          </button>
          <button className="ghost" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </span>
      ) : (
        <button className="danger-outline" disabled={busy} onClick={askDelete}>
          Delete…
        </button>
      )}
      <button className="ghost" onClick={onClear}>
        Clear selection
      </button>
      {message && (
        <span className={message.error ? "error-text" : "muted"} role="status">
          {message.text}
        </span>
      )}
      {offerAll && total !== null && (
        <div className="bulk-all" data-testid="select-all-matching">
          All {runs(count ?? 0)} loaded so far {count === 1 ? "is" : "are"} selected.{" "}
          <button className="link" onClick={onSelectAll}>
            Select all {runs(total)} {filter ? "matching this filter" : "in this project"}
          </button>
        </div>
      )}
      {selection.all && (
        <div className="bulk-all" data-testid="all-matching">
          {filter ? "Every run matching this filter" : "Every run of the project"} is selected
          {selection.excluded.length > 0 ? `, less ${runs(selection.excluded.length)} you unticked` : ""}; actions apply
          to what matches when they run.
        </div>
      )}
    </div>
  );
}
