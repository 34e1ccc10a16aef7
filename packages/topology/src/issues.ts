// A problem of a lab document, and the error that carries them.
//
// Knows how a problem reads (its place, then the message). Kept apart from validate.ts (zod)
// so that code which only reports problems (the engine, the CLI's fast commands) does not
// load zod. Leaves finding the problems to validate.ts.

export interface LabIssue {
  /** e.g. `links[3].vlan` */
  path: string;
  message: string;
}

export class LabValidationError extends Error {
  constructor(readonly issues: LabIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "LabValidationError";
  }
}

export function formatIssue(issue: LabIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}
