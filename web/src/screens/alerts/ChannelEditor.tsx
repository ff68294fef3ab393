// Add or edit a notification channel: its kind chosen from those the server delivers to,
// then that kind's settings as labelled fields. Secrets come back masked ("********");
// sending the mask back keeps the stored secret, so an edit need not retype them. Settings
// the form does not know (from an older or hand-made channel) are kept as they are.
import { X } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import { Button } from "../../components/ui";
import type { FieldErrors } from "../../lib/monitorForm";
import { CheckField, SelectField, TextArea, TextField, fieldId } from "../form/fields";
import { useEditor } from "../form/useEditor";
import { EditorDialog } from "./EditorDialog";
import {
  CHANNEL_KINDS,
  COMMON_SETTINGS,
  KIND_LABELS,
  MASK,
  SMTP_DEFAULT_PORT,
  channelErrors,
  channelForm,
  channelFromForm,
  isChannelKind,
  keptSettings,
  kindLabel,
  settingsOf,
  validateChannel,
  type ChannelFormValues,
  type SettingSpec,
} from "./channelForm";

export function ChannelEditor({
  open,
  channel,
  onClose,
  onSaved,
}: {
  open: boolean;
  channel: NotificationChannel | undefined;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { values, setValues, set, bind, errors, setErrors, formRef, submit, mutation, unhandledError } = useEditor({
    existing: channel,
    formOf: channelForm,
    open,
    create: AlertService.method.createChannel,
    update: AlertService.method.updateChannel,
    validate: validateChannel,
    request: (v) => ({ channel: channelFromForm(v) }),
    violationErrors: channelErrors,
    onSaved: () => {
      onSaved();
      onClose();
    },
  });

  const setSetting = (key: string, value: string) => setValues((v) => ({ ...v, settings: { ...v.settings, [key]: value } }));
  const dropKept = (key: string) =>
    setValues((v) => {
      const settings = { ...v.settings };
      delete settings[key];
      return { ...v, settings, kept: v.kept.filter((k) => k !== key) };
    });

  const specs = settingsOf(values.kind);
  const kept = keptSettings(values);
  // Errors no field on screen shows (a setting of another kind, the map's size): listed on top.
  const placed = new Set(["name", "kind", ...[...specs, ...COMMON_SETTINGS].map((s) => `config.${s.key}`), ...kept.map((p) => `config.${p.key}`)]);
  const unplaced = Object.entries(errors).filter(([field]) => !placed.has(field));

  return (
    <EditorDialog
      open={open}
      onClose={onClose}
      title={channel ? `Edit “${channel.name}”` : "Add a channel"}
      label={channel ? "Edit channel" : "New channel"}
      formRef={formRef}
      onSubmit={submit}
      unplaced={unplaced}
      errorsTestId="channel-errors"
      error={unhandledError}
      pending={mutation.isPending}
      submitLabel={channel ? "Save" : "Add channel"}
    >
      <TextField label="Name" autoFocus={!channel} {...bind("name", "name")} />
      <SelectField
        field="kind"
        label="Kind"
        value={values.kind}
        error={errors.kind}
        hint="Where the alerts go; each kind has its own settings below."
        onChange={(e) => {
          set("kind", e.target.value);
          // The other kind's settings and their errors are no longer on screen.
          setErrors((found): FieldErrors => (found.name ? { name: found.name } : {}));
        }}
      >
        {CHANNEL_KINDS.map((k) => (
          <option key={k} value={k}>
            {KIND_LABELS[k]}
          </option>
        ))}
        {!isChannelKind(values.kind) && <option value={values.kind}>{values.kind || "(none)"} (not supported)</option>}
      </SelectField>

      {specs.length > 0 && (
        <fieldset className="rounded-xl border border-line p-3 sm:p-4" data-testid="channel-settings">
          <legend className="px-1 text-sm font-semibold">{kindLabel(values.kind)} settings</legend>
          <div className="grid gap-3 sm:grid-cols-2">
            {specs.map((spec) => (
              <SettingField
                key={`${values.kind}:${spec.key}`}
                spec={spec}
                values={values}
                error={errors[`config.${spec.key}`]}
                onChange={(value) => setSetting(spec.key, value)}
              />
            ))}
          </div>
        </fieldset>
      )}

      {/* Settings of every kind: when to tell the channel again. */}
      <div className="space-y-3" data-testid="common-settings">
        {COMMON_SETTINGS.map((spec) => (
          <SettingField
            key={spec.key}
            spec={spec}
            values={values}
            error={errors[`config.${spec.key}`]}
            onChange={(value) => setSetting(spec.key, value)}
          />
        ))}
      </div>

      {kept.length > 0 && (
        <div role="group" aria-labelledby="kept-settings-title" className="rounded-xl border border-line p-3 text-sm" data-testid="kept-settings">
          <p id="kept-settings-title" className="font-semibold">
            Other settings
          </p>
          <p className="text-xs text-muted">Not used by {isChannelKind(values.kind) ? kindLabel(values.kind) : "this kind"}; kept as they are unless removed.</p>
          <ul className="mt-2 space-y-1">
            {kept.map((p) => {
              const error = errors[`config.${p.key}`];
              return (
                <li key={p.key}>
                  <div className="flex items-center gap-2">
                    <code className="min-w-0 flex-1 truncate">
                      {p.key} = {p.value}
                    </code>
                    <Button
                      variant="ghost"
                      aria-label={`Remove setting ${p.key}`}
                      aria-describedby={error ? `${fieldId(`kept.${p.key}`)}-error` : undefined}
                      data-invalid={error ? "" : undefined}
                      onClick={() => dropKept(p.key)}
                    >
                      <X aria-hidden="true" className="size-4" />
                    </Button>
                  </div>
                  {error && (
                    <p id={`${fieldId(`kept.${p.key}`)}-error`} className="text-down">
                      {error}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}

      <CheckField field="enabled" label="Enabled" checked={values.enabled} onChange={(enabled) => set("enabled", enabled)} />
    </EditorDialog>
  );
}

/** One setting of the kind, as the input its shape asks for. */
function SettingField({
  spec,
  values,
  error,
  onChange,
}: {
  spec: SettingSpec;
  values: ChannelFormValues;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const field = `config.${spec.key}`;
  const value = values.settings[spec.key] ?? "";
  const label = spec.required ? spec.label : `${spec.label} (optional)`;
  const stored = value === MASK && values.masked.includes(spec.key);
  const hint = stored ? `${spec.hint} Saved and hidden: leave ${MASK} to keep it, or type a new value.` : spec.hint;

  if (spec.input === "select") {
    const options = spec.options ?? [];
    const fallback = spec.key === "security" ? "starttls" : "";
    const shown = value || fallback;
    return (
      <SelectField
        field={field}
        label={spec.label}
        className={spec.half ? undefined : "sm:col-span-2"}
        value={shown}
        error={error}
        hint={hint}
        onChange={(e) => onChange(e.target.value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
        {/* A stored value the list does not offer stays visible (and the check names it). */}
        {!options.some((o) => o.value === shown) && <option value={shown}>{shown}</option>}
      </SelectField>
    );
  }

  if (spec.input === "pem") {
    return (
      <TextArea
        field={field}
        label={label}
        rows={3}
        className="sm:col-span-2"
        spellCheck={false}
        placeholder={spec.placeholder}
        value={value}
        error={error}
        hint={hint}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }

  const security = values.settings.security?.trim() || "starttls";
  const placeholder = spec.input === "port" ? String(SMTP_DEFAULT_PORT[security] ?? SMTP_DEFAULT_PORT.starttls) : spec.placeholder;
  const portHint = spec.input === "port" ? `Empty: ${placeholder}, the usual port for ${security === "none" ? "no encryption" : security.toUpperCase()}.` : hint;
  return (
    <TextField
      field={field}
      label={label}
      className={spec.half ? undefined : "sm:col-span-2"}
      type={spec.input === "secret" ? "password" : spec.input === "url" ? "url" : "text"}
      inputMode={spec.input === "url" ? "url" : spec.input === "port" ? "numeric" : spec.input === "email" ? "email" : undefined}
      autoComplete={spec.input === "secret" ? "new-password" : "off"}
      spellCheck={false}
      required={spec.required}
      placeholder={placeholder}
      value={value}
      error={error}
      hint={portHint}
      // Typing over a kept secret replaces it rather than adding to its mask.
      onFocus={(e) => {
        if (stored) e.currentTarget.select();
      }}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
