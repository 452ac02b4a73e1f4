// A naive JS forward of 50 w1.0 subnets at their own resolutions is too slow for CI on 2 busy
// cores (~9.5 GMACs): every config runs in ORT at its own resolution and is compared with the
// reference at 128; the first 4 are also compared at their own resolution.
import { describeRoundTrip } from './round-trip';

describeRoundTrip('ofa-mbv3-w1.0', { compareAtOwnResolution: false, extraOwnResolution: 4 });
