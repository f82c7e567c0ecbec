/**
 * A rule's cool-downs: after an alert for a key, further crossings for it within `cooldownMs` of
 * event time are suppressed. Bounded by the keys that alerted recently (`prune`).
 */
export class Cooldowns {
  private readonly lastAlert = new Map<string, number>();

  constructor(private readonly cooldownMs: number) {}

  /** True when `key` alerted within the cool-down of `time`; otherwise records `time` as its alert. */
  suppresses(key: string, time: number): boolean {
    const last = this.lastAlert.get(key);
    // abs(): a crossing in an overlapping window may arrive slightly out of event-time order.
    if (last !== undefined && Math.abs(time - last) < this.cooldownMs) return true;
    this.lastAlert.set(key, time);
    return false;
  }

  /** Forgets cool-downs that ended before `watermark`, keeping the table bounded by active keys. */
  prune(watermark: number): void {
    for (const [key, time] of this.lastAlert) if (time + this.cooldownMs < watermark) this.lastAlert.delete(key);
  }

  /** Cool-downs in force (key → event time of the last alert), for a checkpoint. */
  snapshot(): Map<string, number> {
    return this.lastAlert;
  }

  restore(lastAlert: Map<string, number>): void {
    this.lastAlert.clear();
    for (const [key, time] of lastAlert) this.lastAlert.set(key, time);
  }
}
