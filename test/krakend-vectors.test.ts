import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { compilePlans, compileTemplate, type BackendPlan } from '../src/plan.ts'
import { StatsRegistry } from '../src/stats.ts'
import { ConfigError, parseConfigText } from '../src/config/load.ts'
import { normaliseHost } from '../src/config/rules.ts'
import type { ServiceConfig } from '../src/config/schema.ts'
import { decodeBody, DecodeError } from '../workers/decode.ts'
import { manipulate } from '../workers/manipulate.ts'
import { mergeOutcomes } from '../workers/merge.ts'
import { renderData } from '../workers/render.ts'
import { respond } from '../workers/respond.ts'
import { startCeBackend, startDebugBackend } from './helpers/ce-backend.ts'
import { rewriteHosts, startTestGateway, type TestGateway } from './helpers/gateway-config.ts'
import {
  closedPortUrl,
  delay,
  json,
  startRoutes,
  startStubBackend,
  type StubBackend,
} from './helpers/stub-backend.ts'

// KrakenD's behaviour vectors, paraphrased from lura's and krakend-ce's own tests (lura
// proxy/*_test.go, encoding/*_test.go, config/*_test.go, router/gin/*_test.go,
// test/integration_test.go; krakend-ce tests/fixtures/specs/*.json with its
// tests/fixtures/krakend.json). Each vector is run here, or listed in LEFT_OUT with the reason.
// Where Tailgate deliberately differs (see docs/krakend-differences.md), the vector asserts
// Tailgate's behaviour and its title states the difference.
//
// Vectors about the proxy pipeline run through a real gateway against backends on 127.0.0.1;
// those about one transformation step call that step directly.

const CE_CONFIG = JSON.parse(
  readFileSync(
    `${import.meta.dir}/fixtures/krakend-configs/krakend-ce__tests-fixtures__krakend.json`,
    'utf8',
  ),
) as ServiceConfig
const COMPLETED = 'x-krakend-completed'

