import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { loadParserModule } from "../../lambdas/adapters/parser-loader.ts";
import { ENV } from "../../lambdas/config/names.ts";
import { FindingPipeline } from "../../lib/finding-pipeline.ts";
import { testApp } from "./synth.ts";

describe("custom parsers", () => {
  it("are bundled to parsers/<name>.mjs next to the ingest handler and named in its environment", async () => {
    const app = testApp({ bundle: true });
    const stack = new Stack(app, "Custom", { env: { account: "111122223333", region: "us-east-1" } });
    new FindingPipeline(stack, "Pipeline", {
      customParsers: [{ name: "acme", entry: "test/cdk/fixtures/acme-parser.ts" }],
      formats: ["acme", "trivy"],
    });
    const template = Template.fromStack(stack);
    const functions = template.findResources("AWS::Lambda::Function", {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: "shadowhub-ingest" } } },
    });
    const ingest = Object.values(functions)[0] as {
      Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } };
    };
    assert.deepEqual(JSON.parse(ingest.Properties.Environment.Variables[ENV.customParsers] ?? ""), [
      { name: "acme", path: "/var/task/parsers/acme.mjs" },
    ]);
    assert.equal(ingest.Properties.Environment.Variables[ENV.formats], "acme,trivy");

    const assetDir = join(
      app.synth().directory,
      `asset.${ingest.Properties.Code.S3Key.replace(/\.zip$/, "")}`,
    );
    const bundled = join(assetDir, "parsers", "acme.mjs");
    assert.ok(existsSync(bundled), `${bundled} exists`);
    const [parser] = await loadParserModule(bundled);
    assert.equal(parser?.name, "acme");
  });
});
