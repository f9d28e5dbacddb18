/** Settings of the simulated backend latency, all in milliseconds except `sigma` and `correlation`. */
export interface LatencySettings {
  /** Median of the log-normal part. */
  medianMs: number
  /** Standard deviation of the log-normal part's natural logarithm. Larger means a longer tail. */
  sigma: number
  /** Floor added to every draw. */
  minMs: number
  /** Share (0..1) of the random part that all copies of one client request have in common. */
  correlation: number
  /** Constant latency. When set, the other settings are ignored. */
  fixedMs?: number
  /** Seed of the random stream, so a run can be repeated. */
  seed: number
}

export const DEFAULT_LATENCY: LatencySettings = {
  medianMs: 40,
  sigma: 0.5,
  minMs: 0,
  correlation: 0,
  seed: 1,
}

/**
 * Draws per-call delays: `minMs + c * shared + (1 - c) * own`, where `shared` and `own` are
 * independent log-normal draws with the given median and sigma, and `c` is the correlation.
 * `shared` depends only on the request key, so the hedged copies of one client request draw the
 * same shared delay and an independent part each. A call without a key gets its own `shared` too.
 */
export class LatencyModel {
  readonly settings: LatencySettings
  readonly #random: () => number

  constructor(settings: LatencySettings) {
    validateLatency(settings)
    this.settings = { ...settings }
    this.#random = mulberry32(settings.seed)
  }

  /** Returns the delay of one call, in milliseconds. */
  draw(requestKey?: string): number {
    const { fixedMs, minMs, correlation } = this.settings
    if (fixedMs !== undefined) return fixedMs

    const own = this.#logNormal(this.#random)
    if (correlation === 0) return minMs + own

    const sharedRandom = requestKey === undefined ? this.#random : keyedRandom(this, requestKey)
    const shared = this.#logNormal(sharedRandom)
    return minMs + correlation * shared + (1 - correlation) * own
  }

  #logNormal(random: () => number) {
    return this.settings.medianMs * Math.exp(this.settings.sigma * standardNormal(random))
  }
}

function keyedRandom(model: LatencyModel, requestKey: string) {
  return mulberry32(hashText(`${model.settings.seed}:${requestKey}`))
}

function validateLatency(settings: LatencySettings) {
  const { medianMs, sigma, minMs, correlation, fixedMs } = settings
  checkRange('medianMs', medianMs, 0, Infinity)
  checkRange('sigma', sigma, 0, 10)
  checkRange('minMs', minMs, 0, Infinity)
  checkRange('correlation', correlation, 0, 1)
  if (fixedMs !== undefined) checkRange('fixedMs', fixedMs, 0, Infinity)
  if (!Number.isInteger(settings.seed)) throw new RangeError(`invalid seed: ${settings.seed}`)
}

export function checkRange(name: string, value: number, min: number, max: number) {
  if (!(value >= min && value <= max)) {
    throw new RangeError(`invalid ${name}: ${value}; expected a number from ${min} to ${max}`)
  }
}

/** Mulberry32, a small and fast 32-bit PRNG: good enough for simulated latency, not for crypto. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a, 32 bits. */
function hashText(text: string) {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Box-Muller transform: one standard normal value from two uniform ones. */
function standardNormal(random: () => number) {
  const u = 1 - random() // in (0, 1], so the logarithm is finite
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
