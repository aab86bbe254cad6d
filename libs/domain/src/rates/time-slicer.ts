/**
 * Cooperative time slicing for long loops on the event loop: call `due()` often (it reads the clock only
 * every `checkEvery` calls) and `await pause()` when it says so, so one long computation gives other
 * work (requests, timers, I/O) a turn every `sliceMs` instead of blocking everything until it ends.
 */
export class TimeSlicer {
  private sliceStart = performance.now();
  private calls = 0;

  constructor(
    private readonly sliceMs = 5,
    private readonly checkEvery = 64,
  ) {}

  /** True when the current slice is used up (then `await pause()`). */
  due(): boolean {
    if (++this.calls < this.checkEvery) return false;
    this.calls = 0;
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Lets the event loop run everything that waits (I/O included), then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.calls = 0;
    this.sliceStart = performance.now();
  }
}
