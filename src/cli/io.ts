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

export class ConsoleIo implements Io {
  readonly interactive = Boolean(process.stderr.isTTY);
  private progressOpen = false;

  out(line: string): void {
    this.endProgress();
    process.stdout.write(`${line}\n`);
  }

  err(line: string): void {
    this.endProgress();
    process.stderr.write(`${line}\n`);
  }

  progress(line: string): void {
    if (this.interactive) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.progressOpen = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  async confirm(question: string): Promise<boolean> {
    this.endProgress();
    if (!process.stdin.isTTY) {
      // No terminal to ask: refuse rather than guess. `--yes` is the way to skip the prompt.
      process.stderr.write(`${question} [y/N] (no terminal: answering no; pass --yes to proceed)\n`);
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
      process.stderr.write('\n');
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
