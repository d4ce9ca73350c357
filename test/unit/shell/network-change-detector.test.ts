import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../main/shell/network-change-detector';
import { describeNetworkChange, NetworkChangeDetector, routableAddresses } from '../../../main/shell/network-change-detector';
import { FakeClock } from '../../fake-clock';

function setup(initial: string[]) {
  const clock = new FakeClock();
  let addresses = initial;
  const changes: NetworkChange[] = [];
  const detector = new NetworkChangeDetector({ clock, readAddresses: () => addresses, onChange: (c) => changes.push(c) });
  detector.start();
  return { clock, changes, detector, set: (next: string[]) => (addresses = next) };
}

describe('network change detector', () => {
  it('keeps only addresses SIP sockets can use: no loopback, no link-local', () => {
    expect(routableAddresses({
      lo: [{ address: '127.0.0.1', internal: true, family: 'IPv4' }, { address: '::1', internal: true, family: 'IPv6' }],
      eth0: [{ address: '192.168.1.20', internal: false, family: 'IPv4' }, { address: 'fe80::1', internal: false, family: 'IPv6' }],
      wlan0: [{ address: '2001:db8::5', internal: false, family: 'IPv6' }, { address: '169.254.3.4', internal: false, family: 'IPv4' }],
      down: undefined,
    })).toEqual(['192.168.1.20', '2001:db8::5']);
  });

  it('Wi-Fi to Ethernet: the Wi-Fi address disappearing is reported', () => {
    const { clock, changes, set } = setup(['192.168.1.20']);
    set(['192.168.1.20', '10.0.0.7']);
    clock.advance(5_000);
    expect(changes).toEqual([]); // a new interface alone breaks nothing
    set(['10.0.0.7']);
    clock.advance(5_000);
    expect(changes).toEqual([{ removed: ['192.168.1.20'], added: [] }]);
    expect(describeNetworkChange(changes[0]!)).toBe('network address gone (192.168.1.20)');
  });

  it('offline then back online: coming back is reported', () => {
    const { clock, changes, set } = setup(['192.168.1.20']);
    set([]);
    clock.advance(5_000);
    set(['192.168.1.21']);
    clock.advance(5_000);
    expect(changes).toEqual([{ removed: ['192.168.1.20'], added: [] }, { removed: [], added: ['192.168.1.21'] }]);
    expect(describeNetworkChange(changes[1]!)).toBe('network came back (192.168.1.21)');
  });

  it('a new IPv6 privacy address next to the old one is not news', () => {
    const { clock, changes, set } = setup(['2001:db8::5', '192.168.1.20']);
    set(['2001:db8::5', '2001:db8::9', '192.168.1.20']);
    clock.advance(60_000);
    expect(changes).toEqual([]);
  });

  it('a failing address read keeps the last known set instead of reporting everything gone', () => {
    const clock = new FakeClock();
    const changes: NetworkChange[] = [];
    let fail = false;
    const detector = new NetworkChangeDetector({
      clock,
      readAddresses: () => {
        if (fail) throw new Error('EMFILE');
        return ['10.0.0.7'];
      },
      onChange: (c) => changes.push(c),
    });
    detector.start();
    fail = true;
    clock.advance(20_000);
    expect(changes).toEqual([]);
    detector.stop();
    expect(clock.pendingDelays()).toEqual([]);
  });
});
