// As for w1.0 (~17 GMACs at own resolutions): ORT at each config's own resolution, reference
// comparison at 160 for all 50 and at their own resolution for the first 3.
import { describeRoundTrip } from './round-trip';

describeRoundTrip('ofa-mbv3-w1.2', { compareAtOwnResolution: false, extraOwnResolution: 3 });
