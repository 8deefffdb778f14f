// AudioWorklet processor of the agent's voice: PCM16 chunks at the engine's rate, resampled to
// the context's rate, through a small jitter buffer. "flush" (an interruption or a newer
// response generation) empties it at once; chunks of older generations are dropped.
/* global AudioWorkletProcessor, registerProcessor, sampleRate */

import { GenerationGate, JitterBuffer } from "./jitter.js";
import { Resampler, pcm16ToFloat } from "./pcm.js";

/** Audio to hold before starting a response: 80 ms absorbs kernel/WebSocket jitter. */
const PREBUFFER_S = 0.08;

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.jitter = new JitterBuffer({ prebuffer: Math.round(sampleRate * PREBUFFER_S) });
    this.gate = new GenerationGate();
    /** @type {Resampler | null} */
    this.resampler = null;
    this.fromRate = 0;
    this.wasPlaying = false;
    this.sinceReport = 0;
    this.port.onmessage = (ev) => this.onMessage(ev.data);
  }

  /** @param {any} msg */
  onMessage(msg) {
    if (msg.type === "audio") {
      const verdict = this.gate.admit(msg.generation);
      if (verdict === "drop") return; // a late chunk of an interrupted or older response
      if (verdict === "new") this.jitter.flush();
      if (!this.resampler || this.fromRate !== msg.sampleRate) {
        this.resampler = new Resampler(msg.sampleRate, sampleRate);
        this.fromRate = msg.sampleRate;
      }
      const pcm = new Int16Array(msg.pcm);
      this.jitter.push(this.resampler.process(pcm16ToFloat(pcm)));
    } else if (msg.type === "flush") {
      const dropped = this.jitter.flush();
      this.gate.cut(typeof msg.generation === "number" ? msg.generation : undefined);
      this.port.postMessage({ type: "flushed", droppedMs: (1000 * dropped) / sampleRate });
    }
  }

  /** @param {Float32Array[][]} _inputs @param {Float32Array[][]} outputs */
  process(_inputs, outputs) {
    const out = outputs[0];
    if (!out || out.length === 0) return true;
    const written = this.jitter.render(out[0]);
    for (let c = 1; c < out.length; c++) out[c].set(out[0]);
    this.sinceReport += written;
    const playing = written > 0;
    if (playing !== this.wasPlaying || this.sinceReport >= sampleRate / 10) {
      this.port.postMessage({
        type: "played",
        ms: (1000 * this.sinceReport) / sampleRate,
        playing,
        queuedMs: (1000 * this.jitter.queued) / sampleRate,
      });
      this.sinceReport = 0;
      this.wasPlaying = playing;
    }
    return true;
  }
}

registerProcessor("nur-playback", PlaybackProcessor);
