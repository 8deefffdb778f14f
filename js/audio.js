// Web Audio side of the widget: the microphone (getUserMedia -> capture worklet -> PCM16 frames),
// the agent's voice (PCM16 chunks -> playback worklet), and WAV files decoded in the browser.
// Worklets are bundled to strings at build time and loaded from Blob URLs (no extra files to
// serve from the Jupyter server).

import captureSource from "./capture-worklet.js?worklet";
import playbackSource from "./playback-worklet.js?worklet";
import { GenerationGate } from "./jitter.js";
import { INPUT_RATE, floatToPcm16, mixToMono, pcm16ToFloat, resample, toFrames } from "./pcm.js";

/** @param {string} source */
function blobUrl(source) {
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}

/**
 * What the page offers for capture; a non-secure context hides getUserMedia and AudioWorklet.
 * @returns {{secure: boolean, hasMediaDevices: boolean, host: string}}
 */
export function micSupport() {
  const w = globalThis.window;
  return {
    secure: Boolean(w && w.isSecureContext),
    hasMediaDevices: Boolean(
      globalThis.navigator &&
        navigator.mediaDevices &&
        typeof navigator.mediaDevices.getUserMedia === "function" &&
        typeof globalThis.AudioWorkletNode === "function",
    ),
    host: w ? w.location.host : "",
  };
}

/** The microphone: 16 kHz PCM16 frames and a level, until stopped. */
export class Mic {
  /**
   * @param {{onFrame: (pcm: ArrayBuffer, t: number) => void, onLevel: (level: number) => void}} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    /** @type {AudioContext | null} */
    this.ctx = null;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {AudioWorkletNode | null} */
    this.node = null;
  }

  get active() {
    return this.ctx !== null;
  }

  /** Open the microphone; rejects with the browser's DOMException when it cannot. */
  async start() {
    // The capture graph is ready before the device opens: a worklet compiled after it
    // (hundreds of ms on a slow or cold machine) would clip the user's first words.
    const ctx = new AudioContext({ latencyHint: "interactive" });
    let stream;
    try {
      const url = blobUrl(captureSource);
      try {
        await ctx.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          channelCount: 1,
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
        },
      });
    } catch (err) {
      await ctx.close();
      throw err;
    }
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "nur-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      channelCount: 1,
      channelCountMode: "explicit",
    });
    node.port.onmessage = (ev) => {
      const msg = ev.data;
      if (msg.type === "frame") this.hooks.onFrame(msg.pcm, msg.t);
      else if (msg.type === "level") this.hooks.onLevel(msg.value);
    };
    // A muted path to the destination keeps the graph pulling the worklet in every browser.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(node).connect(mute).connect(ctx.destination);
    if (ctx.state === "suspended") await ctx.resume();
    this.ctx = ctx;
    this.stream = stream;
    this.node = node;
  }

  /** Stop capturing: the partial frame is sent, the device is released. */
  async stop() {
    const { ctx, stream, node } = this;
    this.ctx = null;
    this.stream = null;
    this.node = null;
    if (node) node.port.postMessage({ type: "stop" });
    if (stream) for (const track of stream.getTracks()) track.stop();
    this.hooks.onLevel(0);
    // Give the worklet one render quantum to post its last frame before closing.
    await new Promise((r) => setTimeout(r, 30));
    if (ctx) await ctx.close();
  }
}

/** @typedef {{postMessage: (msg: any, transfer?: Transferable[]) => void}} VoiceSink */
/** @typedef {(info: {ms: number, playing: boolean, queuedMs: number}) => void} PlayedHook */

/** Start of a response held back, as in the playback worklet. */
const FALLBACK_PREBUFFER_S = 0.08;

/**
 * Agent audio through AudioBufferSourceNodes, for pages without AudioWorklet (not a secure
 * context): the same messages as the playback worklet, scheduled back to back.
 */
class BufferSink {
  /** @param {AudioContext} ctx @param {PlayedHook} onPlayed */
  constructor(ctx, onPlayed) {
    this.ctx = ctx;
    this.onPlayed = onPlayed;
    this.gate = new GenerationGate();
    this.next = 0;
    /** @type {Set<AudioBufferSourceNode>} */
    this.sources = new Set();
  }

