// Small building blocks with the app's look, so screens read as structure, not class lists.
import type { ButtonHTMLAttributes, HTMLAttributes, ReactNode } from "react";

export function cx(...classes: (string | false | null | undefined)[]): string {
  return classes.filter(Boolean).join(" ");
}

export function Card({ className, ...rest }: HTMLAttributes<HTMLElement>) {
  return <section className={cx("min-w-0 rounded-xl border border-line bg-surface p-3 shadow-sm sm:p-4", className)} {...rest} />;
}

export function CardTitle({ children, right, id }: { children: ReactNode; right?: ReactNode; id?: string }) {
  return (
    <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
      <h2 id={id} className="text-sm font-semibold tracking-wide text-muted uppercase">
        {children}
      </h2>
      {right}
    </div>
  );
}

type Variant = "primary" | "secondary" | "danger" | "ghost";

const VARIANTS: Record<Variant, string> = {
  primary: "bg-accent text-white dark:text-slate-950 hover:opacity-90 border-transparent",
  secondary: "bg-surface text-ink border-line hover:bg-surface-2",
  danger: "bg-down text-white dark:text-slate-950 border-transparent hover:opacity-90",
  ghost: "bg-transparent text-ink border-transparent hover:bg-surface-2",
};

export function Button({
  variant = "secondary",
  className,
  type = "button",
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return (
    <button
      type={type}
      className={cx(
        "inline-flex min-h-9 items-center justify-center gap-1.5 rounded-lg border px-3 py-1.5 text-sm font-medium",
        "disabled:cursor-not-allowed disabled:opacity-50",
        VARIANTS[variant],
        className,
      )}
      {...rest}
    />
  );
}

/** A figure with its caption, as in the tiles above a chart. */
export function Stat({ label, value, hint, tone }: { label: string; value: ReactNode; hint?: ReactNode; tone?: string }) {
  return (
    <div className="min-w-0">
      <div className="text-xs text-muted">{label}</div>
      <div className={cx("truncate text-lg font-semibold tabular-nums", tone)}>{value}</div>
      {hint !== undefined && <div className="truncate text-xs text-muted">{hint}</div>}
    </div>
  );
}

/** A horizontal share bar (0..100 %), with its value given in words for screen readers. */
export function Meter({ pct, label, tone = "bg-accent" }: { pct: number | undefined; label: string; tone?: string }) {
  const clamped = Math.max(0, Math.min(100, pct ?? 0));
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === undefined ? undefined : Math.round(clamped)}
      className="h-2 w-full overflow-hidden rounded-full bg-surface-2"
    >
      <div className={cx("h-full rounded-full", tone)} style={{ width: `${clamped}%` }} />
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="py-6 text-center text-sm text-muted">{children}</p>;
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
      <h1 className="min-w-0 text-xl font-semibold break-words">{title}</h1>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  );
}
