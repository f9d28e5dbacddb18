import realRows from './coins-markets-eur.json'

/** One row of CoinGecko's `GET /api/v3/coins/markets` response. */
export type MarketRow = (typeof realRows)[number] & {
  sparkline_in_7d?: { price: number[] }
}

/** Status and JSON text of a markets response. */
export interface MarketResponse {
  status: number
  body: string
}

export const MAX_PER_PAGE = 250
export const DEFAULT_PER_PAGE = 100
const SPARKLINE_POINTS = 168 // one price an hour for 7 days, as CoinGecko returns

const ORDERS: Record<string, (a: MarketRow, b: MarketRow) => number> = {
  market_cap_desc: (a, b) => b.market_cap - a.market_cap,
  market_cap_asc: (a, b) => a.market_cap - b.market_cap,
  volume_desc: (a, b) => b.total_volume - a.total_volume,
  volume_asc: (a, b) => a.total_volume - b.total_volume,
  id_asc: (a, b) => compareText(a.id, b.id),
  id_desc: (a, b) => compareText(b.id, a.id),
}

export const ORDER_NAMES = Object.keys(ORDERS)

/**
 * All rows the demo serves: the 5 real rows, then rows derived from them so that one page of
 * 250 rows can be served. Derived rows are ranked after the real ones.
 */
export const MARKET_ROWS: readonly MarketRow[] = buildRows(MAX_PER_PAGE)

/**
 * Runs a `/api/v3/coins/markets` query the way CoinGecko does for the supported parameters:
 * `vs_currency` (only `eur`), `ids`, `order`, `per_page`, `page` and `sparkline`.
 */
export function queryMarkets(params: URLSearchParams): MarketResponse {
  const currency = params.get('vs_currency')
  if (!currency) return badRequest('missing vs_currency: send vs_currency=eur')
  if (currency.toLowerCase() !== 'eur') return badRequest(`invalid vs_currency: ${currency}`)

  const order = params.get('order') ?? 'market_cap_desc'
  const compare = ORDERS[order]
  if (!compare) return badRequest(`invalid order: ${order}; expected one of ${ORDER_NAMES}`)

  const perPage = readInteger(params, 'per_page', DEFAULT_PER_PAGE)
  if (perPage === undefined || perPage < 1 || perPage > MAX_PER_PAGE) {
    return badRequest(`invalid per_page: ${params.get('per_page')}; expected 1..${MAX_PER_PAGE}`)
  }
  const page = readInteger(params, 'page', 1)
  if (page === undefined || page < 1) {
    return badRequest(`invalid page: ${params.get('page')}; expected an integer from 1`)
  }

  const rows = filterByIds(MARKET_ROWS, params.get('ids')).sort(compare)
  const pageRows = rows.slice((page - 1) * perPage, page * perPage)
  const withSparkline = params.get('sparkline') === 'true'
  const body = withSparkline ? pageRows.map(addSparkline) : pageRows
  return { status: 200, body: JSON.stringify(body) }
}

function filterByIds(rows: readonly MarketRow[], ids: string | null): MarketRow[] {
  if (!ids) return [...rows]

  // URLSearchParams has already decoded `%2C` into a comma.
  const requested = new Set(ids.split(',').map((id) => id.trim().toLowerCase()))
  return rows.filter((row) => requested.has(row.id))
}

function readInteger(params: URLSearchParams, name: string, fallback: number) {
  const text = params.get(name)
  if (text === null || text === '') return fallback
  return /^\d+$/.test(text) ? Number(text) : undefined
}

function badRequest(error: string): MarketResponse {
  return { status: 400, body: JSON.stringify({ error }) }
}

function compareText(a: string, b: string) {
  if (a === b) return 0
  return a < b ? -1 : 1
}

function buildRows(count: number): MarketRow[] {
  const rows: MarketRow[] = [...realRows]
  const smallestCap = Math.min(...realRows.map((row) => row.market_cap))
  for (let rank = realRows.length + 1; rank <= count; rank++) {
    rows.push(deriveRow(rank, smallestCap))
  }
  return rows
}

/**
 * Derives row `rank` from real row `(rank - 1) % 5`, whose id gets a numeric suffix (`bitcoin-2`).
 * Prices are scaled by a factor that depends only on the rank. The market cap shrinks by 2% per
 * rank below the smallest real one, so `market_cap_desc` keeps the ranks in order.
 */
function deriveRow(rank: number, smallestCap: number): MarketRow {
  const realCount = realRows.length
  const base = realRows[(rank - 1) % realCount]!
  const copy = Math.floor((rank - 1) / realCount) + 1
  const priceFactor = 0.5 + ((rank * 7919) % 1000) / 1000
  const marketCap = Math.round(smallestCap * 0.98 ** (rank - realCount))
  const volumeFactor = 0.2 + ((rank * 104729) % 1000) / 1250

  return {
    ...base,
    id: `${base.id}-${copy}`,
    symbol: `${base.symbol}${copy}`,
    name: `${base.name} ${copy}`,
    current_price: roundPrice(base.current_price * priceFactor),
    high_24h: roundPrice(base.high_24h * priceFactor),
    low_24h: roundPrice(base.low_24h * priceFactor),
    price_change_24h: roundPrice(base.price_change_24h * priceFactor),
    ath: roundPrice(base.ath * priceFactor),
    atl: roundPrice(base.atl * priceFactor),
    market_cap: marketCap,
    market_cap_rank: rank,
    fully_diluted_valuation: marketCap,
    total_volume: Math.round(base.total_volume * volumeFactor),
  }
}

function roundPrice(price: number) {
  return Number(price.toPrecision(6))
}

/** Adds a deterministic 7-day price curve that ends at the row's current price. */
function addSparkline(row: MarketRow): MarketRow {
  const price: number[] = []
  for (let hour = 0; hour < SPARKLINE_POINTS; hour++) {
    const hoursAgo = SPARKLINE_POINTS - 1 - hour
    const swing = 0.03 * Math.sin(hoursAgo / 9) + 0.01 * Math.sin(hoursAgo / 2.3)
    price.push(roundPrice(row.current_price * (1 + swing)))
  }
  return { ...row, sparkline_in_7d: { price } }
}
