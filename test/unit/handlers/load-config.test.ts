/**
 * `loadConfig` (pure; kept next to the handler tests because the handlers are its only callers —
 * the lead may move it under test/unit/).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../../lambdas/config/load-config.ts";
import { ENV } from "../../../lambdas/config/names.ts";
import { ConfigurationError } from "../../../lambdas/core/errors.ts";

const VALID: Record<string, string> = {
  AWS_REGION: "eu-west-1",
  [ENV.tableName]: "shadow",
  [ENV.eventBusName]: "bus",
  [ENV.productArns]: "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
  [ENV.targets]: '[{"accountId":"111122223333","regions":["eu-west-1"]}]',
};

function problems(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError);
    return error.message;
  }
  assert.fail("loadConfig accepted the environment");
}

describe("loadConfig", () => {
  it("applies the defaults to a minimal environment", () => {
    const config = loadConfig(VALID);
    assert.equal(config.partition, "aws");
    assert.equal(config.eventSource, "shadowhub");
    assert.deepEqual(config.formats, ["trivy", "grype", "sarif", "zap", "asff"]);
    assert.equal(config.refreshWindowDays, 30);
    assert.equal(config.importRatePerSecond, 10);
    assert.equal(config.importBurst, 30);
    assert.equal(config.reportPrefix, "reports/");
    assert.deepEqual(config.targets, [{ accountId: "111122223333", regions: ["eu-west-1"] }]);
  });

  it("lists every missing setting in one error", () => {
    const message = problems({});
    assert.match(message, /\(5 problems\)/);
    for (const name of ["AWS_REGION", ENV.tableName, ENV.eventBusName, ENV.productArns, ENV.targets]) {
      assert.match(message, new RegExp(`- ${name}: missing`));
    }
  });

  const INVALID: [string, Record<string, string>, RegExp][] = [
    [
      "an aws.* event source",
      { [ENV.eventSource]: "aws.securityhub" },
      /SHADOWHUB_EVENT_SOURCE: "aws.securityhub" starts with "aws\."/,
    ],
    [
      "a product ARN that is not one",
      { [ENV.productArns]: "arn:aws:s3:::x" },
      /"arn:aws:s3:::x" is not a Security Hub product ARN/,
    ],
    ["targets that are not JSON", { [ENV.targets]: "{" }, /SHADOWHUB_TARGETS: not valid JSON/],
    [
      "a target account that is not 12 digits",
      { [ENV.targets]: '[{"accountId":"1","regions":["eu-west-1"]}]' },
      /TARGETS\[0\]\.accountId: "1" is not a 12-digit/,
    ],
    [
      "a target role in another account",
      {
        [ENV.targets]:
          '[{"accountId":"111122223333","regions":["eu-west-1"],"roleArn":"arn:aws:iam::444455556666:role/x"}]',
      },
      /belongs to account 444455556666, not 111122223333/,
    ],
    ["an unknown format", { [ENV.formats]: "nessus" }, /"nessus" is neither a built-in format/],
    [
      "a refresh window of 90 days",
      { [ENV.refreshWindowDays]: "90" },
      /REFRESH_WINDOW_DAYS: "90" is not a number in \(0, 89\]/,
    ],
    [
      "a burst below the rate",
      { [ENV.importRate]: "10", [ENV.importBurst]: "5" },
      /IMPORT_BURST: 5 is below SHADOWHUB_IMPORT_RATE 10/,
    ],
    [
      "custom parsers without a path",
      { [ENV.customParsers]: '[{"name":"acme"}]' },
      /CUSTOM_PARSERS\[0\]\.path: undefined is not a module path/,
    ],
  ];
  for (const [name, override, pattern] of INVALID) {
    it(`rejects ${name}, naming the variable and the value`, () => {
      assert.match(problems({ ...VALID, ...override }), pattern);
    });
  }

  it("accepts a custom parser's name as a format", () => {
    const config = loadConfig({
      ...VALID,
      [ENV.customParsers]: '[{"name":"acme","path":"/var/task/parsers/acme.mjs"}]',
      [ENV.formats]: "acme,trivy",
    });
    assert.deepEqual(config.formats, ["acme", "trivy"]);
  });
});
