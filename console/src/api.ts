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
