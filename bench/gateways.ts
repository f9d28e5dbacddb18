import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MarketConfig } from './market-config.ts'
import { freePort, startService } from './processes.ts'
import type { Service } from './processes.ts'

export type GatewayKind = 'tailgate' | 'bun-proxy' | 'bun-passthrough' | 'fast-gateway'

/** A gateway process the bench can start: Tailgate or one of the baselines. */
export interface GatewaySpec {
  kind: GatewayKind
  /** Tailgate worker threads; 0 runs in-process. */
  workers?: number
  /** Whether it serves `/market/concurrent` with concurrent calls. */
  hedges: boolean
}

export const TAILGATE_ENTRY = 'src/cli.ts'

export function tailgateAvailable(): boolean {
  return existsSync(TAILGATE_ENTRY)
}

export function gatewayLabel(spec: GatewaySpec): string {
  if (spec.kind === 'tailgate') return `Tailgate ${spec.workers}w`
  if (spec.kind === 'bun-proxy') return 'Bun proxy'
  if (spec.kind === 'bun-passthrough') return 'Bun passthrough'
  return 'fast-gateway (Node)'
}

function command(spec: GatewaySpec, configPath: string, port: number): string[] {
  const common = ['--config', configPath, '--port', String(port)]
  switch (spec.kind) {
    case 'tailgate':
      return [
        ...[process.execPath, TAILGATE_ENTRY, ...common, '--host', '127.0.0.1'],
        ...['--workers', String(spec.workers ?? 2)],
      ]
    case 'bun-proxy':
      return [process.execPath, 'bench/baselines/bun-proxy.ts', ...common]
    case 'bun-passthrough':
      return [process.execPath, 'bench/baselines/bun-proxy.ts', ...common, '--passthrough']
    case 'fast-gateway':
      return ['node', 'bench/baselines/fast-gateway.mjs', ...common]
  }
}

/** Writes `config` to the scratch folder and starts the gateway on a free port. */
export async function startGateway(
  spec: GatewaySpec,
  config: MarketConfig,
  scratchDir: string,
): Promise<Service> {
  mkdirSync(scratchDir, { recursive: true })
  const port = freePort()
  const configPath = join(scratchDir, `krakend-${spec.kind}-${port}.json`)
  writeFileSync(configPath, JSON.stringify({ ...config, port }, null, 2))

  const url = `http://127.0.0.1:${port}`
  return startService(gatewayLabel(spec), command(spec, configPath, port), url, `${url}/__stats`)
}
