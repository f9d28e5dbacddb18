import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'
import type { MarketBackendStats } from '../src/demo/market-backend.ts'

/** A child process of the bench: a backend, a gateway, a baseline or a load generator. */
export interface Service {
  name: string
  pid: number
  url: string
  /** Peak resident set size so far, in MB (10^6 bytes), from the kernel's VmHWM. */
  peakRssMb(): number | undefined
  /** User plus system CPU time the process has used so far, in seconds (all its threads). */
  cpuSeconds(): number | undefined
  /** Whether the process is still running. */
  running(): boolean
  /** The first 4 KiB of what the process wrote to stdout and stderr. */
  output(): Promise<string>
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 3_000

/** Starts a command and resolves once `readyUrl` returns any HTTP response. */
export async function startService(
  name: string,
  command: string[],
  url: string,
  readyUrl: string,
): Promise<Service> {
  const child = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const output = collectOutput(child)
  try {
    await waitForHttp(readyUrl, child)
  } catch (error) {
    child.kill('SIGKILL')
    await child.exited
    throw new Error(`${name} failed to start: ${(error as Error).message}\n${await output()}`)
  }
  return serviceOf(name, child, url, output)
}

/** Starts the demo backend CLI with `args` and reads its URL from its startup line. */
export async function startBackend(name: string, args: string[]): Promise<Service> {
  const command = [process.execPath, 'src/demo/market-backend.ts', '--port', '0', ...args]
  const child = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const reader = child.stdout.getReader()
  const { value } = await reader.read()
  reader.releaseLock()

  const line = new TextDecoder().decode(value ?? new Uint8Array())
  let url: string
  try {
    url = JSON.parse(line.split('\n')[0]!).url
  } catch {
    child.kill('SIGKILL')
    throw new Error(`${name} failed to start: ${line}${await new Response(child.stderr).text()}`)
  }
  return serviceOf(name, child, url, async () => '')
}

function serviceOf(name: string, child: Subprocess, url: string, output: () => Promise<string>) {
  return {
    name,
    pid: child.pid,
    url,
    peakRssMb: () => readPeakRssMb(child.pid),
    cpuSeconds: () => readCpuSeconds(child.pid),
    running: () => child.exitCode === null && child.signalCode === null,
    output,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await child.exited
      clearTimeout(timer)
    },
  } satisfies Service
}

/** Returns a function that resolves to the first 4 KiB of the child's stdout and stderr. */
function collectOutput(child: Subprocess<'ignore', 'pipe', 'pipe'>) {
  let text = ''
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) {
      if (text.length < 4096) text += decoder.decode(chunk)
    }
  }
  const done = Promise.all([drain(child.stdout), drain(child.stderr)])
  return async () => {
    await Promise.race([done, Bun.sleep(200)])
    return text.slice(0, 4096)
  }
}

async function waitForHttp(url: string, child: Subprocess) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      return
    } catch {
      await Bun.sleep(100)
    }
  }
  throw new Error(`no response from ${url} within ${READY_TIMEOUT_MS} ms`)
}

/** Reads VmHWM (peak RSS) of a live process from /proc; undefined where /proc is missing. */
export function readPeakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status)
    return match ? (Number(match[1]) * 1024) / 1e6 : undefined
  } catch {
    return undefined
  }
}

// NOTE: assumes the usual USER_HZ of 100 ticks per second; `getconf CLK_TCK` shows the real value.
const CLOCK_TICKS_PER_SECOND = 100

/** Reads utime + stime of a live process from /proc/PID/stat; undefined where /proc is missing. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name in field 2 may contain spaces, so count fields after its closing bracket.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

/** Reads the demo backend's counters. */
export async function backendStats(backend: Service): Promise<MarketBackendStats> {
  const response = await fetch(`${backend.url}/__backend/stats`)
  return (await response.json()) as MarketBackendStats
}
