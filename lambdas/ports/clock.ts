/** The only way core code learns the time. Inject a fixed clock in tests. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A clock that always answers the same instant, or one that a test moves by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number | string | Date) {
    this.#now = typeof start === "number" ? start : new Date(start).getTime();
  }
  now(): number {
    return this.#now;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }
  set(at: number | string | Date): void {
    this.#now = typeof at === "number" ? at : new Date(at).getTime();
  }
}
