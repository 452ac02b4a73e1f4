import { createEdgeBackend } from '../../agents/edge/backend';
import { describeBackendConformance } from './device-backend.case';

describeBackendConformance('edge (onnxruntime-node, CPU)', () => createEdgeBackend({ threads: 1 }));
