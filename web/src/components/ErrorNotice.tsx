// A failed call, shown where its data would have been: what went wrong in words, the
// server's own message, the fields it named, and a way to try again.
import { CircleAlert } from "lucide-react";
import { readableError } from "../api/errors";
import { Button, cx } from "./ui";

export function ErrorNotice({
  error,
  onRetry,
  retryLabel = "Retry",
  className,
}: {
  error: unknown;
  onRetry?: () => void;
  retryLabel?: string;
  className?: string;
}) {
  const e = readableError(error);
  return (
    <div role="alert" className={cx("rounded-lg border border-down/40 bg-down/10 p-3 text-sm", className)}>
      <div className="flex items-start gap-2">
        <CircleAlert aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-down" />
        <div className="min-w-0 flex-1">
          <p className="font-semibold">{e.title}</p>
          {e.message && <p className="break-words text-muted">{e.message}</p>}
          {e.violations.length > 0 && (
            <ul className="mt-1 list-disc pl-5">
              {e.violations.map((v) => (
                <li key={`${v.field}:${v.description}`}>
                  <code>{v.field}</code>: {v.description}
                </li>
              ))}
            </ul>
          )}
          <p className="mt-1 text-xs text-muted">code: {e.code}</p>
        </div>
        {onRetry && (
          <Button onClick={onRetry} className="shrink-0">
            {retryLabel}
          </Button>
        )}
      </div>
    </div>
  );
}
