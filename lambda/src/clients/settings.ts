import type { Endpoints } from '../config';

export interface ClientSettings {
  /** Unset: the SDK finds the region (AWS_REGION, the profile, instance metadata). */
  region?: string;
  /** *_ENDPOINT_URL: local emulators in place of AWS. */
  endpoints: Endpoints;
}
