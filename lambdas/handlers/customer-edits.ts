/**
 * The customer-edits Lambda, behind an EventBridge rule on the default bus matching Security
 * Hub's "Security Hub Findings - Imported" events of the configured products. For each finding it
 * records in the shadow which precedence attributes a customer changed with BatchUpdateFindings
 * (`customer-edits-detect.ts`), so the pipeline's later updates send those only through
 * FindingProviderFields and its predictions match what Security Hub will do.
 *
 * Failures: a DynamoDB error is rethrown, so Lambda retries the asynchronous invocation and then
 * sends the event to the customer-edits DLQ; an event that is not a Security Hub imported event
 * is thrown as an `InputError` for the same reason: it is kept, not silently dropped.
 */
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import type { Context } from "aws-lambda";
import { InputError } from "../core/errors.ts";
import type { FindingKey, PrecedenceAttribute } from "../core/hub/contracts.ts";
import { findingKeyOf } from "../core/pipeline/finding-key.ts";
import type { ShadowStore } from "../ports/shadow-store.ts";
import { customerChangedAttributes } from "./customer-edits-detect.ts";
import { type CustomerEditsRuntime, createCustomerEditsRuntime } from "./customer-edits-runtime.ts";
import { type Observability, powertoolsObservability } from "./observability.ts";

/** The part of an EventBridge event the function reads. */
export interface ImportedFindingsEvent {
  readonly id?: string;
  readonly source?: string;
  readonly "detail-type"?: string;
  readonly detail?: { readonly findings?: readonly AwsSecurityFinding[] };
}

/** What one invocation recorded. */
export interface CustomerEditsResult {
  readonly marked: readonly {
    readonly key: FindingKey;
    readonly attributes: readonly PrecedenceAttribute[];
  }[];
  /** Findings of products this deployment does not own (the rule should not send them). */
  readonly ignored: number;
}

/** Records the customer edits of `event` in `store`. */
export async function recordCustomerEdits(
  event: ImportedFindingsEvent,
  store: ShadowStore,
  productArns: readonly string[],
): Promise<CustomerEditsResult> {
  const findings = event.detail?.findings;
  if (event["detail-type"] !== "Security Hub Findings - Imported" || !Array.isArray(findings)) {
    throw new InputError(
      `event ${event.id ?? "?"}: not a "Security Hub Findings - Imported" event with detail.findings (detail-type ${JSON.stringify(event["detail-type"])})`,
      { source: `event:${event.id ?? "?"}`, field: "detail.findings", rule: "Security Hub imported event" },
    );
  }
  const marked: { key: FindingKey; attributes: PrecedenceAttribute[] }[] = [];
  let ignored = 0;
  for (const finding of findings) {
    if (finding.ProductArn === undefined || !productArns.includes(finding.ProductArn)) {
      ignored++;
      continue;
    }
    const attributes = customerChangedAttributes(finding);
    if (attributes.length === 0) continue;
    const key = findingKeyOf(finding, `event:${event.id ?? "?"}`);
    await store.markCustomerTouched(key, attributes);
    marked.push({ key, attributes });
  }
  return { marked, ignored };
}

/** A customer-edits handler bound to an environment. */
export type CustomerEditsHandler = ((
  event: ImportedFindingsEvent,
  context?: Context,
) => Promise<CustomerEditsResult>) & {
  close(): Promise<void>;
};

/** Creates the handler for `env`; the runtime is built at the first invocation and kept. */
export function createCustomerEditsHandler(
  env: Readonly<Record<string, string | undefined>>,
  options: { observability?: Observability } = {},
): CustomerEditsHandler {
  const observability = options.observability ?? powertoolsObservability(env, "shadowhub-customer-edits");
  let runtime: CustomerEditsRuntime | undefined;
  const handler = async (event: ImportedFindingsEvent): Promise<CustomerEditsResult> => {
    runtime ??= createCustomerEditsRuntime(env);
    try {
      const result = await recordCustomerEdits(event, runtime.store, runtime.config.productArns);
      const attributes = result.marked.reduce((n, m) => n + m.attributes.length, 0);
      observability.metrics.count("customerEdits", attributes);
      if (result.marked.length > 0) {
        observability.logger.info("customer edits recorded", {
          eventId: event.id,
          marked: result.marked.map((m) => ({ id: m.key.id, attributes: m.attributes })),
        });
      }
      return result;
    } catch (error) {
      observability.logger.error(
        "customer edits not recorded; Lambda retries, then the DLQ keeps the event",
        {
          eventId: event.id,
          error: error instanceof Error ? error.message : String(error),
        },
      );
      throw error;
    } finally {
      observability.flush();
    }
  };
  return Object.assign(handler, {
    close: async () => {
      await runtime?.close();
      runtime = undefined;
    },
  });
}

let lambdaHandler: CustomerEditsHandler | undefined;

/** The Lambda entry point (`index.handler` in the bundle). */
export const handler = (event: ImportedFindingsEvent, context: Context): Promise<CustomerEditsResult> => {
  lambdaHandler ??= createCustomerEditsHandler(process.env);
  return lambdaHandler(event, context);
};
