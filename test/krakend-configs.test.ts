import { afterEach, describe, expect, test } from 'bun:test'
import { loadConfigFile } from '../src/config/load.ts'
import { compilePlans } from '../src/plan.ts'
import { StatsRegistry } from '../src/stats.ts'
import { startGateway, type Gateway } from '../src/gateway.ts'
import './helpers/gateway-config.ts'

// The public KrakenD configs in test/fixtures/krakend-configs (origins in its README) load with
// warnings only, each naming a setting Tailgate does not implement, at its JSON path. The
// warnings come in the order of their position in the file.

const DIR = `${import.meta.dir}/fixtures/krakend-configs`

const EXPECTED_WARNINGS: Record<string, string[]> = {
  'examples__4.encodings__krakend.json': [
    'endpoints[0].backend[2].encoding',
    'extra_config["server/static-filesystem"]',
  ],
  'examples__5.data-aggregation__krakend.json': [],
  'examples__return_error_details__krakend.json': [],
  'krakend-ce__tests-fixtures__krakend.json': [
    'read_header_timeout',
    'extra_config["telemetry/logging"]',
    'extra_config["telemetry/metrics"]',
    'extra_config["security/cors"]',
    'extra_config["security/bot-detector"]',
    'endpoints[2].backend[0].timeout',
    'endpoints[2].backend[1].timeout',
    'endpoints[10].backend[0].extra_config["validation/cel"]',
    'endpoints[10].backend[1].extra_config["validation/cel"]',
    'endpoints[10].extra_config["validation/cel"]',
    'endpoints[11].backend[0].url_pattern',
    'endpoints[11].backend[0].url_pattern',
    'endpoints[11].extra_config["validation/cel"]',
    'endpoints[11].extra_config["auth/validator"]',
    'endpoints[18].extra_config.proxy.sequential_propagated_params',
    'endpoints[18].backend[1].extra_config["modifier/lua-backend"]',
    'endpoints[19].extra_config.proxy.sequential_propagated_params',
    'endpoints[19].backend[1].extra_config["modifier/lua-backend"]',
    'endpoints[23].backend[0].encoding',
    'endpoints[23].backend[0].extra_config["qos/circuit-breaker"]',
    'endpoints[23].backend[0].extra_config["qos/http-cache"]',
    'endpoints[23].backend[1].encoding',
    'endpoints[23].backend[1].extra_config["qos/circuit-breaker"]',
    'endpoints[23].backend[1].extra_config["qos/http-cache"]',
    'endpoints[27].extra_config["auth/validator"]',
    'endpoints[28].backend[0].url_pattern',
    'endpoints[28].extra_config["auth/validator"]',
    'endpoints[29].extra_config["auth/signer"]',
    'endpoints[30].backend[0].extra_config["modifier/lua-backend"]',
    'endpoints[31].backend[0].extra_config["modifier/lua-backend"]',
    'endpoints[31].extra_config["modifier/lua-proxy"]',
    'endpoints[32].extra_config["modifier/lua-proxy"]',
    'endpoints[33].extra_config["modifier/lua-proxy"]',
    'endpoints[34].extra_config["validation/json-schema"]',
  ],
  'lura__docs-CONFIG-md__example.json': [
    'endpoints[0].cache_ttl',
    'endpoints[1].cache_ttl',
    'endpoints[2].cache_ttl',
  ],
  'playground-community__krakend.json': [
    'endpoints[2].backend[1].extra_config["qos/ratelimit/proxy"]',
    'endpoints[2].extra_config["qos/ratelimit/router"]',
    'endpoints[3].backend[0].extra_config["qos/http-cache"]',
    'endpoints[4].backend[0].extra_config["backend/graphql"]',
    'endpoints[10].extra_config["auth/validator"]',
    'endpoints[11].extra_config["auth/validator"]',
    'endpoints[12].extra_config["auth/signer"]',
    'sequential_start',
    'async_agent',
    'extra_config["telemetry/metrics"]',
    'extra_config["telemetry/influx"]',
    'extra_config["telemetry/logging"]',
    'extra_config["telemetry/gelf"]',
    'extra_config["telemetry/opencensus"]',
    'extra_config["security/cors"]',
    'extra_config["auth/revoker"]',
  ],
}

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.stop()
  gateway = undefined
})

describe('public KrakenD configs', () => {
  for (const [file, expected] of Object.entries(EXPECTED_WARNINGS)) {
    test(`${file} loads with warnings only`, async () => {
      const loaded = loadConfigFile(`${DIR}/${file}`)
      expect(loaded.warnings.map((warning) => warning.path)).toEqual(expected)
      expect(loaded.warnings.every((warning) => warning.severity === 'warning')).toBe(true)
      expect(loaded.warnings.every((warning) => warning.line !== undefined)).toBe(true)

      const plans = compilePlans(loaded.config, new StatsRegistry())
      expect(plans).toHaveLength(loaded.config.endpoints!.length)
      gateway = await startGateway({
        configFile: `${DIR}/${file}`,
        port: 0,
        hostname: '127.0.0.1',
        workers: 0,
      })
      expect(gateway.port).toBeGreaterThan(0)
    })
  }

  test('namespace warnings say the namespace is not supported', () => {
    const loaded = loadConfigFile(`${DIR}/playground-community__krakend.json`)
    const cors = loaded.warnings.find((warning) => warning.path === 'extra_config["security/cors"]')
    expect(cors?.message).toBe(
      'extra_config namespace "security/cors" is not supported by Tailgate and is ignored',
    )
    const agent = loaded.warnings.find((warning) => warning.path === 'async_agent')
    expect(agent?.message).toBe(
      'KrakenD setting "async_agent" is not supported by Tailgate and is ignored: Tailgate has no async agents',
    )
  })
})
