import { describe, expect, it } from "vitest";
import { statusLabel } from "./display.js";
import { endedMessage, hydrate, initialState, reduce } from "./timeline.js";

/** @param {Record<string, any>[]} events */
function run(events, start = initialState()) {
  return events.reduce(reduce, start);
}

const TURN = [
  { type: "session.created", session: { agent_version: 2 }, resume_token: "r" },
  { type: "input_audio.speech_started", audio_ms: 500 },
  { type: "input_audio.speech_stopped", audio_ms: 2100 },
  { type: "transcript.user.final", turn: 1, text: "Where is order 1234?" },
  { type: "response.started", response_id: "r1", turn: 1, generation: 1 },
  { type: "tool.call", call_id: "c1", name: "lookup_order", arguments: { order_id: "1234" }, turn: 1 },
  {
    type: "tool.call.completed",
    call_id: "c1",
    name: "lookup_order",
    output: { status: "shipped" },
    is_error: false,
    duration_ms: 3.5,
  },
  { type: "transcript.agent.delta", response_id: "r1", turn: 1, text: "Your order" },
  { type: "transcript.agent.delta", response_id: "r1", turn: 1, text: " has shipped." },
  { type: "transcript.agent.final", response_id: "r1", turn: 1, text: "Your order has shipped." },
  { type: "response.done", response_id: "r1", turn: 1, status: "completed" },
  { type: "metrics.turn", turn: 1, voice_to_voice_ms: 1500, stt_ms: 400, llm_first_token_ms: 600, tool_ms: null },
];

describe("reduce", () => {
  it("builds a whole turn: transcript, tool call, metrics, status", () => {
    const s = run(TURN);
    expect(s.status).toBe("listening");
    expect(s.lines).toEqual([
      { role: "user", turn: 1, text: "Where is order 1234?", final: true, interrupted: false, agent_version: null },
      { role: "agent", turn: 1, text: "Your order has shipped.", final: true, interrupted: false, agent_version: 2 },
    ]);
    expect(s.tools).toEqual([
      {
        call_id: "c1",
        name: "lookup_order",
        arguments: { order_id: "1234" },
        output: { status: "shipped" },
        is_error: false,
        duration_ms: 3.5,
        turn: 1,
        pending: false,
      },
    ]);
    expect(s.metrics).toEqual([
      { turn: 1, voice_to_voice_ms: 1500, stt_ms: 400, llm_first_token_ms: 600, tool_ms: null },
    ]);
  });

  it("shows partial text while speaking and accepts cumulative deltas", () => {
    let s = run(TURN.slice(0, 3));
    s = reduce(s, { type: "transcript.user.delta", turn: 1, text: "Where is" });
    expect(s.lines[0]).toMatchObject({ text: "Where is", final: false });
    s = reduce(s, { type: "transcript.user.delta", turn: 1, text: "Where is order" });
    expect(s.lines[0].text).toBe("Where is order");
    s = reduce(s, { type: "transcript.user.final", turn: 1, text: "Where is order 1234?" });
    s = reduce(s, { type: "transcript.user.delta", turn: 1, text: "late" });
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]).toMatchObject({ text: "Where is order 1234?", final: true });
  });

  it("marks a tool call running until it completes, and keeps errors", () => {
    let s = run(TURN.slice(0, 6));
    expect(s.tools[0].pending).toBe(true);
    expect(statusLabel(s)).toBe("running lookup_order");
    s = reduce(s, {
      type: "tool.call.completed",
      call_id: "c1",
      name: "lookup_order",
      output: "KeyError: 'x'",
      is_error: true,
      duration_ms: 1,
    });
    expect(s.tools[0]).toMatchObject({ pending: false, is_error: true, output: "KeyError: 'x'" });
    expect(statusLabel(s)).toBe("agent speaking");
  });

  it("marks the interrupted agent line", () => {
    const s = run([
      ...TURN.slice(0, 5),
      { type: "transcript.agent.delta", response_id: "r1", turn: 1, text: "Your order" },
      { type: "response.interrupted", response_id: "r1", turn: 1, played_ms: 800 },
    ]);
    expect(s.lines[1]).toMatchObject({ role: "agent", interrupted: true });
    expect(s.agentSpeaking).toBe(false);
  });

  it("says why a session ended and that it is reconnecting", () => {
    let s = reduce(initialState(), { type: "connection.reconnecting" });
    expect(s.notice?.code).toBe("reconnecting");
    s = reduce(s, { type: "connection.resumed" });
    expect(s.notice).toBeNull();
    s = reduce(s, { type: "session.ended", reason: "max_turns" });
    expect(s.status).toBe("ended");
    expect(s.notice?.text).toContain("turn limit");
  });

  it("explains an unreachable server and other errors", () => {
    const s = reduce(initialState(), {
      type: "error",
      code: "server_unreachable",
      message: "connection refused on 127.0.0.1:9",
      fatal: true,
    });
    expect(s.status).toBe("error");
    expect(s.notice?.text).toContain("Cannot reach the Nur server");
    const t = reduce(initialState(), { type: "error", code: "tool_timeout", message: "lookup_order took too long" });
    expect(t.notice?.text).toBe("lookup_order took too long (tool_timeout)");
    expect(t.status).toBe("connecting");
  });

  it("ignores unknown events", () => {
    const s = initialState();
    expect(reduce(s, { type: "something.new" })).toBe(s);
  });
});

