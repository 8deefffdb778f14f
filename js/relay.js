// The audio data plane beside the comm: a WebSocket to the kernel's relay socket, through the
// Jupyter server's route `{baseUrl}nur-notebook/relay/<port>/<token>` (the package's server
// extension). Messages (see nur_notebook/notebook/relay_socket.py):
//   browser -> kernel  binary: float64 LE wall-clock ms, then one PCM16 frame
//                      text:   JSON {type: "control", ...} or {type: "pong", ...}
//   kernel -> browser  binary: uint32 LE sample rate, int32 LE generation, then agent PCM16
//                      text:   JSON {type: "flush", generation} or {type: "ping", id, t}
// Anything that cannot go this way (no route: VS Code, Colab, an old server; a dropped socket)
// goes over the comm instead; `RelaySocket.open` says which is live.

export const MIC_HEADER_BYTES = 8;
export const AUDIO_HEADER_BYTES = 8;
export const RELAY_ROUTE = "nur-notebook/relay";

/**
 * The Jupyter page's base URL and token: the `jupyter-config-data` script (JupyterLab 4 and
 * Notebook 7), else `document.body.dataset.baseUrl`; null where neither exists.
 * @param {Document | undefined} doc
 * @returns {{baseUrl: string, token: string} | null}
 */
export function pageConfig(doc) {
  if (!doc) return null;
  const script = doc.getElementById && doc.getElementById("jupyter-config-data");
  if (script && script.textContent) {
    try {
      const data = JSON.parse(script.textContent);
      if (data && typeof data.baseUrl === "string") {
        return { baseUrl: data.baseUrl, token: typeof data.token === "string" ? data.token : "" };
      }
    } catch {
      // not JSON: try the body's data attribute
    }
  }
  const base = doc.body && doc.body.dataset ? doc.body.dataset.baseUrl : undefined;
  return typeof base === "string" && base ? { baseUrl: base, token: "" } : null;
}

/**
 * The relay WebSocket URL, or null when there is nothing to connect to.
 * @param {{baseUrl: string, token: string} | null} config the page's (see pageConfig)
 * @param {{port: number, token: string}} relay the widget's synced relay_port / relay_token
 * @param {string} pageUrl the page's own URL (location.href)
 */
export function relayUrl(config, relay, pageUrl) {
  const port = Number(relay.port);
  if (!config || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  if (!relay.token || !/^[A-Za-z0-9_-]+$/.test(relay.token)) return null;
  const base = config.baseUrl.endsWith("/") ? config.baseUrl : `${config.baseUrl}/`;
  const url = new URL(`${base}${RELAY_ROUTE}/${port}/${relay.token}`, pageUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (config.token) url.searchParams.set("token", config.token);
  return url.href;
}

/**
 * One microphone frame with its wall-clock stamp in front.
 * @param {ArrayBuffer} pcm @param {number} t
 */
export function encodeMicFrame(pcm, t) {
  const out = new Uint8Array(MIC_HEADER_BYTES + pcm.byteLength);
  new DataView(out.buffer).setFloat64(0, t, true);
  out.set(new Uint8Array(pcm), MIC_HEADER_BYTES);
  return out.buffer;
}

/**
 * A binary message of agent audio, or null when it is too short to be one.
 * @param {ArrayBuffer} data
 * @returns {{sampleRate: number, generation: number, pcm: DataView} | null}
 */
export function decodeAgentAudio(data) {
  if (data.byteLength < AUDIO_HEADER_BYTES) return null;
  const view = new DataView(data);
  return {
    sampleRate: view.getUint32(0, true),
    generation: view.getInt32(4, true),
    pcm: new DataView(data, AUDIO_HEADER_BYTES),
  };
}

/**
 * The relay WebSocket of one widget model. `open` is true only while it can carry messages;
 * `onState` hears "relay" when it opens and "comm" when it fails or drops (for good: the comm
 * carries the rest of the conversation).
 */
export class RelaySocket {
  /**
   * @param {string} url
   * @param {{onAudio: (a: {sampleRate: number, generation: number, pcm: DataView}) => void,
   *          onMessage: (msg: any) => void, onState: (transport: "relay" | "comm") => void}} hooks
   * @param {typeof WebSocket} [Socket] the WebSocket class (the browser's by default)
   */
  constructor(url, hooks, Socket = globalThis.WebSocket) {
    this.hooks = hooks;
    this.open = false;
    this.ended = false;
    this.ws = new Socket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      if (this.ended) return;
      this.open = true;
      this.hooks.onState("relay");
    };
    this.ws.onmessage = (ev) => this.receive(ev.data);
    this.ws.onclose = () => this.end();
    this.ws.onerror = () => this.end();
  }

  /** @param {ArrayBuffer | string} data */
  receive(data) {
    if (typeof data === "string") {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        return;
      }
      if (msg && typeof msg === "object") this.hooks.onMessage(msg);
      return;
    }
    const audio = decodeAgentAudio(data);
    if (audio) this.hooks.onAudio(audio);
  }

  /**
   * Send a microphone frame; false (nothing sent) when the socket is not open.
   * @param {ArrayBuffer} pcm @param {number} t
   */
  sendFrame(pcm, t) {
    if (!this.usable()) return false;
    this.ws.send(encodeMicFrame(pcm, t));
    return true;
  }

  /** Send a JSON message; false (nothing sent) when the socket is not open. @param {object} msg */
  sendJson(msg) {
    if (!this.usable()) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  usable() {
    // readyState 1 is OPEN; a closing socket would silently drop what it is given.
    if (this.open && this.ws.readyState !== 1) this.end();
    return this.open;
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.open = false;
    this.hooks.onState("comm");
    try {
      this.ws.close();
    } catch {
      // already closed
    }
  }
}
