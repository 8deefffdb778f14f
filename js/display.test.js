import { describe, expect, it } from "vitest";
import { brief, formatMs, latencyBar, latencyScale, micNotice, statusLabel } from "./display.js";
import { endedMessage, initialState } from "./timeline.js";

describe("display helpers", () => {
  it("latency bars scale every turn to the slowest one", () => {
    const metrics = [
      { turn: 1, voice_to_voice_ms: 2000, stt_ms: 500, llm_first_token_ms: 1000 },
      { turn: 2, voice_to_voice_ms: 1000, stt_ms: 250 },
    ];
    const scale = latencyScale(metrics);
    expect(scale).toBe(2000);
    const bar = latencyBar(metrics[0], scale);
    expect(bar.total).toBe(2000);
    expect(bar.width).toBe(1);
    expect(bar.segments.map((x) => [x.stage, x.width])).toEqual([
      ["stt_ms", 0.25],
      ["llm_first_token_ms", 0.5],
    ]);
    expect(latencyBar(metrics[1], scale).width).toBe(0.5);
    expect(latencyBar({ turn: 3 }, scale).total).toBeNull();
  });

  it("mic messages tell denied from unavailable from insecure", () => {
    expect(micNotice({ name: "NotAllowedError", secure: true, hasMediaDevices: true }).code).toBe("mic_denied");
    const insecure = micNotice({ secure: false, hasMediaDevices: false, host: "10.0.0.5:8888" });
    expect(insecure.code).toBe("mic_unavailable");
    expect(insecure.text).toContain("not a secure context (10.0.0.5:8888");
    expect(micNotice({ secure: true, hasMediaDevices: false }).text).toContain("VS Code");
    expect(micNotice({ name: "NotFoundError", secure: true, hasMediaDevices: true }).code).toBe("mic_missing");
  });

  it("ended messages and brief text", () => {
    expect(endedMessage("expired")).toBe("Session ended because the session expired.");
    expect(endedMessage("weird")).toBe("Session ended (weird).");
    expect(brief({ order_id: "1234" })).toBe('{"order_id":"1234"}');
    expect(brief("x".repeat(500), 10)).toHaveLength(10);
  });
});

describe("statusLabel", () => {
  it("speaks the kernel's status codes in words", () => {
    const s = initialState();
    expect(statusLabel({ ...s, status: "user_speaking" })).toBe("hearing you");
    expect(statusLabel({ ...s, status: "speaking" })).toBe("agent speaking");
    expect(statusLabel({ ...s, status: "something_new" })).toBe("something new");
  });
});

describe("formatMs", () => {
  it("keeps milliseconds short and long waits readable", () => {
    expect(formatMs(2.4)).toBe("2 ms");
    expect(formatMs(840)).toBe("840 ms");
    expect(formatMs(1840)).toBe("1.84 s");
    expect(formatMs(220575)).toBe("220.6 s");
  });
});
