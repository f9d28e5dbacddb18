import { afterEach, expect, test } from 'bun:test'
import { startScriptedBackend, type ScriptedBackend } from './helpers/scripted-backend.ts'
import { serviceConfig, startTestGateway } from './helpers/gateway.ts'

let backend: ScriptedBackend | undefined

afterEach(async () => {
  await backend?.stop()
})

for (const workers of [0, 2]) {
  test(`stop lets requests in flight finish with ${workers} workers`, async () => {
    backend = startScriptedBackend(() => ({ delayMs: 300, body: { slow: true } }))
    const gateway = await startTestGateway(
      serviceConfig([{ endpoint: '/slow', backend: [{ host: [backend.url], url_pattern: '/s' }] }]),
      workers,
    )

    const pending = fetch(`${gateway.url}/slow`)
    await Bun.sleep(50)
    await gateway.stop()
    const response = await pending

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ slow: true })
  })
}

test('stop cuts requests still running after the grace period', async () => {
  backend = startScriptedBackend(() => ({ delayMs: 1500 }))
  const gateway = await startTestGateway(
    serviceConfig([{ endpoint: '/slow', backend: [{ host: [backend.url], url_pattern: '/s' }] }]),
    2,
  )

  const pending = fetch(`${gateway.url}/slow`).then(
    (response) => response.status,
    () => 'connection closed',
  )
  await Bun.sleep(50)
  const started = performance.now()
  await gateway.stop(100)

  expect(performance.now() - started).toBeLessThan(1000)
  expect(await pending).toBe('connection closed')
})
