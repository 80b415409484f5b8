/**
 * A progress bar on stderr (so stdout stays a clean markdown report). On a terminal it redraws
 * one line; otherwise it prints a line per phase, so logs show where a run is.
 */
export class Progress {
  private done = 0;
  private readonly started = performance.now();
  private label = "";
  private phaseLabel = "";
  private readonly tty: boolean;
  private lastDraw = 0;

  constructor(
    private total: number,
    private readonly title: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true && process.env.CI === undefined;
  }

  /** More work discovered (or skipped: negative). */
  addWork(steps: number): void {
    this.total = Math.max(this.done, this.total + steps);
    this.draw(true);
  }

  /** A new phase (a group size, a configuration …). */
  phase(label: string): void {
    this.phaseLabel = label;
    this.label = "";
    if (!this.tty)
      this.stream.write(`[${this.title}] ${this.elapsed()} ${this.count()} ${label}\n`);
    else this.draw(true);
  }

  /** The step now running. */
  step(label: string): void {
    this.label = label;
    this.draw(false);
  }

  /** One unit of work finished. */
  tick(n = 1): void {
    this.done = Math.min(this.total, this.done + n);
    this.draw(false);
  }

  /** Removes the bar (call before printing the report). */
  finish(): void {
    if (this.tty) this.stream.write("\r\x1b[2K");
    else this.stream.write(`[${this.title}] done in ${this.elapsed()}\n`);
  }

  /** Writes a note without garbling the bar. */
  note(text: string): void {
    if (this.tty) this.stream.write("\r\x1b[2K");
    this.stream.write(`${text}\n`);
    this.draw(true);
  }

  private count(): string {
    return `${this.done}/${this.total}`;
  }

  private elapsed(): string {
    const s = Math.round((performance.now() - this.started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const frac = this.total === 0 ? 0 : this.done / this.total;
    const fill = Math.round(frac * width);
    const bar = `${"█".repeat(fill)}${"░".repeat(width - fill)}`;
    const text = `${this.title} ${bar} ${this.count()} ${this.elapsed()} ${this.phaseLabel} ${this.label}`;
    const cols = this.stream.columns ?? 100;
    this.stream.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
  }
}
