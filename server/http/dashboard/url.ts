/** Where a coordinator serves its dashboards (no imports: the CLI prints it without loading the server). */
export const DASHBOARD_PATH = '/dashboard/';

/** e.g. dashboardUrl('http://127.0.0.1:7070') === 'http://127.0.0.1:7070/dashboard/' */
export function dashboardUrl(coordinatorUrl: string): string {
  return `${coordinatorUrl.replace(/\/+$/, '')}${DASHBOARD_PATH}`;
}
