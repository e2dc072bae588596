import type { Clock } from "../ports/clock.ts";

/** The wall clock, for the edges (CLI, handlers, serve). Core code receives it as a `Clock`. */
export const systemClock: Clock = { now: () => Date.now() };
