/**
 * The operations of the local hub, in the JSON shapes of Security Hub's API. `serve` maps HTTP
 * requests onto them; the import pipeline's in-process local target calls them directly.
 */
import type {
  BatchImportFindingsRequest,
  BatchImportFindingsResponse,
  BatchUpdateFindingsRequest,
  BatchUpdateFindingsResponse,
  DescribeHubRequest,
  DescribeHubResponse,
  DisableImportFindingsForProductRequest,
  EnableImportFindingsForProductRequest,
  EnableImportFindingsForProductResponse,
  EnableSecurityHubRequest,
  GetFindingsRequest,
  GetFindingsResponse,
  ListEnabledProductsForImportRequest,
  ListEnabledProductsForImportResponse,
} from "@aws-sdk/client-securityhub";

/** Who calls: the account (from configuration or credentials) and the Region of the endpoint. */
export interface Caller {
  readonly accountId: string;
  readonly region: string;
}

/** Extra facts a transport knows about a BatchImportFindings call. */
export interface ImportCallInfo {
  /** Size of the HTTP body in bytes, so the 6 MB rule is checked on the real bytes. */
  readonly requestBytes?: number;
  /** Proven upper bound on every finding's UTF-8 JSON size (`ImportOptions.findingBytesBound`). */
  readonly findingBytesBound?: number;
}

/** The Security Hub operations the local hub implements. Whole-request errors are thrown as `HubApiError`. */
export interface LocalHubApi {
  batchImportFindings(
    body: BatchImportFindingsRequest,
    caller: Caller,
    info?: ImportCallInfo,
  ): Promise<BatchImportFindingsResponse>;
  batchUpdateFindings(body: BatchUpdateFindingsRequest, caller: Caller): Promise<BatchUpdateFindingsResponse>;
  getFindings(body: GetFindingsRequest, caller: Caller): Promise<GetFindingsResponse>;
  enableSecurityHub(body: EnableSecurityHubRequest, caller: Caller): Promise<Record<string, never>>;
  disableSecurityHub(body: Record<string, never>, caller: Caller): Promise<Record<string, never>>;
  describeHub(body: DescribeHubRequest, caller: Caller): Promise<DescribeHubResponse>;
  enableImportFindingsForProduct(
    body: EnableImportFindingsForProductRequest,
    caller: Caller,
  ): Promise<EnableImportFindingsForProductResponse>;
  disableImportFindingsForProduct(
    body: DisableImportFindingsForProductRequest,
    caller: Caller,
  ): Promise<Record<string, never>>;
  listEnabledProductsForImport(
    body: ListEnabledProductsForImportRequest,
    caller: Caller,
  ): Promise<ListEnabledProductsForImportResponse>;
}

/** The operation names, as in the service model; used by `serve`'s routes, quota and faults. */
export const OPERATIONS = [
  "BatchImportFindings",
  "BatchUpdateFindings",
  "GetFindings",
  "EnableSecurityHub",
  "DisableSecurityHub",
  "DescribeHub",
  "EnableImportFindingsForProduct",
  "DisableImportFindingsForProduct",
  "ListEnabledProductsForImport",
] as const;
export type OperationName = (typeof OPERATIONS)[number];
