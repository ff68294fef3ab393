import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { BadRequestSchema } from "../gen/pulsar/v1/api_pb";
import { codeName, readableError } from "./errors";

it("reads the field violations of a BadRequest detail", () => {
  const detail = create(BadRequestSchema, { fieldViolations: [{ field: "monitor.url", description: "scheme must be http or https" }] });
  const error = new ConnectError("invalid monitor", Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: detail },
  ]);
  // The same detail as it arrives over the wire (type name and bytes).
  const wire = new ConnectError("invalid monitor", Code.InvalidArgument);
  wire.details.push({ type: "pulsar.v1.BadRequest", value: toBinary(BadRequestSchema, detail) });
  for (const e of [error, wire]) {
    const readable = readableError(e);
    expect(readable.title).toBe("Some fields need fixing");
    expect(readable.violations).toEqual([{ field: "monitor.url", description: "scheme must be http or https" }]);
  }
});

it("explains a server that cannot be reached", () => {
  const readable = readableError(new TypeError("Failed to fetch"));
  expect(readable.title).toBe("Cannot reach the Pulsar server");
});

it("names codes as the protocol does", () => {
  expect(codeName(Code.Unimplemented)).toBe("unimplemented");
  expect(codeName(Code.InvalidArgument)).toBe("invalid_argument");
  expect(readableError(new ConnectError("x", Code.Unimplemented)).title).toBe("Not available on this server yet");
});
