// Pure jitter buffer of the agent's voice, used by the playback worklet: a queue of float chunks
// that starts playing once `prebuffer` samples are queued (or the first chunk has waited that
// long), pads underruns with silence, and drops everything queued at once on flush.

export class JitterBuffer {
  /**
   * @param {{prebuffer: number}} options samples to queue before playback starts
   */
  constructor({ prebuffer }) {
    this.prebuffer = prebuffer;
    /** @type {Float32Array[]} */
    this.queue = [];
    this.offset = 0; // read position inside queue[0]
    this.queued = 0;
    this.playing = false;
    this.waited = 0; // output samples rendered while waiting for the prebuffer
    this.played = 0; // samples of real audio rendered since the last reset
    this.underruns = 0;
  }

  /** @param {Float32Array} chunk */
  push(chunk) {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  /** Drop every queued sample now (an interruption); returns how many were dropped. */
  flush() {
    const dropped = this.queued;
    this.queue = [];
    this.offset = 0;
    this.queued = 0;
    this.playing = false;
    this.waited = 0;
    return dropped;
  }

  /**
   * Fill `out` with the next samples (silence where there are none); returns the number of
   * real samples written.
   * @param {Float32Array} out
   */
  render(out) {
    out.fill(0);
    if (!this.playing) {
      if (this.queued === 0) return 0;
      this.waited += out.length;
      if (this.queued < this.prebuffer && this.waited < this.prebuffer) return 0;
      this.playing = true;
    }
    let written = 0;
    while (written < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      const n = Math.min(out.length - written, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + n), written);
      written += n;
      this.offset += n;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    this.queued -= written;
    this.played += written;
    if (this.queued === 0) {
      // Drained: the next chunk waits for a fresh prebuffer unless it arrives right away.
      if (written < out.length) this.underruns += 1;
      this.playing = false;
      this.waited = 0;
    }
    return written;
  }
}

/**
 * Which response generation's audio may play. A newer generation replaces the queued audio;
 * after an interruption (`cut`), late chunks of that generation and older ones are dropped.
 */
export class GenerationGate {
  constructor() {
    this.current = -1;
    this.cutoff = -1;
  }

  /**
   * @param {number} generation of an arriving chunk
   * @returns {"drop" | "new" | "same"} drop it, flush then queue it, or queue it
   */
  admit(generation) {
    if (generation <= this.cutoff || generation < this.current) return "drop";
    if (generation > this.current) {
      this.current = generation;
      return "new";
    }
    return "same";
  }

  /** An interruption: nothing of `generation` (or before it) plays any more. */
  cut(generation = this.current) {
    this.cutoff = Math.max(this.cutoff, generation);
  }
}
