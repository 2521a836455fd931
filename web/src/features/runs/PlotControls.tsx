// Key pickers shared by the parallel-coordinates and scatter plots.
import type { ProjectKeys } from "../../lib/api";

/**
 * Columns a plot can use: config paths, and metrics (summary-only keys, set with
 * `run.summary[k] = v` and never logged, included: `metrics.<key>` reads them too).
 */
export function columnChoices(keys: ProjectKeys, kinds: ("config" | "metrics")[]): string[] {
  const out: string[] = [];
  if (kinds.includes("config")) out.push(...keys.config.map((k) => `config.${k}`));
  if (kinds.includes("metrics")) {
    const metrics = new Set(keys.metrics.filter((k) => !k.startsWith("system/")));
    const summaryOnly = (keys.summary ?? []).filter((k) => !metrics.has(k) && !k.startsWith("system/"));
    out.push(...[...metrics, ...summaryOnly].sort().map((k) => `metrics.${k}`));
  }
  return out;
}

interface SelectProps {
  label: string;
  value: string;
  choices: string[];
  onChange: (v: string) => void;
  placeholder?: string;
}

export function KeySelect({ label, value, choices, onChange, placeholder }: SelectProps) {
  return (
    <label className="key-select">
      {label}{" "}
      <select value={value} aria-label={label} onChange={(e) => onChange(e.target.value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}
