// An error boundary around one panel (inspector, dock, command log, canvas, home): when the
// panel throws while rendering or in an effect, it shows what failed in its place, with a
// button to try again, reports the error to the server, and the rest of the page keeps
// working. `resetKey` changing (another lab, another selection) tries the panel again.
//
// Knows: React's boundary lifecycle. Leaves to others: reporting (clientErrors.ts).

import { Component, type ReactNode } from "react";
import { reportClientError } from "../lib/clientErrors";

interface Props {
  /** the panel's name as a person says it: "command log" */
  panel: string;
  children: ReactNode;
  resetKey?: unknown;
  className?: string;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { resetKey: props.resetKey, error: null };
    return null;
  }

  override componentDidCatch(error: unknown): void {
    reportClientError("boundary", error, this.props.panel);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    const slug = this.props.panel.replace(/\s+/g, "-");
    return (
      <div className={`panel-failed ${this.props.className ?? ""}`} role="alert" data-testid={`panel-error-${slug}`}>
        <strong>The {this.props.panel} failed.</strong>
        <code className="panel-failed-message">{error.message || String(error)}</code>
        <span>The rest of the page still works; the error was reported to the server.</span>
        <button className="button small" onClick={() => this.setState({ error: null })} data-testid={`panel-retry-${slug}`}>
          Try again
        </button>
      </div>
    );
  }
}
