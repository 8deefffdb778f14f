import { describe, expect, it } from "vitest";
import { StreamPath } from "./stream_path.js";

describe("StreamPath", () => {
  it("keeps a stream that began on the comm there when the relay opens mid-stream", () => {
    let open = false;
    const p = new StreamPath(() => open);
    expect(p.forFrame()).toBe("comm");
    open = true;
    expect(p.forFrame()).toBe("comm");
    expect(p.forControl()).toBe("comm"); // mic_stopped follows the frames, never overtakes them
    p.end();
    expect(p.forFrame()).toBe("relay"); // the next stream takes the open relay
  });

  it("hands the rest of a stream to the comm when the relay drops", () => {
    let open = true;
    const p = new StreamPath(() => open);
    expect(p.forFrame()).toBe("relay");
    open = false;
    p.relayFailed();
    expect(p.forFrame()).toBe("comm");
    open = true; // reopened: still the comm until the stream ends
    expect(p.forFrame()).toBe("comm");
    expect(p.forControl()).toBe("comm");
  });

  it("sends controls between streams on whatever is open", () => {
    let open = false;
    const p = new StreamPath(() => open);
    expect(p.forControl()).toBe("comm");
    open = true;
    expect(p.forControl()).toBe("relay");
    expect(p.path).toBe(null); // a control alone starts no stream
  });
});
