import { describe, expect, it } from "vitest";
import {
  FRAME_MS,
  FRAME_SAMPLES,
  FrameChunker,
  TRAILING_SILENCE_MS,
  Resampler,
  bytesToPcm16,
  floatToPcm16,
  meterValue,
  mixToMono,
  pcm16ToFloat,
  resample,
  recordingAsTurn,
  rms,
  toFrames,
} from "./pcm.js";

/** @param {number} freq @param {number} rate @param {number} seconds */
function sine(freq, rate, seconds, amp = 0.5) {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Zero crossings per second: a frequency estimate that survives resampling. */
function crossingsPerSecond(x, rate) {
  let n = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
  return n / (x.length / rate);
}

describe("floatToPcm16", () => {
  it("maps the full scale and clips beyond it", () => {
    const out = floatToPcm16(Float32Array.from([0, 1, -1, 0.5, -0.5, 2, -3, Number.NaN]));
    expect(Array.from(out)).toEqual([0, 32767, -32768, 16384, -16384, 32767, -32768, 0]);
  });

  it("round-trips through pcm16ToFloat within one step", () => {
    const x = sine(440, 16000, 0.05);
    const back = pcm16ToFloat(floatToPcm16(x));
    for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThan(1 / 16384);
  });
});

describe("bytesToPcm16", () => {
  it("reads little-endian samples from an unaligned DataView", () => {
    const raw = new Uint8Array([9, 0x01, 0x00, 0xff, 0x7f, 0x00, 0x80, 0xff, 0xff]);
    const view = new DataView(raw.buffer, 1, 8);
    expect(Array.from(bytesToPcm16(view))).toEqual([1, 32767, -32768, -1]);
  });
});

describe("Resampler", () => {
  it("produces the right number of samples for 48 kHz -> 16 kHz", () => {
    const out = resample(sine(300, 48000, 1), 48000, 16000);
    expect(out.length).toBe(16000);
  });

  it("keeps a tone's frequency when downsampling and upsampling", () => {
    const down = resample(sine(440, 48000, 1), 48000, 16000);
    expect(crossingsPerSecond(down, 16000)).toBeCloseTo(880, -1);
    const up = resample(sine(440, 22050, 1), 22050, 48000);
    expect(up.length).toBe(48000);
    expect(crossingsPerSecond(up, 48000)).toBeCloseTo(880, -1);
  });

  it("keeps a constant level", () => {
    const out = resample(new Float32Array(4410).fill(0.25), 44100, 16000);
    for (const v of out) expect(v).toBeCloseTo(0.25, 6);
  });

  it("attenuates a tone above the new Nyquist frequency", () => {
    const high = resample(sine(7900, 48000, 0.5), 48000, 16000);
    const low = resample(sine(1000, 48000, 0.5), 48000, 16000);
    expect(rms(high)).toBeLessThan(rms(low));
  });

  it("gives the same samples in chunks as in one piece (128-sample render quanta)", () => {
    const x = sine(523, 44100, 0.2);
    const whole = new Resampler(44100, 16000).process(x);
    const r = new Resampler(44100, 16000);
    const parts = [];
    for (let i = 0; i < x.length; i += 128) parts.push(...r.process(x.subarray(i, i + 128)));
    expect(parts.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(parts[i]).toBeCloseTo(whole[i], 6);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
  });
});

describe("frames", () => {
  it("cuts a stream into fixed frames across pushes", () => {
    const c = new FrameChunker(4);
    expect(c.push(Int16Array.from([1, 2, 3]))).toEqual([]);
    const frames = c.push(Int16Array.from([4, 5, 6, 7, 8, 9]));
    expect(frames.map((f) => Array.from(f))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(Array.from(c.flush() ?? [])).toEqual([9, 0, 0, 0]);
    expect(c.flush()).toBeNull();
  });

  it("frames of 32 ms at 16 kHz, each with its own buffer", () => {
    const frames = toFrames(new Int16Array(FRAME_SAMPLES * 2 + 1));
    expect(frames.length).toBe(3);
    expect(frames[0].byteLength).toBe(1024);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(3);
  });

  it("a recording as a turn: its frames, then the trailing silence in whole frames", () => {
    const speech = toFrames(Int16Array.from({ length: FRAME_SAMPLES + 7 }, () => 1000));
    const turn = recordingAsTurn(speech);
    const silent = Math.ceil(TRAILING_SILENCE_MS / FRAME_MS);
    expect(FRAME_MS).toBe(32);
    expect(turn.length).toBe(speech.length + silent);
    expect(turn.slice(0, speech.length)).toEqual(speech);
    expect(turn.slice(speech.length).every((f) => f.length === FRAME_SAMPLES && f.every((v) => v === 0))).toBe(true);
    expect(speech.length).toBe(2); // the input is not changed
  });
});

describe("levels and mixing", () => {
  it("meter maps -60..0 dBFS to 0..1", () => {
    expect(meterValue(0)).toBe(0);
    expect(meterValue(1)).toBe(1);
    expect(meterValue(0.001)).toBeCloseTo(0, 6);
    expect(meterValue(Math.SQRT1_2)).toBeCloseTo(0.95, 2);
  });

  it("mixes channels to mono", () => {
    const m = mixToMono([Float32Array.from([1, 0, 0.5]), Float32Array.from([0, 1, 0.5])]);
    expect(Array.from(m)).toEqual([0.5, 0.5, 0.5]);
  });
});
