/**
 * Shared synthesis helpers for the CDK tests: an `App` with the project's `cdk.json` context
 * and bundling skipped (esbuild bundling is covered by bench/lambda.bench.ts and the nag test),
 * so each test file synthesizes in well under a second per stack.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { FindingPipeline, type FindingPipelineProps } from "../../lib/finding-pipeline.ts";
import { PROJECT_ROOT } from "../../lib/house-function.ts";

/** The `context` block of the project's cdk.json (feature flags and stack settings). */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** A new App with the project context; `bundle: false` (default) skips asset bundling. */
export function testApp(options: { bundle?: boolean } = {}): App {
  return new App({
    context: {
      ...projectContext(),
      ...(options.bundle === true ? {} : { "aws:cdk:bundling-stacks": [] }),
    },
  });
}

/** Synthesizes a stack holding one `FindingPipeline` and returns the pipeline and its template. */
export function synthPipeline(
  props: FindingPipelineProps = {},
  env: { account: string; region: string } | undefined = { account: "111122223333", region: "us-east-1" },
): { stack: Stack; pipeline: FindingPipeline; template: Template } {
  const app = testApp();
  const stack = new Stack(app, "Test", env === undefined ? {} : { env });
  const pipeline = new FindingPipeline(stack, "Pipeline", props);
  return { stack, pipeline, template: Template.fromStack(stack) };
}
