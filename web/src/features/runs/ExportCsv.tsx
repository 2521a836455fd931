// "Export CSV": every run the table's filter selects, in its sort, with its columns in
// their order (csv.ts), fetched in one request and saved as a file.
import { useState } from "react";
import { runsApi } from "./api";
import { csvFileName, toCsv } from "./csv";
import { toRows } from "./rows";

interface Props {
  project: string;
  filter: string;
  sort: string[];
  columns: string[]; // every column shown, in order ("name", "state", "config.lr", ...)
  dataColumns: string[]; // the config / metric / summary ones among them
}

export function ExportCsv({ project, filter, sort, columns, dataColumns }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const t = await runsApi.table({ project, filter, order_by: sort, columns: dataColumns });
      const blob = new Blob([toCsv(columns, toRows(t, 0))], { type: "text/csv;charset=utf-8" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = csvFileName(project);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button onClick={() => void run()} disabled={busy} data-testid="export-csv" title="The table as shown, as CSV">
        {busy ? "Exporting…" : "Export CSV"}
      </button>
      {error && (
        <span className="error-text small" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
