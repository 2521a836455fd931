// One report: read it (its blocks live), edit it (Markdown beside a live preview), copy
// its link, export it as a static HTML file, print it (to PDF: the print stylesheet
// leaves only the report), delete it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { Markdown } from "../../components/Markdown";
import { ErrorBox, Loading } from "../../components/States";
import { fmtDate } from "../../lib/format";
import { useAccess } from "../auth/queries";
import { utf8Bytes } from "../comments/api";
import { reportKeys, reportsApi, type Report } from "./api";
import { reportBlocks } from "./ReportBlocks";
import { download, exportFileName, standaloneHtml } from "./exportHtml";
import "./reports.css";

export const MAX_REPORT_BYTES = 512 * 1024; // heron.service.reports

export default function ReportPage() {
  const { project, reportId } = useParams() as { project: string; reportId: string };
  const id = Number(reportId);
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const report = useQuery({
    queryKey: reportKeys.one(project, id),
    queryFn: ({ signal }) => reportsApi.get(project, id, signal),
  });
  const editing = params.get("edit") === "1";
  const setEditing = (on: boolean) =>
    setParams(
      (p) => {
        if (on) p.set("edit", "1");
        else p.delete("edit");
        return p;
      },
      { replace: true },
    );
  if (report.error && !report.data) return <ErrorBox error={report.error} retry={() => void report.refetch()} />;
  if (!report.data) return <Loading what="report" />;
  const saved = (r: Report) => {
    qc.setQueryData(reportKeys.one(project, id), r);
    void qc.invalidateQueries({ queryKey: reportKeys.list(project) });
  };
  return editing ? (
    <Editor project={project} report={report.data} onSaved={saved} onClose={() => setEditing(false)} />
  ) : (
    <Viewer project={project} report={report.data} onEdit={() => setEditing(true)} />
  );
}

function Viewer({ project, report, onEdit }: { project: string; report: Report; onEdit: () => void }) {
  const { canWrite, readOnly } = useAccess(project);
  const article = useRef<HTMLDivElement>(null);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [copied, setCopied] = useState(false);
  const blocks = useMemo(() => reportBlocks(project), [project]);
  const remove = useMutation({
    mutationFn: () => reportsApi.remove(project, report.id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: reportKeys.list(project) });
      void navigate(`/p/${encodeURIComponent(project)}/reports`);
    },
  });
  const meta = `${project} · changed ${fmtDate(report.updated_at)} by ${report.updated_by}`;
  const exportIt = () =>
    download(
      exportFileName(report.title),
      standaloneHtml(
        report.title,
        `${meta} · exported ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
        article.current?.innerHTML ?? "",
        window.location.origin,
      ),
      "text/html;charset=utf-8",
    );
  return (
    <section className="page report-page" data-view="report" data-report-id={report.id}>
      <div className="page-head no-print">
        <Link to={`/p/${encodeURIComponent(project)}/reports`} className="muted">
          ← Reports
        </Link>
        <span className="spacer" />
        <button
          onClick={() => {
            void navigator.clipboard?.writeText(window.location.href).then(() => setCopied(true));
          }}
          title="Anyone who may read this project opens it with the link"
        >
          {copied ? "Link copied" : "Copy link"}
        </button>
        <button onClick={exportIt} data-testid="export-html" title="A static HTML file, charts included">
          Export HTML
        </button>
        <button onClick={() => window.print()} title="Print, or save as PDF from the print dialog">
          Print / PDF
        </button>
        <button onClick={onEdit} disabled={!canWrite} title={readOnly || "Edit the Markdown"}>
          Edit
        </button>
        <button
          className="danger"
          disabled={!canWrite || remove.isPending}
          title={readOnly || "Delete this report"}
          onClick={() => {
            if (window.confirm(`Delete the report "${report.title}"?`)) remove.mutate();
          }}
        >
          Delete
        </button>
      </div>
      {remove.error && <div className="error-text">{remove.error.message}</div>}
      <h1 className="report-title">{report.title}</h1>
      <div className="report-meta muted small">{meta}</div>
      <div ref={article} className="report-article">
        <Markdown source={report.body} blocks={blocks} />
      </div>
    </section>
  );
}

function Editor(props: { project: string; report: Report; onSaved: (r: Report) => void; onClose: () => void }) {
  const { project, report, onSaved, onClose } = props;
  const [title, setTitle] = useState(report.title);
  const [body, setBody] = useState(report.body);
  const blocks = useMemo(() => reportBlocks(project), [project]);
  const save = useMutation({
    mutationFn: () => reportsApi.update(project, report.id, { title, body }),
    onSuccess: (r) => {
      onSaved(r);
      onClose();
    },
  });
  const size = utf8Bytes(body);
  const tooBig = size > MAX_REPORT_BYTES;
  return (
    <section className="page report-page editing" data-view="report-editor">
      <div className="page-head">
        <input
          className="report-title-input"
          aria-label="Report title"
          value={title}
          maxLength={256}
          onChange={(e) => setTitle(e.target.value)}
        />
        <span className="spacer" />
        <span className={`small ${tooBig ? "error-text" : "muted"}`}>{(size / 1024).toFixed(1)} of 512 KiB</span>
        <button className="ghost" onClick={onClose}>
          Cancel
        </button>
        <button className="primary" disabled={save.isPending || tooBig || !title.trim()} onClick={() => save.mutate()}>
          Save
        </button>
      </div>
      {save.error && (
        <div className="error-text" role="alert">
          {save.error.message}
        </div>
      )}
      <div className="report-edit">
        <textarea
          aria-label="Report (Markdown)"
          value={body}
          spellCheck={false}
          onChange={(e) => setBody(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "s" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              if (!tooBig && title.trim()) save.mutate();
            }
          }}
        />
        <div className="report-preview" aria-label="Preview">
          <Markdown source={body} blocks={blocks} />
        </div>
      </div>
      <p className="muted small">
        Markdown (no raw HTML). Live blocks: <code>```heron-chart</code> (keys, runs, sort, limit, x, log, title),{" "}
        <code>```heron-table</code> (columns, runs, sort, limit) and <code>```heron-runs</code> (runs, sort, limit);{" "}
        <code>runs:</code> is a filter (docs/query.md).
      </p>
    </section>
  );
}
