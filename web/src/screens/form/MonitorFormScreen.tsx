// Create or edit a monitor with every option. The same rules as the server run as you
// submit; what the server still refuses comes back as field violations shown beside the
// fields they name.
import { useQueryClient } from "@tanstack/react-query";
import { createConnectQueryKey, skipToken, useQuery, useTransport } from "@connectrpc/connect-query";
import { ArrowLeft } from "lucide-react";
import { MonitorService, type GetMonitorResponse } from "../../gen/pulsar/v1/api_pb";
import { BodyAssertionKind, type Monitor } from "../../gen/pulsar/v1/monitor_pb";
import { noteMonitorChanged } from "../../live/overviewQuery";
import { Link, navigate } from "../../app/router";
import { paths } from "../../app/routes";
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
import { LabelsEditor, PairsEditor } from "./PairsEditor";
import { firstInvalid, useEditor } from "./useEditor";

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

/** After a failed submit, the first field that needs fixing (the status ranges share one input). */
function focusTarget(form: HTMLFormElement, errors: FieldErrors) {
  const first = Object.keys(errors)[0];
  if (!first) return undefined;
  return form.querySelector<HTMLElement>(`#${CSS.escape(fieldId(first.startsWith("expected_status") ? "expected_status" : first))}`) ?? firstInvalid(form);
}

function MonitorForm({ id, initial }: { id: string | undefined; initial: MonitorFormValues }) {
  const client = useQueryClient();
  const transport = useTransport();
  const onSaved = (monitor: Monitor | undefined) => {
    if (!monitor) return;
    noteMonitorChanged(client, monitor);
    client.setQueryData(
      createConnectQueryKey({ schema: MonitorService.method.getMonitor, input: { id: monitor.id }, transport, cardinality: "finite" }),
      (old: GetMonitorResponse | undefined) => (old ? { ...old, monitor } : old),
    );
    navigate(paths.monitor(monitor.id));
  };
  const { values, set, bind, errors, formRef, submit, mutation, unhandledError } = useEditor({
    existing: id,
    formOf: () => initial,
    create: MonitorService.method.createMonitor,
    update: MonitorService.method.updateMonitor,
    validate: validateForm,
    request: (v) => ({ monitor: monitorFromForm(v, id ?? "") }),
    violationErrors: formErrorsFromViolations,
    onSaved: (r) => onSaved(r.monitor),
    focusTarget,
  });

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
      {unhandledError && <ErrorNotice error={unhandledError} />}

      <Section title="What to check">
        <TextField label="Name" required autoFocus={!id} {...bind("name", "name")} />
        <TextField label="URL" required type="url" inputMode="url" hint="http:// or https:// only" {...bind("url", "url")} />
        <TextField label="Method" list="http-methods" {...bind("method", "method")} />
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
        <TextField label="Interval (seconds)" inputMode="numeric" hint="1 second to 24 hours" {...bind("interval_seconds", "intervalSeconds")} />
        <TextField label="Timeout (ms)" inputMode="numeric" hint="At least 100 ms, and below the interval" {...bind("timeout_ms", "timeoutMs")} />
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
        <TextArea label="Body" rows={3} className="sm:col-span-2" hint="Sent as is (UTF-8); set a Content-Type header to match." {...bind("body", "body")} />
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
          label="Degraded above (ms)"
          inputMode="numeric"
          placeholder="off"
          hint="A successful check slower than this is degraded; empty turns it off."
          {...bind("degraded_above_ms", "degradedAboveMs")}
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
          label="Pattern"
          disabled={values.assertionKind === BodyAssertionKind.UNSPECIFIED}
          hint={values.assertionKind === BodyAssertionKind.REGEX ? "Rust regex syntax, checked by the server" : "Case-sensitive"}
          {...bind("body_assertion.pattern", "assertionPattern")}
        />
      </Section>

      <Section title="Redirects and TLS">
        <div className="flex items-end pb-2">
          <CheckField field="follow_redirects" label="Follow redirects" checked={values.followRedirects} onChange={(v) => set("followRedirects", v)} />
        </div>
        <TextField
          label="At most this many redirects"
          inputMode="numeric"
          disabled={!values.followRedirects}
          hint="0 to 30"
          {...bind("max_redirects", "maxRedirects")}
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
          label="Extra CA certificates (PEM)"
          rows={3}
          className="sm:col-span-2"
          placeholder="-----BEGIN CERTIFICATE-----"
          hint="Trusted besides the public roots, for services with an internal CA."
          {...bind("tls_ca_pem", "tlsCaPem")}
        />
      </Section>

      <Section title="Alert rule">
        <TextField
          label="Down after this many failures in a row"
          inputMode="numeric"
          hint="1 to 100; avoids alerts on a single blip"
          {...bind("failure_threshold", "failureThreshold")}
        />
        <TextField label="Up again after this many successes" inputMode="numeric" hint="1 to 100" {...bind("recovery_threshold", "recoveryThreshold")} />
        <TextField
          label="Warn before the certificate expires (days)"
          inputMode="numeric"
          placeholder="never"
          hint="Days before the TLS certificate expires to warn, once each, e.g. 14, 7, 1 (up to 10, each 1 to 365); empty for never."
          {...bind("cert_expiry.days", "certExpiryDays")}
        />
        <TextField
          label="Remind every (minutes)"
          inputMode="numeric"
          placeholder="each channel's own"
          hint="While it stays down, remind every channel that alerts for it this often, whatever the channel's own setting; empty leaves it to each channel."
          {...bind("remind_every_seconds", "remindEveryMinutes")}
        />
      </Section>

      <Section title="Labels">
        <LabelsEditor field="labels" legend="Labels, for filtering and alert routing" pairs={values.labels} onChange={(p) => set("labels", p)} errors={errors} />
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
