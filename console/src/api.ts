// The console server's own endpoints (same origin; see docs/console.md).
import { DashboardResource, DatasourceResource, GlobalDatasourceResource } from '@perses-dev/core';
import { DatasourceApi } from '@perses-dev/dashboards';

export interface ComponentStatus {
  name: string;
  status: string; // "ready", "down", ...
  url: string;
  detail: string;
}

export interface UiLink {
  name: string;
  url: string;
  description: string;
}

export interface Status {
  components: ComponentStatus[];
  uis: UiLink[];
  logs?: { url: string }; // VictoriaLogs' UI query, "{traceId}" filled by the trace view
  link_bases?: Record<string, string>; // committed link base -> where this stack serves it
}

/** ``url`` with a committed base (alerts name the default ports) moved to where this stack
 * serves it, so a runbook or dashboard link works on a stack started on other ports. */
export function localLink(url: string, bases: Record<string, string> | undefined): string {
  for (const [base, here] of Object.entries(bases ?? {})) {
    const prefix = base.endsWith('/') ? base : `${base}/`;
    if (url.startsWith(prefix)) return (here.endsWith('/') ? here : `${here}/`) + url.slice(prefix.length);
  }
  return url;
}

export interface DashboardEntry {
  uid: string;
  title: string;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export const fetchStatus = (): Promise<Status> => getJson<Status>('/api/status');
export const fetchDashboards = (): Promise<DashboardEntry[]> =>
  getJson<{ dashboards: DashboardEntry[] }>('/dashboards/index.json').then((b) => b.dashboards);
export const fetchDashboard = (uid: string): Promise<DashboardResource> =>
  getJson<DashboardResource>(`/dashboards/${encodeURIComponent(uid)}.json`);

/** An alert as Alertmanager's API v2 lists it. */
export interface AmAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

/** One alert of one notification the local receiver got (`kansoku alerts --json`). */
export interface Notification {
  received_at: string;
  receiver: string;
  status: string;
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

// Active alerts, silenced and inhibited ones included (shown as such); the Watchdog is the
// stack's heartbeat, not something to act on.
export const fetchAlerts = (): Promise<AmAlert[]> =>
  getJson<AmAlert[]>('/api/alertmanager/api/v2/alerts?active=true&silenced=true&inhibited=true').then((all) =>
    all.filter((a) => a.labels.alertname !== 'Watchdog'),
  );
export const fetchNotifications = (): Promise<Notification[]> =>
  getJson<{ notifications: Notification[] }>('/api/notifications').then((b) => b.notifications);

// Every dashboard carries its datasources; there are no global or project ones.
export const datasourceApi: DatasourceApi = {
  getDatasource: async (): Promise<DatasourceResource | undefined> => undefined,
  getGlobalDatasource: async (): Promise<GlobalDatasourceResource | undefined> => undefined,
  listDatasources: async (): Promise<DatasourceResource[]> => [],
  listGlobalDatasources: async (): Promise<GlobalDatasourceResource[]> => [],
};

// What the trace pages run inside: a dashboard with only the Prometheus datasource.
export const consoleResource = {
  kind: 'Dashboard',
  metadata: { name: 'console', project: 'kansoku' },
  spec: {
    display: { name: 'console' },
    duration: '1h',
    variables: [],
    panels: {},
    layouts: [],
    datasources: {
      prometheus: { default: true, plugin: { kind: 'PrometheusDatasource', spec: { directUrl: '/api/prometheus' } } },
    },
  },
} as unknown as DashboardResource;
