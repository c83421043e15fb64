/**
 * Small text helpers for CLI output: aligned tables, relative ages, sizes and a progress bar.
 * Ages are printed as `<n><unit> ago` so `scrubTimes` (io.ts) can mask them in tests.
 */

/** `12s ago`, `5 min ago`, `3h ago`, `2d ago`; `in the future` for clock skew. */
export function formatAge(then: Date, now: Date): string {
  const ms = now.getTime() - then.getTime();
  if (ms < 0) return 'in the future';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

/**
 * Column-aligned table; the last column is not padded so lines carry no trailing spaces.
 * Columns listed in `rightAlign` (e.g. money) are padded on the left instead, the last one too.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], rightAlign: readonly number[] = []): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAlign.includes(i) ? c.padStart(widths[i] ?? 0) : i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Parses EBS `Progress` ("42%", "" or undefined) into 0..100. */
export function parseProgress(progress: string | undefined): number {
  const n = Number.parseFloat((progress ?? '').replace('%', ''));
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

/** `[##########----------]  50%` */
export function progressBar(percent: number, width = 30): string {
  const p = Math.min(100, Math.max(0, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(p).padStart(3)}%`;
}

export function formatGiB(sizeGiB: number | undefined): string {
  return sizeGiB === undefined ? '-' : `${sizeGiB} GiB`;
}

/** The last path segment of an ARN (task id, service name), for narrow columns. */
export function shortArn(arn: string | undefined): string {
  if (!arn) return '-';
  const i = arn.lastIndexOf('/');
  return i >= 0 ? arn.slice(i + 1) : arn;
}
