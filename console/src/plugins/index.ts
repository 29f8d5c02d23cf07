// Every plugin the console bundles: Perses's own, and the console's Jaeger and VictoriaLogs
// plugins. All are imported statically, so the built console fetches nothing at run time.
import * as barChart from '@perses-dev/bar-chart-plugin';
import * as gaugeChart from '@perses-dev/gauge-chart-plugin';
// Only the LogsTable panel of the Loki package: its Loki queries have no Loki to ask here.
import { LogsTable } from '@perses-dev/loki-plugin';
import { PluginModuleResource, dynamicImportPluginLoader } from '@perses-dev/plugin-system';
import * as prometheus from '@perses-dev/prometheus-plugin';
import * as statChart from '@perses-dev/stat-chart-plugin';
import * as table from '@perses-dev/table-plugin';
import * as timeseriesChart from '@perses-dev/timeseries-chart-plugin';
import * as traceTable from '@perses-dev/trace-table-plugin';
import * as tracingGantt from '@perses-dev/tracing-gantt-chart-plugin';
import { JaegerDependencyTable } from './dependencies';
import { JaegerTraceQuery } from './jaeger';
import { StatChart } from './statChart';
import { VictoriaLogsLogQuery } from './victorialogs';

const kansokuModule = { JaegerTraceQuery, JaegerDependencyTable, VictoriaLogsLogQuery, LogsTable };
const kansokuResource: PluginModuleResource = {
  kind: 'PluginModule',
  metadata: { name: 'kansoku-console', version: '0.1.0' },
  spec: {
    plugins: [
      { kind: 'TraceQuery', spec: { name: 'JaegerTraceQuery', display: { name: 'Jaeger (API v3)' } } },
      { kind: 'Panel', spec: { name: 'JaegerDependencyTable', display: { name: 'Service dependencies' } } },
      { kind: 'LogQuery', spec: { name: 'VictoriaLogsLogQuery', display: { name: 'VictoriaLogs (LogsQL)' } } },
      { kind: 'Panel', spec: { name: 'LogsTable', display: { name: 'Logs table' } } },
    ],
  },
};

interface PluginPackage {
  getPluginModule(): PluginModuleResource;
}

// Perses's StatChart with the console's text for a stat with nothing to report.
const statChartWithText = { ...statChart, StatChart };
const packages: PluginPackage[] = [prometheus, timeseriesChart, statChartWithText, gaugeChart, table, barChart, traceTable, tracingGantt];

export const pluginLoader = dynamicImportPluginLoader([
  ...packages.map((p) => ({ resource: p.getPluginModule(), importPlugin: () => Promise.resolve(p) })),
  { resource: kansokuResource, importPlugin: () => Promise.resolve(kansokuModule) },
]);
