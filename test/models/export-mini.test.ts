// ofa-mbv3-mini is small: every config is compared with the reference at its own resolution.
import { describeRoundTrip } from './round-trip';

describeRoundTrip('ofa-mbv3-mini', { compareAtOwnResolution: true, extraOwnResolution: 0 });
