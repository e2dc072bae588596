/**
 * Resource builders shared by the container and code scanners: an image becomes an
 * `AwsEcrContainerImage` when its ECR repository and digest are known, else a `Container`; a
 * repository with a URL becomes a `CodeRepository`; anything else is `Other` with its name as Id.
 */
import type { Resource } from "@aws-sdk/client-securityhub";
import { partitionForRegion } from "./context.ts";

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repo>[:tag][@sha256:…]` */
const ECR_RE =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/;
const DIGEST_RE = /@(sha256:[0-9a-f]{64})$/;

/** The parts of an ECR image reference, or undefined when `ref` is not an ECR reference. */
export function parseEcrImage(
  ref: string,
): { registryId: string; region: string; repository: string; tag?: string; digest?: string } | undefined {
  const m = ECR_RE.exec(ref);
  if (!m) return undefined;
  const [, registryId, region, repository, tag, digest] = m;
  if (registryId === undefined || region === undefined || repository === undefined) return undefined;
  return { registryId, region, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Removes user info (`user:token@`) from a URL: credentials never travel. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

/** What is known about a scanned image. */
export interface ImageFacts {
  /** The reference as given to the scanner (`alpine:3.19`, `…dkr.ecr…/app:1.2`). */
  readonly name: string;
  /** Manifest digest (`sha256:…`), from the reference or the repo digests. */
  readonly digest?: string;
  /** Image (config) id. */
  readonly imageId?: string;
  readonly tags?: readonly string[];
  /** `<repo>@sha256:…` strings as reported by the scanner. */
  readonly repoDigests?: readonly string[];
  readonly architecture?: string;
  /** `alpine 3.19.1`, for Details.Other. */
  readonly os?: string;
}

/** The image's digest: the explicit one, else one from the reference or the repo digests. */
export function imageDigest(facts: ImageFacts): string | undefined {
  if (facts.digest && /^sha256:[0-9a-f]{64}$/.test(facts.digest)) return facts.digest;
  const fromName = DIGEST_RE.exec(facts.name)?.[1];
  if (fromName) return fromName;
  for (const rd of facts.repoDigests ?? []) {
    const d = DIGEST_RE.exec(rd)?.[1];
    if (d) return d;
  }
  return undefined;
}

/** The Resource for a container image. */
export function imageResource(facts: ImageFacts, extra: Record<string, string | undefined> = {}): Resource {
  const digest = imageDigest(facts);
  const other = compactMap({ os: facts.os, ...extra });
  const ecrRef =
    parseEcrImage(facts.name) ??
    (facts.repoDigests ?? []).map((r) => parseEcrImage(r)).find((r) => r !== undefined);
  if (ecrRef && digest) {
    const partition = partitionForRegion(ecrRef.region);
    const tags = [
      ...new Set([...(ecrRef.tag ? [ecrRef.tag] : []), ...(facts.tags ?? []).map(tagOf).filter(isString)]),
    ];
    return {
      Type: "AwsEcrContainerImage",
      Id: `arn:${partition}:ecr:${ecrRef.region}:${ecrRef.registryId}:repository/${ecrRef.repository}/${digest}`,
      Partition: partition,
      Region: ecrRef.region,
      Details: {
        AwsEcrContainerImage: {
          RegistryId: ecrRef.registryId,
          RepositoryName: ecrRef.repository,
          ImageDigest: digest,
          ...(tags.length > 0 ? { ImageTags: tags } : {}),
          ...(facts.architecture ? { Architecture: facts.architecture } : {}),
        },
        ...(other ? { Other: other } : {}),
      },
    };
  }
  const baseName = facts.name.replace(DIGEST_RE, "");
  return {
    Type: "Container",
    Id: digest ? `${baseName}@${digest}` : facts.name,
    Details: {
      Container: {
        ImageName: facts.name,
        ...(facts.imageId ? { ImageId: facts.imageId } : {}),
      },
      ...(other ? { Other: other } : {}),
    },
  };
}

/** What is known about a scanned repository or directory. */
export interface CodeFacts {
  /** The path or URL given to the scanner. */
  readonly name: string;
  readonly repoUrl?: string;
  readonly branch?: string;
  readonly commit?: string;
  readonly artifactType?: string;
}

/** The Resource for a repository (`CodeRepository` when its URL is known) or a directory (`Other`). */
export function codeResource(facts: CodeFacts, extra: Record<string, string | undefined> = {}): Resource {
  const url = facts.repoUrl ?? (/^[a-z][a-z0-9+.-]*:\/\//i.test(facts.name) ? facts.name : undefined);
  const other = compactMap({
    artifactType: facts.artifactType,
    branch: facts.branch,
    commit: facts.commit,
    ...extra,
  });
  if (url) {
    const clean = withoutCredentials(url).replace(/\.git$/, "");
    const project = clean.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i, "");
    return {
      Type: "CodeRepository",
      Id: clean,
      Details: {
        CodeRepository: { ProjectName: project || clean },
        ...(other ? { Other: other } : {}),
      },
    };
  }
  return { Type: "Other", Id: facts.name, ...(other ? { Details: { Other: other } } : {}) };
}

function isString(v: unknown): v is string {
  return typeof v === "string" && v !== "";
}

/** `repo:tag` → `tag` (a bare tag stays). */
function tagOf(ref: string): string | undefined {
  const at = ref.lastIndexOf(":");
  const slash = ref.lastIndexOf("/");
  return at > slash ? ref.slice(at + 1) : ref.includes("/") ? undefined : ref;
}

/** The entries of `map` with a non-blank string value, or undefined when none. */
export function compactMap(map: Record<string, string | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(map)) {
    if (typeof v === "string" && v.trim() !== "") {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** A copy of `resource` with `extra` merged into `Details.Other` (per-finding facts such as the file). */
export function withOther(resource: Resource, extra: Record<string, string | undefined>): Resource {
  const add = compactMap(extra);
  if (!add) return resource;
  const details = resource.Details ?? {};
  return { ...resource, Details: { ...details, Other: { ...(details.Other ?? {}), ...add } } };
}
