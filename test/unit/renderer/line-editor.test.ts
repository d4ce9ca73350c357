import { describe, expect, it } from 'vitest';
import { parseLineConfig } from '../../../common/line-config';
import type { LineView, PublicLineConfig, TrunklineApi } from '../../../preload/contract';
import { LineEditor } from '../../../renderer/src/state/line-editor.svelte';
import { LineStore } from '../../../renderer/src/state/line-store.svelte';
import { snapshot } from './snapshots';

function view(id: string): LineView {
  const parsed = parseLineConfig({ id, username: '1001', password: 'pw', domain: 'example.org', servers: [{ host: '127.0.0.1' }] });
  if (!parsed.ok) throw new Error('bad fixture');
  const { password: _password, ...rest } = parsed.value;
  const config: PublicLineConfig = { ...rest, hasPassword: true };
  return { config, snapshot: snapshot({ id }) };
}

function setup() {
  const store = new LineStore({} as TrunklineApi);
  store.upsert(view('a'));
  store.upsert(view('b'));
  const editor = new LineEditor({} as TrunklineApi, store, () => {});
  return { store, editor };
}

describe('line editor: unsaved edits are never dropped silently', () => {
  it('switching lines with no edits just switches', () => {
    const { editor } = setup();
    editor.edit('a');
    editor.edit('b');
    expect(editor.editingId).toBe('b');
    expect(editor.pending).toBeNull();
  });

  it('switching lines with edits asks first; keep editing stays, discard goes on', () => {
    const { editor } = setup();
    editor.edit('a');
    editor.form!.draft.name = 'Renamed';
    expect(editor.dirty).toBe(true);
    editor.edit('b');
    expect(editor.editingId).toBe('a');
    expect(editor.pending).toEqual({ kind: 'edit', id: 'b' });
    editor.keepEditing();
    expect(editor.pending).toBeNull();
    expect(editor.form!.draft.name).toBe('Renamed');
    editor.edit('b');
    editor.discardAndContinue();
    expect(editor.editingId).toBe('b');
    expect(editor.dirty).toBe(false);
  });

  it('Close and Add line ask too; a blank new form closes without asking', () => {
    const { editor } = setup();
    editor.edit('a');
    editor.form!.draft.name = 'Renamed';
    editor.close();
    expect(editor.pending).toEqual({ kind: 'close' });
    editor.discardAndContinue();
    expect(editor.form).toBeNull();
    editor.create();
    expect(editor.dirty).toBe(false);
    editor.close();
    expect(editor.form).toBeNull();
    editor.create();
    editor.form!.draft.id = 'new-line';
    editor.edit('a');
    expect(editor.pending).toEqual({ kind: 'edit', id: 'a' });
  });

  it('clicking the line already open keeps its edits', () => {
    const { editor } = setup();
    editor.edit('a');
    editor.form!.draft.name = 'Renamed';
    editor.edit('a');
    expect(editor.pending).toBeNull();
    expect(editor.form!.draft.name).toBe('Renamed');
  });
});
