/**
 * Caps log lines per key (an endpoint or a backend) to `limit` per window of `windowMs`, so that a
 * failing backend under load cannot flood the log. Lines over the cap are counted, and the first
 * line logged after them carries that count. The key set is bounded by the config's endpoints
 * and backends.
 *
 * @example
 * const limiter = new LogRateLimiter(10, 10_000)
 * const suppressed = limiter.take('GET /users backend 0')
 * if (suppressed >= 0) log.debug({ suppressed }, 'backend attempt failed')
 */
export class LogRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Returns -1 when the line must be dropped; otherwise the line may be logged, and the result is
   * how many lines of this key were dropped since the last one logged.
   */
  take(key: string, now = performance.now()): number {
    let window = this.windows.get(key)
    if (!window) {
      window = { start: now, count: 0, suppressed: 0 }
      this.windows.set(key, window)
    }
    if (now - window.start >= this.windowMs) {
      window.start = now
      window.count = 0
    }
    if (window.count >= this.limit) {
      window.suppressed++
      return -1
    }
    window.count++
    const suppressed = window.suppressed
    window.suppressed = 0
    return suppressed
  }
}
