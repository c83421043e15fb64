/** The real clock: wall time and timer-based sleep. Tests and the simulator pass their own `Clock`. */
import type { Clock } from './ports.js';

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
