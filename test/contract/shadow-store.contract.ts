/**
 * The `ShadowStore` contract: one suite, run against every adapter (in-memory, SQLite,
 * DynamoDB through DynamoDB Local) by a `*.test.ts` file per adapter.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, describe, it } from "node:test";
import type { AwsSecurityFinding } from "@aws-sdk/client-securityhub";
import { InputError } from "../../lambdas/core/errors.ts";
import { type FindingKey, findingKeyString } from "../../lambdas/core/hub/contracts.ts";
import type { ShadowRecord, ShadowStore } from "../../lambdas/ports/shadow-store.ts";

/** Opens a new, empty store for one test. */
export type ShadowStoreFactory = () => Promise<ShadowStore>;

const PRODUCT_ARN = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default";

/** A finding key in account 111111111111, us-east-1, unless overridden. */
export function keyOf(id: string, overrides: Partial<FindingKey> = {}): FindingKey {
  return { accountId: "111111111111", region: "us-east-1", productArn: PRODUCT_ARN, id, ...overrides };
}

/** A complete shadow record with every optional field set; override what a test is about. */
export function recordOf(id: string, overrides: Partial<ShadowRecord> = {}): ShadowRecord {
  return {
    key: keyOf(id),
    contentHash: `sha256:${id}`,
    updatedAt: "2024-05-01T10:00:00.000Z",
    // The same instant as updatedAt written another way: stores keep the string as given.
    observedAt: "2024-05-01T10:00:00Z",
    createdAt: "2024-04-01T09:00:00.000Z",
    firstObservedAt: "2024-04-01T08:59:00.000Z",
    recordState: "ACTIVE",
    scope: "image@sha256:aaaa",
    customerTouched: [],
    lastSentMs: 1_714_557_600_000,
    ...overrides,
  };
}

