/**
 * A small UDP NAT on loopback for tests: clients send to its inside address, it forwards to one
 * upstream server (Kamailio) from an outward socket of its own per client — so the server sees
 * the outward address as the source, and its Via `received`/`rport` differ from the client's
 * Contact (RFC 3581) — and maps whatever reaches that outward port back to the client
 * (endpoint-independent mapping and filtering, RFC 4787 §4.1/§5).
 *
 * A mapping lives `mappingTimeoutMs` after the client's last outbound datagram (RFC 4787 §4.3:
 * only outbound traffic refreshes it). Once expired, datagrams to its outward port are dropped
 * (and counted), and the client's next datagram gets a new mapping on a new outward port —
 * exactly what a NAT that forgot a binding does.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface NatRelayOptions {
  /** Where clients send to (the NAT's inside address); port chosen by the OS. Default 127.0.0.1. */
  insideAddress?: string;
  /** The public address outward sockets bind to; must differ from the clients' address. */
  outsideAddress: string;
  upstream: { address: string; port: number };
  /** Idle time after the last outbound datagram before a mapping is forgotten, ms. */
  mappingTimeoutMs: number;
}

interface Mapping {
  client: RemoteInfo;
  outward: Socket;
  port: number;
  expired: boolean;
  timer: NodeJS.Timeout | null;
}

export class NatRelay {
  /** The inside address and port clients send to. */
  inside = { address: '', port: 0 };
  /** Datagrams that reached an expired mapping's port and were dropped. */
  droppedInbound = 0;
  /** Outbound datagrams per client that carried only CRLF (keepalives). */
  keepalivesSeen = 0;

  private insideSocket: Socket | null = null;
  private readonly mappings = new Map<string, Mapping>();
  private readonly retired: Mapping[] = [];
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly options: NatRelayOptions) {}

  async start(): Promise<this> {
    const socket = createSocket('udp4');
    this.insideSocket = socket;
    socket.on('message', (data, rinfo) => void this.outbound(data, rinfo));
    await new Promise<void>((resolve) => socket.bind(0, this.options.insideAddress ?? '127.0.0.1', resolve));
    this.inside = { address: socket.address().address, port: socket.address().port };
    return this;
  }

  /** The live outward port of each client (`address:port` of the client → outward port). */
  livePorts(): number[] {
    return [...this.mappings.values()].filter((m) => !m.expired).map((m) => m.port);
  }

  /** Every outward port ever used, in order. */
  allPorts(): number[] {
    return [...this.retired, ...this.mappings.values()].map((m) => m.port);
  }

  close(): void {
    for (const m of [...this.mappings.values(), ...this.retired]) {
      if (m.timer) clearTimeout(m.timer);
      try {
        m.outward.close();
      } catch {
        // already closed
      }
    }
    this.mappings.clear();
    this.retired.length = 0;
    this.insideSocket?.close();
    this.insideSocket = null;
  }

  private async outbound(data: Buffer, client: RemoteInfo): Promise<void> {
    const key = `${client.address}:${client.port}`;
    // One chain per client, so datagrams keep their order and a new mapping is made once.
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.forward(key, data, client));
    this.chains.set(key, next.catch(() => undefined));
    await next.catch(() => undefined);
  }

  private async forward(key: string, data: Buffer, client: RemoteInfo): Promise<void> {
    if (!this.insideSocket) return;
    let mapping = this.mappings.get(key);
    if (!mapping || mapping.expired) {
      if (mapping) this.retired.push(mapping);
      mapping = await this.newMapping(client);
      this.mappings.set(key, mapping);
    }
    if (/^[\r\n]+$/.test(data.toString('latin1'))) this.keepalivesSeen++;
    this.refresh(mapping);
    mapping.outward.send(data, this.options.upstream.port, this.options.upstream.address);
  }

  private async newMapping(client: RemoteInfo): Promise<Mapping> {
    const outward = createSocket('udp4');
    await new Promise<void>((resolve) => outward.bind(0, this.options.outsideAddress, resolve));
    const mapping: Mapping = { client, outward, port: outward.address().port, expired: false, timer: null };
    outward.on('message', (data) => {
      if (mapping.expired) {
        this.droppedInbound++;
        return;
      }
      this.insideSocket?.send(data, client.port, client.address);
    });
    return mapping;
  }

  private refresh(mapping: Mapping): void {
    if (mapping.timer) clearTimeout(mapping.timer);
    mapping.timer = setTimeout(() => {
      mapping.expired = true;
      mapping.timer = null;
    }, this.options.mappingTimeoutMs);
  }
}

export function startNatRelay(options: NatRelayOptions): Promise<NatRelay> {
  return new NatRelay(options).start();
}
