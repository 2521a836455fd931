// The rules editor's form: which fields each kind takes, and the request built from it.
import type { NewAlertRule, RuleKind } from "./api";

export type RuleForm = {
  name: string;
  kind: RuleKind;
  key: string;
  factor: string;
  op: ">" | ">=" | "<" | "<=";
  threshold: string;
  minutes: string;
  states: string;
  group: string;
  minLevel: "info" | "warn" | "error";
  webhooks: string;
  emails: string;
};

export const RULE_KINDS: { kind: RuleKind; label: string }[] = [
  { kind: "nan", label: "NaN or infinity in a metric" },
  { kind: "divergence", label: "Metric above k× its running minimum" },
  { kind: "threshold", label: "Metric crosses a threshold" },
  { kind: "stale", label: "No new point for N minutes" },
  { kind: "state", label: "Run failed or crashed" },
  { kind: "group_done", label: "Every run of a group (sweep) ended" },
  { kind: "alert", label: "run.alert() from code" },
];

export const emptyForm = (): RuleForm => ({
  name: "",
  kind: "nan",
  key: "",
  factor: "2",
  op: ">",
  threshold: "",
  minutes: "30",
  states: "failed, crashed",
  group: "",
  minLevel: "info",
  webhooks: "",
  emails: "",
});

/** Which optional fields the form shows for a kind. */
export function fieldsOf(kind: RuleKind): Set<string> {
  switch (kind) {
    case "nan":
      return new Set(["key"]);
    case "divergence":
      return new Set(["key", "factor"]);
    case "threshold":
      return new Set(["key", "op", "threshold"]);
    case "stale":
      return new Set(["minutes"]);
    case "state":
      return new Set(["states"]);
    case "group_done":
      return new Set(["group"]);
    case "alert":
      return new Set(["minLevel"]);
  }
}

const list = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The request for a form, or the first thing wrong with it (the server checks the rest). */
export function toRequest(form: RuleForm): NewAlertRule | string {
  const name = form.name.trim();
  if (!name) return "Give the rule a name.";
  const shown = fieldsOf(form.kind);
  const rule: NewAlertRule = { name, kind: form.kind, webhooks: list(form.webhooks), emails: list(form.emails) };
  const number = (text: string, what: string): number | string => {
    const value = Number(text);
    return text.trim() !== "" && Number.isFinite(value) ? value : `${what} must be a number.`;
  };
  if (shown.has("key") && form.key.trim()) rule.key = form.key.trim();
  if (shown.has("factor")) {
    const factor = number(form.factor, "The factor");
    if (typeof factor === "string") return factor;
    rule.factor = factor;
  }
  if (shown.has("threshold")) {
    const threshold = number(form.threshold, "The threshold");
    if (typeof threshold === "string") return threshold;
    rule.op = form.op;
    rule.threshold = threshold;
  }
  if (shown.has("minutes")) {
    const minutes = number(form.minutes, "Minutes");
    if (typeof minutes === "string") return minutes;
    rule.minutes = minutes;
  }
  if (shown.has("states")) rule.states = list(form.states);
  if (shown.has("group") && form.group.trim()) rule.group = form.group.trim();
  if (shown.has("minLevel")) rule.min_level = form.minLevel;
  return rule;
}

/** The bell's label: "3 unread alerts", capped at 99+ on the badge. */
export const badgeText = (n: number): string => (n > 99 ? "99+" : String(n));
