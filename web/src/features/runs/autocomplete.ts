// Autocomplete for the filter box (docs/query.md): what may come at the caret (a field,
// an operator, a value, `and`/`or`) and the candidates that match what is typed there.
// Fields come from the project's keys (GET /projects/{project}/keys): typing `val/acc`
// offers `metrics.val/acc`; a bare key already followed by an operator (`val/acc > 0.8`)
// is offered its full name too. Pure: the filter box (FilterBar) draws the list.
import { RUN_STATES, type ProjectKeys } from "../../lib/api";
import { fieldRef, quote } from "./filter";

export type SuggestionKind = "field" | "operator" | "value" | "keyword";

export interface Suggestion {
  label: string; // what the list shows
  insert: string; // what replaces text[from, to)
  from: number;
  to: number;
  kind: SuggestionKind;
  detail?: string;
}

// the run attributes (heron.query.fields.ATTRIBUTES) and tags
export const ATTRIBUTES = ["name", "state", "group", "id", "project", "notes", "created", "duration", "tags"];
const FUNCTIONS = ["min", "max", "last", "count"];
const RECORD = ["system.git.commit", "system.git.branch", "system.git.remote_url", "system.git.dirty", "system.python"];
const COMPARE = ["=", "!=", "<", "<=", ">", ">="];
const OPERATORS = [...COMPARE, "in", "not in", "like", "not like", "exists", "not exists"];
const TAG_OPERATORS = ["has", "in", "not in", "like", "not like", "exists", "not exists"];
const MAX_ITEMS = 10;

interface Token {
  kind: "word" | "string" | "op" | "(" | ")" | ",";
  text: string;
  start: number;
  end: number;
  closed?: boolean; // strings: the closing quote was typed
}

const DELIM = /[\s(),'"=<>!]/;

/** The tokens of `text` (a tolerant lexer: an unfinished string or backquote runs to the end). */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ kind: c, text: c, start: i, end: i + 1 });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      const closed = j < text.length;
      out.push({
        kind: "string",
        text: text.slice(i, Math.min(j + 1, text.length)),
        start: i,
        end: Math.min(j + 1, text.length),
        closed,
      });
      i = Math.min(j + 1, text.length);
    } else if ("=<>!".includes(c)) {
      const two = text.slice(i, i + 2);
      const op = ["!=", "<=", ">="].includes(two) ? two : c;
      out.push({ kind: "op", text: op, start: i, end: i + op.length });
      i += op.length;
    } else {
      let j = i;
      while (j < text.length && (text[j] === "`" || !DELIM.test(text[j]))) {
        if (text[j] === "`") {
          j++;
          while (j < text.length && text[j] !== "`") j += text[j] === "\\" ? 2 : 1;
          j = Math.min(j + 1, text.length);
        } else j++;
      }
      out.push({ kind: "word", text: text.slice(i, j), start: i, end: j });
      i = j;
    }
  }
  return out;
}

type Expect = "field" | "operator" | "value" | "list" | "listvalue" | "connective";

/** A field the language knows by its name: an attribute, tags, or a prefixed key. */
export function knownField(word: string): boolean {
  const w = word.toLowerCase();
  if (ATTRIBUTES.includes(w)) return true;
  return /^(config|metrics|summary|system|datasets)\./i.test(word);
}

/** Every field the project offers: attributes, then metrics, summary-only keys, config. */
export function fieldCandidates(keys: ProjectKeys | undefined): { column: string; key: string }[] {
  const out = ATTRIBUTES.map((a) => ({ column: a, key: a }));
  if (keys) {
    const metrics = new Set(keys.metrics);
    out.push(...keys.metrics.map((k) => ({ column: `metrics.${k}`, key: k })));
    out.push(...(keys.summary ?? []).filter((k) => !metrics.has(k)).map((k) => ({ column: `summary.${k}`, key: k })));
    out.push(...keys.config.map((k) => ({ column: `config.${k}`, key: k })));
  }
  out.push(...RECORD.map((r) => ({ column: r, key: r })));
  return out;
}

