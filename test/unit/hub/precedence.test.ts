/**
 * Spec §3.4: FindingProviderFields vs top-level for Confidence, Criticality, RelatedFindings,
 * Severity and Types — every row (FPF only / top only / both / neither) for a new finding and for
 * an existing one with and without the customer-touched flag.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PrecedenceAttribute } from "../../../lambdas/core/hub/contracts.ts";
import { finding, PRODUCT_ARN, TestHub } from "./factories.ts";

type Json = Record<string, unknown>;

interface AttrCase {
  /** FPF value the finding is created with (for existing-finding rows). */
  initial: unknown;
  fpf: unknown;
  top: unknown;
  /** BatchUpdateFindings member value the customer sends. */
  customer: unknown;
  /** Top-level value Security Hub derives from an FPF value. */
  topFromFpf: (v: unknown) => unknown;
  /** FPF value Security Hub derives from a top-level value. */
  fpfFromTop: (v: unknown) => unknown;
  /** Top-level value stored for a top-level input (auto-fill applied). */
  topStored: (v: unknown) => unknown;
  /** Top-level value after the customer's update of the initial finding. */
  customerTop: unknown;
}

const same = (v: unknown) => v;
const normalized: Record<string, number> = { LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90 };
const withNormalized = (v: unknown) => ({
  ...(v as Json),
  Normalized: normalized[String((v as Json).Label)],
});
const rf = (id: string) => [{ ProductArn: PRODUCT_ARN, Id: id }];

const CASES: Record<PrecedenceAttribute, AttrCase> = {
  Confidence: {
    initial: 5,
    fpf: 10,
    top: 20,
    customer: 30,
    topFromFpf: same,
    fpfFromTop: same,
    topStored: same,
    customerTop: 30,
  },
  Criticality: {
    initial: 5,
    fpf: 10,
    top: 20,
    customer: 30,
    topFromFpf: same,
    fpfFromTop: same,
    topStored: same,
    customerTop: 30,
  },
  RelatedFindings: {
    initial: rf("r-initial"),
    fpf: rf("r-fpf"),
    top: rf("r-top"),
    customer: rf("r-customer"),
    topFromFpf: same,
    fpfFromTop: same,
    topStored: same,
    customerTop: rf("r-customer"),
  },
  Types: {
    initial: ["TTPs"],
    fpf: ["Effects/Data Exposure"],
    top: ["Unusual Behaviors/User"],
    customer: ["Sensitive Data Identifications/PII"],
    topFromFpf: same,
    fpfFromTop: same,
    topStored: same,
    customerTop: ["Sensitive Data Identifications/PII"],
  },
  Severity: {
    initial: { Label: "MEDIUM", Original: "5" },
    fpf: { Label: "HIGH", Original: "7" },
    top: { Label: "LOW", Original: "2" },
    customer: { Label: "CRITICAL" },
    topFromFpf: withNormalized,
    fpfFromTop: (v) => ({ Label: (v as Json).Label, Original: (v as Json).Original }),
    topStored: withNormalized,
    customerTop: { Label: "CRITICAL", Original: "5", Normalized: 90 },
  },
};

/** A valid finding whose `attr` is given as `shape` says, the other required members from the factory. */
function incoming(
  attr: PrecedenceAttribute,
  shape: "fpf" | "top" | "both" | "neither" | "initial",
  updatedAt: string,
): Json {
  const c = CASES[attr];
  const base = finding({ UpdatedAt: updatedAt });
  const fpf = { ...(base.FindingProviderFields as Json) };
  delete fpf[attr];
  if (shape === "initial") fpf[attr] = c.initial;
  if (shape === "fpf" || shape === "both") fpf[attr] = c.fpf;
  const out: Json = { ...base, FindingProviderFields: fpf };
  if (shape === "top" || shape === "both") out[attr] = c.top;
  return out;
}

const T_CREATE = "2024-03-01T10:00:00Z";
const T_UPDATE = "2024-03-01T11:00:00Z";
/** Severity and Types are required (top-level or FPF): "neither" is not a valid finding for them. */
const OPTIONAL: PrecedenceAttribute[] = ["Confidence", "Criticality", "RelatedFindings"];

