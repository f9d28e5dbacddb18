/**
 * Runs the bench suite: `bun run bench [--quick] [--out DIR] [...]`; `--help` lists the flags.
 * Writes latest.md, latest.json and SVG charts to the output folder, and exits with 1 when the
 * results are invalid (a gateway failed, a run had no successful response, too many errors).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { join } from 'node:path'
import { tailgateAvailable } from './gateways.ts'
import type { GatewaySpec } from './gateways.ts'
import { latencyCases, runLatencyCase } from './latency-scenario.ts'
import type { LatencyCaseResult } from './latency-scenario.ts'
import { toolAvailable } from './load/closed-loop.ts'
import { helpText, parseBenchOptions } from './options.ts'
import type { BenchOptions } from './options.ts'
import { Progress } from './progress.ts'
import { barChart, percentileChart } from './report/charts.ts'
import { renderMarkdown } from './report/markdown.ts'
import { evaluateTargets, validateResults } from './results.ts'
import type { BenchResults, MachineInfo } from './results.ts'
import { PAYLOADS, runThroughput, throughputSteps } from './throughput-scenario.ts'
import type { ThroughputResult } from './throughput-scenario.ts'

const ALL_PROCESSES_NOTE =
  'All processes (load generator, demo backends, gateways) run on this one machine and share its ' +
  'CPU cores, so every figure includes their competition for CPU time.'

function gatewayPlan(options: BenchOptions) {
  const tailgate = tailgateAvailable()
  const tailgateSpec = (workers: number): GatewaySpec => ({
    kind: 'tailgate',
    workers,
    hedges: true,
  })
  const hedging: GatewaySpec[] = [{ kind: 'bun-proxy', hedges: true }]
  if (tailgate) hedging.unshift(tailgateSpec(options.workers))

  const throughput: GatewaySpec[] = [{ kind: 'bun-proxy', hedges: true }]
  if (!options.quick) throughput.push({ kind: 'bun-passthrough', hedges: false })
  if (options.fastGateway) throughput.push({ kind: 'fast-gateway', hedges: false })
  if (tailgate) throughput.push(tailgateSpec(options.workers))

  // The main runs already cover the default pool size at the sweep's connection count.
  const reuseMain = options.connections.includes(options.sweepConnections)
  const sweepWorkers = options.sweepWorkers.filter((w) => !(reuseMain && w === options.workers))
  const sweep = tailgate ? sweepWorkers.map(tailgateSpec) : []
  return { tailgate, hedging, throughput, sweep }
}

async function commandOutput(command: string[]) {
  try {
    const child = Bun.spawn(command, { stdout: 'pipe', stderr: 'ignore' })
    const text = (await new Response(child.stdout).text()).trim()
    return (await child.exited) === 0 ? text : undefined
  } catch {
    return undefined
  }
}

async function machineInfo(options: BenchOptions, startLoad: number): Promise<MachineInfo> {
  const cpuList = cpus()
  return {
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGb: totalmem() / 1e9,
    os: `${osType()} ${release()}`,
    bun: Bun.version,
    node: await commandOutput(['node', '--version']),
    loadTool: options.tool,
    commit: await commandOutput(['git', 'rev-parse', '--short', 'HEAD']),
    loadAverage: { start: startLoad, end: loadavg()[0]! },
    note: ALL_PROCESSES_NOTE,
  }
}

function countSteps(options: BenchOptions, plan: ReturnType<typeof gatewayPlan>) {
  const latency = latencyCases(options).length
  if (!options.scenarios.includes('throughput')) return latency
  return latency + PAYLOADS.length * throughputSteps(options, plan.sweep)
}

async function runLatency(
  options: BenchOptions,
  plan: ReturnType<typeof gatewayPlan>,
  scratchDir: string,
  progress: Progress,
  problems: string[],
) {
  const results: LatencyCaseResult[] = []
  for (const latencyCase of latencyCases(options)) {
    progress.step(`latency: ${latencyCase.title}`)
    try {
      results.push(
        await runLatencyCase(latencyCase, plan.hedging, options, scratchDir, progress, problems),
      )
    } catch (error) {
      problems.push(`${latencyCase.id}: ${(error as Error).message}`)
    }
  }
  return results
}

async function runAllThroughput(
  options: BenchOptions,
  plan: ReturnType<typeof gatewayPlan>,
  scratchDir: string,
  progress: Progress,
  problems: string[],
) {
  const results: ThroughputResult[] = []
  if (!options.scenarios.includes('throughput')) return results

  for (const payload of PAYLOADS) {
    const result = await runThroughput(
      payload,
      plan.throughput,
      plan.sweep,
      options,
      scratchDir,
      progress,
    )
    const reused = result.runs.filter(
      (run) => run.workers === options.workers && run.connections === options.sweepConnections,
    )
    if (plan.tailgate)
      result.sweep.push(...reused.filter((run) => run.target.startsWith('Tailgate')))
    problems.push(...result.problems)
    results.push(result)
  }
  return results
}

function writeCharts(results: BenchResults, out: string) {
  const calls = results.settings.concurrentCalls
  const panels = results.latency.map((entry) => ({
    title: entry.title,
    series: entry.gateways.flatMap((gateway) => [
      { label: `${gateway.gateway}, 1 call`, points: gateway.simple.curve },
      { label: `${gateway.gateway}, ${calls} calls`, points: gateway.concurrent.curve },
      {
        label: `${gateway.gateway}, ${calls} predicted`,
        points: gateway.predictedCurve,
        dashed: true,
      },
    ]),
  }))
  if (panels.length) writeFileSync(join(out, 'latency-percentiles.svg'), percentileChart(panels))

  const barPanels = results.throughput.map((payload) => ({
    title: `Throughput, ${payload.payload} payload (2xx req/s)`,
    unit: 'requests / s',
    groups: [...new Set(payload.runs.map((run) => run.connections))].map((connections) => ({
      label: `${connections} connections`,
      bars: payload.runs
        .filter((run) => run.connections === connections)
        .map((run) => ({
          label: `${run.target}, ${run.calls} call${run.calls > 1 ? 's' : ''}`,
          value: run.rps,
        })),
    })),
  }))
  if (barPanels.length) writeFileSync(join(out, 'throughput.svg'), barChart(barPanels))
}

async function main() {
  let options: BenchOptions | 'help'
  try {
    options = parseBenchOptions(process.argv.slice(2))
  } catch (error) {
    console.error(`${(error as Error).message}\nRun with --help to list the options.`)
    process.exit(2)
  }
  if (options === 'help') {
    process.stdout.write(helpText())
    return
  }
  if (options.render) {
    const results = JSON.parse(readFileSync(options.render, 'utf8')) as BenchResults
    mkdirSync(options.out, { recursive: true })
    writeFileSync(join(options.out, 'latest.md'), renderMarkdown(results))
    writeCharts(results, options.out)
    return
  }
  if (!toolAvailable(options.tool)) {
    console.error(
      `load tool not found on PATH: ${options.tool}; install it or use --tool autocannon`,
    )
    process.exit(2)
  }

  const startedAt = new Date().toISOString()
  const startLoad = loadavg()[0]!
  const scratchDir = join(options.out, 'tmp')
  mkdirSync(options.out, { recursive: true })
  const plan = gatewayPlan(options)
  const progress = new Progress(countSteps(options, plan))
  const problems: string[] = []
  if (!plan.tailgate)
    progress.print('Tailgate not found (src/cli.ts); measuring the baselines only')

  const latency = await runLatency(options, plan, scratchDir, progress, problems)
  const throughput = await runAllThroughput(options, plan, scratchDir, progress, problems)
  rmSync(scratchDir, { recursive: true, force: true })

  const partial = {
    schemaVersion: 1 as const,
    startedAt,
    elapsedSeconds: progress.elapsedSeconds(),
    command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    machine: await machineInfo(options, startLoad),
    settings: options,
    tailgateAvailable: plan.tailgate,
    latency,
    throughput,
    problems,
  }
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) }
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(join(options.out, 'latest.md'), renderMarkdown(results))
  writeCharts(results, options.out)

  const invalid = validateResults(results)
  progress.print(`wrote ${join(options.out, 'latest.md')} and latest.json`)
  if (invalid.length > 0 || !existsSync(join(options.out, 'latest.json'))) {
    progress.print(`results are invalid:\n  ${invalid.join('\n  ')}`)
    process.exit(1)
  }
}

await main()
