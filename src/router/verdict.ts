// What the router says about one message handed to it. Numbers, not strings or
// objects, because this is returned once per message on the hot path.
export const ACCEPTED = 0; // every target drain took it
export const PAUSE = 1; //    taken, but a drain is above its high-water mark: a stream input should stop reading
export const REFUSED = 2; //  a `block` drain is full: nothing was taken, hold the message and retry after resume
export const UNROUTED = 3; // no route for the hostname (counted by the router)
export type Verdict = typeof ACCEPTED | typeof PAUSE | typeof REFUSED | typeof UNROUTED;
