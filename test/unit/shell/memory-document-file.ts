import type { DocumentFile } from '../../../main/shell/document-file';
import type { StoredDocument } from '../../../main/shell/settings-document';

/**
 * A settings file in memory, kept as JSON text like the real one: `read` parses it (a syntax
 * error throws, as electron-store does), `write` refuses a clear `password` in any line (as the
 * document schema does), and `moveAside` keeps the moved text for the test to inspect.
 */
export class MemoryDocumentFile implements DocumentFile {
  readonly path = '/home/agent/.config/Trunkline/trunkline-settings.json';
  readonly moved: { path: string; text: string }[] = [];
  writes = 0;
  failWrites: string | null = null;

  constructor(public text: string | null = null) {}

  read(): Record<string, unknown> {
    if (this.text === null) return {};
    const parsed: unknown = JSON.parse(this.text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('Config schema violation: `` must be object');
    return parsed as Record<string, unknown>;
  }

  write(document: StoredDocument): void {
    if (this.failWrites) throw new Error(this.failWrites);
    for (const line of [...document.lines, ...document.invalidLines.map((l) => l.line)]) {
      if ('password' in line) throw new Error('Config schema violation: `lines/0` must NOT have property password');
    }
    this.writes++;
    this.text = JSON.stringify(document, null, '\t');
  }

  moveAside(tag: string): string {
    const path = this.path.replace(/\.json$/, `.${tag}.json`);
    this.moved.push({ path, text: this.text ?? '' });
    this.text = null;
    return path;
  }

  json(): StoredDocument {
    return JSON.parse(this.text ?? 'null') as StoredDocument;
  }
}
