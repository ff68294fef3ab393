// Create or edit a monitor with every option. The same rules as the server run as you
// submit; what the server still refuses comes back as field violations shown beside the
// fields they name.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { createConnectQueryKey, skipToken, useMutation, useQuery, useTransport } from "@connectrpc/connect-query";
import { Code, ConnectError } from "@connectrpc/connect";
import { ArrowLeft } from "lucide-react";
import { MonitorService, type GetMonitorResponse } from "../../gen/pulsar/v1/api_pb";
import { BodyAssertionKind, type Monitor } from "../../gen/pulsar/v1/monitor_pb";
import { noteMonitorChanged } from "../../live/overviewQuery";
import { Link, navigate } from "../../app/router";
import { paths } from "../../app/routes";
import { violationsOf } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button, PageHeader } from "../../components/ui";
import {
  emptyForm,
  formErrorsFromViolations,
  formFromMonitor,
  monitorFromForm,
  statusRangeError,
  validateForm,
  type FieldErrors,
  type MonitorFormValues,
  type Pair,
} from "../../lib/monitorForm";
import { CheckField, Section, SelectField, TextArea, TextField, fieldId } from "./fields";
import { PairsEditor } from "./PairsEditor";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export default function MonitorFormScreen({ id }: { id?: string }) {
  const existing = useQuery(MonitorService.method.getMonitor, id ? { id } : skipToken);
  if (id && existing.error) return <ErrorNotice error={existing.error} onRetry={() => void existing.refetch()} />;
  if (id && !existing.data?.monitor) return <Loading label="Loading the monitor…" />;
  const initial = existing.data?.monitor ? formFromMonitor(existing.data.monitor) : emptyForm();
  return <MonitorForm key={id ?? "new"} id={id} initial={initial} />;
}

/** Maps a filtered index (as the request numbers rows) back to the row on screen. */
function rowError(errors: FieldErrors, prefix: string, pairs: Pair[], index: number): string | undefined {
  const pair = pairs[index];
  if (!pair || (!pair.key && !pair.value)) return undefined;
  const sent = pairs.slice(0, index).filter((p) => p.key || p.value).length;
  return errors[`${prefix}[${sent}].name`] ?? errors[`${prefix}[${sent}].value`];
}

