import { afterEach, expect, test } from 'bun:test'
import type { Gateway } from '../src/gateway.ts'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { serviceConfig, startTestGateway } from './helpers/gateway.ts'

// A value taken from an earlier backend's response must not change a later backend's path.

let gateway: Gateway | undefined
let backends: ScriptedBackend[] = []

afterEach(async () => {
  await gateway?.stop()
  await Promise.all(backends.map((backend) => backend.stop()))
  gateway = undefined
  backends = []
})

for (const value of ['..', '.']) {
  test(`response value '${value}' does not reach the path`, async () => {
    const first = startScriptedBackend(() => ({ body: { next: value, name: 'a' } }))
    const second = startScriptedBackend(() => ({ body: { ok: true } }))
    backends.push(first, second)
    gateway = await startTestGateway(
      serviceConfig([
        {
          endpoint: '/chain',
          extra_config: { proxy: { sequential: true } },
          backend: [
            { host: [first.url], url_pattern: '/first' },
            { host: [second.url], url_pattern: '/echo/{resp0_next}/tail', group: 'second' },
          ],
        },
      ]),
    )

    const response = await fetch(`${gateway.url}/chain`)

    expect(response.status).toBe(200)
    expect(response.headers.get('x-krakend-completed')).toBe('false')
    expect(await response.json()).toEqual({ next: value, name: 'a' })
    expect(second.received).toHaveLength(0)
  })
}
