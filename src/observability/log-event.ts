import type { Logger } from 'pino';
import { EVENTS, type EventFields, type EventName, type LogLevel } from './events.js';
import { countEvent } from './metrics.js';

/**
 * The only way partnerd writes a log line: an event from the catalogue (events.ts) and its
 * fields. The name is written once, as `event` and as the message; `alert: true` is added for
 * events a human must act on; the event is counted (metrics.ts) whatever the log level.
 *
 * A line never has a key twice: a field the logger already binds (a child logger's bindings,
 * the base `service`) is left out of the line, so the binding is the one written. Elasticsearch
 * refuses documents with duplicate keys, and Loki's json parser keeps only one.
 */
export function logEvent<N extends EventName>(logger: Logger, name: N, fields: EventFields<N>): void {
  countEvent(name, fields);
  const spec = EVENTS[name] as { level: LogLevel | ((f: Record<string, unknown>) => LogLevel); alert: boolean; redact?: false };
  const level = typeof spec.level === 'function' ? spec.level(fields as Record<string, unknown>) : spec.level;
  const target = spec.redact === false ? unredacted(logger) : logger;
  if (!target.isLevelEnabled(level)) return;
  const bound = boundKeys(target);
  const line: Record<string, unknown> = { event: name };
  if (spec.alert) line.alert = true;
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    if (v !== undefined && !bound.has(k)) line[k] = v;
  }
  target[level](line, name);
}

/**
 * Order events carry a fixed whitelist of ids and money, so pino's redaction (~100 wildcard
 * paths, by far the costliest part of a log call) has nothing to find in them and is skipped
 * for those events only (`redact: false` in the catalogue). Every other line keeps it.
 */
const unredactedLoggers = new WeakMap<Logger, Logger>();
function unredacted(logger: Logger): Logger {
  let l = unredactedLoggers.get(logger);
  if (!l) {
    l = logger.child({}, { redact: [] });
    unredactedLoggers.set(logger, l);
  }
  return l;
}

/** A logger's bindings do not change after it is made (partnerd never calls setBindings). */
const boundKeyCache = new WeakMap<Logger, ReadonlySet<string>>();
function boundKeys(logger: Logger): ReadonlySet<string> {
  let keys = boundKeyCache.get(logger);
  if (!keys) {
    keys = new Set(['event', 'alert', 'msg', 'level', 'time', ...Object.keys(logger.bindings())]);
    boundKeyCache.set(logger, keys);
  }
  return keys;
}
