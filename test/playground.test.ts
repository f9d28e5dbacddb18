import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { queryMarkets } from '../src/demo/market-data.ts'
import { rewriteHosts, startTestGateway, type TestGateway } from './helpers/gateway-config.ts'
import {
  closedPortUrl,
  json,
  notFound,
  startRoutes,
  startStubBackend,
  type StubBackend,
} from './helpers/stub-backend.ts'

// KrakenD's community playground config, served as written except for its hosts, which point at
// local backends shaped like its upstreams (GitHub, CoinGecko, the playground's fake API and the
// Star Wars GraphQL API). Hosts that the playground expects to fail point at a closed port.
//
// The gateway and its backends start once for this file, with one worker thread: every test only
// reads from them.

const PLAYGROUND = JSON.parse(
  readFileSync(
    `${import.meta.dir}/fixtures/krakend-configs/playground-community__krakend.json`,
    'utf8',
  ),
) as object

const GITHUB_USER = {
  login: 'krakend',
  id: 55432534,
  avatar_url: 'https://avatars.githubusercontent.com/u/55432534?v=4',
  type: 'Organization',
  name: 'KrakenD',
  company: null,
  blog: 'https://www.krakend.io',
  location: 'Barcelona',
  email: null,
  hireable: null,
  bio: 'Open source API Gateway',
  public_repos: 51,
  public_gists: 0,
  followers: 237,
  following: 0,
  created_at: '2019-09-17T13:34:55Z',
}
const GITHUB_REPOS = [
  { id: 213401234, name: 'krakend-ce', full_name: 'krakend/krakend-ce', stargazers_count: 2050 },
  {
    id: 213401567,
    name: 'playground-community',
    full_name: 'krakend/playground-community',
    stargazers_count: 120,
  },
]
const GLOBAL = {
  data: {
    active_cryptocurrencies: 15123,
    markets: 1201,
    total_market_cap: { btc: 40123456.12, eth: 1234567890.5, usd: 3456789012345.67 },
    total_volume: { btc: 1234567.8, eth: 45678901.2, usd: 123456789012.3 },
    market_cap_percentage: { btc: 56.78, eth: 12.34, usdt: 4.5 },
    market_cap_change_percentage_24h_usd: -1.23,
    updated_at: 1733325012,
  },
}
const CAMPAIGNS = {
  campaigns: [{ id: 1, name: 'Summer sale', discount: 0.2 }],
  updated: '2026-06-01',
}
const PRODUCTS = { products: [{ id: 10, name: 'Kraken plush', price: 19.9 }], total: 1 }
const HOTEL = { hotel_id: 1, name: 'Hotel Arts', destination_id: 3, rating: 4.5 }
const DESTINATION = { id: 3, name: 'Barcelona', country: 'Spain' }
const USER = { id_user: 1, name: 'John', email: 'john@example.com' }
const FILM = { id: 'ZmlsbXM6MQ==', episodeID: 4, title: 'A New Hope', director: 'George Lucas' }

// Fields the /cryptos/{currency} flatmap deletes from every coin.
const DELETED_COIN_FIELDS = [
  'ath_change_percentage',
  'ath_date',
  'atl',
  'atl_change_percentage',
  'atl_date',
  'circulating_supply',
  'fully_diluted_valuation',
  'high_24h',
  'low_24h',
  'market_cap_change_24h',
  'market_cap_change_percentage_24h',
  'market_cap_rank',
  'max_supply',
  'price_change_24h',
  'price_change_percentage_24h',
  'roi',
  'total_supply',
  'total_volume',
]

let gateway: TestGateway
let fakeApi: StubBackend
const servers: { stop(): Promise<void> }[] = []

beforeAll(async () => {
  const github = startRoutes({
    '/users/krakend': GITHUB_USER,
    '/users/krakend/repos': GITHUB_REPOS,
  })
  const coingecko = startStubBackend((_, url) => {
    if (url.pathname === '/api/v3/global') return json(GLOBAL)
    if (url.pathname !== '/api/v3/coins/markets') return notFound()
    const markets = queryMarkets(url.searchParams)
    return json(markets.body, markets.status)
  })
  fakeApi = startRoutes({
    '/shop/campaigns.json': CAMPAIGNS,
    '/shop/products.json': PRODUCTS,
    '/hotels/1.json': HOTEL,
    '/destinations/3.json': DESTINATION,
    '/user/1.json': USER,
  })
  const swapi = startRoutes({ '/.netlify/functions/index': { data: { film: FILM } } })
  servers.push(github, coingecko, fakeApi, swapi)
  const closed = await closedPortUrl()

  const hosts: Record<string, string> = {
    'https://api.github.com': github.url,
    'https://api.coingecko.com': coingecko.url,
    'http://fake_api': fakeApi.url,
    'https://swapi-graphql.netlify.app/': swapi.url,
  }
  gateway = await startTestGateway(
    rewriteHosts(PLAYGROUND, (host) => hosts[host] ?? closed),
    1,
  )
  servers.push(gateway)
})

