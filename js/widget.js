// The conversation widget's front-end (anywidget). Messages with the kernel:
//   kernel -> browser  {type: "event", event}           a session event (live partial text, tools)
//                      {type: "audio", sample_rate, generation} + one PCM16 buffer (agent voice)
//                      {type: "flush", generation}     drop queued agent audio now
//                      {type: "ping", id, t}           latency probe; answered with "pong"
//   browser -> kernel  {type: "audio", t} + one PCM16 buffer (16 kHz mono, 32 ms)
//                      {type: "text", text}  {type: "wav"} + file bytes (when decoding fails)
//                      {type: "control", action, ...}  mic_started/mic_stopped/mic_denied/
//                                                      mic_unavailable/file_started/file_done/end
//                      {type: "pong", id, t, browser_t}
// While the relay socket (relay.js) is open, microphone frames, control and pong messages go on
// it instead, and agent audio, flush and ping messages come on it; the comm carries the rest.

import { Mic, Player, decodeToFrames, micSupport } from "./audio.js";
import { FRAME_MS, meterValue, recordingAsTurn } from "./pcm.js";
import { micNotice } from "./display.js";
import { RelaySocket, pageConfig, relayUrl } from "./relay.js";
import { StreamPath } from "./stream_path.js";
import { hydrate, initialState, reduce } from "./timeline.js";
import { build, draw, setLevel, setMic } from "./view.js";

/** Largest undecodable file handed to the kernel as is (its WebSocket closes past 10 MiB). */
const MAX_KERNEL_FILE_BYTES = 8 * 1024 * 1024;

/** @param {any} model */
function record(model) {
  return {
    transcript: model.get("transcript"),
    tool_calls: model.get("tool_calls"),
    metrics: model.get("metrics"),
    status: model.get("status"),
    error: model.get("error"),
    agent: model.get("agent"),
  };
}

/** Wall-clock milliseconds with sub-millisecond precision (comparable with the kernel's). */
function now() {
  return performance.timeOrigin + performance.now();
}

/**
 * Per-model audio, shared by every view of the same widget so a widget shown twice does not
 * play twice or open two microphones.
 * @typedef {{player: Player, mic: Mic | null, playedMs: number, listeners: Set<() => void>,
 *            relay: RelaySocket | null, transport: "relay" | "comm"}} SharedAudio
 * @type {WeakMap<object, SharedAudio>}
 */
const shared = new WeakMap();

/** @param {any} model */
function audioOf(model) {
  let a = shared.get(model);
  if (!a) {
    /** @type {SharedAudio} */
    const entry = {
      player: /** @type {Player} */ (/** @type {unknown} */ (null)),
      mic: null,
      playedMs: 0,
      listeners: new Set(),
      relay: null,
      transport: "comm",
    };
    entry.player = new Player({
      onPlayed: (info) => {
        entry.playedMs += info.ms;
        for (const fn of entry.listeners) fn();
      },
    });
    shared.set(model, entry);
    a = entry;
  }
  return a;
}

/**
 * Open the model's relay socket unless one is open or the page offers no route; until it opens
 * (and for good once it fails or drops) everything goes over the comm.
 * @param {any} model @param {SharedAudio} audio
 */
