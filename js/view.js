// DOM of the conversation widget: built once, then redrawn from the reducer's state. Text goes
// through textContent only (transcripts and tool output are untrusted).

import { STAGES, brief, formatMs, latencyBar, latencyScale, statusLabel } from "./display.js";

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const MIC_ICON =
  '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" ' +
  'd="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 ' +
  '6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z"/></svg>';

/** The widget's elements, created once per view. */
export function build() {
  const status = h("span", { class: "nur-status", role: "status" });
  const title = h("span", { class: "nur-title" });
  const meta = h("span", { class: "nur-meta" });
  const notice = h("div", { class: "nur-notice", role: "alert" });
  notice.hidden = true;
  const transcript = h("div", { class: "nur-transcript", "aria-live": "polite" });
  const tools = h("ol", { class: "nur-tools" });
  const latency = h("div", { class: "nur-latency" });
  const mic = h("button", {
    class: "nur-mic",
    type: "button",
    "aria-label": "Start microphone",
    "aria-pressed": "false",
    title: "Start microphone",
  });
  mic.innerHTML = MIC_ICON;
  const level = h("span", { class: "nur-level", role: "meter", "aria-label": "Microphone level" }, [
    h("span", { class: "nur-level-fill" }),
  ]);
  const speaker = h("span", { class: "nur-speaker", title: "Agent audio" });
  const input = /** @type {HTMLInputElement} */ (
    h("input", { type: "text", class: "nur-input", placeholder: "Type a turn and press Enter", "aria-label": "Type a turn" })
  );
  const send = h("button", { type: "submit", class: "nur-send" }, ["Send"]);
  const form = h("form", { class: "nur-form" }, [input, send]);
  const file = /** @type {HTMLInputElement} */ (
    h("input", { type: "file", accept: ".wav,audio/wav,audio/*", class: "nur-file-input", "aria-label": "Send a WAV file as speech" })
  );
  const fileButton = h("label", { class: "nur-file", title: "Send a WAV file as speech" }, [file, "WAV\u2026"]);
  const end = h("button", { type: "button", class: "nur-end", title: "End the session" }, ["End"]);
  // Keys typed inside the widget are not notebook shortcuts (Enter would enter edit mode,
  // "a"/"b" would insert cells): Lumino stops matching at this attribute.
  const root = h("div", { class: "nur-conv", "data-lm-suppress-shortcuts": "true" }, [
    h("div", { class: "nur-head" }, [title, meta, status]),
    notice,
    h("div", { class: "nur-body" }, [
      transcript,
      h("div", { class: "nur-side" }, [
        h("div", { class: "nur-side-title" }, ["Tool calls"]),
        tools,
        h("div", { class: "nur-side-title" }, ["Latency per turn"]),
        latency,
        h(
          "div",
          { class: "nur-legend" },
          STAGES.map(([stage, label]) => h("span", {}, [h("i", { class: `nur-seg-${stage}` }), label])),
        ),
      ]),
    ]),
    h("div", { class: "nur-controls" }, [mic, level, speaker, form, fileButton, end]),
  ]);
  return { root, status, title, meta, notice, transcript, tools, latency, mic, level, speaker, input, send, form, file, fileButton, end };
}

/** @typedef {ReturnType<typeof build>} Parts */

/**
 * @param {Parts} p
 * @param {import("./timeline.js").State} s
 * @param {Record<string, any>} agent
 */
