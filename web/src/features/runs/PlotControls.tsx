// Key pickers shared by the parallel-coordinates and scatter plots.
import { useState } from "react";
import type { ProjectKeys } from "../../lib/api";
import { keyMatcher } from "./autocomplete";
import { columnLabel } from "../../lib/format";
import { isBookkeeping, orderKeys } from "./keyOrder";

/**
 * Columns a plot can use: config paths, and metrics in the order a user looks for them
 * (val/ and train/ first, bookkeeping such as `lr` and `epoch` later). Summary-only keys
 * (set with `run.summary[k] = v`, never logged) are `summary.<key>`: the server has no
 * `metrics.<key>` value for them.
 */
export function columnChoices(keys: ProjectKeys, kinds: ("config" | "metrics")[]): string[] {
  const out: string[] = [];
  if (kinds.includes("config")) out.push(...keys.config.map((k) => `config.${k}`));
  if (kinds.includes("metrics")) {
    const metrics = new Set(keys.metrics.filter((k) => !k.startsWith("system/")));
    const summaryOnly = (keys.summary ?? []).filter((k) => !metrics.has(k) && !k.startsWith("system/"));
    out.push(...orderKeys([...metrics]).map((k) => `metrics.${k}`));
    out.push(...orderKeys(summaryOnly).map((k) => `summary.${k}`));
  }
  return out;
}

/** The key a plot's metric axis starts on: the first result metric (not lr or epoch). */
export function defaultMetric(choices: string[]): string {
  return choices.find((c) => !isBookkeeping(columnLabel(c))) ?? choices[0] ?? "";
}

/** Why a plot over `keys` draws nothing for these runs, or null when something shows. */
export function nothingToShow(rows: { cells: Record<string, unknown> }[], keys: string[]): string | null {
  if (rows.length === 0) return "No runs match the filter.";
  const empty = keys.filter((k) => rows.every((r) => r.cells[k] === null || r.cells[k] === undefined));
  if (empty.length === 0) return null;
  return `No run has a value for ${empty.join(", ")}: pick another key above.`;
}

interface SelectProps {
  label: string;
  value: string;
  choices: string[];
  onChange: (v: string) => void;
  placeholder?: string;
}

const SEARCH_FROM = 8; // choices from which a picker gets a search box

/** A key picker; with many keys, a search box (a substring, or /regex/) narrows its list. */
export function KeySelect({ label, value, choices, onChange, placeholder }: SelectProps) {
  const [q, setQ] = useState("");
  const match = keyMatcher(q);
  const shown = q ? choices.filter((c) => c === value || match.test(c)) : choices;
  return (
    <label className="key-select">
      {label}{" "}
      {choices.length >= SEARCH_FROM && (
        <input
          type="search"
          className="key-search"
          placeholder="search, /regex/"
          aria-label={`Search keys for ${label}`}
          aria-invalid={!!match.error}
          title={match.error ?? "Narrow the list: a substring, or /regex/"}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      )}
      <select value={value} aria-label={label} onChange={(e) => onChange(e.target.value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {shown.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}
