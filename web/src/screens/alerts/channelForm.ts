// A notification channel as the form holds it, and the server's rules for it
// (pulsar-core notification.rs), under the server's field names.
import { create } from "@bufbuild/protobuf";
import { NotificationChannelSchema, type NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import type { FieldErrors, Pair } from "../../lib/monitorForm";

export const CHANNEL_KINDS = ["webhook", "slack", "email"] as const;

export interface ChannelFormValues {
  id: bigint;
  name: string;
  kind: string;
  enabled: boolean;
  config: Pair[];
}

export function channelForm(c?: NotificationChannel): ChannelFormValues {
  return {
    id: c?.id ?? 0n,
    name: c?.name ?? "",
    kind: c?.kind ?? "webhook",
    enabled: c?.enabled ?? true,
    config: c ? Object.entries(c.config).map(([key, value]) => ({ key, value })) : [{ key: "url", value: "" }],
  };
}

export function channelFromForm(v: ChannelFormValues): NotificationChannel {
  return create(NotificationChannelSchema, {
    id: v.id,
    name: v.name.trim(),
    kind: v.kind.trim(),
    enabled: v.enabled,
    config: Object.fromEntries(v.config.filter((p) => p.key || p.value).map((p) => [p.key.trim(), p.value])),
  });
}

export function validateChannel(v: ChannelFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (!v.name.trim()) errors.name = "must not be empty";
  else if ([...v.name].length > 200) errors.name = "at most 200 characters, no control characters";
  if (!/^[a-z0-9_-]{1,32}$/.test(v.kind.trim())) errors.kind = "1..=32 lower-case letters, digits, '_' or '-'";
  const config = v.config.filter((p) => p.key || p.value);
  if (config.length > 32) errors.config = "at most 32 entries";
  for (const p of config) {
    const key = p.key.trim();
    if (!key || bytes(key) > 64) errors[`config.${key}`] = "keys are 1..=64 bytes";
    else if (bytes(p.value) > 4096) errors[`config.${key}`] = "at most 4096 bytes";
  }
  return errors;
}

/** Server violations ("channel.config.url") keyed as the form keys them. */
export function channelErrors(violations: { field: string; description: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const v of violations) errors[v.field.replace(/^channel\./, "")] ??= v.description;
  return errors;
}
