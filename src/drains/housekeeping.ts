// One timer for all drains, not one per drain: every second each live drain
// checks for stalled writes and gives an empty ring's memory back.
import { liveDrains } from '../telemetry/drain-metrics';

let timer: NodeJS.Timeout | null = null;
let users = 0;

export function startHousekeeping(intervalMs = 1000): void {
  users++;
  if (timer !== null) return;
  timer = setInterval(() => {
    const now = Date.now();
    for (const d of liveDrains()) d.housekeep(now);
  }, intervalMs);
  timer.unref();
}

export function stopHousekeeping(): void {
  users = Math.max(0, users - 1);
  if (users === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
