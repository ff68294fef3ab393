import { useSyncExternalStore } from "react";
import { KeyRound, Moon, Sun } from "lucide-react";
import { tokenStore } from "../api/token";
import { setTheme, useTheme } from "./theme";

export function HeaderControls() {
  const theme = useTheme();
  const token = useSyncExternalStore(tokenStore.subscribe, tokenStore.get);
  const next = theme === "dark" ? "light" : "dark";
  return (
    <div className="flex items-center gap-1">
      {token && (
        <button
          type="button"
          onClick={() => tokenStore.clear()}
          title="Forget the admin token for this tab"
          aria-label="Forget the admin token"
          className="rounded-lg p-2 text-muted hover:bg-surface-2 hover:text-ink"
        >
          <KeyRound aria-hidden="true" className="size-4" />
        </button>
      )}
      <button
        type="button"
        onClick={() => setTheme(next)}
        aria-label={`Switch to the ${next} theme`}
        className="rounded-lg p-2 text-muted hover:bg-surface-2 hover:text-ink"
      >
        {theme === "dark" ? <Sun aria-hidden="true" className="size-4" /> : <Moon aria-hidden="true" className="size-4" />}
      </button>
    </div>
  );
}
