/**
 * What the form shows next to each input, read from the one line schema: the allowed values
 * ("an integer from 30 to 600 seconds") and the default. Paths match the schema's error paths.
 */
import type { Field } from '../../../common/schema';
import { callSettingsSchema, lineSchema, serverSchema } from '../../../common/line-config';

const line = lineSchema.shape;
const calls = callSettingsSchema.shape;
const server = serverSchema.shape;

/** Field path (without a server index) → its schema field. */
const FIELDS: Record<string, Field<unknown>> = {
  id: line.id, name: line.name, username: line.username, authUsername: line.authUsername, password: line.password,
  domain: line.domain, displayName: line.displayName, servers: line.servers,
  expiryMode: line.expiryMode, retryDelay: line.retryDelay, signalRetryCount: line.signalRetryCount,
  'failback.enabled': line.failback.shape.enabled, 'failback.interval': line.failback.shape.interval,
  'liveness.interval': line.liveness.shape.interval,
  privacy: line.privacy, sendUnregister: line.sendUnregister, stopFailoverAfterInviteTimeout: line.stopFailoverAfterInviteTimeout, enabled: line.enabled,
  'server.host': server.host, 'server.port': server.port, 'server.transport': server.transport, 'server.path': server.path,
  'server.expires': server.expires,
  'calls.enabled': calls.enabled, 'calls.dtmfMode': calls.dtmfMode, 'calls.codecs': calls.codecs, 'calls.srtp': calls.srtp,
  'calls.mediaMode': calls.mediaMode, 'calls.rtpPortMin': calls.rtpPortMin, 'calls.rtpPortMax': calls.rtpPortMax,
  'calls.rtpTimeout': calls.rtpTimeout, 'calls.autoAnswerMs': calls.autoAnswerMs,
};

function fieldFor(path: string): Field<unknown> | undefined {
  return FIELDS[path.replace(/^servers\[\d+\]\./, 'server.')];
}

/** "an integer from 30 to 600 seconds" for `retryDelay`, `servers[2].port`, …; '' when unknown. */
export function allowedText(path: string): string {
  return fieldFor(path)?.allowed ?? '';
}


const SHOWN = /^(?:id|name|servers|username|authUsername|password|domain|displayName|expiryMode|retryDelay|signalRetryCount|failback\.(?:enabled|interval)|liveness\.interval|privacy|sendUnregister|stopFailoverAfterInviteTimeout|enabled|calls\.(?:enabled|dtmfMode|codecs(?:\[\d+\])?|srtp|mediaMode|rtpPortMin|rtpPortMax|rtpTimeout|autoAnswerMs))$|^servers\[\d+\](?:\.(?:host|port|transport|path|expires|tls(?:\.(?:ca|fingerprintSha256))?))?$/;

/** Whether the form has a place for problems at `path`; the rest are listed above the buttons. */
export function hasFieldFor(path: string): boolean {
  return SHOWN.test(path);
}

/** A field without a default must be filled in (the schema says "is required"). */
export function isRequired(path: string): boolean {
  const field = fieldFor(path);
  return field !== undefined && field.fallback === undefined;
}
