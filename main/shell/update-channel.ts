/** The update channel a build follows: a prerelease version (`1.2.0-beta.3`) follows `beta`. */
export function updateChannel(version: string): 'stable' | 'beta' {
  return /-(?:beta|alpha|rc)\b/i.test(version) ? 'beta' : 'stable';
}
