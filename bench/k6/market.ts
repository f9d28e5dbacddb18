/**
 * Open-model load on Tailgate's `/market/simple` and `/market/concurrent` endpoints, with
 * latency thresholds. Run against a gateway on 127.0.0.1 (see bench/README.md):
 *
 *   k6 run bench/k6/market.ts
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e RATE=50 -e DURATION=30s bench/k6/market.ts
 *
 * Both endpoints get RATE requests per second (constant-arrival-rate), so a slow response does
 * not lower the offered load. Each request carries a unique X-Request-Seed header, which the
 * demo backend uses to give the copies of one request their shared delay.
 */
import http from 'k6/http'
import { check } from 'k6'
import type { Options } from 'k6/options'

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080'
const RATE = Number(__ENV.RATE || 50)
const DURATION = __ENV.DURATION || '30s'

/** Thresholds in milliseconds; the defaults fit the bench's default backend latency. */
const SIMPLE_P95_MS = Number(__ENV.SIMPLE_P95_MS || 350)
const SIMPLE_P99_MS = Number(__ENV.SIMPLE_P99_MS || 500)
const CONCURRENT_P95_MS = Number(__ENV.CONCURRENT_P95_MS || 260)
const CONCURRENT_P99_MS = Number(__ENV.CONCURRENT_P99_MS || 320)

function arrivalRate(exec: string) {
  return {
    executor: 'constant-arrival-rate' as const,
    exec,
    rate: RATE,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: Math.ceil(RATE / 2),
    maxVUs: RATE * 4,
  }
}

export const options: Options = {
  discardResponseBodies: true,
  scenarios: {
    simple: arrivalRate('simple'),
    concurrent: arrivalRate('concurrent'),
  },
  thresholds: {
    'http_req_duration{scenario:simple}': [`p(95)<${SIMPLE_P95_MS}`, `p(99)<${SIMPLE_P99_MS}`],
    'http_req_duration{scenario:concurrent}': [
      `p(95)<${CONCURRENT_P95_MS}`,
      `p(99)<${CONCURRENT_P99_MS}`,
    ],
    http_req_failed: ['rate<0.01'],
  },
}

function getMarket(path: string) {
  const response = http.get(`${BASE_URL}${path}`, {
    headers: { 'X-Request-Seed': `k6-${__VU}-${__ITER}-${path}` },
    timeout: '5s',
  })
  check(response, { 'status is 200': (r) => r.status === 200 })
}

export function simple() {
  getMarket('/market/simple')
}

export function concurrent() {
  getMarket('/market/concurrent')
}
