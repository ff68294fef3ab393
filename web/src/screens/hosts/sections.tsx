// The parts of a host card, one per resource (as pulsar-host has one module per resource).
import type { CpuStats, FilesystemStats, HostSnapshot, MemoryStats, NetworkStats, ProcessInfo, TaskStats } from "../../gen/pulsar/v1/host_pb";
import { TaskState } from "../../gen/pulsar/v1/host_pb";
import { Meter, Stat, cx } from "../../components/ui";
import { enumWords, formatBytes, formatCount, formatPct, formatRate, MISSING } from "../../lib/format";
import { TASK_STATES, TASK_STATE_LABELS, pct } from "../../lib/hosts";

const usageTone = (p: number | undefined) => (p === undefined ? "bg-unknown" : p >= 90 ? "bg-down" : p >= 75 ? "bg-degraded" : "bg-up");

export function SubTitle({ children }: { children: string }) {
  return <h3 className="mb-2 text-xs font-semibold tracking-wide text-muted uppercase">{children}</h3>;
}

export function CpuSection({ cpu, cores }: { cpu: CpuStats | undefined; cores: number }) {
  const t = cpu?.total;
  const loadPct = cores > 0 && cpu ? (cpu.load1 / cores) * 100 : undefined;
  const split: [string, number | undefined, string][] = [
    ["user", t?.userPct, "bg-connect"],
    ["system", t?.systemPct, "bg-dns"],
    ["iowait", t?.iowaitPct, "bg-degraded"],
    ["steal", t?.stealPct, "bg-down"],
  ];
  return (
    <div>
      <SubTitle>CPU</SubTitle>
      <div className="grid grid-cols-3 gap-3">
        <Stat label="Busy" value={formatPct(t?.busyPct, 1)} />
        <Stat label={`Load · ${cores} cores`} value={cpu ? cpu.load1.toFixed(2) : MISSING} hint={cpu ? `5m ${cpu.load5.toFixed(2)} · 15m ${cpu.load15.toFixed(2)}` : undefined} />
        <Stat label="Switches/s" value={formatCount(cpu?.contextSwitchesPerSec === undefined ? undefined : Math.round(cpu.contextSwitchesPerSec))} />
      </div>
      <div className="mt-2 flex h-2.5 overflow-hidden rounded-full bg-surface-2" role="img" aria-label={split.map(([k, v]) => `${k} ${formatPct(v, 1)}`).join(", ")}>
        {split.map(([k, v, tone]) => (
          <div key={k} className={tone} style={{ width: `${v ?? 0}%` }} />
        ))}
      </div>
      <p className="mt-1 flex flex-wrap gap-x-3 text-xs text-muted">
        {split.map(([k, v, tone]) => (
          <span key={k} className="inline-flex items-center gap-1">
            <span aria-hidden="true" className={cx("inline-block size-2 rounded-sm", tone)} />
            {k} {formatPct(v, 1)}
          </span>
        ))}
      </p>
      <div className="mt-2">
        <p className="mb-1 text-xs text-muted">Load vs cores: {loadPct === undefined ? MISSING : `${Math.round(loadPct)}%`}</p>
        <Meter pct={loadPct} label="Load average over one minute, as a share of the cores" tone={usageTone(loadPct)} />
      </div>
      {cpu && cpu.cores.length > 0 && (
        <ul className="mt-3 grid grid-cols-[repeat(auto-fill,minmax(5.5rem,1fr))] gap-2" aria-label="Per core">
          {cpu.cores.map((core) => (
            <li key={core.name} className="text-xs">
              <div className="flex justify-between">
                <span className="text-muted">{core.name}</span>
                <span className="tabular-nums">{formatPct(core.times?.busyPct, 0)}</span>
              </div>
              <Meter pct={core.times?.busyPct} label={`${core.name} busy`} tone={usageTone(core.times?.busyPct)} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function MemorySection({ memory }: { memory: MemoryStats | undefined }) {
  if (!memory) return null;
  const used = pct(memory.usedBytes, memory.totalBytes);
  const swap = pct(memory.swapUsedBytes, memory.swapTotalBytes);
  return (
    <div>
      <SubTitle>Memory</SubTitle>
      <div className="mb-1 flex justify-between text-sm tabular-nums">
        <span>
          {formatBytes(memory.usedBytes)} of {formatBytes(memory.totalBytes)}
        </span>
        <span>{formatPct(used, 0)}</span>
      </div>
      <Meter pct={used} label="Memory used" tone={usageTone(used)} />
      <p className="mt-1 text-xs text-muted">
        available {formatBytes(memory.availableBytes)} · cached {formatBytes(memory.cachedBytes)} · buffers {formatBytes(memory.buffersBytes)}
      </p>
      <div className="mt-3 mb-1 flex justify-between text-sm tabular-nums">
        <span>Swap {memory.swapTotalBytes === 0n ? "none" : `${formatBytes(memory.swapUsedBytes)} of ${formatBytes(memory.swapTotalBytes)}`}</span>
        <span>{formatPct(swap, 0)}</span>
      </div>
      {memory.swapTotalBytes > 0n && <Meter pct={swap} label="Swap used" tone={usageTone(swap)} />}
    </div>
  );
}

export function MountsSection({ filesystems }: { filesystems: FilesystemStats[] }) {
  if (filesystems.length === 0) return null;
  return (
    <div>
      <SubTitle>Mounts</SubTitle>
      <ul className="space-y-2">
        {filesystems.map((fs) => {
          const used = pct(fs.usedBytes, fs.sizeBytes);
          const inodes = pct(fs.inodesUsed, fs.inodesTotal);
          return (
            <li key={fs.mountPoint} className="text-sm">
              <div className="flex justify-between gap-2">
                <span className="min-w-0 truncate font-medium" title={`${fs.device} (${fs.fsType})`}>
                  {fs.mountPoint}
                </span>
                <span className="shrink-0 tabular-nums">
                  {formatBytes(fs.usedBytes)} / {formatBytes(fs.sizeBytes)} · {formatPct(used, 0)}
                </span>
              </div>
              <Meter pct={used} label={`${fs.mountPoint} used`} tone={usageTone(used)} />
              <p className="text-xs text-muted">
                {fs.fsType} · inodes {formatPct(inodes, 0)} used ({formatCount(fs.inodesUsed)} of {formatCount(fs.inodesTotal)})
              </p>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function NetworkSection({ networks }: { networks: NetworkStats[] }) {
  const shown = networks.filter((n) => !n.loopback);
  if (shown.length === 0) return null;
  return (
    <div>
      <SubTitle>Network</SubTitle>
      <table className="w-full text-sm tabular-nums">
        <thead>
          <tr className="text-left text-xs text-muted">
            <th scope="col" className="font-medium">Interface</th>
            <th scope="col" className="text-right font-medium">rx</th>
            <th scope="col" className="text-right font-medium">tx</th>
            <th scope="col" className="text-right font-medium" title="errors / drops since the interface came up">err / drop</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((n) => (
            <tr key={n.interface}>
              <th scope="row" className="text-left font-medium">{n.interface}</th>
              <td className="text-right">{formatRate(n.rxBytesPerSec)}</td>
              <td className="text-right">{formatRate(n.txBytesPerSec)}</td>
              <td className="text-right text-muted">
                {formatCount(n.rxErrorsTotal + n.txErrorsTotal)} / {formatCount(n.rxDropsTotal + n.txDropsTotal)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TasksSection({ tasks }: { tasks: TaskStats | undefined }) {
  if (!tasks) return null;
  const value = (counts: TaskStats["processes"], state: (typeof TASK_STATES)[number]) => {
    if (!counts) return undefined;
    const map = {
      running: counts.running,
      sleeping: counts.sleeping,
      disk_sleep: counts.diskSleep,
      stopped: counts.stopped + counts.tracingStop,
      zombie: counts.zombie,
      idle: counts.idle,
    };
    return map[state];
  };
  return (
    <div>
      <SubTitle>Processes and threads by state</SubTitle>
      <table className="w-full text-sm tabular-nums" data-testid="task-states">
        <thead>
          <tr className="text-left text-xs text-muted">
            <th scope="col" className="font-medium">State</th>
            <th scope="col" className="text-right font-medium">Processes</th>
            <th scope="col" className="text-right font-medium">Threads</th>
          </tr>
        </thead>
        <tbody>
          {TASK_STATES.map((state) => {
            const alarming = (state === "zombie" || state === "disk_sleep") && (value(tasks.processes, state) ?? 0n) > 0n;
            return (
              <tr key={state} className={cx(alarming && "text-degraded")}>
                <th scope="row" className="text-left font-normal">{TASK_STATE_LABELS[state]}</th>
                <td className="text-right">{formatCount(value(tasks.processes, state))}</td>
                <td className="text-right">{formatCount(value(tasks.threads, state))}</td>
              </tr>
            );
          })}
          <tr className="border-t border-line font-semibold">
            <th scope="row" className="text-left">Total</th>
            <td className="text-right">{formatCount(tasks.processes?.total)}</td>
            <td className="text-right">{formatCount(tasks.threads?.total)}</td>
          </tr>
        </tbody>
      </table>
      <p className="mt-1 text-xs text-muted">
        PIDs in use {formatCount(tasks.pidsInUse)} of {formatCount(tasks.pidMax)} · threads max {formatCount(tasks.threadsMax)}
      </p>
    </div>
  );
}

export function TopProcesses({ title, processes, by }: { title: string; processes: ProcessInfo[]; by: "cpu" | "memory" }) {
  if (processes.length === 0) return null;
  return (
    <div className="min-w-0">
      <SubTitle>{title}</SubTitle>
      <table className="w-full table-fixed text-sm tabular-nums">
        <thead>
          <tr className="text-left text-xs text-muted">
            <th scope="col" className="w-16 font-medium">PID</th>
            <th scope="col" className="font-medium">Name</th>
            <th scope="col" className="w-20 text-right font-medium">{by === "cpu" ? "CPU" : "RSS"}</th>
            <th scope="col" className="hidden w-24 text-right font-medium sm:table-cell">State</th>
          </tr>
        </thead>
        <tbody>
          {processes.slice(0, 5).map((p) => (
            <tr key={p.pid}>
              <td className="text-muted">{p.pid}</td>
              <td className="truncate" title={`${p.name} (${p.user}, ${p.threads} threads)`}>
                {p.name}
              </td>
              <td className="text-right">{by === "cpu" ? formatPct(p.cpuPct, 1) : formatBytes(p.rssBytes)}</td>
              <td className="hidden text-right text-muted sm:table-cell">{enumWords(TaskState[p.state], "")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Unavailable({ snapshot }: { snapshot: HostSnapshot }) {
  if (snapshot.unavailable.length === 0) return null;
  return (
    <p className="text-xs text-degraded">
      Not readable on this host: {snapshot.unavailable.map((u) => `${u.section} (${u.reason})`).join("; ")}
    </p>
  );
}

