// The eval matrix widget: scenarios as rows, variants as columns, cells filling in as the
// kernel's run finishes attempts. A click on a cell opens its attempts: transcript, tool
// calls, failed checks, and each turn's audio (user and agent), fetched from the kernel as
// binary buffers when the cell opens.
import { cellView, expectedAttempts, failedChecks, rowsOf } from "./eval_matrix.js";

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("data-")) el.setAttribute(key, String(value));
    else el[key] = value;
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

function render({ model, el }) {
  const root = h("div", { class: "nur-eval" });
  const head = h("div", { class: "nur-eval-head" });
  const table = h("table", { class: "nur-eval-matrix" });
  const detail = h("div", { class: "nur-eval-detail" });
  detail.hidden = true;
  root.append(head, table, detail);
  el.append(root);
  /** @type {{scenario: string, variant: string} | null} */
  let open = null;
  const urls = [];
  const sounds = new Map(); // "row/turn" -> {user?: url, agent?: url}
  const asked = new Set();

  function drawHead() {
    const rows = model.get("rows") || [];
    const total = model.get("total") || 0;
    const state = model.get("state");
    const rate = model.get("pass_rate");
    root.dataset.state = state;
    root.dataset.finished = String(rows.length);
    const parts = [`${model.get("suite")}`, `${rows.length}/${total} attempts`];
    if (rate !== null && rate !== undefined) parts.push(`pass rate ${Math.round(rate * 100)}%`);
    if (state === "running") parts.push("running…");
    head.textContent = parts.join(" · ");
    if (model.get("error")) head.append(h("div", { class: "nur-eval-error", text: model.get("error") }));
  }

  function drawTable() {
    const scenarios = model.get("scenarios") || [];
    const variants = model.get("variants") || [];
    const cells = new Map((model.get("cells") || []).map((c) => [`${c.scenario}\u0000${c.variant}`, c]));
    const expected = expectedAttempts(model.get("total") || 0, scenarios, variants);
    table.replaceChildren();
    const header = h("tr", {}, h("th", { text: "scenario" }));
    for (const variant of variants) header.append(h("th", { text: variant }));
    table.append(h("thead", {}, header));
    const body = h("tbody");
    for (const scenario of scenarios) {
      const tr = h("tr", {}, h("th", { class: "nur-eval-scenario", text: scenario }));
      variants.forEach((variant, index) => {
        const cell = cells.get(`${scenario}\u0000${variant}`);
        const view = cellView(cell, { expected, first: index === 0 });
        const button = h(
          "button",
          { class: "nur-eval-cell-button", type: "button", title: "show the attempts" },
          h("span", { class: "nur-eval-rate", text: view.text }),
          h("span", { class: "nur-eval-sub", text: view.detail }),
          view.delta ? h("span", { class: "nur-eval-delta", text: view.delta }) : null,
          view.flaky ? h("span", { class: "nur-eval-flaky", text: "flaky", title: "some attempts passed, some failed" }) : null,
        );
        button.addEventListener("click", () => {
          const same = open && open.scenario === scenario && open.variant === variant;
          open = same ? null : { scenario, variant };
          drawDetail();
          drawTable();
        });
        const isOpen = open && open.scenario === scenario && open.variant === variant;
        tr.append(
          h(
            "td",
            {
              class: "nur-eval-cell" + (isOpen ? " nur-eval-open" : ""),
              "data-scenario": scenario,
              "data-variant": variant,
              "data-state": view.state,
              "data-attempts": cell ? cell.attempts : 0,
              "data-passed": cell ? cell.passed : 0,
              "data-flaky": view.flaky,
              style: `background:${view.colour}`,
            },
            button,
          ),
        );
      });
      body.append(tr);
    }
    table.append(body);
  }

  function audioSlot(index, turn, kind) {
    const key = `${index}/${turn}`;
    const known = sounds.get(key) || {};
    const audio = h("audio", { class: "nur-eval-audio", controls: true, "data-row": index, "data-turn": turn, "data-kind": kind });
    if (known[kind]) audio.src = known[kind];
    return h("span", { class: "nur-eval-audio-slot", "data-kind": kind }, h("span", { text: `${kind}: ` }), audio);
  }

  function drawDetail() {
    if (!open) {
      detail.hidden = true;
      detail.replaceChildren();
      return;
    }
    detail.hidden = false;
    const rows = rowsOf(model.get("rows") || [], open.scenario, open.variant);
    detail.replaceChildren(h("div", { class: "nur-eval-detail-title", text: `${open.scenario} · ${open.variant}` }));
    if (!rows.length) detail.append(h("div", { text: "no attempt has finished yet" }));
    for (const { index, row } of rows) {
      const box = h("div", { class: "nur-eval-attempt", "data-row": index, "data-passed": row.passed });
      box.append(
        h("div", { class: "nur-eval-attempt-title" },
          h("b", { text: `attempt ${row.attempt}: ` }),
          h("span", { class: row.passed ? "nur-eval-pass" : "nur-eval-fail", text: row.passed ? "passed" : "failed" }),
          h("span", { class: "nur-eval-session", text: ` ${row.session_id}` }),
        ),
      );
      const failed = failedChecks(row);
      if (failed.length) {
        const list = h("ul", { class: "nur-eval-failed" });
        for (const check of failed) list.append(h("li", { class: "nur-eval-fail", text: `${check.name}: ${check.detail}` }));
        box.append(list);
      }
      (row.turns || []).forEach((turn, t) => {
        const line = h("div", { class: "nur-eval-turn", "data-turn": t });
        line.append(h("div", { class: "nur-eval-user", text: `user: ${turn.user ?? ""}` }));
        if (turn.transcribed && turn.transcribed !== turn.user) line.append(h("div", { class: "nur-eval-heard", text: `heard: ${turn.transcribed}` }));
        for (const call of turn.tool_calls || []) {
          line.append(h("div", { class: "nur-eval-tool", "data-name": call.name, text: `tool: ${call.name}(${JSON.stringify(call.arguments)}) → ${JSON.stringify(call.output)}` }));
        }
        const latency = turn.latency_ms === null || turn.latency_ms === undefined ? "" : ` (${Math.round(turn.latency_ms)} ms)`;
        line.append(h("div", { class: "nur-eval-agent", text: `agent: ${turn.reply ?? ""}${latency}` }));
        line.append(h("div", { class: "nur-eval-sounds" }, audioSlot(index, t, "user"), audioSlot(index, t, "agent")));
        box.append(line);
        const key = `${index}/${t}`;
        if (!asked.has(key)) {
          asked.add(key);
          model.send({ type: "audio", row: index, turn: t });
        }
      });
      detail.append(box);
    }
  }

  function onCustom(msg, buffers) {
    if (!msg || msg.type !== "audio") return;
    const key = `${msg.row}/${msg.turn}`;
    const known = sounds.get(key) || {};
    (msg.kinds || []).forEach((kind, i) => {
      const view = buffers[i];
      if (!view) return;
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
      const url = URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
      urls.push(url);
      known[kind] = url;
    });
    sounds.set(key, known);
    for (const audio of detail.querySelectorAll(`audio[data-row="${msg.row}"][data-turn="${msg.turn}"]`)) {
      const url = known[audio.dataset.kind];
      if (url) {
        audio.src = url;
        audio.closest(".nur-eval-audio-slot").dataset.loaded = "true";
      } else {
        audio.closest(".nur-eval-audio-slot").dataset.loaded = "none";
      }
    }
  }

  function redraw() {
    drawHead();
    drawTable();
    if (open) drawDetail();
  }
  const traits = "change:cells change:rows change:state change:error change:total change:scenarios change:variants change:pass_rate";
  model.on(traits, redraw);
  model.on("msg:custom", onCustom);
  redraw();
  return () => {
    model.off(traits, redraw);
    model.off("msg:custom", onCustom);
    for (const url of urls) URL.revokeObjectURL(url);
  };
}

export default { render };
