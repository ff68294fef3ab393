// Labelled inputs that show their error beside themselves and tell assistive technology
// about it (aria-invalid, aria-describedby).
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";
import { cx } from "../../components/ui";

export const inputClass =
  "w-full rounded-lg border border-line bg-canvas px-3 py-2 text-sm aria-[invalid=true]:border-down aria-[invalid=true]:ring-1 aria-[invalid=true]:ring-down";

export function fieldId(field: string): string {
  return `field-${field.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

interface FieldFrame {
  field: string;
  label: string;
  hint?: ReactNode;
  error?: string;
  className?: string;
}

function describedBy(field: string, hint: unknown, error: unknown): string | undefined {
  const ids = [error ? `${fieldId(field)}-error` : "", hint ? `${fieldId(field)}-hint` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function Frame({ field, label, hint, error, className, children }: FieldFrame & { children: ReactNode }) {
  return (
    <div className={cx("min-w-0", className)}>
      <label htmlFor={fieldId(field)} className="mb-1 block text-sm font-medium">
        {label}
      </label>
      {children}
      {error && (
        <p id={`${fieldId(field)}-error`} className="mt-1 text-sm text-down" data-testid={`error-${field}`}>
          {error}
        </p>
      )}
      {hint && (
        <p id={`${fieldId(field)}-hint`} className="mt-1 text-xs text-muted">
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextField({ field, label, hint, error, className, ...input }: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Frame field={field} label={label} hint={hint} error={error} className={className}>
      <input
        id={fieldId(field)}
        name={field}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(field, hint, error)}
        className={inputClass}
        {...input}
      />
    </Frame>
  );
}

export function TextArea({ field, label, hint, error, className, ...input }: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Frame field={field} label={label} hint={hint} error={error} className={className}>
      <textarea
        id={fieldId(field)}
        name={field}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(field, hint, error)}
        className={cx(inputClass, "font-mono")}
        {...input}
      />
    </Frame>
  );
}

export function SelectField({
  field,
  label,
  hint,
  error,
  className,
  children,
  ...select
}: FieldFrame & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Frame field={field} label={label} hint={hint} error={error} className={className}>
      <select
        id={fieldId(field)}
        name={field}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(field, hint, error)}
        className={inputClass}
        {...select}
      >
        {children}
      </select>
    </Frame>
  );
}

export function CheckField({
  field,
  label,
  hint,
  checked,
  onChange,
}: {
  field: string;
  label: string;
  hint?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div className="flex items-start gap-2">
      <input
        id={fieldId(field)}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${fieldId(field)}-hint` : undefined}
        className="mt-0.5 size-4 accent-[var(--accent)]"
      />
      <div>
        <label htmlFor={fieldId(field)} className="text-sm font-medium">
          {label}
        </label>
        {hint && (
          <p id={`${fieldId(field)}-hint`} className="text-xs text-muted">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="rounded-xl border border-line bg-surface p-4">
      <legend className="px-1 text-sm font-semibold tracking-wide text-muted uppercase">{title}</legend>
      <div className="grid gap-4 sm:grid-cols-2">{children}</div>
    </fieldset>
  );
}
