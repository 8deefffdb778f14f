// Pure PCM helpers shared by the capture worklet, the WAV-file input and the playback path.
// No DOM, no Web Audio: everything here runs under Vitest in Node.

/** Sample rate the session expects for user audio. */
export const INPUT_RATE = 16000;

/**
 * Samples per frame sent to the kernel: 32 ms at 16 kHz, one Silero VAD window, inside the
 * 20-40 ms range that keeps latency low without flooding the comm channel.
 */
export const FRAME_SAMPLES = 512;

/** Milliseconds per frame (FRAME_SAMPLES at INPUT_RATE). */
export const FRAME_MS = (FRAME_SAMPLES * 1000) / INPUT_RATE;

/**
 * Silence sent after a recording so the server's voice activity detection ends the turn.
 * The same constants as the kernel's nur_notebook/protocol/pcm.py (a Python test compares them).
 */
export const TRAILING_SILENCE_MS = 1200;

/**
 * Float samples in [-1, 1] to signed 16-bit integers (clipped, rounded to nearest).
 * @param {Float32Array} input
 * @returns {Int16Array}
 */
export function floatToPcm16(input) {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    let s = input[i];
    if (!(s === s)) s = 0; // NaN from a broken source becomes silence
    if (s > 1) s = 1;
    else if (s < -1) s = -1;
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return out;
}

/**
 * Signed 16-bit integers to float samples in [-1, 1).
 * @param {Int16Array} input
 * @returns {Float32Array}
 */
export function pcm16ToFloat(input) {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input[i] / 0x8000;
  return out;
}

/**
 * Little-endian PCM16 bytes (as the kernel sends them) to an Int16Array, whatever the view's
 * alignment: comm buffers arrive as DataViews at arbitrary byte offsets.
 * @param {DataView | ArrayBuffer | Uint8Array} data
 * @returns {Int16Array}
 */
export function bytesToPcm16(data) {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const n = bytes.length >> 1;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const v = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    out[i] = v >= 0x8000 ? v - 0x10000 : v;
  }
  return out;
}

/**
 * Root-mean-square level of float samples, for the level meter.
 * @param {Float32Array} samples
 * @returns {number}
 */
export function rms(samples) {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/**
 * A level meter value in [0, 1] from an RMS level: -60 dBFS..0 dBFS mapped linearly.
 * @param {number} level
 * @returns {number}
 */
export function meterValue(level) {
  if (level <= 0) return 0;
  const db = 20 * Math.log10(level);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

/**
 * Streaming resampler: linear interpolation after a moving-average low-pass when downsampling
 * (so 48 kHz speech does not alias into the 16 kHz band). State carries across chunks, so
 * feeding a signal in pieces gives the same samples as feeding it at once.
 */
export class Resampler {
  /**
   * @param {number} fromRate
   * @param {number} toRate
   */
  constructor(fromRate, toRate) {
    if (!(fromRate > 0) || !(toRate > 0)) {
      throw new RangeError(`sample rates must be positive (got ${fromRate} -> ${toRate})`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    /** Input samples per output sample. */
    this.step = fromRate / toRate;
    /** Low-pass width in input samples (1 = no filtering). */
    this.taps = this.step > 1 ? Math.max(1, Math.round(this.step)) : 1;
    /** @type {number[]} last filtered input samples kept for interpolation across chunks */
    this.history = [];
    /** @type {number[]} raw input samples kept for the moving average across chunks */
    this.raw = [];
    /** Position of the next output sample, in filtered-input samples, relative to history[0]. */
    this.pos = 0;
  }

  /**
   * Resample one chunk; returns the output samples that chunk completes.
   * @param {Float32Array} input
   * @returns {Float32Array}
   */
  process(input) {
    const filtered = this.history.slice();
    for (let i = 0; i < input.length; i++) {
      this.raw.push(input[i]);
      if (this.raw.length > this.taps) this.raw.shift();
      let sum = 0;
      for (const v of this.raw) sum += v;
      filtered.push(sum / this.raw.length);
    }
    /** @type {number[]} */
    const out = [];
    while (this.pos + 1 < filtered.length) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      out.push(filtered[i] * (1 - frac) + filtered[i + 1] * frac);
      this.pos += this.step;
    }
    // Keep the sample under the next position (and the last one, for interpolation).
    const keep = Math.max(0, Math.min(Math.floor(this.pos), filtered.length - 1));
    this.history = filtered.slice(keep);
    this.pos -= keep;
    return Float32Array.from(out);
  }
}

/**
 * Resample a whole signal at once (used for WAV files decoded in the browser).
 * @param {Float32Array} input
 * @param {number} fromRate
 * @param {number} toRate
 * @returns {Float32Array}
 */
export function resample(input, fromRate, toRate) {
  if (fromRate === toRate) return input.slice();
  const r = new Resampler(fromRate, toRate);
  const body = r.process(input);
  // Flush: pad with the last sample so the tail is emitted, then trim to the exact length.
  const expected = Math.round((input.length * toRate) / fromRate);
  if (body.length >= expected) return body.slice(0, expected);
  const last = input.length ? input[input.length - 1] : 0;
  const pad = new Float32Array(Math.ceil(r.step) + 2).fill(last);
  const tail = r.process(pad);
  const out = new Float32Array(expected);
  out.set(body);
  out.set(tail.subarray(0, expected - body.length), body.length);
  return out;
}

/**
 * Mix the channels of a decoded buffer down to mono.
 * @param {Float32Array[]} channels
 * @returns {Float32Array}
 */
export function mixToMono(channels) {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0].slice();
  const n = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) out[i] += ch[i] / channels.length;
  return out;
}

/**
 * Cuts a stream of PCM16 samples into fixed-size frames.
 */
export class FrameChunker {
  /** @param {number} [size] samples per frame */
  constructor(size = FRAME_SAMPLES) {
    this.size = size;
    this.buf = new Int16Array(size);
    this.fill = 0;
  }

  /**
   * Add samples; returns the frames they complete (each a fresh Int16Array of `size`).
   * @param {Int16Array} samples
   * @returns {Int16Array[]}
   */
  push(samples) {
    /** @type {Int16Array[]} */
    const frames = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(this.size - this.fill, samples.length - i);
      this.buf.set(samples.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === this.size) {
        frames.push(this.buf);
        this.buf = new Int16Array(this.size);
        this.fill = 0;
      }
    }
    return frames;
  }

  /**
   * The partial frame held back, zero-padded to a whole frame (or null if empty).
   * @returns {Int16Array | null}
   */
  flush() {
    if (this.fill === 0) return null;
    const frame = this.buf;
    this.buf = new Int16Array(this.size);
    this.fill = 0;
    return frame;
  }
}

/**
 * Split a whole PCM16 signal into frames (the last one zero-padded).
 * @param {Int16Array} pcm
 * @param {number} [size]
 * @returns {Int16Array[]}
 */
export function toFrames(pcm, size = FRAME_SAMPLES) {
  const chunker = new FrameChunker(size);
  const frames = chunker.push(pcm);
  const rest = chunker.flush();
  if (rest) frames.push(rest);
  return frames;
}

/**
 * A recording's frames as one user turn: the frames, then TRAILING_SILENCE_MS of silent frames
 * (as the kernel's recording_as_turn does).
 * @param {Int16Array[]} frames
 * @returns {Int16Array[]}
 */
export function recordingAsTurn(frames) {
  const silent = Math.ceil(TRAILING_SILENCE_MS / FRAME_MS);
  const out = frames.slice();
  for (let i = 0; i < silent; i++) out.push(new Int16Array(FRAME_SAMPLES));
  return out;
}