for (const attr of Object.keys(CASES) as PrecedenceAttribute[]) {
  const c = CASES[attr];
  const fpfOf = (f: Json) => (f.FindingProviderFields as Json | undefined)?.[attr];

  describe(`${attr}: FindingProviderFields vs top-level on a new finding`, () => {
    it(`copies FindingProviderFields.${attr} to the top level when only FPF is given`, () => {
      const hub = new TestHub();
      hub.import([incoming(attr, "fpf", T_CREATE)]);
      assert.deepEqual(fpfOf(hub.json()), c.fpf);
      assert.deepEqual(hub.json()[attr], c.topFromFpf(c.fpf));
    });

    it(`copies top-level ${attr} into FindingProviderFields when only the top level is given`, () => {
      const hub = new TestHub();
      hub.import([incoming(attr, "top", T_CREATE)]);
      assert.deepEqual(fpfOf(hub.json()), c.fpfFromTop(c.top));
      assert.deepEqual(hub.json()[attr], c.topStored(c.top));
    });

    it(`uses FindingProviderFields.${attr} for both and ignores the top-level input when both are given`, () => {
      const hub = new TestHub();
      hub.import([incoming(attr, "both", T_CREATE)]);
      assert.deepEqual(fpfOf(hub.json()), c.fpf);
      assert.deepEqual(hub.json()[attr], c.topFromFpf(c.fpf));
    });

    if (OPTIONAL.includes(attr)) {
      it(`leaves ${attr} absent in both places when neither is given`, () => {
        const hub = new TestHub();
        hub.import([incoming(attr, "neither", T_CREATE)]);
        assert.equal(fpfOf(hub.json()), undefined);
        assert.equal(hub.json()[attr], undefined);
      });
    } else {
      it(`rejects a new finding with ${attr} in neither place as InvalidInput`, () => {
        const hub = new TestHub();
        const r = hub.import([incoming(attr, "neither", T_CREATE)]);
        assert.equal(r.response.FailedFindings[0]?.ErrorCode, "InvalidInput");
      });
    }
  });

  for (const touched of [false, true]) {
    const label = touched ? "changed by BatchUpdateFindings" : "not changed by a customer";
    describe(`${attr}: FindingProviderFields vs top-level on an existing finding ${label}`, () => {
      function existing(): { hub: TestHub; before: Json } {
        const hub = new TestHub();
        hub.import([incoming(attr, "initial", T_CREATE)]);
        if (touched) {
          const r = hub.update({
            FindingIdentifiers: [{ Id: "finding-1", ProductArn: PRODUCT_ARN }],
            [attr]: c.customer,
          });
          assert.equal(r.response.ProcessedFindings.length, 1);
          assert.deepEqual(hub.get()?.customerTouched, [attr]);
          assert.deepEqual(hub.json()[attr], c.customerTop);
        }
        return { hub, before: hub.json() };
      }
      const keptOr = (before: Json, provider: unknown) => (touched ? before[attr] : provider);

      it(`${touched ? "keeps the customer's" : "updates the top-level"} ${attr} when the provider updates FindingProviderFields.${attr}`, () => {
        const { hub, before } = existing();
        hub.import([incoming(attr, "fpf", T_UPDATE)]);
        assert.deepEqual(fpfOf(hub.json()), c.fpf);
        assert.deepEqual(hub.json()[attr], keptOr(before, c.topFromFpf(c.fpf)));
      });

      it(`overwrites FindingProviderFields.${attr} from a top-level ${attr} and ${touched ? "keeps the customer's top level" : "updates the top level"}`, () => {
        const { hub, before } = existing();
        hub.import([incoming(attr, "top", T_UPDATE)]);
        assert.deepEqual(fpfOf(hub.json()), c.fpfFromTop(c.top));
        assert.deepEqual(hub.json()[attr], keptOr(before, c.topStored(c.top)));
      });

      it(`uses FPF for FindingProviderFields and the top-level input for the top level when both are given${touched ? ", unless the customer changed it" : ""}`, () => {
        const { hub, before } = existing();
        hub.import([incoming(attr, "both", T_UPDATE)]);
        assert.deepEqual(fpfOf(hub.json()), c.fpf);
        assert.deepEqual(hub.json()[attr], keptOr(before, c.topStored(c.top)));
      });

      if (OPTIONAL.includes(attr)) {
        it(`keeps the stored FindingProviderFields.${attr} and top-level ${attr} when the update carries neither`, () => {
          const { hub, before } = existing();
          hub.import([incoming(attr, "neither", T_UPDATE)]);
          assert.deepEqual(fpfOf(hub.json()), c.initial);
          assert.deepEqual(hub.json()[attr], before[attr]);
        });
      }

      it(`keeps the customer-touched flags across provider updates`, () => {
        const { hub } = existing();
        hub.import([incoming(attr, "fpf", T_UPDATE)]);
        assert.deepEqual(hub.get()?.customerTouched, touched ? [attr] : []);
      });
    });
  }
}
