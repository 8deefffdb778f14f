// Which way an audio stream goes: the relay socket or the comm. Pure; no DOM, no sockets.
//
// A stream (one microphone session, one WAV file) keeps the path its first frame took until
// its closing control message, so frames and controls never overtake each other when the
// relay opens mid-stream (the comm is slower: frames sent on it earlier would arrive after
// newer ones sent on the relay). A relay that refuses a frame hands the rest of the stream to
// the comm; what the relay already carried arrived first, so the order still holds.

/** @typedef {"relay" | "comm"} Path */

export class StreamPath {
  /** @param {() => boolean} relayUsable whether the relay socket is open right now */
  constructor(relayUsable) {
    this.relayUsable = relayUsable;
    /** @type {Path | null} the stream's path; null between streams */
    this.path = null;
  }

  /** The path of the next frame (the first frame of a stream picks it). @returns {Path} */
  forFrame() {
    if (this.path === null) this.path = this.relayUsable() ? "relay" : "comm";
    return this.path;
  }

  /** The relay refused a frame: the rest of this stream goes over the comm. */
  relayFailed() {
    this.path = "comm";
  }

  /** The path of a control message: the stream's, or the best one between streams. @returns {Path} */
  forControl() {
    return this.path ?? (this.relayUsable() ? "relay" : "comm");
  }

  /** The stream is over (its closing control message was sent): the next one picks again. */
  end() {
    this.path = null;
  }
}
