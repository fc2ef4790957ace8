/** Figures with their targets, section results, and the Markdown summary. */
import { round } from "./stats.ts";

export interface Target {
  /** `below`: value < target; `at most`: value ≤ target; `at least`: value ≥ target. */
  comparison: "below" | "at most" | "at least";
  value: number;
}

export interface Figure {
  id: string;
  label: string;
  value: number | null;
  unit: string;
  target?: Target;
  /** value / target.value: below 1 is under the target (good for `below`/`at most`). */
  ratio?: number;
  met?: boolean;
  note?: string;
}

export interface SectionResult {
  id: string;
  title: string;
  figures: Figure[];
  /** Everything measured, for comparisons between runs. */
  details: Record<string, unknown>;
  notes: string[];
  /** Markdown lines printed after the figures (e.g. a side-by-side table). */
  tables?: string[];
  seconds: number;
  error?: string;
}

export function figure(
  id: string,
  label: string,
  value: number | null,
  unit: string,
  target?: Target,
  note?: string,
): Figure {
  const result: Figure = {
    id,
    label,
    value: value === null || !Number.isFinite(value) ? null : round(value),
    unit,
  };
  if (target) {
    result.target = { comparison: target.comparison, value: round(target.value) };
    if (value !== null && Number.isFinite(value)) {
      result.ratio = target.value === 0 ? Number.NaN : round(value / target.value);
      result.met =
        target.comparison === "below"
          ? value < target.value
          : target.comparison === "at most"
            ? value <= target.value
            : value >= target.value;
    } else {
      result.met = false;
    }
  }
  if (note) result.note = note;
  return result;
}

const SYMBOL = { below: "<", "at most": "≤", "at least": "≥" } as const;

function cell(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return `${value}${unit ? ` ${unit}` : ""}`;
}

export function renderMarkdown(run: {
  machine: Record<string, unknown>;
  quick: boolean;
  sections: SectionResult[];
}): string {
  const { machine } = run;
  const lines = [
    `# Tidal benchmarks${run.quick ? " (quick run)" : ""}`,
    "",
    `${String(machine.date)} · ${String(machine.cores)} cores (${String(machine.cpuModel)}) · ` +
      `${Math.round(Number(machine.memoryBytes) / 2 ** 30)} GiB · Node ${String(machine.node)} · ` +
      `load average at start ${String(machine.loadAverageAtStart)} · commit ${String(machine.commit)}`,
    "",
    "Ratio is value ÷ target; for latency and resource targets below 1 is better.",
  ];
  for (const section of run.sections) {
    lines.push("", `## ${section.title}`, "");
    if (section.error) lines.push(`**Failed:** ${section.error}`, "");
    if (section.figures.length > 0) {
      lines.push("| Figure | Value | Target | Ratio | Met |", "|---|---:|---:|---:|:---:|");
      for (const item of section.figures) {
        const target = item.target
          ? `${SYMBOL[item.target.comparison]} ${item.target.value} ${item.unit}`
          : "";
        const met = item.met === undefined ? "" : item.met ? "yes" : "**no**";
        lines.push(
          `| ${item.label} | ${cell(item.value, item.unit)} | ${target} | ${cell(item.ratio)} | ${met} |`,
        );
      }
    }
    if (section.tables && section.tables.length > 0) lines.push("", ...section.tables);
    if (section.notes.length > 0) lines.push("", ...section.notes.map((note) => `- ${note}`));
    lines.push("", `_${Math.round(section.seconds)} s_`);
  }
  return `${lines.join("\n")}\n`;
}
