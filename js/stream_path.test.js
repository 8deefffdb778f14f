import { describe, expect, it } from "vitest";
import { StreamPath } from "./stream_path.js";

/**
 * A StreamPath and the relay socket it asks about: set `relay.open` to open or drop it.
 * @param {boolean} open
 */
function pathWithRelay(open) {
  const relay = { open };
  return { relay, p: new StreamPath(() => relay.open) };
}

describe("StreamPath", () => {
  it("keeps a stream that began on the comm there when the relay opens mid-stream", () => {
    const { relay, p } = pathWithRelay(false);
    expect(p.forFrame()).toBe("comm");
    relay.open = true;
    expect(p.forFrame()).toBe("comm");
    expect(p.forControl()).toBe("comm"); // mic_stopped follows the frames, never overtakes them
    p.end();
    expect(p.forFrame()).toBe("relay"); // the next stream takes the open relay
  });

  it("hands the rest of a stream to the comm when the relay drops", () => {
    const { relay, p } = pathWithRelay(true);
    expect(p.forFrame()).toBe("relay");
    relay.open = false;
    p.relayFailed();
    expect(p.forFrame()).toBe("comm");
    relay.open = true; // reopened: still the comm until the stream ends
    expect(p.forFrame()).toBe("comm");
    expect(p.forControl()).toBe("comm");
  });

  it("sends controls between streams on whatever is open", () => {
    const { relay, p } = pathWithRelay(false);
    expect(p.forControl()).toBe("comm");
    relay.open = true;
    expect(p.forControl()).toBe("relay");
    expect(p.path).toBe(null); // a control alone starts no stream
  });
});
