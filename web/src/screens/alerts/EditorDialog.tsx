// The frame of an add-or-edit dialog: its form, the errors no field on screen shows (listed
// on top), the call's other errors, and Cancel / save.
import type { FormEvent, ReactNode, RefObject } from "react";
import { Dialog } from "../../components/Dialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui";

export function EditorDialog({
  open,
  onClose,
  title,
  label,
  formRef,
  onSubmit,
  unplaced,
  errorsTestId,
  error,
  pending,
  submitLabel,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  /** The form's accessible name. */
  label: string;
  formRef: RefObject<HTMLFormElement | null>;
  onSubmit: (e: FormEvent) => void;
  /** Errors of fields not on screen, as [field, message]. */
  unplaced: [string, string][];
  errorsTestId: string;
  /** The call's error when no field shows it. */
  error: unknown;
  pending: boolean;
  submitLabel: string;
  children: ReactNode;
}) {
  return (
    <Dialog open={open} onClose={onClose} wide title={title}>
      <form ref={formRef} onSubmit={onSubmit} noValidate className="space-y-3" aria-label={label}>
        {unplaced.length > 0 && (
          <div role="alert" className="rounded-lg border border-down/40 bg-down/10 px-3 py-2 text-sm" data-testid={errorsTestId}>
            <ul className="list-disc pl-5">
              {unplaced.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code>: {message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {children}
        {error ? <ErrorNotice error={error} /> : null}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={pending}>
            {pending ? "Saving…" : submitLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
