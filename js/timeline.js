// Pure display reducer of the conversation widget: session events (and the widget's own local
// events) in, what to draw out. The kernel's Conversation keeps the authoritative record in the
// widget's synced traits; `hydrate` starts from those (a reopened notebook), `reduce` layers live
// events on top (partial text while someone speaks, a tool call still running). Entries are keyed
// (transcript by role + turn, tool calls by call_id, metrics by turn) so a final that arrives
// both as an event and through the traits is shown once.

/**
 * @typedef {{role: "user" | "agent", turn: number, text: string, final: boolean,
 *   interrupted: boolean, agent_version: (number | null)}} Line
 * @typedef {{call_id: string, name: string, arguments: Record<string, unknown>, output: unknown,
 *   is_error: boolean, duration_ms: (number | null), turn: (number | null), pending: boolean}} ToolLine
 * @typedef {{turn: number, [stage: string]: (number | null)}} TurnMetrics
 * @typedef {{level: "error" | "warning" | "info", text: string, code: string}} Notice
 * @typedef {{status: string, lines: Line[], tools: ToolLine[], metrics: TurnMetrics[],
 *   notice: (Notice | null), ended: (string | null), agentVersion: (number | null),
 *   generation: number, userSpeaking: boolean, agentSpeaking: boolean}} State
 */

/** Why a session ended, in words a user understands. */
export const ENDED_REASONS = {
  max_turns: "the conversation reached its turn limit (--max-turns)",
  expired: "the session expired",
  agent_deleted: "the agent was deleted",
  client_ended: "it was ended from this notebook",
  error: "of an error on the server",
};

/** @returns {State} */
export function initialState() {
  return {
    status: "connecting",
    lines: [],
    tools: [],
    metrics: [],
    notice: null,
    ended: null,
    agentVersion: null,
    generation: 0,
    userSpeaking: false,
    agentSpeaking: false,
  };
}

/**
 * The sentence shown when a session ends.
 * @param {string} reason
 * @returns {string}
 */
export function endedMessage(reason) {
  const why = /** @type {Record<string, string>} */ (ENDED_REASONS)[reason];
  return why ? `Session ended because ${why}.` : `Session ended (${reason || "no reason given"}).`;
}
/**
 * Merge an entry into a keyed list, keeping order of first appearance.
 * @template T
 * @param {T[]} list
 * @param {(item: T) => boolean} match
 * @param {(old: T | undefined) => T} make
 * @returns {T[]}
 */
function upsert(list, match, make) {
  const i = list.findIndex(match);
  if (i < 0) return [...list, make(undefined)];
  const copy = list.slice();
  copy[i] = make(list[i]);
  return copy;
}

/**
 * The state with the tool call `callId` made (or remade) by `make` from its entry so far.
 * @param {State} s
 * @param {string} callId
 * @param {(old: ToolLine | undefined) => ToolLine} make
 * @returns {State}
 */
function putTool(s, callId, make) {
  return { ...s, tools: upsert(s.tools, (t) => t.call_id === callId, make) };
}

/**
 * Text of a streamed delta: servers send either the new piece or the whole text so far.
 * @param {string} before
 * @param {string} piece
 */
function grow(before, piece) {
  if (!before) return piece;
  if (piece.startsWith(before)) return piece;
  return before + piece;
}

/**
 * @param {State} s
 * @param {"user" | "agent"} role
 * @param {number} turn
 * @param {string} text
 * @param {{final: boolean, interrupted?: boolean, delta: boolean}} how
 * @returns {Line[]}
 */
function putLine(s, role, turn, text, how) {
  return upsert(
    s.lines,
    (l) => l.role === role && l.turn === turn,
    (old) => {
      if (old && old.final && !how.final) return old; // a late delta never undoes a final
      return {
        role,
        turn,
        text: how.delta ? grow(old ? old.text : "", text) : text,
        final: how.final,
        interrupted: Boolean(how.interrupted || (old && old.interrupted)),
        agent_version: old ? old.agent_version : role === "agent" ? s.agentVersion : null,
      };
    },
  );
}

/**
 * Apply one event. Unknown events leave the state as it was.
 * @param {State} s
 * @param {Record<string, any>} e
 * @returns {State}
 */