  /** @param {any} msg */
  postMessage(msg) {
    if (msg.type === "flush") {
      this.gate.cut(typeof msg.generation === "number" ? msg.generation : undefined);
      this.stopAll();
      return;
    }
    if (msg.type !== "audio") return;
    const verdict = this.gate.admit(msg.generation);
    if (verdict === "drop") return;
    if (verdict === "new") this.stopAll();
    const pcm = new Int16Array(msg.pcm);
    if (pcm.length === 0) return;
    const buffer = this.ctx.createBuffer(1, pcm.length, msg.sampleRate);
    buffer.copyToChannel(pcm16ToFloat(pcm), 0);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const at = Math.max(this.next, this.ctx.currentTime + FALLBACK_PREBUFFER_S);
    source.start(at);
    this.next = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => {
      // A stopped source was already removed: only audio that played is counted.
      if (this.sources.delete(source)) {
        this.onPlayed({ ms: 1000 * buffer.duration, playing: this.sources.size > 0, queuedMs: 0 });
      }
    };
  }

  stopAll() {
    const playing = [...this.sources];
    this.sources.clear();
    for (const s of playing) s.stop();
    this.next = 0;
  }
}

/** The agent's voice: one AudioContext and playback worklet, created on first use. */
export class Player {
  /** @param {{onPlayed: PlayedHook}} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    /** @type {Promise<VoiceSink> | null} */
    this.ready = null;
    /** @type {AudioContext | null} */
    this.ctx = null;
  }

  /** Create (or resume) the audio graph; call from a user gesture where possible. */
  ensure() {
    if (this.ctx && this.ctx.state === "suspended") this.ctx.resume();
    if (this.ready) return this.ready;
    this.ready = (async () => {
      const ctx = new AudioContext({ latencyHint: "interactive" });
      this.ctx = ctx;
      if (!ctx.audioWorklet) return new BufferSink(ctx, this.hooks.onPlayed);
      const url = blobUrl(playbackSource);
      try {
        await ctx.audioWorklet.addModule(url);
      } finally {
        URL.revokeObjectURL(url);
      }
      const node = new AudioWorkletNode(ctx, "nur-playback", {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
      });
      node.port.onmessage = (ev) => {
        if (ev.data.type === "played") this.hooks.onPlayed(ev.data);
      };
      node.connect(ctx.destination);
      if (ctx.state === "suspended") await ctx.resume();
      return /** @type {VoiceSink} */ ({
        postMessage: (msg, transfer) => node.port.postMessage(msg, transfer || []),
      });
    })();
    return this.ready;
  }

  /**
   * Queue one chunk of agent audio.
   * @param {DataView} data PCM16 LE mono as the comm delivers it
   * @param {number} sampleRate
   * @param {number} generation
   */
  async push(data, sampleRate, generation) {
    // Copy out of the comm's buffer: the DataView may share memory with other messages.
    const pcm = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const sink = await this.ensure();
    sink.postMessage({ type: "audio", pcm, sampleRate, generation }, [pcm]);
  }

  /** Drop queued audio now (an interruption). @param {number} [generation] */
  async flush(generation) {
    if (!this.ready) return;
    const sink = await this.ready;
    sink.postMessage({ type: "flush", generation });
  }

  async close() {
    const ctx = this.ctx;
    this.ctx = null;
    this.ready = null;
    if (ctx) await ctx.close();
  }
}

/**
 * Decode an audio file (WAV or anything the browser reads) to 16 kHz PCM16 frames.
 * @param {ArrayBuffer} bytes
 * @returns {Promise<Int16Array[]>}
 */
export async function decodeToFrames(bytes) {
  const ctx = new OfflineAudioContext(1, 1, 44100);
  const audio = await ctx.decodeAudioData(bytes);
  const channels = [];
  for (let c = 0; c < audio.numberOfChannels; c++) channels.push(audio.getChannelData(c));
  const mono = resample(mixToMono(channels), audio.sampleRate, INPUT_RATE);
  return toFrames(floatToPcm16(mono));
}
