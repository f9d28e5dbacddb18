import { delay, json, notFound, startStubBackend, type StubBackend } from './stub-backend.ts'

// Replicas of the two servers behind krakend-ce's integration config
// (tests/fixtures/krakend.json): the test backend on port 8081 (tests/integration.go) and the
// gateway's own /__debug endpoint on port 8080. Their routes and bodies are shaped as there.

export const CE_XML = `<?xml version="1.0" encoding="UTF-8"?>
<user type="admin">
  <name>Elliot</name>
  <social>
    <facebook>https://facebook.com</facebook>
    <twitter>https://twitter.com</twitter>
    <youtube>https://youtube.com</youtube>
  </social>
</user>`

const SUBTREES = ['/param_forwarding/', '/collection/', '/delayed/', '/redirect/']

/** How long /delayed/ waits before it responds. */
export const CE_DELAY_MS = 300

/** Starts the replica of krakend-ce's test backend (port 8081 in the original config). */
export function startCeBackend(): StubBackend {
  return startStubBackend(async (request, url, recorded) => {
    const forwardedFor = request.headers.get('x-forwarded-for') ?? ''
    if (!/^(127\.|::1$|::ffff:127\.)/.test(forwardedFor)) {
      return new Response('invalid X-Forwarded-For\n', { status: 400 })
    }
    const path = url.pathname
    // Go's ServeMux redirects a subtree's name without its trailing slash to the subtree.
    if (SUBTREES.includes(`${path}/`)) {
      return new Response(null, { status: 301, headers: { location: `${path}/${url.search}` } })
    }
    if (path.startsWith('/param_forwarding/')) return echo(request, url, recorded.body)
    if (path === '/xml') {
      return new Response(CE_XML, { headers: { 'content-type': 'application/xml; charset=utf-8' } })
    }
    if (path.startsWith('/collection/')) {
      return json(Array.from({ length: 10 }, (_, i) => ({ path, i })))
    }
    if (path.startsWith('/delayed/')) {
      await delay(CE_DELAY_MS, request.signal)
      return echo(request, url, recorded.body)
    }
    if (path.startsWith('/redirect/')) {
      const status = Number(url.searchParams.get('status') ?? '301')
      return new Response(null, { status, headers: { location: '/param_forwarding/' } })
    }
    return notFound()
  })
}

/** Starts the replica of KrakenD's /__debug endpoint (port 8080 in the original config). */
export function startDebugBackend(): StubBackend {
  return startStubBackend((_, url) =>
    url.pathname.startsWith('/__debug') ? json({ message: 'pong' }) : notFound(),
  )
}

// The echo endpoint: path, query, headers (Go's canonical names, without X-Forwarded-For) and
// foo: 42, with two Set-Cookie headers.
function echo(request: Request, url: URL, requestBody: string): Response {
  const headers: Record<string, string[]> = {}
  request.headers.forEach((value, name) => {
    if (name === 'x-forwarded-for' || name === 'host') return
    headers[canonicalHeader(name)] = value.split(', ')
  })
  const query: Record<string, string[]> = {}
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value)
  const body: Record<string, unknown> = { foo: 42, headers, path: url.pathname, query }
  if (url.searchParams.get('dump_body') === '1') body.body = requestBody
  const response = json(body)
  response.headers.append('set-cookie', 'test1=test1')
  response.headers.append('set-cookie', 'test2=test2')
  return response
}

function canonicalHeader(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  )
}
