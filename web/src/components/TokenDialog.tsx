// Asks for the admin token when the server refused a write for the lack of it. The call
// that needed it waits and goes on by itself once the token is entered.
import { useState, useSyncExternalStore, type FormEvent } from "react";
import { KeyRound } from "lucide-react";
import { tokenStore } from "../api/token";
import { Dialog } from "./Dialog";
import { Button } from "./ui";

export function TokenDialog() {
  const pending = useSyncExternalStore(tokenStore.subscribe, tokenStore.pending);
  const [value, setValue] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    pending?.resolve(value.trim());
    setValue("");
  };
  return (
    <Dialog open={pending !== undefined} onClose={() => pending?.resolve(null)} title="Admin token needed">
      <form onSubmit={submit} className="space-y-3 text-sm">
        <p className="text-muted">{pending?.reason}</p>
        <p className="text-muted">It is kept for this browser tab only, and sent with changes you make.</p>
        <label className="block">
          <span className="mb-1 block font-medium">Token</span>
          <input
            type="password"
            autoFocus
            autoComplete="current-password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            className="w-full rounded-lg border border-line bg-canvas px-3 py-2"
          />
        </label>
        <div className="flex justify-end gap-2">
          <Button onClick={() => pending?.resolve(null)}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={!value.trim()}>
            <KeyRound aria-hidden="true" className="size-4" /> Use token
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
