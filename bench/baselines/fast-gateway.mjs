/**
 * Node.js gateway baseline built on fast-gateway, serving the one-call endpoints of a bench
 * config with the same output as Tailgate:
 * `node bench/baselines/fast-gateway.mjs --config FILE --port N`.
 *
 * fast-gateway has no concurrent calls, so endpoints with `concurrent_calls` > 1 are skipped.
 * The response hook buffers the backend body and wraps an array as `{collection: body}`, like the
 * `mapping` of a safejson backend, so the gateways compared do the same JSON work.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import gateway from 'fast-gateway'

const { values } = parseArgs({ options: { config: { type: 'string' }, port: { type: 'string' } } })
if (!values.config || !values.port) {
  console.error('usage: node bench/baselines/fast-gateway.mjs --config FILE --port N')
  process.exit(2)
}

const config = JSON.parse(readFileSync(values.config, 'utf8'))
const timeoutMs = Number.parseInt(config.timeout, 10) * (config.timeout.endsWith('ms') ? 1 : 1000)

function toRoute(endpoint) {
  const backend = endpoint.backend[0]
  const collection = backend.mapping?.collection
  return {
    prefix: endpoint.endpoint,
    pathRegex: '',
    methods: ['GET'],
    target: backend.host[0],
    timeout: timeoutMs,
    // Keep the url_pattern's query string instead of the client's.
    disableQsOverwrite: true,
    urlRewrite: () => backend.url_pattern,
    hooks: { onResponse: (req, res, stream) => mapBody(res, stream, collection) },
  }
}

async function mapBody(res, stream, collection) {
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  if (stream.statusCode < 200 || stream.statusCode > 299) {
    res.statusCode = 500
    res.end('{"error":"backend call failed"}')
    return
  }

  const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const mapped = Array.isArray(body) && collection ? { [collection]: body } : body
  const text = JSON.stringify(mapped)
  res.statusCode = 200
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(text))
  res.end(text)
}

const routes = config.endpoints
  .filter((endpoint) => (endpoint.concurrent_calls ?? 1) <= 1)
  .map(toRoute)

await gateway({ routes }).start(Number(values.port), '127.0.0.1')
console.log(JSON.stringify({ msg: 'fast-gateway listening', port: Number(values.port) }))
