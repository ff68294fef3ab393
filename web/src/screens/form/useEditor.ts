// The logic every create-or-edit form shares: its values and errors, the create or update
// call (chosen by whether an object is edited), the same checks as the server as you
// submit, what the server still refuses placed beside the fields it names, and focus moved
// to the first field that needs fixing.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { Code } from "@connectrpc/connect";
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { violationsOf, type Violation } from "../../api/errors";
import type { FieldErrors } from "../../lib/monitorForm";

/** The first field on screen that shows an error. */
export function firstInvalid(form: HTMLFormElement): HTMLElement | null {
  return form.querySelector<HTMLElement>("[aria-invalid=true], [data-invalid]");
}

/** Keys of `V` that hold text, the ones a text input edits. */
type TextKey<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V];

export interface EditorOptions<T, V, CI extends DescMessage, CO extends DescMessage, UI extends DescMessage, UO extends DescMessage> {
  /** The object edited; undefined when adding one. */
  existing: T | undefined;
  /** The form's values for it. A dialog reads them again on each opening, so keep it stable (module-level). */
  formOf: (existing: T | undefined) => V;
  /** For a dialog: whether it is open. Each opening starts afresh (values, errors, an earlier call's error). */
  open?: boolean;
  create: DescMethodUnary<CI, CO>;
  update: DescMethodUnary<UI, UO>;
  /** The client's checks, the server's rules. */
  validate: (values: V) => FieldErrors;
  /** The create or update request for the values (both carry the object the same way). */
  request: (values: V, existing: T | undefined) => MessageInitShape<CI> & MessageInitShape<UI>;
  /** Server violations keyed as the form keys its fields. */
  violationErrors: (violations: Violation[]) => FieldErrors;
  /** The error shown beside the name when the store says it is taken (AlreadyExists names no field). */
  nameTaken?: string;
  onSaved: (response: MessageShape<CO> | MessageShape<UO>) => void;
  /** Where focus goes when errors were found; by default the first field showing one. */
  focusTarget?: (form: HTMLFormElement, errors: FieldErrors) => HTMLElement | null | undefined;
}

export function useEditor<T, V, CI extends DescMessage, CO extends DescMessage, UI extends DescMessage, UO extends DescMessage>({
  existing,
  formOf,
  open,
  create: createMethod,
  update: updateMethod,
  validate,
  request,
  violationErrors,
  nameTaken,
  onSaved,
  focusTarget = firstInvalid,
}: EditorOptions<T, V, CI, CO, UI, UO>) {
  const [values, setValues] = useState(() => formOf(existing));
  const [errors, setErrors] = useState<FieldErrors>({});
  // Set when errors were just found: focus then moves to the first field that has one.
  const [focusError, setFocusError] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const create = useMutation(createMethod, { onSuccess: onSaved });
  const update = useMutation(updateMethod, { onSuccess: onSaved });
  const mutation = existing === undefined ? create : update;
  const { reset: resetCreate } = create;
  const { reset: resetUpdate } = update;

  useEffect(() => {
    if (open) {
      setValues(formOf(existing));
      setErrors({});
      // An error of an earlier opening is not this one's.
      resetCreate();
      resetUpdate();
    }
  }, [open, existing, formOf, resetCreate, resetUpdate]);

  // What the server refused, keyed by field: its violations, or a taken name. These
  // replace the client's view of the fields they name.
  const error = mutation.error;
  const serverErrors = useMemo((): FieldErrors | undefined => {
    const v = violationsOf(error);
    if (v.length) return violationErrors(v);
    if (nameTaken !== undefined && error?.code === Code.AlreadyExists) return { name: nameTaken };
    return undefined;
  }, [error, violationErrors, nameTaken]);
  useEffect(() => {
    if (serverErrors) {
      setErrors(serverErrors);
      setFocusError(true);
    }
  }, [serverErrors]);

  useEffect(() => {
    if (!focusError) return;
    const form = formRef.current;
    if (form) focusTarget(form, errors)?.focus();
    setFocusError(false);
  }, [focusError, errors, focusTarget]);

  const set = useCallback(<K extends keyof V>(key: K, value: V[K]) => setValues((v) => ({ ...v, [key]: value })), []);

  /** A text field's props: its error (under `field`), its value and its edits (under `key`). */
  const bind = <K extends TextKey<V>>(field: string, key: K) => ({
    field,
    value: values[key] as string,
    error: errors[field],
    onChange: (e: { target: { value: string } }) => set(key, e.target.value as V[K]),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length) {
      setFocusError(true);
      return;
    }
    const req = request(values, existing);
    if (existing === undefined) create.mutate(req);
    else update.mutate(req);
  };

  return {
    values,
    setValues,
    set,
    bind,
    errors,
    setErrors,
    formRef,
    submit,
    mutation,
    /** The call's error when no field shows it (shown as a notice instead). */
    unhandledError: serverErrors ? null : error,
  };
}
