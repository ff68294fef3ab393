import { FailureKind } from "../../gen/pulsar/v1/check_pb";
import { enumWords } from "../../lib/format";

/** "connect refused" for FAILURE_KIND_CONNECT_REFUSED; empty for none. */
export function failureText(kind: FailureKind): string {
  if (kind === FailureKind.UNSPECIFIED) return "";
  const name = FailureKind[kind];
  return enumWords(name, "");
}
