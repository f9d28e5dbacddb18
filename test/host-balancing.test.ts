import { afterEach, describe, expect, test } from 'bun:test'
import { startTestGateway, type TestGateway } from './helpers/gateway-config.ts'
import { delay, json, startStubBackend, type StubBackend } from './helpers/stub-backend.ts'

// A backend with several hosts: requests rotate over the list, and the attempts of one race go
// to distinct hosts while the list has enough of them.

const servers: { stop(): Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.stop()
})

// Each host responds after 50 ms, so that every attempt of a race has reached its host before
// the winner's response aborts the others.
function slowHosts(count: number): StubBackend[] {
  return Array.from({ length: count }, (_, index) => {
    const host = startStubBackend(async () => {
      await delay(50)
      return json({ host: index })
    })
    servers.push(host)
    return host
  })
}

async function gatewayOver(hosts: StubBackend[], concurrentCalls: number): Promise<TestGateway> {
  const gateway = await startTestGateway({
    version: 3,
    endpoints: [
      {
        endpoint: '/v',
        concurrent_calls: concurrentCalls,
        backend: [{ host: hosts.map((host) => host.url), url_pattern: '/x' }],
      },
    ],
  })
  servers.push(gateway)
  return gateway
}

describe('host lists', () => {
  test('three attempts go to three distinct hosts', async () => {
    const hosts = slowHosts(3)
    const gateway = await gatewayOver(hosts, 3)
    expect((await gateway.request('/v')).status).toBe(200)
    expect(hosts.map((host) => host.requests.length)).toEqual([1, 1, 1])
  })

  test('requests rotate over the hosts', async () => {
    const hosts = slowHosts(3)
    const gateway = await gatewayOver(hosts, 1)
    const answers = []
    for (let i = 0; i < 6; i++)
      answers.push(((await (await gateway.request('/v')).json()) as any).host)
    expect(answers).toEqual([0, 1, 2, 0, 1, 2])
  })

  test('two attempts of each race start on the next host', async () => {
    const hosts = slowHosts(3)
    const gateway = await gatewayOver(hosts, 2)
    for (let i = 0; i < 3; i++) await gateway.request('/v')
    expect(hosts.map((host) => host.requests.length)).toEqual([2, 2, 2])
  })

  test('more attempts than hosts wrap around the list', async () => {
    const hosts = slowHosts(2)
    const gateway = await gatewayOver(hosts, 3)
    await gateway.request('/v')
    expect(hosts.map((host) => host.requests.length)).toEqual([2, 1])
  })
})
