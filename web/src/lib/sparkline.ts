// Geometry of the overview's tiny charts, kept pure so 1,000 rows cost string building only.

/**
 * An SVG path through `values` spread over `width`, scaled so the largest sits at the top;
 * a null (a check that did not finish) breaks the line rather than dropping it to zero.
 */
export function sparklinePath(values: readonly (number | null)[], width: number, height: number, pad = 2): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return "";
  const max = Math.max(...present);
  const min = Math.min(...present);
  const span = max - min || max || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) => (height - pad - ((v - min) / span) * (height - 2 * pad)).toFixed(1);
  let path = "";
  let penDown = false;
  values.forEach((v, i) => {
    if (v === null) {
      penDown = false;
      return;
    }
    const x = (values.length > 1 ? i * step : width / 2).toFixed(1);
    path += `${penDown ? "L" : "M"}${x} ${y(v)}`;
    penDown = true;
  });
  return path;
}

/**
 * One path per tone for a strip of `slots` bars, newest at the right: three paths instead
 * of 90 rectangles per row.
 */
export function stripPaths<T extends string | number>(
  outcomes: readonly T[],
  slots: number,
  width: number,
  height: number,
  gap = 1,
): Map<T, string> {
  const bar = width / slots;
  const w = Math.max(0.5, bar - gap).toFixed(2);
  const offset = slots - Math.min(outcomes.length, slots);
  const shown = outcomes.slice(-slots);
  const paths = new Map<T, string>();
  shown.forEach((outcome, i) => {
    const x = ((offset + i) * bar).toFixed(2);
    paths.set(outcome, `${paths.get(outcome) ?? ""}M${x} 0h${w}v${height}h-${w}z`);
  });
  return paths;
}
