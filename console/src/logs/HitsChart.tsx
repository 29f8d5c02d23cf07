// Hits over time (/select/logsql/hits) as bars: how many records matched per step.
import { Box, Typography } from '@mui/material';
import { ReactElement } from 'react';
import { Hits } from '../plugins/victorialogs';

const HEIGHT = 80;

export function HitsChart({ hits }: { hits: Hits }): ReactElement {
  const max = Math.max(1, ...hits.values);
  const width = Math.max(1, hits.values.length);
  const first = hits.timestamps[0];
  const last = hits.timestamps[hits.timestamps.length - 1];
  return (
    <Box data-testid="logs-hits" data-total={hits.total}>
      <Typography variant="body2" color="text.secondary">
        {hits.total} records matched{first && last ? `, ${first.toLocaleTimeString()} – ${last.toLocaleTimeString()}` : ''}
      </Typography>
      <svg width="100%" height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label="hits over time">
        {hits.values.map((v, i) => (
          <rect key={i} x={i + 0.1} width={0.8} y={HEIGHT - (v / max) * HEIGHT} height={(v / max) * HEIGHT} fill="#1976d2">
            <title>{`${hits.timestamps[i]?.toLocaleTimeString()}: ${v}`}</title>
          </rect>
        ))}
      </svg>
    </Box>
  );
}
