// The shell: header with navigation, live indicator, theme and token controls, and the
// screen for the current URL. Screens other than the overview (and everything that draws
// charts) load on demand, keeping the first load small.
import { lazy, Suspense } from "react";
import { Activity, Bell, Gauge, LayoutList, Server } from "lucide-react";
import { ConnectionIndicator } from "../components/ConnectionIndicator";
import { ErrorBoundary } from "../components/ErrorBoundary";
import { Loading } from "../components/Loading";
import { TokenDialog } from "../components/TokenDialog";
import { cx } from "../components/ui";
import { OverviewScreen } from "../screens/overview/OverviewScreen";
import { HeaderControls } from "./HeaderControls";
import { Link, usePathname } from "./router";
import { matchRoute, paths, type Route } from "./routes";

const MonitorScreen = lazy(() => import("../screens/monitor/MonitorScreen"));
const MonitorFormScreen = lazy(() => import("../screens/form/MonitorFormScreen"));
const HostsScreen = lazy(() => import("../screens/hosts/HostsScreen"));
const AlertsScreen = lazy(() => import("../screens/alerts/AlertsScreen"));
const StatusScreen = lazy(() => import("../screens/status/StatusScreen"));

const NAV = [
  { href: paths.overview(), label: "Monitors", icon: LayoutList, match: ["overview", "monitor", "new-monitor", "edit-monitor"] },
  { href: paths.hosts(), label: "Hosts", icon: Server, match: ["hosts"] },
  { href: paths.alerts(), label: "Alerts", icon: Bell, match: ["alerts"] },
  { href: paths.status(), label: "Status", icon: Gauge, match: ["status"] },
] as const;

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case "overview":
      return <OverviewScreen />;
    case "monitor":
      return <MonitorScreen id={route.id} />;
    case "new-monitor":
      return <MonitorFormScreen />;
    case "edit-monitor":
      return <MonitorFormScreen id={route.id} />;
    case "hosts":
      return <HostsScreen />;
    case "alerts":
      return <AlertsScreen />;
    case "status":
      return <StatusScreen />;
    case "not-found":
      return (
        <p className="py-10 text-center">
          Nothing at <code>{route.path}</code>. <Link href="/" className="text-accent underline">Back to the monitors</Link>
        </p>
      );
  }
}

export function App() {
  const pathname = usePathname();
  const route = matchRoute(pathname);
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-surface focus:p-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-20 border-b border-line bg-surface/95 backdrop-blur">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2 sm:px-6">
          <Link href="/" className="flex items-center gap-2 text-lg font-bold">
            <Activity aria-hidden="true" className="size-5 text-accent" /> Pulsar
          </Link>
          <nav aria-label="Main" className="order-last -mx-1 flex w-full gap-0.5 overflow-x-auto sm:order-none sm:w-auto sm:gap-1">
            {NAV.map((item) => {
              const active = (item.match as readonly string[]).includes(route.name);
              const Icon = item.icon;
              return (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={active ? "page" : undefined}
                  className={cx(
                    "inline-flex items-center gap-1.5 rounded-lg px-2 py-1.5 text-sm font-medium whitespace-nowrap sm:px-3",
                    active ? "bg-surface-2 text-ink" : "text-muted hover:text-ink",
                  )}
                >
                  <Icon aria-hidden="true" className="size-4" /> {item.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <ConnectionIndicator />
            <HeaderControls />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-3 py-4 sm:px-6">
        <ErrorBoundary resetKey={pathname}>
          <Suspense fallback={<Loading />}>
            <Screen route={route} />
          </Suspense>
        </ErrorBoundary>
      </main>
      <TokenDialog />
    </div>
  );
}
