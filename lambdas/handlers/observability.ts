/**
 * Powertools Logger and Metrics behind the handlers' small `PipelineLogger`/`PipelineMetrics`
 * interfaces (tests inject recorders). Metrics are EMF lines in the function's log: the total of
 * each counter has the `service` dimension only (what the construct's alarms and dashboard read),
 * and `failed` is also emitted per `errorCode`.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { PipelineLogger, PipelineMetrics } from "./ingest-processor.ts";

/** Logger + metrics of one function, flushed at the end of each invocation. */
export interface Observability {
  readonly logger: PipelineLogger;
  readonly metrics: PipelineMetrics;
  /** Publishes the metrics gathered during the invocation. */
  flush(): void;
}

/** Powertools-backed observability; service name and namespace come from `POWERTOOLS_*` settings. */
export function powertoolsObservability(
  env: Readonly<Record<string, string | undefined>>,
  fallbackService: string,
): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? fallbackService;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "shadowhub" });
  let pending = false;
  return {
    logger: {
      info: (message, extra) => logger.info(message, extra ?? {}),
      warn: (message, extra) => logger.warn(message, extra ?? {}),
      error: (message, extra) => logger.error(message, extra ?? {}),
    },
    metrics: {
      count(name, value, dimensions) {
        if (dimensions === undefined || Object.keys(dimensions).length === 0) {
          metrics.addMetric(name, MetricUnit.Count, value);
          pending = true;
          return;
        }
        // A separate EMF document, so the extra dimension does not apply to the totals.
        const single = metrics.singleMetric();
        for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
        single.addMetric(name, MetricUnit.Count, value);
      },
    },
    flush() {
      if (pending) metrics.publishStoredMetrics();
      pending = false;
    },
  };
}
