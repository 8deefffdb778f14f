import { describe, expect, it } from "vitest";
import { GenerationGate, JitterBuffer } from "./jitter.js";

const block = () => new Float32Array(128);

describe("JitterBuffer", () => {
  it("holds audio until the prebuffer is reached, then plays it in order", () => {
    const j = new JitterBuffer({ prebuffer: 200 });
    j.push(new Float32Array(100).fill(0.1));
    const out = block();
    expect(j.render(out)).toBe(0);
    expect(out.every((v) => v === 0)).toBe(true);
    j.push(new Float32Array(150).fill(0.2));
    expect(j.render(out)).toBe(128);
    expect(out[0]).toBeCloseTo(0.1);
    expect(out[99]).toBeCloseTo(0.1);
    expect(out[100]).toBeCloseTo(0.2);
    expect(j.render(out)).toBe(122);
    expect(out[121]).toBeCloseTo(0.2);
    expect(out[122]).toBe(0);
    expect(j.played).toBe(250);
  });

  it("starts a short reply once it has waited for the prebuffer time", () => {
    const j = new JitterBuffer({ prebuffer: 256 });
    j.push(new Float32Array(50).fill(0.3));
    expect(j.render(block())).toBe(0);
    expect(j.render(block())).toBe(50);
  });

  it("flush drops everything queued at once", () => {
    const j = new JitterBuffer({ prebuffer: 0 });
    j.push(new Float32Array(1000).fill(0.5));
    expect(j.render(block())).toBe(128);
    expect(j.flush()).toBe(872);
    const out = block();
    expect(j.render(out)).toBe(0);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it("counts an underrun when audio runs out mid-block", () => {
    const j = new JitterBuffer({ prebuffer: 0 });
    j.push(new Float32Array(64).fill(0.5));
    j.render(block());
    expect(j.underruns).toBe(1);
  });
});

describe("GenerationGate", () => {
  it("queues a response, replaces it with a newer one, drops older chunks", () => {
    const g = new GenerationGate();
    expect(g.admit(1)).toBe("new");
    expect(g.admit(1)).toBe("same");
    expect(g.admit(2)).toBe("new");
    expect(g.admit(1)).toBe("drop");
  });

  it("after an interruption, late chunks of that response are dropped", () => {
    const g = new GenerationGate();
    g.admit(3);
    g.cut();
    expect(g.admit(3)).toBe("drop");
    expect(g.admit(4)).toBe("new");
    g.cut(7); // the kernel may name the interrupted generation before its audio arrives
    expect(g.admit(5)).toBe("drop");
    expect(g.admit(8)).toBe("new");
  });
});
