// The logplex-style L10 notice a drain writes into its own stream after it
// dropped messages for lack of room, once it has room again: how many, and
// since when.

export class DropEpisode {
  private dropped = 0;
  private since = 0;

  /** `count` messages were dropped for lack of room. */
  note(count: number): void {
    if (this.dropped === 0) this.since = Date.now();
    this.dropped += count;
  }

  get open(): boolean {
    return this.dropped > 0;
  }

  /** Ends the episode: its notice, an RFC 5424 message. */
  end(): Buffer {
    const n = this.dropped;
    this.dropped = 0;
    const now = new Date().toISOString();
    const since = new Date(this.since).toISOString();
    return Buffer.from(`<172>1 ${now} switchyard switchyard - L10 - Error L10 (output buffer overflow): ${n} messages dropped since ${since}.`);
  }
}