export function draw(p, s, agent) {
  p.title.textContent = agent.name || "Nur agent";
  const bits = [];
  if (typeof agent.version === "number") bits.push(`v${agent.version}`);
  if (agent.voice_id) bits.push(agent.voice_id);
  if (agent.language) bits.push(agent.language);
  p.meta.textContent = bits.join(" \u00b7 ");
  p.status.textContent = statusLabel(s);
  p.root.dataset.status = s.status;

  p.notice.hidden = !s.notice;
  p.notice.textContent = s.notice ? s.notice.text : "";
  p.notice.dataset.level = s.notice ? s.notice.level : "";
  p.notice.dataset.code = s.notice ? s.notice.code : "";

  const atBottom = p.transcript.scrollHeight - p.transcript.scrollTop - p.transcript.clientHeight < 40;
  p.transcript.replaceChildren(
    ...(s.lines.length
      ? s.lines.map((l) => {
          const who = l.role === "user" ? "You" : agent.name || "Agent";
          const tags = [];
          if (l.role === "agent" && typeof l.agent_version === "number") tags.push(`v${l.agent_version}`);
          if (l.interrupted) tags.push("interrupted");
          const line = h("div", { class: `nur-line nur-${l.role}${l.final ? "" : " nur-partial"}` }, [
            h("span", { class: "nur-who" }, [who, ...tags.map((t) => h("span", { class: "nur-tag" }, [t]))]),
            h("span", { class: "nur-text" }, [l.text || "\u2026"]),
          ]);
          line.dataset.role = l.role;
          line.dataset.turn = String(l.turn);
          return line;
        })
      : [h("div", { class: "nur-empty" }, ["Press the microphone and speak, or type a turn below."])]),
  );
  if (atBottom) p.transcript.scrollTop = p.transcript.scrollHeight;

  p.tools.replaceChildren(
    ...(s.tools.length
      ? s.tools.map((t) => {
          const state = t.pending ? "running" : t.is_error ? "error" : "ok";
          const item = h("li", { class: `nur-tool nur-tool-${state}` }, [
            h("div", { class: "nur-tool-head" }, [
              h("code", { class: "nur-tool-name" }, [t.name]),
              h("span", { class: "nur-tool-time" }, [
                t.pending ? "running\u2026" : t.duration_ms === null ? "" : formatMs(t.duration_ms),
              ]),
            ]),
            h("div", { class: "nur-tool-args" }, [brief(t.arguments)]),
            t.pending
              ? ""
              : h("div", { class: "nur-tool-out" }, [`${t.is_error ? "error: " : "\u2192 "}${brief(t.output)}`]),
          ]);
          item.dataset.name = t.name;
          item.dataset.state = state;
          return item;
        })
      : [h("li", { class: "nur-empty" }, ["none yet"])]),
  );

  const scale = latencyScale(s.metrics);
  p.latency.replaceChildren(
    ...(s.metrics.length
      ? s.metrics.map((m) => {
          const bar = latencyBar(m, scale);
          const track = h("span", { class: "nur-bar" });
          for (const seg of bar.segments) {
            const part = h("span", { class: `nur-seg nur-seg-${seg.stage}`, title: `${seg.label}: ${formatMs(seg.ms)}` });
            part.style.width = `${(100 * seg.width).toFixed(1)}%`;
            track.append(part);
          }
          return h("div", { class: "nur-lat" }, [
            h("span", { class: "nur-lat-turn" }, [`#${m.turn}`]),
            track,
            h("span", { class: "nur-lat-total" }, [bar.total === null ? "\u2013" : formatMs(bar.total)]),
          ]);
        })
      : [h("div", { class: "nur-empty" }, ["no turns yet"])]),
  );
  const over = s.ended !== null || s.status === "ended" || s.status === "error";
  p.mic.toggleAttribute("disabled", over);
  p.input.disabled = over;
  p.file.disabled = over;
  p.send.toggleAttribute("disabled", over);
  p.fileButton.classList.toggle("nur-disabled", over);
  p.end.toggleAttribute("disabled", over);
}

/**
 * @param {Parts} p
 * @param {boolean} on
 */
export function setMic(p, on) {
  const label = on ? "Stop microphone" : "Start microphone";
  p.mic.setAttribute("aria-label", label);
  p.mic.setAttribute("title", label);
  p.mic.setAttribute("aria-pressed", String(on));
  p.mic.classList.toggle("nur-on", on);
}

/**
 * @param {Parts} p
 * @param {number} value in [0, 1]
 */
export function setLevel(p, value) {
  const fill = /** @type {HTMLElement} */ (p.level.firstChild);
  fill.style.width = `${Math.round(100 * value)}%`;
  p.level.setAttribute("aria-valuenow", String(Math.round(100 * value)));
}
