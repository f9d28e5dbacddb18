/**
 * Closed-model load on one URL, used by `bun run bench --tool k6`: each VU sends its next request
 * as soon as the previous one returns. The bench sets `--vus` and `--duration` on the command line.
 *
 *   k6 run --vus 64 --duration 10s -e TARGET_URL=http://127.0.0.1:8080/market/simple \
 *     bench/k6/closed-loop.ts
 */
import http from 'k6/http'
import type { Options } from 'k6/options'

const TARGET_URL = __ENV.TARGET_URL || 'http://127.0.0.1:8080/market/simple'
const TIMEOUT = __ENV.TIMEOUT || '10s'

export const options: Options = { discardResponseBodies: true }

export default function () {
  http.get(TARGET_URL, { timeout: TIMEOUT })
}
