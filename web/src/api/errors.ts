// Connect errors as something a person can act on: a title, the server's message, and for
// invalid input the fields that are wrong.
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../gen/pulsar/v1/api_pb";

export interface Violation {
  field: string;
  description: string;
}

export interface ReadableError {
  title: string;
  message: string;
  code: string;
  violations: Violation[];
}

const TITLES: Partial<Record<Code, string>> = {
  [Code.InvalidArgument]: "Some fields need fixing",
  [Code.NotFound]: "Not found",
  [Code.AlreadyExists]: "Already exists",
  [Code.Unauthenticated]: "The admin token is needed",
  [Code.PermissionDenied]: "Not allowed",
  [Code.ResourceExhausted]: "Too many requests, try again in a few seconds",
  [Code.Unimplemented]: "Not available on this server yet",
  [Code.Unavailable]: "The server is unavailable",
  [Code.DeadlineExceeded]: "The server took too long to answer",
  [Code.Aborted]: "Changed by someone else meanwhile, try again",
  [Code.Internal]: "The server hit an error",
  [Code.Canceled]: "Cancelled",
};

/** Snake-case code names as the Connect protocol spells them. */
export function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

export function readableError(error: unknown): ReadableError {
  const e = ConnectError.from(error);
  const violations = e.findDetails(BadRequestSchema).flatMap((d) =>
    d.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
  );
  let title = TITLES[e.code] ?? "Something went wrong";
  let message = e.rawMessage;
  // fetch() failing outright (server down, restarting) surfaces as an unknown error.
  if (e.code === Code.Unknown && /fetch|network|load failed/i.test(message)) {
    title = "Cannot reach the Pulsar server";
    message = "It may be restarting; the page retries by itself once it is back.";
  }
  return { title, message, code: codeName(e.code), violations };
}

export function violationsOf(error: unknown): Violation[] {
  return error ? readableError(error).violations : [];
}

/**
 * Server violations keyed as a form keys its fields: the request's `root` ("monitor.") left
 * off, `rename` applied, the first message of each field kept. One about the whole object
 * comes under `root`.
 */
export function violationErrors(
  violations: Violation[],
  root: string,
  rename: (field: string) => string = (field) => field,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const v of violations) {
    const field = v.field.startsWith(`${root}.`) ? v.field.slice(root.length + 1) : v.field;
    errors[rename(field) || root] ??= v.description;
  }
  return errors;
}
