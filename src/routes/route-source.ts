// Where routes come from. A source emits the FULL current set of rows whenever
// it changes; the route manager diffs it against what runs. Sources never
// validate endpoints: an invalid row is the manager's to count and skip, so
// every source treats bad rows the same way.
import type { EventEmitter } from 'node:events';

export interface RouteRow {
  id: string;
  hostname: string;
  endpoint: string;
}

export interface RouteSource extends EventEmitter {
  /** True once a route set has been loaded from the source itself (not from a cached copy). */
  readonly ready: boolean;
  /** Resolves after the first load attempt; never rejects because the backing store is down (it retries). */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * `change`, when given, names the rows that changed since the previous
   * emit (inserted or updated, and removed ids), so consumers can apply just
   * those; without it, treat `rows` as a new full set.
   */
  on(event: 'routes', listener: (rows: ReadonlyArray<RouteRow>, change?: { upserted: ReadonlyArray<RouteRow>; removed: ReadonlyArray<string> }) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}
