/**
 * What the scheduler needs of a connected agent, whatever carries it (a WebSocket session today):
 * hand it a job, tell it to stop one. Domain objects hold AgentLinks, never sockets or frames.
 */
import type { JobFrame } from '../../core/protocol';

export interface JobRef {
  jobId: string;
  attempt: number;
}

/** A job as the agent receives it. */
export type JobAssignment = Omit<JobFrame, 'v' | 'type'>;

export interface AgentLink {
  readonly deviceId: string;
  readonly deviceName: string;
  readonly isOpen: boolean;
  /** The job this agent is measuring as far as the coordinator knows; null when idle. */
  current: JobRef | null;
  /** False after a (re)connect until the agent's first heartbeat says what it is measuring. */
  confirmed: boolean;
  /** False when the link is closed (the job was not delivered). */
  sendJob(job: JobAssignment): boolean;
  sendCancel(ref: JobRef, reason: string): boolean;
}
