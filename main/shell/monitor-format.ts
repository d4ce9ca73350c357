/**
 * A line as the monitor config file writes it (and as the settings file stores it): what
 * `parseLineConfig` reads back to the same LineConfig. The parsed form carries facts the file does
 * not (`portGiven`: whether a server's port was written, which decides SRV lookup, RFC 3263
 * §4.2); here they become the file's own spelling again — a port not given is left out.
 */
import type { LineConfig } from '../../common/line-config';

export function monitorFormat(config: Omit<LineConfig, 'password'>): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(config)) as Record<string, unknown> & { servers: Record<string, unknown>[] };
  out.servers = out.servers.map(({ portGiven, ...server }) => (portGiven === false ? { ...server, port: undefined } : server))
    .map((server) => JSON.parse(JSON.stringify(server)) as Record<string, unknown>);
  return out;
}
