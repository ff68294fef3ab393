// Editable name/value rows: request headers and labels. Errors are shown per row, keyed
// the way the server names them (headers[1].name, labels.env).
import { Plus, X } from "lucide-react";
import type { FieldErrors, Pair } from "../../lib/monitorForm";
import { Button } from "../../components/ui";
import { fieldId, inputClass } from "./fields";

export function PairsEditor({
  field,
  legend,
  pairs,
  onChange,
  keyLabel,
  valueLabel,
  errorFor,
  addLabel,
}: {
  field: string;
  legend: string;
  pairs: Pair[];
  onChange: (pairs: Pair[]) => void;
  keyLabel: string;
  valueLabel: string;
  /** The error of row `index`, if any. */
  errorFor: (index: number, pair: Pair) => string | undefined;
  addLabel: string;
}) {
  const set = (i: number, patch: Partial<Pair>) => onChange(pairs.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <div className="sm:col-span-2" role="group" aria-labelledby={`${fieldId(field)}-legend`}>
      <p id={`${fieldId(field)}-legend`} className="mb-1 text-sm font-medium">
        {legend}
      </p>
      <div className="space-y-2">
        {pairs.map((pair, i) => {
          const error = errorFor(i, pair);
          const errorId = `${fieldId(field)}-${i}-error`;
          return (
            <div key={i}>
              <div className="flex gap-2">
                <input
                  aria-label={`${keyLabel} ${i + 1}`}
                  id={fieldId(`${field}[${i}].name`)}
                  placeholder={keyLabel}
                  value={pair.key}
                  onChange={(e) => set(i, { key: e.target.value })}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? errorId : undefined}
                  className={inputClass}
                />
                <input
                  aria-label={`${valueLabel} ${i + 1}`}
                  placeholder={valueLabel}
                  value={pair.value}
                  onChange={(e) => set(i, { value: e.target.value })}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? errorId : undefined}
                  className={inputClass}
                />
                <Button variant="ghost" aria-label={`Remove ${keyLabel.toLowerCase()} ${i + 1}`} onClick={() => onChange(pairs.filter((_, j) => j !== i))}>
                  <X aria-hidden="true" className="size-4" />
                </Button>
              </div>
              {error && (
                <p id={errorId} className="mt-1 text-sm text-down">
                  {error}
                </p>
              )}
            </div>
          );
        })}
      </div>
      <Button className="mt-2" onClick={() => onChange([...pairs, { key: "", value: "" }])}>
        <Plus aria-hidden="true" className="size-4" /> {addLabel}
      </Button>
    </div>
  );
}

/** Labels (key = value): an error comes under its key ("labels.env"), or under "labels" for the whole set (shown on the first row). */
export function LabelsEditor({
  field,
  legend,
  pairs,
  onChange,
  errors,
}: {
  field: string;
  legend: string;
  pairs: Pair[];
  onChange: (pairs: Pair[]) => void;
  errors: FieldErrors;
}) {
  return (
    <PairsEditor
      field={field}
      legend={legend}
      keyLabel="Key"
      valueLabel="Value"
      addLabel="Add label"
      pairs={pairs}
      onChange={onChange}
      errorFor={(i, p) => errors[`labels.${p.key.trim()}`] ?? (i === 0 ? errors.labels : undefined)}
    />
  );
}