async function collect(iterable: AsyncIterable<ShadowRecord>): Promise<ShadowRecord[]> {
  const out: ShadowRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

const byId = (a: ShadowRecord, b: ShadowRecord) => a.key.id.localeCompare(b.key.id);

/** Registers the contract tests for one adapter. */
export function shadowStoreContract(adapter: string, open: ShadowStoreFactory): void {
  describe(`ShadowStore contract: ${adapter}`, () => {
    const opened: ShadowStore[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    describe("getMany and commit", () => {
      it("returns a committed record exactly as it was written", async () => {
        const store = await fresh();
        const full = recordOf("full", { customerTouched: ["Severity", "Types"] });
        const minimal = recordOf("minimal");
        const { firstObservedAt: _f, scope: _s, observedAt: _o, ...withoutOptional } = minimal;
        const result = await store.commit([full, withoutOptional]);
        assert.deepEqual(result, { committed: 2, conflicts: [] });
        const got = await store.getMany([full.key, withoutOptional.key]);
        assert.deepEqual(got.get(findingKeyString(full.key)), full);
        assert.deepEqual(got.get(findingKeyString(withoutOptional.key)), withoutOptional);
      });

      it("leaves missing keys out of the result and accepts duplicates and an empty list", async () => {
        const store = await fresh();
        await store.commit([recordOf("present")]);
        const got = await store.getMany([keyOf("present"), keyOf("absent"), keyOf("present")]);
        assert.deepEqual([...got.keys()], [findingKeyString(keyOf("present"))]);
        assert.equal((await store.getMany([])).size, 0);
      });

      it("finds every present key of a long list with absent keys and repeats in it", async () => {
        const store = await fresh();
        const present = Array.from({ length: 130 }, (_, i) => recordOf(`p-${i}`));
        await store.commit(present);
        const asked = present.flatMap((r, i) =>
          i % 3 === 0 ? [keyOf(`absent-${i}`), r.key, r.key] : [r.key],
        );
        const got = await store.getMany(asked);
        assert.equal(got.size, present.length);
        for (const record of present) assert.deepEqual(got.get(findingKeyString(record.key)), record);
      });

      it("distinguishes keys that differ only in account, Region or ProductArn", async () => {
        const store = await fresh();
        const variants = [
          recordOf("same"),
          recordOf("same", { key: keyOf("same", { accountId: "222222222222" }), contentHash: "a" }),
          recordOf("same", { key: keyOf("same", { region: "eu-west-1" }), contentHash: "r" }),
          recordOf("same", { key: keyOf("same", { productArn: `${PRODUCT_ARN}-2` }), contentHash: "p" }),
        ];
        assert.equal((await store.commit(variants)).committed, 4);
        const got = await store.getMany(variants.map((r) => r.key));
        assert.deepEqual(
          variants.map((r) => got.get(findingKeyString(r.key))?.contentHash),
          ["sha256:same", "a", "r", "p"],
        );
      });

      it("rejects a record whose updatedAt is not an ASFF timestamp and writes nothing", async () => {
        const store = await fresh();
        await assert.rejects(
          store.commit([recordOf("good"), recordOf("bad", { updatedAt: "yesterday" })]),
          (error: unknown) =>
            error instanceof InputError && error.location.field === "updatedAt" && /bad/.test(error.message),
        );
        assert.equal((await store.getMany([keyOf("good"), keyOf("bad")])).size, 0);
      });
    });

    describe("conditional commit on updatedAt", () => {
      it("overwrites a record whose stored updatedAt is older", async () => {
        const store = await fresh();
        await store.commit([recordOf("f")]);
        const newer = recordOf("f", { updatedAt: "2024-05-01T10:00:00.001Z", contentHash: "v2" });
        assert.deepEqual(await store.commit([newer]), { committed: 1, conflicts: [] });
        assert.deepEqual((await store.getMany([newer.key])).get(findingKeyString(newer.key)), newer);
      });

      it("refuses an update whose updatedAt is older than the stored one and keeps the stored record", async () => {
        const store = await fresh();
        const stored = recordOf("f", { updatedAt: "2024-05-02T00:00:00Z" });
        await store.commit([stored]);
        const older = recordOf("f", { updatedAt: "2024-05-01T00:00:00Z", contentHash: "stale" });
        assert.deepEqual(await store.commit([older]), { committed: 0, conflicts: [older.key] });
        assert.deepEqual((await store.getMany([stored.key])).get(findingKeyString(stored.key)), stored);
      });

      it("refuses an update whose updatedAt equals the stored one, even written with another offset", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { updatedAt: "2024-05-01T10:00:00Z" })]);
        const sameInstant = recordOf("f", { updatedAt: "2024-05-01T12:00:00.000+02:00", contentHash: "x" });
        assert.deepEqual(await store.commit([sameInstant]), { committed: 0, conflicts: [sameInstant.key] });
        const got = (await store.getMany([sameInstant.key])).get(findingKeyString(sameInstant.key));
        assert.equal(got?.contentHash, "sha256:f");
      });

      it("compares instants, not strings: a later instant with a negative offset wins", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { updatedAt: "2024-05-01T10:00:00Z" })]);
        // 09:30-01:00 is 10:30Z: later, although it sorts earlier as a string.
        const later = recordOf("f", { updatedAt: "2024-05-01T09:30:00-01:00", contentHash: "later" });
        assert.equal((await store.commit([later])).committed, 1);
      });

      it("applies records of one key in order within a single commit", async () => {
        const store = await fresh();
        const v1 = recordOf("f", { updatedAt: "2024-05-01T10:00:00Z", contentHash: "v1" });
        const v3 = recordOf("f", { updatedAt: "2024-05-03T10:00:00Z", contentHash: "v3" });
        const v2 = recordOf("f", { updatedAt: "2024-05-02T10:00:00Z", contentHash: "v2" });
        assert.deepEqual(await store.commit([v1, v3, v2]), { committed: 2, conflicts: [v2.key] });
        assert.equal((await store.getMany([v1.key])).get(findingKeyString(v1.key))?.contentHash, "v3");
      });

      it("commits the rest of a batch when some records conflict", async () => {
        const store = await fresh();
        await store.commit([recordOf("a", { updatedAt: "2024-06-01T00:00:00Z" })]);
        const result = await store.commit([recordOf("a"), recordOf("b"), recordOf("c")]);
        assert.deepEqual(result, { committed: 2, conflicts: [keyOf("a")] });
        assert.equal((await store.getMany([keyOf("b"), keyOf("c")])).size, 2);
      });
    });

    describe("observedAt (report time of the latest observation)", () => {
      const bumped = (id: string, overrides: Partial<ShadowRecord> = {}) =>
        recordOf(id, {
          updatedAt: "2024-05-01T10:00:00.002Z",
          observedAt: "2024-05-01T12:00:00+02:00",
          ...overrides,
        });
      const getOne = async (store: ShadowStore, id: string) =>
        (await store.getMany([keyOf(id)])).get(findingKeyString(keyOf(id)));

      it("round-trips observedAt as written, independent of a later updatedAt", async () => {
        const store = await fresh();
        await store.commit([bumped("f")]);
        const got = await getOne(store, "f");
        assert.equal(got?.observedAt, "2024-05-01T12:00:00+02:00");
        assert.equal(got?.updatedAt, "2024-05-01T10:00:00.002Z");
        assert.deepEqual(got, bumped("f"));
      });

      it("leaves observedAt absent when a record has none, even when given as undefined", async () => {
        const store = await fresh();
        const { observedAt: _o, ...without } = recordOf("omitted");
        await store.commit([without, recordOf("undefined", { observedAt: undefined })]);
        for (const id of ["omitted", "undefined"]) {
          const got = await getOne(store, id);
          assert.ok(got !== undefined, id);
          assert.equal(Object.hasOwn(got, "observedAt"), false, `${id}: observedAt must be absent`);
        }
      });

      it("replaces observedAt with each winning commit and removes it when the new record has none", async () => {
        const store = await fresh();
        await store.commit([bumped("f")]);
        await store.commit([
          bumped("f", { updatedAt: "2024-05-02T00:00:00Z", observedAt: "2024-05-01T23:00:00Z" }),
        ]);
        assert.equal((await getOne(store, "f"))?.observedAt, "2024-05-01T23:00:00Z");
        const { observedAt: _o, ...without } = bumped("f", { updatedAt: "2024-05-03T00:00:00Z" });
        await store.commit([without]);
        const got = await getOne(store, "f");
        assert.equal(got?.updatedAt, "2024-05-03T00:00:00Z");
        assert.equal(Object.hasOwn(got ?? {}, "observedAt"), false);
      });

      it("keeps the commit condition on updatedAt: a later observedAt with an older updatedAt conflicts", async () => {
        const store = await fresh();
        await store.commit([bumped("f")]);
        const older = bumped("f", {
          updatedAt: "2024-05-01T10:00:00.001Z",
          observedAt: "2024-06-01T00:00:00Z",
        });
        assert.deepEqual(await store.commit([older]), { committed: 0, conflicts: [older.key] });
        assert.deepEqual(await getOne(store, "f"), bumped("f"));
        // ...and an earlier observedAt with a newer updatedAt wins: observedAt is not compared.
        const newer = bumped("f", {
          updatedAt: "2024-05-01T10:00:00.003Z",
          observedAt: "2024-04-01T00:00:00Z",
        });
        assert.deepEqual(await store.commit([newer]), { committed: 1, conflicts: [] });
        assert.deepEqual(await getOne(store, "f"), newer);
      });

      it("keeps observedAt when a customer change is marked", async () => {
        const store = await fresh();
        await store.commit([bumped("f")]);
        await store.markCustomerTouched(keyOf("f"), ["Severity"]);
        assert.deepEqual(await getOne(store, "f"), bumped("f", { customerTouched: ["Severity"] }));
      });

      it("returns observedAt from listActiveInScope", async () => {
        const store = await fresh();
        await store.commit([bumped("f", { scope: "s" })]);
        const listed = await collect(store.listActiveInScope("s", "111111111111", "us-east-1"));
        assert.deepEqual(listed, [bumped("f", { scope: "s" })]);
      });

      it("rejects a record whose observedAt is not an ASFF timestamp and writes nothing", async () => {
        const store = await fresh();
        await assert.rejects(
          store.commit([recordOf("good"), recordOf("bad", { observedAt: "2024-05-01 10:00" })]),
          (error: unknown) =>
            error instanceof InputError &&
            error.location.field === "observedAt" &&
            /bad/.test(error.message) &&
            /2024-05-01 10:00/.test(error.location.rule ?? ""),
        );
        assert.equal((await store.getMany([keyOf("good"), keyOf("bad")])).size, 0);
      });
    });

    describe("recordObservations (report time of an unchanged finding)", () => {
      const observedAtOf = async (store: ShadowStore, id: string) =>
        (await store.getMany([keyOf(id)])).get(findingKeyString(keyOf(id)))?.observedAt;

      it("advances observedAt to a later report time and leaves everything else as it was", async () => {
        const store = await fresh();
        const stored = recordOf("f", { customerTouched: ["Types"] });
        await store.commit([stored]);
        const at = "2024-05-02T00:00:00.000Z";
        assert.equal(await store.recordObservations([{ key: keyOf("f"), observedAt: at }]), 1);
        const got = (await store.getMany([keyOf("f")])).get(findingKeyString(keyOf("f")));
        assert.deepEqual(got, { ...stored, observedAt: at });
      });

      it("never moves observedAt backwards, nor to the same instant written another way", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { observedAt: "2024-05-01T10:00:00Z" })]);
        const earlier = { key: keyOf("f"), observedAt: "2024-05-01T09:59:59.999Z" };
        const same = { key: keyOf("f"), observedAt: "2024-05-01T12:00:00+02:00" };
        assert.equal(await store.recordObservations([earlier, same]), 0);
        assert.equal(await observedAtOf(store, "f"), "2024-05-01T10:00:00Z");
      });

      it("compares with updatedAt for a record without observedAt", async () => {
        const store = await fresh();
        const { observedAt: _o, ...legacy } = recordOf("f", { updatedAt: "2024-05-01T10:00:00.005Z" });
        await store.commit([legacy]);
        assert.equal(
          await store.recordObservations([{ key: keyOf("f"), observedAt: "2024-05-01T10:00:00.005Z" }]),
          0,
        );
        assert.equal(
          await store.recordObservations([{ key: keyOf("f"), observedAt: "2024-05-01T10:00:00.006Z" }]),
          1,
        );
        assert.equal(await observedAtOf(store, "f"), "2024-05-01T10:00:00.006Z");
      });

      it("counts and applies observations in order, as one at a time, over many keys, repeats and times", async () => {
        const store = await fresh();
        const ids = Array.from({ length: 230 }, (_, i) => `many-${i}`);
        await store.commit(ids.map((id) => recordOf(id)));
        const at = (day: number) => `2024-05-${String(day).padStart(2, "0")}T00:00:00.000Z`;
        // Long runs of one report time (past any batch size), repeated keys inside and across
        // runs, a run older than the one before it, and a key seen later then earlier.
        const observations = [
          ...ids.map((id) => ({ key: keyOf(id), observedAt: at(3) })),
          { key: keyOf("many-5"), observedAt: at(3) },
          ...ids.slice(0, 40).map((id) => ({ key: keyOf(id), observedAt: at(2) })),
          ...ids.slice(100, 220).map((id) => ({ key: keyOf(id), observedAt: at(5) })),
          { key: keyOf("many-7"), observedAt: at(6) },
          { key: keyOf("many-7"), observedAt: at(4) },
          ...ids.slice(150, 160).map((id) => ({ key: keyOf(id), observedAt: at(4) })),
          { key: keyOf("ghost"), observedAt: at(9) },
        ];
        // The model: one observation at a time, each advancing its record only forward.
        const model = new Map(ids.map((id) => [id, Date.parse(recordOf(id).observedAt ?? "")]));
        const expected = new Map<string, string>();
        let advanced = 0;
        for (const o of observations) {
          const current = model.get(o.key.id);
          if (current !== undefined && Date.parse(o.observedAt) > current) {
            model.set(o.key.id, Date.parse(o.observedAt));
            expected.set(o.key.id, o.observedAt);
            advanced++;
          }
        }
        assert.equal(await store.recordObservations(observations), advanced);
        const got = await store.getMany(ids.map((id) => keyOf(id)));
        for (const id of ids) {
          assert.equal(
            got.get(findingKeyString(keyOf(id)))?.observedAt,
            expected.get(id) ?? recordOf(id).observedAt,
          );
        }
      });

      it("creates nothing for a key the store does not hold", async () => {
        const store = await fresh();
        assert.equal(
          await store.recordObservations([{ key: keyOf("ghost"), observedAt: "2024-06-01T00:00:00Z" }]),
          0,
        );
        assert.equal((await store.getMany([keyOf("ghost")])).size, 0);
        assert.equal(await store.recordObservations([]), 0);
      });

      it("keeps the commit condition on updatedAt: an observation does not make a newer commit conflict", async () => {
        const store = await fresh();
        await store.commit([recordOf("f")]);
        await store.recordObservations([{ key: keyOf("f"), observedAt: "2024-07-01T00:00:00Z" }]);
        const next = recordOf("f", { updatedAt: "2024-05-01T10:00:00.001Z", contentHash: "sha256:next" });
        assert.deepEqual(await store.commit([next]), { committed: 1, conflicts: [] });
      });

      it("rejects an observation whose observedAt is not an ASFF timestamp and writes nothing", async () => {
        const store = await fresh();
        await store.commit([recordOf("a"), recordOf("b")]);
        await assert.rejects(
          store.recordObservations([
            { key: keyOf("a"), observedAt: "2024-06-01T00:00:00Z" },
            { key: keyOf("b"), observedAt: "tomorrow" },
          ]),
          (error: unknown) => error instanceof InputError && /observedAt/.test(error.message),
        );
        assert.equal(await observedAtOf(store, "a"), recordOf("a").observedAt);
      });

      it("advances 130 records in one call (crossing 25-item writes)", async () => {
        const store = await fresh();
        const records = Array.from({ length: 130 }, (_, i) => recordOf(`n${i}`));
        await store.commit(records);
        const at = "2024-05-03T00:00:00.000Z";
        assert.equal(
          await store.recordObservations(records.map((r) => ({ key: r.key, observedAt: at }))),
          130,
        );
        const got = await store.getMany(records.map((r) => r.key));
        assert.ok([...got.values()].every((r) => r.observedAt === at));
      });
    });

    describe("scope records (last scan time per scope)", () => {
      const scopeOf = (
        lastScanAt: string,
        overrides: { accountId?: string; region?: string; scope?: string } = {},
      ) => ({
        accountId: "111111111111",
        region: "us-east-1",
        scope: "repo@main",
        lastScanAt,
        ...overrides,
      });

      it("has no record for a scope never advanced", async () => {
        const store = await fresh();
        assert.equal(await store.getScope("repo@main", "111111111111", "us-east-1"), undefined);
      });

      it("stores the first record and returns it exactly", async () => {
        const store = await fresh();
        assert.equal(await store.advanceScope(scopeOf("2024-05-01T10:00:00Z")), true);
        assert.deepEqual(
          await store.getScope("repo@main", "111111111111", "us-east-1"),
          scopeOf("2024-05-01T10:00:00Z"),
        );
      });

      it("only moves forward: an older or equal report time (another offset too) leaves it as it was", async () => {
        const store = await fresh();
        await store.advanceScope(scopeOf("2024-05-01T10:00:00Z"));
        assert.equal(await store.advanceScope(scopeOf("2024-05-01T09:00:00Z")), false);
        assert.equal(await store.advanceScope(scopeOf("2024-05-01T12:00:00+02:00")), false);
        assert.equal(await store.advanceScope(scopeOf("2024-05-01T10:00:00.001Z")), true);
        assert.equal(
          (await store.getScope("repo@main", "111111111111", "us-east-1"))?.lastScanAt,
          "2024-05-01T10:00:00.001Z",
        );
      });

      it("keeps scopes of other accounts, Regions and names apart, and apart from findings", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { scope: "repo@main" })]);
        await store.advanceScope(scopeOf("2024-05-01T10:00:00Z"));
        await store.advanceScope(scopeOf("2024-06-01T00:00:00Z", { accountId: "222222222222" }));
        await store.advanceScope(scopeOf("2024-07-01T00:00:00Z", { region: "eu-west-1" }));
        await store.advanceScope(scopeOf("2024-08-01T00:00:00Z", { scope: "repo@dev" }));
        assert.equal(
          (await store.getScope("repo@main", "111111111111", "us-east-1"))?.lastScanAt,
          "2024-05-01T10:00:00Z",
        );
        assert.equal(
          (await store.getScope("repo@main", "222222222222", "us-east-1"))?.lastScanAt,
          "2024-06-01T00:00:00Z",
        );
        assert.equal(
          (await store.getScope("repo@main", "111111111111", "eu-west-1"))?.lastScanAt,
          "2024-07-01T00:00:00Z",
        );
        assert.equal(
          (await store.getScope("repo@dev", "111111111111", "us-east-1"))?.lastScanAt,
          "2024-08-01T00:00:00Z",
        );
        // A scope record is not a finding: the scope lists only the finding.
        const listed = await collect(store.listActiveInScope("repo@main", "111111111111", "us-east-1"));
        assert.deepEqual(
          listed.map((r) => r.key.id),
          ["f"],
        );
      });

      it("rejects a lastScanAt that is not an ASFF timestamp", async () => {
        const store = await fresh();
        await assert.rejects(
          store.advanceScope(scopeOf("last tuesday")),
          (error: unknown) => error instanceof InputError && /lastScanAt/.test(error.message),
        );
        assert.equal(await store.getScope("repo@main", "111111111111", "us-east-1"), undefined);
      });

      it("ends at the latest of concurrent advances", async () => {
        const store = await fresh();
        const times = Array.from({ length: 12 }, (_, i) => `2024-05-01T10:00:${String(i).padStart(2, "0")}Z`);
        const results = await Promise.all([...times].reverse().map((t) => store.advanceScope(scopeOf(t))));
        assert.ok(results.includes(true));
        assert.equal(
          (await store.getScope("repo@main", "111111111111", "us-east-1"))?.lastScanAt,
          times.at(-1),
        );
      });
    });

    describe("customer-touched attributes", () => {
      it("keeps flags set by markCustomerTouched when a later commit carries none", async () => {
        const store = await fresh();
        await store.commit([recordOf("f")]);
        await store.markCustomerTouched(keyOf("f"), ["Severity"]);
        await store.commit([recordOf("f", { updatedAt: "2024-06-01T00:00:00Z", customerTouched: [] })]);
        const got = (await store.getMany([keyOf("f")])).get(findingKeyString(keyOf("f")));
        assert.deepEqual(got?.customerTouched, ["Severity"]);
        assert.equal(got?.updatedAt, "2024-06-01T00:00:00Z");
      });

      it("stores the union of stored and committed flags", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { customerTouched: ["Types"] })]);
        await store.markCustomerTouched(keyOf("f"), ["Severity", "Types"]);
        await store.commit([
          recordOf("f", { updatedAt: "2024-06-01T00:00:00Z", customerTouched: ["Criticality"] }),
        ]);
        const got = (await store.getMany([keyOf("f")])).get(findingKeyString(keyOf("f")));
        assert.deepEqual([...(got?.customerTouched ?? [])].sort(), ["Criticality", "Severity", "Types"]);
      });

      it("does not change updatedAt when marking, so the next newer commit still wins", async () => {
        const store = await fresh();
        await store.commit([recordOf("f")]);
        await store.markCustomerTouched(keyOf("f"), ["Confidence"]);
        const got = (await store.getMany([keyOf("f")])).get(findingKeyString(keyOf("f")));
        assert.equal(got?.updatedAt, recordOf("f").updatedAt);
        assert.equal(
          (await store.commit([recordOf("f", { updatedAt: "2024-05-01T10:00:01Z" })])).committed,
          1,
        );
      });

      it("creates no shadow when marking a key the store does not hold", async () => {
        const store = await fresh();
        await store.markCustomerTouched(keyOf("unknown"), ["Severity"]);
        assert.equal((await store.getMany([keyOf("unknown")])).size, 0);
      });
    });

    describe("listActiveInScope", () => {
      it("lists only ACTIVE records of that scope, account and Region", async () => {
        const store = await fresh();
        const scope = "repo@main/trivy";
        await store.commit([
          recordOf("match-1", { scope }),
          recordOf("match-2", { scope, firstObservedAt: undefined }),
          recordOf("archived", { scope, recordState: "ARCHIVED" }),
          recordOf("other-scope", { scope: "repo@dev/trivy" }),
          recordOf("no-scope", { scope: undefined }),
          recordOf("other-account", { scope, key: keyOf("other-account", { accountId: "222222222222" }) }),
          recordOf("other-region", { scope, key: keyOf("other-region", { region: "eu-west-1" }) }),
        ]);
        const listed = await collect(store.listActiveInScope(scope, "111111111111", "us-east-1"));
        assert.deepEqual(listed.map((r) => r.key.id).sort(), ["match-1", "match-2"]);
        assert.deepEqual(listed.sort(byId)[0], recordOf("match-1", { scope }));
      });

      it("follows the latest commit: archived leaves the listing, reactivated or moved scope counts anew", async () => {
        const store = await fresh();
        await store.commit([recordOf("f", { scope: "s1" })]);
        await store.commit([
          recordOf("f", { scope: "s1", recordState: "ARCHIVED", updatedAt: "2024-06-01T00:00:00Z" }),
        ]);
        assert.equal((await collect(store.listActiveInScope("s1", "111111111111", "us-east-1"))).length, 0);
        await store.commit([recordOf("f", { scope: "s1", updatedAt: "2024-07-01T00:00:00Z" })]);
        assert.equal((await collect(store.listActiveInScope("s1", "111111111111", "us-east-1"))).length, 1);
        await store.commit([recordOf("f", { scope: "s2", updatedAt: "2024-08-01T00:00:00Z" })]);
        assert.equal((await collect(store.listActiveInScope("s1", "111111111111", "us-east-1"))).length, 0);
        assert.equal((await collect(store.listActiveInScope("s2", "111111111111", "us-east-1"))).length, 1);
      });

      it("lists nothing for an unknown scope", async () => {
        const store = await fresh();
        await store.commit([recordOf("f")]);
        assert.deepEqual(await collect(store.listActiveInScope("nope", "111111111111", "us-east-1")), []);
      });
    });

    describe("lastFindings (the last sent finding, kept apart from the record)", () => {
      /** A finding as the pipeline sends it, for `record`. */
      const findingOf = (record: ShadowRecord, title = "T"): AwsSecurityFinding => ({
        SchemaVersion: "2018-10-08",
        Id: record.key.id,
        ProductArn: record.key.productArn,
        AwsAccountId: record.key.accountId,
        GeneratorId: "g",
        Types: ["Software and Configuration Checks/Vulnerabilities/CVE"],
        CreatedAt: record.createdAt,
        UpdatedAt: record.updatedAt,
        Severity: { Label: "HIGH" },
        Title: title,
        Description: "d",
        Resources: [{ Type: "Container", Id: "image@sha256:aaaa", Region: record.key.region }],
      });

      it("returns the finding of a winning commit with its updatedAt, and keeps it out of getMany and the scope listing", async () => {
        const store = await fresh();
        const record = recordOf("kept");
        const finding = findingOf(record);
        await store.commit([{ ...record, lastFinding: finding }, recordOf("bare")]);
        const got = await store.lastFindings([record.key, keyOf("bare"), keyOf("absent"), record.key]);
        assert.deepEqual([...got.keys()], [findingKeyString(record.key)]);
        assert.deepEqual(got.get(findingKeyString(record.key)), { finding, updatedAt: record.updatedAt });
        // The record reads stay the record: no blob travels with them.
        assert.deepEqual((await store.getMany([record.key])).get(findingKeyString(record.key)), record);
        const listed = await collect(
          store.listActiveInScope(record.scope ?? "", "111111111111", "us-east-1"),
        );
        assert.deepEqual(listed.sort(byId), [recordOf("bare"), record]);
        assert.equal((await store.lastFindings([])).size, 0);
      });

      it("keeps the finding of the winner when a commit conflicts", async () => {
        const store = await fresh();
        const newer = recordOf("f", { updatedAt: "2024-05-02T00:00:00Z" });
        const older = recordOf("f", { updatedAt: "2024-05-01T00:00:00Z" });
        await store.commit([{ ...newer, lastFinding: findingOf(newer, "newer") }]);
        const result = await store.commit([{ ...older, lastFinding: findingOf(older, "older") }]);
        assert.equal(result.conflicts.length, 1);
        const got = (await store.lastFindings([newer.key])).get(findingKeyString(newer.key));
        assert.equal(got?.finding.Title, "newer");
        assert.equal(got?.updatedAt, newer.updatedAt);
      });

      it("replaces the finding with a newer commit's, and leaves it (with its older updatedAt) when the newer commit carries none", async () => {
        const store = await fresh();
        const first = recordOf("f", { updatedAt: "2024-05-01T00:00:00Z" });
        const second = recordOf("f", { updatedAt: "2024-05-02T00:00:00Z" });
        const third = recordOf("f", { updatedAt: "2024-05-03T00:00:00Z" });
        await store.commit([
          { ...first, lastFinding: findingOf(first, "first") },
          { ...second, lastFinding: findingOf(second, "second") },
        ]);
        let got = (await store.lastFindings([first.key])).get(findingKeyString(first.key));
        assert.deepEqual(got, { finding: findingOf(second, "second"), updatedAt: second.updatedAt });
        await store.commit([third]);
        got = (await store.lastFindings([first.key])).get(findingKeyString(first.key));
        assert.equal(got?.updatedAt, second.updatedAt);
        assert.equal(got?.finding.Title, "second");
      });

      it("round-trips a 240 KB finding that barely compresses", async () => {
        const store = await fresh();
        const record = recordOf("big");
        // Random base64 compresses to about 75 %: close to the worst case a valid finding can be.
        const finding = { ...findingOf(record), Description: randomBytes(176_000).toString("base64") };
        assert.ok(JSON.stringify(finding).length > 234_000);
        await store.commit([{ ...record, lastFinding: finding }]);
        const got = (await store.lastFindings([record.key])).get(findingKeyString(record.key));
        assert.deepEqual(got?.finding, finding);
      });

      it("returns copies: changing a returned or committed finding does not change the store", async () => {
        const store = await fresh();
        const record = recordOf("copy");
        const finding = findingOf(record);
        await store.commit([{ ...record, lastFinding: finding }]);
        finding.Title = "changed by the caller";
        const first = (await store.lastFindings([record.key])).get(findingKeyString(record.key));
        assert.equal(first?.finding.Title, "T");
        if (first) first.finding.Title = "changed again";
        const second = (await store.lastFindings([record.key])).get(findingKeyString(record.key));
        assert.equal(second?.finding.Title, "T");
      });
    });

    describe("many records", () => {
      it("commits, reads and lists 260 records (crossing 100-key reads and 25-item writes)", async () => {
        const store = await fresh();
        const records = Array.from({ length: 260 }, (_, i) =>
          recordOf(`bulk-${String(i).padStart(4, "0")}`, { scope: "bulk" }),
        );
        assert.deepEqual(await store.commit(records), { committed: 260, conflicts: [] });
        const keys = [...records.map((r) => r.key), keyOf("missing-1"), keyOf("missing-2")];
        const got = await store.getMany(keys);
        assert.equal(got.size, 260);
        for (const record of records) assert.deepEqual(got.get(findingKeyString(record.key)), record);
        const listed = await collect(store.listActiveInScope("bulk", "111111111111", "us-east-1"));
        assert.deepEqual(listed.sort(byId), records);
        const stale = records.slice(0, 130).map((r) => ({ ...r, updatedAt: "2024-01-01T00:00:00Z" }));
        const newer = records.slice(130).map((r) => ({ ...r, updatedAt: "2024-12-01T00:00:00Z" }));
        const result = await store.commit([...stale, ...newer]);
        assert.equal(result.committed, 130);
        assert.deepEqual(
          result.conflicts.map((k) => k.id).sort(),
          stale.map((r) => r.key.id),
        );
      });
    });

    describe("close", () => {
      it("closes without error after use", async () => {
        const store = await open();
        await store.commit([recordOf("f")]);
        await store.close();
      });
    });
  });
}
