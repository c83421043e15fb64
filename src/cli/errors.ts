/**
 * Typed CLI errors. Each has a distinct exit code and a one-line, lowercase message that names
 * the bad value. bin/jenkins-ecs.ts prints `jenkins-ecs: <message>` and exits with the code;
 * the stack trace only with --debug.
 */
export const EXIT = {
  ok: 0,
  /** Invalid config, or a check that failed (validate), or a "no" at a prompt. */
  failure: 1,
  usage: 2,
  noCredentials: 3,
  notFound: 4,
  emptyLineage: 5,
  throttled: 6,
  refused: 7,
  aws: 8,
  /** No live holder: no Jenkins owns the home right now (snapshot). */
  noHolder: 9,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
