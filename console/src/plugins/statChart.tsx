// Perses's StatChart, saying in words what a stat with nothing to report means. Upstream
// writes "No data" when no series came back; a panel whose spec maps "null" to a text (the
// Grafana panel's noValue, e.g. "not burning") shows that text instead, as Grafana does.
import { Box, Typography } from '@mui/material';
import { StatChartOptions, StatChartPanelProps, StatChart as Upstream } from '@perses-dev/stat-chart-plugin';
import { PanelPlugin } from '@perses-dev/plugin-system';
import { ReactElement } from 'react';

type Spec = StatChartOptions;
type Props = StatChartPanelProps;

interface MiscMapping {
  kind: string;
  spec: { value?: string; result?: { value?: string } };
}

function nothingText(spec: Spec): string | undefined {
  const mappings = ((spec as { mappings?: MiscMapping[] }).mappings ?? []) as MiscMapping[];
  return mappings.find((m) => m.kind === 'Misc' && m.spec.value === 'null')?.spec.result?.value;
}

function StatChartPanel(props: Props): ReactElement {
  const text = nothingText(props.spec);
  const empty = props.queryResults.every((r) => !(r.data as { series?: unknown[] } | undefined)?.series?.length);
  if (text && empty) {
    return (
      <Box sx={{ height: '100%', display: 'flex', alignItems: 'center', justifyContent: 'center' }} data-no-value>
        <Typography variant="h5" color="text.secondary">
          {text}
        </Typography>
      </Box>
    );
  }
  const Component = Upstream.PanelComponent;
  return <Component {...props} />;
}

export const StatChart = { ...Upstream, PanelComponent: StatChartPanel } as PanelPlugin<Spec, Props>;
