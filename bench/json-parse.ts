import { parseArgs } from 'node:util'
import { queryMarkets } from '../src/demo/market-data.ts'
import { mayHaveLossyNumber, parseJson } from '../workers/json.ts'

// Cost of keeping number text (workers/json.ts) against plain JSON.parse, on three bodies:
// a CoinGecko markets page (number-dense), the same page with one lossy number (slow path), and a
// text-heavy body. Prints microseconds per parse and the ratio to JSON.parse on the same body.
//
//   bun bench/json-parse.ts [--iterations 1000] [--rows 100]

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '100' },
  },
})
const iterations = Number(values.iterations)
const rows = Number(values.rows)
const ROUNDS = 5

const markets = queryMarkets(new URLSearchParams(`vs_currency=eur&per_page=${rows}`)).body
const withLossyNumber = markets.replace('"current_price":81234', '"current_price":81234.10')
const textHeavy = JSON.stringify(
  Array.from({ length: rows }, (_, i) => ({
    id: `repo-${i}`,
    full_name: `krakend/repo-${i}`,
    description: 'An API gateway configuration example with several backends and filters',
    html_url: `https://github.com/krakend/repo-${i}`,
    created_at: '2019-09-17T13:34:55Z',
    topics: ['api-gateway', 'krakend', 'microservices'],
    stargazers_count: i * 7,
  })),
)

// The fastest of several rounds, so that other load on a shared machine inflates the figures
// less.
function microsPerCall(run: () => unknown): number {
  for (let i = 0; i < Math.min(200, iterations); i++) run()
  let best = Infinity
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now()
    for (let i = 0; i < iterations; i++) run()
    best = Math.min(best, ((performance.now() - start) / iterations) * 1000)
  }
  return best
}

console.log('body                 bytes   JSON.parse  scan   parseJson  ratio')
for (const [name, body] of [
  ['markets', markets],
  ['markets + 81234.10', withLossyNumber],
  ['text-heavy', textHeavy],
] as const) {
  const plain = microsPerCall(() => JSON.parse(body))
  const scan = microsPerCall(() => mayHaveLossyNumber(body))
  const withText = microsPerCall(() => parseJson(body))
  console.log(
    `${name.padEnd(20)} ${String(body.length).padStart(6)} ${plain.toFixed(1).padStart(9)} µs` +
      `${scan.toFixed(1).padStart(6)} ${withText.toFixed(1).padStart(8)} µs ${(withText / plain).toFixed(2).padStart(6)}`,
  )
}
