/**
 * `jenkins-ecs restart [--yes] [--no-pre-copy] [--stop-first] [--pre-copy-timeout-minutes M] [--poll-seconds S] [--name N] [--json]`
 * A planned restart through the handover (src/continuity/handover.ts): pre-copy snapshot while
 * Jenkins serves; then one service update stops the old task and launches the new one from the
 * pre-copy, the old keeper handing its last writes over as a delta (the launch before the stop);
 * or, where that cannot be (`--stop-first`, no delta from the holder), stop, then exactly one task
 * from the pre-copy with the handoff or from the completed final snapshot. Prints
 * each phase as it begins and the time each took. Killed midway, the same command (any operator,
 * any id) resumes the handover the record shows in progress.
 */
import { randomUUID } from 'node:crypto';
import { driveHandover, HandoverError, HANDOVER_STEPS, type HandoverResult, type HandoverStep } from '../../continuity/handover.js';
import { positive } from '../args.js';
import { awsFor, COMMON_OPTIONS, mapAwsError, parseCommandArgs, resolveDeployment, withAwsErrors, type AwsCommandContext } from '../aws-context.js';
import { CliError, EXIT } from '../errors.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  yes: { type: 'boolean', short: 'y', default: false },
  'no-pre-copy': { type: 'boolean', default: false },
  'stop-first': { type: 'boolean', default: false },
  'pre-copy-timeout-minutes': { type: 'string' },
  'poll-seconds': { type: 'string' },
} as const;

export const STEP_LABEL: Record<HandoverStep, string> = {
  begun: 'handover begun (no keeper may acquire, the reconciler holds off)',
  'pre-copy': 'pre-copy: snapshot of the home while Jenkins serves',
  stopping: 'stopping: Jenkins stops, its keeper takes and registers the final snapshot',
  stopped: 'final snapshot completed; no task runs',
  launching: 'launching one task (from the pre-copy while the old one stops and hands over, or from the final snapshot)',
};

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values } = parseCommandArgs('restart', args, OPTIONS);
  const deployment = resolveDeployment(values, ctx);
  const pollMs = positive(values['poll-seconds'], '--poll-seconds', 5, 'restart') * 1000;
  const preCopyTimeoutMs = positive(values['pre-copy-timeout-minutes'], '--pre-copy-timeout-minutes', 15, 'restart') * 60_000;
  const { io } = ctx;
  const say = (line: string): void => (values.json ? io.err(line) : io.out(line));

  return withAwsErrors(deployment, async () => {
    const aws = await awsFor(ctx, deployment);
    const { record, ecs } = aws;
    const { names } = deployment;
    const current = await record.read(names.lineage);
    const resuming = current?.operation?.kind === 'handover';
    if (resuming) say(`a handover (${current!.operation!.id}) is in progress at step '${current!.operation!.step ?? 'begun'}': resuming it`);
    else {
      say(`restart ${deployment.name}: ${values['no-pre-copy'] ? '' : 'pre-copy snapshot, then '}stop Jenkins and start one task with everything it wrote`);
      if (!values.yes && !(await io.confirm(`restart ${deployment.name} now? Jenkins will be down until the new task boots`))) {
        throw new CliError('restart cancelled: nothing was changed', EXIT.failure);
      }
    }

    const timings: { step: HandoverStep; seconds?: number }[] = [];
    let phaseStart = aws.clock.now().getTime();
    const close = (at: Date): void => {
      const last = timings.at(-1);
      if (last && last.seconds === undefined) {
        last.seconds = Math.round((at.getTime() - phaseStart) / 100) / 10;
        say(`  ${last.step} took ${last.seconds} s`);
      }
      phaseStart = at.getTime();
    };
    let result: HandoverResult;
    try {
      result = await driveHandover(
        {
          record,
          ec2: aws.ec2,
          ecs,
          clock: aws.clock,
          log: (e) => {
            if (e.level === 'warn' || e.level === 'error') say(`${e.level}: ${e.msg}`);
          },
          onStep: (step, at) => {
            close(at);
            timings.push({ step });
            say(`[${HANDOVER_STEPS.indexOf(step) + 1}/${HANDOVER_STEPS.length}] ${STEP_LABEL[step]}`);
          },
        },
        {
          lineage: names.lineage,
          cluster: names.cluster,
          service: names.service,
          starter: 'service',
          preCopy: !values['no-pre-copy'],
          launchBeforeStop: !values['stop-first'],
          preCopyTimeoutMs,
          pollMs,
        },
        { id: randomUUID(), resume: true },
      );
    } catch (e) {
      if (e instanceof HandoverError) throw new CliError(`restart refused: ${e.message}`, e.code === 'no-service' ? EXIT.notFound : EXIT.refused);
      const mapped = mapAwsError(e, deployment);
      const step = timings.at(-1)?.step ?? 'before any step';
      throw new CliError(`restart interrupted (at '${step}'): ${mapped.message}; re-run 'jenkins-ecs restart' to finish it`, mapped.exitCode);
    }
    close(aws.clock.now());
    if (result.state !== 'done') throw new CliError(`restart stopped waiting at '${result.step}': ${result.reason}; re-run to finish it`, EXIT.failure);
    if (values.json) {
      io.out(JSON.stringify({ operation: result.id, launch: result.launch, preCopy: result.preCopy ?? null, steps: timings }, null, 2));
    } else {
      io.out(`restart done: ${names.service} launches one task from ${result.launch ?? 'no snapshot (every snapshot of the lineage failed; see the log)'}; follow its boot with 'jenkins-ecs status'`);
    }
    return EXIT.ok;
  });
}
