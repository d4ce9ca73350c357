/** A one-shot timer, injected into state classes so tests can run them without real time. */
export type Schedule = (callback: () => void, ms: number) => () => void;

export const windowSchedule: Schedule = (callback, ms) => {
  const handle = window.setTimeout(callback, ms);
  return () => window.clearTimeout(handle);
};