function openRelay(model, audio) {
  if (audio.relay && !audio.relay.ended) return;
  const config = pageConfig(globalThis.document);
  const where = globalThis.location ? globalThis.location.href : "";
  const url = relayUrl(config, { port: model.get("relay_port"), token: model.get("relay_token") }, where);
  if (!url || typeof globalThis.WebSocket !== "function") return;
  const relay = new RelaySocket(url, {
    onAudio: (a) => audio.player.push(a.pcm, a.sampleRate, a.generation),
    onMessage: (msg) => {
      if (msg.type === "flush") audio.player.flush(msg.generation ?? undefined);
      else if (msg.type === "ping") relay.sendJson({ type: "pong", id: msg.id, t: msg.t, browser_t: now() });
    },
    onState: (transport) => {
      audio.transport = transport;
      for (const fn of audio.listeners) fn();
    },
  });
  audio.relay = relay;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  const parts = build();
  el.append(parts.root);
  const audio = audioOf(model);
  let state = hydrate(initialState(), record(model));
  let sendingFile = false;

  const redraw = () => {
    draw(parts, state, model.get("agent") || {});
    parts.root.dataset.playedMs = String(Math.round(audio.playedMs));
    parts.root.dataset.transport = audio.transport;
  };
  /** @param {Record<string, any>} event */
  const local = (event) => {
    state = reduce(state, event);
    redraw();
  };

  const onTraits = () => {
    state = hydrate(state, record(model));
    redraw();
  };
  const traits = "change:transcript change:tool_calls change:metrics change:status change:error change:agent";
  model.on(traits, onTraits);

  /** @param {any} msg @param {DataView[]} buffers */
  const onCustom = (msg, buffers) => {
    switch (msg.type) {
      case "event": {
        const e = msg.event || {};
        // Cut the generation that was playing: its late chunks must not play either.
        if (e.type === "response.interrupted") audio.player.flush(e.generation ?? state.generation);
        state = reduce(state, e);
        redraw();
        break;
      }
      case "audio":
        if (buffers && buffers[0]) audio.player.push(buffers[0], msg.sample_rate, msg.generation ?? 0);
        break;
      case "flush":
        audio.player.flush(msg.generation);
        break;
      case "ping":
        model.send({ type: "pong", id: msg.id, t: msg.t, browser_t: now() });
        break;
    }
  };
  model.on("msg:custom", onCustom);

  const onPlayed = () => {
    parts.root.dataset.playedMs = String(Math.round(audio.playedMs));
    parts.root.dataset.transport = audio.transport;
  };
  audio.listeners.add(onPlayed);
  openRelay(model, audio);

  // A microphone session or WAV file keeps one path from its first frame to its closing
  // control message (stream_path.js), so nothing overtakes when the relay opens mid-stream.
  const stream = new StreamPath(() => !!(audio.relay && audio.relay.usable()));

  /** A control message: on the stream's path (in order with its frames). */
  const sendControl = (/** @type {Record<string, any>} */ msg) => {
    if (!(stream.forControl() === "relay" && audio.relay && audio.relay.sendJson(msg))) {
      model.send(msg);
    }
  };

  /** @type {ArrayBuffer[]} frames held to share one comm message (frames_per_message > 1) */
  let held = [];
  const sendHeld = (/** @type {number} */ t) => {
    if (held.length === 0) return;
    const total = held.reduce((n, b) => n + b.byteLength, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const b of held) {
      joined.set(new Uint8Array(b), at);
      at += b.byteLength;
    }
    held = [];
    model.send({ type: "audio", t }, undefined, [joined.buffer]);
  };
  /** @param {ArrayBuffer} pcm @param {number} t */
  const sendFrame = (pcm, t) => {
    if (stream.forFrame() === "relay") {
      if (audio.relay && audio.relay.sendFrame(pcm, t)) return;
      stream.relayFailed();
    }
    // Each comm message costs the kernel ~1.5 ms of CPU whatever its size, so a widget may
    // trade a little latency for CPU by sending two frames per message.
    const per = Math.max(1, Number(model.get("frames_per_message")) || 1);
    if (per === 1) {
      model.send({ type: "audio", t }, undefined, [pcm]);
      return;
    }
    held.push(pcm);
    if (held.length >= per) sendHeld(t);
  };

  async function startMic() {
    const support = micSupport();
    if (!support.hasMediaDevices || !support.secure) {
      const notice = micNotice(support);
      sendControl({ type: "control", action: "mic_unavailable", detail: notice.text });
      local({ type: "notice", notice });
      return;
    }
    audio.player.ensure(); // the click is the user gesture that lets agent audio play
    const mic = new Mic({ onFrame: sendFrame, onLevel: (v) => setLevel(parts, meterValue(v)) });
    try {
      await mic.start();
    } catch (err) {
      const name = err && typeof err === "object" && "name" in err ? String(err.name) : "Error";
      const notice = micNotice({ ...support, name });
      sendControl({ type: "control", action: "mic_denied", detail: notice.text, error: name });
      local({ type: "notice", notice });
      return;
    }
    audio.mic = mic;
    setMic(parts, true);
    if (state.notice && state.notice.code.startsWith("mic_")) local({ type: "notice", notice: null });
    sendControl({ type: "control", action: "mic_started" });
  }

  async function stopMic() {
    const mic = audio.mic;
    audio.mic = null;
    setMic(parts, false);
    if (mic) await mic.stop();
    sendHeld(now());
    sendControl({ type: "control", action: "mic_stopped" });
    stream.end();
  }

  parts.mic.addEventListener("click", () => (audio.mic ? stopMic() : startMic()));

  const sendText = () => {
    const text = parts.input.value.trim();
    if (!text) return;
    audio.player.ensure();
    model.send({ type: "text", text });
    parts.input.value = "";
  };
  parts.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendText();
  });
  parts.input.addEventListener("keydown", (ev) => {
    ev.stopPropagation(); // typing here never drives the notebook
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendText();
    }
  });

  parts.file.addEventListener("change", async () => {
    const file = parts.file.files && parts.file.files[0];
    parts.file.value = "";
    if (!file || sendingFile) return;
    audio.player.ensure();
    const bytes = await file.arrayBuffer();
    let frames;
    try {
      frames = await decodeToFrames(bytes.slice(0));
    } catch {
      // The browser cannot decode it: let the kernel try (it reads PCM WAV itself), unless it
      // is too big for one kernel message (over 10 MiB closes the kernel's WebSocket).
      if (bytes.byteLength > MAX_KERNEL_FILE_BYTES) {
        local({
          type: "notice",
          notice: {
            level: "warning",
            code: "file_unreadable",
            text: `${file.name} is not audio this browser can read, and too large to hand to the kernel.`,
          },
        });
        return;
      }
      model.send({ type: "wav", name: file.name }, undefined, [bytes]);
      return;
    }
    sendingFile = true;
    sendControl({ type: "control", action: "file_started", name: file.name, frames: frames.length });
    frames = recordingAsTurn(frames);
    // Paced at real time, as a microphone would deliver it; a few frames ahead absorb timer jitter.
    const start = performance.now();
    for (let i = 0; i < frames.length; i++) {
      const due = start + (i - 3) * FRAME_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sendFrame(frames[i].buffer, now());
    }
    sendHeld(now());
    sendingFile = false;
    sendControl({ type: "control", action: "file_done", name: file.name });
    stream.end();
  });

  parts.end.addEventListener("click", () => {
    if (audio.mic) stopMic();
    sendControl({ type: "control", action: "end" });
  });

  const support = micSupport();
  if (!support.hasMediaDevices || !support.secure) state = reduce(state, { type: "notice", notice: micNotice(support) });
  redraw();
  model.send({ type: "control", action: "view_ready" });

  return () => {
    model.off(traits, onTraits);
    model.off("msg:custom", onCustom);
    audio.listeners.delete(onPlayed);
    if (audio.listeners.size === 0) {
      if (audio.mic) stopMic();
      // Closed after stopMic has sent its last frame and control message.
      setTimeout(() => {
        if (audio.listeners.size === 0 && audio.relay) {
          audio.relay.end();
          audio.relay = null;
          audio.transport = "comm";
        }
      }, 500);
    }
  };
}

export default { render };
