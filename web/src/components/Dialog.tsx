// A modal on the native <dialog>: focus is trapped and Escape closes it, by the browser.
import { useEffect, useId, useRef, type ReactNode } from "react";
import { cx } from "./ui";

export function Dialog({
  open,
  onClose,
  title,
  children,
  wide = false,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  /** Room for a form of several fields (36 rem instead of 28). */
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Two dialogs can be open at once (a confirmation, then the token prompt over it).
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-labelledby={titleId}
      className={cx(
        "m-auto rounded-xl border border-line bg-surface p-0 text-ink shadow-xl",
        wide ? "w-[min(36rem,calc(100vw-2rem))]" : "w-[min(28rem,calc(100vw-2rem))]",
      )}
    >
      {open && (
        <div className="p-5">
          <h2 id={titleId} className="mb-3 text-lg font-semibold">
            {title}
          </h2>
          {children}
        </div>
      )}
    </dialog>
  );
}
