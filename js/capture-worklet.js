// AudioWorklet processor of the microphone: the context's rate -> 16 kHz mono PCM16 frames of
// FRAME_SAMPLES, posted to the main thread as transferable ArrayBuffers, plus a level for the
// meter about every 50 ms. Bundled by esbuild into a string and loaded from a Blob URL.
/* global AudioWorkletProcessor, registerProcessor, sampleRate */

import { FrameChunker, INPUT_RATE, Resampler, floatToPcm16, rms } from "./pcm.js";

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new Resampler(sampleRate, INPUT_RATE);
    this.chunker = new FrameChunker();
    this.running = true;
    this.levelEvery = Math.round(sampleRate / 20);
    this.sinceLevel = 0;
    this.peak = 0;
    this.port.onmessage = (ev) => {
      if (ev.data && ev.data.type === "stop") {
        const rest = this.chunker.flush();
        if (rest) this.post(rest);
        this.running = false;
        this.port.postMessage({ type: "stopped" });
      }
    };
  }

  /** @param {Int16Array} frame */
  post(frame) {
    const buffer = frame.buffer;
    this.port.postMessage({ type: "frame", pcm: buffer, t: Date.now() }, [buffer]);
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    if (!this.running) return false;
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    let mono = channels[0];
    if (channels.length > 1) {
      mono = new Float32Array(channels[0].length);
      for (const ch of channels) for (let i = 0; i < mono.length; i++) mono[i] += ch[i] / channels.length;
    }
    this.peak = Math.max(this.peak, rms(mono));
    this.sinceLevel += mono.length;
    if (this.sinceLevel >= this.levelEvery) {
      this.port.postMessage({ type: "level", value: this.peak });
      this.sinceLevel = 0;
      this.peak = 0;
    }
    const pcm = floatToPcm16(this.resampler.process(mono));
    for (const frame of this.chunker.push(pcm)) this.post(frame);
    return true;
  }
}

registerProcessor("nur-capture", CaptureProcessor);
