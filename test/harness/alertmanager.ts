/**
 * A real Alertmanager (Debian's `prometheus-alertmanager` 0.25) for one test file: one route to a
 * webhook receiver, grouping by alert name and line with 1 s waits so a test sees a notification
 * within seconds; clustering off (it would listen on 0.0.0.0:9094). Bounded start; stop() kills it
 * and removes its directory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackages } from './install';
import { freePort, spawnTool, stopTool, waitForHttp } from './prometheus';

export interface AlertmanagerInstance {
  /** host:port, as Prometheus' alerting config names it. */
  readonly address: string;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Alertmanager posting every notification to `webhookUrl` (a loopback HTTP receiver). */
export async function startAlertmanager(options: { webhookUrl: string }): Promise<AlertmanagerInstance> {
  await ensureSystemPackages(['prometheus-alertmanager']);
  const dir = await mkdtemp(join(tmpdir(), 'trunkline-alertmanager-'));
  const port = await freePort();
  const config = [
    'route:',
    '  receiver: test',
    '  group_by: [alertname, line]',
    '  group_wait: 1s',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: test',
    '    webhook_configs:',
    `      - url: "${options.webhookUrl}"`,
    '        send_resolved: true',
  ].join('\n');
  await writeFile(join(dir, 'alertmanager.yml'), `${config}\n`);
  const address = `127.0.0.1:${port}`;
  const tool = spawnTool('prometheus-alertmanager', [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const stop = async (): Promise<void> => {
    await stopTool(tool);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${address}/-/ready`, 20_000, 'alertmanager', tool.output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, url: `http://${address}`, stop };
}
