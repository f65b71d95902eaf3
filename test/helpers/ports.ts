// Ports for test servers that go down and come back on the same port. An
// ephemeral port (listen on 0) can meanwhile become the local port of some
// other test's outgoing connection, and then listening on it again fails with
// EADDRINUSE: ports below the kernel's ephemeral range (32768 and up by
// default) are never handed out that way.
const LOW = 20_000;
const SPAN = 12_000;

/** Listens through `listen` on a free port below the ephemeral range; returns the port. */
export async function listenOutsideEphemeralRange(listen: (port: number) => Promise<number>): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = LOW + Math.floor(Math.random() * SPAN);
    try {
      return await listen(port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 50) throw err;
    }
  }
}
