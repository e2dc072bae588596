/**
 * CDK app entry (`cdk.json`: `npx tsx bin/app.ts`). Synthesizes the shadowhub stack with the
 * cdk-nag AwsSolutions and Serverless packs registered as CDK validation plugins, so they run on
 * every synth and any unacknowledged finding fails it.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { ShadowhubStack, settingsFromContext } from "../lib/shadowhub-stack.ts";

const app = new App();
const stackName = (app.node.tryGetContext("shadowhub:stackName") as string | undefined) ?? "Shadowhub";
new ShadowhubStack(app, stackName, {
  description: "shadowhub: scanner reports to AWS Security Hub through a shadow store",
  pipeline: settingsFromContext((key) => app.node.tryGetContext(key)),
  // Environment-agnostic unless the CLI provides one: synth needs no account and no lookups.
  ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);
app.synth();
