// The app's routes as data: matched by a pure function (unit-tested) so the URL is the one
// source of truth for which screen shows. Seven routes do not justify a router library.

export type Route =
  | { name: "overview" }
  | { name: "monitor"; id: string }
  | { name: "new-monitor" }
  | { name: "edit-monitor"; id: string }
  | { name: "hosts" }
  | { name: "alerts" }
  | { name: "status" }
  | { name: "not-found"; path: string };

export function matchRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0) return { name: "overview" };
  if (first === "monitors" && second === "new" && parts.length === 2) return { name: "new-monitor" };
  if (first === "monitors" && second && parts.length === 2) return { name: "monitor", id: second };
  if (first === "monitors" && second && third === "edit" && parts.length === 3) return { name: "edit-monitor", id: second };
  if (parts.length === 1 && (first === "hosts" || first === "alerts" || first === "status")) return { name: first };
  return { name: "not-found", path: pathname };
}

export const paths = {
  overview: () => "/",
  monitor: (id: string) => `/monitors/${encodeURIComponent(id)}`,
  newMonitor: () => "/monitors/new",
  editMonitor: (id: string) => `/monitors/${encodeURIComponent(id)}/edit`,
  hosts: () => "/hosts",
  alerts: () => "/alerts",
  status: () => "/status",
};
