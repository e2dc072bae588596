import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Stack, Validations } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { ShadowhubStack } from "../../lib/shadowhub-stack.ts";
import { testApp } from "./synth.ts";

/** Synthesizes `build`'s app with both nag packs; returns the error thrown, if any. */
function synthWithNag(build: (app: ReturnType<typeof testApp>) => void, bundle: boolean): Error | undefined {
  const app = testApp({ bundle });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe("cdk-nag", () => {
  it("finds no unacknowledged AwsSolutions or Serverless error in the shadowhub stack (bundled)", () => {
    const error = synthWithNag((app) => {
      new ShadowhubStack(app, "Shadowhub");
    }, true);
    assert.equal(error, undefined, error?.message);
  });

  it("finds no unacknowledged error when the stack has a fixed account, Region and custom products", () => {
    const error = synthWithNag((app) => {
      new ShadowhubStack(app, "Shadowhub", {
        env: { account: "111122223333", region: "eu-west-1" },
        pipeline: {
          productArns: ["arn:aws:securityhub:eu-west-1:999988887777:product/acme/scanner"],
          targets: [
            {
              accountId: "111122223333",
              regions: ["eu-west-1"],
              roleArn: "arn:aws:iam::111122223333:role/Importer",
            },
          ],
        },
      });
    }, false);
    assert.equal(error, undefined, error?.message);
  });

  it("does fail the synth on an unacknowledged finding (the check is live)", () => {
    const error = synthWithNag((app) => {
      const stack = new Stack(app, "Insecure");
      new s3.Bucket(stack, "Open", { enforceSSL: false });
    }, false);
    assert.ok(error, "synth failed");
    assert.match(error.message + JSON.stringify(error), /AwsSolutions|Validation|validation/);
  });
});
