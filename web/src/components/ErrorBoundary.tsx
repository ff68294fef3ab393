// A screen that throws while rendering shows what happened instead of a blank page; the
// rest of the app (navigation, connection) keeps working.
import { Component, type ReactNode } from "react";
import { Button } from "./ui";

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunkFailed = /dynamically imported module|Importing a module script failed|fetch/i.test(error.message);
    return (
      <div role="alert" className="mx-auto max-w-xl rounded-xl border border-down/40 bg-down/10 p-4 text-sm">
        <p className="font-semibold">{chunkFailed ? "Part of the dashboard could not be loaded" : "This screen failed"}</p>
        <p className="mt-1 break-words text-muted">
          {chunkFailed ? "The server may have restarted with a newer version." : error.message}
        </p>
        <div className="mt-3 flex gap-2">
          <Button onClick={() => this.setState({ error: null })}>Try again</Button>
          <Button onClick={() => location.reload()}>Reload the page</Button>
        </div>
      </div>
    );
  }
}
