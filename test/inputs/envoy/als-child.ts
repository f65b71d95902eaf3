// Run by input.test.ts as a separate process that the test kills with
// SIGKILL mid-stream: the way an Envoy that crashes disconnects.
// argv: <port> <cluster>
import { httpEntry, openAlsStream } from './als-client';

async function main(): Promise<void> {
  const [port, cluster] = process.argv.slice(2);
  const s = openAlsStream(Number(port));
  await s.send({
    identifier: { log_name: 'child' },
    http_logs: { log_entry: [0, 1, 2].map((i) => httpEntry({ cluster, path: `/child-${i}` })) },
  });
  process.send?.('sent');
  // Stay connected until killed.
  setInterval(() => undefined, 1 << 30);
}

void main();
