// The eval matrix as pure data: what each cell shows (text, colour, delta, flaky) and which
// rows an opened cell lists. No DOM here, so Vitest tests it directly.

/** @typedef {{scenario: string, variant: string, passed: number, attempts: number,
 *   pass_rate: number|null, latency_p50_ms: number|null, latency_p90_ms: number|null,
 *   flaky: boolean, delta?: number|null}} Cell */

/** Red (0) through yellow to green (1); grey while a cell has no attempt. */
export function rateColour(rate) {
  if (rate === null || rate === undefined) return "#eeeeee";
  return `hsl(${Math.round(120 * rate)}, 65%, 82%)`;
}

/** "+33%" / "-50%" / "±0%". */
export function formatDelta(delta) {
  if (delta === null || delta === undefined) return "";
  const pct = Math.round(delta * 100);
  if (pct === 0) return "±0%";
  return `${pct > 0 ? "+" : ""}${pct}%`;
}

/**
 * What one cell shows.
 * @param {Cell|undefined} cell
 * @param {{expected: number, first: boolean}} options  attempts the cell will have; whether
 *   it is the first variant's column (no delta there)
 */
export function cellView(cell, { expected, first }) {
  const attempts = cell ? cell.attempts : 0;
  const pending = attempts < expected;
  if (!cell || attempts === 0) {
    return { text: "…", detail: `0/${expected}`, colour: rateColour(null), delta: "", flaky: false, pending: true, state: "pending" };
  }
  const rate = cell.pass_rate ?? 0;
  const latency = cell.latency_p50_ms;
  return {
    text: `${Math.round(rate * 100)}%`,
    detail: `${cell.passed}/${attempts}` + (pending ? ` of ${expected}` : "") + (latency !== null && latency !== undefined ? ` · ${Math.round(latency)} ms` : ""),
    colour: rateColour(rate),
    delta: first ? "" : formatDelta(cell.delta),
    flaky: Boolean(cell.flaky),
    pending,
    state: pending ? "partial" : "done",
  };
}

/** The index of each row of one cell, in attempt order. */
export function rowsOf(rows, scenario, variant) {
  const picked = [];
  rows.forEach((row, index) => {
    if (row.scenario === scenario && row.variant === variant) picked.push({ index, row });
  });
  picked.sort((a, b) => a.row.attempt - b.row.attempt);
  return picked;
}

/** The failed checks of a row. */
export function failedChecks(row) {
  return (row.checks || []).filter((c) => !c.passed);
}

/** Attempts each cell will have: total / (scenarios x variants). */
export function expectedAttempts(total, scenarios, variants) {
  const cells = scenarios.length * variants.length;
  return cells ? Math.round(total / cells) : 0;
}