describe("hydrate", () => {
  it("starts from the kernel's record (a reopened notebook)", () => {
    const s = hydrate(initialState(), {
      status: "ended",
      agent: { name: "Support", version: 3 },
      transcript: [
        { role: "user", text: "hi", turn: 1 },
        { role: "agent", text: "hello", turn: 1, agent_version: 3, interrupted: false },
      ],
      tool_calls: [{ call_id: "c9", name: "f", arguments: {}, output: 1, is_error: false, duration_ms: 2 }],
      metrics: [{ turn: 1, voice_to_voice_ms: 900 }],
    });
    expect(s.status).toBe("ended");
    expect(s.agentVersion).toBe(3);
    expect(s.lines.map((l) => `${l.role}:${l.text}:${l.agent_version}`)).toEqual(["user:hi:null", "agent:hello:3"]);
    expect(s.tools[0].call_id).toBe("c9");
    expect(s.metrics).toHaveLength(1);
  });

  it("does not duplicate a final that arrives as an event and as a record", () => {
    let s = run(TURN);
    s = hydrate(s, {
      transcript: [
        { role: "user", text: "Where is order 1234?", turn: 1 },
        { role: "agent", text: "Your order has shipped.", turn: 1, agent_version: 2 },
      ],
      tool_calls: [{ call_id: "c1", name: "lookup_order", output: { status: "shipped" } }],
      metrics: [{ turn: 1, voice_to_voice_ms: 1500 }],
    });
    expect(s.lines).toHaveLength(2);
    expect(s.tools).toHaveLength(1);
    expect(s.metrics).toHaveLength(1);
  });

  it("keeps live partial lines the record does not have yet", () => {
    let s = reduce(initialState(), { type: "transcript.user.delta", turn: 2, text: "and" });
    s = hydrate(s, { transcript: [{ role: "user", text: "hi", turn: 1 }] });
    expect(s.lines.map((l) => l.text)).toEqual(["hi", "and"]);
  });

  it("shows the record's error", () => {
    const s = hydrate(initialState(), { error: "Agent creation failed" });
    expect(s.notice).toMatchObject({ level: "error", text: "Agent creation failed" });
  });
});

describe("status codes", () => {
  it("uses the same codes as the kernel when events arrive", () => {
    const s = run([
      { type: "input_audio.speech_started", audio_ms: 0 },
    ]);
    expect(s.status).toBe("user_speaking");
    expect(run([{ type: "response.started", turn: 1, generation: 1 }]).status).toBe("speaking");
    expect(run([{ type: "session.loading", stage: "stt" }]).status).toBe("loading");
  });
});
