// The admin token, asked for once when a write is refused and kept for the browser session
// (sessionStorage: gone when the tab closes, never written to disk as a long-lived secret).
// Reads never need it unless the server runs with private reads.

const KEY = "pulsar.adminToken";

export interface TokenRequest {
  reason: string;
  resolve(token: string | null): void;
}

type Listener = () => void;

let pending: TokenRequest | undefined;
const listeners = new Set<Listener>();
const notify = () => listeners.forEach((l) => l());

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

export const tokenStore = {
  get(): string | null {
    return storage()?.getItem(KEY) ?? null;
  },
  set(token: string): void {
    storage()?.setItem(KEY, token);
    notify();
  },
  clear(): void {
    storage()?.removeItem(KEY);
    notify();
  },
  /** The request the token dialog should show, if any. */
  pending(): TokenRequest | undefined {
    return pending;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /**
   * Asks the user for the token (one dialog, however many calls wait for it); resolves with
   * the token, or null when they cancel.
   */
  request(reason: string): Promise<string | null> {
    if (pending) {
      const first = pending;
      return new Promise((resolve) => {
        const resolveFirst = first.resolve;
        first.resolve = (token) => {
          resolveFirst(token);
          resolve(token);
        };
      });
    }
    return new Promise((resolve) => {
      pending = {
        reason,
        resolve: (token) => {
          pending = undefined;
          if (token) tokenStore.set(token);
          notify();
          resolve(token);
        },
      };
      notify();
    });
  },
};
