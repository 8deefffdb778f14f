// Pure display helpers of the conversation widget: words for statuses and microphone
// problems, latency bar geometry, compact JSON. No DOM; tested with Vitest.

/** @typedef {import("./timeline.js").State} State */
/** @typedef {import("./timeline.js").Notice} Notice */
/** @typedef {import("./timeline.js").TurnMetrics} TurnMetrics */

/** Stages drawn in the latency bars, in pipeline order, with their labels. */
export const STAGES = /** @type {const} */ ([
  ["stt_ms", "speech-to-text"],
  ["llm_first_token_ms", "first token"],
  ["tool_ms", "tools"],
  ["tts_first_audio_ms", "first audio"],
]);

/** Words shown for each session status (the same codes as the kernel's Conversation). */
export const STATUS_LABELS = {
  connecting: "connecting\u2026",
  loading: "loading engines\u2026",
  listening: "listening",
  user_speaking: "hearing you",
  thinking: "thinking",
  speaking: "agent speaking",
  reconnecting: "reconnecting\u2026",
  ended: "ended",
  error: "error",
};

/**
 * The status pill's text: a running tool says so while the session waits for it.
 * @param {State} s
 * @returns {string}
 */
export function statusLabel(s) {
  const running = s.tools.find((t) => t.pending);
  if (running && s.status !== "ended" && s.status !== "error") return `running ${running.name}`;
  const label = /** @type {Record<string, string>} */ (STATUS_LABELS)[s.status];
  return label || s.status.replace(/_/g, " ");
}

/**
 * The message for a microphone that cannot be opened.
 * @param {{name?: string, secure: boolean, hasMediaDevices: boolean, host?: string}} why
 * @returns {Notice}
 */
export function micNotice(why) {
  const typing = "Type a turn or send a WAV file below instead.";
  if (!why.hasMediaDevices || !why.secure) {
    const where = why.secure
      ? "This front-end does not offer a microphone (VS Code's notebook view, for one, denies it)."
      : `The page is not a secure context (${why.host || "this host"} over plain http), so the ` +
        "browser hides the microphone. Open Jupyter on localhost/127.0.0.1 or over https.";
    return { level: "warning", code: "mic_unavailable", text: `No microphone API. ${where} ${typing}` };
  }
  if (why.name === "NotAllowedError" || why.name === "SecurityError") {
    return {
      level: "warning",
      code: "mic_denied",
      text:
        "Microphone access was denied. Allow it in the browser's site settings and try again " +
        `(front-ends such as VS Code always deny it), or ${typing[0].toLowerCase()}${typing.slice(1)}`,
    };
  }
  if (why.name === "NotFoundError" || why.name === "OverconstrainedError") {
    return { level: "warning", code: "mic_missing", text: `No microphone was found. ${typing}` };
  }
  return {
    level: "warning",
    code: "mic_failed",
    text: `The microphone could not be started (${why.name || "unknown error"}). ${typing}`,
  };
}

/**
 * Latency bars of one turn: each stage's share of the longest voice-to-voice time shown.
 * @param {TurnMetrics} m
 * @param {number} scaleMs the time that fills the whole bar width
 * @returns {{total: (number | null), width: number, segments: {stage: string, label: string,
 *   ms: number, width: number}[]}}
 */
export function latencyBar(m, scaleMs) {
  const scale = scaleMs > 0 ? scaleMs : 1;
  const segments = [];
  for (const [stage, label] of STAGES) {
    const ms = m[stage];
    if (typeof ms === "number" && ms > 0) segments.push({ stage, label, ms, width: ms / scale });
  }
  const sum = segments.reduce((a, b) => a + b.ms, 0);
  const total = typeof m.voice_to_voice_ms === "number" ? m.voice_to_voice_ms : sum || null;
  return { total, width: Math.min(1, (total || 0) / scale), segments };
}

/**
 * The time that fills a latency bar: the slowest turn shown, at least one second.
 * @param {TurnMetrics[]} metrics
 */
export function latencyScale(metrics) {
  let most = 1000;
  for (const m of metrics) {
    const total = typeof m.voice_to_voice_ms === "number" ? m.voice_to_voice_ms : 0;
    most = Math.max(most, total);
  }
  return most;
}

/**
 * Compact text of a tool's arguments or output for the timeline.
 * @param {unknown} value
 * @param {number} [limit]
 */
export function brief(value, limit = 160) {
  let text;
  if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value);
    } catch {
      text = String(value);
    }
  }
  if (text === undefined) text = String(value);
  return text.length > limit ? `${text.slice(0, limit - 1)}\u2026` : text;
}

/**
 * A duration for the timeline: "840 ms", "1.84 s", "220.6 s".
 * @param {number} ms
 */
export function formatMs(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
