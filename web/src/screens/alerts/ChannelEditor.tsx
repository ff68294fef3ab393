// Add or edit a notification channel. Secrets come back masked ("********"); sending the
// mask back keeps the stored secret, so an edit need not retype them.
import { useEffect, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import { violationsOf } from "../../api/errors";
import { Dialog } from "../../components/Dialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui";
import type { FieldErrors } from "../../lib/monitorForm";
import { CheckField, TextField } from "../form/fields";
import { PairsEditor } from "../form/PairsEditor";
import { CHANNEL_KINDS, channelErrors, channelForm, channelFromForm, validateChannel } from "./channelForm";

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
  const [values, setValues] = useState(() => channelForm(channel));
  const [errors, setErrors] = useState<FieldErrors>({});
  useEffect(() => {
    if (open) {
      setValues(channelForm(channel));
      setErrors({});
    }
  }, [open, channel]);
  const done = () => {
    onSaved();
    onClose();
  };
  const create = useMutation(AlertService.method.createChannel, { onSuccess: done });
  const update = useMutation(AlertService.method.updateChannel, { onSuccess: done });
  const mutation = channel ? update : create;
  useEffect(() => {
    const v = violationsOf(mutation.error);
    if (v.length) setErrors(channelErrors(v));
  }, [mutation.error]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateChannel(values);
    setErrors(found);
    if (Object.keys(found).length) return;
    const c = channelFromForm(values);
    if (channel) update.mutate({ channel: c });
    else create.mutate({ channel: c });
  };

  return (
    <Dialog open={open} onClose={onClose} title={channel ? `Edit “${channel.name}”` : "Add a channel"}>
      <form onSubmit={submit} noValidate className="space-y-3">
        <TextField field="name" label="Name" value={values.name} error={errors.name} onChange={(e) => setValues({ ...values, name: e.target.value })} />
        <TextField
          field="kind"
          label="Kind"
          list="channel-kinds"
          value={values.kind}
          error={errors.kind}
          hint="webhook, slack, email, … as the notifier knows them"
          onChange={(e) => setValues({ ...values, kind: e.target.value })}
        />
        <datalist id="channel-kinds">
          {CHANNEL_KINDS.map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
        <PairsEditor
          field="config"
          legend="Settings (URL, token, recipients)"
          keyLabel="Setting"
          valueLabel="Value"
          addLabel="Add setting"
          pairs={values.config}
          onChange={(config) => setValues({ ...values, config })}
          errorFor={(i, p) => errors[`config.${p.key.trim()}`] ?? (i === 0 ? errors.config : undefined)}
        />
        <CheckField field="enabled" label="Enabled" checked={values.enabled} onChange={(enabled) => setValues({ ...values, enabled })} />
        {mutation.error && violationsOf(mutation.error).length === 0 && <ErrorNotice error={mutation.error} />}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={mutation.isPending}>
            {mutation.isPending ? "Saving…" : channel ? "Save" : "Add channel"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
