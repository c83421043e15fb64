/**
 * The one place the CLI writes to the terminal. Commands receive an `Io`; tests pass a `BufferIo`
 * and read what was printed. ESLint forbids `console` everywhere else in src/.
 */
import { createInterface } from 'node:readline/promises';

export interface Io {
  /** A line of normal output (stdout). */
  out(line: string): void;
  /** A line of diagnostics or progress (stderr). */
  err(line: string): void;
  /** Ask a yes/no question; resolves false on anything but y/yes. */
  confirm(question: string): Promise<boolean>;
  /** Redraw a single progress line in place (a TTY) or print it (not a TTY). */
  progress(line: string): void;
  /** True when stdout is a terminal (colours, in-place progress). */
  readonly interactive: boolean;
}

/**
 * A stream whose reader may go away (`jenkins-ecs plan | head -1`). Once the reader has closed
 * (EPIPE, or the stream ended), later lines are dropped instead of raising `write EPIPE`: the
 * command still runs to its end, so a restore piped into `head` is never cut off halfway, and it
 * exits with its own code. Any other write error is not ours to hide and is thrown on.
 */
export class ClosableOutput {
  private closed = false;

  constructor(private readonly stream: NodeJS.WritableStream & { destroyed?: boolean }) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw e;
    });
  }

  /** False once the reader has gone: nothing more will be written. */
  get open(): boolean {
    return !this.closed && !this.stream.destroyed;
  }

  write(text: string): void {
    if (this.open) this.stream.write(text);
  }
}

// One wrapper per process stream, so several ConsoleIo instances share the closed state and
// register one listener each.
let stdoutOut: ClosableOutput | undefined;
let stderrOut: ClosableOutput | undefined;

export class ConsoleIo implements Io {
  readonly interactive = Boolean(process.stderr.isTTY);
  private progressOpen = false;
  private readonly stdout = (stdoutOut ??= new ClosableOutput(process.stdout));
  private readonly stderr = (stderrOut ??= new ClosableOutput(process.stderr));

  out(line: string): void {
    this.endProgress();
    this.stdout.write(`${line}\n`);
  }

  err(line: string): void {
    this.endProgress();
    this.stderr.write(`${line}\n`);
  }

  progress(line: string): void {
    if (this.interactive) {
      this.stderr.write(`\r\x1b[2K${line}`);
      this.progressOpen = true;
    } else {
      this.stderr.write(`${line}\n`);
    }
  }

  async confirm(question: string): Promise<boolean> {
    this.endProgress();
    if (!process.stdin.isTTY) {
      // No terminal to ask: refuse rather than guess. `--yes` is the way to skip the prompt.
      this.stderr.write(`${question} [y/N] (no terminal: answering no; pass --yes to proceed)\n`);
      return false;
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
      return answer === 'y' || answer === 'yes';
    } finally {
      rl.close();
    }
  }

  private endProgress(): void {
    if (this.progressOpen) {
      this.stderr.write('\n');
      this.progressOpen = false;
    }
  }
}

/** Captures output for tests. `answers` are returned by successive `confirm` calls. */
export class BufferIo implements Io {
  readonly interactive = false;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly questions: string[] = [];

  constructor(private readonly answers: boolean[] = []) {}

  out(line: string): void {
    this.stdout.push(line);
  }

  err(line: string): void {
    this.stderr.push(line);
  }

  progress(line: string): void {
    this.stderr.push(line);
  }

  async confirm(question: string): Promise<boolean> {
    this.questions.push(question);
    return this.answers.shift() ?? false;
  }

  /** All stdout as one string, with ISO times and durations scrubbed for stable assertions. */
  text(scrub = true): string {
    const s = this.stdout.join('\n');
    return scrub ? scrubTimes(s) : s;
  }
}

export function scrubTimes(s: string): string {
  return s
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\b\d+(\.\d+)?\s?(ms|s|min|h|d) ago\b/g, '<age> ago');
}
