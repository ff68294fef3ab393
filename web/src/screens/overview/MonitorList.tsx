// The overview's list, virtualized against the window's scroll: only the rows on screen
// (plus a few) are in the DOM, so 1,000 monitors scroll as smoothly as ten.
import { useLayoutEffect, useRef, useState } from "react";
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useMediaQuery } from "../../app/useMediaQuery";
import type { OverviewRow } from "../../live/overview";
import { MonitorRow } from "./MonitorRow";

const WIDE_ROW_PX = 60;
const NARROW_ROW_PX = 84;

export function MonitorList({ rows }: { rows: OverviewRow[] }) {
  const wide = useMediaQuery("(min-width: 900px)");
  const listRef = useRef<HTMLDivElement>(null);
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => {
    setOffset(listRef.current?.offsetTop ?? 0);
  }, [wide]);
  const rowHeight = wide ? WIDE_ROW_PX : NARROW_ROW_PX;
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => rowHeight,
    overscan: 8,
    scrollMargin: offset,
    getItemKey: (i) => rows[i]?.id ?? i,
  });

  return (
    <div className="overflow-hidden rounded-xl border border-line bg-surface">
      {wide && (
        <div
          aria-hidden="true"
          className="grid grid-cols-[minmax(0,1fr)_7rem_6rem_5.5rem_8rem_11.5rem] gap-3 border-b border-line bg-surface-2 px-4 py-2 text-xs font-semibold text-muted uppercase"
        >
          <span>Monitor</span>
          <span>State</span>
          <span className="text-right">Latency</span>
          <span className="text-right">24h uptime</span>
          <span>Last 60</span>
          <span>Last 90 checks</span>
        </div>
      )}
      <div ref={listRef} role="list" aria-label={`${rows.length} monitors`} style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              role="listitem"
              key={item.key}
              style={{
                position: "absolute",
                top: 0,
                left: 0,
                width: "100%",
                height: rowHeight,
                transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)`,
              }}
            >
              <MonitorRow row={row} wide={wide} />
            </div>
          );
        })}
      </div>
    </div>
  );
}
