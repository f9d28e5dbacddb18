import { expect, test } from 'bun:test'
import { serviceConfig } from './helpers/gateway.ts'
import { useServers } from './helpers/servers.ts'

// A value taken from an earlier backend's response must not change a later backend's path.

const servers = useServers()

for (const value of ['..', '.']) {
  test(`response value '${value}' does not reach the path`, async () => {
    const first = servers.backend(() => ({ body: { next: value, name: 'a' } }))
    const second = servers.backend(() => ({ body: { ok: true } }))
    const gateway = await servers.gateway(
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
