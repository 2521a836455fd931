// Line diffs (Myers' O(ND) algorithm) and unified hunks: for comparing two runs'
// recorded code diffs ("what changed between the changes").

export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
}

export interface Hunk {
  aStart: number; // 1-based first line in a (0 when the hunk has no line of a)
  aLen: number;
  bStart: number;
  bLen: number;
  lines: DiffLine[];
}

/**
 * The shortest edit script turning `a` into `b`, as kept, removed and added lines, or
 * null when more than `maxEdits` lines differ (the work and memory grow with the
 * square of the edits; past that, the two are better read side by side).
 */
export function diffLines(a: string[], b: string[], maxEdits = 2000): DiffLine[] | null {
  // common head and tail cost nothing: strip them before the search
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ma = a.slice(head, a.length - tail);
  const mb = b.slice(head, b.length - tail);
  const middle = myers(ma, mb, maxEdits);
  if (middle === null) return null;
  const keep = (lines: string[]): DiffLine[] => lines.map((text) => ({ op: " ", text }));
  return [...keep(a.slice(0, head)), ...middle, ...keep(a.slice(a.length - tail))];
}

function myers(a: string[], b: string[], maxEdits: number): DiffLine[] | null {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = []; // v[-d..d] before step d
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxEdits); d++) {
    trace.push(v.slice(off - d, off + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const at = (k: number) => prev[k + d];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) out.push({ op: " ", text: a[--x] }), y--;
    if (prevK === k + 1) out.push({ op: "+", text: b[--y] });
    else out.push({ op: "-", text: a[--x] });
  }
  while (x > 0 && y > 0) out.push({ op: " ", text: a[--x] }), y--;
  return out.reverse();
}

/** The changes of a diff with `context` unchanged lines around each (merged when close). */
export function hunks(lines: DiffLine[], context = 3): Hunk[] {
  const out: Hunk[] = [];
  const changed = lines.map((l, i) => (l.op === " " ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return out;
  // line numbers in a and b before each line
  const aNo: number[] = [];
  const bNo: number[] = [];
  let an = 0;
  let bn = 0;
  for (const l of lines) {
    aNo.push(an);
    bNo.push(bn);
    if (l.op !== "+") an++;
    if (l.op !== "-") bn++;
  }
  let start = Math.max(0, changed[0] - context);
  let end = Math.min(lines.length, changed[0] + context + 1);
  const flush = () => {
    const body = lines.slice(start, end);
    const aLen = body.filter((l) => l.op !== "+").length;
    const bLen = body.filter((l) => l.op !== "-").length;
    out.push({
      aStart: aLen ? aNo[start] + 1 : aNo[start],
      aLen,
      bStart: bLen ? bNo[start] + 1 : bNo[start],
      bLen,
      lines: body,
    });
  };
  for (const i of changed.slice(1)) {
    if (i - context <= end) end = Math.min(lines.length, i + context + 1);
    else {
      flush();
      start = Math.max(0, i - context);
      end = Math.min(lines.length, i + context + 1);
    }
  }
  flush();
  return out;
}

/** A unified diff's text (`--- a`, `+++ b`, `@@ ... @@` and the lines). */
export function unifiedText(aName: string, bName: string, hs: Hunk[]): string {
  const out = [`--- ${aName}`, `+++ ${bName}`];
  for (const h of hs) {
    out.push(`@@ -${h.aStart},${h.aLen} +${h.bStart},${h.bLen} @@`);
    for (const l of h.lines) out.push(l.op + l.text);
  }
  return out.join("\n");
}
