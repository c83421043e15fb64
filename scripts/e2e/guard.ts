/**
 * The e2e script's safety guard: it spends real money in a real account, so it runs only when
 * asked for explicitly, never in CI and never against the local moto endpoint the tests use.
 */

/** The environment variable that must be exactly `1`. */
export const E2E_FLAG = 'JENKINS_ECS_E2E';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '::1', '[::1]', 'host.docker.internal']);

/** True when an endpoint URL aims at this machine or at a moto server. */
export function isLocalEndpoint(url: string): boolean {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    // handled below
  }
  // Not a URL with a host (e.g. `localhost:5000` parses as a scheme): judge the raw text,
  // erring on the side of refusing.
  if (host === '') return /localhost|127\.\d+\.\d+\.\d+|::1|moto/i.test(url);
  return LOCAL_HOSTS.has(host) || host.endsWith('.localhost') || /^127\./.test(host) || host.includes('moto');
}

/**
 * Why the script must not run in this environment, as one line; undefined when it may.
 * Checked in order: the opt-in flag, CI, local/moto endpoints (any `AWS_ENDPOINT_URL*`, `MOTO_URL`).
 */
export function refusal(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env[E2E_FLAG] !== '1') {
    return `refusing to run: this deploys real AWS resources and costs money; set ${E2E_FLAG}=1 to opt in (see docs/e2e.md)`;
  }
  if (env.CI !== undefined) {
    return `refusing to run: CI is set (CI=${JSON.stringify(env.CI)}); the real-AWS e2e never runs in CI, only by hand`;
  }
  for (const [key, value] of Object.entries(env)) {
    if (!value) continue;
    if ((key === 'AWS_ENDPOINT_URL' || key.startsWith('AWS_ENDPOINT_URL_')) && isLocalEndpoint(value)) {
      return `refusing to run: ${key}=${value} points at a local/moto endpoint; the e2e needs real AWS, unset it`;
    }
  }
  if (env.MOTO_URL) {
    return `refusing to run: MOTO_URL is set (the test harness's moto server); run the e2e from a plain shell`;
  }
  return undefined;
}
