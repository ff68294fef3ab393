import { useEffect, useState } from "react";

/** The current time, refreshed every `everyMs`, for "x ago" labels and days-left figures. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
