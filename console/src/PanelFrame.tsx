// One Perses panel outside a dashboard, as docs/embedding-panels.md of Perses lays it out:
// the providers a panel needs, with the console's datasources and a time range.
import { Box } from '@mui/material';
import { DurationString, PanelDefinition, QueryDefinition, TimeRangeValue } from '@perses-dev/core';
import { DatasourceStoreProvider, Panel, VariableProvider } from '@perses-dev/dashboards';
import { DataQueriesProvider, TimeRangeProvider } from '@perses-dev/plugin-system';
import { ReactElement, useState } from 'react';
import { consoleResource, datasourceApi } from './api';

interface PanelFrameProps {
  title: string;
  plugin: PanelDefinition['spec']['plugin'];
  queries: QueryDefinition[];
  height: number;
  pastDuration?: DurationString;
  testId?: string;
}

export function PanelFrame({ title, plugin, queries, height, pastDuration = '1h', testId }: PanelFrameProps): ReactElement {
  const [timeRange, setTimeRange] = useState<TimeRangeValue>({ pastDuration });
  const definitions = queries.map((q) => q.spec.plugin);
  return (
    <TimeRangeProvider timeRange={timeRange} setTimeRange={setTimeRange} refreshInterval="0s">
      <VariableProvider>
        <DatasourceStoreProvider dashboardResource={consoleResource} datasourceApi={datasourceApi}>
          <DataQueriesProvider definitions={definitions}>
            <Box sx={{ height }} data-testid={testId}>
              <Panel definition={{ kind: 'Panel', spec: { display: { name: title }, plugin, queries } }} />
            </Box>
          </DataQueriesProvider>
        </DatasourceStoreProvider>
      </VariableProvider>
    </TimeRangeProvider>
  );
}
