import { describe, expect, it } from "vitest";
import { RelaySocket, decodeAgentAudio, encodeMicFrame, pageConfig, relayUrl } from "./relay.js";

/** The bits of a Document that pageConfig reads. */
function fakeDocument({ script, baseUrl } = {}) {
  return {
    getElementById: (id) => (id === "jupyter-config-data" && script !== undefined ? { textContent: script } : null),
    body: { dataset: baseUrl === undefined ? {} : { baseUrl } },
  };
}

describe("relay URL", () => {
  it("comes from the page config's base URL, as ws: or wss: like the page", () => {
    const config = pageConfig(fakeDocument({ script: JSON.stringify({ baseUrl: "/user/ada/", token: "" }) }));
    expect(config).toEqual({ baseUrl: "/user/ada/", token: "" });
    const relay = { port: 40123, token: "abc_DEF-9" };
    expect(relayUrl(config, relay, "http://127.0.0.1:8888/lab/tree/x.ipynb")).toBe(
      "ws://127.0.0.1:8888/user/ada/nur-notebook/relay/40123/abc_DEF-9",
    );
    expect(relayUrl(config, relay, "https://hub.example.org/user/ada/lab")).toBe(
      "wss://hub.example.org/user/ada/nur-notebook/relay/40123/abc_DEF-9",
    );
  });

  it("falls back to the body's data attribute and carries a page token", () => {
    expect(pageConfig(fakeDocument({ script: "not json", baseUrl: "/" }))).toEqual({ baseUrl: "/", token: "" });
    const config = { baseUrl: "/base", token: "t0k" };
    expect(relayUrl(config, { port: 5, token: "x" }, "http://h:1/")).toBe("ws://h:1/base/nur-notebook/relay/5/x?token=t0k");
  });

  it("is null where there is no Jupyter page or no relay", () => {
    expect(pageConfig(undefined)).toBeNull();
    expect(pageConfig(fakeDocument())).toBeNull(); // VS Code, Colab: no base URL anywhere
    const config = { baseUrl: "/", token: "" };
    expect(relayUrl(null, { port: 5, token: "x" }, "http://h/")).toBeNull();
    expect(relayUrl(config, { port: 0, token: "x" }, "http://h/")).toBeNull();
    expect(relayUrl(config, { port: 70000, token: "x" }, "http://h/")).toBeNull();
    expect(relayUrl(config, { port: 5, token: "" }, "http://h/")).toBeNull();
    expect(relayUrl(config, { port: 5, token: "../../api" }, "http://h/")).toBeNull();
    expect(relayUrl(config, { port: 5, token: "x" }, "vscode-webview://abc/index.html")).toBeNull();
  });
});

describe("relay messages", () => {
  it("a microphone frame carries its stamp before the PCM", () => {
    const pcm = new Int16Array([1, -2, 3]).buffer;
    const msg = encodeMicFrame(pcm, 1712345678901.25);
    expect(msg.byteLength).toBe(8 + 6);
    const view = new DataView(msg);
    expect(view.getFloat64(0, true)).toBe(1712345678901.25);
    expect(Array.from(new Int16Array(msg.slice(8)))).toEqual([1, -2, 3]);
  });

  it("agent audio: sample rate and generation, then the PCM", () => {
    const msg = new ArrayBuffer(8 + 4);
    const view = new DataView(msg);
    view.setUint32(0, 22050, true);
    view.setInt32(4, 7, true);
    view.setInt16(8, 1000, true);
    view.setInt16(10, -1000, true);
    const audio = decodeAgentAudio(msg);
    expect(audio.sampleRate).toBe(22050);
    expect(audio.generation).toBe(7);
    expect(audio.pcm.byteLength).toBe(4);
    expect(audio.pcm.getInt16(2, true)).toBe(-1000);
    expect(decodeAgentAudio(new ArrayBuffer(5))).toBeNull();
  });
});

/** Stands in for the browser's WebSocket: records what is sent, lets a test drive events. */
class ScriptedSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    ScriptedSocket.last = this;
  }
  send(data) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
}

describe("RelaySocket", () => {
  const make = () => {
    const seen = { states: [], audio: [], messages: [] };
    const relay = new RelaySocket(
      "ws://h/r",
      {
        onAudio: (a) => seen.audio.push(a.generation),
        onMessage: (m) => seen.messages.push(m.type),
        onState: (s) => seen.states.push(s),
      },
      /** @type {any} */ (ScriptedSocket),
    );
    return { relay, ws: ScriptedSocket.last, seen };
  };

  it("sends nothing before it opens, then frames and JSON in order", () => {
    const { relay, ws, seen } = make();
    expect(ws.binaryType).toBe("arraybuffer");
    expect(relay.sendFrame(new ArrayBuffer(4), 1)).toBe(false);
    ws.readyState = 1;
    ws.onopen();
    expect(seen.states).toEqual(["relay"]);
    expect(relay.sendFrame(new ArrayBuffer(4), 2)).toBe(true);
    expect(relay.sendJson({ type: "control", action: "mic_stopped" })).toBe(true);
    expect(ws.sent.length).toBe(2);
    expect(ws.sent[0].byteLength).toBe(12);
    expect(JSON.parse(ws.sent[1]).action).toBe("mic_stopped");
  });

  it("hands agent audio and JSON messages on, ignoring garbage", () => {
    const { ws, seen } = make();
    const msg = new ArrayBuffer(10);
    new DataView(msg).setInt32(4, 3, true);
    ws.onmessage({ data: msg });
    ws.onmessage({ data: new ArrayBuffer(3) });
    ws.onmessage({ data: '{"type":"flush","generation":3}' });
    ws.onmessage({ data: "{broken" });
    expect(seen.audio).toEqual([3]);
    expect(seen.messages).toEqual(["flush"]);
  });

  it("falls back to the comm for good when it fails or drops", () => {
    const failed = make();
    failed.ws.onerror();
    failed.ws.onclose();
    expect(failed.seen.states).toEqual(["comm"]);
    expect(failed.relay.sendFrame(new ArrayBuffer(2), 1)).toBe(false);

    const dropped = make();
    dropped.ws.readyState = 1;
    dropped.ws.onopen();
    dropped.ws.readyState = 2; // closing: the close event has not fired yet
    expect(dropped.relay.sendFrame(new ArrayBuffer(2), 1)).toBe(false);
    expect(dropped.seen.states).toEqual(["relay", "comm"]);
    dropped.ws.onopen(); // a late open never revives it
    expect(dropped.relay.open).toBe(false);
    expect(dropped.ws.sent).toEqual([]);
  });
});
