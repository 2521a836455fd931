// A project's reports: the list (the last changed first) and "New report".
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtDate } from "../../lib/format";
import { useAccess } from "../auth/queries";
import { STARTER, reportKeys, reportsApi } from "./api";
import "./reports.css";

export default function ReportsPage() {
  const project = useParams().project!;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { canWrite, readOnly } = useAccess(project);
  const list = useQuery({
    queryKey: reportKeys.list(project),
    queryFn: ({ signal }) => reportsApi.list(project, signal),
  });
  const create = useMutation({
    mutationFn: () => reportsApi.create(project, { title: "Untitled report", body: STARTER }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: reportKeys.list(project) });
      void navigate(`/p/${encodeURIComponent(project)}/reports/${r.id}?edit=1`);
    },
  });
  return (
    <section className="page reports-page" data-view="reports">
      <div className="page-head">
        <h1>Reports</h1>
        <span className="spacer" />
        <button
          className="primary"
          disabled={!canWrite || create.isPending}
          title={readOnly || "A Markdown document with live charts, tables and run sets"}
          onClick={() => create.mutate()}
        >
          New report
        </button>
      </div>
      {create.error && <div className="error-text">{create.error.message}</div>}
      {list.error ? (
        <ErrorBox error={list.error} retry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading what="reports" />
      ) : list.data.length === 0 ? (
        <Empty title="No reports yet">
          A report is Markdown with live charts, tables and run sets of this project, shared by its link.
        </Empty>
      ) : (
        <table className="grid reports-list">
          <thead>
            <tr>
              <th>Title</th>
              <th>Changed</th>
              <th>By</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id} data-report-id={r.id}>
                <td>
                  <Link to={`/p/${encodeURIComponent(project)}/reports/${r.id}`}>{r.title}</Link>
                </td>
                <td>{fmtDate(r.updated_at)}</td>
                <td>{r.updated_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
