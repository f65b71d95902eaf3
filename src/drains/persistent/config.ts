// persistent://<key> → the key, checked before anything touches the database.
// The key is the URL's host part, case kept: `persistent://my-app`. Anything
// else in the URL (user, port, path) is an error rather than silently ignored.
import { keyProblem } from '../../store/log-store';
import { drainUrlError } from '../url';

export interface PersistentDrainOptions {
  /** The log store key: GET /logs/<key> reads what this drain wrote. */
  key: string;
}

/** Query parameters beyond the common ones (name, policy, buffer_*, grace): none. */
export const persistentParams: readonly string[] = [];

export function parsePersistentUrl(u: URL): PersistentDrainOptions {
  const url = u.toString();
  if (u.username !== '' || u.password !== '') throw drainUrlError(url, 'a persistent drain takes no user or password');
  if (u.port !== '') throw drainUrlError(url, 'a persistent drain takes no port');
  if (u.pathname !== '' && u.pathname !== '/') throw drainUrlError(url, `write the key as persistent://<key>, without a path (got "${u.pathname}")`);
  const key = u.hostname;
  const problem = keyProblem(key);
  if (problem !== null) throw drainUrlError(url, problem);
  return { key };
}
