import { describe, expect, it } from "vitest";
import { cellView, expectedAttempts, failedChecks, formatDelta, rateColour, rowsOf } from "./eval_matrix.js";

describe("eval matrix cells", () => {
  it("a cell with no attempt yet is pending and grey", () => {
    const view = cellView(undefined, { expected: 3, first: true });
    expect(view.pending).toBe(true);
    expect(view.state).toBe("pending");
    expect(view.colour).toBe("#eeeeee");
    expect(view.detail).toBe("0/3");
  });

  it("a partly filled cell says how many of how many, and is coloured by its rate", () => {
    const cell = { passed: 1, attempts: 2, pass_rate: 0.5, latency_p50_ms: 1840.4, flaky: true, delta: -0.5 };
    const view = cellView(cell, { expected: 3, first: false });
    expect(view.text).toBe("50%");
    expect(view.detail).toBe("1/2 of 3 · 1840 ms");
    expect(view.state).toBe("partial");
    expect(view.colour).toBe("hsl(60, 65%, 82%)");
    expect(view.delta).toBe("-50%");
    expect(view.flaky).toBe(true);
  });

  it("the first variant's column shows no delta", () => {
    const cell = { passed: 3, attempts: 3, pass_rate: 1, latency_p50_ms: null, flaky: false, delta: 0 };
    const view = cellView(cell, { expected: 3, first: true });
    expect(view.delta).toBe("");
    expect(view.state).toBe("done");
    expect(view.detail).toBe("3/3");
    expect(rateColour(1)).toBe("hsl(120, 65%, 82%)");
    expect(rateColour(0)).toBe("hsl(0, 65%, 82%)");
  });

  it("formats deltas with a sign", () => {
    expect(formatDelta(0.3333)).toBe("+33%");
    expect(formatDelta(0)).toBe("±0%");
    expect(formatDelta(null)).toBe("");
  });

  it("lists a cell's rows in attempt order with their indexes", () => {
    const rows = [
      { scenario: "a", variant: "v1", attempt: 2 },
      { scenario: "a", variant: "v2", attempt: 1 },
      { scenario: "a", variant: "v1", attempt: 1, checks: [{ name: "x", passed: false }, { name: "y", passed: true }] },
    ];
    expect(rowsOf(rows, "a", "v1").map((r) => r.index)).toEqual([2, 0]);
    expect(failedChecks(rows[2]).map((c) => c.name)).toEqual(["x"]);
    expect(expectedAttempts(12, ["a", "b"], ["v1", "v2"])).toBe(3);
    expect(expectedAttempts(0, [], [])).toBe(0);
  });
});