function MonitorForm({ id, initial }: { id: string | undefined; initial: MonitorFormValues }) {
  const client = useQueryClient();
  const transport = useTransport();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const onSaved = (monitor: Monitor | undefined) => {
    if (!monitor) return;
    noteMonitorChanged(client, monitor);
    client.setQueryData(
      createConnectQueryKey({ schema: MonitorService.method.getMonitor, input: { id: monitor.id }, transport, cardinality: "finite" }),
      (old: GetMonitorResponse | undefined) => (old ? { ...old, monitor } : old),
    );
    navigate(paths.monitor(monitor.id));
  };
  const create = useMutation(MonitorService.method.createMonitor, { onSuccess: (r) => onSaved(r.monitor) });
  const update = useMutation(MonitorService.method.updateMonitor, { onSuccess: (r) => onSaved(r.monitor) });
  const mutation = id ? update : create;

  // Server violations replace the client's view of the fields they name.
  useEffect(() => {
    const violations = violationsOf(mutation.error);
    if (violations.length > 0) setErrors(formErrorsFromViolations(violations));
  }, [mutation.error]);

  // After a failed submit, move focus to the first field that needs fixing.
  useEffect(() => {
    if (!submitted) return;
    const first = Object.keys(errors)[0];
    if (!first) return;
    const target =
      formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(fieldId(first.startsWith("expected_status") ? "expected_status" : first))}`) ??
      formRef.current?.querySelector<HTMLElement>("[aria-invalid=true]");
    target?.focus();
    setSubmitted(false);
  }, [errors, submitted]);

  const set = <K extends keyof MonitorFormValues>(key: K, value: MonitorFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateForm(values);
    setErrors(found);
    setSubmitted(true);
    if (Object.keys(found).length > 0) return;
    const monitor = monitorFromForm(values, id ?? "");
    if (id) update.mutate({ monitor });
    else create.mutate({ monitor });
  };

  const err = (field: string) => errors[field];
  const serverError = mutation.error;
  const fieldsNamed = serverError instanceof ConnectError && serverError.code === Code.InvalidArgument && violationsOf(serverError).length > 0;
  const errorCount = Object.keys(errors).length;

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="mx-auto max-w-4xl space-y-4" aria-label={id ? "Edit monitor" : "New monitor"}>
      <Link href={id ? paths.monitor(id) : paths.overview()} className="inline-flex items-center gap-1 text-sm text-muted hover:text-ink">
        <ArrowLeft aria-hidden="true" className="size-4" /> {id ? "Back to the monitor" : "Monitors"}
      </Link>
      <PageHeader title={id ? `Edit “${initial.name}”` : "New monitor"} />

      {errorCount > 0 && (
        <p role="alert" className="rounded-lg border border-down/40 bg-down/10 px-3 py-2 text-sm">
          {errorCount === 1 ? "One field needs fixing" : `${errorCount} fields need fixing`}; each says what is wrong.
        </p>
      )}
      {serverError && !fieldsNamed && <ErrorNotice error={serverError} />}

      <Section title="What to check">
        <TextField field="name" label="Name" required value={values.name} error={err("name")} onChange={(e) => set("name", e.target.value)} autoFocus={!id} />
        <TextField
          field="url"
          label="URL"
          required
          type="url"
          inputMode="url"
          value={values.url}
          error={err("url")}
          hint="http:// or https:// only"
          onChange={(e) => set("url", e.target.value)}
        />
        <TextField
          field="method"
          label="Method"
          list="http-methods"
          value={values.method}
          error={err("method")}
          onChange={(e) => set("method", e.target.value)}
        />
        <datalist id="http-methods">
          {METHODS.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        <div className="flex items-end pb-2">
          <CheckField field="enabled" label="Check it" hint="Unchecked: saved but paused." checked={values.enabled} onChange={(v) => set("enabled", v)} />
        </div>
      </Section>

      <Section title="Schedule">
        <TextField
          field="interval_seconds"
          label="Interval (seconds)"
          inputMode="numeric"
          value={values.intervalSeconds}
          error={err("interval_seconds")}
          hint="1 second to 24 hours"
          onChange={(e) => set("intervalSeconds", e.target.value)}
        />
        <TextField
          field="timeout_ms"
          label="Timeout (ms)"
          inputMode="numeric"
          value={values.timeoutMs}
          error={err("timeout_ms")}
          hint="At least 100 ms, and below the interval"
          onChange={(e) => set("timeoutMs", e.target.value)}
        />
      </Section>

      <Section title="Request">
        <PairsEditor
          field="headers"
          legend="Headers"
          keyLabel="Header name"
          valueLabel="Value"
          addLabel="Add header"
          pairs={values.headers}
          onChange={(p) => set("headers", p)}
          errorFor={(i) => rowError(errors, "headers", values.headers, i) ?? (i === 0 ? errors.headers : undefined)}
        />
        <TextArea
          field="body"
          label="Body"
          rows={3}
          className="sm:col-span-2"
          value={values.body}
          error={err("body")}
          hint="Sent as is (UTF-8); set a Content-Type header to match."
          onChange={(e) => set("body", e.target.value)}
        />
      </Section>

      <Section title="What counts as up">
        <TextField
          field="expected_status"
          label="Expected status codes"
          value={values.expectedStatus}
          error={statusRangeError(errors)}
          hint="Codes and ranges, e.g. 200-299, 301"
          onChange={(e) => set("expectedStatus", e.target.value)}
        />
        <TextField
          field="degraded_above_ms"
          label="Degraded above (ms)"
          inputMode="numeric"
          placeholder="off"
          value={values.degradedAboveMs}
          error={err("degraded_above_ms")}
          hint="A successful check slower than this is degraded; empty turns it off."
          onChange={(e) => set("degradedAboveMs", e.target.value)}
        />
        <SelectField
          field="body_assertion.kind"
          label="Body must"
          value={values.assertionKind}
          onChange={(e) => set("assertionKind", Number(e.target.value) as BodyAssertionKind)}
        >
          <option value={BodyAssertionKind.UNSPECIFIED}>(no check of the body)</option>
          <option value={BodyAssertionKind.CONTAINS}>contain</option>
          <option value={BodyAssertionKind.NOT_CONTAINS}>not contain</option>
          <option value={BodyAssertionKind.REGEX}>match the regular expression</option>
        </SelectField>
        <TextField
          field="body_assertion.pattern"
          label="Pattern"
          disabled={values.assertionKind === BodyAssertionKind.UNSPECIFIED}
          value={values.assertionPattern}
          error={err("body_assertion.pattern")}
          hint={values.assertionKind === BodyAssertionKind.REGEX ? "Rust regex syntax, checked by the server" : "Case-sensitive"}
          onChange={(e) => set("assertionPattern", e.target.value)}
        />
      </Section>

      <Section title="Redirects and TLS">
        <div className="flex items-end pb-2">
          <CheckField field="follow_redirects" label="Follow redirects" checked={values.followRedirects} onChange={(v) => set("followRedirects", v)} />
        </div>
        <TextField
          field="max_redirects"
          label="At most this many redirects"
          inputMode="numeric"
          disabled={!values.followRedirects}
          value={values.maxRedirects}
          error={err("max_redirects")}
          hint="0 to 30"
          onChange={(e) => set("maxRedirects", e.target.value)}
        />
        <div className="sm:col-span-2">
          <CheckField
            field="skip_tls_verify"
            label="Skip TLS certificate verification"
            hint="Checks pass with any certificate. Prefer adding the CA below."
            checked={values.skipTlsVerify}
            onChange={(v) => set("skipTlsVerify", v)}
          />
        </div>
        <TextArea
          field="tls_ca_pem"
          label="Extra CA certificates (PEM)"
          rows={3}
          className="sm:col-span-2"
          placeholder="-----BEGIN CERTIFICATE-----"
          value={values.tlsCaPem}
          error={err("tls_ca_pem")}
          hint="Trusted besides the public roots, for services with an internal CA."
          onChange={(e) => set("tlsCaPem", e.target.value)}
        />
      </Section>

      <Section title="Alert rule">
        <TextField
          field="failure_threshold"
          label="Down after this many failures in a row"
          inputMode="numeric"
          value={values.failureThreshold}
          error={err("failure_threshold")}
          hint="1 to 100; avoids alerts on a single blip"
          onChange={(e) => set("failureThreshold", e.target.value)}
        />
        <TextField
          field="recovery_threshold"
          label="Up again after this many successes"
          inputMode="numeric"
          value={values.recoveryThreshold}
          error={err("recovery_threshold")}
          hint="1 to 100"
          onChange={(e) => set("recoveryThreshold", e.target.value)}
        />
        <TextField
          field="cert_expiry.days"
          label="Warn before the certificate expires (days)"
          inputMode="numeric"
          placeholder="never"
          value={values.certExpiryDays}
          error={err("cert_expiry.days")}
          hint="Days before the TLS certificate expires to warn, once each, e.g. 14, 7, 1 (up to 10, each 1 to 365); empty for never."
          onChange={(e) => set("certExpiryDays", e.target.value)}
        />
      </Section>

      <Section title="Labels">
        <PairsEditor
          field="labels"
          legend="Labels, for filtering and alert routing"
          keyLabel="Key"
          valueLabel="Value"
          addLabel="Add label"
          pairs={values.labels}
          onChange={(p) => set("labels", p)}
          errorFor={(i, pair) => errors[`labels.${pair.key.trim()}`] ?? (i === 0 ? errors.labels : undefined)}
        />
      </Section>

      <div className="sticky bottom-0 -mx-3 flex justify-end gap-2 border-t border-line bg-canvas/95 px-3 py-3 backdrop-blur sm:mx-0 sm:px-0">
        <Link
          href={id ? paths.monitor(id) : paths.overview()}
          className="inline-flex min-h-9 items-center rounded-lg border border-line bg-surface px-3 py-1.5 text-sm font-medium hover:bg-surface-2"
        >
          Cancel
        </Link>
        <Button type="submit" variant="primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : id ? "Save changes" : "Create monitor"}
        </Button>
      </div>
    </form>
  );
}