export function reduce(s, e) {
  const turn = typeof e.turn === "number" ? e.turn : 0;
  switch (e.type) {
    case "session.loading":
      return { ...s, status: "loading", notice: null };
    case "session.created":
    case "session.updated": {
      const v = e.session && (e.session.agent_version ?? e.session.version);
      return {
        ...s,
        status: s.ended ? s.status : "listening",
        agentVersion: typeof v === "number" ? v : s.agentVersion,
        notice: s.notice && s.notice.code === "reconnecting" ? null : s.notice,
      };
    }
    case "connection.reconnecting":
      return {
        ...s,
        status: "reconnecting",
        notice: {
          level: "warning",
          code: "reconnecting",
          text: "Connection to the session lost; reconnecting\u2026",
        },
      };
    case "connection.resumed":
    case "session.resumed":
      return {
        ...s,
        status: "listening",
        notice: s.notice && s.notice.code === "reconnecting" ? null : s.notice,
      };
    case "input_audio.speech_started":
      return { ...s, status: "user_speaking", userSpeaking: true };
    case "input_audio.speech_stopped":
      return { ...s, status: "thinking", userSpeaking: false };
    case "transcript.user.delta":
      return { ...s, lines: putLine(s, "user", turn, e.text || "", { final: false, delta: true }) };
    case "transcript.user.final":
      return {
        ...s,
        status: "thinking",
        lines: putLine(s, "user", turn, e.text || "", { final: true, delta: false }),
      };
    case "response.started":
      return {
        ...s,
        status: "speaking",
        agentSpeaking: true,
        generation: typeof e.generation === "number" ? e.generation : s.generation,
      };
    case "transcript.agent.delta":
      return { ...s, lines: putLine(s, "agent", turn, e.text || "", { final: false, delta: true }) };
    case "transcript.agent.final":
      return {
        ...s,
        lines: putLine(s, "agent", turn, e.text || "", {
          final: true,
          delta: false,
          interrupted: Boolean(e.interrupted),
        }),
      };
    case "response.interrupted":
      return {
        ...s,
        status: "user_speaking",
        agentSpeaking: false,
        lines: s.lines.map((l) =>
          l.role === "agent" && l.turn === turn ? { ...l, interrupted: true } : l,
        ),
      };
    case "response.done":
      return { ...s, status: s.ended ? s.status : "listening", agentSpeaking: false };
    case "tool.call":
      return putTool(s, e.call_id, (old) =>
        old && !old.pending
          ? old
          : {
              call_id: e.call_id,
              name: e.name,
              arguments: e.arguments || {},
              output: null,
              is_error: false,
              duration_ms: null,
              turn: typeof e.turn === "number" ? e.turn : null,
              pending: true,
            },
      );
    case "tool.call.completed":
      return putTool(s, e.call_id, (old) => ({
        call_id: e.call_id,
        name: e.name || (old ? old.name : "?"),
        arguments: old ? old.arguments : e.arguments || {},
        output: e.output,
        is_error: Boolean(e.is_error),
        duration_ms: typeof e.duration_ms === "number" ? e.duration_ms : null,
        turn: old ? old.turn : typeof e.turn === "number" ? e.turn : null,
        pending: false,
      }));
    case "metrics.turn": {
      /** @type {TurnMetrics} */
      const m = { turn };
      for (const [k, v] of Object.entries(e)) {
        if (k.endsWith("_ms")) m[k] = typeof v === "number" ? v : null;
      }
      return { ...s, metrics: upsert(s.metrics, (x) => x.turn === turn, () => m) };
    }
    case "session.ended":
      return {
        ...s,
        status: "ended",
        ended: e.reason || "unknown",
        userSpeaking: false,
        agentSpeaking: false,
        notice: { level: "info", code: "ended", text: endedMessage(e.reason) },
      };
    case "error": {
      const unreachable = e.code === "server_unreachable";
      return {
        ...s,
        status: e.fatal || unreachable ? "error" : s.status,
        notice: {
          level: "error",
          code: e.code || "error",
          text: unreachable
            ? `Cannot reach the Nur server: ${e.message || "connection refused"}. ` +
              "Check that it is running (%nur server status) and re-run the cell."
            : `${e.message || e.code || "Unknown error"}${e.code ? ` (${e.code})` : ""}`,
        },
      };
    }
    case "notice":
      return { ...s, notice: e.notice || null };
    default:
      return s;
  }
}

/**
 * Start from the kernel's record (the widget's synced traits), keeping live partial lines and
 * running tool calls that the record does not have yet.
 * @param {State} s
 * @param {{transcript?: any[], tool_calls?: any[], metrics?: any[], status?: string,
 *   error?: string, agent?: Record<string, any>}} record
 * @returns {State}
 */
export function hydrate(s, record) {
  const transcript = record.transcript || [];
  /** @type {Line[]} */
  const lines = transcript.map((t, i) => ({
    role: t.role === "user" ? "user" : "agent",
    turn: typeof t.turn === "number" ? t.turn : i,
    text: String(t.text ?? ""),
    final: true,
    interrupted: Boolean(t.interrupted),
    agent_version: typeof t.agent_version === "number" ? t.agent_version : null,
  }));
  const known = new Set(lines.map((l) => `${l.role}:${l.turn}`));
  for (const l of s.lines) if (!known.has(`${l.role}:${l.turn}`)) lines.push(l);

  /** @type {ToolLine[]} */
  const tools = (record.tool_calls || []).map((t) => ({
    call_id: String(t.call_id ?? ""),
    name: String(t.name ?? "?"),
    arguments: t.arguments || {},
    output: t.output,
    is_error: Boolean(t.is_error),
    duration_ms: typeof t.duration_ms === "number" ? t.duration_ms : null,
    turn: typeof t.turn === "number" ? t.turn : null,
    pending: false,
  }));
  const calls = new Set(tools.map((t) => t.call_id));
  for (const t of s.tools) if (!calls.has(t.call_id)) tools.push(t);

  const metrics = (record.metrics || []).map((m) => ({ ...m }));
  const turns = new Set(metrics.map((m) => m.turn));
  for (const m of s.metrics) if (!turns.has(m.turn)) metrics.push(m);

  const v = record.agent && record.agent.version;
  const notice =
    record.error && !(s.notice && s.notice.level === "error")
      ? { level: /** @type {const} */ ("error"), code: "error", text: record.error }
      : s.notice;
  return {
    ...s,
    lines,
    tools,
    metrics,
    notice,
    status: record.status || s.status,
    agentVersion: typeof v === "number" ? v : s.agentVersion,
  };
}
