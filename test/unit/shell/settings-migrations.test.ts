import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION } from '../../../main/shell/settings-document';
import { migrateDocument, NewerDocumentError } from '../../../main/shell/settings-migrations';

const v1 = {
  schemaVersion: 1,
  settings: { notifications: false },
  lines: [
    { id: 'a', username: '1001', domain: 'example.org', passwordCiphertext: 'Y2lwaGVy', servers: [{ host: 'sip1.example.org', ttl: 600 }, { host: 'sip2.example.org' }] },
    { id: 'b', username: '1002', domain: 'example.org', servers: [{ host: 'sip1.example.org', ttl: 300, expires: 900 }] },
  ],
};

describe('settings migrations', () => {
  it('v1 → v3: a server\'s "ttl" becomes "expires"; everything else is carried over', () => {
    const { document, fromVersion } = migrateDocument(v1);
    expect(fromVersion).toBe(1);
    expect(CURRENT_SCHEMA_VERSION).toBe(3);
    expect(document).toEqual({
      schemaVersion: 3,
      settings: { notifications: false },
      lines: [
        { id: 'a', username: '1001', domain: 'example.org', passwordCiphertext: 'Y2lwaGVy', servers: [{ host: 'sip1.example.org', expires: 600 }, { host: 'sip2.example.org' }] },
        // Both present (hand-edited file): the v2 name wins.
        { id: 'b', username: '1002', domain: 'example.org', servers: [{ host: 'sip1.example.org', expires: 900 }] },
      ],
    });
  });

  it('v2 → v3: inviteTimeoutMarksDown (never read) is retired; stopFailoverAfterInviteTimeout takes its default', () => {
    const v2 = {
      schemaVersion: 2,
      settings: {},
      lines: [
        { id: 'a', inviteTimeoutMarksDown: true, servers: [] },
        { id: 'b', inviteTimeoutMarksDown: false, servers: [] },
        { id: 'c', servers: [] },
        { id: 'd', inviteTimeoutMarksDown: true, stopFailoverAfterInviteTimeout: true, servers: [] },
      ],
    };
    expect(migrateDocument(v2).document.lines).toEqual([
      { id: 'a', stopFailoverAfterInviteTimeout: false, servers: [] },
      { id: 'b', stopFailoverAfterInviteTimeout: false, servers: [] },
      { id: 'c', servers: [] },
      { id: 'd', stopFailoverAfterInviteTimeout: true, servers: [] },
    ]);
  });

  it('never mutates the document it was given', () => {
    const copy = structuredClone(v1);
    migrateDocument(v1);
    expect(v1).toEqual(copy);
  });

  it('a current document passes through unchanged', () => {
    const v3 = { schemaVersion: 3, settings: {}, lines: [], invalidLines: [] };
    expect(migrateDocument(v3)).toEqual({ document: v3, fromVersion: 3 });
  });

  it('a document from a newer Trunkline is refused, not downgraded', () => {
    expect(() => migrateDocument({ schemaVersion: 4 })).toThrow(NewerDocumentError);
    expect(() => migrateDocument({ schemaVersion: 4 })).toThrow('written by a newer Trunkline (settings version 4; this version reads up to 3)');
  });

  it('a document without a usable version is refused', () => {
    expect(() => migrateDocument({ lines: [] })).toThrow('no valid schemaVersion');
    expect(() => migrateDocument({ schemaVersion: '2' })).toThrow('no valid schemaVersion');
  });
});