const unquoteKey = (s: string) => s.replace(/`/g, "");

/** Fields matching `typed`: a key's exact name first, then prefixes, then substrings. */
export function matchFields(typed: string, keys: ProjectKeys | undefined): { column: string; rank: number }[] {
  const q = unquoteKey(typed).toLowerCase();
  const found: { column: string; rank: number; i: number }[] = [];
  fieldCandidates(keys).forEach(({ column, key }, i) => {
    const c = column.toLowerCase();
    const k = key.toLowerCase();
    const rank = !q ? 3 : k === q || c === q ? 0 : c.startsWith(q) ? 1 : k.startsWith(q) ? 2 : c.includes(q) ? 3 : -1;
    if (rank >= 0) found.push({ column, rank, i });
  });
  return found.sort((a, b) => a.rank - b.rank || a.i - b.i);
}

/** What may come at `caret` in `text`, and the candidates for it. */
export function complete(text: string, caret: number, keys: ProjectKeys | undefined): Suggestion[] {
  const tokens = tokenize(text.slice(0, caret));
  let last = tokens[tokens.length - 1];
  // the token being typed: a word or an unfinished string that ends at the caret
  const typing = last && last.end === caret && (last.kind === "word" || (last.kind === "string" && !last.closed));
  const done = typing ? tokens.slice(0, -1) : tokens;
  if (!typing) last = undefined as unknown as Token;

  let expect: Expect = "field";
  let field = ""; // the field the operator and value belong to
  let fieldToken: Token | null = null;
  let pendingFn = false;
  let op = ""; // the operator before the value
  const parens: ("fn" | "group")[] = [];
  for (const t of done) {
    const w = t.kind === "word" ? t.text.toLowerCase() : "";
    if (expect === "field") {
      if (t.kind === "(") {
        parens.push(pendingFn ? "fn" : "group");
        pendingFn = false;
      } else if (w === "not") {
        // not <expr>
      } else if (t.kind === "word" && FUNCTIONS.includes(w)) {
        pendingFn = true;
      } else if (t.kind === "word") {
        field = t.text;
        fieldToken = t;
        expect = "operator";
      }
    } else if (expect === "operator") {
      if (t.kind === ")" && parens[parens.length - 1] === "fn") parens.pop();
      else if (t.kind === "op" || w === "like" || w === "has") {
        expect = "value";
        op = t.kind === "op" ? t.text : w;
      } else if (w === "in") expect = "list";
      else if (w === "exists") expect = "connective";
    } else if (expect === "value") {
      expect = "connective";
    } else if (expect === "list") {
      expect = t.kind === "(" ? "listvalue" : "connective";
    } else if (expect === "listvalue") {
      if (t.kind === ")") expect = "connective";
    } else if (expect === "connective") {
      if (w === "and" || w === "or") expect = "field";
      else if (t.kind === ")") parens.pop();
    }
  }

  const from = typing ? last.start : caret;
  const typed = typing ? last.text : "";
  const items: Suggestion[] = [];
  const add = (s: Omit<Suggestion, "from" | "to"> & Partial<Suggestion>) => {
    if (items.length < MAX_ITEMS && !items.some((x) => x.insert === s.insert && x.from === (s.from ?? from)))
      items.push({ from, to: caret, ...s });
  };
  const lower = typed.toLowerCase();

  // a bare key already used as a field (`val/acc > 0.8`): offer its full name
  if (expect !== "field" && expect !== "operator" && fieldToken && !knownField(field) && !FUNCTIONS.includes(field)) {
    for (const m of matchFields(field, keys).slice(0, 3))
      if (m.rank <= 2)
        add({
          label: m.column,
          insert: fieldRef(m.column),
          kind: "field",
          detail: `for ${field}`,
          from: fieldToken.start,
          to: fieldToken.end,
        });
  }
  if (expect === "field") {
    if (typing && last.kind === "string") return items;
    for (const m of matchFields(typed, keys)) {
      const insert = fieldRef(m.column);
      if (insert !== typed) add({ label: m.column, insert, kind: "field" });
    }
    if (!typed) for (const f of FUNCTIONS) add({ label: `${f}(metrics.…)`, insert: `${f}(metrics.`, kind: "keyword" });
  } else if (expect === "operator") {
    const ops = field.toLowerCase() === "tags" ? TAG_OPERATORS : OPERATORS;
    for (const op of ops) if (op.startsWith(lower) && op !== lower) add({ label: op, insert: op, kind: "operator" });
  } else if (expect === "value" || expect === "listvalue" || expect === "list") {
    const f = field.toLowerCase();
    const values = f === "state" ? RUN_STATES.map(quote) : f === "tags" ? (keys?.tags ?? []).map(quote) : [];
    if (expect === "list" && !typed) add({ label: "(", insert: "(", kind: "keyword" });
    const q = lower.replace(/^["']/, "");
    for (const v of values)
      if (v.slice(1).toLowerCase().startsWith(q) && v !== typed) add({ label: v, insert: v, kind: "value" });
    if (f.startsWith("config.") && !typed && (op === "=" || op === "!=" || expect !== "value"))
      for (const v of ["true", "false", "null"]) add({ label: v, insert: v, kind: "value" });
  } else if (expect === "connective") {
    for (const k of ["and", "or"])
      if (k.startsWith(lower) && k !== lower) add({ label: k, insert: k, kind: "keyword" });
  }
  return items;
}

/** `text` with `s` applied, and where the caret goes (after it, and a space for fields and operators). */
export function applySuggestion(text: string, s: Suggestion): { text: string; caret: number } {
  const rest = text.slice(s.to);
  const space =
    (s.kind === "field" || s.kind === "operator") && !s.insert.endsWith("(") && !/^\s/.test(rest) ? " " : "";
  const next = text.slice(0, s.from) + s.insert + space + rest;
  const caret = s.from + s.insert.length + space.length;
  return { text: next, caret };
}

// --- key search (the key pickers) ------------------------------------------------------

/**
 * A test for keys from what is typed in a key picker's search: `/pattern/` is a regular
 * expression (case-insensitive), anything else a case-insensitive substring. An invalid
 * pattern gives its error and matches nothing.
 */
export function keyMatcher(q: string): { test: (key: string) => boolean; error: string | null } {
  const m = /^\/(.+)\/([a-z]*)$/.exec(q.trim());
  if (m) {
    try {
      const re = new RegExp(m[1], m[2].includes("i") || m[2] === "" ? "i" : "");
      return { test: (k) => re.test(k), error: null };
    } catch (err) {
      return { test: () => false, error: (err as Error).message };
    }
  }
  const needle = q.trim().toLowerCase();
  return { test: (k) => k.toLowerCase().includes(needle), error: null };
}