const LEFT_OUT: Record<number, string> = {
  39: 'Tailgate rejects a placeholder that is not a whole path segment, and has no disable_rest',
  41: 'Tailgate always sanitises hosts; disable_host_sanitize is not supported (warned at load)',
  47:
    'needs a proxy that returns after its deadline, which only a Go proxy stub can do; ' +
    'Tailgate aborts the backends at the deadline (vectors 8 and 11)',
  48:
    'a proxy returning neither data nor an error cannot happen over HTTP: every backend call ' +
    'ends with a response or a failure',
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function track<T extends { stop(): Promise<void> }>(server: T): T {
  cleanups.push(() => server.stop())
  return server
}

async function gatewayFor(config: object): Promise<TestGateway> {
  return track(await startTestGateway({ version: 3, ...config }))
}

/** Serves krakend-ce's integration config against replicas of its two backends. */
async function ceGateway(): Promise<{ gateway: TestGateway; backend: StubBackend }> {
  const backend = track(startCeBackend())
  const debug = track(startDebugBackend())
  const closed = await closedPortUrl()
  const config = rewriteHosts(CE_CONFIG, (host) => {
    if (host.includes(':8081')) return backend.url
    return host.includes(':8080') ? debug.url : closed
  })
  return { gateway: await gatewayFor(config), backend }
}

const registry = new StatsRegistry()

function backendPlan(backend: object): BackendPlan {
  const config = {
    version: 3,
    host: ['http://127.0.0.1:1'],
    endpoints: [{ endpoint: '/vector', backend: [{ url_pattern: '/', ...backend }] }],
  }
  return compilePlans(config as ServiceConfig, registry)[0]!.backends[0]!
}

function configErrors(config: object): string[] {
  try {
    parseConfigText(JSON.stringify(config), 'krakend.json')
    return []
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.path}: ${p.message}`)
  }
}

const SAMPLE = { supu: 42, tupu: false, foo: 'bar', a: { b: true, c: 42, d: 'tupu' } }
const sample = () => structuredClone(SAMPLE)

interface Vector {
  id: number
  title: string
  check(): void | Promise<void>
}

const VECTORS: Vector[] = [
  // Concurrency: lura proxy/concurrent_test.go
  {
    id: 1,
    title: 'three concurrent calls return the complete response',
    async check() {
      const backend = track(startRoutes({ '/x': { supu: 42, tupu: true, foo: 'bar' } }))
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            concurrent_calls: 3,
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
        ],
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ supu: 42, tupu: true, foo: 'bar' })
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 2,
    title: 'failed concurrent calls are ignored when one succeeds',
    async check() {
      let calls = 0
      const backend = track(
        startStubBackend(() => (++calls === 2 ? json({ supu: 42 }) : json({ error: true }, 500))),
      )
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            concurrent_calls: 3,
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
        ],
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ supu: 42 })
    },
  },
  {
    id: 3,
    title: 'concurrent calls slower than the timeout fail with a timeout (504 in Tailgate)',
    async check() {
      const backend = track(
        startStubBackend(async (request) => {
          await delay(500, request.signal)
          return json({ supu: 42 })
        }),
      )
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            timeout: '100ms',
            concurrent_calls: 3,
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
        ],
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(504)
      expect(((await response.json()) as any).error.code).toBe('TG_BACKEND_TIMEOUT')
    },
  },

  // Merging: lura proxy/merging_test.go
  {
    id: 4,
    title: 'two failing backends give no response and both errors (502 in Tailgate)',
    async check() {
      const backend = track(startStubBackend(() => json({}, 500)))
      const gateway = await gatewayFor(twoBackends(backend, '/a', '/b'))
      const response = await gateway.request('/v')
      expect(response.status).toBe(502)
      const failures = ((await response.json()) as any).error.details.failures
      expect(failures.map((f: any) => [f.backend, f.kind, f.status])).toEqual([
        [0, 'status', 500],
        [1, 'status', 500],
      ])
    },
  },
  {
    id: 5,
    title: 'two complete responses merge into one complete response',
    async check() {
      const backend = track(startRoutes({ '/a': { supu: 42 }, '/b': { tupu: true } }))
      const gateway = await gatewayFor(twoBackends(backend, '/a', '/b'))
      const response = await gateway.request('/v')
      expect(await response.json()).toEqual({ supu: 42, tupu: true })
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 6,
    title: 'a complete and an incomplete response merge incomplete',
    check() {
      const result = mergeOutcomes([
        { ok: true, data: { supu: 42 } },
        { ok: true, data: { tupu: true }, incomplete: true },
      ])
      expect(result).toEqual({
        responded: true,
        data: { supu: 42, tupu: true },
        complete: false,
        errored: false,
      })
    },
  },
  {
    id: 7,
    title: 'two responses without data give empty incomplete data',
    async check() {
      const backend = track(startStubBackend(() => json('null')))
      const gateway = await gatewayFor(twoBackends(backend, '/a', '/b'))
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('{}')
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 8,
    title: 'a backend past the timeout leaves the faster one incomplete',
    async check() {
      const backend = track(
        startRoutes({
          '/a': { supu: 42 },
          '/b': async (request: Request) => {
            await delay(500, request.signal)
            return json({ tupu: true })
          },
        }),
      )
      const gateway = await gatewayFor({ ...twoBackends(backend, '/a', '/b'), timeout: '100ms' })
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ supu: 42 })
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 9,
    title: 'a response without data makes the merge incomplete',
    async check() {
      const backend = track(startRoutes({ '/a': { supu: 42 }, '/b': () => json('null') }))
      const gateway = await gatewayFor(twoBackends(backend, '/a', '/b'))
      const response = await gateway.request('/v')
      expect(await response.json()).toEqual({ supu: 42 })
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 10,
    title: 'two invalid responses give no response and two errors (502 in Tailgate)',
    async check() {
      const backend = track(startStubBackend(() => json('not json')))
      const gateway = await gatewayFor(twoBackends(backend, '/a', '/b'))
      const response = await gateway.request('/v')
      expect(response.status).toBe(502)
      const failures = ((await response.json()) as any).error.details.failures
      expect(failures.map((f: any) => f.kind)).toEqual(['decode', 'decode'])
    },
  },
  {
    id: 11,
    title: 'two backends past the timeout give two timeouts (504 in Tailgate)',
    async check() {
      const backend = track(
        startStubBackend(async (request) => {
          await delay(500, request.signal)
          return json({ supu: 42 })
        }),
      )
      const gateway = await gatewayFor({ ...twoBackends(backend, '/a', '/b'), timeout: '100ms' })
      const response = await gateway.request('/v')
      expect(response.status).toBe(504)
      const failures = ((await response.json()) as any).error.details.failures
      expect(failures.map((f: any) => f.kind)).toEqual(['timeout', 'timeout'])
    },
  },
  {
    id: 12,
    title: 'complete, incomplete and complete parts merge incomplete without error',
    check() {
      const result = mergeOutcomes([
        { ok: true, data: { a: 1 } },
        { ok: true, data: { b: 2 }, incomplete: true },
        { ok: true, data: { c: 3 } },
      ])
      expect(result.responded).toBe(true)
      expect(result.complete).toBe(false)
      expect(result.errored).toBe(false)
    },
  },
  {
    id: 13,
    title: 'sequential: a failing first backend stops the chain (502 in Tailgate)',
    async check() {
      const backend = track(
        startRoutes({ '/0': () => json({}, 500), '/1': { b: 1 }, '/2': { c: 2 } }),
      )
      const gateway = await gatewayFor(sequential(backend, ['/0', '/1', '/2']))
      const response = await gateway.request('/v')
      expect(response.status).toBe(502)
      expect(backend.requests.map((request) => request.path)).toEqual(['/0'])
    },
  },
  {
    id: 14,
    title: 'sequential: a failing second backend returns the first one incomplete',
    async check() {
      const backend = track(
        startStubBackend((_, url) => {
          if (url.pathname === '/0') return json({ supu: 42 })
          return url.pathname === '/2' ? json({ c: 2 }) : json({}, 500)
        }),
      )
      const gateway = await gatewayFor(sequential(backend, ['/0', '/1/{resp0_supu}', '/2']))
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ supu: 42 })
      expect(response.headers.get(COMPLETED)).toBe('false')
      expect(backend.requests.map((request) => request.path)).toEqual(['/0', '/1/42'])
    },
  },
  {
    id: 15,
    title: 'sequential: response values are written into the next URL',
    async check() {
      const first = {
        int: 42,
        string: 'some',
        bool: true,
        float: 3.14,
        array: ['1', '2'],
        struct: { foo: 'bar', struct: { struct: { foo: 'deepest' } } },
      }
      const backend = track(startRoutes({ '/0': first }))
      const next = track(startStubBackend(() => json({ next: true })))
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            extra_config: { proxy: { sequential: true } },
            backend: [
              { host: [backend.url], url_pattern: '/0' },
              {
                host: [next.url],
                url_pattern:
                  '/1/{resp0_int}/{resp0_string}/{resp0_bool}/{resp0_float}/{resp0_array}/{resp0_struct.foo}/{resp0_struct.struct.struct.foo}',
              },
            ],
          },
        ],
      })
      const response = await gateway.request('/v')
      const segments = next.requests[0]!.path.split('/').slice(2).map(decodeURIComponent)
      // KrakenD prints a Go float64 as 3.14E+00, but JSON numbers reach it as their text.
      expect(segments).toEqual(['42', 'some', 'true', '3.14', '1,2', 'bar', 'deepest'])
      expect(await response.json()).toEqual({ ...first, next: true })
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 16,
    title: 'sequential: a missing response value leaves its placeholder as written',
    async check() {
      const backend = track(startRoutes({ '/0': { supu: 42 }, '/1': { tupu: 'foo' } }))
      const last = track(startStubBackend(() => json({ done: true })))
      const config = sequential(backend, ['/0', '/1'])
      config.endpoints[0]!.backend.push({
        host: [last.url],
        url_pattern: '/2/{resp0_tupu}/{resp1_tupu}',
      })
      const gateway = await gatewayFor(config)
      const response = await gateway.request('/v')
      const segments = last.requests[0]!.path.split('/').slice(2).map(decodeURIComponent)
      expect(segments).toEqual(['{resp0_tupu}', 'foo'])
      expect(await response.json()).toEqual({ supu: 42, tupu: 'foo', done: true })
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },

  // Response manipulation: lura proxy/formatter_test.go
  {
    id: 17,
    title: 'allow keeps listed leaves and drops a path below a string',
    check() {
      const plan = backendPlan({ allow: ['supu', 'a.b', 'a.c', 'foo.unknown'] })
      expect(manipulate(sample(), plan)).toEqual({ supu: 42, a: { b: true, c: 42 } })
    },
  },
  {
    id: 18,
    title: 'allow keeps deep leaves only',
    check() {
      const data = {
        id: 42,
        tupu: {
          muku: { supu: 1, muku: 2, gutu: { kugu: 42 } },
          supu: { supu: 3, muku: 4 },
        },
      }
      const plan = backendPlan({ allow: ['tupu.muku.supu', 'tupu.muku.gutu.kugu'] })
      expect(manipulate(data, plan)).toEqual({ tupu: { muku: { supu: 1, gutu: { kugu: 42 } } } })
    },
  },
  {
    id: 19,
    title: 'deny removes exactly the listed nodes',
    check() {
      const deeper = () => ({
        a: { aa: 'deleteme deeper.a.aa', bb: 'do not deleteme deeper.a.bb' },
        b: { aa: 'deleteme deeper.b.aa', bb: 'do not deleteme deeper.b.bb' },
      })
      const data = {
        supu: 42,
        tupu: false,
        foo: 'bar',
        a: { a: { b: true, c: 42, d: 'tupu', deeper: deeper() }, b: true, c: 42, d: 'tupu' },
      }
      const plan = backendPlan({
        deny: ['supu', 'a.b', 'a.c', 'foo.unknown', 'a.a.b', 'a.a.deeper.a.aa', 'a.a.deeper.b.aa'],
      })
      expect(manipulate(data, plan)).toEqual({
        tupu: false,
        foo: 'bar',
        a: {
          a: {
            c: 42,
            d: 'tupu',
            deeper: {
              a: { bb: 'do not deleteme deeper.a.bb' },
              b: { bb: 'do not deleteme deeper.b.bb' },
            },
          },
          d: 'tupu',
        },
      })
    },
  },
  {
    id: 20,
    title: 'group wraps the body',
    check() {
      const data = { supu: 42, tupu: false, foo: 'bar' }
      expect(manipulate(data, backendPlan({ group: 'group1' }))).toEqual({
        group1: { supu: 42, tupu: false, foo: 'bar' },
      })
    },
  },
  {
    id: 21,
    title: 'mapping renames top-level keys only',
    check() {
      const plan = backendPlan({
        mapping: { supu: 'SUPUUUUU', tupu: 'TUPUUUUU', 'a.b': 'a.BOOOOO' },
      })
      expect(manipulate(sample(), plan)).toEqual({
        SUPUUUUU: 42,
        TUPUUUUU: false,
        foo: 'bar',
        a: { b: true, c: 42, d: 'tupu' },
      })
    },
  },
  {
    id: 22,
    title: 'target extracts an object, or {} for a missing or non-object one',
    check() {
      const sub = { b: true, c: 42, d: 'tupu' }
      const data = { supu: 42, group1: { ...sub, group1: sub }, flag: false }
      expect(manipulate(structuredClone(data), backendPlan({ target: 'group1' }))).toEqual({
        ...sub,
        group1: sub,
      })
      expect(manipulate(structuredClone(data), backendPlan({ target: 'group1.group1' }))).toEqual(
        sub,
      )
      expect(manipulate(structuredClone(data), backendPlan({ target: 'missing' }))).toEqual({})
      expect(manipulate(structuredClone(data), backendPlan({ target: 'flag' }))).toEqual({})
    },
  },
  {
    id: 23,
    title: 'target, allow, mapping and group run in that order',
    check() {
      const plan = backendPlan({ target: 'a', allow: ['d'], mapping: { d: 'D' }, group: 'group' })
      expect(manipulate(sample(), plan)).toEqual({ group: { D: 'tupu' } })
    },
  },
  {
    id: 24,
    title: 'backend flatmap runs between target and group',
    async check() {
      const plan = backendPlan({
        target: 'content',
        group: 'group',
        allow: ['ignored'],
        extra_config: { proxy: { flatmap_filter: FLATMAP_OPS } },
      })
      expect(manipulate({ content: flatmapSample() }, plan)).toEqual({ group: FLATMAP_RESULT })

      // krakend-ce spec flatmap_1: move, del and move through a collection.
      const { gateway } = await ceGateway()
      const response = await gateway.request('/flatmap/2')
      expect(await response.text()).toBe(
        JSON.stringify({ paths: Array.from({ length: 10 }, () => ({ url: '/collection/2' })) }),
      )
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 25,
    title: 'endpoint flatmap runs on the merged data and keeps completeness',
    check() {
      const config = {
        version: 3,
        host: ['http://127.0.0.1:1'],
        endpoints: [
          {
            endpoint: '/v',
            extra_config: { proxy: { flatmap_filter: FLATMAP_OPS } },
            backend: [{ url_pattern: '/a' }, { url_pattern: '/b' }],
          },
        ],
      }
      const plan = compilePlans(config as ServiceConfig, registry)[0]!
      const { collection, y, z, ...rest } = flatmapSample()
      const { result } = respond(
        plan,
        [
          { ok: true, data: rest },
          { ok: true, data: { collection, y, z } },
        ],
        '',
      )
      expect(JSON.parse(result.body as string)).toEqual(FLATMAP_RESULT)
      expect(result.headers).toContainEqual([COMPLETED, 'true'])
    },
  },

  // Encodings: lura encoding/*_test.go, krakend-xml xml_test.go and gin/render_test.go
  {
    id: 26,
    title: 'json keeps 4.20 as written',
    check() {
      const text = '{"foo":"bar","supu":false,"tupu":4.20}'
      const data = decodeBody(text, 'json', false)!
      expect(Object.keys(data)).toEqual(['foo', 'supu', 'tupu'])
      expect(JSON.stringify(data)).toBe(text)
    },
  },
  {
    id: 27,
    title: 'json with is_collection wraps an array and rejects a scalar',
    check() {
      expect(decodeBody('["foo","bar","supu"]', 'json', true)).toEqual({
        collection: ['foo', 'bar', 'supu'],
      })
      expect(() => decodeBody('3', 'json', true)).toThrow(DecodeError)
    },
  },
  {
    id: 28,
    title: 'safejson wraps arrays and scalars',
    check() {
      expect(decodeBody('{"a":1}', 'safejson', false)).toEqual({ a: 1 })
      expect(decodeBody('["foo","bar","supu"]', 'safejson', false)).toEqual({
        collection: ['foo', 'bar', 'supu'],
      })
      expect(decodeBody('3', 'safejson', false)).toEqual({ content: 3 })
    },
  },
  {
    id: 29,
    title: 'an unknown encoding decodes as json and no-op output makes backends no-op',
    check() {
      expect(backendPlan({ encoding: 'unknown' }).encoding).toBe('json')
      expect(backendPlan({ encoding: 'XML' }).encoding).toBe('xml')
      const config = {
        version: 3,
        host: ['http://127.0.0.1:1'],
        endpoints: [{ endpoint: '/v', output_encoding: 'no-op', backend: [{ url_pattern: '/' }] }],
      }
      expect(compilePlans(config as ServiceConfig, registry)[0]!.backends[0]!.encoding).toBe(
        'no-op',
      )
    },
  },
  {
    id: 30,
    title: 'xml decodes into the root element with attributes and arrays',
    check() {
      const person = `<Person id="1"><FullName>Alice</FullName><Company>Acme</Company>
        <Email where="home"><Addr>gre@example.com</Addr></Email>
        <Email where='work'><Addr>gre@work.com</Addr></Email>
        <Group><Value>Friends</Value><Value>Squash</Value></Group></Person>`
      const data = decodeBody(person, 'xml', false) as any
      expect(Object.keys(data)).toEqual(['Person'])
      expect(Object.keys(data.Person).sort()).toEqual([
        '-id',
        'Company',
        'Email',
        'FullName',
        'Group',
      ])
      expect(data.Person.FullName).toBe('Alice')
      expect(data.Person.Email[1]['-where']).toBe('work')

      const people = `<People>${['Alice', 'Bob', 'Charles']
        .map((name, i) => `<Person id="${i + 1}"><FullName>${name}</FullName></Person>`)
        .join('')}</People>`
      const collection = decodeBody(people, 'xml', true) as any
      expect(collection.collection.People.Person.map((p: any) => p.FullName)).toEqual([
        'Alice',
        'Bob',
        'Charles',
      ])
    },
  },
  {
    id: 31,
    title: 'xml output uses a doc root and escapes text',
    check() {
      const rendered = renderData(
        { a: { content: 'supu & tupu' }, content: 'tupu', foo: 42 },
        'xml',
      )
      expect(rendered.body).toBe(
        '<doc><a><content>supu &amp; tupu</content></a><content>tupu</content><foo>42</foo></doc>',
      )
      expect(rendered.contentType).toBe('application/xml')
    },
  },

  // Config: lura config/config_test.go and config/uri_test.go
  {
    id: 32,
    title: 'version 0 is rejected',
    check() {
      expect(configErrors({ version: 0, endpoints: [] })).toEqual([
        'version: unsupported version 0; Tailgate reads version 3 configs',
      ])
    },
  },
  {
    id: 33,
    title: '/__debug paths are rejected',
    check() {
      const paths = ['/__debug', '/__debug/', '/__debug/foo', '/__debug/foo/bar']
      const errors = configErrors({
        version: 3,
        host: ['http://127.0.0.1:1'],
        endpoints: paths.map((endpoint) => ({ endpoint, backend: [{ url_pattern: '/' }] })),
      })
      for (const index of [0, 1, 2, 3]) {
        expect(
          errors.some((error) => error.startsWith(`endpoints[${index}].endpoint: endpoint path`)),
        ).toBe(true)
      }
    },
  },
  {
    id: 34,
    title: 'url_pattern placeholders compile; resp and JWT ones are accepted',
    check() {
      const context = {
        params: ['tupu', 'tupu1', 'tupu_56', 'supu-5t6', 'foo'],
        index: 0,
        sequential: false,
      }
      expect(compileTemplate('supu/{tupu}', context)).toEqual(['supu/', 0])
      expect(compileTemplate('supu/{tupu_56}/{supu-5t6}?a={foo}&b={foo}', context)).toEqual([
        'supu/',
        2,
        '/',
        3,
        '?a=',
        4,
        '&b=',
        4,
      ])
      expect(
        configErrors({
          version: 3,
          host: ['http://127.0.0.1:1'],
          endpoints: [
            {
              endpoint: '/v',
              extra_config: { proxy: { sequential: true } },
              backend: [{ url_pattern: '/a' }, { url_pattern: '/{resp0_x}/{JWT.foo}' }],
            },
          ],
        }),
      ).toEqual([])
    },
  },
  {
    id: 35,
    title: 'a placeholder that is not an endpoint parameter is rejected',
    check() {
      const errors = configErrors({
        version: 3,
        host: ['http://127.0.0.1:1'],
        endpoints: [
          { endpoint: '/some/{tupu}', backend: [{ url_pattern: '/{tupu_56}/{supu-5t6}/{foo}' }] },
        ],
      })
      expect(errors).toEqual(
        ['tupu_56', 'supu-5t6', 'foo'].map(
          (name) =>
            `endpoints[0].backend[0].url_pattern: placeholder {${name}} is not a parameter of endpoint GET /some/{tupu}; defined parameters: {tupu}`,
        ),
      )
    },
  },
  {
    id: 36,
    title: 'defaults: service host, GET, backend method and service timeout',
    check() {
      const config = {
        version: 3,
        host: ['http://127.0.0.1:8080'],
        timeout: '5s',
        cache_ttl: '30s',
        endpoints: [
          { endpoint: '/get', backend: [{ url_pattern: '/' }] },
          { endpoint: '/post', method: 'post', backend: [{ url_pattern: '/' }] },
        ],
      }
      const [get, post] = compilePlans(config as ServiceConfig, registry)
      expect(get!.method).toBe('GET')
      expect(get!.backends[0]!.hosts).toEqual(['http://127.0.0.1:8080'])
      expect(get!.backends[0]!.method).toBe('GET')
      expect(post!.backends[0]!.method).toBe('POST')
      expect(get!.timeoutMs).toBe(5000)
      expect(get!.cacheTtlSeconds).toBe(30)
    },
  },
  {
    id: 37,
    title: 'no backends, no-op with two backends and a glued host are rejected',
    check() {
      const errors = configErrors({
        version: 3,
        host: ['http://127.0.0.1:1'],
        endpoints: [
          { endpoint: '/none', method: 'POST', backend: [] },
          {
            endpoint: '/noop',
            output_encoding: 'no-op',
            backend: [{ url_pattern: '/' }, { url_pattern: '/' }],
          },
          {
            endpoint: '/host',
            backend: [{ url_pattern: '/', host: ['http://127.0.0.1:8080http://127.0.0.1:8080'] }],
          },
        ],
      })
      expect(errors.map((error) => error.split(':')[0])).toEqual([
        'endpoints[0].backend',
        'endpoints[1].output_encoding',
        'endpoints[2].backend[0].host[0]',
      ])
    },
  },
  {
    id: 38,
    title: 'hosts get a scheme and lose a trailing slash',
    check() {
      expect(normaliseHost('supu')).toBe('http://supu')
      expect(normaliseHost('127.0.0.1')).toBe('http://127.0.0.1')
      expect(normaliseHost('https://supu.local/')).toBe('https://supu.local')
      expect(normaliseHost('supu_42.local:8080/')).toBe('http://supu_42.local:8080')
    },
  },

  // Balancing: lura proxy/balancing_test.go
  {
    id: 40,
    title: "the allowed query follows the url_pattern's own query",
    async check() {
      const backend = track(startStubBackend(() => json({ ok: true })))
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/with',
            input_query_strings: ['some'],
            backend: [{ host: [backend.url], url_pattern: '/tupu?extra=true' }],
          },
          {
            endpoint: '/without',
            input_query_strings: ['some'],
            backend: [{ host: [backend.url], url_pattern: '/tupu' }],
          },
        ],
      })
      await gateway.request('/with?some=none&other=1')
      await gateway.request('/without?some=none')
      expect(backend.requests.map((request) => `${request.path}?${request.rawQuery}`)).toEqual([
        '/tupu?extra=true&some=none',
        '/tupu?some=none',
      ])
    },
  },

  // Router: lura router/gin/endpoint_test.go and render_test.go
  {
    id: 42,
    title: 'a complete response gets Cache-Control and completed true',
    async check() {
      const backend = track(startRoutes({ '/x': { supu: 'tupu' } }))
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            cache_ttl: '6h',
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
        ],
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('{"supu":"tupu"}')
      expect(response.headers.get('cache-control')).toBe('public, max-age=21600')
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 43,
    title: 'an incomplete response gets no Cache-Control and completed false',
    async check() {
      const backend = track(startRoutes({ '/a': { foo: 'bar' } }))
      const gateway = await gatewayFor({
        ...twoBackends(backend, '/a', '/missing'),
        cache_ttl: '6h',
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ foo: 'bar' })
      expect(response.headers.get('cache-control')).toBeNull()
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 44,
    title: 'an error without a response (502 with a JSON error in Tailgate)',
    async check() {
      const backend = track(startStubBackend(() => json({}, 500)))
      const gateway = await gatewayFor({
        endpoints: [{ endpoint: '/v', backend: [{ host: [backend.url], url_pattern: '/x' }] }],
      })
      const response = await gateway.request('/v')
      expect(response.status).toBe(502)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(((await response.json()) as any).error.code).toBe('TG_BACKEND_FAILED')
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 45,
    title: "return_error_code passes the status; return_error_msg adds the backend's body",
    async check() {
      const backend = track(
        startStubBackend(
          () =>
            new Response('I am a teapot', {
              status: 418,
              headers: { 'content-type': 'text/teapot' },
            }),
        ),
      )
      const endpoint = (path: string) => ({
        endpoint: path,
        backend: [
          {
            host: [backend.url],
            url_pattern: '/x',
            extra_config: { 'backend/http': { return_error_code: true } },
          },
        ],
      })
      const plain = await gatewayFor({ endpoints: [endpoint('/v')] })
      const status = await plain.request('/v')
      expect(status.status).toBe(418)
      expect(((await status.json()) as any).error.code).toBe('TG_BACKEND_FAILED')

      const withMessage = await gatewayFor({
        endpoints: [endpoint('/v')],
        extra_config: { router: { return_error_msg: true } },
      })
      const relayed = await withMessage.request('/v')
      expect(relayed.status).toBe(418)
      expect(await relayed.text()).toBe('I am a teapot')
      expect(relayed.headers.get('content-type')).toBe('text/teapot')
    },
  },
  {
    id: 46,
    title: 'partial data with an error is a 200 with the data',
    async check() {
      const backend = track(startRoutes({ '/a': { a: 1 }, '/b': { b: 2 } }))
      const three = await gatewayFor({
        endpoints: [
          {
            endpoint: '/v',
            backend: ['/a', '/b', '/missing'].map((url_pattern) => ({
              host: [backend.url],
              url_pattern,
            })),
          },
        ],
      })
      const response = await three.request('/v')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ a: 1, b: 2 })
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 49,
    title: 'input_query_strings and input_headers with names and "*"',
    async check() {
      const backend = track(startStubBackend(() => json({ ok: true })))
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/some',
            input_query_strings: ['b', 'c[]', 'd'],
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
          {
            endpoint: '/all',
            input_query_strings: ['*'],
            input_headers: ['*'],
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
        ],
      })
      const query = '?a=42&b=1&c[]=x&c[]=y&d=1&d=2'
      await gateway.request(`/some${query}`)
      await gateway.request(`/all${query}`, {
        headers: { 'content-type': 'text/plain', 'user-agent': 'vector/49' },
      })
      const [some, all] = backend.requests
      expect([...some!.query]).toEqual([
        ['b', '1'],
        ['c[]', 'x'],
        ['c[]', 'y'],
        ['d', '1'],
        ['d', '2'],
      ])
      expect(all!.query.getAll('a')).toEqual(['42'])
      expect(all!.headers.get('content-type')).toBe('text/plain')
      expect(all!.headers.get('user-agent')).toBe('vector/49')
      expect(all!.headers.get('x-forwarded-for')).toBe('127.0.0.1')
      expect(all!.headers.get('x-forwarded-host')).toBe(new URL(gateway.url).host)
    },
  },
  {
    id: 50,
    title: 'negotiate picks json, yaml or xml by Accept; string output renders content',
    async check() {
      const { gateway } = await ceGateway()
      const user = {
        '-type': 'admin',
        name: 'Elliot',
        social: {
          facebook: 'https://facebook.com',
          twitter: 'https://twitter.com',
          youtube: 'https://youtube.com',
        },
      }
      const asYaml = await gateway.request('/negotiate', { headers: { accept: 'text/plain' } })
      expect(asYaml.headers.get('content-type')).toBe('application/yaml; charset=utf-8')
      expect(await asYaml.text()).toBe(
        'user:\n  -type: admin\n  name: Elliot\n  social:\n    facebook: https://facebook.com\n    twitter: https://twitter.com\n    youtube: https://youtube.com\n',
      )
      const asJson = await gateway.request('/negotiate', {
        headers: { accept: 'application/json; charset=utf-8' },
      })
      expect(asJson.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(await asJson.json()).toEqual({ user })
      const noAccept = await gateway.request('/negotiate', { headers: { accept: '' } })
      expect(noAccept.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const asXml = await gateway.request('/negotiate', { headers: { accept: 'application/xml' } })
      expect(asXml.headers.get('content-type')).toBe('application/xml')

      expect(renderData({}, 'yaml').body).toBe('{}\n')
      expect(renderData({}, 'json').body).toBe('{}')
      expect(renderData({ content: 'supu' }, 'string')).toEqual({
        contentType: 'text/plain; charset=utf-8',
        body: 'supu',
      })
      expect(renderData({ content: 42 }, 'string').body).toBe('')
      expect(renderData({}, 'string').body).toBe('')
    },
  },
  {
    id: 51,
    title: 'no-op relays status, headers and body (502 in Tailgate without a response)',
    async check() {
      const backend = track(
        startStubBackend(() => {
          const response = new Response('created', {
            status: 201,
            headers: { 'content-type': 'text/x-raw' },
          })
          response.headers.append('set-cookie', 'a=1')
          response.headers.append('set-cookie', 'b=2')
          return response
        }),
      )
      const closed = await closedPortUrl()
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/ok',
            output_encoding: 'no-op',
            backend: [{ host: [backend.url], url_pattern: '/x' }],
          },
          {
            endpoint: '/down',
            output_encoding: 'no-op',
            backend: [{ host: [closed], url_pattern: '/x' }],
          },
        ],
      })
      const response = await gateway.request('/ok')
      expect(response.status).toBe(201)
      expect(await response.text()).toBe('created')
      expect(response.headers.get('content-type')).toBe('text/x-raw')
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
      expect((await gateway.request('/down')).status).toBe(502)
    },
  },

  // End to end: krakend-ce tests/fixtures/specs and lura test/integration_test.go
  {
    id: 52,
    title: 'a single backend answering 404 (502 with a JSON error in Tailgate)',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/crash')
      expect(response.status).toBe(502)
      expect(((await response.json()) as any).error.details.failures[0].status).toBe(404)
      expect(response.headers.get(COMPLETED)).toBe('false')
      expect(response.headers.get('cache-control')).toBeNull()
    },
  },
  {
    id: 53,
    title: 'a grouped backend past the timeout leaves only the first group',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/timeout')
      const body = (await response.json()) as any
      expect(response.status).toBe(200)
      expect(Object.keys(body)).toEqual(['first'])
      expect(body.first.path).toBe('/param_forwarding/123')
      expect(response.headers.get(COMPLETED)).toBe('false')
      expect(response.headers.get('cache-control')).toBeNull()
    },
  },
  {
    id: 54,
    title: 'return_error_details adds the error under its name',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/detail_error')
      const body = (await response.json()) as any
      expect(response.status).toBe(200)
      expect(body.error_backend_b).toEqual({
        http_status_code: 404,
        http_body: '404 page not found\n',
        http_body_encoding: 'text/plain; charset=utf-8',
      })
      expect(body.foo).toBe(42)
      expect(body.path).toBe('/param_forwarding/')
      expect(response.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 55,
    title: "no-op POST relays the backend's body, cookies and 404",
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/no-op/ok', { method: 'POST', body: 'x' })
      const body = (await response.json()) as any
      expect(response.status).toBe(200)
      expect(body.path).toBe('/param_forwarding/')
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(response.headers.getSetCookie()).toEqual(['test1=test1', 'test2=test2'])
      expect(response.headers.get(COMPLETED)).toBe('false')
      const missing = await gateway.request('/no-op/ko', { method: 'POST', body: 'x' })
      expect(missing.status).toBe(404)
    },
  },
  {
    id: 56,
    title: 'listed headers pass, others do not; the query is only the pattern’s',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/param_forwarding/some/foo/bar?a=1&b=2', {
        headers: { autHoriZatiOn: 'bearer 123456', 'x-y-Z': 'true', 'a-b-c': 'ignore' },
      })
      const body = (await response.json()) as any
      expect(body.headers.Authorization).toEqual(['bearer 123456'])
      expect(body.headers['X-Y-Z']).toEqual(['true'])
      expect(body.headers['A-B-C']).toBeUndefined()
      expect(body.path).toBe('/param_forwarding/bar')
      expect(body.query).toEqual({ foo: ['foo'] })
    },
  },
  {
    id: 57,
    title: 'input_headers "*" forwards every header and the client User-Agent',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/param_forwarding/all/foo/bar', {
        headers: { 'a-b-c': 'forwarded', 'user-agent': 'vector/57' },
      })
      const body = (await response.json()) as any
      expect(body.headers['A-B-C']).toEqual(['forwarded'])
      expect(body.headers['User-Agent']).toEqual(['vector/57'])
    },
  },
  {
    id: 58,
    title: 'input_query_strings with a name and with "*"',
    async check() {
      const { gateway } = await ceGateway()
      const some = (await (
        await gateway.request('/query_forwarding/some/foo?a=1&b=2&b=3')
      ).json()) as any
      const all = (await (
        await gateway.request('/query_forwarding/all/foo?a=1&b=2&b=3')
      ).json()) as any
      expect(some.query).toEqual({ a: ['1'] })
      expect(all.query).toEqual({ a: ['1'], b: ['2', '3'] })
    },
  },
  {
    id: 59,
    title: 'a redirect is followed',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/redirect/301')
      expect(response.status).toBe(200)
      expect(((await response.json()) as any).path).toBe('/param_forwarding/')
    },
  },
  {
    id: 60,
    title: 'xml output of a json and of an xml backend',
    async check() {
      const { gateway } = await ceGateway()
      const fromJson = await gateway.request('/xml/json')
      const text = await fromJson.text()
      expect(fromJson.headers.get('content-type')).toBe('application/xml')
      expect(text.startsWith('<doc><foo>42</foo><headers>')).toBe(true)
      expect(text.endsWith('</headers><path>/param_forwarding/</path><query/></doc>')).toBe(true)
      const fromXml = await gateway.request('/xml/xml')
      expect(await fromXml.text()).toBe(
        '<user type="admin"><name>Elliot</name><social><facebook>https://facebook.com</facebook><twitter>https://twitter.com</twitter><youtube>https://youtube.com</youtube></social></user>',
      )
    },
  },
  {
    id: 61,
    title: 'a mapped collection merges with an allowed object',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/combination/2')
      expect(await response.json()).toEqual({
        posts: Array.from({ length: 10 }, (_, i) => ({ path: '/collection/2', i })),
        foo: 42,
      })
      expect(response.headers.get(COMPLETED)).toBe('true')
    },
  },
  {
    id: 62,
    title: 'sequential: a 404 from the second backend leaves the first incomplete',
    async check() {
      const { gateway } = await ceGateway()
      const response = await gateway.request('/sequential/incomplete/foobar')
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('{"foo":42}')
      expect(response.headers.get(COMPLETED)).toBe('false')
      const ok = await gateway.request('/sequential/ok/foobar')
      expect(((await ok.json()) as any).path).toBe('/param_forwarding/42')
    },
  },
  {
    id: 63,
    title: 'return_error_code: 429 with one backend, 200 partial with two',
    async check() {
      const backend = track(
        startRoutes({ '/ok': { ok: true }, '/busy': () => json({ busy: true }, 429) }),
      )
      const http = { 'backend/http': { return_error_code: true } }
      const gateway = await gatewayFor({
        endpoints: [
          {
            endpoint: '/one',
            backend: [{ host: [backend.url], url_pattern: '/busy', extra_config: http }],
          },
          {
            endpoint: '/two',
            backend: ['/ok', '/busy'].map((url_pattern) => ({
              host: [backend.url],
              url_pattern,
              extra_config: http,
            })),
          },
        ],
      })
      expect((await gateway.request('/one')).status).toBe(429)
      const two = await gateway.request('/two')
      expect(two.status).toBe(200)
      expect(await two.json()).toEqual({ ok: true })
    },
  },
  {
    id: 64,
    title: 'static data by strategy: always, errored and incomplete',
    async check() {
      const { gateway } = await ceGateway()
      const always = await gateway.request('/static')
      expect(await always.text()).toBe('{"foo":42,"bar":"foobar"}')
      expect(always.headers.get(COMPLETED)).toBe('true')

      const backend = track(startRoutes({ '/a': { a: 1 } }))
      const data = { foo: 42, bar: 'foobar' }
      const custom = await gatewayFor({
        endpoints: [
          {
            endpoint: '/errored',
            extra_config: { proxy: { static: { strategy: 'errored', data } } },
            backend: [{ host: [backend.url], url_pattern: '/missing' }],
          },
          {
            endpoint: '/incomplete',
            extra_config: { proxy: { static: { strategy: 'incomplete', data } } },
            backend: ['/a', '/missing'].map((url_pattern) => ({
              host: [backend.url],
              url_pattern,
            })),
          },
        ],
      })
      const errored = await custom.request('/errored')
      expect(errored.status).toBe(200)
      expect(await errored.json()).toEqual(data)
      expect(errored.headers.get(COMPLETED)).toBe('false')
      const incomplete = await custom.request('/incomplete')
      expect(await incomplete.json()).toEqual({ a: 1, ...data })
      expect(incomplete.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 65,
    title: 'sequential: first fails (502 in Tailgate), last fails (200 partial)',
    async check() {
      const backend = track(startRoutes({ '/ok': { a: 1 }, '/fail': () => json({}, 500) }))
      const first = await gatewayFor(sequential(backend, ['/fail', '/ok']))
      const firstResponse = await first.request('/v')
      expect(firstResponse.status).toBe(502)
      expect(firstResponse.headers.get(COMPLETED)).toBe('false')
      const last = await gatewayFor(sequential(backend, ['/ok', '/fail']))
      const lastResponse = await last.request('/v')
      expect(lastResponse.status).toBe(200)
      expect(await lastResponse.json()).toEqual({ a: 1 })
      expect(lastResponse.headers.get(COMPLETED)).toBe('false')
    },
  },
  {
    id: 66,
    title: 'two POST backends both receive the whole body',
    async check() {
      const backend = track(startRoutes({ '/a': { a: 1 }, '/b': { b: 2 } }))
      const config = twoBackends(backend, '/a', '/b')
      config.endpoints[0]!.method = 'POST'
      const gateway = await gatewayFor(config)
      await gateway.request('/v', { method: 'POST', body: '{"payload":true}' })
      expect(backend.requests.map((request) => [request.path, request.body])).toEqual(
        expect.arrayContaining([
          ['/a', '{"payload":true}'],
          ['/b', '{"payload":true}'],
        ]),
      )
      expect(backend.requests).toHaveLength(2)
    },
  },
]

interface EndpointConfigShape {
  endpoint: string
  method?: string
  extra_config?: object
  backend: { host: string[]; url_pattern: string }[]
}

function twoBackends(backend: StubBackend, a: string, b: string) {
  const endpoints: EndpointConfigShape[] = [
    {
      endpoint: '/v',
      backend: [
        { host: [backend.url], url_pattern: a },
        { host: [backend.url], url_pattern: b },
      ],
    },
  ]
  return { endpoints }
}

function sequential(backend: StubBackend, patterns: string[]) {
  const endpoints: EndpointConfigShape[] = [
    {
      endpoint: '/v',
      extra_config: { proxy: { sequential: true } },
      backend: patterns.map((url_pattern) => ({ host: [backend.url], url_pattern })),
    },
  ]
  return { endpoints }
}

const FLATMAP_OPS = [
  { type: 'del', args: ['c'] },
  { type: 'append', args: ['y', 'z'] },
  { type: 'move', args: ['supu', 'SUPUUUUU'] },
  { type: 'move', args: ['a.b', 'a.BOOOOO'] },
  { type: 'del', args: ['collection.*.b', 'collection.*.d', 'collection.*.e'] },
  { type: 'move', args: ['collection.*.c', 'collection.*.x'] },
]

function flatmapSample() {
  const sub = () => ({ b: true, c: 42, d: 'tupu', e: [1, 2, 3, 4] })
  return {
    supu: 42,
    tupu: false,
    foo: 'bar',
    a: sub(),
    collection: [sub(), sub(), sub(), sub()],
    y: [0, 1, 2, 3, 4, 5, 6],
    z: [10, 11, 12, 13, 14, 15, 16],
  }
}

const FLATMAP_RESULT = {
  SUPUUUUU: 42,
  tupu: false,
  foo: 'bar',
  a: { BOOOOO: true, c: 42, d: 'tupu', e: [1, 2, 3, 4] },
  collection: [{ x: 42 }, { x: 42 }, { x: 42 }, { x: 42 }],
  z: [10, 11, 12, 13, 14, 15, 16, 0, 1, 2, 3, 4, 5, 6],
}

describe('KrakenD behaviour vectors', () => {
  for (const vector of VECTORS) test(`${vector.id}: ${vector.title}`, () => vector.check())

  test('every vector is run or left out with a reason', () => {
    const run = VECTORS.map((vector) => vector.id)
    const listed = Object.keys(LEFT_OUT).map(Number)
    expect([...run, ...listed].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 66 }, (_, i) => i + 1),
    )
  })
})
