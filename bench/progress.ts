/** Progress lines on stderr: elapsed time, step number of the total, and what runs now. */
export class Progress {
  readonly #started = performance.now()
  #step = 0

  constructor(readonly totalSteps: number) {}

  /** Starts the next step and prints its label. */
  step(label: string) {
    this.#step++
    this.print(`step ${this.#step}/${this.totalSteps}: ${label}`)
  }

  /** Prints a line about the current step, such as how far a timed run is. */
  note(text: string) {
    this.print(`  ${text}`)
  }

  elapsedSeconds() {
    return (performance.now() - this.#started) / 1000
  }

  print(text: string) {
    const seconds = Math.round(this.elapsedSeconds())
    const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
    process.stderr.write(`[bench ${clock}] ${text}\n`)
  }

  /** Prints "label: x/y s" every `everyS` seconds until `promise` settles. */
  async during<T>(promise: Promise<T>, label: string, totalS: number, everyS = 5): Promise<T> {
    const started = performance.now()
    const timer = setInterval(() => {
      const done = Math.round((performance.now() - started) / 1000)
      this.note(`${label}: ${done}/${Math.ceil(totalS)} s`)
    }, everyS * 1000)
    try {
      return await promise
    } finally {
      clearInterval(timer)
    }
  }
}