afterAll(async () => {
  for (const server of servers.reverse()) await server.stop()
})

function markets(query: string): Record<string, unknown>[] {
  return JSON.parse(queryMarkets(new URLSearchParams(query)).body)
}
const MARKETS_QUERY =
  'vs_currency=eur&ids=bitcoin%2Cethereum&order=market_cap_desc&per_page=100&page=1&sparkline=false'

async function get(path: string) {
  const response = await gateway.request(path)
  return { response, body: (await response.json()) as unknown }
}

describe('playground endpoints', () => {
  test('/git/{user} merges the filtered user and the repos', async () => {
    const { response, body } = await get('/git/krakend')
    expect(body).toEqual({
      user: {
        avatar_url: GITHUB_USER.avatar_url,
        name: 'KrakenD',
        company: null,
        website: 'https://www.krakend.io',
        location: 'Barcelona',
        hireable: null,
        followers: 237,
        public_repos: 51,
        public_gists: 0,
      },
      repos: GITHUB_REPOS,
    })
    expect(response.headers.get('x-krakend-completed')).toBe('true')
    expect(response.headers.get('cache-control')).toBe('public, max-age=300')
  })

  test('/cryptos/{currency} flattens the coins and targets the market data', async () => {
    const { response, body } = await get('/cryptos/eur')
    const coins = markets(MARKETS_QUERY).map((coin) => {
      for (const field of DELETED_COIN_FIELDS) delete coin[field]
      return coin
    })
    expect(body).toEqual({
      coins,
      market: {
        total_market_cap: { btc: 40123456.12, eth: 1234567890.5 },
        total_volume: { btc: 1234567.8, eth: 45678901.2 },
        market_cap_percentage: { btc: 56.78, eth: 12.34 },
        updated_at: 1733325012,
      },
    })
    expect(Object.keys((body as any).coins[0])).toEqual(Object.keys(coins[0]!))
    expect(response.headers.get('x-krakend-completed')).toBe('true')
  })

  test('/shop keeps campaigns and products', async () => {
    const { body } = await get('/shop')
    expect(body).toEqual({ campaigns: CAMPAIGNS.campaigns, products: PRODUCTS.products })
  })

  test.each(['/market/simple', '/market/concurrent', '/market/cached'])(
    '%s renames the collection to coins',
    async (path) => {
      const { response, body } = await get(path)
      expect(body).toEqual({ coins: markets(MARKETS_QUERY) })
      expect(response.headers.get('x-krakend-completed')).toBe('true')
    },
  )

  test('/sequential builds the second URL from the first response', async () => {
    const before = fakeApi.requests.length
    const { body } = await get('/sequential')
    expect(body).toEqual({ destination_id: 3, ...DESTINATION })
    expect(fakeApi.requests.slice(before).map((request) => request.path)).toEqual([
      '/hotels/1.json',
      '/destinations/3.json',
    ])
  })

  test('/fail returns the working backend incomplete', async () => {
    const { response, body } = await get('/fail')
    expect(response.status).toBe(200)
    expect(body).toEqual({ user: USER })
    expect(response.headers.get('x-krakend-completed')).toBe('false')
    expect(response.headers.get('cache-control')).toBeNull()
  })

  test('/public has its own cache_ttl', async () => {
    const { response, body } = await get('/public')
    expect(body).toEqual(HOTEL)
    expect(response.headers.get('cache-control')).toBe('public, max-age=1')
  })

  test('/mocked-response answers the static data', async () => {
    const { response, body } = await get('/mocked-response')
    expect(response.status).toBe(200)
    expect(body).toEqual({
      an_integer: 123,
      an_array: ['arr1', 'arr2'],
      an_object: { obj: 'obj1' },
    })
    expect(response.headers.get('x-krakend-completed')).toBe('false')
  })

  test('/starwars_films/{movie_id} targets data.film', async () => {
    const { body } = await get('/starwars_films/1')
    expect(body).toEqual(FILM)
  })
})
